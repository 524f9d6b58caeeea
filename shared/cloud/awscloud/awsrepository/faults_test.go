package awsrepository

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awstest"
)

// TestFaultsCreateAndDelete: with 30 % of attempts faulting, the SDK's
// retryer carries a repository's create and delete through to the right
// answers.
func TestFaultsCreateAndDelete(t *testing.T) {
	awstest.Survive(t, 0.3, 30, func(s *awstest.Stub, cfg aws.Config) error {
		c := New(cfg, awstest.Platform, s.Getenv)
		s.On("CreateRepository", awstest.OK(`{"repository":`+repositoryJSON+`}`))
		s.On("DeleteRepository", awstest.OK(`{"repository":`+repositoryJSON+`}`))
		r, err := c.CreateRepository(context.Background(), cloud.RepositorySpec{Name: "berth/acme/my-app-0123456789", Tags: awstest.Tags})
		if err != nil {
			return err
		}
		if r.State != cloud.StateAvailable || r.Outputs[cloud.OutRepositoryURI] != "123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/acme/my-app-0123456789" {
			return fmt.Errorf("created %+v", r)
		}
		ref := cloud.Ref{Kind: cloud.KindRepository, Name: "berth/acme/my-app-0123456789"}
		if gone, err := c.Delete(context.Background(), ref, cloud.DeleteOptions{}); err != nil || !gone {
			return fmt.Errorf("delete: gone %v, %v", gone, err)
		}
		return nil
	})
}
