package reconcile_test

import (
	"context"
	"testing"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/cloud/sandbox"
	"github.com/berth-dev/berth/shared/reconcile"
	"github.com/berth-dev/berth/shared/workflow"
)

type records struct {
	apps    []apps.Application
	envs    []apps.Environment
	changes []apps.Change
}

func (r *records) ListRecords(context.Context) ([]apps.Application, []apps.Environment, error) {
	return r.apps, r.envs, nil
}
func (r *records) Apply(_ context.Context, _ apps.Target, c apps.Change) error {
	r.changes = append(r.changes, c)
	return nil
}

type executions map[string]reconcile.ExecutionStatus

func (e executions) Status(_ context.Context, _ apps.Workflow, name string) (reconcile.ExecutionStatus, error) {
	if s, ok := e[name]; ok {
		return s, nil
	}
	return reconcile.ExecutionNotFound, nil
}

type none struct{}

func (none) Managed(context.Context) ([]reconcile.Found, error) { return nil, nil }

// TestStuckRecords: a DELETING record whose teardown died starts teardown
// again under the name a DELETE would use now; a CREATING one whose
// provisioning never started starts it under its own name; one whose
// provisioning ended becomes FAILED; a running one and a recent one are
// left alone; a dry run does nothing.
func TestStuckRecords(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	old := now.Add(-time.Hour)
	recs := &records{
		apps: []apps.Application{
			{Organisation: "acme", Name: "gone", UID: "u1", Status: apps.StatusDeleting, Version: 7, UpdatedAt: old,
				Provisioning: apps.Provisioning{Progress: &apps.Progress{Operation: apps.TeardownApplication, Execution: "teardown-application-u1-5"}}},
			{Organisation: "acme", Name: "never", UID: "u2", Status: apps.StatusCreating, UpdatedAt: old},
			{Organisation: "acme", Name: "died", UID: "u3", Status: apps.StatusCreating, UpdatedAt: old},
			{Organisation: "acme", Name: "runs", UID: "u4", Status: apps.StatusCreating, UpdatedAt: old},
			{Organisation: "acme", Name: "young", UID: "u5", Status: apps.StatusDeleting, UpdatedAt: now.Add(-time.Minute)},
		},
	}
	exec := executions{"teardown-application-u1-5": reconcile.ExecutionEnded, "provision-application-u3": reconcile.ExecutionEnded,
		"provision-application-u4": reconcile.ExecutionRunning}
	starter := &workflow.Recorder{}
	rc := &reconcile.Reconciler{Inventory: none{}, Records: recs, Cloud: sandbox.New(sandbox.Instant), Executions: exec,
		Workflows: starter, Now: func() time.Time { return now }}

	rep, err := rc.Run(t.Context(), true)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Count(reconcile.ActRedrive) != 2 || rep.Count(reconcile.ActFailStuck) != 1 || len(starter.Started()) != 0 || len(recs.changes) != 0 {
		t.Fatalf("dry run: %+v, started %v, changes %v", rep.Actions, starter.Started(), recs.changes)
	}
	if _, err := rc.Run(t.Context(), false); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range starter.Started() {
		names = append(names, s.Name)
	}
	if len(names) != 2 || names[0] != "teardown-application-u1-7" || names[1] != "provision-application-u2" {
		t.Errorf("started %v", names)
	}
	if len(recs.changes) != 1 || recs.changes[0].Status != apps.StatusFailed || recs.changes[0].IfStatus != apps.StatusCreating {
		t.Errorf("changes %+v", recs.changes)
	}
}
