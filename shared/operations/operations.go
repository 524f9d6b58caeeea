// Package operations shows the work Berth does in the background (each
// workflow run: a provisioning, a teardown, a deployment) as one resource a
// client can poll: GET /operations/{operation} gives its status, steps,
// progress and error, and DELETE cancels it where that is safe. Operations
// are not stored apart: an operation's id names the record it acts on, and
// its state is read from that record (and, for a deployment, its item).
package operations

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/deploy"
)

// Status is where an operation is.
type Status string

// Operation statuses.
const (
	StatusRunning   Status = "RUNNING"
	StatusSucceeded Status = "SUCCEEDED"
	StatusFailed    Status = "FAILED"
)

// ID names an operation: the workflow, the record it acts on (application,
// environment, and the record's uid, so that a record re-created under the
// same name has other operations) and, for a deployment, its number.
type ID struct {
	Workflow    apps.Workflow
	Application string
	Environment string
	UID         string
	Deployment  int
}

// String is the id as it appears in paths: its parts joined by '.', which
// no name or uid contains.
func (id ID) String() string {
	parts := []string{string(id.Workflow), id.Application}
	if id.Environment != "" {
		parts = append(parts, id.Environment)
	}
	parts = append(parts, id.UID)
	if id.Deployment > 0 {
		parts = append(parts, strconv.Itoa(id.Deployment))
	}
	return strings.Join(parts, ".")
}

// errMalformed is the rule a malformed id breaks.
var errMalformed = errors.New("must be an operation id as a Location header gave it, such as deploy-environment.my-app.production.<uid>.3")

// Parse reads an id from a path.
func Parse(s string) (ID, error) {
	parts := strings.Split(s, ".")
	if len(parts) < 3 {
		return ID{}, errMalformed
	}
	id := ID{Workflow: apps.Workflow(parts[0]), Application: parts[1]}
	want := 4
	switch id.Workflow {
	case apps.ProvisionApplication, apps.TeardownApplication:
		want = 3
		id.UID = parts[2]
	case apps.ProvisionEnvironment, apps.TeardownEnvironment:
		if len(parts) == 4 {
			id.Environment, id.UID = parts[2], parts[3]
		}
	case apps.DeployEnvironment:
		want = 5
		if len(parts) == 5 {
			id.Environment, id.UID = parts[2], parts[3]
			n, err := strconv.Atoi(parts[4])
			if err != nil || n < 1 || strconv.Itoa(n) != parts[4] {
				return ID{}, errMalformed
			}
			id.Deployment = n
		}
	default:
		return ID{}, errMalformed
	}
	if len(parts) != want || !apps.ValidName(id.Application) || (id.Environment == "" && want > 3) ||
		(id.Environment != "" && !apps.ValidName(id.Environment)) || !validUID(id.UID) {
		return ID{}, errMalformed
	}
	return id, nil
}

func validUID(s string) bool {
	if len(s) < 8 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z') {
			return false
		}
	}
	return true
}

// Of are the ids of the operations a record's workflows run.
func Of(w apps.Workflow, app, env, uid string) ID {
	return ID{Workflow: w, Application: app, Environment: env, UID: uid}
}

// OfDeployment is the id of deployment n of env.
func OfDeployment(env apps.Environment, n int) ID {
	return ID{Workflow: apps.DeployEnvironment, Application: env.Application, Environment: env.Name, UID: env.UID, Deployment: n}
}

// Operation is one workflow run as a client sees it.
type Operation struct {
	ID       ID
	Status   Status
	Percent  int
	Steps    []apps.StepProgress
	Error    string
	Started  time.Time
	Finished time.Time
	// Cancellable reports whether a DELETE may cancel it now.
	Cancellable bool
}

// Store is what operations read.
type Store interface {
	GetApplication(ctx context.Context, org, name string) (apps.Application, []apps.Environment, error)
	GetEnvironment(ctx context.Context, org, app, name string) (apps.Environment, error)
	GetDeployment(ctx context.Context, env apps.Environment, n int) (deploy.Deployment, error)
	ListDeployments(ctx context.Context, env apps.Environment, page apps.PageRequest) (apps.Page[deploy.Deployment], error)
}

// NewService reads operations from store; deployments cancel through d.
func NewService(store Store, d *deploy.Service) *Service {
	return &Service{Store: store, Deploy: d}
}

// Service reads and cancels operations.
type Service struct {
	Store  Store
	Deploy *deploy.Service
}

func notFound(id ID) error { return apps.NotFound("operation %q does not exist", id.String()) }

// Get reads an operation of org.
func (s *Service) Get(ctx context.Context, org string, id ID) (Operation, error) {
	if id.Workflow == apps.DeployEnvironment {
		env, err := s.Store.GetEnvironment(ctx, org, id.Application, id.Environment)
		if errors.Is(err, apps.ErrNotFound) || err == nil && env.UID != id.UID {
			return Operation{}, notFound(id)
		}
		if err != nil {
			return Operation{}, err
		}
		dep, err := s.Store.GetDeployment(ctx, env, id.Deployment)
		if errors.Is(err, apps.ErrNotFound) {
			return Operation{}, notFound(id)
		}
		if err != nil {
			return Operation{}, err
		}
		return ofDeployment(env, dep), nil
	}
	app, envs, err := s.Store.GetApplication(ctx, org, id.Application)
	if err != nil && !errors.Is(err, apps.ErrNotFound) {
		return Operation{}, err
	}
	uid, progress, status, reason, found := app.UID, app.Progress, app.Status, app.Reason, err == nil
	if id.Environment != "" {
		found = false
		for _, e := range envs {
			if e.Name == id.Environment {
				uid, progress, status, reason, found = e.UID, e.Progress, e.Status, e.Reason, true
			}
		}
	}
	teardown := id.Workflow == apps.TeardownApplication || id.Workflow == apps.TeardownEnvironment
	switch {
	case (!found || uid != id.UID) && teardown:
		// The record is gone: teardown removes it last.
		return Operation{ID: id, Status: StatusSucceeded, Percent: 100}, nil
	case !found || uid != id.UID:
		return Operation{}, notFound(id)
	case progress != nil && progress.Operation == id.Workflow:
		return ofProgress(id, *progress, reason), nil
	case teardown && status == apps.StatusDeleting:
		return Operation{ID: id, Status: StatusRunning}, nil
	case teardown:
		return Operation{}, notFound(id)
	case status == apps.StatusCreating:
		return Operation{ID: id, Status: StatusRunning}, nil
	case status == apps.StatusFailed:
		return Operation{ID: id, Status: StatusFailed, Error: reason}, nil
	default:
		// A later operation's progress replaced this one's: it ended well.
		return Operation{ID: id, Status: StatusSucceeded, Percent: 100}, nil
	}
}

func ofProgress(id ID, p apps.Progress, reason string) Operation {
	op := Operation{ID: id, Percent: p.Percent(), Steps: p.Steps, Started: p.StartedAt, Finished: p.FinishedAt}
	switch p.State {
	case apps.StepSucceeded:
		op.Status = StatusSucceeded
	case apps.StepFailed:
		op.Status, op.Error = StatusFailed, reason
	default:
		op.Status = StatusRunning
	}
	return op
}

func ofDeployment(env apps.Environment, dep deploy.Deployment) Operation {
	op := Operation{ID: OfDeployment(env, dep.Number), Started: dep.CreatedAt, Finished: dep.FinishedAt}
	switch dep.Status {
	case deploy.StatusSucceeded:
		op.Status, op.Percent = StatusSucceeded, 100
	case deploy.StatusFailed:
		op.Status, op.Error = StatusFailed, strings.TrimSpace(dep.FailureType+": "+dep.FailureReason)
	default:
		op.Status, op.Cancellable = StatusRunning, !dep.CancelRequested
	}
	if p := env.Progress; p != nil && p.Execution == dep.Execution {
		op.Steps, op.Percent = p.Steps, max(op.Percent, p.Percent())
	}
	return op
}

// Cancel asks a running operation to stop, where that is safe: a
// deployment rolls back. Provisioning is cancelled by deleting the record,
// and a teardown cannot be.
func (s *Service) Cancel(ctx context.Context, org string, id ID) (Operation, error) {
	if id.Workflow != apps.DeployEnvironment {
		return Operation{}, apps.Conflict("a %s cannot be cancelled: delete the record to stop a provisioning; a teardown always finishes", id.Workflow)
	}
	dep, env, err := s.Deploy.Cancel(ctx, org, id.Application, id.Environment, id.Deployment, id.UID)
	if errors.Is(err, apps.ErrNotFound) {
		return Operation{}, notFound(id)
	}
	if err != nil {
		return Operation{}, err
	}
	return ofDeployment(env, dep), nil
}

// MaxListed bounds the deployments an environment's list shows.
const MaxListed = 20

// List is an environment's operations, newest first: its latest
// deployments and its provisioning (or teardown).
func (s *Service) List(ctx context.Context, org, app, name string) ([]Operation, error) {
	env, err := s.Store.GetEnvironment(ctx, org, app, name)
	if err != nil {
		return nil, err
	}
	page, err := s.Store.ListDeployments(ctx, env, apps.PageRequest{Limit: MaxListed})
	if err != nil {
		return nil, err
	}
	out := make([]Operation, 0, len(page.Items)+1)
	for _, d := range page.Items {
		out = append(out, ofDeployment(env, d))
	}
	if env.Status != apps.StatusDeleting {
		// An application's first environment (production, unless another
		// dialect named it) is provisioned by the application's operation.
		a, _, err := s.Store.GetApplication(ctx, org, app)
		if err != nil {
			return nil, err
		}
		if name == a.First() {
			return out, nil
		}
	}
	first := Of(apps.ProvisionEnvironment, app, name, env.UID)
	if env.Status == apps.StatusDeleting {
		first.Workflow = apps.TeardownEnvironment
	}
	op, err := s.Get(ctx, org, first)
	if err != nil {
		return nil, fmt.Errorf("operation %s: %w", first, err)
	}
	if env.Status == apps.StatusDeleting {
		return append([]Operation{op}, out...), nil
	}
	return append(out, op), nil
}
