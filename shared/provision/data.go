package provision

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/compose"
	"github.com/berth-dev/berth/shared/data"
)

// GroupData is the data-operation workflow's: a backup's, restore's or
// sync's tasks (service step) and the backup's size (runtime step).
const GroupData Group = "data"

// ErrDataTaskFailed: a data task stopped without exit code 0.
const ErrDataTaskFailed = "Berth.DataTaskFailed"

// DataStore is what the data-operation steps need of the records.
type DataStore interface {
	GetOperation(ctx context.Context, env apps.Environment, ref data.Ref) (data.Operation, error)
	UpdateOperation(ctx context.Context, env apps.Environment, ref data.Ref, change func(*data.Operation) error) (data.Operation, error)
	Unlock(ctx context.Context, env apps.Environment, holder string) error
}

// dataStartedBy marks Berth's data tasks (ECS startedBy).
const dataStartedBy = "berth-data"

// dataOp loads a data-operation's records, target environment and operation.
func (s *Steps) dataOp(ctx context.Context, in Input) (records, apps.Environment, data.Operation, error) {
	ref, err := data.ParseRef(in.Execution.Data)
	if err != nil {
		return records{}, apps.Environment{}, data.Operation{}, fail(ErrInvalid, "%v", err)
	}
	r, err := s.load(ctx, in)
	if errors.Is(err, apps.ErrNotFound) {
		return records{}, apps.Environment{}, data.Operation{}, fail(ErrStale, "application %q no longer exists", in.Execution.Application)
	}
	if err != nil {
		return records{}, apps.Environment{}, data.Operation{}, cloudError("read records", err)
	}
	env, err := in.envOf(r)
	if err != nil {
		return records{}, apps.Environment{}, data.Operation{}, err
	}
	op, err := s.Data.GetOperation(ctx, env, ref)
	if err != nil {
		return records{}, apps.Environment{}, data.Operation{}, fail(ErrStale, "%s %s: %v", ref.Type, ref.ID, err)
	}
	return r, env, op, nil
}

// phaseEnv is where op's current phase runs: a sync backs up its source.
func phaseEnv(r records, env apps.Environment, op data.Operation) (apps.Environment, error) {
	if op.Type != data.TypeSync || op.Phase != data.PhaseBackup {
		return env, nil
	}
	src, ok := r.env(op.Source)
	if !ok {
		return apps.Environment{}, fail(ErrStale, "source environment %q no longer exists", op.Source)
	}
	return src, nil
}

// startData starts the operation's first task.
func (s *Steps) startData(ctx context.Context, in Input) (Loop, error) {
	r, env, op, err := s.dataOp(ctx, in)
	if err != nil {
		return Loop{}, err
	}
	if op.Status.Finished() || op.Execution != in.ExecutionName {
		return Loop{}, fail(ErrStale, "%s %s is %s, or another execution's", op.Type, op.ID, op.Status)
	}
	return s.runPhase(ctx, r, env, op)
}

// runPhase registers the data task definition of the phase's environment
// (once: the revision is recorded before the task starts) and starts the
// phase's task; its client token makes a retry start no second task.
func (s *Steps) runPhase(ctx context.Context, r records, env apps.Environment, op data.Operation) (Loop, error) {
	on, err := phaseEnv(r, env, op)
	if err != nil {
		return Loop{}, err
	}
	if s.Platform.DataImage == "" || s.Platform.DataTaskRoleARN == "" {
		return Loop{}, fail(ErrInvalid, "no data image or data task role is configured (BERTH_DATA_IMAGE, BERTH_DATA_TASK_ROLE_ARN), so no data task can run")
	}
	essential := true
	d := compose.Definition{TaskRoleARN: &s.Platform.DataTaskRoleARN, Containers: []compose.Container{{Name: data.Container, Essential: &essential,
		ImageReference: &compose.ImageReference{Type: compose.ImageExternal, Identifier: s.Platform.DataImage}}}}
	spec, err := s.taskSpec(r, on, d, nil, nil)
	if err != nil {
		return Loop{}, err
	}
	spec.Family = envTarget(on).Names().Resource() + "-data"
	if op.Kind == data.KindFilesystem && spec.Filesystem != nil {
		spec.Filesystem.MountPath = data.MountPath
	}
	if op.TaskDefinition == "" {
		td, err := s.Cloud.RegisterTaskDefinition(ctx, spec)
		if err != nil {
			return Loop{}, cloudError("register the data task definition", err)
		}
		if op, err = s.Data.UpdateOperation(ctx, env, op.Ref(), func(o *data.Operation) error {
			o.TaskDefinition, o.TaskDefinitionName = td.ID, td.Name
			return nil
		}); err != nil {
			return Loop{}, cloudError("record the data task definition", err)
		}
	}
	cmd := append(data.Task(op.Phase, op.Kind, op.Engine, op.Bucket, op.Key), "--path="+data.MountPath)
	task, err := s.Cloud.RunTask(ctx, cloud.TaskRun{TaskDefinitionARN: op.TaskDefinition, Container: data.Container, Command: cmd,
		SecurityGroupID: on.Outputs[apps.OutSecurityGroupID], ClientToken: token(op.Execution, string(op.Phase)),
		StartedBy: dataStartedBy, Tags: envTarget(on).Names().Tags()})
	if err != nil {
		return Loop{}, cloudError("run the data task", err)
	}
	now := s.now()
	if _, err := s.Data.UpdateOperation(ctx, env, op.Ref(), func(o *data.Operation) error {
		o.Status, o.TaskARN, o.LogGroup, o.LogStream, o.UpdatedAt = data.StatusRunning, task.ARN, task.LogGroup, task.LogStream, now
		if o.Phase == data.PhaseBackup {
			o.BackupTask, o.BackupLogGroup, o.BackupLogStream = task.ARN, task.LogGroup, task.LogStream
		}
		return nil
	}); err != nil {
		return Loop{}, cloudError("record the data task", err)
	}
	if op.Type == data.TypeSync && op.Phase == data.PhaseBackup {
		if err := s.updateSyncBackup(ctx, on, op, func(b *data.Operation) {
			b.Status, b.TaskARN, b.LogGroup, b.LogStream, b.UpdatedAt = data.StatusRunning, task.ARN, task.LogGroup, task.LogStream, now
		}); err != nil {
			return Loop{}, err
		}
	}
	return s.firstLoop(GroupData, task.Expected, false), nil
}

// updateSyncBackup changes the backup a sync takes of its source.
func (s *Steps) updateSyncBackup(ctx context.Context, source apps.Environment, op data.Operation, change func(*data.Operation)) error {
	_, err := s.Data.UpdateOperation(ctx, source, data.Ref{Type: data.TypeBackup, Kind: op.Kind, ID: op.BackupID}, func(b *data.Operation) error {
		change(b)
		return nil
	})
	return cloudError("record the sync's backup", err)
}

// checkData follows the current task. When a sync's backup has ended, it
// starts the restore; the loop ends when the last task stopped with 0.
func (s *Steps) checkData(ctx context.Context, in Input) (Loop, error) {
	r, env, op, err := s.dataOp(ctx, in)
	if err != nil {
		return Loop{}, err
	}
	if op.TaskARN == "" && op.TargetStopped {
		// The backup is taken, and the target is to be stopped before the
		// restore (a retry of the round that decided it).
		return Loop{StopTarget: true, WaitSeconds: MinWait}, nil
	}
	task, err := s.Cloud.DescribeTask(ctx, op.TaskARN, data.Container)
	if err != nil {
		return Loop{}, cloudError("describe the data task", err)
	}
	if !task.Stopped() {
		return s.nextLoop(GroupData, in.Loop, false, "the data task")
	}
	s.dropDataTaskDefinition(ctx, op)
	if task.ExitCode == nil || *task.ExitCode != 0 {
		code := "none"
		if task.ExitCode != nil {
			code = fmt.Sprint(*task.ExitCode)
		}
		return Loop{}, fail(ErrDataTaskFailed, "the %s task %s stopped (%s: %s) with exit code %s; its log stream %s says why",
			op.Phase, task.ARN, task.StopCode, task.StoppedReason, code, task.LogStream)
	}
	if op.Type != data.TypeSync || op.Phase != data.PhaseBackup {
		return s.nextLoop(GroupData, in.Loop, true, "the data task")
	}
	// The sync's backup is taken: restore it into the target, stopped
	// first when it runs (StopTarget; StartTask then starts the restore).
	stop := targetRuns(env)
	if op, err = s.Data.UpdateOperation(ctx, env, op.Ref(), func(o *data.Operation) error {
		o.Phase, o.TaskDefinition, o.TaskDefinitionName, o.UpdatedAt = data.PhaseRestore, "", "", s.now()
		if stop {
			o.TaskARN, o.LogGroup, o.LogStream, o.TargetStopped = "", "", "", true
		}
		return nil
	}); err != nil {
		return Loop{}, cloudError("record the sync's restore phase", err)
	}
	if stop {
		return Loop{StopTarget: true, WaitSeconds: MinWait}, nil
	}
	return s.runPhase(ctx, r, env, op)
}

// GroupDataTarget is a sync's target service: stopped (create, then
// check until its tasks have) before the restore, and started again
// (cleanup) when the sync ends, however it ends. The scaling step sets
// its bounds first: 0 while stopped, so that Application Auto Scaling
// does not start it again, and the environment's after.
const GroupDataTarget Group = "data-target"

// targetRuns: env's service runs tasks, so a sync stops it first.
func targetRuns(env apps.Environment) bool {
	return !env.Stopped && env.DesiredCount > 0 && env.Outputs[apps.OutServiceName] != ""
}

// stopping is the sync whose target the workflow stopped and has not
// started again; ok is false when there is nothing to stop or start.
func (s *Steps) stopping(ctx context.Context, in Input) (apps.Environment, data.Operation, bool, error) {
	_, env, op, err := s.dataOp(ctx, in)
	if err != nil {
		return apps.Environment{}, data.Operation{}, false, err
	}
	return env, op, op.TargetStopped && !op.TargetStarted, nil
}

// targetShape is what the target goes back to: the task definition of
// its serving release, its task count, and its scaling bounds (those of
// the release, as a deployment leaves them; none while stopped).
func (s *Steps) targetShape(ctx context.Context, env apps.Environment) (td string, count, minC, maxC int, err error) {
	count = env.DesiredCount
	if env.Stopped {
		count = 0
	}
	td, minC, maxC = env.Outputs[apps.OutTaskDefinitionARN], env.MinCapacity, env.MaxCapacity
	if count == 0 {
		minC, maxC = 0, 0
	}
	if env.Release > 0 {
		rel, err := s.Rollouts.GetRelease(ctx, env, env.Release)
		if err != nil {
			return "", 0, 0, 0, cloudError("read the serving release", err)
		}
		if rel.TaskDefinitionARN != "" {
			td = rel.TaskDefinitionARN
		}
		minC, maxC = bounds(rel, count)
	}
	if td == "" {
		return "", 0, 0, 0, fail(ErrStale, "environment %q has no task definition serving", env.Name)
	}
	return td, count, minC, maxC, nil
}

// deployingOn fails a sync whose target a deployment has started on
// since (the API refuses a sync while one runs, but not a deployment
// while a sync does): stopping the service would race the rollout.
func deployingOn(env apps.Environment) error {
	if env.Deploying == 0 {
		return nil
	}
	return fail(ErrStale, "deployment %d started on environment %q during the sync; the sync does not stop a service a deployment is rolling out", env.Deploying, env.Name)
}

// stopTargetScaling sets the stopping target's scaling bounds to 0.
func (s *Steps) stopTargetScaling(ctx context.Context, in Input) (Loop, error) {
	env, _, ok, err := s.stopping(ctx, in)
	if err != nil || !ok {
		return Loop{Ready: true}, err
	}
	if err := deployingOn(env); err != nil {
		return Loop{}, err
	}
	// What the target goes back to must be known before anything changes.
	if _, _, _, _, err := s.targetShape(ctx, env); err != nil {
		return Loop{}, err
	}
	if _, err := s.Cloud.RegisterScaling(ctx, cloud.ScalingSpec{ServiceName: env.Outputs[apps.OutServiceName]}); err != nil {
		return Loop{}, cloudError("stop the target's auto scaling", err)
	}
	return Loop{Ready: true}, nil
}

// stopTarget scales the stopping target's service to 0 tasks; repeating
// it is harmless.
func (s *Steps) stopTarget(ctx context.Context, in Input) (Loop, error) {
	env, _, ok, err := s.stopping(ctx, in)
	if err != nil || !ok {
		return Loop{Ready: true}, err
	}
	if err := deployingOn(env); err != nil {
		return Loop{}, err
	}
	td, _, _, _, err := s.targetShape(ctx, env)
	if err != nil {
		return Loop{}, err
	}
	res, err := s.Cloud.UpdateService(ctx, cloud.ServiceUpdate{Name: env.Outputs[apps.OutServiceName], TaskDefinitionARN: td, DesiredCount: 0})
	if err != nil {
		return Loop{}, cloudError("stop the target's service", err)
	}
	return s.firstLoop(GroupDataTarget, res.Expected, false), nil
}

// checkTargetStopped is ready once the target's service runs no task.
func (s *Steps) checkTargetStopped(ctx context.Context, in Input) (Loop, error) {
	env, _, ok, err := s.stopping(ctx, in)
	if err != nil || !ok {
		return Loop{Ready: true}, err
	}
	svc := env.Outputs[apps.OutServiceName]
	res, err := s.Cloud.Check(ctx, cloud.Ref{Kind: cloud.KindService, Name: svc})
	if err != nil {
		return Loop{}, cloudError("check the target's service", err)
	}
	stopped := res.State == cloud.StateAvailable && res.Outputs[cloud.OutDesired] == "0" && res.Outputs[cloud.OutRunning] == "0"
	return s.nextLoop(GroupDataTarget, in.Loop, stopped, "stopping the target's tasks")
}

// startTargetScaling gives the stopped target its scaling bounds back,
// before StartTarget sets its count (bounds of 0 would undo it).
func (s *Steps) startTargetScaling(ctx context.Context, in Input) (Loop, error) {
	env, _, ok, err := s.stopping(ctx, in)
	if err != nil || !ok || env.Deploying != 0 {
		// A deployment running now owns the service: it leaves its
		// release's bounds (or the previous one's) when it ends.
		return Loop{Ready: true}, err
	}
	_, _, minC, maxC, err := s.targetShape(ctx, env)
	if err != nil {
		return Loop{}, err
	}
	if _, err := s.Cloud.RegisterScaling(ctx, cloud.ScalingSpec{ServiceName: env.Outputs[apps.OutServiceName], Min: minC, Max: maxC}); err != nil {
		return Loop{}, cloudError("restore the target's auto scaling", err)
	}
	return Loop{Ready: true}, nil
}

// startTarget starts the stopped target again, on its serving release at
// its count, and records that it did: once only, so compensation after a
// success, or a retried run, starts nothing the workflow did not stop.
func (s *Steps) startTarget(ctx context.Context, in Input) (Loop, error) {
	env, op, ok, err := s.stopping(ctx, in)
	if err != nil || !ok {
		return Loop{Ready: true}, err
	}
	// A deployment running now owns the service and sets its count when
	// it ends; starting it here would undo its rollout.
	if env.Deploying == 0 {
		td, count, _, _, err := s.targetShape(ctx, env)
		if err != nil {
			return Loop{}, err
		}
		if _, err := s.Cloud.UpdateService(ctx, cloud.ServiceUpdate{Name: env.Outputs[apps.OutServiceName], TaskDefinitionARN: td, DesiredCount: count}); err != nil {
			return Loop{}, cloudError("start the target's service", err)
		}
	}
	if _, err := s.Data.UpdateOperation(ctx, env, op.Ref(), func(o *data.Operation) error {
		o.TargetStarted, o.UpdatedAt = true, s.now()
		return nil
	}); err != nil {
		return Loop{}, cloudError("record that the target started", err)
	}
	return Loop{Ready: true}, nil
}

// dropDataTaskDefinition deregisters the revision a stopped task ran;
// best effort, since the reconciler finds a tagged revision left behind.
func (s *Steps) dropDataTaskDefinition(ctx context.Context, op data.Operation) {
	if op.TaskDefinition != "" {
		_, _ = s.Cloud.Delete(ctx, cloud.Ref{Kind: cloud.KindTaskDefinition, Name: op.TaskDefinitionName, ID: op.TaskDefinition}, cloud.DeleteOptions{})
	}
}

// stopDataTask is the data-operation's compensation: a task the workflow
// can no longer watch is stopped, and its revision deregistered.
func (s *Steps) stopDataTask(ctx context.Context, in Input) (Loop, error) {
	_, _, op, err := s.dataOp(ctx, in)
	if err != nil {
		return Loop{Ready: true}, nil // nothing recorded, nothing started
	}
	if op.TaskARN != "" {
		if err := s.Cloud.StopTask(ctx, op.TaskARN, "Berth: the data operation failed"); err != nil && !errors.Is(err, cloud.ErrNotFound) {
			return Loop{}, cloudError("stop the data task", err)
		}
	}
	s.dropDataTaskDefinition(ctx, op)
	return Loop{Ready: true}, nil
}

// recordData ends an operation whose tasks succeeded: the backup's size
// from its task's last line, completed, and the environments freed.
func (s *Steps) recordData(ctx context.Context, in Input) (Loop, error) {
	r, env, op, err := s.dataOp(ctx, in)
	if err != nil {
		return Loop{}, err
	}
	if op.Status.Finished() {
		return Loop{Ready: true}, nil
	}
	var size int64
	if op.Type != data.TypeRestore && op.BackupLogStream != "" {
		lines, err := s.Cloud.LogLines(ctx, op.BackupLogGroup, op.BackupLogStream, 20)
		if err != nil && !errors.Is(err, cloud.ErrNotFound) {
			return Loop{}, cloudError("read the backup task's output", err)
		}
		size, _ = data.ParseSize(lines)
	}
	now := s.now()
	switch op.Type {
	case data.TypeSync:
		src, ok := r.env(op.Source)
		if ok {
			if err := s.updateSyncBackup(ctx, src, op, func(b *data.Operation) {
				b.Status, b.Size, b.EndedAt, b.UpdatedAt = data.StatusCompleted, size, now, now
			}); err != nil {
				return Loop{}, err
			}
		}
	case data.TypeBackup:
		op.Size = size
	}
	if _, err := s.Data.UpdateOperation(ctx, env, op.Ref(), func(o *data.Operation) error {
		o.Status, o.EndedAt, o.UpdatedAt = data.StatusCompleted, now, now
		if o.Type == data.TypeBackup {
			o.Size = size
		}
		return nil
	}); err != nil {
		return Loop{}, cloudError("record the "+string(op.Type), err)
	}
	return Loop{Ready: true}, s.unlockData(ctx, r, env, op)
}

// unlockData frees the environments op held.
func (s *Steps) unlockData(ctx context.Context, r records, env apps.Environment, op data.Operation) error {
	if err := s.Data.Unlock(ctx, env, op.LockHolder()); err != nil {
		return cloudError("free the environment", err)
	}
	// A sync holds its source; a restore, the environment of its backup.
	other := op.Source
	if op.Type == data.TypeRestore {
		other = op.BackupEnvironment
	}
	if src, ok := r.env(other); ok && other != env.Name {
		return cloudError("free the source environment", s.Data.Unlock(ctx, src, op.LockHolder()))
	}
	return nil
}

// finishDataFailed records why an operation failed (and its sync's backup,
// unless that completed), and frees the environments.
func (s *Steps) finishDataFailed(ctx context.Context, in Input) (struct{}, error) {
	r, env, op, err := s.dataOp(ctx, in)
	if err != nil {
		var named messages.InvokeResponse_Error
		if errors.As(err, &named) && named.Type == ErrStale {
			return struct{}{}, nil // the records are gone: nothing to record
		}
		return struct{}{}, err
	}
	why := reason(in.Error)
	if in.CleanupError != nil {
		why += "; stopping its task failed too (" + reason(in.CleanupError) + ")"
	}
	now := s.now()
	if op.Type == data.TypeSync {
		if src, ok := r.env(op.Source); ok {
			if err := s.updateSyncBackup(ctx, src, op, func(b *data.Operation) {
				if b.Status != data.StatusCompleted {
					b.Status, b.Reason, b.EndedAt, b.UpdatedAt = data.StatusFailed, "the sync failed: "+why, now, now
				}
			}); err != nil {
				return struct{}{}, err
			}
		}
	}
	if _, err := s.Data.UpdateOperation(ctx, env, op.Ref(), func(o *data.Operation) error {
		if !o.Status.Finished() {
			o.Status, o.Reason, o.EndedAt, o.UpdatedAt = data.StatusFailed, why, now, now
		}
		return nil
	}); err != nil {
		return struct{}{}, fail(ErrStore, "record the failure: %v", err)
	}
	if err := s.unlockData(ctx, r, env, op); err != nil {
		return struct{}{}, fail(ErrStore, "%v", err)
	}
	return struct{}{}, nil
}
