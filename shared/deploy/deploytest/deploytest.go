// Package deploytest stands in for the deploy-environment workflow in
// tests where no workflow runs (the handler, event and Lambda runtime
// tests), so that each change finds an environment it may change.
package deploytest

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/deploy"
	"github.com/berth-dev/berth/shared/jobs"
	"github.com/berth-dev/berth/shared/store"
)

// Settle makes the environment ACTIVE, as provisioning would (with its
// task definition and ECS service named), and ends its
// running deployment, if any, as a successful workflow would. It reports
// the number of the deployment it ended (0 when none ran).
func Settle(ctx context.Context, tbl *store.Table, org, app, name string) (int, error) {
	if err := Activate(ctx, tbl, org, app, name); err != nil {
		return 0, err
	}
	env, err := tbl.GetEnvironment(ctx, org, app, name)
	if err != nil {
		return 0, err
	}
	if env.Deploying == 0 {
		return 0, nil
	}
	dep, err := tbl.GetDeployment(ctx, env, env.Deploying)
	if err != nil {
		return 0, err
	}
	rel, err := tbl.GetRelease(ctx, env, dep.Release)
	if err != nil {
		return 0, err
	}
	dep.Status, dep.FinishedAt = deploy.StatusSucceeded, time.Now()
	return dep.Number, tbl.FinishDeployment(ctx, env, dep, &rel)
}

// Activate makes a CREATING environment ACTIVE, as provisioning would
// (with its task definition and ECS service named), and leaves any
// running deployment running.
func Activate(ctx context.Context, tbl *store.Table, org, app, name string) error {
	env, err := tbl.GetEnvironment(ctx, org, app, name)
	if err != nil || env.Status != apps.StatusCreating {
		return err
	}
	target := apps.Target{Organisation: org, Application: app, Environment: name, UID: env.UID}
	c := apps.Change{Status: apps.StatusActive, Outputs: map[string]string{
		apps.OutTaskDefinitionARN: "arn:aws:ecs:eu-west-1:123456789012:task-definition/berth-" + app + ":1",
		apps.OutServiceName:       target.Names().Resource(),
		apps.OutCluster:           "arn:aws:ecs:eu-west-1:123456789012:cluster/berth",
		apps.OutLogGroup:          target.Names().LogGroup(),
	}, Now: time.Now()}
	if err := tbl.Apply(ctx, target, c); err != nil {
		return fmt.Errorf("activate %s: %w", name, err)
	}
	return nil
}

// PlaceholderUID stands in events/ for the uid of the environment an
// operation id names, which is random: the event tests put the real one in.
const PlaceholderUID = "uidofproductionuidofproduction00"

// WithUID puts the environment's uid into an event for PlaceholderUID.
func WithUID(ctx context.Context, tbl *store.Table, event []byte, org, app, name string) ([]byte, error) {
	if !bytes.Contains(event, []byte(PlaceholderUID)) {
		return event, nil
	}
	env, err := tbl.GetEnvironment(ctx, org, app, name)
	if err != nil {
		return nil, err
	}
	return bytes.ReplaceAll(event, []byte(PlaceholderUID), []byte(env.UID)), nil
}

// Run ids the job events name: a PENDING command, and a run of the cron
// job "nightly".
const (
	CommandRunID = "20261205T120000-events01"
	CronRunID    = "20261205T120000-cron"
)

// SeedJobs activates the environment, gives it the schedule group
// provisioning makes, and stores the runs the job events read and cancel.
// It does nothing when they are stored already.
func SeedJobs(ctx context.Context, tbl *store.Table, org, app, name string) error {
	if err := Activate(ctx, tbl, org, app, name); err != nil {
		return err
	}
	env, err := tbl.GetEnvironment(ctx, org, app, name)
	if err != nil {
		return err
	}
	if _, err := tbl.GetRun(ctx, env, CommandRunID); err == nil {
		return nil
	}
	target := apps.Target{Organisation: org, Application: app, Environment: name, UID: env.UID}
	if err := tbl.Apply(ctx, target, apps.Change{Add: []cloud.Ref{{Kind: cloud.KindScheduleGroup, Name: target.Names().ScheduleGroup()}}, Now: time.Now()}); err != nil {
		return err
	}
	code := 0
	for _, r := range []jobs.Run{
		{ID: CommandRunID, Type: jobs.RunExec, Command: []string{"sleep 600"}, Shell: true, Container: "web", Timeout: time.Hour, Status: jobs.StatusPending, Execution: "seed", CreatedAt: time.Now()},
		{ID: CronRunID, Type: jobs.RunCron, Cron: "nightly", Command: []string{"true"}, Container: "web", Timeout: time.Hour, Status: jobs.StatusSucceeded, ExitCode: &code, Execution: "seed", CreatedAt: time.Now()},
	} {
		if err := tbl.CreateRun(ctx, env, r); err != nil {
			return err
		}
	}
	return nil
}
