// Package idempotency holds the rules of the Idempotency-Key header: a
// retried request with the same key gets the first response again, byte
// for byte, and never has a second effect.
package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Window is how long a key is remembered.
const Window = 24 * time.Hour

// LockTime bounds how long a claim stays in flight; past it, the request
// holding it is taken to have died (it is well over the Lambda timeout).
const LockTime = 2 * time.Minute

// WaitInFlight is how long a repeat waits for the first request to finish
// before it answers 409: most requests finish well within it, so concurrent
// retries usually all get the first response.
const WaitInFlight = 5 * time.Second

// MaxKeyLength bounds the header's length.
const MaxKeyLength = 255

// ValidKey reports whether k may be used as a key: 1 to 255 printable
// ASCII characters.
func ValidKey(k string) bool {
	if k == "" || len(k) > MaxKeyLength {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// Fingerprint identifies a request: its method, path and body.
func Fingerprint(method, path string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(method + "\n" + path + "\n"))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// Claim is a request's bid for a key.
type Claim struct {
	Fingerprint string
	Lock        string
	Now         time.Time
	LockedUntil time.Time
	Expires     time.Time
}

// NewClaim builds a claim at now.
func NewClaim(fingerprint, lock string, now time.Time) Claim {
	return Claim{Fingerprint: fingerprint, Lock: lock, Now: now, LockedUntil: now.Add(LockTime), Expires: now.Add(Window)}
}

// Response is a stored response. A Redacted response kept only its status
// and headers, because its body held a secret that must not be stored.
type Response struct {
	Status   int
	Headers  map[string]string
	Body     []byte
	Redacted bool
}

// Record is a key as stored: in flight, or done with its response.
type Record struct {
	Fingerprint string
	Done        bool
	Response    Response
}

// Scope makes a client's key specific to the token that sent it, so that
// two tokens of one organisation never see each other's responses.
func Scope(tokenID, key string) string { return tokenID + "\n" + key }

// Store keeps idempotency records, per organisation.
type Store interface {
	// BeginIdempotent claims the key, or returns the record holding it.
	BeginIdempotent(ctx context.Context, org, key string, c Claim) (*Record, error)
	// GetIdempotent reads the record of a key; nil if there is none.
	GetIdempotent(ctx context.Context, org, key string) (*Record, error)
	CompleteIdempotent(ctx context.Context, org, key, lock string, res Response) error
	AbandonIdempotent(ctx context.Context, org, key, lock string) error
}
