package awsruntime

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awstest"
)

// TestFaultsCreateAndDelete: with 30 % of attempts faulting, the SDK's
// retryer carries a log group's, a secret's, an access point's and a
// schedule group's creates and deletes through to the right answers, and
// each create sent again after a lost answer carries its first attempt's
// idempotency token: ours for the secret and the access point, the one
// the SDK filled in for the schedule group.
func TestFaultsCreateAndDelete(t *testing.T) {
	ctx := context.Background()
	resent := 0
	awstest.Survive(t, 0.3, 30, func(s *awstest.Stub, cfg aws.Config) error {
		c := New(cfg, awstest.Platform, s.Getenv)
		s.On("CreateLogGroup", awstest.OK(""))
		s.On("PutRetentionPolicy", awstest.OK(""))
		s.On("DeleteLogGroup", awstest.OK(""))
		s.On("CreateSecret", awstest.OK(`{"ARN":"`+secretARN+`","Name":"`+secretSpec.Name+`"}`))
		s.On("DeleteSecret", awstest.OK(`{"ARN":"`+secretARN+`","DeletionDate":1767225600}`))
		s.On("CreateAccessPoint", awstest.OK(`{"AccessPointId":"fsap-0456","AccessPointArn":"arn:aws:elasticfilesystem:eu-west-1:123456789012:access-point/fsap-0456","LifeCycleState":"creating"}`))
		s.On("DeleteAccessPoint", awstest.Reply{Status: 204})
		s.On("CreateScheduleGroup", awstest.OK(`{"ScheduleGroupArn":"`+groupARN+`"}`))
		s.On("GetScheduleGroup", awstest.OK(groupJSON("ACTIVE")))
		s.On("DeleteScheduleGroup", awstest.OK(`{}`))

		var created []cloud.Resource
		for _, create := range []func() (cloud.Resource, error){
			func() (cloud.Resource, error) { return c.CreateLogGroup(ctx, logGroupSpec) },
			func() (cloud.Resource, error) { return c.CreateSecret(ctx, secretSpec) },
			func() (cloud.Resource, error) { return c.CreateAccessPoint(ctx, accessPointSpec) },
			func() (cloud.Resource, error) {
				return c.CreateScheduleGroup(ctx, cloud.ScheduleGroupSpec{Name: groupName, Tags: awstest.Tags})
			},
		} {
			r, err := create()
			if err != nil {
				return err
			}
			created = append(created, r)
		}
		want := []string{logGroupSpec.Name, secretARN, "fsap-0456", groupARN}
		for i, r := range created {
			if r.ID != want[i] {
				return fmt.Errorf("created %+v, want ID %s", r, want[i])
			}
		}
		for op, key := range map[string]string{"CreateSecret": "ClientRequestToken", "CreateAccessPoint": "ClientToken", "CreateScheduleGroup": "ClientToken"} {
			if awstest.SameToken(t, s.All(op), key) > 1 {
				resent++
			}
		}
		// A schedule group is deleted in the background: not gone yet.
		for i, wantGone := range []bool{true, true, true, false} {
			if gone, err := c.Delete(ctx, created[i].Ref, cloud.DeleteOptions{}); err != nil || gone != wantGone {
				return fmt.Errorf("delete %s: gone %v, %v", created[i].Kind, gone, err)
			}
		}
		return nil
	})
	if resent == 0 {
		t.Error("no create with a token was sent twice")
	}
}
