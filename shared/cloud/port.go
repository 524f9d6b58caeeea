package cloud

import (
	"context"
	"errors"
	"time"
)

// Kind is a kind of resource Berth creates for a tenant.
type Kind string

// Kinds, in creation order: a resource may depend only on kinds before it,
// so deleting in reverse order never deletes something still in use.
const (
	KindDatabase       Kind = "database"        // RDS DB instance
	KindFilesystem     Kind = "filesystem"      // EFS filesystem with a mount target per subnet
	KindRepository     Kind = "repository"      // ECR repository
	KindLogGroup       Kind = "log-group"       // CloudWatch Logs group per environment
	KindSecret         Kind = "secret"          // Secrets Manager app-secrets per environment
	KindAccessPoint    Kind = "access-point"    // EFS access point per environment
	KindSecurityGroup  Kind = "security-group"  // the service's security group
	KindTargetGroup    Kind = "target-group"    // ALB target group
	KindListenerRule   Kind = "listener-rule"   // rules on the shared ALB listener
	KindTaskDefinition Kind = "task-definition" // one ECS task definition revision
	KindService        Kind = "service"         // ECS service
	KindScaling        Kind = "scaling"         // Application Auto Scaling target and policy
	// KindScheduleGroup is the environment's EventBridge Scheduler group
	// (runtime group): deleting it deletes its cron jobs' schedules. Within
	// its group it goes first, so no schedule fires on a half-deleted runtime.
	KindScheduleGroup Kind = "schedule-group"
)

// Kinds lists every kind in creation order.
var Kinds = []Kind{KindDatabase, KindFilesystem, KindRepository, KindLogGroup, KindSecret, KindAccessPoint,
	KindSecurityGroup, KindTargetGroup, KindListenerRule, KindTaskDefinition, KindService, KindScaling, KindScheduleGroup}

// Rank is k's place in Kinds; deletes go from the highest rank down.
func (k Kind) Rank() int {
	for i, c := range Kinds {
		if c == k {
			return i
		}
	}
	return len(Kinds)
}

// Ref identifies a resource Berth created: enough to describe and delete it.
type Ref struct {
	Kind Kind `json:"kind"`
	// Name is Berth's deterministic name for it (see names.go).
	Name string `json:"name"`
	// ID is the provider's identifier (an ARN or an id), once known.
	ID string `json:"id,omitempty"`
}

// State is where a resource is in its life.
type State string

// States.
const (
	StateCreating  State = "CREATING"
	StateAvailable State = "AVAILABLE"
	StateDeleting  State = "DELETING"
	StateFailed    State = "FAILED"
)

// Resource is a resource as the cloud reports it.
type Resource struct {
	Ref
	State State `json:"state"`
	// Reason says why a resource is FAILED, in the provider's words.
	Reason string `json:"reason,omitempty"`
	// Outputs are what Berth records about it: see the Output keys.
	Outputs map[string]string `json:"outputs,omitempty"`
	// Expected is how long the provider usually takes to make a resource
	// of this kind available; workflows wait about this long first.
	Expected time.Duration `json:"-"`
}

// Output keys a Resource may carry.
const (
	OutEndpoint      = "endpoint"      // database host
	OutPort          = "port"          // database port
	OutSecretARN     = "secretArn"     // the RDS-managed master user secret
	OutRepositoryURI = "repositoryUri" // ECR repository URI
	OutARN           = "arn"
	OutHost          = "host"         // listener rule host name
	OutRunning       = "runningCount" // service tasks running
	OutDesired       = "desiredCount" // service tasks wanted
	OutRollout       = "rolloutState" // service deployment rollout state
	OutRevision      = "revision"     // task definition revision
	// OutRelease is a task definition revision's TagRelease: the release
	// it was registered for, if a deployment registered it.
	OutRelease = "release"
	// OutTaskDefinition is the task definition a service's running tasks serve.
	OutTaskDefinition = "taskDefinition"
)

// Errors every adapter returns, wrapped with the provider's own error.
var (
	// ErrNotFound: the resource does not exist (Describe only; Delete treats it as gone).
	ErrNotFound = errors.New("not found")
	// ErrInvalid: the provider refused the request as invalid; retrying cannot help.
	ErrInvalid = errors.New("invalid request")
	// ErrQuota: an account quota or limit was hit.
	ErrQuota = errors.New("quota exceeded")
	// ErrConflict: the name or host belongs to another owner's resource,
	// which Berth never takes over; retrying cannot help.
	ErrConflict = errors.New("conflict")
	// ErrUnavailable: the provider throttled the call, failed on its side
	// (5xx) or did not answer (a reset connection, a timeout) after the
	// SDK's own retries; the same call, repeated later, may succeed. Every
	// call Berth makes is safe to repeat (deterministic names, client
	// tokens), so workflows retry it (Berth.CloudUnavailable).
	ErrUnavailable = errors.New("unavailable")
)

// Cloud is what the provisioning steps ask of a cloud. Every Create is
// idempotent: resources have deterministic names and client tokens, and
// when the resource exists already the adapter reads and returns it. A
// Create returns as soon as the provider has accepted the request; Check
// then reports (and advances) the resource until it is AVAILABLE.
type Cloud interface {
	CreateDatabase(ctx context.Context, spec DatabaseSpec) (Resource, error)
	CreateFilesystem(ctx context.Context, spec FilesystemSpec) (Resource, error)
	CreateRepository(ctx context.Context, spec RepositorySpec) (Resource, error)
	CreateLogGroup(ctx context.Context, spec LogGroupSpec) (Resource, error)
	CreateSecret(ctx context.Context, spec SecretSpec) (Resource, error)
	CreateAccessPoint(ctx context.Context, spec AccessPointSpec) (Resource, error)
	CreateSecurityGroup(ctx context.Context, spec SecurityGroupSpec) (Resource, error)
	CreateTargetGroup(ctx context.Context, spec TargetGroupSpec) (Resource, error)
	CreateListenerRule(ctx context.Context, spec ListenerRuleSpec) (Resource, error)
	RegisterTaskDefinition(ctx context.Context, spec TaskSpec) (Resource, error)
	CreateService(ctx context.Context, spec ServiceSpec) (Resource, error)
	RegisterScaling(ctx context.Context, spec ScalingSpec) (Resource, error)
	CreateScheduleGroup(ctx context.Context, spec ScheduleGroupSpec) (Resource, error)

	// UpdateService rolls the service out to a task definition and desired
	// count: a rolling deployment that keeps every running task until its
	// replacement is healthy. Repeating the same update is harmless.
	UpdateService(ctx context.Context, spec ServiceUpdate) (Resource, error)
	// Rollout reports how the service's deployment of a task definition is
	// going. It reports RolloutFailed at the first conclusive failure (a
	// task of that revision stopped: an essential container exited or
	// failed its health check), not when a timeout runs out.
	Rollout(ctx context.Context, service, taskDefinitionARN string) (Rollout, error)
	// LogLines are the last lines (at most limit) of a log stream, oldest
	// first: a failed container's, from its TaskFailure, or a job's.
	LogLines(ctx context.Context, group, stream string, limit int) ([]string, error)

	// Tasks run jobs: one-off tasks of an environment's task definition.
	Tasks

	// Check reports a resource's state. For a filesystem it also creates
	// the mount targets once the filesystem is available, and reports
	// AVAILABLE only when they are. ErrNotFound when it does not exist.
	Check(ctx context.Context, ref Ref) (Resource, error)
	// Delete deletes a resource, or moves its deletion on (a filesystem's
	// mount targets go first), and reports whether it is gone. It is safe to
	// repeat; a resource that does not exist is gone.
	Delete(ctx context.Context, ref Ref, opts DeleteOptions) (gone bool, err error)
}

// DeleteOptions tune a Delete.
type DeleteOptions struct {
	// FinalSnapshot names the snapshot taken of a database before it is
	// deleted; empty deletes it without one (a database that never held data).
	FinalSnapshot string
}

// Tags mark every resource Berth creates; IAM policies scope the step
// functions to resources that carry ManagedTag.
type Tags map[string]string

// Tag keys.
const (
	ManagedTag      = "berth:managed" // value "true"
	TagOrganisation = "berth:organisation"
	TagApplication  = "berth:application"
	TagEnvironment  = "berth:environment"
	TagUID          = "berth:uid"
	// TagRelease marks a deployment's task definition revision with the
	// number of the release it runs, so that a registration whose answer
	// was lost is found and adopted (OutRelease).
	TagRelease = "berth:release"
)

// DatabaseSpec is an RDS instance. The master password is generated and
// kept by RDS in Secrets Manager (ManageMasterUserPassword); Berth never sees it.
type DatabaseSpec struct {
	Identifier    string
	Engine        string // mysql or postgres
	EngineVersion string // "8.4" for mysql; empty takes the engine's default
	InstanceClass string
	StorageGB     int
	MultiAZ       bool
	DatabaseName  string
	Tags          Tags
}

// FilesystemSpec is an encrypted EFS filesystem.
type FilesystemSpec struct {
	Name          string
	CreationToken string
	Tags          Tags
}

// RepositorySpec is an ECR repository for internal images.
type RepositorySpec struct {
	Name string
	Tags Tags
}

// LogGroupSpec is an environment's log group.
type LogGroupSpec struct {
	Name          string
	RetentionDays int
	Tags          Tags
}

// SecretSpec is an environment's app-secrets secret, created holding "{}".
type SecretSpec struct {
	Name        string
	Description string
	Tags        Tags
}

// AccessPointSpec is an environment's view of the application's filesystem.
type AccessPointSpec struct {
	Name          string
	FilesystemID  string
	ClientToken   string
	RootDirectory string // "/<environment>"
	Tags          Tags
}

// SecurityGroupSpec is a service's security group; it admits Ports from
// the shared load balancer's security group only.
type SecurityGroupSpec struct {
	Name        string
	Description string
	Ports       []int
	Tags        Tags
}

// TargetGroupSpec is an ALB target group of IP targets (awsvpc tasks).
type TargetGroupSpec struct {
	Name string // at most 32 characters
	Port int
	Tags Tags
}

// ListenerRuleSpec forwards a host name on the shared listener to a target group.
type ListenerRuleSpec struct {
	Name           string
	Host           string
	TargetGroupARN string
	// OriginHeader, when set, must be present with its value for the
	// request to be forwarded; requests to Host without it get 403.
	OriginHeader *Header
	Tags         Tags
}

// Header is an HTTP header name and value.
type Header struct {
	Name  string
	Value string
}

// ServiceSpec is an ECS Fargate service on the platform's cluster.
type ServiceSpec struct {
	Name              string
	TaskDefinitionARN string
	DesiredCount      int
	SecurityGroupID   string
	// TargetGroupARN, ContainerName and ContainerPort put the service behind
	// the load balancer; empty when no container exposes a port.
	TargetGroupARN string
	ContainerName  string
	ContainerPort  int
	// ClientToken makes a retried create return the same service.
	ClientToken string
	Tags        Tags
}

// ScalingSpec registers a service with Application Auto Scaling, tracking CPU.
type ScalingSpec struct {
	ServiceName string
	Min, Max    int
	// TargetCPUPercent puts the CPU policy at that target; 0 changes the
	// bounds only, leaving the policies as they are (a deployment must
	// not undo a target set through the scaling-policy API).
	TargetCPUPercent float64
	// Tags go on the scalable target when it is registered; nil (a
	// deployment changing the bounds) leaves its tags as they are.
	Tags Tags
}

// ServiceUpdate is a new deployment of an existing service.
type ServiceUpdate struct {
	Name              string
	TaskDefinitionARN string
	DesiredCount      int
	// KeepCount leaves the task count as it is, ignoring DesiredCount: a
	// redeploy must not undo what Application Auto Scaling has scaled to.
	KeepCount bool
}

// RolloutState is where a deployment of a task definition is.
type RolloutState string

// Rollout states.
const (
	RolloutInProgress RolloutState = "IN_PROGRESS"
	RolloutCompleted  RolloutState = "COMPLETED"
	RolloutFailed     RolloutState = "FAILED"
)

// Rollout is a deployment of a task definition on a service.
type Rollout struct {
	State   RolloutState
	Running int
	Desired int
	// Failure is the first task of the revision that stopped, when State
	// is RolloutFailed.
	Failure *TaskFailure
	// Expected is how long such a rollout usually takes.
	Expected time.Duration
}

// Failure types, as the environment shows them (deploymentFailureType).
const (
	FailureContainerExited   = "ContainerExited"
	FailureHealthCheckFailed = "HealthCheckFailed"
	FailureTaskFailedToStart = "TaskFailedToStart"
	FailureCircuitBreaker    = "CircuitBreaker"
)

// TaskFailure is why a task of a rollout stopped, in the provider's words,
// and where its failed container logged.
type TaskFailure struct {
	Type          string
	TaskID        string
	Container     string
	ExitCode      *int
	StoppedReason string
	// LogGroup and LogStream are where the container's lines are, when it
	// logs to the provider; LogLines reads them.
	LogGroup, LogStream string
}

// MaxFailureLogLines bounds what LogLines answers.
const MaxFailureLogLines = 20
