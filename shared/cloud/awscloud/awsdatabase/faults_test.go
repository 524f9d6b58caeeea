package awsdatabase

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awstest"
)

// TestFaultsCreateAndDelete: with 30 % of attempts faulting, the SDK's
// retryer carries a database's create and delete through to the right
// answers.
func TestFaultsCreateAndDelete(t *testing.T) {
	ref := cloud.Ref{Kind: cloud.KindDatabase, Name: "berth-my-app-0123456789", ID: "berth-my-app-0123456789"}
	awstest.Survive(t, 0.3, 30, func(s *awstest.Stub, cfg aws.Config) error {
		c := New(cfg, awstest.Platform, s.Getenv)
		s.On("CreateDBInstance", awstest.OK(`<DBInstance><DBInstanceIdentifier>berth-my-app-0123456789</DBInstanceIdentifier><DBInstanceStatus>creating</DBInstanceStatus></DBInstance>`))
		s.On("DeleteDBInstance", awstest.OK(`<DBInstance><DBInstanceStatus>deleting</DBInstanceStatus></DBInstance>`))
		r, err := c.CreateDatabase(context.Background(), databaseSpec)
		if err != nil {
			return err
		}
		if r.State != cloud.StateCreating || r.ID != ref.ID {
			return fmt.Errorf("created %+v", r)
		}
		if gone, err := c.Delete(context.Background(), ref, cloud.DeleteOptions{}); err != nil || gone {
			return fmt.Errorf("delete: gone %v, %v; want deleting", gone, err)
		}
		return nil
	})
}
