package logs

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Cursor is where a follow resumes: the last event it sent. As an SSE
// event id it is "<ms>-<event id>", which a client's reconnect sends back
// as Last-Event-ID.
type Cursor struct {
	At time.Time
	ID string
}

func (c Cursor) String() string { return strconv.FormatInt(c.At.UnixMilli(), 10) + "-" + c.ID }

// ParseCursor reads a Last-Event-ID header.
func ParseCursor(s string) (Cursor, error) {
	ms, id, ok := strings.Cut(s, "-")
	n, err := strconv.ParseInt(ms, 10, 64)
	if !ok || err != nil || n < 0 || id == "" || len(s) > 256 {
		return Cursor{}, fmt.Errorf("must be the id of an event this stream sent (<ms>-<event id>); got %q", clip(s))
	}
	return Cursor{At: time.UnixMilli(n).UTC(), ID: id}, nil
}

// followBatch is how many events one poll asks for.
const followBatch = 1000

// Follow sends env's lines to emit as they arrive, from after (or from
// q.Start) until the until time, polling every Poll. It returns the cursor
// of the last event sent, for the client to resume from. It never holds
// on past until, which the caller keeps inside API Gateway's 29 seconds.
//
// Delivery is at least once: on resuming, lines logged in the same
// millisecond as the cursor's, other than its own, are sent again.
func (s *Service) Follow(ctx context.Context, org, app, name string, q Query, after Cursor, until time.Time, emit func(Event) error) (Cursor, error) {
	env, err := s.Store.GetEnvironment(ctx, org, app, name)
	if err != nil {
		return after, err
	}
	f, ok, err := filter(env, q)
	if err != nil {
		return after, err
	}
	last := after
	if last.At.IsZero() {
		last.At = q.Start
	}
	f.End, f.Limit, f.NextToken = time.Time{}, followBatch, ""
	// sent are the ids sent at last.At: the next poll starts there again.
	sent := map[string]bool{last.ID: true}
	for {
		if ok {
			f.Start = last.At
			for {
				page, err := s.Reader.Filter(ctx, f)
				if err = readError(err); err != nil {
					return last, err
				}
				for _, e := range page.Events {
					if e.Timestamp.Before(last.At) || (e.Timestamp.Equal(last.At) && sent[e.ID]) {
						continue
					}
					if err := emit(e); err != nil {
						return last, err
					}
					if !e.Timestamp.Equal(last.At) {
						clear(sent)
					}
					last, sent[e.ID] = Cursor{At: e.Timestamp, ID: e.ID}, true
				}
				if page.NextToken == "" || !s.Now().Before(until) {
					break
				}
				f.NextToken = page.NextToken
			}
			f.NextToken = ""
		}
		if !s.Now().Add(s.Poll).Before(until) {
			return last, nil
		}
		select {
		case <-ctx.Done():
			return last, nil // the client left
		case <-time.After(s.Poll):
		}
	}
}
