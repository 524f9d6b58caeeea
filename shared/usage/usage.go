// Package usage is the port through which each API token gets its own API
// Gateway API key in Berth's usage plan, so that API Gateway throttles every
// token on its own; the authorizer names the key (authorizer.UsageKey) on
// each request. shared/apikeys is the API Gateway adapter.
package usage

import "context"

// Keys issues and withdraws tokens' usage plan keys.
type Keys interface {
	Issue(ctx context.Context, tokenID string) error
	Withdraw(ctx context.Context, tokenID string) error
}

// None is for the local stack, which throttles tokens itself.
type None struct{}

// Issue does nothing.
func (None) Issue(context.Context, string) error { return nil }

// Withdraw does nothing.
func (None) Withdraw(context.Context, string) error { return nil }
