// Package load is an open-loop load generator: requests are scheduled at
// fixed intervals whatever the system under test does, and each latency is
// measured from the request's scheduled send time, not from when it was
// actually sent, so a stall shows as the latency every waiting request
// would have seen (no coordinated omission).
package load

import (
	"context"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Result is what one run measured.
type Result struct {
	Rate     float64       // requests a second, as scheduled
	Duration time.Duration // scheduled length of the run
	// Latencies, one per request, from its scheduled send time to its
	// answer (errors included), sorted ascending.
	Latencies []time.Duration
	// BySequence is the same latencies in request order: request i's is
	// BySequence[i], for callers that tell requests apart by i.
	BySequence []time.Duration
	Errors     int
	// ErrorSamples holds up to five error messages.
	ErrorSamples []string
	// MaxLag is the furthest behind schedule the generator itself sent.
	MaxLag time.Duration
	// Late counts requests sent LateAfter or more behind schedule: arrivals
	// the generator, not the system under test, delayed.
	Late int
	// SendSpan is from the first send to the last: n-1 intervals when the
	// generator kept up.
	SendSpan time.Duration
}

// LateAfter is how far behind schedule a send counts as late.
const LateAfter = 10 * time.Millisecond

// Run sends rate requests a second for d, each by calling do in its own
// goroutine at its scheduled time. do gets the request's sequence number.
func Run(ctx context.Context, rate float64, d time.Duration, do func(ctx context.Context, i int) error) Result {
	n := int(math.Round(rate * d.Seconds()))
	interval := time.Duration(float64(time.Second) / rate)
	lat := make([]time.Duration, n)
	var errs atomic.Int64
	var mu sync.Mutex
	var samples []string
	var wg sync.WaitGroup
	var maxLag time.Duration
	late := 0
	start := time.Now().Add(10 * time.Millisecond)
	var first, last time.Time
	for i := range n {
		due := start.Add(time.Duration(i) * interval)
		if wait := time.Until(due); wait > 0 {
			time.Sleep(wait)
		} else {
			maxLag = max(maxLag, -wait)
			if -wait >= LateAfter {
				late++
			}
		}
		if last = time.Now(); i == 0 {
			first = last
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := do(ctx, i)
			lat[i] = time.Since(due)
			if err != nil {
				errs.Add(1)
				mu.Lock()
				if len(samples) < 5 {
					samples = append(samples, err.Error())
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	bySeq := slices.Clone(lat)
	slices.Sort(lat)
	return Result{Rate: rate, Duration: d, Latencies: lat, BySequence: bySeq, Errors: int(errs.Load()), ErrorSamples: samples,
		MaxLag: maxLag, Late: late, SendSpan: last.Sub(first)}
}

// Percentile is the nearest-rank p-th percentile (0 < p <= 100) of sorted
// durations: the smallest value at least p% of the values are at or below.
// It is 0 for no values.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = max(1, min(rank, len(sorted)))
	return sorted[rank-1]
}

// Summary is a Result in milliseconds, for reports.
type Summary struct {
	Rate      float64  `json:"rate"`
	Seconds   float64  `json:"seconds"`
	Requests  int      `json:"requests"`
	Errors    int      `json:"errors"`
	P50ms     float64  `json:"p50Ms"`
	P90ms     float64  `json:"p90Ms"`
	P99ms     float64  `json:"p99Ms"`
	MaxMs     float64  `json:"maxMs"`
	MaxLagMs  float64  `json:"generatorMaxLagMs"`
	ErrorSeen []string `json:"errorSamples,omitempty"`
}

// Summarise reduces r to its percentiles.
func (r Result) Summarise() Summary {
	ms := func(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }
	var maxD time.Duration
	if len(r.Latencies) > 0 {
		maxD = r.Latencies[len(r.Latencies)-1]
	}
	return Summary{
		Rate: r.Rate, Seconds: r.Duration.Seconds(), Requests: len(r.Latencies), Errors: r.Errors,
		P50ms: ms(Percentile(r.Latencies, 50)), P90ms: ms(Percentile(r.Latencies, 90)), P99ms: ms(Percentile(r.Latencies, 99)),
		MaxMs: ms(maxD), MaxLagMs: ms(r.MaxLag), ErrorSeen: r.ErrorSamples,
	}
}
