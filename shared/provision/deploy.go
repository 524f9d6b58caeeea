package provision

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/deploy"
)

// The deploy-environment workflow's groups: rollout registers the
// release's task definition and rolls the service out to it; rollback puts
// the service back on the release that served before.
const (
	GroupRollout  Group = "rollout"
	GroupRollback Group = "rollback"
)

// ErrDeploymentFailed: a task of the new release stopped; the deployment
// rolls back at once rather than wait for a timeout.
const ErrDeploymentFailed = "Berth.DeploymentFailed"

// ErrStore: the records could not be written; the Finish states retry it,
// since a deployment left unfinished would hold its environment.
const ErrStore = "Berth.StoreError"

// maxLogLine bounds each failure log line kept on the deployment item.
const maxLogLine = 1024

// FailureCancelled is the failure type of a cancelled deployment.
const FailureCancelled = "Cancelled"

// RolloutStore is what the deployment steps need of the store, beyond
// apps.ProvisionStore.
type RolloutStore interface {
	GetRelease(ctx context.Context, env apps.Environment, n int) (deploy.Release, error)
	GetDeployment(ctx context.Context, env apps.Environment, n int) (deploy.Deployment, error)
	// RecordTaskDefinition keeps arn as the release's task definition,
	// unless it has one, which it returns.
	RecordTaskDefinition(ctx context.Context, env apps.Environment, release int, arn string) (string, error)
	RecordFailure(ctx context.Context, env apps.Environment, dep deploy.Deployment) error
	// AbandonDeployment marks a deployment whose run is gone FAILED with
	// reason and frees the environment.
	AbandonDeployment(ctx context.Context, env apps.Environment, dep deploy.Deployment, reason string, now time.Time) error
	FinishDeployment(ctx context.Context, env apps.Environment, dep deploy.Deployment, serving *deploy.Release) error
}

// deployment loads the records of a deploy-environment execution and
// checks that the environment is still running its deployment.
func (s *Steps) deployment(ctx context.Context, in Input) (records, apps.Environment, deploy.Deployment, error) {
	r, err := s.load(ctx, in)
	if errors.Is(err, apps.ErrNotFound) {
		return records{}, apps.Environment{}, deploy.Deployment{}, fail(ErrStale, "application %q no longer exists", in.Execution.Application)
	}
	if err != nil {
		return records{}, apps.Environment{}, deploy.Deployment{}, err
	}
	env, err := in.envOf(r)
	if err != nil {
		return records{}, apps.Environment{}, deploy.Deployment{}, err
	}
	n := in.Execution.Deployment
	dep, err := s.Rollouts.GetDeployment(ctx, env, n)
	if err != nil {
		return records{}, apps.Environment{}, deploy.Deployment{}, fail(ErrStale, "deployment %d of %s: %v", n, describeTarget(envTarget(env)), err)
	}
	if err := s.beat(ctx, in, r, []apps.Target{envTarget(env)}); err != nil {
		return records{}, apps.Environment{}, deploy.Deployment{}, err
	}
	return r, env, dep, nil
}

// owns fails unless the environment still runs dep: a step of a
// deployment that was abandoned, finished or superseded must not touch the
// service. An environment being deleted cancels it.
func owns(r records, env apps.Environment, dep deploy.Deployment) error {
	switch {
	case r.app.Status == apps.StatusDeleting:
		return fail(ErrCancelled, "application %q is being deleted", r.app.Name)
	case env.Deploying != dep.Number || dep.Status != deploy.StatusInProgress:
		return fail(ErrStale, "environment %q is not running deployment %d (it runs %d; the deployment is %s)", env.Name, dep.Number, env.Deploying, dep.Status)
	case env.Status != apps.StatusActive:
		return fail(ErrCancelled, "environment %q is %s", env.Name, env.Status)
	case dep.CancelRequested:
		return fail(ErrCancelled, "deployment %d was cancelled", dep.Number)
	}
	return nil
}

// beginDeployment checks the execution still owns the environment's
// deployment and shows the operation on the environment.
func (s *Steps) beginDeployment(ctx context.Context, in Input) (struct{}, error) {
	r, env, dep, err := s.deployment(ctx, in)
	if err != nil {
		return struct{}{}, err
	}
	if err := owns(r, env, dep); err != nil {
		return struct{}{}, err
	}
	now := s.now()
	p := apps.Progress{Operation: apps.DeployEnvironment, Execution: in.ExecutionName, State: apps.StepRunning, StartedAt: now, HeartbeatAt: now,
		Steps: []apps.StepProgress{{Name: string(GroupRollout), State: apps.StepPending}}}
	return struct{}{}, cloudError("begin", s.Store.Apply(ctx, envTarget(env), apps.Change{Progress: &p, IfStatus: apps.StatusActive, Now: now}))
}

// taskDefinition is the release's task definition, registered (and kept
// on the release and the environment's resources) the first time.
func (s *Steps) taskDefinition(ctx context.Context, r records, env apps.Environment, n int) (string, error) {
	rel, err := s.Rollouts.GetRelease(ctx, env, n)
	if err != nil {
		return "", cloudError("read release", err)
	}
	if rel.TaskDefinitionARN != "" {
		return rel.TaskDefinitionARN, nil
	}
	spec, err := s.taskSpec(r, env, rel.Compose, rel.Variables, rel.Secrets)
	if err != nil {
		return "", err
	}
	tags := cloud.Tags{cloud.TagRelease: strconv.Itoa(n)}
	maps.Copy(tags, spec.Tags)
	spec.Tags = tags
	res, found, err := s.lostRevision(ctx, env, spec)
	if err != nil {
		return "", err
	}
	if !found {
		if res, err = s.Cloud.RegisterTaskDefinition(ctx, spec); err != nil {
			return "", cloudError("register task definition", err)
		}
	}
	// Teardown deregisters every revision the record holds.
	if err := s.record(ctx, envTarget(env), res, nil); err != nil {
		return "", err
	}
	arn, err := s.Rollouts.RecordTaskDefinition(ctx, env, n, res.ID)
	return arn, cloudError("record task definition", err)
}

// lostRevision finds the family's latest revision when it is one a
// registration for this release made and whose answer was lost (or whose
// step died before recording it): RegisterTaskDefinition has no client
// token, so a retry would register another and orphan it. The release tag
// tells it from an older revision. A latest revision of another release
// that the record does not hold is recorded, so that teardown deregisters it.
func (s *Steps) lostRevision(ctx context.Context, env apps.Environment, spec cloud.TaskSpec) (cloud.Resource, bool, error) {
	res, err := s.Cloud.Check(ctx, cloud.Ref{Kind: cloud.KindTaskDefinition, Name: spec.Family})
	switch {
	case errors.Is(err, cloud.ErrNotFound):
		return cloud.Resource{}, false, nil
	case err != nil:
		return cloud.Resource{}, false, cloudError("find the task definition's latest revision", err)
	case res.State != cloud.StateAvailable:
		return cloud.Resource{}, false, nil
	case res.Outputs[cloud.OutRelease] == spec.Tags[cloud.TagRelease]:
		return res, true, nil
	}
	if !slices.ContainsFunc(env.Resources, func(ref cloud.Ref) bool { return ref.Kind == res.Kind && ref.Name == res.Name }) {
		if err := s.record(ctx, envTarget(env), res, nil); err != nil {
			return cloud.Resource{}, false, err
		}
	}
	return cloud.Resource{}, false, nil
}

// bounds are the scaling bounds a deployment leaves: none while stopped.
func bounds(rel deploy.Release, desired int) (int, int) {
	if desired == 0 {
		return 0, 0
	}
	minC, maxC := 1, 1
	if c := rel.Compose; c.MinCapacity != nil && c.MaxCapacity != nil {
		minC, maxC = *c.MinCapacity, *c.MaxCapacity
	}
	return minC, max(maxC, desired)
}

// keepsCount: a deployment of a running environment leaves the task count
// to auto scaling, which may have scaled out since the count Berth recorded.
// Start and stop set it, and so does a change to a stopped environment.
func keepsCount(dep deploy.Deployment) bool {
	return dep.Action != deploy.ActionStart && dep.Action != deploy.ActionStop && dep.DesiredCount > 0
}

// rollOut rolls the service out to the deployment's release.
func (s *Steps) rollOut(ctx context.Context, in Input) (Loop, error) {
	r, env, dep, err := s.deployment(ctx, in)
	if err != nil {
		return Loop{}, err
	}
	if err := owns(r, env, dep); err != nil {
		return Loop{}, err
	}
	if err := s.step(ctx, []apps.Target{envTarget(env)}, GroupRollout, apps.StepRunning, fmt.Sprintf("rolling out release %d", dep.Release)); err != nil {
		return Loop{}, err
	}
	td, err := s.taskDefinition(ctx, r, env, dep.Release)
	if err != nil {
		return Loop{}, err
	}
	svc := env.Outputs[apps.OutServiceName]
	res, err := s.Cloud.UpdateService(ctx, cloud.ServiceUpdate{Name: svc, TaskDefinitionARN: td, DesiredCount: dep.DesiredCount, KeepCount: keepsCount(dep)})
	if err != nil {
		return Loop{}, cloudError("update ECS service", err)
	}
	return s.firstLoop(GroupRollout, res.Expected, false), nil
}

// scaleRollout gives the service the scaling bounds of the deployment's
// release (none while stopped), after RollOut.
func (s *Steps) scaleRollout(ctx context.Context, in Input) (Loop, error) {
	r, env, dep, err := s.deployment(ctx, in)
	if err != nil {
		return Loop{}, err
	}
	if err := owns(r, env, dep); err != nil {
		return Loop{}, err
	}
	rel, err := s.Rollouts.GetRelease(ctx, env, dep.Release)
	if err != nil {
		return Loop{}, cloudError("read release", err)
	}
	minC, maxC := bounds(rel, dep.DesiredCount)
	if _, err := s.Cloud.RegisterScaling(ctx, cloud.ScalingSpec{ServiceName: env.Outputs[apps.OutServiceName], Min: minC, Max: maxC}); err != nil {
		return Loop{}, cloudError("register auto scaling", err)
	}
	return Loop{Ready: true}, nil
}

// checkRollout is the health gate: ready once the release runs its tasks,
// and failed at the first task of it that stops, with why.
func (s *Steps) checkRollout(ctx context.Context, in Input) (Loop, error) {
	r, env, dep, err := s.deployment(ctx, in)
	if err != nil {
		return Loop{}, err
	}
	if err := owns(r, env, dep); err != nil {
		return Loop{}, err
	}
	rel, err := s.Rollouts.GetRelease(ctx, env, dep.Release)
	if err != nil {
		return Loop{}, cloudError("read release", err)
	}
	ro, err := s.Cloud.Rollout(ctx, env.Outputs[apps.OutServiceName], rel.TaskDefinitionARN)
	if err != nil {
		return Loop{}, cloudError("check the rollout", err)
	}
	t := envTarget(env)
	switch ro.State {
	case cloud.RolloutCompleted:
		c := apps.Change{Outputs: map[string]string{apps.OutRunningCount: strconv.Itoa(ro.Running), apps.OutTaskDefinitionARN: rel.TaskDefinitionARN}, Now: s.now()}
		if err := s.Store.Apply(ctx, t, c); err != nil {
			return Loop{}, cloudError("record the rollout", err)
		}
		return Loop{Ready: true}, s.step(ctx, []apps.Target{t}, GroupRollout, apps.StepSucceeded, "")
	case cloud.RolloutFailed:
		dep.FailureType, dep.FailureReason = cloud.FailureCircuitBreaker, "the deployment failed"
		if f := ro.Failure; f != nil {
			dep.FailureType, dep.FailureReason, dep.LogGroup, dep.LogStream = f.Type, failureReason(f), f.LogGroup, f.LogStream
		}
		if err := s.Rollouts.RecordFailure(ctx, env, dep); err != nil {
			return Loop{}, cloudError("record the failure", err)
		}
		return Loop{}, fail(ErrDeploymentFailed, "release %d: %s", dep.Release, dep.FailureReason)
	}
	return s.nextLoop(GroupRollout, in.Loop, false, fmt.Sprintf("the rollout of release %d", dep.Release))
}

// clip bounds each log line, so that a verbose crash cannot push the
// deployment item past DynamoDB's 400 KB.
func clip(lines []string) []string {
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		if len(l) > maxLogLine {
			l = l[:maxLogLine] + "…"
		}
		out = append(out, l)
	}
	return out
}

// failureReason is a failed task's story in one line.
func failureReason(f *cloud.TaskFailure) string {
	var b strings.Builder
	b.WriteString(f.StoppedReason)
	if f.Container != "" {
		b.WriteString(" (container " + f.Container)
		if f.ExitCode != nil {
			b.WriteString(", exit code " + strconv.Itoa(*f.ExitCode))
		}
		b.WriteString(")")
	}
	if f.TaskID != "" {
		b.WriteString(" in task " + f.TaskID)
	}
	return b.String()
}

// rollBack puts the service back on the release that served before, with
// its task count (ScaleBack then restores its scaling bounds). It answers Round 1 when it did, and
// does nothing when this run no longer owns the environment.
func (s *Steps) rollBack(ctx context.Context, in Input) (Loop, error) {
	_, env, dep, err := s.deployment(ctx, in)
	if err != nil {
		return Loop{}, err
	}
	if env.Deploying != dep.Number || dep.Status != deploy.StatusInProgress {
		return Loop{Ready: true}, nil // another run owns the service now
	}
	prev, err := s.Rollouts.GetRelease(ctx, env, dep.PreviousRelease)
	if err != nil {
		return Loop{}, cloudError("read the previous release", err)
	}
	if prev.TaskDefinitionARN == "" {
		return Loop{Ready: true}, nil // nothing ever served: nothing to go back to
	}
	count := env.DesiredCount
	if env.Stopped {
		count = 0
	}
	svc := env.Outputs[apps.OutServiceName]
	// Back to the count before a start or stop; otherwise the count auto scaling keeps.
	back := cloud.ServiceUpdate{Name: svc, TaskDefinitionARN: prev.TaskDefinitionARN, DesiredCount: count, KeepCount: keepsCount(dep) && count > 0}
	if _, err := s.Cloud.UpdateService(ctx, back); err != nil {
		return Loop{}, cloudError("roll back the ECS service", err)
	}
	return Loop{Ready: true, Round: 1}, nil
}

// scaleBack restores the previous release's scaling bounds after RollBack,
// on the same terms: only while this run owns the environment, and only
// when a release served before.
func (s *Steps) scaleBack(ctx context.Context, in Input) (Loop, error) {
	_, env, dep, err := s.deployment(ctx, in)
	if err != nil {
		return Loop{}, err
	}
	if env.Deploying != dep.Number || dep.Status != deploy.StatusInProgress {
		return Loop{Ready: true}, nil
	}
	prev, err := s.Rollouts.GetRelease(ctx, env, dep.PreviousRelease)
	if err != nil {
		return Loop{}, cloudError("read the previous release", err)
	}
	if prev.TaskDefinitionARN == "" {
		return Loop{Ready: true}, nil
	}
	count := env.DesiredCount
	if env.Stopped {
		count = 0
	}
	minC, maxC := bounds(prev, count)
	if _, err := s.Cloud.RegisterScaling(ctx, cloud.ScalingSpec{ServiceName: env.Outputs[apps.OutServiceName], Min: minC, Max: maxC}); err != nil {
		return Loop{}, cloudError("restore auto scaling", err)
	}
	return Loop{Ready: true}, nil
}

// finishDeployment records how the deployment ended and frees the
// environment. A deployment finished already (a retried step) is left as it is.
func (s *Steps) finishDeployment(ctx context.Context, in Input) (struct{}, error) {
	_, env, dep, err := s.deployment(ctx, in)
	if err != nil {
		return struct{}{}, err
	}
	if dep.Status != deploy.StatusInProgress {
		return struct{}{}, nil
	}
	now := s.now()
	dep.FinishedAt = now
	var serving *deploy.Release
	op := apps.StepProgress{State: apps.StepSucceeded, FinishedAt: now}
	if in.Outcome == OutcomeActive {
		rel, err := s.Rollouts.GetRelease(ctx, env, dep.Release)
		if err != nil {
			return struct{}{}, fail(ErrStore, "read release %d: %v", dep.Release, err)
		}
		dep.Status, serving = deploy.StatusSucceeded, &rel
		dep.FailureType, dep.FailureReason, dep.LogLines = "", "", nil
	} else {
		dep.Status, op.State = deploy.StatusFailed, apps.StepFailed
		switch {
		case in.Error != nil && in.Error.Error == ErrCancelled:
			dep.FailureType, dep.FailureReason = FailureCancelled, strings.TrimPrefix(reason(in.Error), ErrCancelled+": ")
		case dep.FailureReason == "":
			dep.FailureType, dep.FailureReason = "WorkflowFailed", reason(in.Error)
		}
		dep.RolledBack = in.Loop != nil && in.Loop.Round > 0
		if in.CleanupError != nil {
			dep.FailureReason += "; rolling back failed too: " + reason(in.CleanupError)
		}
	}
	// Written while the environment is still this deployment's, so that it
	// never lands on the next one's progress. It is for show: a failure loses nothing.
	if env.Deploying == dep.Number {
		_ = s.Store.Apply(ctx, envTarget(env), apps.Change{Operation: &op, Now: now})
	}
	if err := s.Rollouts.FinishDeployment(ctx, env, dep, serving); err != nil {
		return struct{}{}, fail(ErrStore, "finish deployment %d: %v", dep.Number, err)
	}
	return struct{}{}, nil
}

// FailureLogs reads the last lines of a failed deployment's container,
// from the log stream the health gate recorded, onto the deployment. The
// lines only explain a failure already recorded, so a stream that cannot
// be read leaves them out rather than fail the rollback that follows.
func (s *Steps) FailureLogs(ctx context.Context, in Input) (Loop, error) {
	_, env, dep, err := s.deployment(ctx, in)
	if err != nil {
		return Loop{}, err
	}
	if dep.Status != deploy.StatusInProgress || dep.LogStream == "" || len(dep.LogLines) > 0 {
		return Loop{Ready: true}, nil
	}
	lines, err := s.Cloud.LogLines(ctx, dep.LogGroup, dep.LogStream, cloud.MaxFailureLogLines)
	if err != nil || len(lines) == 0 {
		return Loop{Ready: true}, nil
	}
	dep.LogLines = clip(lines)
	return Loop{Ready: true}, cloudError("record the failure's log lines", s.Rollouts.RecordFailure(ctx, env, dep))
}
