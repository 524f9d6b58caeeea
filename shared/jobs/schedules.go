package jobs

import "context"

// Schedule is a cron job's EventBridge Scheduler schedule: each firing
// starts the run-job workflow with Input.
type Schedule struct {
	// Group is the environment's schedule group (cloud.Names.ScheduleGroup).
	Group string
	// Name is the cron job's name.
	Name string
	// Expression is a cron(...) or rate(...) expression, in UTC, already
	// checked by shared/schedule.
	Expression  string
	Enabled     bool
	Description string
	// Input is the run-job execution's input, as JSON; it may hold
	// Scheduler's context placeholders (<aws.scheduler.scheduled-time>).
	Input string
}

// Schedules keeps cron jobs' schedules.
type Schedules interface {
	// Put creates the schedule, or replaces it when it exists.
	Put(ctx context.Context, s Schedule) error
	// Delete deletes the schedule; one that does not exist is gone.
	Delete(ctx context.Context, group, name string) error
}
