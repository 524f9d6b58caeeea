// Command berth-local runs Berth on this machine: DynamoDB Local and the
// whole API on one port, with the workflows running in local Step
// Functions against the sandbox cloud, and beside the API the API
// reference (/docs) and the web console (/console). `make run` starts it.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/berth-dev/berth/shared/cloud/sandbox"
	"github.com/berth-dev/berth/shared/localstack"
	"github.com/berth-dev/berth/shared/stepboot"
	"github.com/berth-dev/berth/web"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	if err := run(log); err != nil {
		log.Error("berth-local stopped", slog.String("error", err.Error()))
		os.Exit(1)
	}
}

func run(log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	port := envOr("BERTH_PORT", "3000")
	ddbPort, _ := strconv.Atoi(os.Getenv("BERTH_DYNAMODB_PORT"))
	if err := os.MkdirAll(".berth", 0o755); err != nil {
		return err
	}
	ddbLog, err := os.Create(filepath.Join(".berth", "dynamodb-local.log"))
	if err != nil {
		return err
	}
	defer ddbLog.Close()

	profile, err := sandbox.ProfileNamed(envOr("BERTH_SANDBOX_PROFILE", sandbox.Fast.Name))
	if err != nil {
		return err
	}
	profile.Faults, err = sandboxFaults(os.Getenv)
	if err != nil {
		return err
	}
	heartbeat, err := stepboot.HeartbeatTimeout(os.Getenv)
	if err != nil {
		return err
	}
	sfnLog, err := os.Create(filepath.Join(".berth", "local-sfn.log"))
	if err != nil {
		return err
	}
	defer sfnLog.Close()

	s3Port, _ := strconv.Atoi(os.Getenv("BERTH_S3_PORT"))
	sb := sandbox.New(profile)
	// Data tasks' files: databases, access points and the backups bucket.
	sb.Dir = filepath.Join(".berth", "sandbox")
	stack, err := localstack.Start(ctx, localstack.Config{
		DataDir: os.Getenv("BERTH_DATA_DIR"), DynamoDBPort: ddbPort, Log: log, DynamoDBLog: ddbLog, S3Port: s3Port,
		RunWorkflows: true, Sandbox: sb, WorkflowLog: sfnLog, CacheDecisions: true, HeartbeatTimeout: heartbeat,
	})
	if err != nil {
		return err
	}
	defer stack.Close()

	// The API reference and the console, on the API's origin.
	site := filepath.Join(".berth", "site")
	if err := os.RemoveAll(site); err != nil {
		return err
	}
	if err := web.Build(".", site); err != nil {
		return err
	}

	srv := &http.Server{Addr: "127.0.0.1:" + port, Handler: web.Handler(site, stack.Handler), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("berth is up",
		slog.String("api", "http://"+srv.Addr), slog.String("docs", "http://"+srv.Addr+"/docs/"), slog.String("console", "http://"+srv.Addr+"/console/"),
		slog.String("dynamodb", stack.DynamoDB.Endpoint),
		slog.String("table", stack.Table), slog.String("stepFunctions", stack.Local.SFN.Endpoint),
		slog.String("lambda", stack.Local.LambdaEndpoint), slog.String("cloud", "sandbox ("+profile.Name+"), see GET /_local/sandbox"),
		slog.Float64("sandboxFaults", profile.Faults.Rate), slog.Uint64("sandboxSeed", profile.Faults.Seed),
		slog.String("heartbeatTimeout", heartbeat.String()), slog.String("s3", stack.S3URL), slog.String("sandboxFiles", sb.Dir))

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// sandboxFaults reads BERTH_SANDBOX_FAULTS, the share of the sandbox's
// calls that fail at random (0, none, by default), and BERTH_SANDBOX_SEED,
// their seed: random when unset, and logged at startup so that a run can
// be repeated.
func sandboxFaults(getenv func(string) string) (sandbox.Faults, error) {
	var f sandbox.Faults
	if v := getenv("BERTH_SANDBOX_FAULTS"); v != "" {
		rate, err := strconv.ParseFloat(v, 64)
		if err != nil || rate < 0 || rate > 1 {
			return f, fmt.Errorf("BERTH_SANDBOX_FAULTS=%q: want a share of calls from 0 to 1, such as 0.1", v)
		}
		f.Rate = rate
	}
	f.Seed = rand.Uint64()
	if v := getenv("BERTH_SANDBOX_SEED"); v != "" {
		seed, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return f, fmt.Errorf("BERTH_SANDBOX_SEED=%q: want a whole number, such as 42", v)
		}
		f.Seed = seed
	}
	return f, nil
}
