package main

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// mixSummary prints the mixed load: one line per operation, then the total.
func mixSummary(w io.Writer, m *LoadMixReport) {
	fmt.Fprintf(w, "\n6. Mixed load, open loop: %.0f rps offered for %.0f s (%d requests); sent at %.1f rps, answered at %.1f rps; "+
		"%d late arrivals (≥10 ms behind schedule, generator max lag %.2f ms)\n", m.Rate, m.Seconds, m.Requests, m.SentRate, m.AnsweredRate, m.Late, m.MaxLagMs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "operation\trequests\t2xx\t4xx\t429\t503+RA\t503 no RA\t5xx other\tno answer\tp50 ms\tp99 ms\t")
	line := func(name string, n int, c statusClasses, p50, p99 float64) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%.2f\t%.2f\t\n", name, n, c.OK, c.ClientError, c.TooManyRequests,
			c.BusyRetryAfter, c.BusyNoRetryAfter, c.ServerErrorOther, c.NoAnswer, p50, p99)
	}
	for _, op := range m.Operations {
		line(op.Name, op.Requests, op.Classes, op.P50ms, op.P99ms)
	}
	line("all", m.Requests, m.Classes, m.P50ms, m.P99ms)
	_ = tw.Flush()
	for _, op := range m.Operations {
		fmt.Fprintf(w, "   %s statuses: %v\n", op.Name, op.Statuses)
	}
	for _, s := range m.Samples {
		fmt.Fprintf(w, "   sample: %s\n", s)
	}
	fmt.Fprintf(w, "   backpressure, not errors: %s\n", yes(m.Meets))
}
