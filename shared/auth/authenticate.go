package auth

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrUnauthenticated means the token is missing, malformed, unknown,
// wrong or expired. Callers answer 401 and never say which.
var ErrUnauthenticated = errors.New("unauthenticated")

// ErrNoToken is what a TokenReader returns for an unknown id.
var ErrNoToken = errors.New("no such token")

// TokenReader reads token records.
type TokenReader interface {
	GetToken(ctx context.Context, id string) (Token, error)
}

// Authenticator checks bearer tokens against the stored records.
type Authenticator struct {
	Tokens TokenReader
	Now    func() time.Time
}

// Authenticate returns the principal a token stands for.
func (a *Authenticator) Authenticate(ctx context.Context, token string) (Principal, error) {
	id, secret, ok := Parse(token)
	if !ok {
		return Principal{}, ErrUnauthenticated
	}
	t, err := a.Tokens.GetToken(ctx, id)
	switch {
	case errors.Is(err, ErrNoToken):
		return Principal{}, ErrUnauthenticated
	case err != nil:
		return Principal{}, fmt.Errorf("read token %s: %w", id, err)
	case !SecretMatches(secret, t.SecretHash), t.Expired(a.Now()), !t.Role.Valid():
		return Principal{}, ErrUnauthenticated
	}
	return Principal{TokenID: t.ID, Organisations: t.Organisations, Role: t.Role, ExpiresAt: t.ExpiresAt, LastUsedAt: t.LastUsedAt}, nil
}
