package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/validation"
)

// Store is what the job use cases need of the records. Runs and cron jobs
// live in the environment's history partition, so deleting the
// environment deletes them.
type Store interface {
	GetEnvironment(ctx context.Context, org, app, name string) (apps.Environment, error)
	// FindEnvironments lists the organisation's environments named name,
	// across its applications.
	FindEnvironments(ctx context.Context, org, name string) ([]apps.Environment, error)
	// CreateRun stores a new run; a Conflict when its id is taken.
	CreateRun(ctx context.Context, env apps.Environment, run Run) error
	GetRun(ctx context.Context, env apps.Environment, id string) (Run, error)
	// ListRuns lists commands (cron "") or a cron job's runs, newest first.
	ListRuns(ctx context.Context, env apps.Environment, cron string, page apps.PageRequest) (apps.Page[Run], error)
	// UpdateRun applies change to the run in a conditional write, reading
	// it again when another write came first.
	UpdateRun(ctx context.Context, env apps.Environment, cron, id string, change func(*Run) error) (Run, error)
	// CreateCron stores a new cron job; a Conflict when the name is taken.
	CreateCron(ctx context.Context, env apps.Environment, c Cron) error
	GetCron(ctx context.Context, env apps.Environment, name string) (Cron, error)
	ListCrons(ctx context.Context, env apps.Environment, page apps.PageRequest) (apps.Page[Cron], error)
	// PutCron replaces the cron job if its version is still c.Version - 1.
	PutCron(ctx context.Context, env apps.Environment, c Cron) error
	DeleteCron(ctx context.Context, env apps.Environment, name string) error
	// ClaimCron marks run as the cron job's run in flight, until until;
	// a Conflict naming the run in flight when there is one.
	ClaimCron(ctx context.Context, env apps.Environment, name, run string, now, until time.Time) error
	// ReleaseCron clears the claim of run, if it still holds it.
	ReleaseCron(ctx context.Context, env apps.Environment, name, run string) error
}

// Service runs the job use cases.
type Service struct {
	Store     Store
	Workflows apps.WorkflowStarter
	// Schedules keeps cron jobs' schedules; nil but for the cron routes.
	Schedules Schedules
	Now       func() time.Time
}

// NewService runs the use cases on store, starting workflows with workflows.
func NewService(store Store, workflows apps.WorkflowStarter, schedules Schedules) *Service {
	return &Service{Store: store, Workflows: workflows, Schedules: schedules, Now: time.Now}
}

// Request names the environment a job is for, and who asks. Application
// is empty on Quant's organisation-level command paths.
type Request struct {
	Organisation, Application, Environment string
	By                                     string
}

// Environment resolves the request's environment; without an application,
// by name across the organisation, which must be unambiguous.
func (s *Service) Environment(ctx context.Context, r Request) (apps.Environment, error) {
	if r.Application != "" {
		return s.Store.GetEnvironment(ctx, r.Organisation, r.Application, r.Environment)
	}
	envs, err := s.Store.FindEnvironments(ctx, r.Organisation, r.Environment)
	if err != nil {
		return apps.Environment{}, err
	}
	switch len(envs) {
	case 0:
		return apps.Environment{}, apps.NotFound("no application of organisation %q has an environment %q", r.Organisation, r.Environment)
	case 1:
		return envs[0], nil
	}
	names := make([]string, len(envs))
	for i, e := range envs {
		names[i] = e.Application
	}
	return apps.Environment{}, apps.Conflict("environment %q is ambiguous: applications %s have one; use /applications/{application}/environments/%s/commands", r.Environment, strings.Join(names, ", "), r.Environment)
}

// runnable fails unless jobs can run on env now.
func runnable(env apps.Environment) error {
	if env.Status != apps.StatusActive {
		return apps.Conflict("environment %q is %s; jobs run on ACTIVE environments", env.Name, env.Status)
	}
	return nil
}

// CreateCommand records a command and starts its run-job workflow.
func (s *Service) CreateCommand(ctx context.Context, r Request, body CommandRequest) (Run, apps.Environment, error) {
	errs := validation.Errors{}
	if body.Command == nil {
		errs.Add("command", "is required: a string, run with sh -c, or an array of strings")
	} else {
		checkCommand("command", body.Command.Args, body.Command.Shell, errs)
	}
	timeout := checkTimeout(body.TimeoutSeconds, errs)
	if err := errs.Err(); err != nil {
		return Run{}, apps.Environment{}, err
	}
	env, err := s.Environment(ctx, r)
	if err != nil {
		return Run{}, apps.Environment{}, err
	}
	container := TargetContainer(env.Compose, body.TargetContainerName, errs)
	if err := errs.Err(); err != nil {
		return Run{}, apps.Environment{}, err
	}
	if err := runnable(env); err != nil {
		return Run{}, apps.Environment{}, err
	}
	now := s.Now().UTC()
	run := Run{ID: NewRunID(now), Type: RunExec, Command: body.Command.Args, Shell: body.Command.Shell, Container: container,
		Timeout: timeout, Status: StatusPending, CreatedBy: r.By, CreatedAt: now}
	run.Execution = ExecutionName(env.UID, run.ID)
	if err := s.Store.CreateRun(ctx, env, run); err != nil {
		return Run{}, apps.Environment{}, err
	}
	if err := s.Workflows.Start(ctx, apps.Execution{Workflow: apps.RunJob, Name: run.Execution, Input: RunInput(env, run.ID)}); err != nil {
		// Nothing runs it: say so on the run rather than leave it PENDING.
		_, _ = s.Store.UpdateRun(ctx, env, "", run.ID, func(r *Run) error {
			r.Status, r.Reason, r.EndedAt = StatusFailed, "the run-job workflow could not be started", s.Now().UTC()
			return nil
		})
		return Run{}, apps.Environment{}, apps.Unavailable(err, "the command could not be started; retry the request")
	}
	return run, env, nil
}

// RunInput is the run-job input of a command.
func RunInput(env apps.Environment, runID string) apps.ExecutionInput {
	return apps.ExecutionInput{Organisation: env.Organisation, Application: env.Application, Environment: env.Name, UID: env.UID, Run: runID}
}

// CronInput is the run-job input a cron job's schedule starts, with
// Scheduler's placeholder for the firing's time.
func CronInput(env apps.Environment, cron string) string {
	in := apps.ExecutionInput{Organisation: env.Organisation, Application: env.Application, Environment: env.Name, UID: env.UID,
		Cron: cron, ScheduledTime: ScheduledTimePlaceholder}
	doc, _ := json.Marshal(in) // strings only: always encodes
	return string(doc)
}

// ScheduledTimePlaceholder is what EventBridge Scheduler replaces with a
// firing's time in a target's input.
const ScheduledTimePlaceholder = "<aws.scheduler.scheduled-time>"

// GetCommand reads a command.
func (s *Service) GetCommand(ctx context.Context, r Request, id string) (Run, error) {
	env, err := s.Environment(ctx, r)
	if err != nil {
		return Run{}, err
	}
	if !ValidRunID(id) {
		return Run{}, apps.NotFound("no command %q in environment %q", id, env.Name)
	}
	return s.Store.GetRun(ctx, env, id)
}

// ListCommands lists an environment's commands, newest first.
func (s *Service) ListCommands(ctx context.Context, r Request, page apps.PageRequest) (apps.Page[Run], error) {
	env, err := s.Environment(ctx, r)
	if err != nil {
		return apps.Page[Run]{}, err
	}
	return s.Store.ListRuns(ctx, env, "", page)
}

// CancelCommand asks a running command to stop: its workflow stops the
// task at its next look, and the run ends FAILED, saying so.
func (s *Service) CancelCommand(ctx context.Context, r Request, id string) (Run, error) {
	env, err := s.Environment(ctx, r)
	if err != nil {
		return Run{}, err
	}
	if !ValidRunID(id) {
		return Run{}, apps.NotFound("no command %q in environment %q", id, env.Name)
	}
	return s.Store.UpdateRun(ctx, env, "", id, func(run *Run) error {
		if run.Status.Finished() {
			return apps.Conflict("command %s has ended (%s); only a PENDING or RUNNING command can be cancelled", id, run.Status)
		}
		run.CancelRequested = true
		return nil
	})
}

// CreateCron records a cron job and creates its schedule.
func (s *Service) CreateCron(ctx context.Context, r Request, body CronRequest) (Cron, error) {
	errs := validation.Errors{}
	c := Cron{Name: checkCronName(body.Name, errs), Description: checkDescription(body.Description, errs),
		Expression: checkExpression(body.ScheduleExpression, errs), Enabled: body.IsEnabled == nil || *body.IsEnabled,
		Timeout: checkTimeout(body.TimeoutSeconds, errs), CreatedBy: r.By}
	if body.Command == nil {
		errs.Add("command", "is required: an array of strings, such as [\"php\", \"artisan\", \"schedule:run\"]")
	} else {
		c.Command = *body.Command
		checkCommand("command", c.Command, false, errs)
	}
	if err := errs.Err(); err != nil {
		return Cron{}, err
	}
	env, err := s.Environment(ctx, r)
	if err != nil {
		return Cron{}, err
	}
	c.Container = TargetContainer(env.Compose, body.TargetContainerName, errs)
	if err := errs.Err(); err != nil {
		return Cron{}, err
	}
	group, err := scheduleGroup(env)
	if err != nil {
		return Cron{}, err
	}
	existing, err := s.Store.ListCrons(ctx, env, apps.PageRequest{Limit: MaxCronJobs})
	if err != nil {
		return Cron{}, err
	}
	if len(existing.Items) >= MaxCronJobs {
		return Cron{}, apps.Conflict("environment %q has %d cron jobs, the most it may have; delete one first", env.Name, MaxCronJobs)
	}
	c.CreatedAt, c.UpdatedAt, c.Version = s.Now().UTC(), s.Now().UTC(), 1
	if err := s.Store.CreateCron(ctx, env, c); err != nil {
		return Cron{}, err
	}
	if err := s.Schedules.Put(ctx, s.schedule(env, group, c)); err != nil {
		// The schedule is the job: without it, take the record back.
		if derr := s.Store.DeleteCron(ctx, env, c.Name); derr != nil {
			err = errors.Join(err, derr)
		}
		return Cron{}, scheduleError(err)
	}
	return c, nil
}

// UpdateCron changes the fields sent; the name stays.
func (s *Service) UpdateCron(ctx context.Context, r Request, name string, body CronRequest) (Cron, error) {
	errs := validation.Errors{}
	if body.Name != nil && *body.Name != name {
		errs.Add("name", "cannot change; create a cron job with the new name and delete this one")
	}
	var expr, desc string
	if body.ScheduleExpression != nil {
		expr = checkExpression(body.ScheduleExpression, errs)
	}
	if body.Description != nil {
		desc = checkDescription(body.Description, errs)
	}
	if body.Command != nil {
		checkCommand("command", *body.Command, false, errs)
	}
	var timeout time.Duration
	if body.TimeoutSeconds != nil {
		timeout = checkTimeout(body.TimeoutSeconds, errs)
	}
	if err := errs.Err(); err != nil {
		return Cron{}, err
	}
	env, old, err := s.cron(ctx, r, name)
	if err != nil {
		return Cron{}, err
	}
	c := old
	if body.TargetContainerName != nil {
		c.Container = TargetContainer(env.Compose, body.TargetContainerName, errs)
	}
	if err := errs.Err(); err != nil {
		return Cron{}, err
	}
	if body.ScheduleExpression != nil {
		c.Expression = expr
	}
	if body.Description != nil {
		c.Description = desc
	}
	if body.Command != nil {
		c.Command = *body.Command
	}
	if body.TimeoutSeconds != nil {
		c.Timeout = timeout
	}
	if body.IsEnabled != nil {
		c.Enabled = *body.IsEnabled
	}
	group, err := scheduleGroup(env)
	if err != nil {
		return Cron{}, err
	}
	c.UpdatedAt, c.Version = s.Now().UTC(), old.Version+1
	if err := s.Store.PutCron(ctx, env, c); err != nil {
		return Cron{}, err
	}
	if err := s.Schedules.Put(ctx, s.schedule(env, group, c)); err != nil {
		back := old
		back.Version = c.Version + 1
		if perr := s.Store.PutCron(ctx, env, back); perr != nil {
			err = errors.Join(err, perr)
		}
		return Cron{}, scheduleError(err)
	}
	return c, nil
}

// DeleteCron deletes the schedule, then the record; its runs stay until
// the environment goes.
func (s *Service) DeleteCron(ctx context.Context, r Request, name string) error {
	env, _, err := s.cron(ctx, r, name)
	if err != nil {
		return err
	}
	group, err := scheduleGroup(env)
	if err != nil {
		return err
	}
	if err := s.Schedules.Delete(ctx, group, name); err != nil {
		return scheduleError(err)
	}
	return s.Store.DeleteCron(ctx, env, name)
}

// GetCron reads a cron job.
func (s *Service) GetCron(ctx context.Context, r Request, name string) (Cron, error) {
	_, c, err := s.cron(ctx, r, name)
	return c, err
}

// ListCrons lists an environment's cron jobs by name.
func (s *Service) ListCrons(ctx context.Context, r Request, page apps.PageRequest) (apps.Page[Cron], error) {
	env, err := s.Environment(ctx, r)
	if err != nil {
		return apps.Page[Cron]{}, err
	}
	return s.Store.ListCrons(ctx, env, page)
}

// ListCronRuns lists a cron job's runs, newest first.
func (s *Service) ListCronRuns(ctx context.Context, r Request, name string, page apps.PageRequest) (apps.Page[Run], error) {
	env, _, err := s.cron(ctx, r, name)
	if err != nil {
		return apps.Page[Run]{}, err
	}
	return s.Store.ListRuns(ctx, env, name, page)
}

// GetCronRun reads one run of a cron job.
func (s *Service) GetCronRun(ctx context.Context, r Request, name, id string) (Run, error) {
	env, _, err := s.cron(ctx, r, name)
	if err != nil {
		return Run{}, err
	}
	if !ValidRunID(id) {
		return Run{}, apps.NotFound("cron job %q has no run %q", name, id)
	}
	run, err := s.Store.GetRun(ctx, env, cronRunKey(name, id))
	if errors.Is(err, apps.ErrNotFound) {
		return Run{}, apps.NotFound("cron job %q has no run %q", name, id)
	}
	return run, err
}

// cronRunKey is how GetRun finds a cron job's run.
func cronRunKey(name, id string) string { return name + "/" + id }

// SplitRunKey undoes cronRunKey: cron "" for a command.
func SplitRunKey(key string) (cron, id string) {
	if c, i, ok := strings.Cut(key, "/"); ok {
		return c, i
	}
	return "", key
}

func (s *Service) cron(ctx context.Context, r Request, name string) (apps.Environment, Cron, error) {
	env, err := s.Environment(ctx, r)
	if err != nil {
		return apps.Environment{}, Cron{}, err
	}
	if !apps.ValidName(name) {
		return apps.Environment{}, Cron{}, apps.NotFound("no cron job %q in environment %q", name, env.Name)
	}
	c, err := s.Store.GetCron(ctx, env, name)
	return env, c, err
}

func (s *Service) schedule(env apps.Environment, group string, c Cron) Schedule {
	return Schedule{Group: group, Name: c.Name, Expression: c.Expression, Enabled: c.Enabled, Description: c.Description, Input: CronInput(env, c.Name)}
}

// scheduleGroup is the environment's schedule group, which provisioning
// creates with its runtime.
func scheduleGroup(env apps.Environment) (string, error) {
	if env.Status != apps.StatusActive {
		return "", apps.Conflict("environment %q is %s; cron jobs change on ACTIVE environments", env.Name, env.Status)
	}
	for _, ref := range env.Resources {
		if ref.Kind == cloud.KindScheduleGroup {
			return ref.Name, nil
		}
	}
	return "", apps.Conflict("environment %q has no schedule group: it was provisioned before Berth ran cron jobs; create a new environment to schedule jobs", env.Name)
}

// scheduleError answers a failure of the schedules' service.
func scheduleError(err error) error {
	if errors.Is(err, cloud.ErrInvalid) {
		return validation.Errors{"scheduleExpression": []string{fmt.Sprintf("was refused by EventBridge Scheduler: %v", err)}}
	}
	return apps.Unavailable(err, "the schedule could not be changed; retry the request")
}
