// Package progress shows a workflow's steps live while the berth CLI waits
// for it: on a terminal, one line per step with a spinner and the elapsed
// time, redrawn in place; in a pipe or CI, one plain line each time a step
// changes state.
package progress

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Step states, as the API names them.
const (
	Pending   = "PENDING"
	Running   = "RUNNING"
	Succeeded = "SUCCEEDED"
	Skipped   = "SKIPPED"
	Failed    = "FAILED"
)

// Step is one step of a workflow.
type Step struct {
	Name, State, Detail   string
	StartedAt, FinishedAt time.Time
}

// Snapshot is a workflow as one poll saw it.
type Snapshot struct {
	// Status is the record's or operation's status, such as CREATING,
	// RUNNING or ACTIVE.
	Status string
	Steps  []Step
	// Done says the work has ended, and Failed that it failed, with
	// Reason why.
	Done, Failed bool
	Reason       string
}

// Renderer shows snapshots.
type Renderer interface {
	// Update shows the latest snapshot.
	Update(Snapshot)
	// Finish shows the last one, after which nothing more is drawn.
	Finish(Snapshot)
}

// Watch polls until the snapshot is done or ctx ends, showing each one.
func Watch(ctx context.Context, r Renderer, interval time.Duration, poll func(context.Context) (Snapshot, error)) (Snapshot, error) {
	var last Snapshot
	for {
		snap, err := poll(ctx)
		if err != nil {
			r.Finish(last)
			return last, err
		}
		last = snap
		if snap.Done {
			r.Finish(snap)
			return snap, nil
		}
		r.Update(snap)
		select {
		case <-ctx.Done():
			r.Finish(last)
			return last, ctx.Err()
		case <-time.After(interval):
		}
	}
}

// Style says how to draw.
type Style struct {
	// Colour uses ANSI colours (a terminal, and NO_COLOR unset).
	Colour bool
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

func (s Style) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s Style) paint(code, text string) string {
	if !s.Colour {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

// elapsed is how long a step ran, or has been running.
func elapsed(st Step, now time.Time) time.Duration {
	if st.StartedAt.IsZero() {
		return 0
	}
	end := st.FinishedAt
	if end.IsZero() {
		end = now
	}
	if d := end.Sub(st.StartedAt); d > 0 {
		return d
	}
	return 0
}

// Duration formats d as 0.4s, 12.3s or 2m05s.
func Duration(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	d = d.Round(time.Second)
	return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
}

// Plain prints a line when the status or a step's state changes, with the
// time since the watch began: for pipes, CI and logs.
type Plain struct {
	W     io.Writer
	Title string
	Style Style

	begun  time.Time
	status string
	states map[string]string
}

func (p *Plain) since() string {
	now := p.Style.now()
	if p.begun.IsZero() {
		p.begun = now
	}
	return fmt.Sprintf("[%6s]", Duration(now.Sub(p.begun)))
}

// Update prints what changed.
func (p *Plain) Update(s Snapshot) {
	if p.states == nil {
		p.states = map[string]string{}
		fmt.Fprintf(p.W, "%s %s\n", p.since(), p.Title)
	}
	if s.Status != "" && s.Status != p.status {
		p.status = s.Status
		fmt.Fprintf(p.W, "%s status %s\n", p.since(), s.Status)
	}
	now := p.Style.now()
	for _, st := range s.Steps {
		if p.states[st.Name] == st.State {
			continue
		}
		p.states[st.Name] = st.State
		line := fmt.Sprintf("%s step %-10s %s", p.since(), st.Name, st.State)
		if st.State != Pending && st.State != Running {
			line += " (" + Duration(elapsed(st, now)) + ")"
		}
		if st.Detail != "" && (st.State == Running || st.State == Failed) {
			line += ": " + st.Detail
		}
		fmt.Fprintln(p.W, line)
	}
}

// Finish prints the last changes and the outcome.
func (p *Plain) Finish(s Snapshot) {
	p.Update(s)
	if !s.Done {
		return
	}
	if s.Failed {
		reason := ""
		if s.Reason != "" {
			reason = ": " + s.Reason
		}
		fmt.Fprintf(p.W, "%s failed%s\n", p.since(), reason)
		return
	}
	fmt.Fprintf(p.W, "%s done\n", p.since())
}

// spinner frames, one per redraw.
var spinner = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// Live redraws the steps in place on a terminal, ten times a second, each
// running step with a spinner and its elapsed time.
type Live struct {
	W     io.Writer
	Title string
	Style Style

	mu      sync.Mutex
	snap    Snapshot
	lines   int
	frame   int
	begun   time.Time
	stop    chan struct{}
	stopped chan struct{}
}

// Update takes the latest snapshot, and starts the redraws the first time.
func (l *Live) Update(s Snapshot) {
	l.mu.Lock()
	l.snap = s
	if l.stop == nil {
		l.begun = l.Style.now()
		l.stop, l.stopped = make(chan struct{}), make(chan struct{})
		go l.loop()
	}
	l.draw()
	l.mu.Unlock()
}

func (l *Live) loop() {
	defer close(l.stopped)
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			l.mu.Lock()
			l.frame++
			l.draw()
			l.mu.Unlock()
		}
	}
}

// Finish draws the last snapshot and stops redrawing.
func (l *Live) Finish(s Snapshot) {
	l.mu.Lock()
	if l.stop == nil {
		l.begun = l.Style.now()
	}
	l.snap = s
	stop := l.stop
	l.mu.Unlock()
	if stop != nil {
		close(stop)
		<-l.stopped
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.draw()
}

// draw replaces the lines drawn before; l.mu is held.
func (l *Live) draw() {
	var b strings.Builder
	if l.lines > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", l.lines)
	}
	now := l.Style.now()
	lines := []string{l.header(now)}
	for _, st := range l.snap.Steps {
		lines = append(lines, l.stepLine(st, now))
	}
	if l.snap.Done && l.snap.Failed && l.snap.Reason != "" {
		lines = append(lines, l.Style.paint("31", "  "+l.snap.Reason))
	}
	for _, line := range lines {
		b.WriteString("\r\x1b[2K")
		b.WriteString(line)
		b.WriteString("\n")
	}
	// Lines drawn before and not now are cleared.
	for i := len(lines); i < l.lines; i++ {
		b.WriteString("\r\x1b[2K\n")
	}
	if extra := l.lines - len(lines); extra > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", extra)
	}
	l.lines = len(lines)
	_, _ = io.WriteString(l.W, b.String())
}

func (l *Live) header(now time.Time) string {
	status := l.snap.Status
	switch {
	case l.snap.Done && l.snap.Failed:
		status = l.Style.paint("31", status)
	case l.snap.Done:
		status = l.Style.paint("32", status)
	default:
		status = l.Style.paint("33", status)
	}
	return fmt.Sprintf("%s %s %s", l.Style.paint("1", l.Title), status, l.Style.paint("2", Duration(now.Sub(l.begun))))
}

func (l *Live) stepLine(st Step, now time.Time) string {
	var mark string
	switch st.State {
	case Running:
		mark = l.Style.paint("36", spinner[l.frame%len(spinner)])
	case Succeeded:
		mark = l.Style.paint("32", "✓")
	case Failed:
		mark = l.Style.paint("31", "✗")
	case Skipped:
		mark = l.Style.paint("2", "-")
	default:
		mark = l.Style.paint("2", "·")
	}
	line := fmt.Sprintf("  %s %-10s %-9s", mark, st.Name, st.State)
	if st.State != Pending && st.State != Skipped {
		line += " " + fmt.Sprintf("%6s", Duration(elapsed(st, now)))
	}
	if st.Detail != "" && (st.State == Running || st.State == Failed) {
		line += "  " + l.Style.paint("2", st.Detail)
	}
	return line
}
