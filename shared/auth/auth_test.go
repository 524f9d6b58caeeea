package auth

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/shared/validation"
)

func TestNewSecretParses(t *testing.T) {
	token, id, secret := NewSecret()
	gotID, gotSecret, ok := Parse(token)
	if !ok || gotID != id || gotSecret != secret || !strings.HasPrefix(token, "berth_") {
		t.Fatalf("Parse(%q) = %q, %q, %v", token, gotID, gotSecret, ok)
	}
	if !SecretMatches(secret, HashSecret(secret)) || SecretMatches(secret+"0", HashSecret(secret)) {
		t.Fatal("secret hash comparison is wrong")
	}
}

func TestParseRefuses(t *testing.T) {
	good, _, _ := NewSecret()
	for _, bad := range []string{"", "berth_", good + "0", strings.ToUpper(good), "Bearer " + good, strings.Replace(good, "berth_", "birth_", 1)} {
		if _, _, ok := Parse(bad); ok {
			t.Errorf("Parse accepted %q", bad)
		}
	}
}

func TestBearerToken(t *testing.T) {
	for header, want := range map[string]string{"Bearer abc": "abc", "bearer  abc ": "abc", "BEARER abc": "abc", "Token abc": "abc", "token abc": "abc",
		"Basic abc": "", "Bearer": "", "Token ": "", "Tokens abc": "", "": ""} {
		got, ok := BearerToken(header)
		if got != want || ok != (want != "") {
			t.Errorf("BearerToken(%q) = %q, %v", header, got, ok)
		}
	}
}

func TestRoles(t *testing.T) {
	cases := []struct {
		role, need Role
		want       bool
	}{
		{RoleRead, RoleRead, true}, {RoleRead, RoleWrite, false}, {RoleRead, RoleAdmin, false},
		{RoleWrite, RoleRead, true}, {RoleWrite, RoleWrite, true}, {RoleWrite, RoleAdmin, false},
		{RoleAdmin, RoleAdmin, true}, {Role("root"), RoleRead, false}, {RoleAdmin, Role("root"), false},
	}
	for _, tc := range cases {
		if got := tc.role.Covers(tc.need); got != tc.want {
			t.Errorf("%s covers %s = %v, want %v", tc.role, tc.need, got, tc.want)
		}
	}
	if Needs(http.MethodGet, false) != RoleRead || Needs(http.MethodDelete, false) != RoleWrite || Needs(http.MethodGet, true) != RoleAdmin {
		t.Fatal("Needs maps methods wrongly")
	}
}

func validOrg(s string) bool { return s != "" && !strings.ContainsAny(s, " _") }

func TestNewTokenRules(t *testing.T) {
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	creator := Principal{TokenID: "x", Organisations: []string{"acme", "beta"}, Role: RoleAdmin}
	past, far := now.Add(-time.Hour), now.Add(400*24*time.Hour)
	long := strings.Repeat("d", 257)
	cases := map[string]struct {
		req   CreateTokenRequest
		field string
	}{
		"role missing":               {CreateTokenRequest{}, "role"},
		"role unknown":               {CreateTokenRequest{Role: "root"}, "role"},
		"empty organisations":        {CreateTokenRequest{Role: "read", Organisations: []string{}}, "organisations"},
		"foreign organisation":       {CreateTokenRequest{Role: "read", Organisations: []string{"acme", "zeta"}}, "organisations[1]"},
		"path organisation left out": {CreateTokenRequest{Role: "read", Organisations: []string{"beta"}}, "organisations"},
		"repeated organisation":      {CreateTokenRequest{Role: "read", Organisations: []string{"acme", "acme"}}, "organisations[1]"},
		"invalid organisation":       {CreateTokenRequest{Role: "read", Organisations: []string{"a b"}}, "organisations[0]"},
		"expired already":            {CreateTokenRequest{Role: "read", ExpiresAt: &past}, "expiresAt"},
		"expires too late":           {CreateTokenRequest{Role: "read", ExpiresAt: &far}, "expiresAt"},
		"description too long":       {CreateTokenRequest{Role: "read", Description: &long}, "description"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, _, err := NewToken(tc.req, "acme", creator, validOrg, now)
			var errs validation.Errors
			if !errors.As(err, &errs) || errs[tc.field] == nil {
				t.Fatalf("error %v does not name %s", err, tc.field)
			}
		})
	}
	// A token cannot outlive its creator.
	soon, later := now.Add(24*time.Hour), now.Add(48*time.Hour)
	mortal := creator
	mortal.ExpiresAt = &soon
	if _, _, err := NewToken(CreateTokenRequest{Role: "read", ExpiresAt: &later}, "acme", mortal, validOrg, now); err == nil {
		t.Fatal("a token outliving its creator was made")
	}
	inherited, _, err := NewToken(CreateTokenRequest{Role: "read"}, "acme", mortal, validOrg, now)
	if err != nil || inherited.ExpiresAt == nil || !inherited.ExpiresAt.Equal(soon) {
		t.Fatalf("a token of an expiring creator expires at %v, %v; want %v", inherited.ExpiresAt, err, soon)
	}

	tok, secret, err := NewToken(CreateTokenRequest{Role: "write"}, "acme", creator, validOrg, now)
	if err != nil || tok.Organisations[0] != "acme" || len(tok.Organisations) != 1 || tok.SecretHash == "" || strings.Contains(tok.SecretHash, secret) {
		t.Fatalf("NewToken = %+v, %v", tok, err)
	}
}

type tokenMap map[string]Token

func (m tokenMap) GetToken(_ context.Context, id string) (Token, error) {
	if t, ok := m[id]; ok {
		return t, nil
	}
	return Token{}, ErrNoToken
}

func TestAuthenticate(t *testing.T) {
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	live, liveID, liveSecret := NewSecret()
	expired, expiredID, expiredSecret := NewSecret()
	ended := now.Add(-time.Second)
	store := tokenMap{
		liveID:    {ID: liveID, SecretHash: HashSecret(liveSecret), Organisations: []string{"acme"}, Role: RoleWrite},
		expiredID: {ID: expiredID, SecretHash: HashSecret(expiredSecret), Organisations: []string{"acme"}, Role: RoleWrite, ExpiresAt: &ended},
	}
	a := &Authenticator{Tokens: store, Now: func() time.Time { return now }}
	p, err := a.Authenticate(context.Background(), live)
	if err != nil || p.TokenID != liveID || p.Role != RoleWrite || !p.Member("acme") {
		t.Fatalf("live token: %+v, %v", p, err)
	}
	unknown, _, _ := NewSecret()
	wrongSecret := "berth_" + liveID + "_" + strings.Repeat("0", 64)
	for name, tok := range map[string]string{"expired": expired, "unknown": unknown, "wrong secret": wrongSecret, "garbage": "nope"} {
		if _, err := a.Authenticate(context.Background(), tok); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("%s token: %v, want ErrUnauthenticated", name, err)
		}
	}
}

// FuzzParseToken: Parse never panics, and what it accepts rebuilds the token.
func FuzzParseToken(f *testing.F) {
	good, _, _ := NewSecret()
	for _, s := range []string{good, "", "berth__", "berth_" + strings.Repeat("a", 16) + "_", good + "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, secret, ok := Parse(s)
		if ok && "berth_"+id+"_"+secret != s {
			t.Fatalf("Parse(%q) = %q, %q", s, id, secret)
		}
		if tok, ok := BearerToken("Bearer " + s); ok && tok != strings.TrimSpace(s) {
			t.Fatalf("BearerToken(%q) = %q", "Bearer "+s, tok)
		}
	})
}
