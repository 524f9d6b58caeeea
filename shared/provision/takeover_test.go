package provision

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/cloud/sandbox"
	"github.com/berth-dev/berth/shared/deploy"
)

var takeoverNow = time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)

const provisioningRun = "provision-application-u1"

// errName is the error name a state machine sees, "" for none.
func errName(err error) string {
	var named messages.InvokeResponse_Error
	if errors.As(err, &named) {
		return named.Type
	}
	if err != nil {
		return "unnamed: " + err.Error()
	}
	return ""
}

// deletedMidProvisioning is an application DELETEd while its provisioning
// run, last heard of at heartbeat, was creating the database.
func deletedMidProvisioning(heartbeat time.Time) *fakeRecords {
	p := func() *apps.Progress {
		return &apps.Progress{Operation: apps.ProvisionApplication, Execution: provisioningRun, State: apps.StepRunning,
			StartedAt: heartbeat.Add(-time.Minute), HeartbeatAt: heartbeat,
			Steps: []apps.StepProgress{{Name: "database", State: apps.StepRunning}, {Name: "network", State: apps.StepPending}}}
	}
	return &fakeRecords{
		app: apps.Application{Organisation: "acme", Name: "blog", UID: "u1", Status: apps.StatusDeleting, Provisioning: apps.Provisioning{Progress: p()}},
		envs: []apps.Environment{{Organisation: "acme", Application: "blog", Name: apps.ProductionEnvironment, UID: "u2",
			Status: apps.StatusCreating, Provisioning: apps.Provisioning{Progress: p()}}},
	}
}

func teardownSteps(st *fakeRecords) *Steps {
	return &Steps{Store: st, Rollouts: st, Platform: Platform{HeartbeatTimeout: 15 * time.Minute}, Now: func() time.Time { return takeoverNow }}
}

var teardownInput = Input{Execution: apps.ExecutionInput{Organisation: "acme", Application: "blog", UID: "u1"},
	Workflow: apps.TeardownApplication, ExecutionName: "teardown-application-u1"}

// TestTeardownWaitsForABeatingRun: a provisioning run that beat a minute
// ago is alive; teardown waits for it, and leaves its progress alone.
func TestTeardownWaitsForABeatingRun(t *testing.T) {
	st := deletedMidProvisioning(takeoverNow.Add(-time.Minute))
	_, err := teardownSteps(st).Begin(context.Background(), teardownInput)
	if errName(err) != ErrProvisioningRunning {
		t.Fatalf("Begin: %v, want %s", err, ErrProvisioningRunning)
	}
	if len(st.applied) != 0 || st.app.Progress.Execution != provisioningRun || st.app.Progress.State != apps.StepRunning {
		t.Errorf("teardown wrote %d changes; progress %+v", len(st.applied), st.app.Progress)
	}
}

// TestTeardownTakesOverASilentRun: a run silent for longer than
// HeartbeatTimeout is dead; its progress is marked FAILED, saying so, in a
// write conditional on the heartbeat teardown read, and teardown goes on.
func TestTeardownTakesOverASilentRun(t *testing.T) {
	last := takeoverNow.Add(-16 * time.Minute)
	st := deletedMidProvisioning(last)
	if _, err := teardownSteps(st).Begin(context.Background(), teardownInput); err != nil {
		t.Fatalf("Begin: %v", err)
	}
	why := "no heartbeat since " + last.Format(time.RFC3339) + "; teardown took over"
	var took int
	for _, c := range st.applied {
		if c.IfHeartbeat == nil {
			continue
		}
		took++
		if c.IfHeartbeat.Execution != provisioningRun || !c.IfHeartbeat.At.Equal(last) {
			t.Errorf("takeover conditional on %+v, want the run's heartbeat as read", c.IfHeartbeat)
		}
		if c.Operation == nil || c.Operation.State != apps.StepFailed || c.Step == nil || c.Step.Name != "database" ||
			c.Step.State != apps.StepFailed || c.Step.Detail != why {
			t.Errorf("takeover writes %+v / %+v, want the operation FAILED and its database step FAILED with %q", c.Operation, c.Step, why)
		}
	}
	if took != 2 {
		t.Errorf("%d takeover writes, want one on the application and one on production", took)
	}
	if p := st.app.Progress; p.Operation != apps.TeardownApplication || p.State != apps.StepRunning {
		t.Errorf("after the takeover the application shows %s %s, want teardown's progress", p.Operation, p.State)
	}
}

// TestARunThatBeatsAsTeardownTakesOverWins: the run beats between
// teardown's read and its takeover; the conditional takeover fails, and
// teardown waits rather than goes on.
func TestARunThatBeatsAsTeardownTakesOverWins(t *testing.T) {
	st := deletedMidProvisioning(takeoverNow.Add(-16 * time.Minute))
	st.meanwhile = func(f *fakeRecords, c apps.Change) {
		if c.IfHeartbeat != nil {
			f.app.Progress.HeartbeatAt, f.envs[0].Progress.HeartbeatAt = takeoverNow, takeoverNow
		}
	}
	_, err := teardownSteps(st).Begin(context.Background(), teardownInput)
	if errName(err) != ErrProvisioningRunning {
		t.Fatalf("Begin: %v, want %s", err, ErrProvisioningRunning)
	}
	if p := st.app.Progress; p.Execution != provisioningRun || p.State != apps.StepRunning {
		t.Errorf("the revived run's progress became %s %s", p.Execution, p.State)
	}
}

// deletedMidDeployment is an ACTIVE application DELETEd while deployment
// 3 of production, whose run last beat at heartbeat, rolled out.
func deletedMidDeployment(heartbeat time.Time) *fakeRecords {
	exec := deploy.ExecutionName("u2", 3)
	return &fakeRecords{
		app: apps.Application{Organisation: "acme", Name: "blog", UID: "u1", Status: apps.StatusDeleting},
		envs: []apps.Environment{{Organisation: "acme", Application: "blog", Name: apps.ProductionEnvironment, UID: "u2",
			Status: apps.StatusActive, Rollouts: apps.Rollouts{Deploying: 3},
			Provisioning: apps.Provisioning{Progress: &apps.Progress{Operation: apps.DeployEnvironment, Execution: exec, State: apps.StepRunning,
				StartedAt: heartbeat.Add(-time.Minute), HeartbeatAt: heartbeat, Steps: []apps.StepProgress{{Name: "rollout", State: apps.StepRunning}}}}}},
		deps: map[int]deploy.Deployment{3: {Number: 3, Release: 2, PreviousRelease: 1, Status: deploy.StatusInProgress, Execution: exec,
			CreatedAt: heartbeat.Add(-time.Minute)}},
	}
}

// TestTeardownTakesOverASilentDeployment: a deployment whose run went
// silent is abandoned (FAILED, saying why; the environment freed), once,
// and only when the run is silent for HeartbeatTimeout; a beat between
// read and takeover wins.
func TestTeardownTakesOverASilentDeployment(t *testing.T) {
	t.Run("beating", func(t *testing.T) {
		st := deletedMidDeployment(takeoverNow.Add(-time.Minute))
		if _, err := teardownSteps(st).Begin(context.Background(), teardownInput); errName(err) != ErrProvisioningRunning {
			t.Fatalf("Begin: %v, want %s", err, ErrProvisioningRunning)
		}
		if st.deps[3].Status != deploy.StatusInProgress || st.env("production").Deploying != 3 {
			t.Errorf("a live deployment was abandoned: %+v", st.deps[3])
		}
	})
	t.Run("silent", func(t *testing.T) {
		last := takeoverNow.Add(-16 * time.Minute)
		st := deletedMidDeployment(last)
		if _, err := teardownSteps(st).Begin(context.Background(), teardownInput); err != nil {
			t.Fatalf("Begin: %v", err)
		}
		why := "no heartbeat since " + last.Format(time.RFC3339) + "; teardown took over"
		if d := st.deps[3]; d.Status != deploy.StatusFailed || d.FailureReason != why || st.env("production").Deploying != 0 {
			t.Errorf("deployment %s %q, environment deploying %d; want FAILED with %q and the environment free", d.Status, d.FailureReason, st.env("production").Deploying, why)
		}
		if c := st.applied[0]; c.IfHeartbeat == nil || c.Operation == nil || c.Operation.State != apps.StepFailed || c.Step == nil || c.Step.Detail != why {
			t.Errorf("first write %+v, want the deployment's progress FAILED on condition of its heartbeat", c)
		}
	})
	t.Run("revived", func(t *testing.T) {
		st := deletedMidDeployment(takeoverNow.Add(-16 * time.Minute))
		st.meanwhile = func(f *fakeRecords, c apps.Change) {
			if c.IfHeartbeat != nil {
				f.envs[0].Progress.HeartbeatAt = takeoverNow
			}
		}
		if _, err := teardownSteps(st).Begin(context.Background(), teardownInput); errName(err) != ErrProvisioningRunning {
			t.Fatalf("Begin: %v, want %s", err, ErrProvisioningRunning)
		}
		if st.deps[3].Status != deploy.StatusInProgress || st.env("production").Deploying != 3 {
			t.Errorf("the revived deployment was abandoned: %+v", st.deps[3])
		}
	})
	t.Run("never began", func(t *testing.T) {
		// Its run never wrote a progress: the deployment's creation is its last sign of life.
		st := deletedMidDeployment(takeoverNow.Add(-16 * time.Minute))
		st.envs[0].Progress = nil
		if _, err := teardownSteps(st).Begin(context.Background(), teardownInput); err != nil {
			t.Fatalf("Begin: %v", err)
		}
		if st.deps[3].Status != deploy.StatusFailed || st.env("production").Deploying != 0 {
			t.Errorf("deployment %+v", st.deps[3])
		}
	})
}

// TestEveryStepBeats: a provisioning step stamps its run's heartbeat, and
// leaves a progress that is not its run's alone.
func TestEveryStepBeats(t *testing.T) {
	st := deletedMidProvisioning(takeoverNow.Add(-10 * time.Minute))
	st.app.Status = apps.StatusCreating
	s := &Steps{Store: st, Cloud: sandbox.New(sandbox.Instant), Now: func() time.Time { return takeoverNow }}
	h, err := s.Handler(StepNetwork)
	if err != nil {
		t.Fatal(err)
	}
	in := Input{Execution: apps.ExecutionInput{Organisation: "acme", Application: "blog", UID: "u1"}, Workflow: apps.ProvisionApplication,
		ExecutionName: provisioningRun, Action: ActionCreate, Group: GroupNetwork}
	if _, err := h.(func(context.Context, Input) (Loop, error))(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if !st.app.Progress.HeartbeatAt.Equal(takeoverNow) || !st.envs[0].Progress.HeartbeatAt.Equal(takeoverNow) {
		t.Errorf("heartbeats %s and %s, want %s", st.app.Progress.HeartbeatAt, st.envs[0].Progress.HeartbeatAt, takeoverNow)
	}
	st.envs[0].Progress.Execution = "another-run"
	later := takeoverNow.Add(time.Minute)
	s.Now = func() time.Time { return later }
	if _, err := h.(func(context.Context, Input) (Loop, error))(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if !st.envs[0].Progress.HeartbeatAt.Equal(takeoverNow) || !strings.Contains(st.envs[0].Progress.Execution, "another") {
		t.Errorf("a step beat on another run's progress: %+v", st.envs[0].Progress)
	}
}
