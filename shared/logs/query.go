package logs

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/compose"
	"github.com/berth-dev/berth/shared/validation"
)

// Bounds of a query, as Quant's document gives limit's; the window and
// pattern bounds are CloudWatch's or Berth's.
const (
	DefaultLimit  = 100
	MaxLimit      = 10000
	DefaultWindow = time.Hour
	maxPattern    = 1024
	maxToken      = 4096
)

// Query is a validated getEnvironmentLogs request.
type Query struct {
	Start, End time.Time
	Container  string
	Pattern    string
	Limit      int
	NextToken  string
}

// ParseQuery reads and checks the query string. Times are ISO 8601
// (RFC 3339) or a Unix timestamp, in seconds or, when 13 digits or more,
// in milliseconds. Without startTime the last hour is read.
func ParseQuery(q url.Values, now time.Time) (Query, error) {
	errs := validation.Errors{}
	out := Query{End: now, Limit: DefaultLimit, Container: q.Get("containerName"), Pattern: q.Get("filterPattern"), NextToken: q.Get("nextToken")}
	if q.Has("endTime") {
		out.End = parseTime(errs, "endTime", q.Get("endTime"))
	}
	out.Start = out.End.Add(-DefaultWindow)
	if q.Has("startTime") {
		out.Start = parseTime(errs, "startTime", q.Get("startTime"))
	}
	if errs["startTime"] == nil && errs["endTime"] == nil && out.End.Before(out.Start) {
		errs.Addf("endTime", "must not be before startTime (%s); got %s", out.Start.UTC().Format(time.RFC3339), out.End.UTC().Format(time.RFC3339))
	}
	if q.Has("limit") {
		n, err := strconv.Atoi(q.Get("limit"))
		switch {
		case err != nil:
			errs.Addf("limit", "must be an integer from 1 to %d; got %q", MaxLimit, clip(q.Get("limit")))
		case n < 1 || n > MaxLimit:
			errs.Addf("limit", "must be from 1 to %d; got %d", MaxLimit, n)
		default:
			out.Limit = n
		}
	}
	if len(out.Pattern) > maxPattern {
		errs.Addf("filterPattern", "must be at most %d characters", maxPattern)
	}
	if len(out.NextToken) > maxToken {
		errs.Addf("nextToken", "must be a nextToken an earlier page answered")
	}
	return out, errs.Err()
}

func parseTime(errs validation.Errors, field, s string) time.Time {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 {
			errs.Addf(field, "must not be before 1970; got %d", n)
			return time.Time{}
		}
		if len(strings.TrimLeft(strings.TrimPrefix(s, "+"), "0")) >= 13 { // digits, not the sign
			return time.UnixMilli(n).UTC()
		}
		return time.Unix(n, 0).UTC()
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		errs.Addf(field, "must be ISO 8601 (2026-12-05T10:00:00Z) or a Unix timestamp in seconds or milliseconds; got %q", clip(s))
	}
	return t.UTC()
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// Store is what reading logs needs of the records.
type Store interface {
	GetEnvironment(ctx context.Context, org, app, name string) (apps.Environment, error)
}

// Service reads environments' logs.
type Service struct {
	Store  Store
	Reader Reader
	Now    func() time.Time
	// Poll is how often a follow asks for new lines.
	Poll time.Duration
}

// NewService wires the use cases.
func NewService(store Store, reader Reader) *Service {
	return &Service{Store: store, Reader: reader, Now: time.Now, Poll: time.Second}
}

// filter is the Filter a query makes of env's log group; ok is false
// when the environment has no log group yet.
func filter(env apps.Environment, q Query) (Filter, bool, error) {
	if q.Container != "" && !slices.ContainsFunc(env.Compose.Containers, func(c compose.Container) bool { return c.Name == q.Container }) {
		return Filter{}, false, validation.Errors{"containerName": {"must be one of environment " + strconv.Quote(env.Name) + "'s containers: " + strings.Join(containerNames(env), ", ")}}
	}
	group := env.Outputs[apps.OutLogGroup]
	f := Filter{Group: group, Start: q.Start, End: q.End, Pattern: q.Pattern, Limit: q.Limit, NextToken: q.NextToken}
	if q.Container != "" {
		f.StreamPrefix = StreamPrefix + "/" + q.Container + "/"
	}
	return f, group != "", nil
}

// Read answers one page of env's logs: one FilterLogEvents call.
func (s *Service) Read(ctx context.Context, org, app, name string, q Query) (Page, error) {
	env, err := s.Store.GetEnvironment(ctx, org, app, name)
	if err != nil {
		return Page{}, err
	}
	f, ok, err := filter(env, q)
	if err != nil || !ok {
		return Page{}, err
	}
	page, err := s.Reader.Filter(ctx, f)
	return page, readError(err)
}

// readError turns the provider's refusals into the field they are about.
func readError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrNoGroup):
		return nil // not created yet, or being deleted: no lines
	case errors.Is(err, ErrInvalidPattern):
		return validation.Errors{"filterPattern": {"is not a CloudWatch Logs filter pattern: " + err.Error()}}
	case errors.Is(err, ErrInvalidToken):
		return validation.Errors{"nextToken": {"is not one an earlier page of these logs answered, or has expired; start again without it"}}
	}
	return apps.Unavailable(err, "the logs could not be read; retry")
}

func containerNames(env apps.Environment) []string {
	var out []string
	for _, c := range env.Compose.Containers {
		out = append(out, c.Name)
	}
	return out
}
