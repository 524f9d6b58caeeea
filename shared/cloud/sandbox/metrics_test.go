package sandbox_test

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/shared/cloud/sandbox"
	"github.com/berth-dev/berth/shared/metrics"
)

func query(id, metric, stat string, dims ...metrics.Dimension) metrics.Query {
	ns := "AWS/ECS"
	if strings.HasSuffix(metric, "Count") {
		ns = "ECS/ContainerInsights"
	}
	return metrics.Query{ID: id, Namespace: ns, Metric: metric, Stat: stat, Dimensions: dims}
}

func TestMetricsArePlausibleDeterministicAndInQueryOrder(t *testing.T) {
	s, c := newBox(sandbox.Instant)
	service(t, s, "nginx:1") // 2 tasks, at once
	c.advance(6 * time.Hour)
	svc := metrics.Dimension{Name: "ServiceName", Value: "svc"}
	req := metrics.Request{
		Queries: []metrics.Query{query("cpu", "CPUUtilization", "Average", svc), query("mem", "MemoryUtilization", "Maximum", svc),
			query("tasks", "RunningTaskCount", "Average", svc), query("requests", "RequestCount", "Sum", svc),
			query("nosvc", "RunningTaskCount", "Average", metrics.Dimension{Name: "ServiceName", Value: "nope"})},
		Start: c.Now().Add(-3 * time.Hour), End: c.Now(),
	}
	for _, period := range []int{60, 300, 3600} {
		req.Period = period
		got, err := s.Metrics().Data(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(req.Queries) {
			t.Fatalf("%d series for %d queries", len(got), len(req.Queries))
		}
		want := int(req.End.Sub(req.Start) / (time.Duration(period) * time.Second))
		for i, series := range got {
			if series.ID != req.Queries[i].ID {
				t.Fatalf("series %d is %s, want %s", i, series.ID, req.Queries[i].ID)
			}
			if series.ID == "nosvc" {
				if len(series.Values) != 0 {
					t.Errorf("a service the sandbox does not have: %v", series.Values)
				}
				continue
			}
			if n := len(series.Values); n < want-1 || n > want+1 || len(series.Timestamps) != n {
				t.Errorf("period %d, %s: %d points, want %d±1", period, series.ID, n, want)
			}
			for k, v := range series.Values {
				ts := series.Timestamps[k]
				if ts.Before(req.Start) || !ts.Before(req.End) || k > 0 && !ts.After(series.Timestamps[k-1]) {
					t.Errorf("%s: point %d at %s", series.ID, k, ts)
				}
				switch series.ID {
				case "cpu", "mem":
					if v < 5 || v > 80 {
						t.Errorf("%s = %v", series.ID, v)
					}
				case "tasks":
					if v != 2 {
						t.Errorf("running tasks %v, want 2", v)
					}
				case "requests":
					if v != math.Trunc(v) || v < 0 || v > float64(11*period/60) {
						t.Errorf("requests %v over %d s", v, period)
					}
				}
			}
		}
		again, _ := s.Metrics().Data(ctx, req)
		if !reflect.DeepEqual(got, again) {
			t.Errorf("period %d: the same request answered differently", period)
		}
	}
	// CPU varies, and a Sum is more than an Average.
	req.Period = 60
	req.Queries = []metrics.Query{query("avg", "CPUUtilization", "Average", svc), query("sum", "CPUUtilization", "Sum", svc)}
	got, _ := s.Metrics().Data(ctx, req)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range got[0].Values {
		lo, hi = min(lo, v), max(hi, v)
	}
	if hi-lo < 1 {
		t.Errorf("CPU from %v to %v over 3 hours", lo, hi)
	}
	req.Period = 300
	got, _ = s.Metrics().Data(ctx, req)
	if got[1].Values[0] <= got[0].Values[0] {
		t.Errorf("5-minute sum %v, average %v", got[1].Values[0], got[0].Values[0])
	}
}

func TestRunningTaskCountFollowsTheService(t *testing.T) {
	s, c := newBox(sandbox.Instant)
	service(t, s, "nginx:1")
	c.advance(10 * time.Minute)
	if err := s.Scale("svc", 5); err != nil {
		t.Fatal(err)
	}
	c.advance(10 * time.Minute)
	got, err := s.Metrics().Data(ctx, metrics.Request{Period: 60, Start: c.Now().Add(-20 * time.Minute), End: c.Now(),
		Queries: []metrics.Query{query("tasks", "RunningTaskCount", "Maximum", metrics.Dimension{Name: "ServiceName", Value: "svc"})}})
	if err != nil {
		t.Fatal(err)
	}
	v := got[0].Values
	if len(v) != 20 || v[0] != 2 || v[19] != 5 {
		t.Errorf("running tasks %v, want 2 then 5", v)
	}
}

func TestMetricsRefuseWhatCloudWatchWould(t *testing.T) {
	s, c := newBox(sandbox.Instant)
	now := c.Now()
	ok := []metrics.Query{query("cpu", "CPUUtilization", "Average")}
	many := make([]metrics.Query, 501)
	for i := range many {
		many[i] = query(fmt.Sprintf("q%d", i), "CPUUtilization", "Average")
	}
	for _, c := range []struct {
		name string
		r    metrics.Request
	}{
		{"period 0", metrics.Request{Queries: ok, Start: now.Add(-time.Hour), End: now}},
		{"period 90", metrics.Request{Queries: ok, Start: now.Add(-time.Hour), End: now, Period: 90}},
		{"negative period", metrics.Request{Queries: ok, Start: now.Add(-time.Hour), End: now, Period: -60}},
		{"end before start", metrics.Request{Queries: ok, Start: now, End: now.Add(-time.Hour), Period: 60}},
		{"end at start", metrics.Request{Queries: ok, Start: now, End: now, Period: 60}},
		{"501 queries", metrics.Request{Queries: many, Start: now.Add(-time.Hour), End: now, Period: 60}},
		{"no queries", metrics.Request{Start: now.Add(-time.Hour), End: now, Period: 60}},
		{"bad id", metrics.Request{Queries: []metrics.Query{query("Cpu", "CPUUtilization", "Average")}, Start: now.Add(-time.Hour), End: now, Period: 60}},
		{"bad stat", metrics.Request{Queries: []metrics.Query{query("cpu", "CPUUtilization", "p99")}, Start: now.Add(-time.Hour), End: now, Period: 60}},
	} {
		if _, err := s.Metrics().Data(ctx, c.r); !errors.Is(err, metrics.ErrInvalid) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	boom := errors.New("boom")
	s.Fault("GetMetricData", boom)
	if _, err := s.Metrics().Data(ctx, metrics.Request{Queries: ok, Start: now.Add(-time.Hour), End: now, Period: 60}); !errors.Is(err, boom) {
		t.Errorf("fault: %v", err)
	}
}
