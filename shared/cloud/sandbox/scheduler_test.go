package sandbox_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/sandbox"
	"github.com/berth-dev/berth/shared/jobs"
)

// syncClock is a virtual clock that the scheduler's loop reads while the
// test moves it; reads counts its readings, so that a test can wait until
// the loop has looked at the time since it last moved it.
type syncClock struct {
	mu    sync.Mutex
	now   time.Time
	reads int
}

func (c *syncClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reads++
	return c.now
}

func (c *syncClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *syncClock) readings() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reads
}

// firings records what the scheduler fired.
type firings struct {
	mu     sync.Mutex
	inputs []string
	fail   bool
}

func (f *firings) fire(_ context.Context, input string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inputs = append(f.inputs, input)
	if f.fail {
		return errors.New("StartExecution: ThrottlingException")
	}
	return nil
}

// take returns and forgets what fired.
func (f *firings) take() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.inputs
	f.inputs = nil
	return out
}

// everyMinute stands in for the rate(1 minute) evaluator.
func everyMinute(_ string, after time.Time) (time.Time, bool) { return after.Add(time.Minute), true }

// startScheduler runs s's scheduler on a virtual clock and returns a
// function that moves the clock and waits until the loop has looked twice,
// so that every firing due by then has happened.
func startScheduler(t *testing.T, s *sandbox.Sandbox, f *firings) (c *syncClock, advance func(time.Duration)) {
	t.Helper()
	c = &syncClock{now: time.Date(2026, 12, 5, 15, 3, 0, 0, time.UTC)}
	s.Now = c.Now
	sc := s.Schedules()
	var logMu sync.Mutex
	sc.Log = func(format string, args ...any) {
		logMu.Lock()
		defer logMu.Unlock()
		t.Logf(format, args...)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); sc.Run(ctx, everyMinute, f.fire) }()
	t.Cleanup(func() { cancel(); <-done })
	return c, func(d time.Duration) {
		c.advance(d)
		n := c.readings()
		deadline := time.Now().Add(5 * time.Second)
		for c.readings() < n+2 {
			if time.Now().After(deadline) {
				t.Fatal("the scheduler loop stopped looking at the clock")
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

func group(t *testing.T, s *sandbox.Sandbox, name string) cloud.Resource {
	t.Helper()
	g, err := s.CreateScheduleGroup(ctx, cloud.ScheduleGroupSpec{Name: name, Tags: tags})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestSchedulesFireOnTheCompressedClock: with a sandbox second of 1/60 s,
// rate(1 minute) fires every sandbox-clock second, with Scheduler's
// placeholders filled in; a disabled schedule never fires and, enabled,
// starts from then; a deleted one stops; a failed firing stops nothing.
func TestSchedulesFireOnTheCompressedClock(t *testing.T) {
	s := sandbox.New(sandbox.Profile{Name: "test", Second: time.Second / 60})
	f := &firings{fail: true}
	c, advance := startScheduler(t, s, f)
	group(t, s, "grp")
	sc := s.Schedules()
	put := func(name string, enabled bool) {
		t.Helper()
		err := sc.Put(ctx, jobs.Schedule{Group: "grp", Name: name, Expression: "rate(1 minute)", Enabled: enabled,
			Input: `{"job":"` + name + `","at":"<aws.scheduler.scheduled-time>","id":"<aws.scheduler.execution-id>"}`})
		if err != nil {
			t.Fatal(err)
		}
	}
	put("every", true)
	put("off", false)

	advance(999 * time.Millisecond)
	if got := f.take(); len(got) != 0 {
		t.Fatalf("fired before a period: %q", got)
	}
	advance(time.Millisecond)
	first := f.take()
	if len(first) != 1 || !strings.HasPrefix(first[0], `{"job":"every","at":"2026-12-05T15:04:00Z","id":"`) || strings.Contains(first[0], "<aws.") {
		t.Fatalf("first firing: %q", first)
	}
	f.mu.Lock()
	f.fail = false // the failed firing did not stop the loop
	f.mu.Unlock()
	advance(time.Second)
	second := f.take()
	if len(second) != 1 || !strings.Contains(second[0], `"at":"2026-12-05T15:05:00Z"`) || second[0][len(first[0])-40:] == first[0][len(first[0])-40:] {
		t.Fatalf("second firing: %q after %q (each with a new execution id)", second, first)
	}

	advance(10 * time.Second) // far behind: one firing, not ten
	if got := f.take(); len(got) != 1 {
		t.Fatalf("after 10 s: %q", got)
	}
	// every starts again from the jump's firing; off, enabled half a
	// period later, a period after that.
	advance(500 * time.Millisecond)
	enabledAt := c.Now()
	put("off", true)
	advance(500 * time.Millisecond)
	if got := f.take(); len(got) != 1 || !strings.Contains(got[0], `"every"`) {
		t.Fatalf("off just enabled, every fires alone: %q", got)
	}
	advance(500 * time.Millisecond)
	got := f.take()
	want := `{"job":"off","at":"` + enabledAt.Add(time.Minute).Format(time.RFC3339) + `"`
	if len(got) != 1 || !strings.HasPrefix(got[0], want) {
		t.Fatalf("enabled a second ago: %q, want %s...", got, want)
	}

	if err := sc.Delete(ctx, "grp", "every"); err != nil {
		t.Fatal(err)
	}
	if err := sc.Delete(ctx, "grp", "never-made"); err != nil {
		t.Fatalf("deleting a missing schedule: %v", err)
	}
	advance(time.Second)
	if got := f.take(); len(got) != 1 || strings.Contains(got[0], `"every"`) {
		t.Fatalf("after deleting every: %q", got)
	}
	if list := sc.List(); len(list) != 1 || list[0].Name != "off" || !list[0].Enabled {
		t.Fatalf("List: %+v", list)
	}
}

// TestDeletingTheGroupDeletesItsSchedules, at once, though the group
// itself takes an hour to go here.
func TestDeletingTheGroupDeletesItsSchedules(t *testing.T) {
	s := sandbox.New(sandbox.Profile{Name: "test", Second: time.Second / 60, Delete: map[cloud.Kind]time.Duration{cloud.KindScheduleGroup: time.Hour}})
	f := &firings{}
	_, advance := startScheduler(t, s, f)
	sc := s.Schedules()
	sch := jobs.Schedule{Group: "grp", Name: "nightly", Expression: "cron(0 3 * * ? *)", Enabled: true, Input: "{}"}
	if err := sc.Put(ctx, sch); !errors.Is(err, cloud.ErrNotFound) || !strings.Contains(err.Error(), "Schedule group grp does not exist") {
		t.Fatalf("Put in a group that does not exist: %v", err)
	}
	g := group(t, s, "grp")
	other := group(t, s, "other")
	for _, in := range []cloud.Resource{g, other} {
		sch.Group = in.Name
		if err := sc.Put(ctx, sch); err != nil {
			t.Fatal(err)
		}
	}
	if gone, err := s.Delete(ctx, g.Ref, cloud.DeleteOptions{}); gone || err != nil {
		t.Fatalf("deleting the group: %v, %v", gone, err)
	}
	if list := sc.List(); len(list) != 1 || list[0].Group != "other" {
		t.Fatalf("schedules left: %+v", list)
	}
	advance(time.Second)
	if got := f.take(); len(got) != 1 {
		t.Fatalf("firings after deleting grp: %q, want other's alone", got)
	}
	sch.Group = "grp"
	if err := sc.Put(ctx, sch); !errors.Is(err, cloud.ErrNotFound) {
		t.Fatalf("Put in a group being deleted: %v", err)
	}
	if err := sc.Put(ctx, jobs.Schedule{Group: "other", Name: "bad name!", Expression: "rate(1 minute)"}); !errors.Is(err, cloud.ErrInvalid) {
		t.Fatalf("a bad name: %v", err)
	}
	s.Fault("PutSchedule", errors.New("ThrottlingException"))
	s.Fault("DeleteSchedule", errors.New("ThrottlingException"))
	if err := sc.Put(ctx, jobs.Schedule{Group: "other", Name: "n", Expression: "rate(1 minute)"}); err == nil {
		t.Fatal("the fault did not fail Put")
	}
	if err := sc.Delete(ctx, "other", "nightly"); err == nil || len(sc.List()) != 1 {
		t.Fatalf("the fault did not fail Delete: %v, %d schedules", err, len(sc.List()))
	}
}

// TestInstantKeepsSchedulesAtTheirOwnPace: with no sandbox second, a
// schedule would otherwise fire on every look.
func TestInstantKeepsSchedulesAtTheirOwnPace(t *testing.T) {
	s := sandbox.New(sandbox.Instant)
	f := &firings{}
	_, advance := startScheduler(t, s, f)
	group(t, s, "grp")
	if err := s.Schedules().Put(ctx, jobs.Schedule{Group: "grp", Name: "n", Expression: "rate(1 minute)", Enabled: true, Input: "x"}); err != nil {
		t.Fatal(err)
	}
	advance(59 * time.Second)
	if got := f.take(); len(got) != 0 {
		t.Fatalf("after 59 s: %q", got)
	}
	advance(time.Second)
	if got := f.take(); fmt.Sprint(got) != "[x]" {
		t.Fatalf("after a minute: %q", got)
	}
}
