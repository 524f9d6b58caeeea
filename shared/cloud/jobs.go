package cloud

import (
	"context"
	"time"
)

// Jobs are one-off ECS tasks of an environment's task definition, with
// one container's command overridden (shared/jobs). Their cron schedules
// live in the environment's EventBridge Scheduler schedule group, a
// resource of the runtime group (KindScheduleGroup), so that deleting the
// group at teardown deletes every schedule in it.

// TaskRun is one job's task.
type TaskRun struct {
	TaskDefinitionARN string
	// Container is the container whose command is overridden.
	Container string
	// Command is the exec form; a shell command is ["sh", "-c", command].
	Command []string
	// SecurityGroupID is the environment service's security group.
	SecurityGroupID string
	// ClientToken makes a retried RunTask start no second task (ECS
	// clientToken: at most 64 characters).
	ClientToken string
	// StartedBy marks the task as Berth's (ECS startedBy: at most 36 characters).
	StartedBy string
	Tags      Tags
}

// Task statuses, as ECS names a task's lastStatus; a task may pass
// through others (ACTIVATING, DEPROVISIONING, ...), which adapters report
// as they are.
const (
	TaskProvisioning = "PROVISIONING"
	TaskPending      = "PENDING"
	TaskRunning      = "RUNNING"
	TaskStopped      = "STOPPED"
)

// Task is a job's task as the provider reports it.
type Task struct {
	ARN    string
	Status string
	// StartedAt is when its containers started; zero before.
	StartedAt time.Time
	// StoppedAt is when it stopped; zero before.
	StoppedAt time.Time
	// ExitCode is the target container's, once it has exited; nil when it
	// never ran (the task failed to start) or has not stopped.
	ExitCode      *int
	StoppedReason string
	// StopCode is ECS's: EssentialContainerExited, UserInitiated,
	// TaskFailedToStart, ...
	StopCode string
	// LogGroup and LogStream are where the target container logs; LogLines
	// reads them.
	LogGroup, LogStream string
	// Expected is how long such a task usually takes to start.
	Expected time.Duration
}

// Stopped reports whether the task has stopped.
func (t Task) Stopped() bool { return t.Status == TaskStopped }

// ScheduleGroupSpec is an environment's schedule group.
type ScheduleGroupSpec struct {
	Name string
	Tags Tags
}

// Tasks is what the run-job workflow asks of a cloud.
type Tasks interface {
	// RunTask starts the task; a retry with the same ClientToken returns
	// the task the first call started.
	RunTask(ctx context.Context, spec TaskRun) (Task, error)
	// DescribeTask reports the task, and the exit code of container.
	DescribeTask(ctx context.Context, arn, container string) (Task, error)
	// StopTask stops the task with reason; stopping a stopped task is harmless.
	StopTask(ctx context.Context, arn, reason string) error
}

// MaxOutputLines bounds the output a job keeps: its last lines.
const MaxOutputLines = 500
