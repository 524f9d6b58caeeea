package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// shortfalls names every figure short of its goal.
func shortfalls(r *Results) []string {
	out := []string{}
	if cs := r.ColdStart; cs != nil {
		for _, f := range cs.Functions {
			if !f.Meets {
				out = append(out, fmt.Sprintf("cold start: %s is %.2f× (p50) / %.2f× (p90) the floor, goal ≤ %.2f×", f.Function, f.RatioP50, f.RatioP90, f.Limit))
			}
		}
	}
	for _, s := range r.Sizes {
		if s.Meets != nil && !*s.Meets {
			out = append(out, fmt.Sprintf("size: %s is %.2f MiB raw, %.3f× the floor, goal ≤ %.2f×", s.Function, s.RawMiB, s.Ratio, s.Limit))
		}
	}
	for _, p := range r.PerRequest {
		if !p.MeetsCalls {
			out = append(out, fmt.Sprintf("DynamoDB calls: %s makes %.0f (%.0f writes, %.0f conditional), goal 1 per read, 1 conditional write per mutation",
				p.Route, p.DynamoDBCalls, p.Writes, p.ConditionalWrites))
		}
	}
	if l := r.Load; l != nil {
		for _, s := range l.Steps {
			if !s.Meets {
				out = append(out, fmt.Sprintf("load at %.0f rps: API p99 %.2f× (get) / %.2f× (create) the raw GetItem p99, errors %d/%d/%d; goal ≤ 1.5×, 0 errors "+
					"(the create's own raw calls: p99 %.2f ms, %d errors; the create is %.2f× them)",
					s.Rate, s.GetRatioP99, s.CreateRatioP99, s.GetApplication.Errors, s.CreateEnvironment.Errors, s.RawGetItem.Errors,
					s.RawCreateCalls.P99ms, s.RawCreateCalls.Errors, s.CreateToRawCallsP99))
			}
		}
	}
	if m := r.LoadMix; m != nil && !m.Meets {
		out = append(out, fmt.Sprintf("mixed load at %.0f rps: %s; goal: no 5xx but 503 with Retry-After, every request answered", m.Rate, strings.Join(m.Unmet, ", ")))
	}
	if w := r.Workflows; w != nil && !w.Meets {
		out = append(out, fmt.Sprintf("workflow: %d transitions, time to ready %.3f× the critical path; goal ≤ 30, ≤ 1.05×", w.Transitions, w.Ratio))
	}
	return out
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "NO"
}

func summary(w io.Writer, r *Results) {
	m := r.Machine
	fmt.Fprintf(w, "\nmake bench on %s, %d cores, %s, %s (kernel %s), commit %s, %s%s\n",
		m.CPU, m.Cores, m.GoVersion, m.OSArch, m.Kernel, m.Commit, m.Date, map[bool]string{true: " (BENCH_QUICK)", false: ""}[r.Quick])
	fmt.Fprintln(w, "Ratios are comparable across machines; absolute times are not.")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	if cs := r.ColdStart; cs != nil {
		fmt.Fprintf(w, "\n1. Cold start: process start to first GET /invocation/next, %d starts each; ratios to the floor (hello-world + one GetItem) p50 %.2f ms, p90 %.2f ms; hello-world p50 %.2f ms\n", cs.Starts, cs.FloorP50, cs.FloorP90, cs.HelloP50)
		fmt.Fprintln(tw, "function\tp50 ms\tp90 ms\tp50 ×\tp90 ×\tgoal\tmet\tinit allocs\tinit KiB\tinit ms\tslowest init\t")
		for _, f := range cs.Functions {
			top := ""
			if f.Init != nil && len(f.Init.Top) > 0 {
				top = fmt.Sprintf("%s %.2f ms", f.Init.Top[0].Package, f.Init.Top[0].ClockMs)
			}
			var allocs, kib, ms float64
			if f.Init != nil {
				allocs, kib, ms = float64(f.Init.Allocs), float64(f.Init.Bytes)/1024, f.Init.ClockMs
			}
			fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%.2f\t%.2f\t≤%.2f\t%s\t%.0f\t%.0f\t%.2f\t%s\t\n", f.Function, f.P50ms, f.P90ms, f.RatioP50, f.RatioP90, f.Limit, yes(f.Meets), allocs, kib, ms, top)
		}
		if cs.HelloInit != nil {
			fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t\t\t\t\t%d\t%.0f\t%.2f\t\t\n", "(hello-world)", cs.HelloP50, cs.HelloP90, cs.HelloInit.Allocs, float64(cs.HelloInit.Bytes)/1024, cs.HelloInit.ClockMs)
		}
		if cs.FloorInit != nil {
			fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t1.00\t1.00\t\t\t%d\t%.0f\t%.2f\t\t\n", "(floor)", cs.FloorP50, cs.FloorP90, cs.FloorInit.Allocs, float64(cs.FloorInit.Bytes)/1024, cs.FloorInit.ClockMs)
		}
		_ = tw.Flush()
	}
	if len(r.Sizes) > 0 {
		fmt.Fprintln(w, "\n2. Artifact size: linux/arm64 bootstrap, release flags")
		fmt.Fprintln(tw, "function\traw MiB\tzipped MiB\t× floor\tgoal\tmet\t")
		for _, s := range r.Sizes {
			switch {
			case s.Function == hello:
				fmt.Fprintf(tw, "(hello-world)\t%.2f\t%.2f\t\t\t\t\n", s.RawMiB, s.ZippedMiB)
			case s.Function == floor:
				fmt.Fprintf(tw, "(floor: hello-world + one DynamoDB GetItem)\t%.2f\t%.2f\t1.000\t\t\t\n", s.RawMiB, s.ZippedMiB)
			default:
				fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%.3f\t≤%.2f\t%s\t\n", s.Function, s.RawMiB, s.ZippedMiB, s.Ratio, s.Limit, yes(s.Meets != nil && *s.Meets))
			}
		}
		_ = tw.Flush()
	}
	if len(r.PerRequest) > 0 {
		fmt.Fprintln(w, "\n3. Per-request work: event bytes → response bytes, DynamoDB stubbed in-process; plain = a plain aws-lambda-go handler")
		fmt.Fprintln(tw, "route\tns/op\tB/op\tallocs/op\tDynamoDB calls\twrites\tconditional\tcalls goal\tplain ns/op\t× plain ns\t× plain allocs\t")
		for _, p := range r.PerRequest {
			fmt.Fprintf(tw, "%s\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%s\t%.0f\t%.2f\t%.2f\t\n", p.Route, p.NsPerOp, p.BytesPerOp, p.AllocsPerOp,
				p.DynamoDBCalls, p.Writes, p.ConditionalWrites, yes(p.MeetsCalls), p.PlainNsPerOp, p.RatioNs, p.RatioAllocs)
		}
		_ = tw.Flush()
	}
	if l := r.Load; l != nil {
		fmt.Fprintf(w, "\n4. Open-loop load (latency from the scheduled send time): %s\n", l.Setup)
		for _, name := range []string{"getApplication", "createEnvironment", "rawGetItem", "rawCreateCalls"} {
			st := l.ServiceTimes[name]
			fmt.Fprintf(w, "   one at a time: %-18s p50 %.2f ms, p99 %.2f ms, %.2f DynamoDB calls on the API's client\n", name, st.P50ms, st.P99ms, st.DynamoDBCalls)
		}
		fmt.Fprintln(tw, "rps\toperation\trequests\terrors\tp50 ms\tp99 ms\tmax ms\tp99 × raw\t")
		for _, s := range l.Steps {
			fmt.Fprintf(tw, "%.0f\tGET application\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t\n", s.Rate, s.GetApplication.Requests, s.GetApplication.Errors, s.GetApplication.P50ms, s.GetApplication.P99ms, s.GetApplication.MaxMs, s.GetRatioP99)
			fmt.Fprintf(tw, "%.0f\tcreate environment\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t\n", s.Rate, s.CreateEnvironment.Requests, s.CreateEnvironment.Errors, s.CreateEnvironment.P50ms, s.CreateEnvironment.P99ms, s.CreateEnvironment.MaxMs, s.CreateRatioP99)
			fmt.Fprintf(tw, "%.0f\traw SDK GetItem\t%d\t%d\t%.2f\t%.2f\t%.2f\t1.00\t\n", s.Rate, s.RawGetItem.Requests, s.RawGetItem.Errors, s.RawGetItem.P50ms, s.RawGetItem.P99ms, s.RawGetItem.MaxMs)
			fmt.Fprintf(tw, "%.0f\traw calls of a create\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t\n", s.Rate, s.RawCreateCalls.Requests, s.RawCreateCalls.Errors, s.RawCreateCalls.P50ms, s.RawCreateCalls.P99ms, s.RawCreateCalls.MaxMs, s.RawCreateCalls.P99ms/max(s.RawGetItem.P99ms, 1e-9))
		}
		_ = tw.Flush()
		for _, s := range l.Steps {
			for _, e := range slices.Concat(s.GetApplication.ErrorSeen, s.CreateEnvironment.ErrorSeen, s.RawGetItem.ErrorSeen, s.RawCreateCalls.ErrorSeen) {
				fmt.Fprintf(w, "  error at %.0f rps: %s\n", s.Rate, e)
			}
		}
	}
	if m := r.LoadMix; m != nil {
		mixSummary(w, m)
	}
	if wf := r.Workflows; wf != nil {
		fmt.Fprintf(w, "\n5. Workflow economy (provision-application, seed app with RDS + EFS + ECS, realistic sandbox):\n"+
			"   %d state transitions (goal ≤ 30), %d history events; time to ready %.2f s = %.3f× the critical path %.1f s (goal ≤ 1.05×; one after another would be %.1f s)\n",
			wf.Transitions, wf.HistoryEvents, wf.TimeToReadySec, wf.Ratio, wf.CriticalPathSec, wf.SumOfResources)
		if d := wf.Deployment; d != nil {
			fmt.Fprintf(w, "   deploy-environment (a redeploy of production with a new tag): %d state transitions, %d history events; time to steady state %.2f s = %.3f× the rollout %.1f s\n",
				d.Transitions, d.HistoryEvents, d.SteadySec, d.Ratio, d.CriticalPathSec)
		}
		if c := wf.Command; c != nil {
			fmt.Fprintf(w, "   run-job (echo hello on production): %d state transitions; POST to SUCCEEDED %.2f s = %.3f× the sandbox's task start %.1f s\n",
				c.Transitions, c.PostToEndSec, c.Ratio, c.TaskStartSec)
		}
	}
	fmt.Fprintf(w, "\nShort of the goals (%d):\n", len(r.Shortfalls))
	for _, s := range r.Shortfalls {
		fmt.Fprintln(w, "  - "+s)
	}
	for k, v := range r.Errors {
		fmt.Fprintf(w, "ERROR in %s: %s\n", k, strings.TrimSpace(v))
	}
	fmt.Fprintf(w, "\n(%.0f s)\n", r.DurationSec)
}
