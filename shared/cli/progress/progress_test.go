package progress

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// clock is a clock the test moves.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestPlainPrintsEachChangeOnce(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var b bytes.Buffer
	p := &Plain{W: &b, Title: "Creating application shop", Style: Style{Now: c.now}}
	start := c.t
	p.Update(Snapshot{Status: "CREATING", Steps: []Step{{Name: "network", State: Running, Detail: "making the network", StartedAt: start}, {Name: "service", State: Pending}}})
	c.t = c.t.Add(time.Second)
	p.Update(Snapshot{Status: "CREATING", Steps: []Step{{Name: "network", State: Running, StartedAt: start}, {Name: "service", State: Pending}}})
	c.t = c.t.Add(1500 * time.Millisecond)
	p.Finish(Snapshot{Status: "ACTIVE", Done: true, Steps: []Step{{Name: "network", State: Succeeded, StartedAt: start, FinishedAt: start.Add(2 * time.Second)}, {Name: "service", State: Succeeded}}})
	want := `[  0.0s] Creating application shop
[  0.0s] status CREATING
[  0.0s] step network    RUNNING: making the network
[  0.0s] step service    PENDING
[  2.5s] status ACTIVE
[  2.5s] step network    SUCCEEDED (2.0s)
[  2.5s] step service    SUCCEEDED (0.0s)
[  2.5s] done
`
	if b.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestPlainSaysWhyItFailed(t *testing.T) {
	var b bytes.Buffer
	p := &Plain{W: &b, Title: "x"}
	p.Finish(Snapshot{Status: "FAILED", Done: true, Failed: true, Reason: "service: the tasks did not start",
		Steps: []Step{{Name: "service", State: Failed, Detail: "exit code 1"}}})
	for _, want := range []string{"step service    FAILED (0.0s): exit code 1", "failed: service: the tasks did not start"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("%q lacks %q", b.String(), want)
		}
	}
}

func TestLiveRedrawsInPlaceWithSpinnerAndElapsed(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	start := c.t
	var b bytes.Buffer
	l := &Live{W: &b, Title: "Deploying", Style: Style{Colour: true, Now: c.now}}
	c.t = c.t.Add(3200 * time.Millisecond)
	l.Update(Snapshot{Status: "RUNNING", Steps: []Step{{Name: "rollout", State: Running, StartedAt: start}}})
	l.mu.Lock()
	first := b.String()
	l.mu.Unlock()
	if !strings.Contains(first, spinner[0]) || !strings.Contains(first, "rollout") || !strings.Contains(first, "3.2s") {
		t.Fatalf("first draw %q: want a spinner, the step and its elapsed time", first)
	}
	time.Sleep(250 * time.Millisecond) // the spinner turns by itself
	l.mu.Lock()
	turned := b.String()[len(first):]
	l.mu.Unlock()
	moved := false
	for _, f := range spinner[1:] {
		moved = moved || strings.Contains(turned, f+"\x1b[0m rollout")
	}
	if !strings.Contains(turned, "\x1b[2A") || !moved {
		t.Fatalf("redraws %q: want the two lines replaced with the spinner turned", turned)
	}
	l.Finish(Snapshot{Status: "SUCCEEDED", Done: true, Steps: []Step{{Name: "rollout", State: Succeeded, StartedAt: start, FinishedAt: start.Add(4 * time.Second)}}})
	last := b.String()
	if !strings.HasSuffix(last, "\r\x1b[2K  \x1b[32m✓\x1b[0m rollout    SUCCEEDED   4.0s\n") {
		t.Fatalf("last draw %q: want a green tick and 4.0s", last[strings.LastIndex(last, "\r"):])
	}
	n := len(b.String())
	time.Sleep(150 * time.Millisecond)
	if len(b.String()) != n {
		t.Fatal("Live drew after Finish")
	}
}

func TestLiveWithoutColourHasNoColours(t *testing.T) {
	var b bytes.Buffer
	l := &Live{W: &b, Title: "x"}
	l.Finish(Snapshot{Status: "FAILED", Done: true, Failed: true, Reason: "boom", Steps: []Step{{Name: "service", State: Failed}}})
	if strings.Contains(b.String(), "m✗") || strings.Contains(b.String(), "\x1b[31m") || !strings.Contains(b.String(), "✗ service") || !strings.Contains(b.String(), "boom") {
		t.Fatalf("%q", b.String())
	}
}

func TestWatchStopsWhenDone(t *testing.T) {
	n := 0
	var b bytes.Buffer
	snap, err := Watch(context.Background(), &Plain{W: &b, Title: "x"}, time.Millisecond, func(context.Context) (Snapshot, error) {
		n++
		return Snapshot{Status: "RUNNING", Done: n == 3}, nil
	})
	if err != nil || n != 3 || !snap.Done {
		t.Fatalf("polled %d times, %v %v", n, snap, err)
	}
}

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{400 * time.Millisecond: "0.4s", 12300 * time.Millisecond: "12.3s", 125 * time.Second: "2m05s"} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%v) = %q, want %q", d, got, want)
		}
	}
}
