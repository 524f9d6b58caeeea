package logs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCursorRoundTrip(t *testing.T) {
	c := Cursor{At: time.UnixMilli(1700000000123).UTC(), ID: "38263-0-a-b"}
	if s := c.String(); s != "1700000000123-38263-0-a-b" {
		t.Fatalf("String: %s", s)
	}
	got, err := ParseCursor(c.String())
	if err != nil || !got.At.Equal(c.At) || got.ID != c.ID {
		t.Fatalf("ParseCursor: %+v, %v", got, err)
	}
	for _, bad := range []string{"", "123", "123-", "-abc", "x-abc", "-5-abc", "1-" + strings.Repeat("a", 256)} {
		if _, err := ParseCursor(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// clock is a fake Service.Now that a reader call moves on.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// follow runs s.Follow, failing the test if it does not return soon.
func follow(t *testing.T, s *Service, q Query, after Cursor, until time.Time) ([]Event, Cursor, error) {
	t.Helper()
	var got []Event
	type result struct {
		c   Cursor
		err error
	}
	done := make(chan result, 1)
	go func() {
		c, err := s.Follow(context.Background(), "acme", "shop", "staging", q, after, until, func(e Event) error {
			got = append(got, e)
			return nil
		})
		done <- result{c, err}
	}()
	select {
	case r := <-done:
		return got, r.c, r.err
	case <-time.After(10 * time.Second):
		t.Fatal("Follow did not stop at its deadline")
		return nil, Cursor{}, nil
	}
}

func ids(events []Event) []string {
	var out []string
	for _, e := range events {
		out = append(out, e.ID)
	}
	return out
}

// followed is a Service on the fake logs whose clock moves a second a
// call, polling every millisecond, with the query's window ending now.
func followed(r *fakeLogs) (*Service, *clock, Query) {
	clk := &clock{t: now}
	r.tick = func() { clk.t = clk.t.Add(time.Second) }
	s := NewService(environments(), r)
	s.Now, s.Poll = clk.now, time.Millisecond
	return s, clk, Query{Start: now.Add(-time.Hour), End: now, Limit: 100}
}

func at(ms int64) time.Time { return now.Add(time.Duration(ms) * time.Millisecond) }

func ev(id string, t time.Time, from int) logged {
	return logged{Event: Event{ID: id, Timestamp: t, Stream: "berth/web/t1", Message: "line " + id}, from: from}
}

func TestFollow(t *testing.T) {
	for _, c := range []struct {
		name     string
		events   []logged
		pageSize int
		after    Cursor
		want     []string
	}{
		{name: "events across polls",
			events: []logged{ev("a", at(-5000), 1), ev("b", at(-4000), 1), ev("c", at(1500), 2), ev("d", at(2500), 3)},
			want:   []string{"a", "b", "c", "d"}},
		{name: "several events in one millisecond, some logged a poll later",
			events: []logged{ev("a", at(1), 1), ev("b", at(1), 1), ev("c", at(1), 2), ev("d", at(1), 3), ev("e", at(2), 3)},
			want:   []string{"a", "b", "c", "d", "e"}},
		{name: "pages within a poll",
			events:   []logged{ev("a", at(1), 1), ev("b", at(1), 1), ev("c", at(1), 1), ev("d", at(2), 1), ev("e", at(3), 1)},
			pageSize: 2, want: []string{"a", "b", "c", "d", "e"}},
		{name: "resume after a cursor: its event not again, its millisecond's others not lost",
			events: []logged{ev("a", at(-2000), 1), ev("b", at(-1000), 1), ev("c", at(-1000), 1), ev("d", at(-500), 1), ev("e", at(1500), 2)},
			after:  Cursor{At: at(-1000), ID: "b"}, want: []string{"c", "d", "e"}},
		{name: "nothing before the query's start",
			events: []logged{ev("old", now.Add(-2*time.Hour), 1), ev("a", at(-1000), 1)},
			want:   []string{"a"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := &fakeLogs{events: c.events, pageSize: c.pageSize}
			s, _, q := followed(r)
			after := c.after
			if !after.At.IsZero() {
				// As a reconnect sends it back.
				var err error
				if after, err = ParseCursor(after.String()); err != nil {
					t.Fatal(err)
				}
			}
			got, last, err := follow(t, s, q, after, now.Add(10*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(got), c.want) {
				t.Fatalf("sent %v, want %v", ids(got), c.want)
			}
			if end := got[len(got)-1]; last.ID != end.ID || !last.At.Equal(end.Timestamp) {
				t.Errorf("cursor %+v, want the last event's (%s)", last, end.ID)
			}
			for _, f := range r.filters {
				if f.Group != group || !f.End.IsZero() || f.Limit != followBatch {
					t.Fatalf("filter %+v", f)
				}
			}
		})
	}
}

func TestFollowResumesWhereAnEarlierFollowStopped(t *testing.T) {
	events := []logged{ev("a", at(1), 1), ev("b", at(1), 1), ev("c", at(1), 5), ev("d", at(2), 5)}
	r := &fakeLogs{events: events}
	s, clk, q := followed(r)
	first, last, err := follow(t, s, q, Cursor{}, now.Add(3*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseCursor(last.String())
	if err != nil {
		t.Fatal(err)
	}
	second, _, err := follow(t, s, q, c, clk.t.Add(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	all := append(ids(first), ids(second)...)
	// At least once: a's millisecond may come again, but b (the cursor's) not, and nothing is lost.
	if !slices.Equal(ids(first), []string{"a", "b"}) || slices.Contains(ids(second), "b") ||
		!slices.Contains(all, "c") || !slices.Contains(all, "d") || all[len(all)-1] != "d" {
		t.Fatalf("first %v, then %v", ids(first), ids(second))
	}
}

func TestFollowStopsAtTheDeadline(t *testing.T) {
	r := &fakeLogs{events: []logged{ev("a", at(1), 1)}}
	s, clk, q := followed(r)
	until := now.Add(5 * time.Second)
	got, last, err := follow(t, s, q, Cursor{}, until)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(got), []string{"a"}) || last.ID != "a" {
		t.Errorf("sent %v, cursor %+v", ids(got), last)
	}
	// A second a call: it stops when the next poll would be past until.
	if len(r.filters) < 4 || len(r.filters) > 5 || clk.t.After(until) {
		t.Errorf("%d polls, clock at %s, until %s", len(r.filters), clk.t, until)
	}

	// A deadline already passed: one look, then back.
	r = &fakeLogs{}
	s, _, q = followed(r)
	if _, last, err := follow(t, s, q, Cursor{}, now); err != nil || len(r.filters) != 1 || !last.At.Equal(q.Start) {
		t.Errorf("past deadline: %d polls, cursor %+v, %v", len(r.filters), last, err)
	}
}

func TestFollowErrors(t *testing.T) {
	r := &fakeLogs{err: fmt.Errorf("bad: %w", ErrInvalidPattern)}
	s, _, q := followed(r)
	if _, _, err := follow(t, s, q, Cursor{}, now.Add(5*time.Second)); !slices.Equal(fields(err), []string{"filterPattern"}) {
		t.Errorf("invalid pattern: %v", err)
	}

	r = &fakeLogs{err: fmt.Errorf("gone: %w", ErrNoGroup)}
	s, _, q = followed(r)
	got, _, err := follow(t, s, q, Cursor{}, now.Add(5*time.Second))
	if err != nil || len(got) != 0 || len(r.filters) == 0 {
		t.Errorf("no group: %v, %v after %d polls", ids(got), err, len(r.filters))
	}

	// emit's error ends the follow, with the cursor of what was sent.
	r = &fakeLogs{events: []logged{ev("a", at(1), 1), ev("b", at(2), 1)}}
	s, _, q = followed(r)
	stop := errors.New("client gone")
	last, err := s.Follow(context.Background(), "acme", "shop", "staging", q, Cursor{}, now.Add(5*time.Second), func(e Event) error {
		if e.ID == "b" {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || last.ID != "a" {
		t.Errorf("emit failing: %+v, %v", last, err)
	}
}
