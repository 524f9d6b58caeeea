package ratelimit

import (
	"testing"
	"time"
)

func TestBuckets(t *testing.T) {
	now := time.Unix(0, 0)
	b := &Buckets{Rate: 2, Burst: 3, Now: func() time.Time { return now }}
	for i := range 3 {
		if ok, _ := b.Allow("a"); !ok {
			t.Fatalf("request %d of the burst refused", i)
		}
	}
	ok, wait := b.Allow("a")
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("4th request: %v, retry after %v; want refused, 500ms", ok, wait)
	}
	if ok, _ := b.Allow("b"); !ok {
		t.Fatal("another key shares the bucket")
	}
	now = now.Add(500 * time.Millisecond)
	if ok, _ := b.Allow("a"); !ok {
		t.Fatal("a refill of one request was not granted")
	}
}
