// Package logs is an environment's container logs, as Quant's
// getEnvironmentLogs shows them: the query and its rules, and the port
// (Reader) through which they are read. shared/logs/awslogs is the
// CloudWatch Logs adapter; shared/cloud/sandbox has the local stack's.
package logs

import (
	"context"
	"errors"
	"time"
)

// StreamPrefix is the awslogs-stream-prefix of every Berth container: a
// task's container writes to <StreamPrefix>/<container>/<task id>.
const StreamPrefix = "berth"

// Filter is one FilterLogEvents call on an environment's log group.
type Filter struct {
	Group string
	// StreamPrefix, when set, keeps the streams whose name starts with it
	// (one container's: "berth/<container>/").
	StreamPrefix string
	// Start and End bound the events' timestamps; zero is unbounded.
	Start, End time.Time
	// Pattern is a CloudWatch Logs filter pattern; empty matches all.
	Pattern string
	// Limit is the most events to answer (1 to 10000).
	Limit int
	// NextToken continues an earlier call's search.
	NextToken string
}

// Event is one log line.
type Event struct {
	ID        string
	Timestamp time.Time
	Stream    string
	Message   string
}

// Page is what one call answers. NextToken is empty once the search has
// covered everything; a page may be empty and still have one (CloudWatch
// searches in slices of time).
type Page struct {
	Events    []Event
	NextToken string
}

// Reader reads log events: one Filter is one FilterLogEvents call.
type Reader interface {
	Filter(ctx context.Context, f Filter) (Page, error)
}

// Errors a Reader answers with, wrapped with the provider's message.
var (
	// ErrInvalidPattern: the filter pattern is not CloudWatch syntax.
	ErrInvalidPattern = errors.New("invalid filter pattern")
	// ErrInvalidToken: the next token is not one this group gave out, or has expired.
	ErrInvalidToken = errors.New("invalid next token")
	// ErrNoGroup: the log group does not exist (yet, or any more).
	ErrNoGroup = errors.New("no such log group")
)
