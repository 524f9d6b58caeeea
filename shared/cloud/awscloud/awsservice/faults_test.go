package awsservice

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awstest"
)

// TestFaultsCreateAndDelete: with 30 % of attempts faulting, the SDK's
// retryer carries a task definition's registration and a service's
// create through, and their deletes; a service's create sent again after
// a lost answer carries the same client token, so ECS makes it once.
func TestFaultsCreateAndDelete(t *testing.T) {
	ctx := context.Background()
	resent := 0
	awstest.Survive(t, 0.3, 60, func(s *awstest.Stub, cfg aws.Config) error {
		c := New(cfg, awstest.Platform, s.Getenv)
		s.On("RegisterTaskDefinition", awstest.OK(`{"taskDefinition":{"taskDefinitionArn":"`+taskDefARN+`","revision":1,"status":"ACTIVE"}}`))
		s.On("CreateService", awstest.OK(`{"service":`+serviceJSON("ACTIVE", "IN_PROGRESS", 0, 2)+`}`))
		s.On("DescribeServices", awstest.OK(`{"services":[`+serviceJSON("ACTIVE", "COMPLETED", 2, 2)+`]}`))
		s.On("UpdateService", awstest.OK(`{"service":`+serviceJSON("ACTIVE", "COMPLETED", 2, 0)+`}`))
		s.On("DeleteService", awstest.OK(`{"service":`+serviceJSON("DRAINING", "COMPLETED", 2, 0)+`}`))
		s.On("DeregisterTaskDefinition", awstest.OK(`{"taskDefinition":{"status":"INACTIVE"}}`))
		s.On("DeleteTaskDefinitions", awstest.OK(`{"taskDefinitions":[{"status":"DELETE_IN_PROGRESS"}]}`))

		td, err := c.RegisterTaskDefinition(ctx, richSpec(t))
		if err != nil || td.ID != taskDefARN || td.Outputs[cloud.OutRevision] != "1" {
			return fmt.Errorf("task definition %+v, %v", td, err)
		}
		svc, err := c.CreateService(ctx, serviceSpec)
		if err != nil || svc.ID != serviceARN || svc.State != cloud.StateCreating {
			return fmt.Errorf("service %+v, %v", svc, err)
		}
		if awstest.SameToken(t, s.All("CreateService"), "clientToken") > 1 {
			resent++
		}
		// A service drains before it is gone.
		if gone, err := c.Delete(ctx, svc.Ref, cloud.DeleteOptions{}); err != nil || gone {
			return fmt.Errorf("delete service: gone %v, %v; want draining", gone, err)
		}
		if gone, err := c.Delete(ctx, td.Ref, cloud.DeleteOptions{}); err != nil || !gone {
			return fmt.Errorf("delete task definition: gone %v, %v", gone, err)
		}
		return nil
	})
	if resent == 0 {
		t.Error("no service create was sent twice")
	}
}
