package sandbox

import (
	"context"
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
	taskDefinition string
	desired        int
	started        time.Time
	// fault is the misbehaving tag of the first essential container with
	// one, and container its name; empty when the tasks behave.
	fault, container string
	taskID           string
	// logGroup is the task definition's; the failed container's stream in
	// it is sandbox/<container>/<task id>.
	logGroup string
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
	r := &rollout{taskDefinition: td.ID, desired: desired, started: s.Now(), logGroup: spec.LogGroup}
	r.fault, r.container = misbehaviour(spec.Compose)
	r.taskID = digest(service + td.ID + r.started.String())
	if s.rollouts == nil {
		s.rollouts = map[string][]*rollout{}
	}
	s.rollouts[service] = append(s.rollouts[service], r)
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
	if r.logGroup != "" {
		f.LogGroup, f.LogStream = r.logGroup, r.logStream()
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

func (r *rollout) logStream() string { return "sandbox/" + r.container + "/" + r.taskID }

// LogLines implements cloud.Cloud: the lines of a misbehaving rollout's
// failed container, from the stream its failure names, or those a job
// task has written by now.
func (s *Sandbox) LogLines(_ context.Context, group, stream string, limit int) ([]string, error) {
	const op = "LogLines"
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call(op); err != nil {
		return nil, err
	}
	if lines, found, err := s.jobLines(group, stream, limit); found {
		return lines, err
	}
	for _, rs := range s.rollouts {
		for _, r := range rs {
			if r.fault != "" && r.logGroup == group && r.logStream() == stream {
				return last(r.logLines(), limit), nil
			}
		}
	}
	return nil, fmt.Errorf("sandbox %s: ResourceNotFoundException: no log stream %s in %s: %w", op, stream, group, cloud.ErrNotFound)
}

// logLines are what the failed container wrote before it stopped.
func (r *rollout) logLines() []string {
	lines := []string{
		"sandbox: starting " + r.container,
		"sandbox: reading configuration",
		"sandbox: listening",
	}
	if r.fault == TagCrashloop {
		return append(lines, "sandbox: fatal: the image's tag is "+TagCrashloop+", so this container exits with code 1")
	}
	return append(lines, "sandbox: health check failed: the image's tag is "+TagUnhealthy)
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
func (s *Sandbox) setCount(svc *resource, desired int) {
	ss := svc.spec.(cloud.ServiceSpec)
	ss.DesiredCount = desired
	svc.spec = ss
	svc.Outputs[cloud.OutDesired] = strconv.Itoa(desired)
	if rs := s.rollouts[ss.Name]; len(rs) > 0 {
		rs[len(rs)-1].desired = desired
	}
}

// last is lines' last n, as GetLogEvents answers from the tail.
func last(lines []string, n int) []string {
	if len(lines) > n {
		return lines[len(lines)-max(n, 0):]
	}
	return lines
}
