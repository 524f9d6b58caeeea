package awsservice

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud"
)

var _ cloud.Tasks = (*Part)(nil)

// taskExpected is how long a Fargate task usually takes to start: its
// network interface, then its images.
const taskExpected = 30 * time.Second

// maxStopReason is the most ECS keeps of a StopTask reason.
const maxStopReason = 255

// RunTask starts one Fargate task of the job's task definition in the
// platform's private subnets, with the container's command overridden.
func (c *Part) RunTask(ctx context.Context, spec cloud.TaskRun) (cloud.Task, error) {
	in := &ecs.RunTaskInput{
		Cluster:        aws.String(c.Platform.Cluster),
		TaskDefinition: aws.String(spec.TaskDefinitionARN),
		Count:          aws.Int32(1),
		LaunchType:     types.LaunchTypeFargate,
		NetworkConfiguration: &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{
			Subnets:        c.Platform.Subnets,
			SecurityGroups: []string{spec.SecurityGroupID},
			AssignPublicIp: types.AssignPublicIpDisabled,
		}},
		Overrides: &types.TaskOverride{ContainerOverrides: []types.ContainerOverride{
			{Name: aws.String(spec.Container), Command: spec.Command},
		}},
		PropagateTags: types.PropagateTagsTaskDefinition,
		Tags:          awscloud.TagList(spec.Tags, ecsTag),
	}
	// Empty: the SDK makes up a token, and ECS takes no empty startedBy.
	if spec.ClientToken != "" {
		in.ClientToken = aws.String(spec.ClientToken)
	}
	if spec.StartedBy != "" {
		in.StartedBy = aws.String(spec.StartedBy)
	}
	out, err := c.ECS.RunTask(ctx, in)
	if err != nil {
		return cloud.Task{}, awscloud.Fail(err)
	}
	if len(out.Tasks) == 0 {
		return cloud.Task{}, runFailure(out.Failures)
	}
	t := &out.Tasks[0]
	if t.TaskDefinitionArn == nil {
		t.TaskDefinitionArn = in.TaskDefinition
	}
	// The task has started, so a task definition that cannot be read now
	// only leaves its log stream to DescribeTask.
	defs, _ := c.containerDefs(ctx, aws.ToString(t.TaskDefinitionArn))
	return taskOf(t, spec.Container, defs), nil
}

// runFailure is why ECS started no task: a missing or invalid cluster,
// task definition or parameter cannot start one on a retry; capacity and
// limits may later.
func runFailure(fs []types.Failure) error {
	if len(fs) == 0 {
		return errors.New("ecs RunTask: no task started, and no failure reported")
	}
	f := fs[0]
	reason := strings.TrimSpace(aws.ToString(f.Reason) + " " + aws.ToString(f.Detail))
	err := fmt.Errorf("ecs RunTask: %s", reason)
	if arn := aws.ToString(f.Arn); arn != "" {
		err = fmt.Errorf("ecs RunTask: %s: %s", arn, reason)
	}
	lower := strings.ToLower(reason)
	switch {
	case strings.Contains(lower, "capacity") || strings.Contains(lower, "limit") || strings.HasPrefix(reason, "RESOURCE:"):
		return fmt.Errorf("%w: %w", cloud.ErrQuota, err)
	case strings.Contains(lower, "missing") || strings.Contains(lower, "invalid"):
		return fmt.Errorf("%w: %w", cloud.ErrInvalid, err)
	}
	return err
}

// DescribeTask reports the task and its container; see cloud.Tasks.
func (c *Part) DescribeTask(ctx context.Context, arn, container string) (cloud.Task, error) {
	out, err := c.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(c.Platform.Cluster), Tasks: []string{arn}})
	if err != nil {
		return cloud.Task{}, awscloud.Fail(err)
	}
	if len(out.Tasks) == 0 {
		for _, f := range out.Failures {
			if aws.ToString(f.Reason) != "MISSING" {
				return cloud.Task{}, fmt.Errorf("ecs DescribeTasks: %s: %s", aws.ToString(f.Arn), aws.ToString(f.Reason))
			}
		}
		return cloud.Task{}, awscloud.NotFound("ecs: no task " + arn + " in " + c.Platform.Cluster)
	}
	t := &out.Tasks[0]
	defs, err := c.containerDefs(ctx, aws.ToString(t.TaskDefinitionArn))
	// A task definition deleted since leaves no trace of where it logged.
	if err != nil && !missingTaskDefinition(err) {
		return cloud.Task{}, err
	}
	return taskOf(t, container, defs), nil
}

// taskOf maps an ECS task, with container's exit code and log stream.
func taskOf(t *types.Task, container string, defs []types.ContainerDefinition) cloud.Task {
	arn := aws.ToString(t.TaskArn)
	task := cloud.Task{
		ARN: arn, Status: aws.ToString(t.LastStatus), StoppedReason: aws.ToString(t.StoppedReason),
		StopCode: string(t.StopCode), Expected: taskExpected,
	}
	if t.StartedAt != nil {
		task.StartedAt = *t.StartedAt
	}
	if t.StoppedAt != nil {
		task.StoppedAt = *t.StoppedAt
	}
	for _, ct := range t.Containers {
		if aws.ToString(ct.Name) == container && ct.ExitCode != nil {
			code := int(*ct.ExitCode)
			task.ExitCode = &code
		}
	}
	task.LogGroup, task.LogStream = logStream(containerDef(defs, container), taskID(arn))
	return task
}

// StopTask stops the task; one ECS has stopped or forgotten is stopped.
func (c *Part) StopTask(ctx context.Context, arn, reason string) error {
	in := &ecs.StopTaskInput{Cluster: aws.String(c.Platform.Cluster), Task: aws.String(arn)}
	if reason != "" {
		in.Reason = aws.String(truncate(reason, maxStopReason))
	}
	_, err := c.ECS.StopTask(ctx, in)
	if err == nil || taskGone(err) {
		return nil
	}
	return awscloud.Fail(err)
}

// taskGone: ECS forgets a stopped task after about an hour, and says so
// with an InvalidParameterException only its message tells apart.
func taskGone(err error) bool {
	return awscloud.Code(err) == "InvalidParameterException" && strings.Contains(strings.ToLower(awscloud.Message(err)), "task was not found")
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
