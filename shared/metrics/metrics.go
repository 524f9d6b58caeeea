// Package metrics is an environment's CloudWatch metrics, as Quant's
// getEnvironmentMetrics shows them: the query and its rules, which
// metrics an environment has, and the port (Reader) through which they
// are read. shared/metrics/awsmetrics is the CloudWatch adapter;
// shared/cloud/sandbox has the local stack's.
package metrics

import (
	"context"
	"errors"
	"time"
)

// Dimension is one CloudWatch dimension.
type Dimension struct {
	Name, Value string
}

// Query is one series: a metric and one statistic of it.
type Query struct {
	// ID names the series in the answer: lower-case letter first, then
	// letters, digits and '_' (CloudWatch's rule for a query id).
	ID         string
	Namespace  string
	Metric     string
	Dimensions []Dimension
	// Stat is Average, Maximum, Minimum, Sum or SampleCount.
	Stat string
	// Unit, when set, is what the metric is recorded in (Percent, Count).
	Unit string
}

// Request is one GetMetricData call: at most 500 queries.
type Request struct {
	Queries    []Query
	Start, End time.Time
	// Period is the length of a data point, in seconds: 60 or a multiple of it.
	Period int
}

// Series is the data points of one query, oldest first.
type Series struct {
	ID         string
	Timestamps []time.Time
	Values     []float64
}

// Reader reads metric data: one Data is one GetMetricData call (its pages
// followed, which a Request within Quant's bounds never needs).
type Reader interface {
	Data(ctx context.Context, r Request) ([]Series, error)
}

// ErrInvalid: the provider refused the request's parameters.
var ErrInvalid = errors.New("invalid metrics request")
