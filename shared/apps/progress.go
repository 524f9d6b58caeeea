package apps

import (
	"context"
	"time"

	"github.com/berth-dev/berth/shared/cloud"
)

// Progress is how far a record's current operation (a workflow execution)
// has got, step by step, so a client can draw a progress bar.
type Progress struct {
	Operation  Workflow
	Execution  string
	State      StepState
	StartedAt  time.Time
	FinishedAt time.Time
	// HeartbeatAt is when a step of the run last showed it is alive: every
	// step of a provisioning or deploy run stamps it (Change.Heartbeat), so
	// that teardown can tell a run that died from one that is slow.
	HeartbeatAt time.Time
	// Steps are the operation's steps in order.
	Steps []StepProgress
}

// LastSign is the last time the run showed it was alive: its heartbeat,
// or its start for a progress written before heartbeats were.
func (p Progress) LastSign() time.Time {
	if p.HeartbeatAt.IsZero() {
		return p.StartedAt
	}
	return p.HeartbeatAt
}

// Heartbeat names a run's progress as a reader saw it: its execution and
// its heartbeat (zero when it had none).
type Heartbeat struct {
	Execution string
	At        time.Time
}

// StepState is where a step (or an operation) is.
type StepState string

// Step states.
const (
	StepPending   StepState = "PENDING"
	StepRunning   StepState = "RUNNING"
	StepSucceeded StepState = "SUCCEEDED"
	StepSkipped   StepState = "SKIPPED"
	StepFailed    StepState = "FAILED"
)

// Done reports whether the step has finished, one way or another.
func (s StepState) Done() bool { return s == StepSucceeded || s == StepSkipped || s == StepFailed }

// StepProgress is one step of an operation.
type StepProgress struct {
	Name       string
	Order      int
	State      StepState
	Detail     string
	StartedAt  time.Time
	FinishedAt time.Time
}

// Percent is the share of the operation's steps that succeeded (or had
// nothing to do).
func (p Progress) Percent() int {
	if p.State == StepSucceeded {
		return 100
	}
	if len(p.Steps) == 0 {
		return 0
	}
	done := 0
	for _, s := range p.Steps {
		if s.State == StepSucceeded || s.State == StepSkipped {
			done++
		}
	}
	return done * 100 / len(p.Steps)
}

// Target names the record a workflow step acts on: an application, or one
// of its environments when Environment is set. UID must match the stored
// record, so that a workflow of a deleted record never touches the record
// that reused its name.
type Target struct {
	Organisation string `json:"organisation"`
	Application  string `json:"application"`
	Environment  string `json:"environment,omitempty"`
	UID          string `json:"uid"`
}

// Names are the cloud resource names of the target's record.
func (t Target) Names() cloud.Names {
	return cloud.Names{Organisation: t.Organisation, Application: t.Application, Environment: t.Environment, UID: t.UID}
}

// Change is what one workflow step writes to a record. Every part is
// optional; the store applies them in one conditional update that fails
// with ErrConflict when the record's uid is not the target's.
type Change struct {
	// Progress starts an operation: it replaces the record's progress.
	Progress *Progress
	// Step updates one step of the current operation.
	Step *StepProgress
	// Operation sets the state (and finish time) of the current operation.
	Operation *StepProgress
	// Add records resources the operation created; Remove forgets deleted ones.
	Add    []cloud.Ref
	Remove []cloud.Ref
	// Outputs sets what the cloud reported (see the Output keys).
	Outputs map[string]string
	// Status and Reason set the record's status, and why it FAILED.
	Status Status
	Reason *string
	// Deployment appends an entry to the application's deploymentInformation.
	Deployment *Deployment
	// IfStatus, when set, makes the change conditional on the record's
	// status too, so a workflow never overwrites a status another set.
	IfStatus Status
	// Heartbeat, when set, is the execution whose step writes the change:
	// it stamps Now as the progress's heartbeat, provided the progress is
	// still that execution's and RUNNING; otherwise the change fails with
	// ErrConflict.
	Heartbeat string
	// IfHeartbeat, when set, makes the change conditional on the record's
	// progress still being the one read: the same execution, with the same
	// heartbeat. A run that beats meanwhile wins over a takeover.
	IfHeartbeat *Heartbeat
	Now         time.Time
}

// OriginHeader is the header a CDN must send, with the environment's
// OutOriginHeaderValue, when a container has originProtection.
const OriginHeader = "X-Berth-Origin"

// Output keys kept on application and environment records.
const (
	OutDatabaseIdentifier = "databaseIdentifier"
	OutDatabaseEndpoint   = "databaseEndpoint"
	OutDatabasePort       = "databasePort"
	OutDatabaseSecretARN  = "databaseSecretArn"
	OutDatabaseStatus     = "databaseStatus"
	OutFilesystemID       = "filesystemId"
	OutRepositoryURI      = "repositoryUri"

	OutTaskDefinitionARN = "taskDefinitionArn"
	OutServiceARN        = "serviceArn"
	OutServiceName       = "serviceName"
	OutCluster           = "cluster"
	OutHost              = "host"
	OutTargetGroupARN    = "targetGroupArn"
	OutListenerRuleARN   = "listenerRuleArn"
	// OutOriginHeaderValue is the secret a CDN sends in the origin header
	// when a container has originProtection; random, one per environment.
	OutOriginHeaderValue = "originHeaderValue"
	OutSecurityGroupID   = "securityGroupId"
	OutSubnets           = "subnets" // comma-separated
	OutVPC               = "vpcId"
	OutAccessPointID     = "accessPointId"
	OutMountPath         = "mountPath"
	OutLogGroup          = "logGroup"
	OutSecretsARN        = "secretsArn"
	OutRunningCount      = "runningCount"
	OutDeploymentStatus  = "deploymentStatus"
	OutCloud             = "cloud" // "sandbox" when a sandbox made the resources
)

// ProvisionStore is what the workflow steps need of the store.
type ProvisionStore interface {
	GetApplication(ctx context.Context, org, name string) (Application, []Environment, error)
	// Apply writes c to the target's record, if its uid is the target's.
	Apply(ctx context.Context, t Target, c Change) error
	// RemoveRecords deletes the target's record (with every environment
	// record, for an application), if its uid is the target's.
	RemoveRecords(ctx context.Context, t Target) error
}
