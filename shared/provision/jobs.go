package provision

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/jobs"
)

// GroupJob is the run-job workflow's: a job's task (service step) and its
// output (runtime step).
const GroupJob Group = "job"

// JobStore is what the run-job steps need of the records.
type JobStore interface {
	CreateRun(ctx context.Context, env apps.Environment, run jobs.Run) error
	GetRun(ctx context.Context, env apps.Environment, key string) (jobs.Run, error)
	UpdateRun(ctx context.Context, env apps.Environment, cron, id string, change func(*jobs.Run) error) (jobs.Run, error)
	GetCron(ctx context.Context, env apps.Environment, name string) (jobs.Cron, error)
	ClaimCron(ctx context.Context, env apps.Environment, name, run string, now, until time.Time) error
	ReleaseCron(ctx context.Context, env apps.Environment, name, run string) error
}

// BeginResult is what Begin answers; only run-job reads it.
type BeginResult struct {
	// Skip ends a run-job at once: the firing was recorded as skipped, or
	// another execution runs it.
	Skip bool `json:"skip"`
	// Run is the run's id.
	Run string `json:"run,omitempty"`
}

// jobStartedBy marks Berth's job tasks (ECS startedBy).
const jobStartedBy = "berth-job"

// claimSlack is how long past its timeout a cron run's claim holds.
const claimSlack = 15 * time.Minute

// job loads a run-job's environment and run.
func (s *Steps) job(ctx context.Context, in Input) (apps.Environment, jobs.Run, error) {
	r, err := s.load(ctx, in)
	if errors.Is(err, apps.ErrNotFound) {
		return apps.Environment{}, jobs.Run{}, fail(ErrStale, "application %q no longer exists", in.Execution.Application)
	}
	if err != nil {
		return apps.Environment{}, jobs.Run{}, cloudError("read records", err)
	}
	env, err := in.envOf(r)
	if err != nil {
		return apps.Environment{}, jobs.Run{}, err
	}
	id := in.Execution.Run
	if in.Execution.Cron != "" {
		id = jobs.CronRunID(scheduledTime(in), in.ExecutionName)
	}
	run, err := s.Jobs.GetRun(ctx, env, runKey(in.Execution.Cron, id))
	if err != nil {
		return apps.Environment{}, jobs.Run{}, fail(ErrStale, "run %s: %v", id, err)
	}
	return env, run, nil
}

func runKey(cron, id string) string {
	if cron == "" {
		return id
	}
	return cron + "/" + id
}

func scheduledTime(in Input) time.Time {
	t, err := time.Parse(time.RFC3339, in.Execution.ScheduledTime)
	if err != nil {
		return time.Time{}
	}
	return t
}

// beginJob checks the run is this execution's to run. A cron firing
// records its run here, or a skipped one while the previous run goes on.
func (s *Steps) beginJob(ctx context.Context, in Input) (BeginResult, error) {
	if in.Execution.Cron == "" {
		_, run, err := s.job(ctx, in)
		if err != nil {
			return BeginResult{}, err
		}
		if run.Execution != in.ExecutionName || run.Status.Finished() {
			return BeginResult{Skip: true, Run: run.ID}, nil
		}
		return BeginResult{Run: run.ID}, nil
	}
	r, err := s.load(ctx, in)
	if errors.Is(err, apps.ErrNotFound) {
		return BeginResult{Skip: true}, nil // the schedule outlived its application; teardown deletes it
	}
	if err != nil {
		return BeginResult{}, cloudError("read records", err)
	}
	env, err := in.envOf(r)
	if err != nil || env.Status != apps.StatusActive {
		return BeginResult{Skip: true}, nil
	}
	c, err := s.Jobs.GetCron(ctx, env, in.Execution.Cron)
	if errors.Is(err, apps.ErrNotFound) || err == nil && !c.Enabled {
		return BeginResult{Skip: true}, nil // deleted or paused since the schedule fired
	}
	if err != nil {
		return BeginResult{}, cloudError("read cron job", err)
	}
	now := s.now()
	at := scheduledTime(in)
	run := jobs.Run{ID: jobs.CronRunID(at, in.ExecutionName), Type: jobs.RunCron, Cron: c.Name, Command: c.Command,
		Container: c.Container, Timeout: c.Timeout, Status: jobs.StatusPending, ScheduledTime: at,
		Execution: in.ExecutionName, CreatedBy: "cron", CreatedAt: now}
	if err := s.Jobs.CreateRun(ctx, env, run); errors.Is(err, apps.ErrConflict) {
		// A retried firing: whichever execution recorded the run runs it.
		got, gerr := s.Jobs.GetRun(ctx, env, runKey(c.Name, run.ID))
		if gerr != nil {
			return BeginResult{}, cloudError("read run", gerr)
		}
		if got.Execution != in.ExecutionName || got.Status.Finished() {
			return BeginResult{Skip: true, Run: run.ID}, nil
		}
	} else if err != nil {
		return BeginResult{}, cloudError("record run", err)
	}
	if err := s.Jobs.ClaimCron(ctx, env, c.Name, run.ID, now, now.Add(c.Timeout+claimSlack)); err != nil {
		if !errors.Is(err, apps.ErrConflict) {
			return BeginResult{}, cloudError("claim cron job", err)
		}
		var appErr *apps.Error
		reason := err.Error()
		if errors.As(err, &appErr) {
			reason = appErr.Message
		}
		_, uerr := s.Jobs.UpdateRun(ctx, env, c.Name, run.ID, func(r *jobs.Run) error {
			r.Status, r.Reason, r.EndedAt = jobs.StatusSkipped, "skipped: "+reason, now
			return nil
		})
		return BeginResult{Skip: true, Run: run.ID}, cloudError("record skipped run", uerr)
	}
	return BeginResult{Run: run.ID}, nil
}

// startTask starts the run's task, once: the client token makes a retry
// find the task the first attempt started.
func (s *Steps) startTask(ctx context.Context, in Input) (Loop, error) {
	env, run, err := s.job(ctx, in)
	if err != nil {
		return Loop{}, err
	}
	if run.CancelRequested {
		return Loop{}, fail(ErrCancelled, "cancelled before it started")
	}
	td, sg := env.Outputs[apps.OutTaskDefinitionARN], env.Outputs[apps.OutSecurityGroupID]
	if td == "" || sg == "" {
		return Loop{}, fail(ErrInvalid, "environment %q has no task definition or security group yet", env.Name)
	}
	task, err := s.Cloud.RunTask(ctx, cloud.TaskRun{TaskDefinitionARN: td, Container: run.Container, Command: run.Argv(),
		SecurityGroupID: sg, ClientToken: jobs.ClientToken(env.UID, run.ID), StartedBy: jobStartedBy, Tags: envTarget(env).Names().Tags()})
	if err != nil {
		return Loop{}, cloudError("run task", err)
	}
	if _, err := s.Jobs.UpdateRun(ctx, env, run.Cron, run.ID, func(r *jobs.Run) error {
		r.TaskARN, r.LogGroup, r.LogStream = task.ARN, task.LogGroup, task.LogStream
		return nil
	}); err != nil {
		return Loop{}, cloudError("record task", err)
	}
	l := s.firstLoop(GroupJob, task.Expected, false)
	l.Deadline = run.CreatedAt.Add(run.Timeout)
	return l, nil
}

// checkTask follows the task: RUNNING shows on the run; a cancel or the
// timeout stops it; once STOPPED, its exit code is recorded and the loop
// ends.
func (s *Steps) checkTask(ctx context.Context, in Input) (Loop, error) {
	env, run, err := s.job(ctx, in)
	if err != nil {
		return Loop{}, err
	}
	task, err := s.Cloud.DescribeTask(ctx, run.TaskARN, run.Container)
	if err != nil {
		return Loop{}, cloudError("describe task", err)
	}
	now := s.now()
	if !task.Stopped() && now.After(run.CreatedAt.Add(run.Timeout+claimSlack)) {
		return Loop{}, fail(ErrTimeout, "task %s did not stop within %s of its timeout", run.TaskARN, claimSlack)
	}
	var stop string
	switch {
	case task.Stopped():
	case run.CancelRequested:
		stop = "cancelled by request"
	case now.After(run.CreatedAt.Add(run.Timeout)):
		stop = fmt.Sprintf("timed out after %s", run.Timeout)
	}
	if stop != "" {
		if err := s.Cloud.StopTask(ctx, run.TaskARN, "Berth: "+stop); err != nil {
			return Loop{}, cloudError("stop task", err)
		}
	}
	_, err = s.Jobs.UpdateRun(ctx, env, run.Cron, run.ID, func(r *jobs.Run) error {
		if !task.StartedAt.IsZero() && r.StartedAt.IsZero() {
			r.StartedAt = task.StartedAt.UTC()
		}
		if r.Status == jobs.StatusPending && (task.Status == cloud.TaskRunning || task.Stopped()) {
			r.Status = jobs.StatusRunning
		}
		if stop != "" && !r.CancelRequested {
			r.TimedOut = true
		}
		if task.Stopped() {
			r.ExitCode = task.ExitCode
			if r.Reason == "" {
				r.Reason = task.StoppedReason
			}
			if !task.StoppedAt.IsZero() {
				r.EndedAt = task.StoppedAt.UTC()
			}
		}
		return nil
	})
	if err != nil {
		return Loop{}, cloudError("record task", err)
	}
	if task.Stopped() {
		return Loop{Ready: true}, nil
	}
	l := Loop{WaitSeconds: MinWait, Deadline: run.CreatedAt.Add(run.Timeout)}
	if stop == "" && task.Status != cloud.TaskRunning {
		l.WaitSeconds = max(MinWait, int(task.Expected/time.Second)/4)
	}
	if in.Loop != nil {
		l.Round = in.Loop.Round + 1
	}
	// A long job is looked at less often: every 2 s for a minute, then up to every 30 s.
	if l.Round > 30 && stop == "" {
		l.WaitSeconds = min(30, MinWait+l.Round/10)
	}
	return l, nil
}

// jobOutput reads the task's last lines onto the run.
func (s *Steps) jobOutput(ctx context.Context, in Input) (Loop, error) {
	env, run, err := s.job(ctx, in)
	if err != nil {
		return Loop{}, err
	}
	if run.LogGroup == "" || run.LogStream == "" {
		return Loop{Ready: true}, nil
	}
	lines, err := s.Cloud.LogLines(ctx, run.LogGroup, run.LogStream, cloud.MaxOutputLines)
	if errors.Is(err, cloud.ErrNotFound) {
		lines, err = nil, nil // the container wrote nothing
	}
	if err != nil {
		return Loop{}, cloudError("read output", err)
	}
	for i, l := range lines {
		if len(l) > maxLogLine {
			lines[i] = l[:maxLogLine]
		}
	}
	_, err = s.Jobs.UpdateRun(ctx, env, run.Cron, run.ID, func(r *jobs.Run) error {
		r.Output = lines
		return nil
	})
	return Loop{Ready: true}, cloudError("record output", err)
}

// stopJobTask is the run-job's compensation: the task, if one was
// started, must not run on unwatched.
func (s *Steps) stopJobTask(ctx context.Context, in Input) (Loop, error) {
	_, run, err := s.job(ctx, in)
	if err != nil {
		return Loop{}, err
	}
	if run.TaskARN == "" {
		return Loop{Ready: true}, nil
	}
	err = s.Cloud.StopTask(ctx, run.TaskARN, "Berth: the run-job workflow failed")
	if errors.Is(err, cloud.ErrNotFound) {
		err = nil
	}
	return Loop{Ready: true}, cloudError("stop task", err)
}

// finishJob records how the run ended, and frees its cron job.
func (s *Steps) finishJob(ctx context.Context, in Input) (struct{}, error) {
	env, run, err := s.job(ctx, in)
	if err != nil {
		var named messages.InvokeResponse_Error
		if errors.As(err, &named) && named.Type == ErrStale {
			return struct{}{}, nil // nothing left to record on
		}
		return struct{}{}, err
	}
	now := s.now()
	_, err = s.Jobs.UpdateRun(ctx, env, run.Cron, run.ID, func(r *jobs.Run) error {
		if r.Status.Finished() {
			return nil
		}
		if r.EndedAt.IsZero() {
			r.EndedAt = now
		}
		r.Status, r.Reason = outcomeOf(*r, in)
		return nil
	})
	if err != nil {
		return struct{}{}, fail(ErrStore, "record run %s: %v", run.ID, err)
	}
	if run.Cron != "" {
		if err := s.Jobs.ReleaseCron(ctx, env, run.Cron, run.ID); err != nil {
			return struct{}{}, fail(ErrStore, "free cron job %q: %v", run.Cron, err)
		}
	}
	return struct{}{}, nil
}

// outcomeOf is how a run ended, read back from what its task did: never
// assumed from the workflow's path alone.
func outcomeOf(r jobs.Run, in Input) (jobs.Status, string) {
	switch {
	case r.CancelRequested:
		return jobs.StatusFailed, "cancelled by request" + exitNote(r.ExitCode)
	case r.TimedOut:
		return jobs.StatusTimedOut, fmt.Sprintf("stopped after its timeout of %s%s", r.Timeout, exitNote(r.ExitCode))
	case in.Outcome == OutcomeFailed:
		return jobs.StatusFailed, reason(in.Error)
	case r.ExitCode == nil:
		why := r.Reason
		if why == "" {
			why = "the task stopped without the container exiting"
		}
		return jobs.StatusFailed, why
	case *r.ExitCode == 0:
		return jobs.StatusSucceeded, ""
	}
	return jobs.StatusFailed, fmt.Sprintf("exited with code %d", *r.ExitCode)
}

func exitNote(code *int) string {
	if code == nil {
		return ""
	}
	return fmt.Sprintf(" (exit code %d)", *code)
}
