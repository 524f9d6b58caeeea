package localstack_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/sandbox"
	"github.com/berth-dev/berth/shared/localstack"
	"github.com/berth-dev/berth/shared/store"
)

// TestDeleteTakesOverAnAbandonedProvisioning: a provisioning run whose
// engine stopped mid-way (its execution stopped, so nothing recorded that
// it ended) leaves its progress RUNNING; a DELETE still completes once the
// run has been silent for the heartbeat timeout, and nothing is left.
func TestDeleteTakesOverAnAbandonedProvisioning(t *testing.T) {
	slowDatabase := sandbox.Profile{Name: "slow-database", Create: map[cloud.Kind]time.Duration{cloud.KindDatabase: time.Hour}}
	w := startTwinWith(t, localstack.Config{Sandbox: sandbox.New(slowDatabase), NoWaits: true, HeartbeatTimeout: time.Second})
	ctx := context.Background()
	w.call(http.MethodPost, "/applications", appBody(t, "ghost"))
	var execution string
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		_, app := w.call(http.MethodGet, "/applications/ghost", nil)
		steps, _ := get(app, "progress.steps").([]any)
		if len(steps) > 0 && get(steps[0].(map[string]any), "state") == "RUNNING" {
			execution, _ = get(app, "progress.execution").(string)
			break // the database is being created, for an hour
		}
		if time.Now().After(deadline) {
			t.Fatalf("provisioning never started: %v", app["progress"])
		}
	}
	arn := strings.Replace(w.stack.Local.SFN.ARN(string(apps.ProvisionApplication)), ":stateMachine:", ":execution:", 1) + ":" + execution
	if _, err := w.stack.Local.SFN.Client().StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}

	// The run beat, and the store takes a takeover only on the heartbeat it shows.
	// A step invoked before the stop may still finish and beat once more, so
	// read until the heartbeat holds still.
	tbl := &store.Table{Client: w.stack.Client, Name: w.stack.Table}
	app := quietProgress(t, tbl, "ghost")
	p := app.Progress
	if p == nil || p.State != apps.StepRunning || p.HeartbeatAt.IsZero() {
		t.Fatalf("the stopped run's progress: %+v, want RUNNING with a heartbeat", p)
	}
	target := apps.Target{Organisation: "acme", Application: "ghost", UID: app.UID}
	older := apps.Change{IfHeartbeat: &apps.Heartbeat{Execution: p.Execution, At: p.HeartbeatAt.Add(-time.Second)}}
	if err := tbl.Apply(ctx, target, older); !errors.Is(err, apps.ErrConflict) {
		t.Fatalf("a change conditional on an older heartbeat: %v, want a conflict", err)
	}
	if err := tbl.Apply(ctx, target, apps.Change{IfHeartbeat: &apps.Heartbeat{Execution: p.Execution, At: p.HeartbeatAt}}); err != nil {
		t.Fatalf("a change conditional on the heartbeat as read: %v", err)
	}

	start := time.Now()
	if code, body := w.call(http.MethodDelete, "/applications/ghost", nil); code != http.StatusAccepted {
		t.Fatalf("delete: %d %v", code, body)
	}
	w.waitFor("/applications/ghost", "GONE")
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("the DELETE took %s with a 1 s heartbeat timeout", took)
	}
	if left := w.leftovers(); len(left) != 0 {
		t.Fatalf("left %v", left)
	}
}

// quietProgress reads the application until its progress is unchanged across
// half a second, so no step of the stopped run is still writing.
func quietProgress(t *testing.T, tbl *store.Table, name string) apps.Application {
	t.Helper()
	ctx := context.Background()
	var last *apps.Progress
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		app, _, err := tbl.GetApplication(ctx, "acme", name)
		if err != nil {
			t.Fatal(err)
		}
		if last != nil && app.Progress != nil && app.Progress.HeartbeatAt.Equal(last.HeartbeatAt) && app.Progress.Execution == last.Execution {
			return app
		}
		last = app.Progress
	}
	t.Fatalf("the stopped run's progress of %q kept changing for 30 s", name)
	return apps.Application{}
}
