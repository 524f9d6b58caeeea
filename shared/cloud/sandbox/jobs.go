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
}

func (j *job) startedAt() time.Time { return j.runAt.Add(j.startDelay) }
func (j *job) endsAt() time.Time    { return j.startedAt().Add(j.out.took) }

// started reports whether its container has started by now.
func (j *job) started(now time.Time) bool {
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
	case now.Before(j.endsAt()):
		t.Status = cloud.TaskRunning
	default:
		t.Status, t.StoppedAt, t.StopCode, t.StoppedReason = cloud.TaskStopped, j.endsAt(), "EssentialContainerExited", "Essential container in task exited"
		exit(j.out.exit)
	}
	return t
}

// written are the lines written by now: none after a stop.
func (j *job) written(now time.Time) []string {
	if !j.stopAt.IsZero() && j.stopAt.Before(now) {
		now = j.stopAt
	}
	out := []string{}
	for _, l := range j.out.lines {
		if !j.startedAt().Add(l.at).After(now) {
			out = append(out, l.text)
		}
	}
	return out
}

// RunTask implements cloud.Cloud. The same ClientToken returns the task
// it started first. Fault "RunTask" fails it.
func (s *Sandbox) RunTask(_ context.Context, spec cloud.TaskRun) (cloud.Task, error) {
	const op = "RunTask"
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call(op); err != nil {
		return cloud.Task{}, err
	}
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
		out: interpret(spec.Command, ts.Compose.Containers[i].Environment, s.Profile.Second)}
	j.arn = "arn:aws:ecs:" + Region + ":" + Account + ":task/berth-sandbox/" + j.id
	if ts.LogGroup != "" {
		j.logGroup, j.logStream = ts.LogGroup, "sandbox/"+spec.Container+"/"+j.id // as a rollout's failed container's
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

// jobLines are a job's stream's lines written by now; found is false when
// no job logs to the stream, err when its container has not started (the
// stream does not exist yet). Callers hold mu.
func (s *Sandbox) jobLines(group, stream string, limit int) (lines []string, found bool, err error) {
	now := s.Now()
	for _, j := range s.jobs {
		if j.logGroup == "" || j.logGroup != group || j.logStream != stream {
			continue
		}
		if !j.started(now) {
			return nil, true, fmt.Errorf("sandbox LogLines: ResourceNotFoundException: The specified log stream does not exist: %s: %w", stream, cloud.ErrNotFound)
		}
		return last(j.written(now), limit), true, nil
	}
	return nil, false, nil
}

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
