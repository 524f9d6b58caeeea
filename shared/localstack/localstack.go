// Package localstack assembles Berth on one machine: DynamoDB Local, the
// table, and every API route on one http.ServeMux, with the same handlers,
// store and use cases that run in Lambda. `make run` and the integration
// tests both start it.
package localstack

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/berth-dev/berth/shared/api"
	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/auth"
	"github.com/berth-dev/berth/shared/authorizer"
	"github.com/berth-dev/berth/shared/cloud/sandbox"
	"github.com/berth-dev/berth/shared/composefile/composego"
	"github.com/berth-dev/berth/shared/configuration"
	"github.com/berth-dev/berth/shared/data"
	"github.com/berth-dev/berth/shared/data/awsartefacts"
	"github.com/berth-dev/berth/shared/deploy"
	"github.com/berth-dev/berth/shared/dialect"
	"github.com/berth-dev/berth/shared/dynamolocal"
	"github.com/berth-dev/berth/shared/jobs"
	"github.com/berth-dev/berth/shared/logs"
	"github.com/berth-dev/berth/shared/metrics"
	"github.com/berth-dev/berth/shared/operations"
	"github.com/berth-dev/berth/shared/ratelimit"
	"github.com/berth-dev/berth/shared/scaling"
	"github.com/berth-dev/berth/shared/shell"
	"github.com/berth-dev/berth/shared/store"
	"github.com/berth-dev/berth/shared/usage"
	"github.com/berth-dev/berth/shared/volumes"
	"github.com/berth-dev/berth/shared/workflow"
)

// Config configures a Stack.
type Config struct {
	// Table is the table name; "berth" when empty.
	Table string
	// DataDir keeps DynamoDB Local's data on disk; empty keeps it in memory.
	DataDir string
	// DynamoDBPort is DynamoDB Local's port; 0 picks a free one.
	DynamoDBPort int
	Log          *slog.Logger
	// DynamoDBLog receives DynamoDB Local's output; nil discards it.
	DynamoDBLog *os.File
	// ClientOptions are applied to the DynamoDB client the API uses.
	ClientOptions []func(*dynamodb.Options)
	// RunWorkflows runs the real state machines locally (local Step
	// Functions, the step functions behind a local Lambda endpoint, the
	// sandbox cloud). Without it, started executions are only recorded.
	RunWorkflows bool
	// Sandbox is the cloud the workflows provision in, and which keeps
	// scaling policies; a Fast one when nil.
	Sandbox *sandbox.Sandbox
	// NoWaits makes the workflows' Wait states last 0 s (tests on the Instant sandbox).
	NoWaits bool
	// HeartbeatTimeout is how long a run may go without a heartbeat before
	// teardown takes over (provision.Platform.HeartbeatTimeout); the
	// default when zero.
	HeartbeatTimeout time.Duration
	// WorkflowLog receives local Step Functions' log; nil discards it.
	WorkflowLog io.Writer
	// RateLimit is each token's rate in requests a second, with bursts of
	// twice that; ratelimit.TokenRate, as in the CDK stack's usage plan, when zero.
	RateLimit float64
	// S3Port is the local S3's port, which serves the backups bucket from
	// the sandbox's files (download URLs point at it); 0 picks a free one.
	S3Port int
	// CacheDecisions keeps the authorizer's allow decisions for
	// authorizer.CacheTTL, as API Gateway does: a revoked token then works
	// for up to that long. Off, every request runs the authorizer.
	CacheDecisions bool
}

// Stack is a running local Berth.
type Stack struct {
	Handler http.Handler
	// Server is the API behind Handler, for tests that swap a port.
	Server    *api.Server
	Workflows *workflow.Recorder
	// Local is the local twin of the workflows, with RunWorkflows.
	Local *Workflows
	// Sandbox is the cloud: the workflows' (with RunWorkflows), and the
	// scaling policies'.
	Sandbox  *sandbox.Sandbox
	DynamoDB *dynamolocal.Server
	Client   *dynamodb.Client
	Table    string
	// S3URL is the local S3 (sandbox.Objects over the sandbox's files),
	// where the backups bucket is and download URLs point.
	S3URL string
	s3    *http.Server
}

// Start starts DynamoDB Local, creates the table and mounts the API.
func Start(ctx context.Context, cfg Config) (*Stack, error) {
	if cfg.Table == "" {
		cfg.Table = "berth"
	}
	if cfg.RateLimit == 0 {
		cfg.RateLimit = ratelimit.TokenRate
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewJSONHandler(os.Stdout, nil))
	}
	ddb, err := dynamolocal.Start(ctx, dynamolocal.Options{Port: cfg.DynamoDBPort, DataDir: cfg.DataDir, Log: cfg.DynamoDBLog})
	if err != nil {
		return nil, err
	}
	client := ddb.Client(cfg.ClientOptions...)
	if err := store.EnsureTable(ctx, client, cfg.Table); err != nil {
		_ = ddb.Stop()
		return nil, err
	}
	if cfg.Sandbox == nil {
		cfg.Sandbox = sandbox.New(sandbox.Fast)
	}
	rec := &workflow.Recorder{}
	var starter apps.WorkflowStarter = rec
	var local *Workflows
	if cfg.RunWorkflows {
		// The step functions are their own Lambdas in AWS, with their own client.
		local, err = StartWorkflows(ctx, WorkflowsConfig{Store: &store.Table{Client: ddb.Client(), Name: cfg.Table}, Sandbox: cfg.Sandbox, Log: cfg.WorkflowLog, NoWaits: cfg.NoWaits,
			HeartbeatTimeout: cfg.HeartbeatTimeout})
		if err != nil {
			_ = ddb.Stop()
			return nil, err
		}
		starter = local.Starter
	}
	tbl := &store.Table{Client: client, Name: cfg.Table}
	s3, s3URL, err := startS3(cfg.Sandbox, cfg.S3Port)
	if err != nil {
		_ = ddb.Stop()
		if local != nil {
			_ = local.Close()
		}
		return nil, err
	}
	// The authorizer is its own Lambda in AWS, with its own client.
	authTable := &store.Table{Client: ddb.Client(), Name: cfg.Table}
	authz := &authorizer.Authorizer{Auth: &auth.Authenticator{Tokens: authTable, Now: time.Now}, Touch: authTable, Log: cfg.Log}
	authenticate := api.ThroughAuthorizer(authz)
	if cfg.CacheDecisions {
		cache := &decisionCache{next: authenticate, ttl: authorizer.CacheTTL, now: time.Now, entries: map[string]decision{}}
		authenticate = cache.authenticate
	}
	deployments := deploy.NewService(tbl, starter)
	deployments.SyncInto = tbl.SyncInto
	logReader := logs.NewService(tbl, cfg.Sandbox.Logs())
	logReader.Poll = 200 * time.Millisecond // the sandbox's clock runs fast
	srv := &api.Server{
		// Logs, metrics, shell access and secrets come from the sandbox.
		Logs: logReader, Metrics: &metrics.Service{Store: tbl, Reader: cfg.Sandbox.Metrics(), LoadBalancer: sandbox.LoadBalancer},
		Shell:         &shell.Service{Store: tbl, Access: cfg.Sandbox.Access(), RoleARN: "arn:aws:iam::" + sandbox.Account + ":role/berth-shell"},
		Configuration: configuration.NewService(tbl, deployments, cfg.Sandbox.Secrets()),
		Apps:          apps.NewService(tbl, starter), Deploy: deployments, Jobs: jobs.NewService(tbl, starter, cfg.Sandbox.Schedules()), Operations: operations.NewService(tbl, deploy.NewService(tbl, starter)), Tokens: tbl, Audit: tbl, Idempotency: tbl,
		Authenticate: authenticate, UsageKeys: usage.None{},
		// No registry runs locally; logins have ECR's shape and expire as its do.
		Registry: sandbox.Registry{}, Compose: composego.Translate,
		// Scaling policies act at once, on the sandbox the workflows provision in.
		Scaling: &scaling.Service{Environments: tbl, Policies: cfg.Sandbox.ScalingPolicies(), LoadBalancer: sandbox.LoadBalancer},
		// Volumes are access points in the sandbox, made at once.
		Volumes: &volumes.Service{Store: tbl, AccessPoints: cfg.Sandbox, Now: time.Now, Log: cfg.Log},
		// Backups' artefacts are files the sandbox's data tasks write, behind
		// the local S3, through the real S3 client.
		Data: &data.Service{Store: tbl, Workflows: starter, Bucket: LocalBackupsBucket, Now: time.Now,
			Artefacts: awsartefacts.New(localS3Config(), LocalBackupsBucket, s3URL)},
		Limiter: &ratelimit.Buckets{Rate: cfg.RateLimit, Burst: 2 * cfg.RateLimit},
	}
	srv.Dialects = &dialect.Service{Apps: srv.Apps, Deploy: deployments, Scopes: tbl, Now: time.Now}
	mux := http.NewServeMux()
	srv.Mount(mux, cfg.Log, api.Routes()...)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
	})
	if local == nil {
		// Without RunWorkflows, this shows what would have started.
		mux.HandleFunc("GET /_local/executions", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"executions": rec.Started()})
		})
	}
	handler := api.CanonicalPaths(cfg.Log, mux)
	if local != nil {
		// What the sandbox holds, to check that teardown leaves nothing.
		mux.HandleFunc("GET /_local/sandbox", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			// Log groups by their event count, and secrets by their version
			// ids: never a secret's value.
			_ = json.NewEncoder(w).Encode(map[string]any{"profile": local.Sandbox.Profile.Name, "faults": local.Sandbox.FaultStats(), "resources": local.Sandbox.Resources(),
				"tasks": local.Sandbox.Tasks(), "schedules": local.Sandbox.Schedules().List(),
				"logGroups": local.Sandbox.LogGroups(), "secrets": local.Sandbox.SecretList()})
		})
		// The sandbox databases' marker rows, which backups, restores and
		// syncs move.
		mux.HandleFunc("GET /_local/sandbox/databases/{identifier}/marker", serveMarker(local.Sandbox))
		mux.HandleFunc("PUT /_local/sandbox/databases/{identifier}/marker", serveMarker(local.Sandbox))
		// The reconciler, on demand (`make reconcile`).
		mux.HandleFunc("POST /_local/reconcile", local.serveReconcile(tbl))
		handler = sandboxHeader(handler)
	}
	mux.Handle("/", api.NoRouteOf(cfg.Log, api.Routes()))
	return &Stack{Handler: handler, Server: srv, Workflows: rec, Local: local, Sandbox: cfg.Sandbox, DynamoDB: ddb, Client: client, Table: cfg.Table,
		S3URL: s3URL, s3: s3}, nil
}

// sandboxHeader tells every response that its cloud is the sandbox.
func sandboxHeader(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Berth-Cloud", "sandbox")
		next.ServeHTTP(w, r)
	})
}

// Close stops the local workflows and DynamoDB Local.
func (s *Stack) Close() error {
	var errs []error
	errs = append(errs, s.s3.Close())
	if s.Local != nil {
		errs = append(errs, s.Local.Close())
	}
	errs = append(errs, s.DynamoDB.Stop())
	return errors.Join(errs...)
}
