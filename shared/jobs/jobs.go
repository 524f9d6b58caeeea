// Package jobs holds one-off commands and cron jobs: commands run once in
// an environment's image, cron jobs run one on a schedule, and every run
// of either is recorded with its status, exit code and output. The run-job
// workflow (statemachines/run-job.asl.json, shared/provision) runs each
// one as an ECS task of the environment's task definition with the target
// container's command overridden; the API starts it here.
package jobs

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/berth-dev/berth/shared/pattern"
)

// Run types, as Quant names them.
const (
	RunExec = "EXEC" // a command
	RunCron = "CRON" // a cron job's firing
)

// Status is where a run is.
type Status string

// Run statuses. SKIPPED is Berth's: a cron firing while the job's
// previous run is still going.
const (
	StatusPending   Status = "PENDING"
	StatusRunning   Status = "RUNNING"
	StatusSucceeded Status = "SUCCEEDED"
	StatusFailed    Status = "FAILED"
	StatusTimedOut  Status = "TIMED_OUT"
	StatusSkipped   Status = "SKIPPED"
)

// Finished reports whether a run in status s has ended.
func (s Status) Finished() bool { return s != StatusPending && s != StatusRunning }

// Timeouts.
const (
	DefaultTimeout = time.Hour
	MaxTimeout     = 24 * time.Hour
	MinTimeout     = time.Second
)

// Run is one run of a command or of a cron job.
type Run struct {
	ID   string
	Type string
	// Cron is the cron job's name, for a CRON run.
	Cron string
	// Command is what runs: the exec form, or, when Shell, one string that
	// runs with sh -c.
	Command   []string
	Shell     bool
	Container string
	Timeout   time.Duration
	Status    Status
	ExitCode  *int
	// Output are the task's last log lines (at most cloud.MaxOutputLines).
	Output []string
	// Reason says why a run failed, timed out or was skipped.
	Reason string
	// TaskARN, LogGroup and LogStream are the task's, once it is started.
	TaskARN             string
	LogGroup, LogStream string
	// CancelRequested is set by a DELETE; the workflow stops the task.
	CancelRequested bool
	// TimedOut is set when the workflow stopped the task at its timeout.
	TimedOut bool
	// ScheduledTime is the firing a CRON run is for.
	ScheduledTime time.Time
	Execution     string
	CreatedBy     string
	CreatedAt     time.Time
	StartedAt     time.Time
	EndedAt       time.Time
	// Version orders the run's writes (conditional updates).
	Version int64
}

// Argv is the command in exec form, as the task's container runs it.
func (r Run) Argv() []string {
	if r.Shell && len(r.Command) == 1 {
		return []string{"sh", "-c", r.Command[0]}
	}
	return r.Command
}

// CommandLine is the command as one string: the shell command as given,
// or the exec form with arguments quoted where they need it.
func (r Run) CommandLine() string {
	if r.Shell && len(r.Command) == 1 {
		return r.Command[0]
	}
	return Quote(r.Command)
}

// Quote joins argv as a POSIX shell would read it back.
func Quote(argv []string) string {
	parts := make([]string, len(argv))
	for i, a := range argv {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=,+@%") == "" {
			parts[i] = a
			continue
		}
		parts[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(parts, " ")
}

// Cron is a cron job: a command an EventBridge Scheduler schedule runs.
type Cron struct {
	Name        string
	Description string
	Expression  string
	// Command is the exec form, as Quant's cron jobs take it.
	Command   []string
	Container string
	Enabled   bool
	Timeout   time.Duration
	// Running is the run in flight, and RunningUntil when its claim lapses
	// (a run that never released it cannot block the job for ever).
	Running      string
	RunningUntil time.Time
	CreatedBy    string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	Version      int64
}

// runIDRE: a run id is its time, then a suffix: 20261205T151844-3f9a0c1e.
var runIDRE = pattern.New(`^[0-9]{8}T[0-9]{6}-[a-z0-9]{1,16}$`, 17, 32)

// ValidRunID reports whether s can be a run's id.
func ValidRunID(s string) bool { return runIDRE.MatchString(s) }

const idTime = "20060102T150405"

// NewRunID is a command's id: its creation time, so ids sort as runs
// were made, and a random suffix.
func NewRunID(at time.Time) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return at.UTC().Format(idTime) + "-" + hex.EncodeToString(b)
}

// CronRunID is the id of a cron job's run for a firing: deterministic,
// so that a retried firing finds the run its first attempt recorded.
// Without a scheduled time (a start by hand), the execution names it.
func CronRunID(scheduled time.Time, execution string) string {
	if scheduled.IsZero() {
		sum := sha256.Sum256([]byte(execution))
		return time.Unix(0, 0).UTC().Format(idTime) + "-" + hex.EncodeToString(sum[:6])
	}
	return scheduled.UTC().Format(idTime) + "-cron"
}

// ExecutionName is the run-job execution of a command: deterministic, so
// that a retried start cannot run it twice. Step Functions allows 80
// characters; an environment uid is 32.
func ExecutionName(envUID, runID string) string {
	return "run-job-" + envUID + "-" + runID
}

// ClientToken is the ECS RunTask clientToken of a run: at most 64
// characters, the same for every retry of the run.
func ClientToken(envUID, runID string) string {
	sum := sha256.Sum256([]byte(envUID + "/" + runID))
	return hex.EncodeToString(sum[:24])
}
