package awsreconcile_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awstest"
	"github.com/berth-dev/berth/shared/reconcile/awsreconcile"
)

// TestFaultsManaged: with 30 % of attempts faulting, the SDK's retryer
// carries the inventory of managed resources through.
func TestFaultsManaged(t *testing.T) {
	awstest.Survive(t, 0.3, 30, func(s *awstest.Stub, cfg aws.Config) error {
		s.On("GetResources", awstest.OK(`{"PaginationToken":"","ResourceTagMappingList":[
			{"ResourceARN":"arn:aws:rds:eu-west-1:123456789012:db:berth-shop-0123456789","Tags":[{"Key":"berth:managed","Value":"true"}]}]}`))
		found, err := awsreconcile.New(cfg, s.URL).Managed(context.Background())
		if err != nil {
			return err
		}
		if len(found) != 1 || found[0].Ref.Kind != cloud.KindDatabase {
			return fmt.Errorf("found %+v", found)
		}
		return nil
	})
}
