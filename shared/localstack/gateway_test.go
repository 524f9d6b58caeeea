package localstack

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/berth-dev/berth/shared/auth"
)

// TestDecisionCache: like API Gateway, an allowed token is not checked
// again for the TTL, refusals are checked every time, and each
// Authorization header has its own entry.
func TestDecisionCache(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	calls := map[string]int{}
	c := &decisionCache{ttl: time.Minute, now: func() time.Time { return now }, entries: map[string]decision{},
		next: func(r *http.Request) (auth.Principal, error) {
			h := r.Header.Get("Authorization")
			calls[h]++
			if h == "Bearer bad" {
				return auth.Principal{}, auth.ErrUnauthenticated
			}
			return auth.Principal{TokenID: h}, nil
		}}
	send := func(h string) (auth.Principal, error) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Authorization", h)
		return c.authenticate(r)
	}
	for range 3 {
		if p, err := send("Bearer a"); err != nil || p.TokenID != "Bearer a" {
			t.Fatalf("a: %+v, %v", p, err)
		}
		if _, err := send("Bearer bad"); err != auth.ErrUnauthenticated {
			t.Fatalf("bad: %v", err)
		}
	}
	send("Bearer b")
	if calls["Bearer a"] != 1 || calls["Bearer bad"] != 3 || calls["Bearer b"] != 1 {
		t.Fatalf("authorizer calls %v; want a once, bad 3 times, b once", calls)
	}
	now = now.Add(time.Minute)
	send("Bearer a")
	if calls["Bearer a"] != 2 {
		t.Fatalf("after the TTL, a was checked %d times in all, want 2", calls["Bearer a"])
	}
}
