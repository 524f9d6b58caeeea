package awsschedules

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/berth-dev/berth/shared/cloud/awscloud/awstest"
)

// TestFaultsPut: with 30 % of attempts faulting, the SDK's retryer
// carries a schedule's Put through, a create sent again after a lost
// answer carrying the client token the SDK filled in for its first
// attempt.
func TestFaultsPut(t *testing.T) {
	resent := 0
	awstest.Survive(t, 0.3, 30, func(s *awstest.Stub, cfg aws.Config) error {
		s.On("CreateSchedule", awstest.OK(`{"ScheduleArn":"arn:aws:scheduler:eu-west-1:123456789012:schedule/`+group+`/nightly"}`))
		if err := New(cfg, stateMachineARN, roleARN, s.URL).Put(context.Background(), nightly); err != nil {
			return err
		}
		if awstest.SameToken(t, s.All("CreateSchedule"), "ClientToken") > 1 {
			resent++
		}
		return nil
	})
	if resent == 0 {
		t.Error("no create was sent twice")
	}
}
