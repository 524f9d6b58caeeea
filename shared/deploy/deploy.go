// Package deploy holds what happens to an environment after it is created:
// releases (immutable, numbered versions of what runs), deployments (the
// rollouts of a release, and stop, start and redeploy), and the rules for
// making them. The deploy-environment workflow rolls a deployment out
// (shared/provision); the API starts it here.
package deploy

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/compose"
)

// Release is one version of what an environment runs. It never changes
// once made, except that the deployment that first rolls it out records
// the task definition it registered.
type Release struct {
	Number  int
	Compose compose.Definition
	// Digest is the SHA-256 of the compose definition's JSON.
	Digest string
	// Images are the image references the release runs, one per container.
	Images []string
	// Cause is the operation that made it: see the Cause constants.
	Cause     string
	CreatedBy string
	CreatedAt time.Time
	// TaskDefinitionARN is the task definition registered for it, once one is.
	TaskDefinitionARN string
	// Variables and Secrets are the environment's configuration the
	// release runs (shared/configuration): secrets by pinned version.
	Variables []compose.EnvVar
	Secrets   []apps.SecretVariable
}

// Causes of a release.
const (
	CauseCreate    = "createEnvironment"       // release 1: what provisioning deployed
	CauseReplace   = "updateEnvironment"       // PUT environment
	CausePatch     = "patchEnvironmentCompose" // PATCH compose
	CauseContainer = "updateContainer"         // PUT containers/{container}
	CauseRedeploy  = "redeploy"                // redeploy with an imageTag
	CauseRollback  = "rollback"                // rollback to an earlier release
	CauseVariables = "variables"               // PUT or DELETE of variables
	CauseSecrets   = "secrets"                 // PUT or DELETE of a secret
	CauseDialect   = "dialect"                 // another dialect's update of an app
)

// Action is what a deployment does.
type Action string

// Actions. ActionDeploy rolls out a new release; the state actions act on
// the serving one.
const (
	ActionDeploy   Action = "deploy"
	ActionStart    Action = "start"
	ActionStop     Action = "stop"
	ActionRedeploy Action = "redeploy"
	ActionRollback Action = "rollback"
)

// StateActions are the actions PUT .../state accepts.
var StateActions = []Action{ActionStart, ActionStop, ActionRedeploy}

// Status is where a deployment is.
type Status string

// Deployment statuses.
const (
	StatusInProgress Status = "IN_PROGRESS"
	StatusSucceeded  Status = "SUCCEEDED"
	StatusFailed     Status = "FAILED"
)

// Deployment is one rollout of a release on an environment.
type Deployment struct {
	Number int
	Action Action
	// Release is rolled out; PreviousRelease served before, and serves
	// again when the deployment fails.
	Release         int
	PreviousRelease int
	DesiredCount    int
	Status          Status
	// FailureType and FailureReason say why it failed; LogLines are the
	// failed container's last lines.
	FailureType   string
	FailureReason string
	LogLines      []string
	// LogGroup and LogStream are where the failed container logged; the
	// workflow reads LogLines from them after the health gate.
	LogGroup, LogStream string
	// RolledBack reports that the service was put back on PreviousRelease.
	RolledBack bool
	// CancelRequested is set by a DELETE of the deployment; the workflow
	// stops at its next step and rolls back.
	CancelRequested bool
	Execution       string
	CreatedBy       string
	CreatedAt       time.Time
	FinishedAt      time.Time
}

// Digest is the SHA-256, in hex, of d's JSON: equal definitions have equal digests.
func Digest(d compose.Definition) string {
	doc, _ := json.Marshal(d) // a Definition always encodes
	sum := sha256.Sum256(doc)
	return hex.EncodeToString(sum[:])
}

// Images lists the image of each container, in order.
func Images(d compose.Definition) []string {
	out := make([]string, 0, len(d.Containers))
	for _, c := range d.Containers {
		if c.ImageReference != nil {
			out = append(out, c.ImageReference.Identifier)
		}
	}
	return out
}

// NewRelease makes release n of d.
func NewRelease(n int, d compose.Definition, cause, by string, at time.Time) Release {
	return Release{Number: n, Compose: d, Digest: Digest(d), Images: Images(d), Cause: cause, CreatedBy: by, CreatedAt: at}
}

// Retag sets the tag of every container's image: an internal image's
// identifier is its tag; an external image keeps its repository.
func Retag(d *compose.Definition, tag string) {
	for i := range d.Containers {
		ref := d.Containers[i].ImageReference
		if ref == nil {
			continue
		}
		if ref.Type == compose.ImageInternal {
			ref.Identifier = tag
			continue
		}
		repo := ref.Identifier
		if at := strings.Index(repo, "@"); at >= 0 {
			repo = repo[:at]
		}
		if i := strings.LastIndex(repo, ":"); i >= 0 && !strings.Contains(repo[i:], "/") {
			repo = repo[:i]
		}
		ref.Identifier = repo + ":" + tag
	}
}

// ExecutionName is the deploy-environment execution of deployment n of
// the environment whose uid is envUID: deterministic, so a retried start
// cannot roll it out twice.
func ExecutionName(envUID string, n int) string {
	return "deploy-environment-" + envUID + "-" + strconv.Itoa(n)
}
