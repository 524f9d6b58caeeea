package authorizer

import (
	"errors"
	"testing"
	"time"

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
