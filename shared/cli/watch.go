package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/berth-dev/berth/shared/cli/client"
	"github.com/berth-dev/berth/shared/cli/progress"
)

// apiStep is a ProgressStep of the API.
type apiStep struct {
	Name       string    `json:"name"`
	State      string    `json:"state"`
	Detail     string    `json:"detail"`
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt"`
}

func steps(in []apiStep) []progress.Step {
	out := make([]progress.Step, len(in))
	for i, s := range in {
		out[i] = progress.Step{Name: s.Name, State: s.State, Detail: s.Detail, StartedAt: s.StartedAt, FinishedAt: s.FinishedAt}
	}
	return out
}

// record is what an application or environment shows of its workflow.
type record struct {
	Status       string `json:"status"`
	StatusReason string `json:"statusReason"`
	Progress     *struct {
		State string    `json:"state"`
		Steps []apiStep `json:"steps"`
	} `json:"progress"`
}

// operation is an Operation of the API.
type operation struct {
	ID     string    `json:"id"`
	Status string    `json:"status"`
	Steps  []apiStep `json:"steps"`
	Error  string    `json:"error"`
	Target string    `json:"target"`
}

// settle marks the steps a failed workflow left RUNNING as FAILED: the
// API can end an operation FAILED while the step it failed in still says
// RUNNING (a deployment's rollout, for one), and a spinner would then
// turn for ever on a finished wait.
func settle(s progress.Snapshot) progress.Snapshot {
	if !s.Done || !s.Failed {
		return s
	}
	for i, st := range s.Steps {
		if st.State == progress.Running {
			s.Steps[i].State = progress.Failed
		}
	}
	return s
}

// transient says whether a poll's error may pass: a rate limit, a 5xx
// or a network error, which the next poll may not meet.
func transient(err error) bool {
	var p *client.Problem
	if errors.As(err, &p) {
		return p.Status == http.StatusTooManyRequests || p.Status >= 500
	}
	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// tolerant polls with poll, answering the last snapshot again for up to
// five transient errors in a row, so that a wait outlives a blip.
func tolerant(poll func(context.Context) (progress.Snapshot, error)) func(context.Context) (progress.Snapshot, error) {
	var last progress.Snapshot
	failures := 0
	return func(ctx context.Context) (progress.Snapshot, error) {
		s, err := poll(ctx)
		if err == nil {
			failures, last = 0, s
			return s, nil
		}
		if failures++; failures > 5 || !transient(err) || ctx.Err() != nil {
			return s, err
		}
		return last, nil
	}
}

// watchRecord waits for the application or environment at path to leave
// CREATING, showing its provisioning's steps, and answers its last body.
func (a *app) watchRecord(ctx context.Context, c *client.Client, path, title string) ([]byte, progress.Snapshot, error) {
	var last []byte
	snap, err := progress.Watch(ctx, a.renderer(title), a.io.Poll, tolerant(func(ctx context.Context) (progress.Snapshot, error) {
		resp, err := c.Do(ctx, http.MethodGet, path, nil)
		if err != nil {
			return progress.Snapshot{}, err
		}
		last = resp.Body
		var r record
		if err := resp.Decode(&r); err != nil {
			return progress.Snapshot{}, err
		}
		s := progress.Snapshot{Status: r.Status}
		if r.Progress != nil {
			s.Steps = steps(r.Progress.Steps)
		}
		switch r.Status {
		case "CREATING", "DELETING":
		case "FAILED":
			s.Done, s.Failed, s.Reason = true, true, r.StatusReason
		default:
			s.Done = true
		}
		return settle(s), nil
	}))
	return last, snap, err
}

// watchOperation waits for the operation at path (a Location) to end,
// showing its steps, and answers its last body.
func (a *app) watchOperation(ctx context.Context, c *client.Client, path, title string) ([]byte, progress.Snapshot, error) {
	var last []byte
	snap, err := progress.Watch(ctx, a.renderer(title), a.io.Poll, tolerant(func(ctx context.Context) (progress.Snapshot, error) {
		resp, err := c.Do(ctx, http.MethodGet, path, nil)
		if err != nil {
			return progress.Snapshot{}, err
		}
		last = resp.Body
		var op operation
		if err := resp.Decode(&op); err != nil {
			return progress.Snapshot{}, err
		}
		s := progress.Snapshot{Status: op.Status, Steps: steps(op.Steps)}
		switch op.Status {
		case "SUCCEEDED":
			s.Done = true
		case "FAILED":
			s.Done, s.Failed, s.Reason = true, true, op.Error
		}
		return settle(s), nil
	}))
	return last, snap, err
}

// finish prints the outcome of a wait: the last body as JSON, or a line;
// a failure exits 1.
func (a *app) finish(last []byte, snap progress.Snapshot, err error, what string) error {
	if err != nil {
		return err
	}
	if a.json() && last != nil {
		if err := a.printJSON(last); err != nil {
			return err
		}
	} else if !snap.Failed {
		fmt.Fprintf(a.io.Stdout, "%s: %s\n", what, snap.Status)
	}
	if snap.Failed {
		if !a.json() {
			fmt.Fprintf(a.io.Stderr, "%s: %s: %s\n", what, snap.Status, or(snap.Reason))
		}
		return &ExitError{Code: 1}
	}
	return nil
}

// accepted prints what --no-wait returns: the answer's body as JSON, or
// a line naming the operation to watch.
func (a *app) accepted(resp *client.Response, what string) error {
	if a.json() {
		return a.printJSON(resp.Body)
	}
	var body struct {
		Status string `json:"status"`
	}
	_ = json.Unmarshal(resp.Body, &body)
	line := what
	if body.Status != "" {
		line += ": " + body.Status
	}
	fmt.Fprintln(a.io.Stdout, line)
	if loc := resp.Location(); strings.Contains(loc, "/operations/") {
		fmt.Fprintf(a.io.Stdout, "follow it with: berth ops watch %s\n", lastSegment(loc))
	}
	return nil
}

func lastSegment(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[i+1:]
		}
	}
	return p
}
