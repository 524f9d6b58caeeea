package logs

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/compose"
	"github.com/berth-dev/berth/shared/validation"
)

var now = time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)

// fields are the fields a validation error names; nil for another error.
func fields(err error) []string {
	var v validation.Errors
	if errors.As(err, &v) {
		return v.Fields()
	}
	return nil
}

func TestParseQuery(t *testing.T) {
	for _, c := range []struct {
		name       string
		q          string
		start, end time.Time
		limit      int
		bad        []string // the fields an error names; nil when accepted
	}{
		{name: "defaults: the last hour, 100 lines", q: "", start: now.Add(-time.Hour), end: now, limit: 100},
		{name: "ISO times", q: "startTime=2026-12-05T08:00:00Z&endTime=2026-12-05T09:30:00.5%2B01:00",
			start: time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC), end: time.Date(2026, 12, 5, 8, 30, 0, 5e8, time.UTC), limit: 100},
		{name: "Unix seconds", q: "startTime=1700000000&endTime=1700000600", start: time.Unix(1700000000, 0), end: time.Unix(1700000600, 0), limit: 100},
		{name: "Unix milliseconds", q: "startTime=1700000000123&endTime=1700000600456", start: time.UnixMilli(1700000000123), end: time.UnixMilli(1700000600456), limit: 100},
		{name: "a sign is not a digit", q: "startTime=%2B170000000000&endTime=%2B1700000000000", start: time.Unix(170000000000, 0), end: time.UnixMilli(1700000000000), bad: []string{"endTime"}},
		{name: "leading zeros are not digits either", q: "startTime=0001700000000&endTime=1700000600", start: time.Unix(1700000000, 0), end: time.Unix(1700000600, 0), limit: 100},
		{name: "endTime alone: the hour before it", q: "endTime=1700000600", start: time.Unix(1700000600-3600, 0), end: time.Unix(1700000600, 0), limit: 100},
		{name: "limit 1", q: "limit=1", start: now.Add(-time.Hour), end: now, limit: 1},
		{name: "limit 10000", q: "limit=10000", start: now.Add(-time.Hour), end: now, limit: 10000},
		{name: "limit 0", q: "limit=0", bad: []string{"limit"}},
		{name: "limit 10001", q: "limit=10001", bad: []string{"limit"}},
		{name: "limit x", q: "limit=x", bad: []string{"limit"}},
		{name: "endTime before startTime", q: "startTime=1700000600&endTime=1700000000", bad: []string{"endTime"}},
		{name: "startTime after now", q: "startTime=" + strconv.FormatInt(now.Add(time.Minute).Unix(), 10), bad: []string{"endTime"}},
		{name: "startTime not a time", q: "startTime=yesterday", bad: []string{"startTime"}},
		{name: "endTime not a time", q: "endTime=2026-12-05", bad: []string{"endTime"}},
		{name: "negative time", q: "startTime=-5", bad: []string{"startTime"}},
		{name: "long pattern", q: "filterPattern=" + strings.Repeat("x", 1025), bad: []string{"filterPattern"}},
		{name: "long token", q: "nextToken=" + strings.Repeat("t", 4097), bad: []string{"nextToken"}},
		{name: "several at once", q: "startTime=x&limit=0&filterPattern=" + strings.Repeat("x", 1025), bad: []string{"filterPattern", "limit", "startTime"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			v, err := url.ParseQuery(c.q)
			if err != nil {
				t.Fatal(err)
			}
			q, err := ParseQuery(v, now)
			if c.bad != nil {
				if got := fields(err); !slices.Equal(got, c.bad) {
					t.Fatalf("error %v names %v, want %v", err, got, c.bad)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !q.Start.Equal(c.start) || !q.End.Equal(c.end) || q.Limit != c.limit {
				t.Errorf("got %s..%s limit %d, want %s..%s limit %d", q.Start, q.End, q.Limit, c.start, c.end, c.limit)
			}
		})
	}
}

func TestParseQueryKeepsTheRest(t *testing.T) {
	q, err := ParseQuery(url.Values{"containerName": {"web"}, "filterPattern": {strings.Repeat("p", 1024)}, "nextToken": {"tok"}}, now)
	if err != nil {
		t.Fatal(err)
	}
	if q.Container != "web" || len(q.Pattern) != 1024 || q.NextToken != "tok" {
		t.Errorf("%+v", q)
	}
}

// memStore is a Store of environments by name.
type memStore map[string]apps.Environment

func (m memStore) GetEnvironment(_ context.Context, org, app, name string) (apps.Environment, error) {
	env, ok := m[name]
	if !ok {
		return apps.Environment{}, apps.NotFound("environment %q does not exist", name)
	}
	return env, nil
}

const group = "/berth/acme/shop/staging"

func environments() memStore {
	return memStore{
		"staging": {Organisation: "acme", Application: "shop", Name: "staging", UID: "u1",
			Compose:      compose.Definition{Containers: []compose.Container{{Name: "web"}, {Name: "worker"}}},
			Provisioning: apps.Provisioning{Outputs: map[string]string{apps.OutLogGroup: group}}},
		"new": {Organisation: "acme", Application: "shop", Name: "new", Compose: compose.Definition{Containers: []compose.Container{{Name: "web"}}}},
	}
}

// logged is an event and the reader call from which it can be read.
type logged struct {
	Event
	from int
}

// fakeLogs is a log group: Filter answers the events logged by then at or
// after f.Start, oldest first, pageSize at a time.
type fakeLogs struct {
	events   []logged
	pageSize int
	err      error
	filters  []Filter
	// tick runs on each call (a clock's step).
	tick func()
}

func (r *fakeLogs) Filter(_ context.Context, f Filter) (Page, error) {
	r.filters = append(r.filters, f)
	call := len(r.filters)
	if r.tick != nil {
		r.tick()
	}
	if r.err != nil {
		return Page{}, r.err
	}
	var match []Event
	for _, e := range r.events {
		if e.from <= call && !e.Timestamp.Before(f.Start) && (f.End.IsZero() || e.Timestamp.Before(f.End)) && strings.HasPrefix(e.Stream, f.StreamPrefix) {
			match = append(match, e.Event)
		}
	}
	slices.SortStableFunc(match, func(a, b Event) int { return a.Timestamp.Compare(b.Timestamp) })
	off := 0
	if f.NextToken != "" {
		off, _ = strconv.Atoi(f.NextToken)
	}
	n := min(f.Limit, len(match)-off)
	if r.pageSize > 0 {
		n = min(n, r.pageSize)
	}
	page := Page{Events: match[off : off+n]}
	if off+n < len(match) {
		page.NextToken = strconv.Itoa(off + n)
	}
	return page, nil
}

func TestRead(t *testing.T) {
	q := Query{Start: now.Add(-time.Hour), End: now, Limit: 10}
	ev := func(id, stream string) logged {
		return logged{Event: Event{ID: id, Timestamp: now.Add(-time.Minute), Stream: stream, Message: id}}
	}
	r := &fakeLogs{events: []logged{ev("1", "berth/web/t1"), ev("2", "berth/worker/t1")}}
	s := NewService(environments(), r)

	page, err := s.Read(context.Background(), "acme", "shop", "staging", q)
	if err != nil || len(page.Events) != 2 {
		t.Fatalf("all containers: %v, %v", page, err)
	}
	if f := r.filters[0]; f.Group != group || f.StreamPrefix != "" || !f.Start.Equal(q.Start) || !f.End.Equal(q.End) || f.Limit != 10 {
		t.Errorf("filter %+v", f)
	}

	q.Container = "worker"
	page, err = s.Read(context.Background(), "acme", "shop", "staging", q)
	if err != nil || len(page.Events) != 1 || page.Events[0].ID != "2" {
		t.Fatalf("one container: %v, %v", page, err)
	}
	if f := r.filters[1]; f.StreamPrefix != "berth/worker/" {
		t.Errorf("stream prefix %q", f.StreamPrefix)
	}

	q.Container = "db"
	if _, err := s.Read(context.Background(), "acme", "shop", "staging", q); !slices.Equal(fields(err), []string{"containerName"}) {
		t.Errorf("an unknown container: %v", err)
	}

	q.Container = ""
	calls := len(r.filters)
	if page, err := s.Read(context.Background(), "acme", "shop", "new", q); err != nil || len(page.Events) != 0 || len(r.filters) != calls {
		t.Errorf("no log group yet: %v, %v, %d calls", page, err, len(r.filters)-calls)
	}
	if _, err := s.Read(context.Background(), "acme", "shop", "gone", q); !errors.Is(err, apps.ErrNotFound) {
		t.Errorf("no environment: %v", err)
	}
}

func TestReadErrors(t *testing.T) {
	for _, c := range []struct {
		name  string
		err   error
		check func(error) bool
	}{
		{"no group: no lines", fmt.Errorf("gone: %w", ErrNoGroup), func(err error) bool { return err == nil }},
		{"bad pattern", fmt.Errorf("x: %w", ErrInvalidPattern), func(err error) bool { return slices.Equal(fields(err), []string{"filterPattern"}) }},
		{"bad token", fmt.Errorf("x: %w", ErrInvalidToken), func(err error) bool { return slices.Equal(fields(err), []string{"nextToken"}) }},
		{"anything else", errors.New("throttled"), func(err error) bool { return errors.Is(err, apps.ErrUnavailable) }},
	} {
		s := NewService(environments(), &fakeLogs{err: c.err})
		_, err := s.Read(context.Background(), "acme", "shop", "staging", Query{Start: now.Add(-time.Hour), End: now, Limit: 10})
		if !c.check(err) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
