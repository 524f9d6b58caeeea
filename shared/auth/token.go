// Package auth holds Berth's API tokens: their format, roles and what each
// role may do, and the check that turns a bearer token into a Principal.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"time"
)

// A token reads berth_<id>_<secret>: 16 and 64 lower-case hex digits. The
// prefix makes leaked tokens easy to find with secret scanners; the id
// finds the record; only a SHA-256 hash of the secret is stored. The
// secret has 256 random bits, so a fast hash is enough.
const (
	tokenPrefix = "berth_"
	idLen       = 16
	secretLen   = 64
)

// Role is what a token may do.
type Role string

// Roles, each allowing what the one before allows.
const (
	RoleRead  Role = "read"  // GET only
	RoleWrite Role = "write" // every application and environment operation
	RoleAdmin Role = "admin" // also token management and the audit log
)

// Roles lists every role, weakest first.
var Roles = []Role{RoleRead, RoleWrite, RoleAdmin}

// Valid reports whether r is a role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Covers reports whether a token with role r may do what needs role need.
func (r Role) Covers(need Role) bool {
	return slices.Index(Roles, r) >= slices.Index(Roles, need) && need.Valid()
}

// Needs is the role a request needs: reads need read, other methods need
// write, and admin routes need admin whatever the method.
func Needs(method string, adminRoute bool) Role {
	switch {
	case adminRoute:
		return RoleAdmin
	case method == http.MethodGet || method == http.MethodHead:
		return RoleRead
	}
	return RoleWrite
}

// Token is a token record. The secret itself is never stored.
type Token struct {
	ID            string
	SecretHash    string
	Organisations []string
	Role          Role
	Description   string
	ExpiresAt     *time.Time
	CreatedAt     time.Time
	LastUsedAt    *time.Time
}

// Expired reports whether t has expired at now.
func (t Token) Expired(now time.Time) bool {
	return t.ExpiresAt != nil && !now.Before(*t.ExpiresAt)
}

// Principal is who a request acts as, once its token checks out.
type Principal struct {
	TokenID       string
	Organisations []string
	Role          Role
	// ExpiresAt is when the token expires; nil if never. Tokens it creates
	// expire no later.
	ExpiresAt *time.Time
	// LastUsedAt is the token's last-used time as stored when it was read.
	LastUsedAt *time.Time
}

// TouchEvery is how fresh a token's last-used time is kept: it is
// recorded at most once per period, so busy tokens do not cost a write
// per request.
const TouchEvery = time.Minute

// TouchDue reports whether the last-used time is older than TouchEvery at
// now, so that recording it is worth a write.
func (p Principal) TouchDue(now time.Time) bool {
	return p.LastUsedAt == nil || !now.Before(p.LastUsedAt.Add(TouchEvery))
}

// Member reports whether the principal may act on org.
func (p Principal) Member(org string) bool { return slices.Contains(p.Organisations, org) }

// NewSecret returns a new token string and its parts.
func NewSecret() (token, id, secret string) {
	b := make([]byte, idLen/2+secretLen/2)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	id, secret = hex.EncodeToString(b[:idLen/2]), hex.EncodeToString(b[idLen/2:])
	return tokenPrefix + id + "_" + secret, id, secret
}

// Parse splits a token into its id and secret.
func Parse(token string) (id, secret string, ok bool) {
	rest, ok := strings.CutPrefix(token, tokenPrefix)
	if !ok || len(rest) != idLen+1+secretLen || rest[idLen] != '_' || !isLowerHex(rest[:idLen]) || !isLowerHex(rest[idLen+1:]) {
		return "", "", false
	}
	return rest[:idLen], rest[idLen+1:], true
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// BearerToken reads the token of an Authorization header. The scheme is
// Bearer in any case (Cloud Foundry clients send "bearer"), or Token, as
// Qovery's API tokens are sent.
func BearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") && !strings.EqualFold(scheme, "Token") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// HashSecret is what the store keeps of a secret.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// SecretMatches compares a secret with a stored hash in constant time.
func SecretMatches(secret, hash string) bool {
	return subtle.ConstantTimeCompare([]byte(HashSecret(secret)), []byte(hash)) == 1
}
