package authorizer

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/berth-dev/berth/shared/auth"
)

func TestPrincipal(t *testing.T) {
	p, err := Principal(map[string]any{"tokenId": "t1", "organisations": "acme,beta", "role": "write"})
	if err != nil || p.TokenID != "t1" || !p.Member("beta") || p.Role != auth.RoleWrite || p.ExpiresAt != nil {
		t.Fatalf("Principal = %+v, %v", p, err)
	}
	exp := time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC)
	back, err := Principal(principalContext(auth.Principal{TokenID: "t2", Organisations: []string{"acme"}, Role: auth.RoleAdmin, ExpiresAt: &exp}))
	if err != nil || back.ExpiresAt == nil || !back.ExpiresAt.Equal(exp) {
		t.Fatalf("expiry did not survive the context: %+v, %v", back, err)
	}
	for name, ctx := range map[string]map[string]any{
		"none":         nil,
		"no token id":  {"organisations": "acme", "role": "write"},
		"unknown role": {"tokenId": "t1", "organisations": "acme", "role": "root"},
		"wrong types":  {"tokenId": 7, "organisations": "acme", "role": "write"},
		"bad expiry":   {"tokenId": "t1", "organisations": "acme", "role": "write", "expiresAt": "soon"},
	} {
		if _, err := Principal(ctx); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Errorf("%s: %v, want ErrUnauthenticated", name, err)
		}
	}
}

func TestStageWildcard(t *testing.T) {
	got := stageWildcard("arn:aws:execute-api:eu-west-1:123456789012:abc/v3/GET/api/v3/organizations/acme")
	if got != "arn:aws:execute-api:eu-west-1:123456789012:abc/v3/*" {
		t.Fatal(got)
	}
}

type oneToken struct{ tok auth.Token }

func (o oneToken) GetToken(_ context.Context, id string) (auth.Token, error) {
	if id != o.tok.ID {
		return auth.Token{}, auth.ErrNoToken
	}
	return o.tok, nil
}

type touches struct {
	n    int
	last auth.Token
}

func (c *touches) TouchToken(_ context.Context, tok auth.Token, _ time.Time) error {
	c.n++
	c.last = tok
	return nil
}

// TestTouchOnlyWhenDue: the authorizer records a token's use only when the
// stored time is older than auth.TouchEvery, so a busy token costs one
// read per authorisation, not a read and a write.
func TestTouchOnlyWhenDue(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	token, id, secret := auth.NewSecret()
	for name, c := range map[string]struct {
		lastUsed *time.Time
		touched  int
	}{
		"never used":           {nil, 1},
		"used 10 s ago":        {ptr(now.Add(-10 * time.Second)), 0},
		"used exactly 1 m ago": {ptr(now.Add(-auth.TouchEvery)), 1},
		"used 2 m ago":         {ptr(now.Add(-2 * time.Minute)), 1},
	} {
		tok := auth.Token{ID: id, SecretHash: auth.HashSecret(secret), Organisations: []string{"acme", "beta"}, Role: auth.RoleRead, LastUsedAt: c.lastUsed}
		count := &touches{}
		a := &Authorizer{Auth: &auth.Authenticator{Tokens: oneToken{tok}, Now: func() time.Time { return now }}, Touch: count,
			Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
		res, err := a.Authorize(context.Background(), events.APIGatewayCustomAuthorizerRequest{
			AuthorizationToken: "Bearer " + token, MethodArn: "arn:aws:execute-api:eu-west-1:123456789012:abc/v3/GET/x",
		})
		if err != nil || res.PrincipalID != id {
			t.Fatalf("%s: %+v, %v", name, res, err)
		}
		if count.n != c.touched {
			t.Errorf("%s: %d touches, want %d", name, count.n, c.touched)
		}
		// The store records the time on each membership item as well.
		if c.touched > 0 && (count.last.ID != id || !slices.Equal(count.last.Organisations, tok.Organisations)) {
			t.Errorf("%s: touched %+v, want token %s of %v", name, count.last, id, tok.Organisations)
		}
	}
}

func ptr[T any](v T) *T { return &v }
