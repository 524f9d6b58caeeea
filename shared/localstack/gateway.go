package localstack

import (
	"net/http"
	"sync"
	"time"

	"github.com/berth-dev/berth/shared/api"
	"github.com/berth-dev/berth/shared/auth"
)

// maxCachedDecisions bounds the authorizer cache; past it, expired entries
// go, and if none have, the cache starts over.
const maxCachedDecisions = 10000

// decisionCache stands in for API Gateway's authorizer cache: an allowed
// request's principal is reused for ttl, keyed by the Authorization
// header, as API Gateway keys a TOKEN authorizer's answers. Refusals are
// not kept.
type decisionCache struct {
	next    api.Authenticate
	ttl     time.Duration
	now     func() time.Time
	mu      sync.Mutex
	entries map[string]decision
}

type decision struct {
	p       auth.Principal
	expires time.Time
}

func (c *decisionCache) authenticate(r *http.Request) (auth.Principal, error) {
	key := r.Header.Get("Authorization")
	now := c.now()
	c.mu.Lock()
	d, ok := c.entries[key]
	c.mu.Unlock()
	if ok && now.Before(d.expires) {
		return d.p, nil
	}
	p, err := c.next(r)
	if err != nil {
		return p, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxCachedDecisions {
		for k, e := range c.entries {
			if !now.Before(e.expires) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= maxCachedDecisions {
			clear(c.entries)
		}
	}
	c.entries[key] = decision{p: p, expires: now.Add(c.ttl)}
	return p, nil
}
