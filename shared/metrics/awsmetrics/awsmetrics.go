// Package awsmetrics reads an environment's metrics from CloudWatch: the
// metrics.Reader adapter for AWS. It links the CloudWatch client and no
// other AWS client.
package awsmetrics

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go"

	"github.com/berth-dev/berth/shared/metrics"
)

var _ metrics.Reader = (*Reader)(nil)

// Reader is metrics.Reader on CloudWatch. Build it with New, or set
// Client directly.
type Reader struct {
	Client *cloudwatch.Client
}

// New builds the client from cfg, at endpoint when it is not "" (tests,
// local tools: AWS_ENDPOINT_URL_CLOUDWATCH), else at AWS's.
func New(cfg aws.Config, endpoint string) metrics.Reader {
	return &Reader{Client: cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})}
}

// Data implements metrics.Reader: one GetMetricData call, its pages
// followed. The answer has one series per query, in the queries' order,
// a query CloudWatch has no data for being an empty series.
func (r *Reader) Data(ctx context.Context, req metrics.Request) ([]metrics.Series, error) {
	in := &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(req.Start),
		EndTime:   aws.Time(req.End),
		// Oldest first, as the port answers, without sorting a page.
		ScanBy: types.ScanByTimestampAscending,
	}
	series := make([]metrics.Series, len(req.Queries))
	index := map[string]int{}
	for i, q := range req.Queries {
		var dims []types.Dimension // none sent when there are none
		for _, d := range q.Dimensions {
			dims = append(dims, types.Dimension{Name: aws.String(d.Name), Value: aws.String(d.Value)})
		}
		stat := &types.MetricStat{
			Metric: &types.Metric{Namespace: aws.String(q.Namespace), MetricName: aws.String(q.Metric), Dimensions: dims},
			Period: aws.Int32(int32(req.Period)),
			Stat:   aws.String(q.Stat),
		}
		if q.Unit != "" {
			stat.Unit = types.StandardUnit(q.Unit)
		}
		in.MetricDataQueries = append(in.MetricDataQueries, types.MetricDataQuery{Id: aws.String(q.ID), MetricStat: stat, ReturnData: aws.Bool(true)})
		series[i] = metrics.Series{ID: q.ID, Timestamps: []time.Time{}, Values: []float64{}}
		index[q.ID] = i
	}
	pages := cloudwatch.NewGetMetricDataPaginator(r.Client, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, classify(err)
		}
		// A series that spans pages goes on where the last page left it.
		for _, res := range page.MetricDataResults {
			i, ok := index[aws.ToString(res.Id)]
			if !ok {
				continue
			}
			n := min(len(res.Timestamps), len(res.Values))
			for j := range n {
				series[i].Timestamps = append(series[i].Timestamps, res.Timestamps[j].UTC())
				series[i].Values = append(series[i].Values, res.Values[j])
			}
		}
	}
	for i := range series {
		sort.Stable(byTime(series[i]))
	}
	return series, nil
}

// byTime sorts a series' points oldest first, should CloudWatch's
// order across pages ever differ from the scan's.
type byTime metrics.Series

func (s byTime) Len() int           { return len(s.Timestamps) }
func (s byTime) Less(i, j int) bool { return s.Timestamps[i].Before(s.Timestamps[j]) }
func (s byTime) Swap(i, j int) {
	s.Timestamps[i], s.Timestamps[j] = s.Timestamps[j], s.Timestamps[i]
	s.Values[i], s.Values[j] = s.Values[j], s.Values[i]
}

// classify marks CloudWatch's refusals of the request's parameters as
// metrics.ErrInvalid. ValidationError (the query protocol's generic
// refusal) is not modelled by the SDK, so codes are compared.
func classify(err error) error {
	var api smithy.APIError
	if errors.As(err, &api) {
		code := api.ErrorCode()
		if code == "ValidationError" || code == "MissingParameter" || strings.HasPrefix(code, "InvalidParameter") {
			return fmt.Errorf("%w: %s", metrics.ErrInvalid, api.ErrorMessage())
		}
	}
	return fmt.Errorf("cloudwatch GetMetricData: %w", err)
}
