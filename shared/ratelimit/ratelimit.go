// Package ratelimit is a per-key token bucket, for the local stack's
// stand-in for API Gateway's per-token usage plans.
package ratelimit

import (
	"sync"
	"time"
)

// Each token's default rate and burst, in requests a second: the local
// stack's limit and the API Gateway usage plan's.
const (
	TokenRate  = 50
	TokenBurst = 100
)

// Buckets limits each key to Rate requests a second with bursts of Burst.
type Buckets struct {
	Rate  float64
	Burst float64
	Now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// Allow takes a request from key's bucket, or says how long until one is free.
func (b *Buckets) Allow(key string) (bool, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	if b.Now != nil {
		now = b.Now()
	}
	if b.buckets == nil {
		b.buckets = map[string]*bucket{}
	}
	bk, ok := b.buckets[key]
	if !ok {
		bk = &bucket{tokens: b.Burst, last: now}
		b.buckets[key] = bk
	}
	bk.tokens = min(b.Burst, bk.tokens+now.Sub(bk.last).Seconds()*b.Rate)
	bk.last = now
	if bk.tokens >= 1 {
		bk.tokens--
		return true, 0
	}
	return false, time.Duration((1 - bk.tokens) / b.Rate * float64(time.Second))
}
