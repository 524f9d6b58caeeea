package awsmetrics_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/berth-dev/berth/shared/cloud/awscloud/awstest"
	"github.com/berth-dev/berth/shared/metrics"
	"github.com/berth-dev/berth/shared/metrics/awsmetrics"
)

// TestFaultsData: with 30 % of attempts faulting, the SDK's retryer
// carries a metrics query through to its series.
func TestFaultsData(t *testing.T) {
	awstest.Survive(t, 0.3, 30, func(s *awstest.Stub, cfg aws.Config) error {
		s.On("GetMetricData", awstest.OK("<MetricDataResults>"+result("cpu", "2026-01-01T00:00:00Z", "1")+"</MetricDataResults>"))
		got, err := awsmetrics.New(cfg, s.URL).Data(context.Background(), metrics.Request{Start: t0, End: t2, Period: 60, Queries: request.Queries[:1]})
		if err != nil {
			return err
		}
		if want := []metrics.Series{{ID: "cpu", Timestamps: []time.Time{t0}, Values: []float64{1}}}; !reflect.DeepEqual(got, want) {
			return fmt.Errorf("series %+v", got)
		}
		return nil
	})
}
