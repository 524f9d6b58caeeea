// Package awsschedules keeps cron jobs' schedules in EventBridge
// Scheduler: each schedule starts the run-job state machine with the
// job's input. It links the Scheduler client and no other AWS client.
package awsschedules

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"

	"github.com/berth-dev/berth/shared/cloud/awscloud"
	"github.com/berth-dev/berth/shared/jobs"
)

// Delivery retries: a firing Step Functions refuses (throttled) is
// retried a few times, and dropped once five minutes late rather than
// run long after its time.
const (
	maxRetryAttempts = 3
	maxEventAgeSecs  = 300
)

// maxDescription is the most Scheduler takes of a description.
const maxDescription = 512

// Schedules is jobs.Schedules on EventBridge Scheduler. Build it with
// New, or set the fields directly.
type Schedules struct {
	Client *scheduler.Client
	// StateMachineARN is the run-job state machine every schedule starts.
	StateMachineARN string
	// RoleARN is the role Scheduler assumes to start it.
	RoleARN string
}

var _ jobs.Schedules = (*Schedules)(nil)

// New builds the client from cfg, at endpoint when it is not "" (tests,
// local tools), else at AWS's.
func New(cfg aws.Config, stateMachineARN, roleARN string, endpoint string) jobs.Schedules {
	return &Schedules{
		Client: scheduler.NewFromConfig(cfg, func(o *scheduler.Options) {
			if endpoint != "" {
				o.BaseEndpoint = aws.String(endpoint)
			}
		}),
		StateMachineARN: stateMachineARN,
		RoleARN:         roleARN,
	}
}

// Put creates the schedule, or replaces every field of the one that
// exists: UpdateSchedule resets what it is not given.
func (s *Schedules) Put(ctx context.Context, sc jobs.Schedule) error {
	in := &scheduler.CreateScheduleInput{
		Name:                       aws.String(sc.Name),
		GroupName:                  aws.String(sc.Group),
		ScheduleExpression:         aws.String(sc.Expression),
		ScheduleExpressionTimezone: aws.String("UTC"),
		State:                      types.ScheduleStateDisabled,
		FlexibleTimeWindow:         &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeOff},
		Target: &types.Target{
			Arn:     aws.String(s.StateMachineARN),
			RoleArn: aws.String(s.RoleARN),
			RetryPolicy: &types.RetryPolicy{
				MaximumRetryAttempts: aws.Int32(maxRetryAttempts), MaximumEventAgeInSeconds: aws.Int32(maxEventAgeSecs),
			},
		},
	}
	if sc.Enabled {
		in.State = types.ScheduleStateEnabled
	}
	// Scheduler takes neither empty.
	if sc.Description != "" {
		in.Description = aws.String(truncate(sc.Description, maxDescription))
	}
	if sc.Input != "" {
		in.Target.Input = aws.String(sc.Input)
	}
	_, err := s.Client.CreateSchedule(ctx, in)
	if awscloud.Code(err) == "ConflictException" {
		_, err = s.Client.UpdateSchedule(ctx, &scheduler.UpdateScheduleInput{
			Name: in.Name, GroupName: in.GroupName, ScheduleExpression: in.ScheduleExpression,
			ScheduleExpressionTimezone: in.ScheduleExpressionTimezone, State: in.State, Description: in.Description,
			FlexibleTimeWindow: in.FlexibleTimeWindow, Target: in.Target,
		})
	}
	// ValidationException: cloud.ErrInvalid; a missing group
	// (ResourceNotFoundException): cloud.ErrNotFound.
	return awscloud.Fail(err)
}

// Delete deletes the schedule; one that does not exist is gone.
func (s *Schedules) Delete(ctx context.Context, group, name string) error {
	_, err := s.Client.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{Name: aws.String(name), GroupName: aws.String(group)})
	if awscloud.Code(err) == "ResourceNotFoundException" {
		return nil
	}
	return awscloud.Fail(err)
}

// truncate keeps the first n characters of s.
func truncate(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}
