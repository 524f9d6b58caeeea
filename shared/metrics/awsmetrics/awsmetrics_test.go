package awsmetrics_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/shared/cloud/awscloud/awstest"
	"github.com/berth-dev/berth/shared/metrics"
	"github.com/berth-dev/berth/shared/metrics/awsmetrics"
)

var (
	t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	t1 = t0.Add(time.Minute)
	t2 = t0.Add(2 * time.Minute)
)

var request = metrics.Request{
	Start: t0, End: t0.Add(time.Hour), Period: 60,
	Queries: []metrics.Query{
		{ID: "cpu", Namespace: "AWS/ECS", Metric: "CPUUtilization", Stat: "Average", Unit: "Percent",
			Dimensions: []metrics.Dimension{{Name: "ClusterName", Value: "berth"}, {Name: "ServiceName", Value: "web"}}},
		{ID: "req", Namespace: "AWS/ApplicationELB", Metric: "RequestCount", Stat: "Sum",
			Dimensions: []metrics.Dimension{{Name: "TargetGroup", Value: "targetgroup/web/1"}}},
		{ID: "none", Namespace: "AWS/ECS", Metric: "MemoryUtilization", Stat: "Maximum"},
	},
}

func result(id string, points ...string) string {
	var ts, vs string
	for i := 0; i+1 < len(points); i += 2 {
		ts += "<member>" + points[i] + "</member>"
		vs += "<member>" + points[i+1] + "</member>"
	}
	return "<member><Id>" + id + "</Id><Label>" + id + "</Label><StatusCode>Complete</StatusCode><Timestamps>" + ts + "</Timestamps><Values>" + vs + "</Values></member>"
}

func TestDataSendsQueriesAndFollowsPages(t *testing.T) {
	s := awstest.New(t)
	s.On("GetMetricData",
		awstest.OK("<MetricDataResults>"+result("cpu", "2026-01-01T00:00:00Z", "12.5", "2026-01-01T00:01:00Z", "20")+
			result("req", "2026-01-01T00:00:00Z", "3")+"</MetricDataResults><NextToken>page-2</NextToken><Messages/>"),
		awstest.OK("<MetricDataResults>"+result("cpu", "2026-01-01T00:02:00Z", "7.25")+result("req")+"</MetricDataResults><Messages/>"))
	got, err := awsmetrics.New(s.Config(), s.URL).Data(context.Background(), request)
	if err != nil {
		t.Fatal(err)
	}
	calls := s.All("GetMetricData")
	if len(calls) != 2 {
		t.Fatalf("%d GetMetricData calls, want 2", len(calls))
	}
	want := map[string]string{
		"Action": "GetMetricData", "Version": "2010-08-01",
		"StartTime": "2026-01-01T00:00:00Z", "EndTime": "2026-01-01T01:00:00Z", "ScanBy": "TimestampAscending",
		"MetricDataQueries.member.1.Id":                                          "cpu",
		"MetricDataQueries.member.1.ReturnData":                                  "true",
		"MetricDataQueries.member.1.MetricStat.Period":                           "60",
		"MetricDataQueries.member.1.MetricStat.Stat":                             "Average",
		"MetricDataQueries.member.1.MetricStat.Unit":                             "Percent",
		"MetricDataQueries.member.1.MetricStat.Metric.Namespace":                 "AWS/ECS",
		"MetricDataQueries.member.1.MetricStat.Metric.MetricName":                "CPUUtilization",
		"MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Name":  "ClusterName",
		"MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Value": "berth",
		"MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.2.Name":  "ServiceName",
		"MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.2.Value": "web",
		"MetricDataQueries.member.2.Id":                                          "req",
		"MetricDataQueries.member.2.ReturnData":                                  "true",
		"MetricDataQueries.member.2.MetricStat.Period":                           "60",
		"MetricDataQueries.member.2.MetricStat.Stat":                             "Sum",
		"MetricDataQueries.member.2.MetricStat.Metric.Namespace":                 "AWS/ApplicationELB",
		"MetricDataQueries.member.2.MetricStat.Metric.MetricName":                "RequestCount",
		"MetricDataQueries.member.2.MetricStat.Metric.Dimensions.member.1.Name":  "TargetGroup",
		"MetricDataQueries.member.2.MetricStat.Metric.Dimensions.member.1.Value": "targetgroup/web/1",
		"MetricDataQueries.member.3.Id":                                          "none",
		"MetricDataQueries.member.3.ReturnData":                                  "true",
		"MetricDataQueries.member.3.MetricStat.Period":                           "60",
		"MetricDataQueries.member.3.MetricStat.Stat":                             "Maximum",
		"MetricDataQueries.member.3.MetricStat.Metric.Namespace":                 "AWS/ECS",
		"MetricDataQueries.member.3.MetricStat.Metric.MetricName":                "MemoryUtilization",
	}
	awstest.CheckForm(t, calls[0].Form, want)
	want["NextToken"] = "page-2"
	awstest.CheckForm(t, calls[1].Form, want)

	wantSeries := []metrics.Series{
		{ID: "cpu", Timestamps: []time.Time{t0, t1, t2}, Values: []float64{12.5, 20, 7.25}},
		{ID: "req", Timestamps: []time.Time{t0}, Values: []float64{3}},
		{ID: "none", Timestamps: []time.Time{}, Values: []float64{}},
	}
	if !reflect.DeepEqual(got, wantSeries) {
		t.Errorf("series = %+v\nwant %+v", got, wantSeries)
	}
}

func TestDataSeriesOldestFirst(t *testing.T) {
	s := awstest.New(t)
	s.On("GetMetricData", awstest.OK("<MetricDataResults>"+
		result("cpu", "2026-01-01T00:02:00Z", "3", "2026-01-01T00:00:00Z", "1", "2026-01-01T00:01:00Z", "2")+"</MetricDataResults>"))
	got, err := awsmetrics.New(s.Config(), s.URL).Data(context.Background(), metrics.Request{
		Start: t0, End: t2, Period: 60, Queries: request.Queries[:1]})
	if err != nil {
		t.Fatal(err)
	}
	want := []metrics.Series{{ID: "cpu", Timestamps: []time.Time{t0, t1, t2}, Values: []float64{1, 2, 3}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("series = %+v\nwant %+v", got, want)
	}
}

func TestDataErrors(t *testing.T) {
	for _, c := range []struct {
		code    string
		invalid bool
	}{
		{"ValidationError", true},
		{"InvalidParameterValue", true},
		{"InvalidParameterCombination", true},
		{"MissingParameter", true},
		{"InvalidNextToken", false},
		{"Throttling", false},
		{"InternalServiceError", false},
	} {
		t.Run(c.code, func(t *testing.T) {
			s := awstest.New(t)
			s.On("GetMetricData", awstest.AWSErr(c.code, "the "+c.code+" message"))
			_, err := awsmetrics.New(s.Config(), s.URL).Data(context.Background(), request)
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, metrics.ErrInvalid) != c.invalid {
				t.Errorf("errors.Is(%v, ErrInvalid) = %v, want %v", err, !c.invalid, c.invalid)
			}
			if !strings.Contains(err.Error(), "the "+c.code+" message") {
				t.Errorf("%v does not carry CloudWatch's message", err)
			}
		})
	}
}
