package awsshell_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/berth-dev/berth/shared/cloud/awscloud/awstest"
	"github.com/berth-dev/berth/shared/shell"
	"github.com/berth-dev/berth/shared/shell/awsshell"
)

// TestFaultsAssume: with 30 % of attempts faulting, the SDK's retryer
// carries an AssumeRole through to its credentials.
func TestFaultsAssume(t *testing.T) {
	awstest.Survive(t, 0.3, 30, func(s *awstest.Stub, cfg aws.Config) error {
		s.On("AssumeRole", awstest.OK(`<Credentials><AccessKeyId>ASIAEXAMPLE</AccessKeyId><SecretAccessKey>sk</SecretAccessKey><SessionToken>st</SessionToken><Expiration>2026-01-01T01:00:00Z</Expiration></Credentials>`))
		got, err := awsshell.New(cfg, s.URL, s.URL).Assume(context.Background(), shell.Grant{RoleARN: "arn:aws:iam::123456789012:role/r", SessionName: "s1"})
		if err != nil {
			return err
		}
		if got.AccessKeyID != "ASIAEXAMPLE" || got.SessionToken != "st" {
			return fmt.Errorf("credentials %+v", got)
		}
		return nil
	})
}
