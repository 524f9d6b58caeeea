package awsscaling_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/berth-dev/berth/shared/cloud/awscloud/awstest"
	"github.com/berth-dev/berth/shared/scaling"
	"github.com/berth-dev/berth/shared/scaling/awsscaling"
)

// TestFaultsPut: with 30 % of attempts faulting, the SDK's retryer
// carries a scaling policy's Put through.
func TestFaultsPut(t *testing.T) {
	awstest.Survive(t, 0.3, 30, func(s *awstest.Stub, cfg aws.Config) error {
		s.On("PutScalingPolicy", awstest.OK(`{"PolicyARN":"arn:aws:autoscaling:eu-west-1:123456789012:scalingPolicy:1","Alarms":[]}`))
		p := scaling.Policy{Name: service + "-cpu", Metric: scaling.CPU, TargetValue: 70, ScaleInCooldown: 300, ScaleOutCooldown: 60}
		return awsscaling.New(cfg, "arn:aws:ecs:eu-west-1:123456789012:cluster/berth", s.URL).Put(context.Background(), service, p)
	})
}
