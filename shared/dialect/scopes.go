package dialect

import (
	"context"
	"time"
)

// Scope is an environment scope: a name every environment of that name in
// the organisation is in. A scope is recorded when a dialect creates it
// (POST /v2/spaces), so that it exists before it holds an application.
type Scope struct {
	Organisation string
	Name         string
	CreatedAt    time.Time
}

// ID is the scope's dialect id.
func (s Scope) ID() string { return ScopeID(s.Organisation, s.Name) }

// ScopeStore keeps recorded scopes.
type ScopeStore interface {
	// CreateScope records s unless a scope of its name is recorded, and
	// returns the scope as recorded.
	CreateScope(ctx context.Context, s Scope) (Scope, error)
	ListScopes(ctx context.Context, org string) ([]Scope, error)
}
