// Command berth-bench is the runner of `make bench`: cold start and
// artifact size of every function, per-request work (from the Go
// benchmarks' output), load through the local stack, and the workflows'
// economy. It prints a summary and writes JSON (bench/results/latest.json).
// Figures are ratios wherever they can be, and carry the machine's
// description: never compare absolutes across machines.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// Results is the JSON the runner writes.
type Results struct {
	Machine     Machine           `json:"machine"`
	Quick       bool              `json:"quick"`
	Goals       map[string]string `json:"goals"`
	ColdStart   *ColdStart        `json:"coldStart,omitempty"`
	Sizes       []Size            `json:"artifactSizes,omitempty"`
	PerRequest  []PerRequest      `json:"perRequest,omitempty"`
	Load        *LoadReport       `json:"load,omitempty"`
	LoadMix     *LoadMixReport    `json:"loadMix,omitempty"`
	Workflows   *WorkflowReport   `json:"workflows,omitempty"`
	Shortfalls  []string          `json:"shortfalls"`
	DurationSec float64           `json:"runSeconds"`
	Errors      map[string]string `json:"errors,omitempty"`
	Notes       map[string]string `json:"notes"`
}

// Machine describes where the figures were taken.
type Machine struct {
	CPU       string `json:"cpu"`
	Cores     int    `json:"cores"`
	GoVersion string `json:"goVersion"`
	OSArch    string `json:"osArch"`
	Kernel    string `json:"kernel,omitempty"`
	Date      string `json:"date"`
	Commit    string `json:"commit,omitempty"`
}

func machine() Machine {
	m := Machine{Cores: runtime.NumCPU(), GoVersion: runtime.Version(), OSArch: runtime.GOOS + "/" + runtime.GOARCH,
		Date: time.Now().UTC().Format(time.RFC3339), CPU: "unknown"}
	if raw, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(raw), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if raw, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(raw))
	}
	if out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
	}
	return m
}

func main() {
	quick := flag.Bool("quick", os.Getenv("BENCH_QUICK") == "1", "fewer starts and shorter load (also BENCH_QUICK=1)")
	out := flag.String("out", "bench/results/latest.json", "where to write the JSON results")
	gobench := flag.String("gobench", "", "output of `go test -bench` to read the per-request figures from")
	only := flag.String("only", "", "comma-separated sections to run: coldstart,sizes,requests,load,loadmix,workflows (default all)")
	starts := flag.Int("starts", 0, "cold starts per function (default 30, 10 with -quick)")
	loadSecs := flag.Int("load-seconds", 0, "seconds per load step (default 30, 5 with -quick)")
	mixRate := flag.Float64("mix-rate", 200, "requests a second offered in the mixed load (loadmix)")
	mixSecs := flag.Int("mix-seconds", 0, "seconds of the mixed load (default 60, 10 with -quick)")
	flag.Parse()

	begin := time.Now()
	run := func(s string) bool { return *only == "" || strings.Contains(","+*only+",", ","+s+",") }
	if *starts == 0 {
		*starts = 30
		if *quick {
			*starts = 10
		}
	}
	if *loadSecs == 0 {
		*loadSecs = 30
		if *quick {
			*loadSecs = 5
		}
	}
	if *mixSecs == 0 {
		*mixSecs = 60
		if *quick {
			*mixSecs = 10
		}
	}
	r := &Results{Machine: machine(), Quick: *quick, Errors: map[string]string{}, Goals: map[string]string{
		"coldStartRatio":  "p50 and p90 against bench/floor (hello-world + one DynamoDB GetItem): API functions ≤ 1.15×, step functions ≤ 1.25×",
		"artifactSize":    "linux/arm64 bootstrap against bench/floor: API functions ≤ 1.10×, step functions ≤ 1.25×",
		"dynamoDBCalls":   "1 per read, 1 conditional write per mutation",
		"load":            "API p99 ≤ 1.5× raw SDK GetItem p99 at the same rate, 0 errors",
		"workflowEconomy": "≤ 30 state transitions; time to ready ≤ 1.05× the critical path",
		"loadMix":         "mixed reads and writes, open loop: no answer ≥500 but 503 with Retry-After, every 503 with Retry-After, every request answered",
	}, Notes: map[string]string{}}

	var bins *Builds
	if run("coldstart") || run("sizes") {
		var err error
		fmt.Fprintln(os.Stderr, "berth-bench: building every function (host and linux/arm64) with the release flags")
		if bins, err = build(); err != nil {
			fail(err)
		}
		defer os.RemoveAll(bins.Dir)
	}
	if run("sizes") {
		sizes, err := measureSizes(bins)
		if err != nil {
			r.Errors["sizes"] = err.Error()
		}
		r.Sizes = sizes
	}
	if run("coldstart") {
		fmt.Fprintf(os.Stderr, "berth-bench: %d cold starts of each of %d functions, the hello-world and the floor\n", *starts, len(bins.Functions))
		cs, err := coldStarts(bins, *starts)
		if err != nil {
			r.Errors["coldStart"] = err.Error()
		}
		r.ColdStart = cs
	}
	if run("requests") && *gobench != "" {
		pr, err := perRequest(*gobench)
		if err != nil {
			r.Errors["perRequest"] = err.Error()
		}
		r.PerRequest = pr
	}
	if run("load") {
		fmt.Fprintf(os.Stderr, "berth-bench: load through the local stack, %d s a step\n", *loadSecs)
		lr, err := loadTest(time.Duration(*loadSecs)*time.Second, *quick)
		if err != nil {
			r.Errors["load"] = err.Error()
		}
		r.Load = lr
	}
	if run("loadmix") {
		mr, err := loadMix(*mixRate, time.Duration(*mixSecs)*time.Second)
		if err != nil {
			r.Errors["loadMix"] = err.Error()
		}
		r.LoadMix = mr
	}
	if run("workflows") {
		fmt.Fprintln(os.Stderr, "berth-bench: the provision-application workflow in the realistic sandbox")
		wr, err := workflowEconomy()
		if err != nil {
			r.Errors["workflows"] = err.Error()
		}
		r.Workflows = wr
	}
	r.Shortfalls = shortfalls(r)
	r.DurationSec = time.Since(begin).Round(time.Second).Seconds()
	if len(r.Errors) == 0 {
		r.Errors = nil
	}
	raw, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		fail(err)
	}
	if err := os.WriteFile(*out, append(raw, '\n'), 0o644); err != nil {
		fail(err)
	}
	summary(os.Stdout, r)
	fmt.Printf("\nwrote %s\n", *out)
	// Backpressure is a goal the bench enforces: a 5xx is a bug, not a figure.
	if len(r.Errors) > 0 || (r.LoadMix != nil && !r.LoadMix.Meets) {
		os.Exit(1)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "berth-bench:", err)
	os.Exit(1)
}
