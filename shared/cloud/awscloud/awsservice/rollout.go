package awsservice

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud"
)

// UpdateService starts a rolling deployment of spec's task definition.
// ForceNewDeployment makes a redeploy of the running revision replace its
// tasks. The circuit breaker only marks a failing deployment FAILED: Berth
// rolls back itself, to the release it chose, so ECS must not race it.
// ECS Exec is enabled here too, so a service created before Berth enabled
// it gets it with its next deployment's tasks.
func (c *Part) UpdateService(ctx context.Context, spec cloud.ServiceUpdate) (cloud.Resource, error) {
	var count *int32 // nil: ECS keeps the current count
	if !spec.KeepCount {
		count = aws.Int32(int32(spec.DesiredCount))
	}
	out, err := c.ECS.UpdateService(ctx, &ecs.UpdateServiceInput{
		Cluster:            aws.String(c.Platform.Cluster),
		Service:            aws.String(spec.Name),
		TaskDefinition:     aws.String(spec.TaskDefinitionARN),
		DesiredCount:       count,
		ForceNewDeployment: true,
		// Only tasks started after this have the exec agent; the forced
		// deployment starts them all anew.
		EnableExecuteCommand: aws.Bool(true),
		DeploymentConfiguration: &types.DeploymentConfiguration{
			MinimumHealthyPercent:    aws.Int32(100),
			MaximumPercent:           aws.Int32(200),
			DeploymentCircuitBreaker: &types.DeploymentCircuitBreaker{Enable: true, Rollback: false},
		},
	})
	if err != nil {
		// ServiceNotFoundException maps to ErrNotFound already; a deleted
		// (inactive) service is just as missing.
		if awscloud.Code(err) == "ServiceNotActiveException" {
			return cloud.Resource{}, fmt.Errorf("%w: %w", cloud.ErrNotFound, awscloud.Fail(err))
		}
		return cloud.Resource{}, awscloud.Fail(err)
	}
	return serviceResource(spec.Name, out.Service), nil
}

// Rollout reports the service's deployment of taskDefinitionARN; see
// cloud.Cloud. A stopped task of the deployment is a failure as soon as
// ECS reports it, without waiting for the circuit breaker's threshold.
func (c *Part) Rollout(ctx context.Context, service, taskDefinitionARN string) (cloud.Rollout, error) {
	svc, err := c.describeService(ctx, service)
	if err != nil {
		return cloud.Rollout{}, err
	}
	if svc == nil || aws.ToString(svc.Status) == "INACTIVE" {
		return cloud.Rollout{}, awscloud.NotFound("ecs: no service " + service + " in " + c.Platform.Cluster)
	}
	d := deploymentOf(svc, taskDefinitionARN)
	if d == nil {
		return cloud.Rollout{}, awscloud.NotFound("ecs: no deployment of " + taskDefinitionARN + " on " + service)
	}
	r := cloud.Rollout{State: cloud.RolloutInProgress, Running: int(d.RunningCount), Desired: int(d.DesiredCount), Expected: serviceExpected}
	if d.RolloutState == types.DeploymentRolloutStateCompleted && d.RunningCount >= d.DesiredCount && aws.ToString(d.Status) == "PRIMARY" {
		r.State = cloud.RolloutCompleted
		return r, nil
	}
	failure, defs, err := c.failedTask(ctx, svc, d, taskDefinitionARN)
	if err != nil {
		return cloud.Rollout{}, err
	}
	if failure != nil {
		failure.LogGroup, failure.LogStream = logStream(containerDef(defs, failure.Container), failure.TaskID)
	}
	// The circuit breaker's verdict names the failure; a stopped task, when
	// there is one, still tells which container and why.
	if d.RolloutState == types.DeploymentRolloutStateFailed {
		reason := aws.ToString(d.RolloutStateReason)
		if failure == nil {
			failure = &cloud.TaskFailure{}
		} else if failure.StoppedReason != "" {
			reason += "; " + failure.StoppedReason
		}
		failure.Type, failure.StoppedReason = cloud.FailureCircuitBreaker, reason
	}
	if failure == nil {
		return r, nil
	}
	r.State, r.Failure = cloud.RolloutFailed, failure
	return r, nil
}

// deploymentOf finds the deployment of the task definition, the primary
// one first: a redeploy of the same revision leaves two with that ARN.
func deploymentOf(svc *types.Service, taskDefinitionARN string) *types.Deployment {
	var found *types.Deployment
	for i := range svc.Deployments {
		d := &svc.Deployments[i]
		if aws.ToString(d.TaskDefinition) != taskDefinitionARN {
			continue
		}
		if aws.ToString(d.Status) == "PRIMARY" {
			return d
		}
		if found == nil {
			found = d
		}
	}
	return found
}

// failedTask returns the earliest-stopped failed task of deployment d,
// what went wrong with it and its task definition's containers (nil when
// they could not be read), or a nil failure when no task has failed.
func (c *Part) failedTask(ctx context.Context, svc *types.Service, d *types.Deployment, taskDefinitionARN string) (*cloud.TaskFailure, []types.ContainerDefinition, error) {
	cluster := aws.String(c.Platform.Cluster)
	// One page: DescribeTasks takes at most 100 tasks, and one failure is enough.
	list, err := c.ECS.ListTasks(ctx, &ecs.ListTasksInput{
		Cluster: cluster, ServiceName: svc.ServiceName, DesiredStatus: types.DesiredStatusStopped, MaxResults: aws.Int32(100),
	})
	if err != nil {
		return nil, nil, awscloud.Fail(err)
	}
	if len(list.TaskArns) == 0 {
		return nil, nil, nil
	}
	out, err := c.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: cluster, Tasks: list.TaskArns})
	if err != nil {
		return nil, nil, awscloud.Fail(err)
	}
	var tasks []*types.Task
	for i := range out.Tasks {
		t := &out.Tasks[i]
		if aws.ToString(t.TaskDefinitionArn) == taskDefinitionARN && ofDeployment(t, d) && classify(t, everyEssential) != "" {
			tasks = append(tasks, t)
		}
	}
	if len(tasks) == 0 {
		return nil, nil, nil
	}
	// Only the task definition says which containers are essential (and
	// where they log); without it, every container counts, ECS's default.
	essential := everyEssential
	defs, err := c.containerDefs(ctx, taskDefinitionARN)
	if err == nil {
		essential = func(name string) bool {
			def := containerDef(defs, name)
			return def == nil || def.Essential == nil || *def.Essential
		}
	}
	sort.SliceStable(tasks, func(i, j int) bool { return stoppedAt(tasks[i]).Before(stoppedAt(tasks[j])) })
	for _, t := range tasks {
		if classify(t, essential) != "" {
			return describeFailure(t, svc, essential), defs, nil
		}
	}
	return nil, defs, nil
}

func everyEssential(string) bool { return true }

// containerDefs are the containers of a task definition revision.
func (c *Part) containerDefs(ctx context.Context, taskDefinitionARN string) ([]types.ContainerDefinition, error) {
	td, err := c.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(taskDefinitionARN)})
	if err != nil {
		return nil, awscloud.Fail(err)
	}
	if td.TaskDefinition == nil {
		return nil, nil
	}
	return td.TaskDefinition.ContainerDefinitions, nil
}

func containerDef(defs []types.ContainerDefinition, name string) *types.ContainerDefinition {
	for i := range defs {
		if aws.ToString(defs[i].Name) == name {
			return &defs[i]
		}
	}
	return nil
}

// ofDeployment: a service's tasks are started by their deployment's id
// (ecs-svc/...); a redeploy of the same revision must not see the crashes
// of the deployment before it.
func ofDeployment(t *types.Task, d *types.Deployment) bool {
	by := aws.ToString(t.StartedBy)
	if strings.HasPrefix(by, "ecs-svc/") && d.Id != nil && by != aws.ToString(d.Id) {
		return false
	}
	return d.CreatedAt == nil || !stoppedAt(t).Before(*d.CreatedAt)
}

// stoppedAt is when the task stopped, or began to; a task without either
// sorts last.
func stoppedAt(t *types.Task) time.Time {
	for _, at := range []*time.Time{t.StoppedAt, t.StoppingAt, t.ExecutionStoppedAt} {
		if at != nil {
			return *at
		}
	}
	return time.Unix(1<<40, 0)
}

// classify says which failure stopped the task, or "" when it was stopped
// on purpose (a scale-in, a deployment, a StopTask, a Spot interruption).
// Health checks first: an unhealthy container is stopped, and exits non-zero.
func classify(t *types.Task, essential func(string) bool) string {
	switch {
	case t.StopCode == types.TaskStopCodeTaskFailedToStart:
		return cloud.FailureTaskFailedToStart
	case strings.Contains(strings.ToLower(aws.ToString(t.StoppedReason)), "health check"):
		return cloud.FailureHealthCheckFailed
	case t.StopCode != types.TaskStopCodeEssentialContainerExited:
		return ""
	}
	for _, ct := range t.Containers {
		if ct.HealthStatus == types.HealthStatusUnhealthy {
			return cloud.FailureHealthCheckFailed
		}
	}
	for _, ct := range t.Containers {
		if ct.ExitCode != nil && *ct.ExitCode != 0 && essential(aws.ToString(ct.Name)) {
			return cloud.FailureContainerExited
		}
	}
	// An essential container that exited 0 is left to the circuit breaker.
	return ""
}

// describeFailure fills the failure of a task classify accepted, naming
// the container that caused it.
func describeFailure(t *types.Task, svc *types.Service, essential func(string) bool) *cloud.TaskFailure {
	f := &cloud.TaskFailure{Type: classify(t, essential), TaskID: taskID(aws.ToString(t.TaskArn)), StoppedReason: aws.ToString(t.StoppedReason)}
	var ct *types.Container
	pick := func(ok func(*types.Container) bool) {
		for i := range t.Containers {
			if ct == nil && ok(&t.Containers[i]) {
				ct = &t.Containers[i]
			}
		}
	}
	switch f.Type {
	case cloud.FailureTaskFailedToStart:
		pick(func(x *types.Container) bool { return aws.ToString(x.Reason) != "" })
	case cloud.FailureHealthCheckFailed:
		pick(func(x *types.Container) bool { return x.HealthStatus == types.HealthStatusUnhealthy })
		// A failed load balancer health check is the balanced container's.
		for _, lb := range svc.LoadBalancers {
			pick(func(x *types.Container) bool { return aws.ToString(x.Name) == aws.ToString(lb.ContainerName) })
		}
	case cloud.FailureContainerExited:
		pick(func(x *types.Container) bool {
			return x.ExitCode != nil && *x.ExitCode != 0 && essential(aws.ToString(x.Name))
		})
	}
	pick(func(x *types.Container) bool { return essential(aws.ToString(x.Name)) })
	if ct == nil {
		return f
	}
	f.Container = aws.ToString(ct.Name)
	if ct.ExitCode != nil {
		code := int(*ct.ExitCode)
		f.ExitCode = &code
	}
	if why := aws.ToString(ct.Reason); why != "" && !strings.Contains(f.StoppedReason, why) {
		if f.StoppedReason != "" {
			f.StoppedReason += ": "
		}
		f.StoppedReason += why
	}
	return f
}

// taskID is the last part of a task's ARN, which its log stream ends with.
func taskID(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }

// logStream is where the container's awslogs driver writes for the task:
// its group, and the stream <stream prefix>/<container>/<task id>; empty
// when it does not log to CloudWatch Logs.
func logStream(def *types.ContainerDefinition, taskID string) (group, stream string) {
	if def == nil || def.LogConfiguration == nil || def.LogConfiguration.LogDriver != types.LogDriverAwslogs {
		return "", ""
	}
	opts := def.LogConfiguration.Options
	group, prefix := opts["awslogs-group"], opts["awslogs-stream-prefix"]
	if group == "" || prefix == "" {
		return "", ""
	}
	return group, prefix + "/" + aws.ToString(def.Name) + "/" + taskID
}
