package awsruntime

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud"
)

// CreateScheduleGroup creates the environment's schedule group, which its
// cron jobs' schedules go in; one an earlier try created is read instead.
func (c *Part) CreateScheduleGroup(ctx context.Context, spec cloud.ScheduleGroupSpec) (cloud.Resource, error) {
	out, err := c.Scheduler.CreateScheduleGroup(ctx, &scheduler.CreateScheduleGroupInput{
		Name: aws.String(spec.Name),
		Tags: awscloud.TagList(spec.Tags, func(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }),
	})
	if awscloud.Code(err) == "ConflictException" {
		return c.checkScheduleGroup(ctx, cloud.Ref{Kind: cloud.KindScheduleGroup, Name: spec.Name})
	}
	if err != nil {
		return cloud.Resource{}, awscloud.Fail(err)
	}
	return scheduleGroupResource(spec.Name, aws.ToString(out.ScheduleGroupArn), types.ScheduleGroupStateActive), nil
}

func scheduleGroupResource(name, arn string, state types.ScheduleGroupState) cloud.Resource {
	r := cloud.Resource{
		Ref:     cloud.Ref{Kind: cloud.KindScheduleGroup, Name: name, ID: arn},
		State:   cloud.StateAvailable,
		Outputs: map[string]string{cloud.OutARN: arn},
	}
	if state == types.ScheduleGroupStateDeleting {
		r.State = cloud.StateDeleting
	}
	return r
}

// checkScheduleGroup reads the group by name: Scheduler takes no ARN.
func (c *Part) checkScheduleGroup(ctx context.Context, ref cloud.Ref) (cloud.Resource, error) {
	out, err := c.Scheduler.GetScheduleGroup(ctx, &scheduler.GetScheduleGroupInput{Name: aws.String(ref.Name)})
	if err != nil {
		return cloud.Resource{}, awscloud.Fail(err) // ResourceNotFoundException: ErrNotFound
	}
	return scheduleGroupResource(ref.Name, aws.ToString(out.Arn), out.State), nil
}

// deleteScheduleGroup deletes the group and its schedules. Scheduler does
// so in the background (state DELETING), so the group is gone only once
// it is no longer found; until then the delete is not repeated.
func (c *Part) deleteScheduleGroup(ctx context.Context, ref cloud.Ref) (bool, error) {
	r, err := c.checkScheduleGroup(ctx, ref)
	switch {
	case awscloud.Code(err) == "ResourceNotFoundException":
		return true, nil
	case err != nil:
		return false, err
	case r.State == cloud.StateDeleting:
		return false, nil
	}
	_, err = c.Scheduler.DeleteScheduleGroup(ctx, &scheduler.DeleteScheduleGroupInput{Name: aws.String(ref.Name)})
	switch {
	case err == nil:
		return false, nil
	case awscloud.Code(err) == "ResourceNotFoundException":
		return true, nil
	case awscloud.Code(err) == "ConflictException": // being deleted, or changed meanwhile: look again next time
		return false, nil
	}
	return false, awscloud.Fail(err)
}
