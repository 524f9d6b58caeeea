package apps

import (
	"context"
	"strconv"
)

// Workflow names one of Berth's long-running workflows.
type Workflow string

// Workflows the API starts.
const (
	ProvisionApplication Workflow = "provision-application"
	TeardownApplication  Workflow = "teardown-application"
	ProvisionEnvironment Workflow = "provision-environment"
	TeardownEnvironment  Workflow = "teardown-environment"
	// DeployEnvironment rolls out one deployment (shared/deploy).
	DeployEnvironment Workflow = "deploy-environment"
	// RunJob runs one command or cron job firing (shared/jobs).
	RunJob Workflow = "run-job"
	// DataOperation runs one backup, restore or sync (shared/data).
	DataOperation Workflow = "data-operation"
)

// Workflows lists every workflow, for wiring.
var Workflows = []Workflow{ProvisionApplication, TeardownApplication, ProvisionEnvironment, TeardownEnvironment, DeployEnvironment, RunJob, DataOperation}

// Execution is one run of a workflow. Name is deterministic for the record
// and the operation, so a retried start cannot run the operation twice.
type Execution struct {
	Workflow Workflow       `json:"workflow"`
	Name     string         `json:"name"`
	Input    ExecutionInput `json:"input"`
}

// ExecutionInput is what every workflow receives.
type ExecutionInput struct {
	Organisation string `json:"organisation"`
	Application  string `json:"application"`
	Environment  string `json:"environment,omitempty"`
	UID          string `json:"uid"`
	// Deployment is the number of the deployment a deploy-environment rolls out.
	Deployment int `json:"deployment,omitempty"`
	// Run is the command a run-job runs; Cron the cron job, with the
	// firing's ScheduledTime (RFC 3339), when a schedule started it.
	Run           string `json:"run,omitempty"`
	Cron          string `json:"cron,omitempty"`
	ScheduledTime string `json:"scheduledTime,omitempty"`
	// Data is the operation a data-operation runs: "<type>/<kind>/<id>"
	// (data.Ref).
	Data string `json:"data,omitempty"`
}

// WorkflowStarter starts workflow executions. Starting an execution whose
// name has been started before with the same input succeeds.
type WorkflowStarter interface {
	Start(ctx context.Context, e Execution) error
}

func executionName(w Workflow, uid string) string {
	return string(w) + "-" + uid
}

// teardownName adds the record's version at the time it was marked
// DELETING: a repeated DELETE finds the same name, while a DELETE after a
// failed teardown starts a new execution.
func teardownName(w Workflow, uid string, version int64) string {
	return executionName(w, uid) + "-" + strconv.FormatInt(version, 10)
}

// ExecutionName is the name the API gives a provisioning execution of the
// record uid; the reconciler re-drives under the same rule.
func ExecutionName(w Workflow, uid string) string { return executionName(w, uid) }

// TeardownName is the name a DELETE gives a teardown of the record uid at
// version; the reconciler re-drives under the same rule.
func TeardownName(w Workflow, uid string, version int64) string { return teardownName(w, uid, version) }
