package awssecrets_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/berth-dev/berth/shared/cloud/awscloud/awstest"
	"github.com/berth-dev/berth/shared/configuration"
	"github.com/berth-dev/berth/shared/configuration/awssecrets"
)

// TestFaultsPut: with 30 % of attempts faulting, the SDK's retryer
// carries a secret's Put through, a create sent again after a lost
// answer carrying the same request token, so Secrets Manager makes one
// version.
func TestFaultsPut(t *testing.T) {
	resent := 0
	awstest.Survive(t, 0.3, 30, func(s *awstest.Stub, cfg aws.Config) error {
		s.On("CreateSecret", awstest.OK(answer))
		v, err := awssecrets.New(cfg, s.URL).Put(context.Background(), write)
		if err != nil {
			return err
		}
		if want := (configuration.SecretVersion{ARN: arn, VersionID: tok}); v != want {
			return fmt.Errorf("version %+v", v)
		}
		if awstest.SameToken(t, s.All("CreateSecret"), "ClientRequestToken") > 1 {
			resent++
		}
		return nil
	})
	if resent == 0 {
		t.Error("no create was sent twice")
	}
}
