package awsautoscaling

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awstest"
)

// TestFaultsRegisterAndDelete: with 30 % of attempts faulting, the SDK's
// retryer carries a service's scaling registration and its deletion
// through to the right answers.
func TestFaultsRegisterAndDelete(t *testing.T) {
	const service = "berth-acme-my-app-production-0123456789"
	awstest.Survive(t, 0.3, 30, func(s *awstest.Stub, cfg aws.Config) error {
		c := New(cfg, awstest.Platform, s.Getenv)
		s.On("RegisterScalableTarget", awstest.OK(`{"ScalableTargetARN":"`+scalableTargetARN+`"}`))
		s.On("PutScalingPolicy", awstest.OK(`{"PolicyARN":"arn:aws:autoscaling:eu-west-1:123456789012:scalingPolicy:1"}`))
		s.On("DeregisterScalableTarget", awstest.OK(`{}`))
		r, err := c.RegisterScaling(context.Background(), cloud.ScalingSpec{ServiceName: service, Min: 1, Max: 4, TargetCPUPercent: 70})
		if err != nil {
			return err
		}
		if r.State != cloud.StateAvailable || r.ID != "service/berth/"+service || r.Outputs[cloud.OutARN] != scalableTargetARN {
			return fmt.Errorf("registered %+v", r)
		}
		if gone, err := c.Delete(context.Background(), r.Ref, cloud.DeleteOptions{}); err != nil || !gone {
			return fmt.Errorf("delete: gone %v, %v", gone, err)
		}
		return nil
	})
}
