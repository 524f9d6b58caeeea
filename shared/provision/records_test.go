package provision

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/deploy"
)

// fakeRecords holds one application, its environments and their
// deployments, with the store's conditions: uid, IfStatus, Heartbeat and
// IfHeartbeat, and the deployment's (the environment runs it, IN_PROGRESS).
type fakeRecords struct {
	mu       sync.Mutex
	app      apps.Application
	envs     []apps.Environment
	deps     map[int]deploy.Deployment
	releases map[int]deploy.Release
	// applied are the changes written, in order.
	applied []apps.Change
	// meanwhile, when set, runs before a change is checked, as a write
	// of another writer that lands first.
	meanwhile func(f *fakeRecords, c apps.Change)
}

func (f *fakeRecords) GetApplication(context.Context, string, string) (apps.Application, []apps.Environment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.app, slices.Clone(f.envs), nil
}

// record is the target's status, uid and provisioning, to change in place.
func (f *fakeRecords) record(t apps.Target) (*apps.Status, string, *apps.Provisioning) {
	if t.Environment == "" {
		return &f.app.Status, f.app.UID, &f.app.Provisioning
	}
	for i := range f.envs {
		if e := &f.envs[i]; e.Name == t.Environment {
			return &e.Status, e.UID, &e.Provisioning
		}
	}
	return nil, "", nil
}

func (f *fakeRecords) Apply(_ context.Context, t apps.Target, c apps.Change) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.meanwhile != nil {
		f.meanwhile(f, c)
	}
	status, uid, p := f.record(t)
	switch {
	case status == nil || uid != t.UID:
		return apps.Conflict("replaced")
	case c.IfStatus != "" && *status != c.IfStatus:
		return apps.Conflict("status %s", *status)
	case c.Heartbeat != "" && (p.Progress == nil || p.Progress.Execution != c.Heartbeat || p.Progress.State != apps.StepRunning):
		return apps.Conflict("not the beating run's progress")
	case c.IfHeartbeat != nil && (p.Progress == nil || p.Progress.Execution != c.IfHeartbeat.Execution || !p.Progress.HeartbeatAt.Equal(c.IfHeartbeat.At)):
		return apps.Conflict("the progress moved on")
	}
	f.applied = append(f.applied, c)
	if c.Progress != nil {
		pr := *c.Progress
		pr.Steps = slices.Clone(pr.Steps)
		p.Progress = &pr
	}
	if c.Heartbeat != "" {
		p.Progress.HeartbeatAt = c.Now
	}
	if c.Step != nil && p.Progress != nil {
		for i := range p.Progress.Steps {
			if st := &p.Progress.Steps[i]; st.Name == c.Step.Name {
				st.State, st.Detail = c.Step.State, c.Step.Detail
			}
		}
	}
	if c.Operation != nil && p.Progress != nil {
		p.Progress.State, p.Progress.FinishedAt = c.Operation.State, c.Operation.FinishedAt
	}
	p.Resources = slices.DeleteFunc(append(slices.Clone(p.Resources), c.Add...), func(r cloud.Ref) bool { return slices.Contains(c.Remove, r) })
	for k, v := range c.Outputs {
		if p.Outputs == nil {
			p.Outputs = map[string]string{}
		}
		p.Outputs[k] = v
	}
	if c.Status != "" {
		*status = c.Status
	}
	if c.Reason != nil {
		p.Reason = *c.Reason
	}
	return nil
}

func (f *fakeRecords) RemoveRecords(context.Context, apps.Target) error { return nil }

func (f *fakeRecords) GetRelease(_ context.Context, _ apps.Environment, n int) (deploy.Release, error) {
	return numbered(f, f.releases, "release", n)
}

func (f *fakeRecords) GetDeployment(_ context.Context, _ apps.Environment, n int) (deploy.Deployment, error) {
	return numbered(f, f.deps, "deployment", n)
}

// numbered is item n of an environment's history, or NotFound.
func numbered[T any](f *fakeRecords, items map[int]T, what string, n int) (T, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	it, ok := items[n]
	if !ok {
		return it, apps.NotFound("%s %d", what, n)
	}
	return it, nil
}

func (f *fakeRecords) RecordTaskDefinition(_ context.Context, _ apps.Environment, n int, arn string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.releases[n]
	if r.TaskDefinitionARN == "" {
		r.TaskDefinitionARN = arn
		f.releases[n] = r
	}
	return r.TaskDefinitionARN, nil
}

func (f *fakeRecords) RecordFailure(context.Context, apps.Environment, deploy.Deployment) error {
	return nil
}

func (f *fakeRecords) AbandonDeployment(ctx context.Context, env apps.Environment, dep deploy.Deployment, reason string, now time.Time) error {
	dep.Status, dep.FailureType, dep.FailureReason, dep.FinishedAt = deploy.StatusFailed, "WorkflowFailed", reason, now
	return f.FinishDeployment(ctx, env, dep, nil)
}

func (f *fakeRecords) FinishDeployment(_ context.Context, env apps.Environment, dep deploy.Deployment, _ *deploy.Release) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if cur := f.deps[dep.Number]; cur.Status != deploy.StatusInProgress {
		return nil
	}
	for i := range f.envs {
		if e := &f.envs[i]; e.Name == env.Name {
			if e.Deploying != dep.Number {
				return apps.Conflict("the environment is not running deployment %d", dep.Number)
			}
			e.Deploying = 0
		}
	}
	f.deps[dep.Number] = dep
	return nil
}

func (f *fakeRecords) env(name string) apps.Environment {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range f.envs {
		if e.Name == name {
			return e
		}
	}
	return apps.Environment{}
}
