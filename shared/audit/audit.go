// Package audit records who changed what: one event per mutating request
// that passed authorisation, whatever its outcome.
package audit

import (
	"context"
	"time"
)

// Retention is how long events are kept (DynamoDB TTL removes them after).
const Retention = 400 * 24 * time.Hour

// Event is one audit event.
type Event struct {
	ID           string    `json:"eventId"`
	Organisation string    `json:"organisation"`
	TokenID      string    `json:"tokenId"`
	Action       string    `json:"action"`
	Target       string    `json:"target"`
	Outcome      int       `json:"outcome"`
	RequestID    string    `json:"requestId"`
	Time         time.Time `json:"time"`
}

// Log stores and lists audit events.
type Log interface {
	AppendAudit(ctx context.Context, e Event) error
	// ListAudit lists newest first, after the event id After when set.
	ListAudit(ctx context.Context, org string, limit int, after string) (events []Event, next string, err error)
}

// Pending is the audit event of a mutating request in flight. Its Outcome
// is the route's success status. A store may write it inside the
// request's own write transaction, so that a change and its event land
// together in one call; the API then writes it again only when the
// request ends otherwise.
type Pending struct {
	Event   Event
	Written bool
}

type pendingKey struct{}

// WithPending carries p in ctx for the store.
func WithPending(ctx context.Context, p *Pending) context.Context {
	return context.WithValue(ctx, pendingKey{}, p)
}

// PendingFrom returns the event ctx carries, or nil.
func PendingFrom(ctx context.Context) *Pending {
	p, _ := ctx.Value(pendingKey{}).(*Pending)
	return p
}
