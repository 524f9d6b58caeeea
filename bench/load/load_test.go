package load

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestPercentileNearestRank(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i))
	}
	for p, want := range map[float64]time.Duration{50: 50, 90: 90, 99: 99, 99.9: 100, 100: 100, 0.5: 1, 0: 1} {
		if got := Percentile(d, p); got != want {
			t.Errorf("p%v = %d, want %d", p, got, want)
		}
	}
	// Nearest rank on a small set: p50 of 4 values is the 2nd, p90 the 4th.
	four := []time.Duration{10, 20, 30, 40}
	if Percentile(four, 50) != 20 || Percentile(four, 90) != 40 || Percentile(four, 75) != 30 {
		t.Errorf("p50/p75/p90 of %v = %d/%d/%d", four, Percentile(four, 50), Percentile(four, 75), Percentile(four, 90))
	}
	if Percentile(nil, 50) != 0 {
		t.Error("percentile of nothing should be 0")
	}
}

// TestOpenLoopCountsQueueing: the server handles one request at a time in
// 20 ms while requests are scheduled every 10 ms. A closed-loop client would
// report 20 ms for each; measured from the schedule, the tenth waited about
// 10×20 − 9×10 = 110 ms.
func TestOpenLoopCountsQueueing(t *testing.T) {
	var mu sync.Mutex
	r := Run(context.Background(), 100, 100*time.Millisecond, func(context.Context, int) error {
		mu.Lock()
		defer mu.Unlock()
		time.Sleep(20 * time.Millisecond)
		return nil
	})
	if len(r.Latencies) != 10 || r.Errors != 0 {
		t.Fatalf("%d requests, %d errors", len(r.Latencies), r.Errors)
	}
	if worst := r.Latencies[9]; worst < 90*time.Millisecond {
		t.Errorf("worst latency %s, want about 110 ms: the queueing is not counted", worst)
	}
	if best := r.Latencies[0]; best < 20*time.Millisecond {
		t.Errorf("best latency %s, below the 20 ms service time", best)
	}
}

func TestErrorsAreCounted(t *testing.T) {
	r := Run(context.Background(), 1000, 20*time.Millisecond, func(_ context.Context, i int) error {
		if i%2 == 0 {
			return errors.New("boom")
		}
		return nil
	})
	s := r.Summarise()
	if s.Requests != 20 || s.Errors != 10 || len(s.ErrorSeen) != 5 {
		t.Fatalf("%+v", s)
	}
}

// TestBySequenceAndSendSpan: request i's latency stays at index i, and a
// generator that kept up spans n-1 intervals with no late sends.
func TestBySequenceAndSendSpan(t *testing.T) {
	began := time.Now()
	r := Run(context.Background(), 100, 100*time.Millisecond, func(_ context.Context, i int) error {
		if i == 3 {
			time.Sleep(30 * time.Millisecond)
		}
		return nil
	})
	wall := time.Since(began)
	// Request 3's 30 ms is at index 3, and the sequence holds the same
	// latencies as the sorted list (which is slowest is the machine's
	// business: under load, others may take longer).
	sorted := slices.Clone(r.BySequence)
	slices.Sort(sorted)
	if len(r.BySequence) != 10 || r.BySequence[3] < 30*time.Millisecond || !slices.Equal(sorted, r.Latencies) {
		t.Fatalf("by sequence %v, sorted %v: request 3's 30 ms is not at index 3", r.BySequence, r.Latencies)
	}
	// From the first send to the last: some time, within the run. (How
	// long is the machine's timing, which a test does not judge.)
	if r.SendSpan <= 0 || r.SendSpan > wall {
		t.Errorf("send span %s, want more than 0 and at most the run's %s", r.SendSpan, wall)
	}
}

// TestLateSendsAreCounted: 1e6/s for 10 ms is 10 000 sends, a goroutine
// each, in 10 ms, a rate the generator can hardly keep: a send counts as
// late exactly when it is LateAfter or more behind, however fast the
// machine is.
func TestLateSendsAreCounted(t *testing.T) {
	r := Run(context.Background(), 1e6, 10*time.Millisecond, func(context.Context, int) error {
		time.Sleep(time.Millisecond)
		return nil
	})
	if (r.Late > 0) != (r.MaxLag >= LateAfter) {
		t.Errorf("%d late sends with a max lag of %s: late sends are those %s or more behind", r.Late, r.MaxLag, LateAfter)
	}
	if r.Late > len(r.Latencies) {
		t.Errorf("%d late of %d sends", r.Late, len(r.Latencies))
	}
}
