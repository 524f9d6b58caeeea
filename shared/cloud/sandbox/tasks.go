package sandbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/compose"
)

// Image tags that misbehave on purpose, whatever the image: a container
// whose image has one of them fails every task it is essential to.
const (
	// TagCrashloop: the container logs a few lines and exits with code 1
	// shortly after it starts.
	TagCrashloop = "crashloop"
	// TagUnhealthy: the container runs but fails its health check.
	TagUnhealthy = "unhealthy"
)

// rollout is one deployment of a task definition on a service. Its tasks
// go PROVISIONING, PENDING, RUNNING over the profile's service time, then
// either pass their health checks or, for a misbehaving image, stop.
type rollout struct {
	service        string
	index          int // among the service's rollouts
	taskDefinition string
	spec           cloud.TaskSpec
	desired        int
	started        time.Time
	// supersedes is when it replaces the rollouts before it: when its
	// tasks run, or at once for a stop (desired 0).
	supersedes time.Time
	// fault is the misbehaving tag of the first essential container with
	// one, and container its name, or faultSecrets when the tasks cannot
	// get their secrets (reason says why); empty when the tasks behave.
	fault, container, reason string
	// taskID is its first task's.
	taskID string
	// logGroup is the task definition's; a container's stream in it is
	// berth/<container>/<task id>.
	logGroup string
	tasks    []*svcTask
}

// faultSecrets: the rollout's tasks fail to start, as ECS's do when a
// secret cannot be read.
const faultSecrets = "secrets"

// svcTask is one task of a rollout.
type svcTask struct {
	id      string
	startAt time.Time
	// stopAt is when a scale-in or the service's deletion stopped it; zero
	// when neither did.
	stopAt time.Time
	// started and ended record which of its lines are written, checked
	// the time of its last health check line.
	started, ended bool
	checked        time.Time
}

// Task phases, as ECS names a task's lastStatus.
const (
	phaseProvisioning = "PROVISIONING"
	phasePending      = "PENDING"
	phaseRunning      = "RUNNING"
	phaseStopped      = "STOPPED"
)

// phase is where the rollout's tasks are at now, and, once the rollout
// has ended, whether it failed.
func (s *Sandbox) phase(r *rollout, now time.Time) (string, bool) {
	d := s.Profile.Create[cloud.KindService]
	if r.desired == 0 {
		return phaseStopped, false
	}
	elapsed := now.Sub(r.started)
	switch {
	case elapsed < d/3:
		return phaseProvisioning, false
	case elapsed < 2*d/3:
		return phasePending, false
	case r.fault == faultSecrets:
		return phaseStopped, true
	case r.fault == TagCrashloop && elapsed >= d:
		return phaseStopped, true
	case r.fault == TagUnhealthy && elapsed >= d+d/2:
		return phaseStopped, true
	default:
		return phaseRunning, false
	}
}

// misbehaviour finds the first essential container whose image tag is a
// misbehaving one.
func misbehaviour(d compose.Definition) (tag, container string) {
	for _, c := range d.Containers {
		if c.Essential != nil && !*c.Essential || c.ImageReference == nil {
			continue
		}
		tag := c.ImageReference.Identifier // an internal image's identifier is its tag
		if c.ImageReference.Type != compose.ImageInternal {
			i := strings.LastIndex(tag, ":")
			if i < 0 || strings.Contains(tag[i:], "/") {
				continue
			}
			tag = tag[i+1:]
		}
		if tag == TagCrashloop || tag == TagUnhealthy {
			return tag, c.Name
		}
	}
	return "", ""
}

// startRollout records a deployment of td on the service. Callers hold mu.
func (s *Sandbox) startRollout(service string, td *resource, desired int) {
	spec := td.spec.(cloud.TaskSpec)
	now := s.Now()
	s.writeLogs(now)
	r := &rollout{service: service, index: len(s.rollouts[service]), taskDefinition: td.ID, spec: spec, desired: desired, started: now, logGroup: spec.LogGroup}
	r.fault, r.container = misbehaviour(spec.Compose)
	if len(spec.Compose.Containers) > 0 {
		if _, err := s.environment(spec, spec.Compose.Containers[0]); err != nil {
			r.fault, r.container, r.reason = faultSecrets, spec.Compose.Containers[0].Name, err.Error()
		}
	}
	d := s.Profile.Create[cloud.KindService]
	r.supersedes = now
	if desired > 0 {
		r.supersedes = now.Add(2 * d / 3)
	}
	for range desired {
		r.addTask(r.started.Add(2 * d / 3))
	}
	r.taskID = digest(service + td.ID + r.started.String())
	if len(r.tasks) > 0 {
		r.taskID = r.tasks[0].id
	}
	if s.rollouts == nil {
		s.rollouts = map[string][]*rollout{}
	}
	s.rollouts[service] = append(s.rollouts[service], r)
}

// addTask starts another task at at; its id is stable, a digest of the
// rollout and its place in it, 32 hex digits as ECS's are.
func (r *rollout) addTask(at time.Time) {
	sum := sha256.Sum256([]byte(fmt.Sprint(r.service, "\x00", r.index, "\x00", r.taskDefinition, "\x00", r.started.UnixNano(), "\x00", len(r.tasks))))
	r.tasks = append(r.tasks, &svcTask{id: hex.EncodeToString(sum[:16]), startAt: at})
}

// taskEnd is when t stops, as far as is known now: a scale-in or
// deletion, its image's misbehaviour, or a newer rollout that completes
// (a failed one leaves it running); zero when nothing stops it.
func (s *Sandbox) taskEnd(rs []*rollout, i int, t *svcTask) time.Time {
	d := s.Profile.Create[cloud.KindService]
	r := rs[i]
	end := t.stopAt
	earlier := func(at time.Time) {
		if end.IsZero() || at.Before(end) {
			end = at
		}
	}
	switch r.fault {
	case TagCrashloop:
		earlier(r.started.Add(d))
	case TagUnhealthy:
		earlier(r.started.Add(d + d/2))
	}
	for _, n := range rs[i+1:] {
		if n.fault == "" {
			earlier(n.supersedes)
			break
		}
	}
	return end
}

// runsAt reports whether t is running at.
func (s *Sandbox) runsAt(rs []*rollout, i int, t *svcTask, at time.Time) bool {
	if rs[i].fault == faultSecrets || at.Before(t.startAt) {
		return false
	}
	end := s.taskEnd(rs, i, t)
	return end.IsZero() || at.Before(end)
}

// running lists the ids of the service's tasks running at, oldest
// rollout first. Callers hold mu.
func (s *Sandbox) running(service string, at time.Time) []string {
	out := []string{}
	rs := s.rollouts[service]
	for i, r := range rs {
		for _, t := range r.tasks {
			if s.runsAt(rs, i, t, at) {
				out = append(out, t.id)
			}
		}
	}
	return out
}

// stopTasks stops every task of the service now. Callers hold mu.
func (s *Sandbox) stopTasks(service string, now time.Time) {
	s.writeLogs(now)
	for _, r := range s.rollouts[service] {
		for _, t := range r.tasks {
			if t.stopAt.IsZero() {
				t.stopAt = now
			}
		}
	}
}

// healthInterval is how often a container logs its health check: every
// 30 sandbox seconds (30 s when the profile runs jobs at once).
func (s *Sandbox) healthInterval() time.Duration {
	if s.Profile.Second > 0 {
		return 30 * s.Profile.Second
	}
	return 30 * time.Second
}

// image is how a container's image is named in its start line.
func image(spec cloud.TaskSpec, c compose.Container) string {
	switch {
	case c.ImageReference == nil:
		return "none"
	case c.ImageReference.Type == compose.ImageInternal:
		return spec.RepositoryURI + ":" + c.ImageReference.Identifier
	}
	return c.ImageReference.Identifier
}

// writeRolloutLogs writes what the rollout's tasks logged by now: each
// container's start line, a health check line every healthInterval while
// the task runs, and a misbehaving container's lines. Callers hold mu.
func (s *Sandbox) writeRolloutLogs(rs []*rollout, i int, now time.Time) {
	r := rs[i]
	if r.fault == faultSecrets || r.logGroup == "" {
		return
	}
	h := s.healthInterval()
	for _, t := range r.tasks {
		if t.ended || now.Before(t.startAt) {
			continue
		}
		end := s.taskEnd(rs, i, t)
		if !end.IsZero() && end.Before(t.startAt) {
			t.ended = true // stopped before it started
			continue
		}
		if !t.started {
			t.started, t.checked = true, t.startAt
			for _, c := range r.spec.Compose.Containers {
				stream := streamOf(c.Name, t.id)
				s.write(r.logGroup, stream, t.startAt, "Starting container "+c.Name+" (image "+image(r.spec, c)+")", false)
				if r.fault != "" && c.Name == r.container {
					s.write(r.logGroup, stream, t.startAt, "sandbox: reading configuration", false)
					s.write(r.logGroup, stream, t.startAt, "sandbox: listening", false)
				}
			}
		}
		until := now
		if !end.IsZero() && end.Before(until) {
			until = end
		}
		n := int(until.Sub(t.checked) / h)
		if n > MaxLogEvents { // the group keeps no more anyway
			t.checked = t.checked.Add(time.Duration(n-MaxLogEvents) * h)
			n = MaxLogEvents
		}
		for k := 1; k <= n; k++ {
			at := t.checked.Add(time.Duration(k) * h)
			if !end.IsZero() && !at.Before(end) {
				break
			}
			for _, c := range r.spec.Compose.Containers {
				msg := "health check passed"
				if c.Name == r.container && r.fault == TagUnhealthy {
					msg = "sandbox: health check failed: the image's tag is " + TagUnhealthy
				}
				s.write(r.logGroup, streamOf(c.Name, t.id), at, msg, false)
			}
		}
		t.checked = t.checked.Add(time.Duration(n) * h)
		if end.IsZero() || now.Before(end) {
			continue
		}
		t.ended = true
		for _, c := range r.spec.Compose.Containers {
			msg := "Stopping container " + c.Name
			if c.Name == r.container {
				switch r.fault {
				case TagCrashloop:
					msg = "sandbox: fatal: the image's tag is " + TagCrashloop + ", so this container exits with code 1"
				case TagUnhealthy:
					msg = "sandbox: health check failed: the image's tag is " + TagUnhealthy + "; stopping"
				}
			}
			s.write(r.logGroup, streamOf(c.Name, t.id), end, msg, false)
		}
	}
}

// serving is the task definition whose tasks answer the service's traffic:
// the newest rollout that completed, or the first one.
func (s *Sandbox) serving(service string, now time.Time) string {
	rs := s.rollouts[service]
	for i := len(rs) - 1; i >= 0; i-- {
		if p, failed := s.phase(rs[i], now); !failed && (p == phaseRunning || p == phaseStopped) {
			return rs[i].taskDefinition
		}
	}
	if len(rs) > 0 {
		return rs[0].taskDefinition
	}
	return ""
}

// UpdateService implements cloud.Cloud.
func (s *Sandbox) UpdateService(_ context.Context, spec cloud.ServiceUpdate) (cloud.Resource, error) {
	const op = "UpdateService"
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call(op); err != nil {
		return cloud.Resource{}, err
	}
	s.settle()
	svc, ok := s.resources[resourceKey(cloud.KindService, spec.Name)]
	if !ok || svc.deleting {
		return cloud.Resource{}, fmt.Errorf("sandbox %s: ServiceNotFoundException: %s: %w", op, spec.Name, cloud.ErrNotFound)
	}
	td := s.findByID(cloud.KindTaskDefinition, spec.TaskDefinitionARN)
	if td == nil {
		return cloud.Resource{}, invalid(op, "task definition %q does not exist", spec.TaskDefinitionARN)
	}
	if spec.DesiredCount < 0 && !spec.KeepCount {
		return cloud.Resource{}, invalid(op, "desiredCount %d is negative", spec.DesiredCount)
	}
	ss := svc.spec.(cloud.ServiceSpec)
	ss.TaskDefinitionARN = spec.TaskDefinitionARN
	if !spec.KeepCount {
		ss.DesiredCount = spec.DesiredCount
	}
	svc.spec = ss
	svc.Outputs[cloud.OutDesired] = strconv.Itoa(ss.DesiredCount)
	s.startRollout(spec.Name, td, ss.DesiredCount)
	return s.view(svc), nil
}

// Rollout implements cloud.Cloud.
func (s *Sandbox) Rollout(_ context.Context, service, taskDefinitionARN string) (cloud.Rollout, error) {
	const op = "Rollout"
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call(op); err != nil {
		return cloud.Rollout{}, err
	}
	var r *rollout
	for _, c := range s.rollouts[service] {
		if c.taskDefinition == taskDefinitionARN {
			r = c
		}
	}
	if r == nil {
		return cloud.Rollout{}, fmt.Errorf("sandbox %s: no deployment of %s on %s: %w", op, taskDefinitionARN, service, cloud.ErrNotFound)
	}
	out := cloud.Rollout{State: cloud.RolloutInProgress, Desired: r.desired, Expected: s.Profile.Create[cloud.KindService]}
	switch p, failed := s.phase(r, s.Now()); {
	case failed:
		out.State, out.Failure = cloud.RolloutFailed, r.failure()
	case p == phaseStopped:
		out.State = cloud.RolloutCompleted
	case p == phaseRunning && r.fault == "":
		out.State, out.Running = cloud.RolloutCompleted, r.desired
	}
	return out, nil
}

// failure is how a misbehaving rollout's first task stopped.
func (r *rollout) failure() *cloud.TaskFailure {
	f := &cloud.TaskFailure{TaskID: r.taskID, Container: r.container}
	if r.fault == faultSecrets {
		f.Type, f.StoppedReason = cloud.FailureTaskFailedToStart, r.reason
		return f
	}
	if r.logGroup != "" {
		f.LogGroup, f.LogStream = r.logGroup, streamOf(r.container, r.taskID)
	}
	if r.fault == TagCrashloop {
		code := 1
		f.Type, f.ExitCode = cloud.FailureContainerExited, &code
		f.StoppedReason = "Essential container in task exited"
		return f
	}
	f.Type = cloud.FailureHealthCheckFailed
	f.StoppedReason = "Task failed container health checks"
	return f
}

// Scale sets a service's task count as a scaling policy would when its
// alarm fires: the service and its newest rollout run desired tasks. It
// is a test and make run knob, not part of the cloud port.
func (s *Sandbox) Scale(service string, desired int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle()
	svc, ok := s.resources[resourceKey(cloud.KindService, service)]
	if !ok || svc.deleting {
		return fmt.Errorf("sandbox Scale: service %s: %w", service, cloud.ErrNotFound)
	}
	if desired < 0 {
		return invalid("Scale", "desired count %d is negative", desired)
	}
	s.setCount(svc, desired)
	return nil
}

// setCount is the service's task count now. Callers hold mu.
// The newest rollout starts or stops tasks to match: new ones start when
// its tasks do, or now if that has passed; a scale-in stops the newest.
func (s *Sandbox) setCount(svc *resource, desired int) {
	ss := svc.spec.(cloud.ServiceSpec)
	ss.DesiredCount = desired
	svc.spec = ss
	svc.Outputs[cloud.OutDesired] = strconv.Itoa(desired)
	rs := s.rollouts[ss.Name]
	if len(rs) == 0 {
		return
	}
	now := s.Now()
	s.writeLogs(now)
	r := rs[len(rs)-1]
	r.desired = desired
	var alive []*svcTask
	for _, t := range r.tasks {
		if t.stopAt.IsZero() {
			alive = append(alive, t)
		}
	}
	for k := len(alive) - 1; k >= desired; k-- {
		alive[k].stopAt = now
	}
	start := r.started.Add(2 * s.Profile.Create[cloud.KindService] / 3)
	if start.Before(now) {
		start = now
	}
	for k := len(alive); k < desired; k++ {
		r.addTask(start)
	}
}

// last is lines' last n, as GetLogEvents answers from the tail.
func last(lines []string, n int) []string {
	if len(lines) > n {
		return lines[len(lines)-max(n, 0):]
	}
	return lines
}
