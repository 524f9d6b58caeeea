package metrics

import (
	"errors"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/berth-dev/berth/shared/validation"
)

func FuzzMetricsQuery(f *testing.F) {
	f.Add("", "", "", "")
	f.Add("1764925200000", "1764928800000", "300", "Average,Maximum")
	f.Add("0", "39312000000", "", "Sum, Sum ,SampleCount")
	f.Add("-1", "x", "90", "p99")
	f.Add("9223372036854775807", "1", "86400", "")
	f.Fuzz(func(t *testing.T, start, end, period, stats string) {
		v := url.Values{}
		for k, s := range map[string]string{"startTime": start, "endTime": end, "period": period, "statistics": stats} {
			if s != "" {
				v.Set(k, s)
			}
		}
		p, err := ParseQuery(v, now)
		if err != nil {
			var errs validation.Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("not a validation error: %v", err)
			}
			for _, f := range errs.Fields() {
				if !slices.Contains([]string{"startTime", "endTime", "period", "statistics"}, f) {
					t.Fatalf("error names %q", f)
				}
			}
			return
		}
		window := p.End.Sub(p.Start)
		if window <= 0 || window > MaxWindow {
			t.Fatalf("window %s..%s accepted", p.Start, p.End)
		}
		if p.Period < MinPeriod || p.Period > MaxPeriod || p.Period%60 != 0 {
			t.Fatalf("period %d accepted", p.Period)
		}
		step := time.Duration(p.Period) * time.Second
		n := int(window / step)
		if window%step != 0 {
			n++ // a part of a period is a point too
		}
		if n > MaxPoints || n < 1 {
			t.Fatalf("%d points accepted (%s by %d s)", n, window, p.Period)
		}
		if len(p.Statistics) == 0 {
			t.Fatal("no statistic")
		}
		for i, s := range p.Statistics {
			if !slices.Contains(Statistics, s) || slices.Contains(p.Statistics[:i], s) {
				t.Fatalf("statistics %v", p.Statistics)
			}
		}
		if end == "" && !p.End.Equal(now.Truncate(time.Minute)) {
			t.Fatalf("without endTime: %s", p.End)
		}
	})
}
