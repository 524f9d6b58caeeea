// Package provision holds the steps of Berth's workflows: what each Task
// state of statemachines/*.asl.json does. Every step is a plain function
// of its input; functions/step-*/main.go serve them in Lambda, and the local
// stack serves the same functions behind a local Lambda endpoint.
//
// A step reads the records, asks the cloud port for something, and writes
// what happened to the records (progress, resources, outputs) in
// conditional updates keyed on the record's uid. Steps are safe to repeat:
// resources have deterministic names, so a retried create finds what the
// first attempt made.
package provision

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/cloud"
)

// Platform is what the steps need to know of the platform the tenants run on.
type Platform struct {
	// Cloud is "aws" or "sandbox"; records say which made their resources.
	Cloud            string
	Region           string
	Domain           string // environments answer at hosts under it (cloud.Names.Host)
	ExecutionRoleARN string
	// TaskRoleARN is the task role of tasks whose compose definition names
	// none; "" leaves them without one.
	TaskRoleARN      string
	VPC              string
	Subnets          []string
	Cluster          string
	LogRetentionDays int
	// CleanupWait is how long teardown waits between rounds of deletes.
	CleanupWait time.Duration
	// HeartbeatTimeout is how long a provisioning or deploy run may go
	// without a heartbeat before teardown takes it for dead and takes over;
	// DefaultHeartbeatTimeout when zero.
	HeartbeatTimeout time.Duration
	// DataImage is the image of data tasks (images/berth-data): dumps,
	// restores and archives of environments' data.
	DataImage string
	// DataTaskRoleARN is data tasks' task role: it may read and write the
	// backups bucket, and nothing of tenants' own.
	DataTaskRoleARN string
}

// Steps runs workflow steps.
type Steps struct {
	Store    apps.ProvisionStore
	Rollouts RolloutStore
	Jobs     JobStore
	Data     DataStore
	Cloud    cloud.Cloud
	Platform Platform
	Now      func() time.Time
}

// Input is what every Task state passes its step.
type Input struct {
	// Execution is the workflow's input, as the API started it.
	Execution apps.ExecutionInput `json:"execution"`
	Workflow  apps.Workflow       `json:"workflow"`
	// ExecutionName is the execution's (deterministic) name.
	ExecutionName string `json:"executionName"`
	// Action is what a cloud step does for Group.
	Action Action `json:"action,omitempty"`
	// Group names what a cloud step works on.
	Group Group `json:"group,omitempty"`
	// Loop is the previous round of a wait loop.
	Loop *Loop `json:"loop,omitempty"`
	// Outcome is what finish records.
	Outcome Outcome `json:"outcome,omitempty"`
	// Error is what a Catch caught: {"Error": name, "Cause": text}.
	Error *Caught `json:"error,omitempty"`
	// CleanupError is what compensation itself failed with, if it did.
	CleanupError *Caught `json:"cleanupError,omitempty"`
}

// Group is a set of resources created together.
type Group string

// Groups. The application's come first; network and service belong to an environment.
const (
	GroupDatabase   Group = "database"
	GroupFilesystem Group = "filesystem"
	GroupRepository Group = "repository"
	GroupNetwork    Group = "network"
	// GroupRuntime is what an environment's containers run with: their
	// log group, app-secrets secret and view of the filesystem.
	GroupRuntime Group = "runtime"
	GroupService Group = "service"
	// GroupScaling is the service's Application Auto Scaling target; its
	// step shows as part of the service's.
	GroupScaling Group = "scaling"
	// GroupCleanup is the step that deletes resources, for teardown and compensation.
	GroupCleanup Group = "cleanup"
)

// Outcome is how an operation ended.
type Outcome string

// Outcomes.
const (
	OutcomeActive  Outcome = "active"
	OutcomeFailed  Outcome = "failed"
	OutcomeDeleted Outcome = "deleted"
	// OutcomeEnded: a job's task ran to its end, whatever its exit code.
	OutcomeEnded Outcome = "ended"
)

// Caught is the error object a Catch puts at its ResultPath.
type Caught struct {
	Error string `json:"Error"`
	Cause string `json:"Cause"`
}

// Loop is the state of a wait loop: whether the resources are ready, how
// long to wait before looking again, and when to give up.
type Loop struct {
	Ready bool `json:"ready"`
	// Group is, in a cleanup loop, the group whose resources go next.
	Group       Group     `json:"group,omitempty"`
	WaitSeconds int       `json:"waitSeconds"`
	Round       int       `json:"round"`
	Deadline    time.Time `json:"deadline"`
	// Expected is how long the resource usually takes, in seconds.
	Expected int `json:"expected"`
	// StopTarget: a sync's backup is taken, and its target's service is to
	// be stopped before the restore starts (data-operation only).
	StopTarget bool `json:"stopTarget,omitempty"`
}

// ProgressGroups are the step names progress may show (docs/openapi.yaml's
// ProgressStep.name lists the same).
var ProgressGroups = []Group{GroupDatabase, GroupFilesystem, GroupRepository, GroupNetwork, GroupRuntime, GroupService, GroupRollout, GroupCleanup}

// Action is what a cloud step is asked to do.
type Action string

// Actions.
const (
	ActionCreate  Action = "create"
	ActionCheck   Action = "check"
	ActionCleanup Action = "cleanup"
	// ActionLogs reads a failed deployment's container lines.
	ActionLogs Action = "logs"
)

// Error names a step can fail with; the state machines Catch (and for
// ErrApplicationNotReady, Retry) by them.
const (
	ErrTimeout             = "Berth.Timeout"
	ErrResourceFailed      = "Berth.ResourceFailed"
	ErrStale               = "Berth.Stale"
	ErrApplicationNotReady = "Berth.ApplicationNotReady"
	ErrApplicationFailed   = "Berth.ApplicationFailed"
	ErrInvalid             = "Berth.Invalid"
	// ErrCancelled: a DELETE arrived while provisioning ran; it stops, compensates, and teardown takes over.
	ErrCancelled = "Berth.Cancelled"
	// ErrProvisioningRunning: teardown waits (by retrying) until a provisioning run has stopped.
	ErrProvisioningRunning = "Berth.ProvisioningRunning"
	ErrCloud               = "Berth.CloudError"
	// ErrCloudUnavailable: the cloud throttled, failed on its side or did
	// not answer, past the SDK's own retries (cloud.ErrUnavailable). Every
	// step is idempotent, so the state machines Retry it.
	ErrCloudUnavailable = "Berth.CloudUnavailable"
)

// fail builds a step error with a name the state machine sees as Error.
func fail(name, format string, args ...any) error {
	return messages.InvokeResponse_Error{Type: name, Message: fmt.Sprintf(format, args...)}
}

// cloudError names a cloud failure for the state machine; the message is
// the step and the provider's words, shown to users as the reason.
func cloudError(step string, err error) error {
	if err == nil {
		return nil
	}
	var named messages.InvokeResponse_Error
	if errors.As(err, &named) {
		return err
	}
	if errors.Is(err, apps.ErrConflict) {
		return fail(ErrStale, "%s: %v", step, err)
	}
	name := ErrCloud
	switch {
	case errors.Is(err, cloud.ErrInvalid) || errors.Is(err, cloud.ErrConflict):
		name = ErrInvalid
	case errors.Is(err, cloud.ErrUnavailable):
		name = ErrCloudUnavailable
	}
	return fail(name, "%s: %v", step, err)
}

// Deadlines bound every wait loop.
var deadlines = map[Group]time.Duration{
	GroupDatabase:   60 * time.Minute,
	GroupFilesystem: 20 * time.Minute,
	GroupService:    30 * time.Minute,
	GroupRollout:    30 * time.Minute,
	GroupCleanup:    90 * time.Minute,
	GroupData:       3 * time.Hour,
	GroupDataTarget: 30 * time.Minute,
}

// MinWait is the shortest wait between checks, in seconds.
const MinWait = 1

func (s *Steps) now() time.Time { return s.Now().UTC() }

// firstLoop starts a wait loop for a resource that usually takes expected.
func (s *Steps) firstLoop(g Group, expected time.Duration, ready bool) Loop {
	exp := int((expected + time.Second - 1) / time.Second)
	return Loop{Ready: ready, WaitSeconds: max(exp, MinWait), Expected: exp, Deadline: s.now().Add(deadlines[g])}
}

// nextLoop waits less after the first, expected-length wait, then longer
// each round: a resource that was not ready near its usual time is usually
// close.
func (s *Steps) nextLoop(g Group, prev *Loop, ready bool, what string) (Loop, error) {
	if prev == nil {
		prev = &Loop{Deadline: s.now().Add(deadlines[g])}
	}
	next := *prev
	next.Ready, next.Round = ready, prev.Round+1
	if ready {
		return next, nil
	}
	if s.now().After(prev.Deadline) {
		return Loop{}, fail(ErrTimeout, "%s did not finish within %s", what, deadlines[g])
	}
	base := max(prev.Expected/5, MinWait)
	grow := base
	for i := 1; i < next.Round; i++ {
		grow = grow * 3 / 2
	}
	next.WaitSeconds = min(max(grow, MinWait), max(prev.Expected, 300))
	return next, nil
}

// records loads the application and its environments, and checks that the
// execution is for them.
type records struct {
	app  apps.Application
	envs []apps.Environment
}

func (r records) env(name string) (apps.Environment, bool) {
	for _, e := range r.envs {
		if e.Name == name {
			return e, true
		}
	}
	return apps.Environment{}, false
}

func (s *Steps) load(ctx context.Context, in Input) (records, error) {
	app, envs, err := s.Store.GetApplication(ctx, in.Execution.Organisation, in.Execution.Application)
	if err != nil {
		return records{}, err
	}
	return records{app: app, envs: envs}, nil
}

// appTarget is the application record of the execution.
func (in Input) appTarget(r records) apps.Target {
	return apps.Target{Organisation: r.app.Organisation, Application: r.app.Name, UID: r.app.UID}
}

func envTarget(e apps.Environment) apps.Target {
	return apps.Target{Organisation: e.Organisation, Application: e.Application, Environment: e.Name, UID: e.UID}
}

// appOperation reports whether the workflow works on a whole application.
func (in Input) appOperation() bool {
	return in.Workflow == apps.ProvisionApplication || in.Workflow == apps.TeardownApplication
}

// targets are the records the execution owns, verified by uid: the
// application (with, for application workflows, its production environment
// or every environment) or the one environment. Empty when the records
// were replaced or removed: then the execution owns nothing.
func (in Input) targets(r records) []apps.Target {
	switch in.Workflow {
	case apps.ProvisionApplication:
		if r.app.UID != in.Execution.UID {
			return nil
		}
		out := []apps.Target{in.appTarget(r)}
		if e, ok := r.env(r.app.First()); ok {
			out = append(out, envTarget(e))
		}
		return out
	case apps.TeardownApplication:
		if r.app.UID != in.Execution.UID {
			return nil
		}
		out := []apps.Target{in.appTarget(r)}
		for _, e := range r.envs {
			out = append(out, envTarget(e))
		}
		return out
	default:
		e, ok := r.env(in.Execution.Environment)
		if !ok || e.UID != in.Execution.UID {
			return nil
		}
		return []apps.Target{envTarget(e)}
	}
}

// envOf is the environment an environment group works on.
func (in Input) envOf(r records) (apps.Environment, error) {
	name := in.Execution.Environment
	if in.Workflow == apps.ProvisionApplication {
		name = r.app.First()
	}
	e, ok := r.env(name)
	if !ok || (!in.appOperation() && e.UID != in.Execution.UID) {
		return apps.Environment{}, fail(ErrStale, "environment %q is no longer the one this workflow runs for", name)
	}
	return e, nil
}

// reason turns a caught error into the sentence a user reads.
func reason(c *Caught) string {
	if c == nil {
		return "the workflow failed"
	}
	msg := c.Cause
	var lambdaErr struct {
		ErrorMessage string `json:"errorMessage"`
	}
	if json.Unmarshal([]byte(c.Cause), &lambdaErr) == nil && lambdaErr.ErrorMessage != "" {
		msg = lambdaErr.ErrorMessage
	}
	msg = strings.TrimSpace(msg)
	if msg == "" {
		return c.Error
	}
	return c.Error + ": " + msg
}
