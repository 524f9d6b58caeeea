package metrics

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/compose"
	"github.com/berth-dev/berth/shared/validation"
)

var (
	now = time.Date(2026, 12, 5, 10, 0, 30, 0, time.UTC)
	end = time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC) // now, to the minute
)

func ms(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

func fields(err error) []string {
	var v validation.Errors
	if errors.As(err, &v) {
		return v.Fields()
	}
	return nil
}

func TestParseQuery(t *testing.T) {
	day := 24 * time.Hour
	window := func(d time.Duration) string { return "startTime=" + ms(end.Add(-d)) + "&endTime=" + ms(end) }
	for _, c := range []struct {
		name   string
		q      string
		start  time.Time
		period int
		stats  []string
		bad    []string
	}{
		{name: "defaults: the last hour to the minute, by the minute, averages", q: "", start: end.Add(-time.Hour), period: 60, stats: []string{"Average"}},
		{name: "a period", q: "period=300", start: end.Add(-time.Hour), period: 300, stats: []string{"Average"}},
		{name: "the longest period", q: "period=86400", start: end.Add(-time.Hour), period: 86400, stats: []string{"Average"}},
		{name: "period not a multiple of 60", q: "period=90", bad: []string{"period"}},
		{name: "period under 60", q: "period=0", bad: []string{"period"}},
		{name: "period over a day", q: "period=86460", bad: []string{"period"}},
		{name: "period not a number", q: "period=5m", bad: []string{"period"}},
		{name: "a day by the minute: 1440 points", q: window(day) + "&period=60", start: end.Add(-day), period: 60, stats: []string{"Average"}},
		{name: "two days by the minute: too many points", q: window(2*day) + "&period=60", bad: []string{"period"}},
		{name: "a day and 30 s by the minute: 1441 points", q: window(day+30*time.Second) + "&period=60", bad: []string{"period"}},
		{name: "two days, no period: the smallest that fits", q: window(2 * day), start: end.Add(-2 * day), period: 300, stats: []string{"Average"}},
		{name: "a day and 30 s, no period", q: window(day + 30*time.Second), start: end.Add(-day - 30*time.Second), period: 300, stats: []string{"Average"}},
		{name: "455 days, no period: by the day", q: window(455 * day), start: end.Add(-455 * day), period: 86400, stats: []string{"Average"}},
		{name: "more than 455 days", q: window(455*day + time.Millisecond), bad: []string{"startTime"}},
		{name: "end before start", q: "startTime=" + ms(end) + "&endTime=" + ms(end.Add(-time.Minute)), bad: []string{"endTime"}},
		{name: "end at start", q: "startTime=" + ms(end) + "&endTime=" + ms(end), bad: []string{"endTime"}},
		{name: "startTime not milliseconds", q: "startTime=2026-12-05T09:00:00Z", bad: []string{"startTime"}},
		{name: "negative endTime", q: "endTime=-1", bad: []string{"endTime"}},
		{name: "statistics, deduplicated, in order asked", q: "statistics=" + url.QueryEscape("Maximum, Average,Maximum,SampleCount"),
			start: end.Add(-time.Hour), period: 60, stats: []string{"Maximum", "Average", "SampleCount"}},
		{name: "an unknown statistic", q: "statistics=Average,p99", bad: []string{"statistics"}},
		{name: "no statistic", q: "statistics=", bad: []string{"statistics"}},
		{name: "several at once", q: "period=7&statistics=Mean&startTime=x", bad: []string{"period", "startTime", "statistics"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			v, err := url.ParseQuery(c.q)
			if err != nil {
				t.Fatal(err)
			}
			p, err := ParseQuery(v, now)
			if c.bad != nil {
				if got := fields(err); !slices.Equal(got, c.bad) {
					t.Fatalf("error %v names %v, want %v", err, got, c.bad)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !p.Start.Equal(c.start) || !p.End.Equal(end) || p.Period != c.period || !slices.Equal(p.Statistics, c.stats) {
				t.Errorf("got %s..%s period %d %v, want %s..%s period %d %v", p.Start, p.End, p.Period, p.Statistics, c.start, end, c.period, c.stats)
			}
		})
	}
}

const (
	clusterARN = "arn:aws:ecs:eu-west-1:123456789012:cluster/berth"
	tgARN      = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/berth-shop-staging/0123456789abcdef"
	lb         = "app/berth/fedcba9876543210"
)

func staging() apps.Environment {
	return apps.Environment{Organisation: "acme", Application: "shop", Name: "staging",
		Compose: compose.Definition{Containers: []compose.Container{{Name: "web"}, {Name: "worker"}}},
		Provisioning: apps.Provisioning{Outputs: map[string]string{
			apps.OutCluster: clusterARN, apps.OutServiceName: "berth-shop-staging", apps.OutTargetGroupARN: tgARN,
		}}}
}

func TestMetricsOf(t *testing.T) {
	svc := []Dimension{{"ClusterName", "berth"}, {"ServiceName", "berth-shop-staging"}}
	web := append(slices.Clone(svc), Dimension{"ContainerName", "web"})
	requests := metric{Requests, "AWS/ApplicationELB", "RequestCount", "Count", []Dimension{{"TargetGroup", "targetgroup/berth-shop-staging/0123456789abcdef"}, {"LoadBalancer", lb}}}
	tasks := metric{RunningTasks, "ECS/ContainerInsights", "RunningTaskCount", "Count", svc}
	noTG := staging()
	delete(noTG.Outputs, apps.OutTargetGroupARN)
	for _, c := range []struct {
		name          string
		env           apps.Environment
		container, lb string
		want          []metric
	}{
		{"the service's, with its requests", staging(), "", lb, []metric{
			{CPU, "AWS/ECS", "CPUUtilization", "Percent", svc}, {Memory, "AWS/ECS", "MemoryUtilization", "Percent", svc}, tasks, requests}},
		{"a container's", staging(), "web", lb, []metric{
			{CPU, "ECS/ContainerInsights", "ContainerCpuUtilization", "Percent", web}, {Memory, "ECS/ContainerInsights", "ContainerMemoryUtilization", "Percent", web}, tasks, requests}},
		{"no load balancer: no requests", staging(), "", "", []metric{
			{CPU, "AWS/ECS", "CPUUtilization", "Percent", svc}, {Memory, "AWS/ECS", "MemoryUtilization", "Percent", svc}, tasks}},
		{"no target group: no requests", noTG, "", lb, []metric{
			{CPU, "AWS/ECS", "CPUUtilization", "Percent", svc}, {Memory, "AWS/ECS", "MemoryUtilization", "Percent", svc}, tasks}},
	} {
		if got := metricsOf(c.env, c.container, c.lb); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, got, c.want)
		}
	}
}

type envs map[string]apps.Environment

func (e envs) GetEnvironment(_ context.Context, org, app, name string) (apps.Environment, error) {
	if env, ok := e[name]; ok {
		return env, nil
	}
	return apps.Environment{}, apps.NotFound("no environment %q", name)
}

// reader answers series by query id and records the requests.
type reader struct {
	series   map[string]Series
	err      error
	requests []Request
}

func (r *reader) Data(_ context.Context, req Request) ([]Series, error) {
	r.requests = append(r.requests, req)
	if r.err != nil {
		return nil, r.err
	}
	var out []Series
	for _, q := range req.Queries {
		if s, ok := r.series[q.ID]; ok {
			s.ID = q.ID
			out = append(out, s)
		}
	}
	return out, nil
}

func TestRead(t *testing.T) {
	t1, t2, t3 := end.Add(-3*time.Minute), end.Add(-2*time.Minute), end.Add(-time.Minute)
	r := &reader{series: map[string]Series{
		// CPU: averages and maxima, newest first and with gaps.
		"m0_0": {Timestamps: []time.Time{t3, t1}, Values: []float64{30, 10}},
		"m0_1": {Timestamps: []time.Time{t2, t3, t1}, Values: []float64{25, 35, 15}},
		// Memory: a timestamp without a value is dropped.
		"m1_0": {Timestamps: []time.Time{t1, t2}, Values: []float64{50}},
	}}
	s := &Service{Store: envs{"staging": staging()}, Reader: r, LoadBalancer: lb}
	p := Params{Start: end.Add(-time.Hour), End: end, Period: 60, Statistics: []string{"Average", "Maximum"}}
	res, err := s.Read(context.Background(), "acme", "shop", "staging", p)
	if err != nil {
		t.Fatal(err)
	}
	req := r.requests[0]
	if len(req.Queries) != 8 || !req.Start.Equal(p.Start) || !req.End.Equal(p.End) || req.Period != 60 {
		t.Fatalf("request %+v", req)
	}
	if q := req.Queries[1]; q.ID != "m0_1" || q.Metric != "CPUUtilization" || q.Stat != "Maximum" || q.Unit != "Percent" {
		t.Errorf("query %+v", q)
	}
	var got []string
	for _, m := range res.Metrics {
		got = append(got, m.Name)
	}
	if !slices.Equal(got, []string{CPU, Memory, RunningTasks, Requests}) {
		t.Fatalf("metrics %v", got)
	}
	want := []Point{
		{t1, map[string]float64{"Average": 10, "Maximum": 15}},
		{t2, map[string]float64{"Maximum": 25}},
		{t3, map[string]float64{"Average": 30, "Maximum": 35}},
	}
	if !reflect.DeepEqual(res.Metrics[0].Points, want) {
		t.Errorf("CPU points %v, want %v", res.Metrics[0].Points, want)
	}
	if pts := res.Metrics[1].Points; len(pts) != 1 || pts[0].Values["Average"] != 50 {
		t.Errorf("memory points %v", pts)
	}
	if len(res.Metrics[2].Points) != 0 || !reflect.DeepEqual(res.Params, p) {
		t.Errorf("running tasks %v, params %+v", res.Metrics[2].Points, res.Params)
	}
}

func TestReadRefusals(t *testing.T) {
	noService := staging()
	delete(noService.Outputs, apps.OutServiceName)
	p := Params{Start: end.Add(-time.Hour), End: end, Period: 60, Statistics: []string{"Average"}}

	r := &reader{}
	s := &Service{Store: envs{"staging": staging(), "new": noService}, Reader: r}
	if res, err := s.Read(context.Background(), "acme", "shop", "new", p); err != nil || len(res.Metrics) != 0 || len(r.requests) != 0 {
		t.Errorf("no service yet: %+v, %v", res, err)
	}
	p.Container = "db"
	if _, err := s.Read(context.Background(), "acme", "shop", "staging", p); !slices.Equal(fields(err), []string{"containerName"}) || len(r.requests) != 0 {
		t.Errorf("an unknown container: %v", err)
	}
	p.Container = "worker"
	if _, err := s.Read(context.Background(), "acme", "shop", "staging", p); err != nil || len(r.requests) != 1 ||
		r.requests[0].Queries[0].Metric != "ContainerCpuUtilization" || len(r.requests[0].Queries) != 3 {
		t.Errorf("a container: %v, %+v", err, r.requests)
	}
	r.err = fmt.Errorf("throttled: %w", ErrInvalid)
	if _, err := s.Read(context.Background(), "acme", "shop", "staging", p); !errors.Is(err, apps.ErrUnavailable) {
		t.Errorf("the reader failing: %v", err)
	}
	if _, err := s.Read(context.Background(), "acme", "shop", "gone", p); !errors.Is(err, apps.ErrNotFound) {
		t.Errorf("no environment: %v", err)
	}
}
