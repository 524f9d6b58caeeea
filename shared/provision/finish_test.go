package provision

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/berth-dev/berth/shared/apps"
)

// orderStore holds one application with its production environment and
// records which targets Apply wrote, in order.
type orderStore struct {
	app     apps.Application
	envs    []apps.Environment
	applied []string
}

func (o *orderStore) GetApplication(context.Context, string, string) (apps.Application, []apps.Environment, error) {
	return o.app, o.envs, nil
}

func (o *orderStore) Apply(_ context.Context, t apps.Target, c apps.Change) error {
	o.applied = append(o.applied, t.Environment+":"+string(c.Status))
	return nil
}

func (o *orderStore) RemoveRecords(context.Context, apps.Target) error { return nil }

// TestFinishWritesTheApplicationLast: a client that reads the application's
// final status must find its environments final too, or a create sent
// again on FAILED meets a production record still CREATING (409).
func TestFinishWritesTheApplicationLast(t *testing.T) {
	for _, outcome := range []Outcome{OutcomeFailed, OutcomeActive} {
		st := &orderStore{
			app:  apps.Application{Organisation: "acme", Name: "blog", UID: "u1", Status: apps.StatusCreating},
			envs: []apps.Environment{{Organisation: "acme", Application: "blog", Name: apps.ProductionEnvironment, UID: "u2", Status: apps.StatusCreating}},
		}
		steps := &Steps{Store: st, Now: func() time.Time { return time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC) }}
		in := Input{Execution: apps.ExecutionInput{Organisation: "acme", Application: "blog", UID: "u1"},
			Workflow: apps.ProvisionApplication, ExecutionName: "x", Outcome: outcome, Error: &Caught{Error: "Berth.ResourceFailed", Cause: "boom"}}
		if _, err := steps.Finish(context.Background(), in); err != nil {
			t.Fatal(err)
		}
		status := apps.StatusActive
		if outcome == OutcomeFailed {
			status = apps.StatusFailed
		}
		if want := []string{"production:" + string(status), ":" + string(status)}; !slices.Equal(st.applied[:1], want[:1]) || st.applied[len(st.applied)-1] != want[1] {
			t.Fatalf("%s: writes %v, want the production environment first and the application last", outcome, st.applied)
		}
	}
}
