package sandbox

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"regexp"
	"strings"
	"time"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/metrics"
)

// Metrics is the sandbox's metrics.Reader: GetMetricData answering made-up
// but plausible and deterministic data points. Fault "GetMetricData"
// fails it.
//
// A query's points are at multiples of the period from Start (rounded up
// to one) to before End, none after now. Values depend only on the
// metric, its dimensions and the point's time:
//   - a metric whose name has CPU or Memory in it (CPUUtilization,
//     MemoryUtilization) is a percentage between 5 and 80 that varies
//     smoothly over the hours;
//   - RunningTaskCount is how many of the service its ServiceName
//     dimension names ran at the point's time (no points for a service
//     the sandbox does not have);
//   - RequestCount (and any other *Count) is a small integer a minute;
//   - anything else is like a percentage.
//
// Average, Minimum and Maximum are of one value a minute, Sum their sum
// over the period and SampleCount how many there are.
func (s *Sandbox) Metrics() metrics.Reader { return sandboxMetrics{s} }

type sandboxMetrics struct{ s *Sandbox }

var _ metrics.Reader = sandboxMetrics{}

// GetMetricData's bounds.
const (
	MaxMetricQueries = 500
	MaxMetricPoints  = 100800
)

var (
	queryID = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]{0,254}$`)
	stats   = map[string]bool{"Average": true, "Maximum": true, "Minimum": true, "Sum": true, "SampleCount": true}
)

// Data implements metrics.Reader.
func (m sandboxMetrics) Data(_ context.Context, r metrics.Request) ([]metrics.Series, error) {
	const op = "GetMetricData"
	s := m.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call(op); err != nil {
		return nil, err
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("sandbox %s: ValidationError: %w: %s", op, metrics.ErrInvalid, fmt.Sprintf(format, args...))
	}
	switch {
	case len(r.Queries) == 0:
		return nil, bad("at least one query is required")
	case len(r.Queries) > MaxMetricQueries:
		return nil, bad("%d queries, at most %d", len(r.Queries), MaxMetricQueries)
	case r.Period <= 0 || r.Period%60 != 0:
		return nil, bad("the period must be a positive multiple of 60 seconds, got %d", r.Period)
	case !r.End.After(r.Start):
		return nil, bad("the end time must be after the start time")
	}
	period := time.Duration(r.Period) * time.Second
	first := r.Start.Truncate(period)
	if first.Before(r.Start) {
		first = first.Add(period)
	}
	now := s.Now()
	var times []time.Time
	for t := first; t.Before(r.End) && !t.After(now); t = t.Add(period) {
		times = append(times, t)
		if len(times)*len(r.Queries) > MaxMetricPoints {
			return nil, bad("the request would answer more than %d data points", MaxMetricPoints)
		}
	}
	seen := map[string]bool{}
	for _, q := range r.Queries {
		switch {
		case !queryID.MatchString(q.ID):
			return nil, bad("query id %q: a lower-case letter, then letters, digits and _", q.ID)
		case seen[q.ID]:
			return nil, bad("query id %q is used twice", q.ID)
		case !stats[q.Stat]:
			return nil, bad("query %s: the statistic %q is not Average, Maximum, Minimum, Sum or SampleCount", q.ID, q.Stat)
		case q.Metric == "" || q.Namespace == "":
			return nil, bad("query %s: a namespace and a metric are required", q.ID)
		}
		seen[q.ID] = true
	}
	s.settle()
	out := make([]metrics.Series, 0, len(r.Queries))
	for _, q := range r.Queries {
		series := metrics.Series{ID: q.ID, Timestamps: []time.Time{}, Values: []float64{}}
		value, counts := s.metric(q)
		if value != nil {
			for _, t := range times {
				series.Timestamps = append(series.Timestamps, t)
				series.Values = append(series.Values, stat(q.Stat, value, counts, t, r.Period/60))
			}
		}
		out = append(out, series)
	}
	return out, nil
}

// metric is the query's value at a minute, or nil when it has no data;
// counts when the values are whole numbers. Callers hold mu.
func (s *Sandbox) metric(q metrics.Query) (value func(time.Time) float64, counts bool) {
	h := fnv.New64a()
	h.Write([]byte(q.Namespace + "\x00" + q.Metric))
	service := ""
	for _, d := range q.Dimensions {
		h.Write([]byte("\x00" + d.Name + "=" + d.Value))
		if d.Name == "ServiceName" {
			service = d.Value
		}
	}
	seed := h.Sum64()
	phase := float64(seed%3600) / 3600 * 2 * math.Pi
	wave := func(t time.Time) float64 { // -1 to 1, slowly
		x := float64(t.Unix()) / 3600
		return 0.75*math.Sin(2*math.Pi*x/6+phase) + 0.25*math.Sin(2*math.Pi*x*1.7+2*phase)
	}
	switch {
	case q.Metric == "RunningTaskCount":
		if _, ok := s.resources[resourceKey(cloud.KindService, service)]; !ok {
			return nil, true
		}
		return func(t time.Time) float64 { return float64(len(s.running(service, t))) }, true
	case strings.HasSuffix(q.Metric, "Count"):
		return func(t time.Time) float64 { return math.Round(6 + 5*wave(t)) }, true
	}
	return func(t time.Time) float64 { return 42.5 + 37.5*wave(t) }, false // CPU, memory, and the rest
}

// stat is a statistic over a period of minutes from t.
func stat(name string, value func(time.Time) float64, counts bool, t time.Time, minutes int) float64 {
	// Sample at most 60 minutes of a long period, evenly.
	step := max(1, minutes/60)
	var sum, lo, hi float64
	n := 0
	for m := 0; m < minutes; m += step {
		v := value(t.Add(time.Duration(m) * time.Minute))
		if n == 0 || v < lo {
			lo = v
		}
		if n == 0 || v > hi {
			hi = v
		}
		sum += v
		n++
	}
	avg := sum / float64(n)
	switch name {
	case "Sum":
		if counts {
			return math.Round(avg * float64(minutes))
		}
		return avg * float64(minutes)
	case "SampleCount":
		return float64(minutes)
	case "Minimum":
		return lo
	case "Maximum":
		return hi
	}
	return avg
}
