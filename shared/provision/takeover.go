package provision

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/deploy"
)

// DefaultHeartbeatTimeout is how long a provisioning or deploy run may go
// without a heartbeat before teardown takes it for dead. A live run beats
// at every step; the longest gap between two of its steps is a Wait state
// (at most 300 s: a loop waits at most max(expected, 300 s), and the
// longest expected, the database's, is 5 minutes) after a step that ran up
// to its 120 s TimeoutSeconds, plus the Lambda retries' backoff (about
// 30 s): about 7.5 minutes. Twice that leaves a slow run alone.
const DefaultHeartbeatTimeout = 15 * time.Minute

func (s *Steps) heartbeatTimeout() time.Duration {
	if s.Platform.HeartbeatTimeout > 0 {
		return s.Platform.HeartbeatTimeout
	}
	return DefaultHeartbeatTimeout
}

// beat stamps the heartbeat of in's run on those of targets whose progress
// is still the run's. A progress that is no longer the run's is left
// alone: the step's own checks (DELETING, the deployment it runs) decide
// what the run does then.
func (s *Steps) beat(ctx context.Context, in Input, r records, targets []apps.Target) error {
	now := s.now()
	for _, t := range targets {
		p := progressOf(r, t)
		if p == nil || p.Execution != in.ExecutionName || p.State != apps.StepRunning {
			continue
		}
		err := s.Store.Apply(ctx, t, apps.Change{Heartbeat: in.ExecutionName, Now: now})
		if err != nil && !errors.Is(err, apps.ErrConflict) {
			return cloudError("heartbeat", err)
		}
	}
	return nil
}

// abandoned says why teardown took a run for dead, or "" while it lives.
func (s *Steps) abandoned(last time.Time) string {
	if s.now().Sub(last) <= s.heartbeatTimeout() {
		return ""
	}
	return fmt.Sprintf("no heartbeat since %s; teardown took over", last.UTC().Format(time.RFC3339))
}

// takeOver lets teardown go on past a provisioning run that stopped
// beating: it marks the run's progress FAILED, with why on its unfinished
// step, in a write conditional on the progress being as read, so that a
// run that beats meanwhile wins and teardown waits on.
func (s *Steps) takeOver(ctx context.Context, t apps.Target, p apps.Progress) error {
	why := s.abandoned(p.LastSign())
	if why == "" {
		return fail(ErrProvisioningRunning, "%s is still running (last heartbeat at %s); teardown waits for it to stop", p.Execution, p.LastSign().UTC().Format(time.RFC3339))
	}
	return s.failProgress(ctx, t, p, why)
}

// failProgress marks the run's progress FAILED with why, if it is still as read.
func (s *Steps) failProgress(ctx context.Context, t apps.Target, p apps.Progress, why string) error {
	now := s.now()
	c := apps.Change{Operation: &apps.StepProgress{State: apps.StepFailed, FinishedAt: now},
		IfHeartbeat: &apps.Heartbeat{Execution: p.Execution, At: p.HeartbeatAt}, Now: now}
	for _, st := range p.Steps {
		if !st.State.Done() {
			c.Step = &apps.StepProgress{Name: st.Name, State: apps.StepFailed, FinishedAt: now, Detail: why}
			break
		}
	}
	err := s.Store.Apply(ctx, t, c)
	if errors.Is(err, apps.ErrConflict) {
		return fail(ErrProvisioningRunning, "%s showed a sign of life as teardown took over; teardown waits for it to stop", p.Execution)
	}
	return cloudError("take over from "+p.Execution, err)
}

// takeOverDeployment lets teardown go on past env's deployment once its
// run stopped beating: the run's progress is marked FAILED (as takeOver
// does), and the deployment is abandoned as one that could not run,
// which frees the environment. A run that never began shows no progress
// of its own; the deployment's creation is its last sign of life.
func (s *Steps) takeOverDeployment(ctx context.Context, env apps.Environment) error {
	dep, err := s.Rollouts.GetDeployment(ctx, env, env.Deploying)
	if err != nil {
		return cloudError(fmt.Sprintf("read deployment %d", env.Deploying), err)
	}
	if dep.Status != deploy.StatusInProgress {
		return nil // it finished as teardown read it
	}
	p := env.Progress
	began := p != nil && p.Execution == dep.Execution && p.Operation == apps.DeployEnvironment
	last := dep.CreatedAt
	if began {
		last = p.LastSign()
	}
	why := s.abandoned(last)
	if why == "" {
		return fail(ErrProvisioningRunning, "deployment %d of %q is still running (last heartbeat at %s); teardown waits for it to stop",
			dep.Number, env.Name, last.UTC().Format(time.RFC3339))
	}
	if began && p.State == apps.StepRunning {
		if err := s.failProgress(ctx, envTarget(env), *p, why); err != nil {
			return err
		}
	}
	// Conditional on the environment still running this deployment: a
	// run that finished meanwhile keeps its outcome, and a revived one
	// finds it FAILED and leaves the service alone. A run that never began
	// cannot begin now: owns refuses a deployment of a record being deleted.
	return cloudError("abandon deployment", s.Rollouts.AbandonDeployment(ctx, env, dep, why, s.now()))
}
