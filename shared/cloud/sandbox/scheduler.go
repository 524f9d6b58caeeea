package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/jobs"
)

// Schedules is the sandbox's EventBridge Scheduler: the schedules of its
// schedule groups, in memory, and a loop that fires them (Run). Faults
// "PutSchedule" and "DeleteSchedule" fail Put and Delete.
type Schedules struct {
	// Log, when set, reports firings that failed; set it before Run.
	Log func(format string, args ...any)

	s *Sandbox
	// items are the schedules by group/name, guarded by s.mu so that
	// deleting a schedule group deletes its schedules at the same time.
	items map[string]*schedule
}

var _ jobs.Schedules = (*Schedules)(nil)

type schedule struct {
	jobs.Schedule
	// last is the schedule time of its last firing, or of when it was
	// put, and lastAt when that was on the sandbox clock.
	last, lastAt time.Time
	// next is its next firing's schedule time once planned; ok is false
	// when it has none.
	next        time.Time
	planned, ok bool
}

// Schedules is the sandbox's scheduler; every call returns the same one.
func (s *Sandbox) Schedules() *Schedules {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.scheduler == nil {
		s.scheduler = &Schedules{s: s, items: map[string]*schedule{}}
	}
	return s.scheduler
}

var scheduleName = regexp.MustCompile(`^[0-9a-zA-Z_.-]{1,64}$`)

// Put implements jobs.Schedules. The group must be a schedule group the
// sandbox holds. A schedule put again with the same expression keeps its
// pace; a new expression, or enabling a disabled one, starts it from now.
func (sc *Schedules) Put(_ context.Context, sch jobs.Schedule) error {
	const op = "PutSchedule"
	s := sc.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call(op); err != nil {
		return err
	}
	e := sch.Expression
	switch {
	case !scheduleName.MatchString(sch.Name):
		return invalid(op, "ValidationException: schedule name %q: 1 to 64 letters, digits, '-', '_' and '.'", sch.Name)
	case !strings.HasSuffix(e, ")") || !strings.HasPrefix(e, "cron(") && !strings.HasPrefix(e, "rate(") && !strings.HasPrefix(e, "at("):
		return invalid(op, "ValidationException: Invalid Schedule Expression %s.", e)
	}
	s.settle()
	if g, ok := s.resources[resourceKey(cloud.KindScheduleGroup, sch.Group)]; !ok || g.deleting {
		return fmt.Errorf("sandbox %s: ResourceNotFoundException: Schedule group %s does not exist.: %w", op, sch.Group, cloud.ErrNotFound)
	}
	k := sch.Group + "/" + sch.Name
	if old := sc.items[k]; old != nil && old.Expression == sch.Expression && (old.Enabled || !sch.Enabled) {
		old.Schedule = sch
		return nil
	}
	now := s.Now()
	sc.items[k] = &schedule{Schedule: sch, last: now, lastAt: now}
	return nil
}

// Delete implements jobs.Schedules.
func (sc *Schedules) Delete(_ context.Context, group, name string) error {
	s := sc.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call("DeleteSchedule"); err != nil {
		return err
	}
	delete(sc.items, group+"/"+name) // a missing one is gone already
	return nil
}

// List lists the schedules by group and name. It is a test and make run
// knob, not part of the port.
func (sc *Schedules) List() []jobs.Schedule {
	s := sc.s
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []jobs.Schedule{}
	for _, k := range sc.keys() {
		out = append(out, sc.items[k].Schedule)
	}
	return out
}

// keys are the items' keys in order. Callers hold mu.
func (sc *Schedules) keys() []string {
	ks := make([]string, 0, len(sc.items))
	for k := range sc.items {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// dropSchedules deletes a schedule group's schedules. Callers hold mu.
func (s *Sandbox) dropSchedules(group string) {
	if s.scheduler == nil {
		return
	}
	for k, it := range s.scheduler.items {
		if it.Group == group {
			delete(s.scheduler.items, k)
		}
	}
}

// tick is how often Run looks for schedules that are due.
const tick = 50 * time.Millisecond

// firing is one schedule's firing.
type firing struct {
	group, name, input string
	at                 time.Time
}

// Run fires each enabled schedule when it is due, until ctx is done.
// next is the expression evaluator: the schedule time of an expression's
// first firing after a time, false when there is none; it is called with
// the sandbox locked, so it must not call the sandbox. A schedule's
// periods pass Profile.Second/time.Second as fast on the sandbox clock
// (rate(1 minute) fires every 2 s under Fast); with Profile.Second 0
// (Instant) they pass at their own pace, for a schedule cannot fire at
// once for ever. fire gets the schedule's Input with Scheduler's context
// placeholders filled in; its errors go to Log and do not stop the loop.
func (sc *Schedules) Run(ctx context.Context, next func(expr string, after time.Time) (time.Time, bool), fire func(ctx context.Context, input string) error) {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		for _, f := range sc.due(next) {
			if ctx.Err() != nil {
				return
			}
			if err := fire(ctx, f.input); err != nil && sc.Log != nil {
				sc.Log("sandbox scheduler: schedule %s/%s at %s: %v", f.group, f.name, f.at.UTC().Format(time.RFC3339), err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// due plans and takes the firings due now, at most one per schedule.
func (sc *Schedules) due(next func(string, time.Time) (time.Time, bool)) []firing {
	s := sc.s
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Now()
	second := s.Profile.Second
	if second <= 0 {
		second = time.Second
	}
	var out []firing
	for _, k := range sc.keys() {
		it := sc.items[k]
		if !it.Enabled {
			continue
		}
		if !it.planned {
			it.next, it.ok = next(it.Expression, it.last)
			it.ok = it.ok && it.next.After(it.last) // else it would fire every tick
			it.planned = true
		}
		if !it.ok {
			continue
		}
		period := time.Duration(float64(it.next.Sub(it.last)) * float64(second) / float64(time.Second))
		at := it.lastAt.Add(period)
		if now.Before(at) {
			continue
		}
		out = append(out, firing{group: it.Group, name: it.Name, input: it.input(it.next), at: it.next})
		it.last, it.lastAt, it.planned = it.next, at, false
		if now.Sub(at) > period {
			it.lastAt = now // far behind (a paused clock): skip the missed firings rather than burst
		}
	}
	return out
}

// input is the schedule's Input for a firing at schedule time at.
func (it *schedule) input(at time.Time) string {
	id := make([]byte, 16)
	_, _ = rand.Read(id) // crypto/rand.Read never fails (Go 1.24+)
	h := hex.EncodeToString(id)
	return strings.NewReplacer(
		"<aws.scheduler.scheduled-time>", at.UTC().Format(time.RFC3339),
		"<aws.scheduler.execution-id>", h[:8]+"-"+h[8:12]+"-"+h[12:16]+"-"+h[16:20]+"-"+h[20:],
		"<aws.scheduler.attempt-number>", "1",
		"<aws.scheduler.schedule-arn>", "arn:aws:scheduler:"+Region+":"+Account+":schedule/"+it.Group+"/"+it.Name,
	).Replace(it.Input)
}
