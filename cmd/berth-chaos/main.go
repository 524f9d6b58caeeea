// Command berth-chaos runs mixed lifecycles (applications with a database
// and a filesystem, environments, deployments, deletes) against a local
// Berth whose sandbox cloud fails a share of its calls at random, and
// reports whether everything converged: to ACTIVE and then to gone, with
// no resource orphaned, no record stuck, and no 5xx from the API. It runs
// the same lifecycles without faults first, for the time to compare.
//
//	go run ./cmd/berth-chaos -n 50 -faults 0.1 -seed 42
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/berth-dev/berth/shared/cloud/sandbox"
)

func main() {
	n := flag.Int("n", 50, "lifecycles per run")
	rate := flag.Float64("faults", 0.1, "share of the sandbox's calls that fail at random")
	seed := flag.Uint64("seed", 42, "seed of the random faults")
	parallel := flag.Int("parallel", 10, "lifecycles at a time")
	timeout := flag.Duration("timeout", 3*time.Minute, "longest a lifecycle may take to converge")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()

	// A warm-up: the first local stack builds the step functions' binaries.
	if _, err := run(ctx, config{N: 1, Parallel: 1, Timeout: *timeout, Log: log}); err != nil {
		fmt.Fprintln(os.Stderr, "berth-chaos:", err)
		os.Exit(1)
	}
	calm, err := run(ctx, config{N: *n, Parallel: *parallel, Timeout: *timeout, Faults: sandbox.Faults{}, Log: log})
	if err != nil {
		fmt.Fprintln(os.Stderr, "berth-chaos:", err)
		os.Exit(1)
	}
	stormy, err := run(ctx, config{N: *n, Parallel: *parallel, Timeout: *timeout, Faults: sandbox.Faults{Rate: *rate, Seed: *seed}, Log: log})
	if err != nil {
		fmt.Fprintln(os.Stderr, "berth-chaos:", err)
		os.Exit(1)
	}
	fmt.Printf("berth-chaos: %d mixed lifecycles, %d at a time, on the instant sandbox\n\n", *n, *parallel)
	fmt.Printf("%-28s %14s %14s\n", "", "no faults", fmt.Sprintf("%.0f %% faults", *rate*100))
	row := func(name string, f func(report) string) { fmt.Printf("%-28s %14s %14s\n", name, f(calm), f(stormy)) }
	row("converged", func(r report) string {
		return fmt.Sprintf("%d/%d (%.0f %%)", r.Converged, r.N, 100*float64(r.Converged)/float64(r.N))
	})
	row("orphaned resources", func(r report) string { return fmt.Sprint(len(r.Orphans)) })
	row("records stuck", func(r report) string { return fmt.Sprint(len(r.Stuck)) })
	row("5xx answers", func(r report) string { return fmt.Sprint(r.ServerErrors) })
	row("API requests", func(r report) string { return fmt.Sprint(r.Requests) })
	fmt.Printf("%-28s %14s %14s\n", "faults injected", "-", fmt.Sprintf("%d of %d calls", stormy.Faults.Injected, stormy.Faults.Calls))
	row("time to converge", func(r report) string { return r.Elapsed.Round(10 * time.Millisecond).String() })
	fmt.Printf("\nfault kinds: %v (seed %d)\n", stormy.Faults.Kinds, *seed)
	for _, r := range []report{calm, stormy} {
		for _, f := range r.Failures {
			fmt.Println("  not converged:", f)
		}
		for _, o := range r.Orphans {
			fmt.Println("  orphan:", o)
		}
		for _, s := range r.Stuck {
			fmt.Println("  stuck:", s)
		}
	}
	if !stormy.ok() || !calm.ok() {
		os.Exit(1)
	}
}
