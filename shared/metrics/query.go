package metrics

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/compose"
	"github.com/berth-dev/berth/shared/validation"
)

// Statistics CloudWatch computes, as Quant's document names them.
var Statistics = []string{"Average", "Maximum", "Minimum", "Sum", "SampleCount"}

// Bounds. A series holds at most MaxPoints data points, so a long window
// needs a long period; CloudWatch keeps hourly data 455 days.
const (
	DefaultWindow = time.Hour
	MaxPoints     = 1440
	MinPeriod     = 60
	MaxPeriod     = 86400
	MaxWindow     = 455 * 24 * time.Hour
)

// Params is a validated getEnvironmentMetrics request.
type Params struct {
	Start, End time.Time
	Period     int
	Statistics []string
	Container  string
}

// ParseQuery reads and checks the query string: times are Unix
// milliseconds (Quant's document); without them, the last hour. Without
// period, the smallest of 60, 300, 3600 and 86400 seconds that keeps a
// series within MaxPoints; statistics default to Average.
func ParseQuery(q url.Values, now time.Time) (Params, error) {
	errs := validation.Errors{}
	out := Params{End: now.UTC().Truncate(time.Minute), Statistics: []string{"Average"}, Container: q.Get("containerName")}
	ms := func(field string) (time.Time, bool) {
		n, err := strconv.ParseInt(q.Get(field), 10, 64)
		if err != nil || n < 0 {
			errs.Addf(field, "must be a Unix timestamp in milliseconds; got %q", clip(q.Get(field)))
			return time.Time{}, false
		}
		return time.UnixMilli(n).UTC(), true
	}
	if q.Has("endTime") {
		if t, ok := ms("endTime"); ok {
			out.End = t
		}
	}
	out.Start = out.End.Add(-DefaultWindow)
	if q.Has("startTime") {
		if t, ok := ms("startTime"); ok {
			out.Start = t
		}
	}
	window := out.End.Sub(out.Start)
	switch {
	case errs["startTime"] != nil || errs["endTime"] != nil:
	case window <= 0:
		errs.Add("endTime", "must be after startTime")
	case window > MaxWindow:
		errs.Add("startTime", "must be at most 455 days before endTime (CloudWatch keeps metrics that long)")
	}
	if q.Has("period") {
		n, err := strconv.Atoi(q.Get("period"))
		switch {
		case err != nil || n < MinPeriod || n > MaxPeriod || n%60 != 0:
			errs.Addf("period", "must be a number of seconds, a multiple of 60 from %d to %d; got %q", MinPeriod, MaxPeriod, clip(q.Get("period")))
		case window > 0 && points(window, n) > MaxPoints:
			errs.Addf("period", "gives %d data points over the window; at most %d: use a period of at least %d", points(window, n), MaxPoints, minPeriod(window))
		default:
			out.Period = n
		}
	} else if window > 0 {
		out.Period = minPeriod(window)
	}
	if q.Has("statistics") {
		out.Statistics = nil
		for _, s := range strings.Split(q.Get("statistics"), ",") {
			s = strings.TrimSpace(s)
			switch {
			case !slices.Contains(Statistics, s):
				errs.Addf("statistics", "must be a comma-separated list of %s; got %q", strings.Join(Statistics, ", "), clip(s))
			case !slices.Contains(out.Statistics, s):
				out.Statistics = append(out.Statistics, s)
			}
		}
	}
	return out, errs.Err()
}

// points is how many data points of period seconds cover window: a part
// of a period at the end is a point too.
func points(window time.Duration, period int) int {
	p := time.Duration(period) * time.Second
	return int((window + p - 1) / p)
}

func minPeriod(window time.Duration) int {
	for _, p := range []int{60, 300, 3600, 86400} {
		if points(window, p) <= MaxPoints {
			return p
		}
	}
	return MaxPeriod
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// The metrics an environment answers.
const (
	CPU          = "CPUUtilization"
	Memory       = "MemoryUtilization"
	RunningTasks = "RunningTaskCount"
	Requests     = "RequestCount"
)

// metric is one of them: where CloudWatch keeps it and the statistic
// that makes sense of it when others are asked for too.
type metric struct {
	name, namespace, metric, unit string
	dims                          []Dimension
}

// metricsOf are env's metrics: the service's CPU and memory (a
// container's, with Container Insights, when one is named), its running
// tasks (Container Insights) and its target group's requests.
func metricsOf(env apps.Environment, container, loadBalancer string) []metric {
	cluster, service := clusterName(env.Outputs[apps.OutCluster]), env.Outputs[apps.OutServiceName]
	svc := []Dimension{{"ClusterName", cluster}, {"ServiceName", service}}
	out := []metric{
		{CPU, "AWS/ECS", "CPUUtilization", "Percent", svc},
		{Memory, "AWS/ECS", "MemoryUtilization", "Percent", svc},
	}
	if container != "" {
		c := append(slices.Clone(svc), Dimension{"ContainerName", container})
		out = []metric{
			{CPU, "ECS/ContainerInsights", "ContainerCpuUtilization", "Percent", c},
			{Memory, "ECS/ContainerInsights", "ContainerMemoryUtilization", "Percent", c},
		}
	}
	out = append(out, metric{RunningTasks, "ECS/ContainerInsights", "RunningTaskCount", "Count", svc})
	if tg := targetGroup(env.Outputs[apps.OutTargetGroupARN]); tg != "" && loadBalancer != "" {
		out = append(out, metric{Requests, "AWS/ApplicationELB", "RequestCount", "Count", []Dimension{{"TargetGroup", tg}, {"LoadBalancer", loadBalancer}}})
	}
	return out
}

// clusterName is a cluster ARN's name (CloudWatch's ClusterName is the name).
func clusterName(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

// targetGroup is a target group ARN's CloudWatch dimension: targetgroup/<name>/<id>.
func targetGroup(arn string) string {
	if i := strings.Index(arn, ":targetgroup/"); i >= 0 {
		return arn[i+1:]
	}
	return ""
}

// Store is what reading metrics needs of the records.
type Store interface {
	GetEnvironment(ctx context.Context, org, app, name string) (apps.Environment, error)
}

// Service reads environments' metrics.
type Service struct {
	Store  Store
	Reader Reader
	// LoadBalancer is the platform load balancer's CloudWatch dimension
	// (app/<name>/<id>); without it there is no RequestCount.
	LoadBalancer string
}

// Point is one data point: its time and a value per statistic.
type Point struct {
	Timestamp time.Time
	Values    map[string]float64
}

// Metric is one metric's data points, oldest first.
type Metric struct {
	Name, Namespace, MetricName, Unit string
	Points                            []Point
}

// Result is what getEnvironmentMetrics answers.
type Result struct {
	Params  Params
	Metrics []Metric
}

// Read answers env's metrics over q: one GetMetricData call.
func (s *Service) Read(ctx context.Context, org, app, name string, q Params) (Result, error) {
	env, err := s.Store.GetEnvironment(ctx, org, app, name)
	if err != nil {
		return Result{}, err
	}
	if q.Container != "" && !slices.ContainsFunc(env.Compose.Containers, func(c compose.Container) bool { return c.Name == q.Container }) {
		var names []string
		for _, c := range env.Compose.Containers {
			names = append(names, c.Name)
		}
		return Result{}, validation.Errors{"containerName": {"must be one of environment " + strconv.Quote(env.Name) + "'s containers: " + strings.Join(names, ", ")}}
	}
	res := Result{Params: q}
	if env.Outputs[apps.OutServiceName] == "" {
		return res, nil // no service yet: nothing measured
	}
	ms := metricsOf(env, q.Container, s.LoadBalancer)
	req := Request{Start: q.Start, End: q.End, Period: q.Period}
	for i, m := range ms {
		for j, stat := range q.Statistics {
			req.Queries = append(req.Queries, Query{ID: "m" + strconv.Itoa(i) + "_" + strconv.Itoa(j), Namespace: m.namespace, Metric: m.metric, Dimensions: m.dims, Stat: stat, Unit: m.unit})
		}
	}
	series, err := s.Reader.Data(ctx, req)
	if err != nil {
		return Result{}, apps.Unavailable(err, "the metrics could not be read; retry")
	}
	byID := map[string]Series{}
	for _, se := range series {
		byID[se.ID] = se
	}
	for i, m := range ms {
		out := Metric{Name: m.name, Namespace: m.namespace, MetricName: m.metric, Unit: m.unit}
		at := map[time.Time]int{}
		for j, stat := range q.Statistics {
			se := byID["m"+strconv.Itoa(i)+"_"+strconv.Itoa(j)]
			for k, ts := range se.Timestamps {
				if k >= len(se.Values) {
					break
				}
				p, ok := at[ts]
				if !ok {
					p = len(out.Points)
					at[ts] = p
					out.Points = append(out.Points, Point{Timestamp: ts, Values: map[string]float64{}})
				}
				out.Points[p].Values[stat] = se.Values[k]
			}
		}
		slices.SortFunc(out.Points, func(a, b Point) int { return a.Timestamp.Compare(b.Timestamp) })
		res.Metrics = append(res.Metrics, out)
	}
	return res, nil
}
