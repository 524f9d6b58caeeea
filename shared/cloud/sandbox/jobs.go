package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sort"
	"time"

	"github.com/berth-dev/berth/shared/cloud"
)

// Job tasks: RunTask interprets the command at once (shell.go) and the
// task then plays it out on the sandbox clock: PROVISIONING, then
// PENDING, for a quarter of the profile's service time each (a task
// starts faster than a rollout completes), RUNNING for as long as its
// sleeps take, then STOPPED with the script's exit code. Its lines are
// written at the times their commands run.

// job is one job task.
type job struct {
	arn, id, token, container string
	command                   []string
	logGroup, logStream       string
	runAt                     time.Time
	startDelay                time.Duration
	out                       script
	// stopAt is when StopTask stopped it, and reason why; zero when it was not.
	stopAt time.Time
	reason string
	// failed is why it failed to start (a secret it could not read); its
	// container then never starts.
	failed string
	// image is its container's, for its start line; noted and written
	// record which of its lines are in its log stream.
	image   string
	noted   bool
	written int
}

func (j *job) startedAt() time.Time { return j.runAt.Add(j.startDelay) }
func (j *job) endsAt() time.Time    { return j.startedAt().Add(j.out.took) }

// started reports whether its container has started by now.
func (j *job) started(now time.Time) bool {
	if j.failed != "" {
		return false
	}
	if !j.stopAt.IsZero() && j.stopAt.Before(j.startedAt()) {
		return false
	}
	return !now.Before(j.startedAt())
}

// view is the task now, with container's exit code.
func (j *job) view(now time.Time, container string) cloud.Task {
	t := cloud.Task{ARN: j.arn, LogGroup: j.logGroup, LogStream: j.logStream, Expected: j.startDelay}
	if j.started(now) {
		t.StartedAt = j.startedAt()
	}
	exit := func(code int) {
		if container == j.container {
			t.ExitCode = &code
		}
	}
	switch elapsed := now.Sub(j.runAt); {
	case !j.stopAt.IsZero():
		t.Status, t.StoppedAt, t.StopCode, t.StoppedReason = cloud.TaskStopped, j.stopAt, "UserInitiated", j.reason
		if !t.StartedAt.IsZero() {
			exit(137) // SIGKILL once the stop timeout passed SIGTERM
		}
	case elapsed < j.startDelay/2:
		t.Status = cloud.TaskProvisioning
	case elapsed < j.startDelay:
		t.Status = cloud.TaskPending
	case j.failed != "":
		t.Status, t.StoppedAt, t.StopCode, t.StoppedReason = cloud.TaskStopped, j.startedAt(), "TaskFailedToStart", j.failed
	case now.Before(j.endsAt()):
		t.Status = cloud.TaskRunning
	default:
		t.Status, t.StoppedAt, t.StopCode, t.StoppedReason = cloud.TaskStopped, j.endsAt(), "EssentialContainerExited", "Essential container in task exited"
		exit(j.out.exit)
	}
	return t
}

// writeJobLogs writes the lines the job has logged by now: a note that
// its container started, then its program's lines at the times they are
// written, none after a stop. Callers hold mu.
func (s *Sandbox) writeJobLogs(j *job, now time.Time) {
	if j.logGroup == "" || !j.started(now) {
		return
	}
	if !j.noted {
		j.noted = true
		s.write(j.logGroup, j.logStream, j.startedAt(), "Starting container "+j.container+" (image "+j.image+")", true)
	}
	if !j.stopAt.IsZero() && j.stopAt.Before(now) {
		now = j.stopAt
	}
	for ; j.written < len(j.out.lines); j.written++ {
		l := j.out.lines[j.written]
		at := j.startedAt().Add(l.at)
		if at.After(now) {
			return
		}
		s.write(j.logGroup, j.logStream, at, l.text, false)
	}
}

// RunTask implements cloud.Cloud. The same ClientToken returns the task
// it started first. Fault "RunTask" fails it.
func (s *Sandbox) RunTask(_ context.Context, spec cloud.TaskRun) (cloud.Task, error) {
	const op = "RunTask"
	s.mu.Lock()
	defer s.mu.Unlock()
	before, lost := s.callLossy(op)
	if before != nil {
		return cloud.Task{}, before
	}
	task, err := s.runTask(op, spec)
	if err == nil && lost != nil {
		return cloud.Task{}, lost // the task runs; only the answer is lost
	}
	return task, err
}

func (s *Sandbox) runTask(op string, spec cloud.TaskRun) (cloud.Task, error) {
	switch {
	case spec.ClientToken == "" || len(spec.ClientToken) > 64:
		return cloud.Task{}, invalid(op, "InvalidParameterException: clientToken must be 1 to 64 characters, got %d", len(spec.ClientToken))
	case len(spec.StartedBy) > 36:
		return cloud.Task{}, invalid(op, "InvalidParameterException: startedBy must be at most 36 characters")
	}
	now := s.Now()
	if j, ok := s.tokens[spec.ClientToken]; ok {
		return j.view(now, spec.Container), nil
	}
	td := s.findByID(cloud.KindTaskDefinition, spec.TaskDefinitionARN)
	if td == nil {
		return cloud.Task{}, invalid(op, "ClientException: TaskDefinition not found: %s", spec.TaskDefinitionARN)
	}
	ts := td.spec.(cloud.TaskSpec)
	i := -1
	for k, c := range ts.Compose.Containers {
		if c.Name == spec.Container {
			i = k
		}
	}
	if i < 0 {
		return cloud.Task{}, invalid(op, "InvalidParameterException: Override for container named %s is not a container in the TaskDefinition.", spec.Container)
	}
	if len(spec.Command) == 0 {
		return cloud.Task{}, invalid(op, "InvalidParameterException: a job's container override needs a command")
	}
	id := make([]byte, 16)
	_, _ = rand.Read(id) // crypto/rand.Read never fails (Go 1.24+)
	j := &job{id: hex.EncodeToString(id), token: spec.ClientToken, container: spec.Container,
		command: append([]string(nil), spec.Command...), runAt: now, startDelay: s.Profile.Create[cloud.KindService] / 2,
		image: image(ts, ts.Compose.Containers[i])}
	// The container's environment: the environment's variables and
	// secrets, then its own; a secret that cannot be read fails the task
	// before its container starts, as ECS's ResourceInitializationError.
	if env, err := s.environment(ts, ts.Compose.Containers[i]); err != nil {
		j.failed = err.Error()
	} else if spec.Command[0] == dataProgram {
		j.out = s.runData(ts, spec.Command)
	} else {
		j.out = interpret(spec.Command, env, s.Profile.Second)
	}
	j.arn = taskARN(j.id)
	if ts.LogGroup != "" {
		j.logGroup, j.logStream = ts.LogGroup, streamOf(spec.Container, j.id)
	}
	if s.jobs == nil {
		s.jobs, s.tokens = map[string]*job{}, map[string]*job{}
	}
	s.jobs[j.arn], s.tokens[j.token] = j, j
	return j.view(now, spec.Container), nil
}

// DescribeTask implements cloud.Cloud. Fault "DescribeTask" fails it.
func (s *Sandbox) DescribeTask(_ context.Context, arn, container string) (cloud.Task, error) {
	const op = "DescribeTask"
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call(op); err != nil {
		return cloud.Task{}, err
	}
	j, ok := s.jobs[arn]
	if !ok {
		return cloud.Task{}, fmt.Errorf("sandbox %s: MISSING: %s: %w", op, arn, cloud.ErrNotFound)
	}
	return j.view(s.Now(), container), nil
}

// StopTask implements cloud.Cloud: a task that has not stopped stops now.
// Fault "StopTask" fails it.
func (s *Sandbox) StopTask(_ context.Context, arn, reason string) error {
	const op = "StopTask"
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call(op); err != nil {
		return err
	}
	j, ok := s.jobs[arn]
	if !ok {
		return fmt.Errorf("sandbox %s: InvalidParameterException: The referenced task was not found: %s: %w", op, arn, cloud.ErrNotFound)
	}
	now := s.Now()
	if j.view(now, "").Stopped() {
		return nil
	}
	j.stopAt, j.reason = now, reason
	return nil
}

// taskARN is a sandbox task's ARN, in its one cluster.
func taskARN(id string) string {
	return "arn:aws:ecs:" + Region + ":" + Account + ":task/" + Cluster + "/" + id
}

// Cluster is the sandbox's one ECS cluster.
const Cluster = "berth-sandbox"

// JobTask is a job task as GET /_local/sandbox shows it.
type JobTask struct {
	ARN       string   `json:"arn"`
	Status    string   `json:"status"`
	Container string   `json:"container"`
	Command   []string `json:"command"`
	ExitCode  *int     `json:"exitCode,omitempty"`
	StopCode  string   `json:"stopCode,omitempty"`
}

// Tasks lists the job tasks run so far, oldest first. It is a test and
// make run knob, not part of the cloud port.
func (s *Sandbox) Tasks() []JobTask {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Now()
	js := make([]*job, 0, len(s.jobs))
	for _, j := range s.jobs {
		js = append(js, j)
	}
	sort.Slice(js, func(a, b int) bool {
		if !js[a].runAt.Equal(js[b].runAt) {
			return js[a].runAt.Before(js[b].runAt)
		}
		return js[a].arn < js[b].arn
	})
	out := []JobTask{}
	for _, j := range js {
		t := j.view(now, j.container)
		out = append(out, JobTask{ARN: j.arn, Status: t.Status, Container: j.container, Command: append([]string(nil), j.command...), ExitCode: t.ExitCode, StopCode: t.StopCode})
	}
	return out
}
