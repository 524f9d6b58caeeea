// Package boot wires Berth's Lambda functions: it reads the environment,
// builds the AWS clients once per cold start and hands one route to the
// Lambda runtime through aws-lambda-go-api-proxy. A function's main.go is
// one call to Lambda, naming the adapters its route needs beyond the table
// (Ports), so that each binary links only the AWS clients it uses.
package boot

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/berth-dev/berth/shared/api"
	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/auth"
	"github.com/berth-dev/berth/shared/authorizer"
	"github.com/berth-dev/berth/shared/awsenv"
	"github.com/berth-dev/berth/shared/composefile"
	"github.com/berth-dev/berth/shared/configuration"
	"github.com/berth-dev/berth/shared/data"
	"github.com/berth-dev/berth/shared/deploy"
	"github.com/berth-dev/berth/shared/dialect"
	"github.com/berth-dev/berth/shared/jobs"
	"github.com/berth-dev/berth/shared/logs"
	"github.com/berth-dev/berth/shared/metrics"
	"github.com/berth-dev/berth/shared/operations"
	"github.com/berth-dev/berth/shared/registry"
	"github.com/berth-dev/berth/shared/scaling"
	"github.com/berth-dev/berth/shared/shell"
	"github.com/berth-dev/berth/shared/store"
	"github.com/berth-dev/berth/shared/usage"
	"github.com/berth-dev/berth/shared/volumes"
)

// Environment variable names shared with the CDK stack, which sets their values.
const (
	EnvTableName = "BERTH_TABLE_NAME"
	// EnvUsagePlan names the API Gateway usage plan that holds a key per token.
	EnvUsagePlan = "BERTH_USAGE_PLAN"
	// EnvClusterARN is the ECS cluster of tenants' services, for the
	// scaling routes (as for the workflows' steps).
	EnvClusterARN = "BERTH_CLUSTER_ARN"
	// EnvShellRoleARN is the role shell access credentials are issued for
	// (each session narrowed to one environment).
	EnvShellRoleARN = "BERTH_SHELL_ROLE_ARN"
	// EnvListenerARN is a listener of the shared load balancer, whose name
	// RPS scaling policies' resource labels carry.
	EnvListenerARN = "BERTH_LISTENER_ARN"
	// EnvSchedulerRoleARN is the role EventBridge Scheduler assumes to
	// start the run-job workflow, for the cron routes.
	EnvSchedulerRoleARN = "BERTH_SCHEDULER_ROLE_ARN"
	// EnvBackupsBucket is the bucket backups' artefacts live in, for the
	// data routes that name it (Route.Backups).
	EnvBackupsBucket = "BERTH_BACKUPS_BUCKET"
)

// StateMachineEnv is the variable holding a workflow's state machine ARN,
// e.g. BERTH_STATE_MACHINE_PROVISION_APPLICATION.
func StateMachineEnv(w apps.Workflow) string {
	name := []byte(w)
	for i, c := range name {
		switch {
		case c == '-':
			name[i] = '_'
		case c >= 'a' && c <= 'z':
			name[i] = c - 'a' + 'A'
		}
	}
	return "BERTH_STATE_MACHINE_" + string(name)
}

// Lambda serves rt in the Lambda runtime. It exits at init when the
// configuration is incomplete, so a bad deploy fails loudly before any
// request.
func Lambda(rt api.Route, ports Ports) {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	h, err := RouteHandler(rt, os.Getenv, log, ports)
	if err != nil {
		log.Error("cannot start", slog.String("route", rt.Name), slog.String("error", err.Error()))
		os.Exit(1)
	}
	lambda.Start(httpadapter.New(h).ProxyWithContext)
}

// Authorizer serves the API Gateway TOKEN authorizer in the Lambda runtime.
func Authorizer() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	a, err := NewAuthorizer(os.Getenv, log)
	if err != nil {
		log.Error("cannot start", slog.String("function", "authorizer"), slog.String("error", err.Error()))
		os.Exit(1)
	}
	lambda.Start(a.Authorize)
}

// NewAuthorizer builds the authorizer from configuration read through getenv.
func NewAuthorizer(getenv func(string) string, log *slog.Logger) (*authorizer.Authorizer, error) {
	table := getenv(EnvTableName)
	if table == "" {
		return nil, fmt.Errorf("%s is not set", EnvTableName)
	}
	tbl := &store.Table{Client: awsenv.DynamoDB(getenv), Name: table}
	return &authorizer.Authorizer{Auth: &auth.Authenticator{Tokens: tbl, Now: time.Now}, Touch: tbl, Log: log}, nil
}

// Ports are the adapters a route needs beyond the table, each built from
// the Lambda's AWS configuration, what it is configured with, and an
// endpoint override (empty in AWS).
type Ports struct {
	// Workflows starts workflows, for routes that do (Route.Starts).
	Workflows func(cfg aws.Config, arns map[apps.Workflow]string, endpoint string) apps.WorkflowStarter
	// UsageKeys issues tokens' API keys, for routes that do (Route.UsageKeys).
	UsageKeys func(cfg aws.Config, plan, endpoint string) usage.Keys
	// Registry issues container registry logins, for routes that do
	// (Route.Registry).
	Registry func(cfg aws.Config, endpoint string) registry.Credentials
	// Scaling keeps the scaling policies of the services in a cluster, for
	// routes that do (Route.Scaling).
	Scaling func(cfg aws.Config, cluster, endpoint string) scaling.Policies
	// Compose translates docker-compose files, for routes that do
	// (Route.Compose): composego.Translate, which links compose-go.
	Compose composefile.Translator
	// Schedules keeps cron jobs' schedules, which start the run-job state
	// machine as the scheduler role, for routes that do (Route.Schedules).
	Schedules func(cfg aws.Config, stateMachineARN, roleARN, endpoint string) jobs.Schedules
	// Logs reads CloudWatch Logs, for routes that do (Route.Logs).
	Logs func(cfg aws.Config, endpoint string) logs.Reader
	// Metrics reads CloudWatch metrics, for routes that do (Route.Metrics).
	Metrics func(cfg aws.Config, endpoint string) metrics.Reader
	// Shell issues ECS Exec credentials (STS) and finds tasks (ECS), for
	// routes that do (Route.Shell).
	Shell func(cfg aws.Config, stsEndpoint, ecsEndpoint string) shell.Access
	// Secrets writes secret values to Secrets Manager, for routes that do
	// (Route.Secrets).
	Secrets func(cfg aws.Config, endpoint string) configuration.SecretStore
	// Volumes creates and deletes EFS access points, for routes that do
	// (Route.Volumes).
	Volumes func(cfg aws.Config, endpoint string) volumes.AccessPoints
	// Artefacts reads and deletes backups' artefacts in the bucket, for
	// routes that do (Route.Artefacts).
	Artefacts func(cfg aws.Config, bucket, endpoint string) data.Artefacts
}

// Handler builds the http.Handler for the named route from configuration
// read through getenv.
func Handler(route string, getenv func(string) string, log *slog.Logger, ports Ports) (http.Handler, error) {
	rt, err := api.FindRoute(route)
	if err != nil {
		return nil, err
	}
	return RouteHandler(rt, getenv, log, ports)
}

// RouteHandler is Handler for a route the caller holds. A function's
// main.go goes this way, never through api.Routes, so that its binary
// links no other route's handler.
func RouteHandler(rt api.Route, getenv func(string) string, log *slog.Logger, ports Ports) (http.Handler, error) {
	route := rt.Name
	if rt.Compose && ports.Compose == nil {
		return nil, fmt.Errorf("route %s translates compose files, but its function was built without a translator", route)
	}
	if rt.Stateless {
		// It reads no table and calls no AWS service: its function gets neither.
		srv := &api.Server{Authenticate: api.FromGateway, Compose: ports.Compose}
		mux := http.NewServeMux()
		srv.Mount(mux, log, rt)
		mux.Handle("/", api.NoRoute(log))
		return api.CanonicalPaths(log, mux), nil
	}
	table := getenv(EnvTableName)
	if table == "" {
		return nil, fmt.Errorf("%s is not set", EnvTableName)
	}
	cfg := awsenv.Config(getenv)
	db := awsenv.DynamoDB(getenv)
	var starter apps.WorkflowStarter = noWorkflows{}
	if len(rt.Starts) > 0 {
		if ports.Workflows == nil {
			return nil, fmt.Errorf("route %s starts workflows, but its function was built without a workflow starter", route)
		}
		arns := map[apps.Workflow]string{}
		for _, w := range rt.Starts {
			if arns[w] = getenv(StateMachineEnv(w)); arns[w] == "" {
				return nil, fmt.Errorf("%s is not set", StateMachineEnv(w))
			}
		}
		starter = ports.Workflows(cfg, arns, getenv("AWS_ENDPOINT_URL_SFN"))
	}
	tbl := &store.Table{Client: db, Name: table}
	var schedules jobs.Schedules
	if rt.Schedules {
		machine, role := getenv(StateMachineEnv(apps.RunJob)), getenv(EnvSchedulerRoleARN)
		switch {
		case machine == "":
			return nil, fmt.Errorf("%s is not set", StateMachineEnv(apps.RunJob))
		case role == "":
			return nil, fmt.Errorf("%s is not set", EnvSchedulerRoleARN)
		case ports.Schedules == nil:
			return nil, fmt.Errorf("route %s keeps schedules, but its function was built without them", route)
		}
		schedules = ports.Schedules(cfg, machine, role, getenv("AWS_ENDPOINT_URL_SCHEDULER"))
	}
	deployments := deploy.NewService(tbl, starter)
	deployments.SyncInto = tbl.SyncInto
	srv := &api.Server{
		Apps: apps.NewService(tbl, starter), Deploy: deployments, Configuration: configuration.NewService(tbl, deployments, nil), Jobs: jobs.NewService(tbl, starter, schedules), Operations: operations.NewService(tbl, deploy.NewService(tbl, starter)), Tokens: tbl, Audit: tbl, Idempotency: tbl,
		Authenticate: api.FromGateway, UsageKeys: usage.None{},
	}
	srv.Dialects = &dialect.Service{Apps: srv.Apps, Deploy: deployments, Scopes: tbl, Now: time.Now}
	if rt.UsageKeys {
		plan := getenv(EnvUsagePlan)
		if plan == "" {
			return nil, fmt.Errorf("%s is not set", EnvUsagePlan)
		}
		if ports.UsageKeys == nil {
			return nil, fmt.Errorf("route %s issues API keys, but its function was built without them", route)
		}
		srv.UsageKeys = ports.UsageKeys(cfg, plan, getenv("AWS_ENDPOINT_URL_API_GATEWAY"))
	}
	if rt.Registry {
		if ports.Registry == nil {
			return nil, fmt.Errorf("route %s issues registry logins, but its function was built without a registry", route)
		}
		srv.Registry = ports.Registry(cfg, getenv("AWS_ENDPOINT_URL_ECR"))
	}
	if rt.Scaling {
		sc, err := scalingService(rt, getenv, cfg, ports, tbl)
		if err != nil {
			return nil, err
		}
		srv.Scaling = sc
	}
	if err := observability(srv, rt, getenv, cfg, ports, tbl); err != nil {
		return nil, err
	}
	if rt.Secrets {
		if ports.Secrets == nil {
			return nil, fmt.Errorf("route %s writes secrets, but its function was built without a secret store", route)
		}
		srv.Configuration.Secrets = ports.Secrets(cfg, getenv("AWS_ENDPOINT_URL_SECRETS_MANAGER"))
	}
	srv.Volumes = &volumes.Service{Store: tbl, Now: time.Now, Log: log}
	if rt.Volumes {
		if ports.Volumes == nil {
			return nil, fmt.Errorf("route %s changes volumes, but its function was built without EFS", route)
		}
		srv.Volumes.AccessPoints = ports.Volumes(cfg, getenv("AWS_ENDPOINT_URL_EFS"))
	}
	if err := backups(srv, rt, getenv, cfg, ports, tbl, starter); err != nil {
		return nil, err
	}
	srv.Compose = ports.Compose
	mux := http.NewServeMux()
	srv.Mount(mux, log, rt)
	mux.Handle("/", api.NoRoute(log))
	return api.CanonicalPaths(log, mux), nil
}

// backups gives a data route its use cases: the bucket's name to a Backups
// route, and its objects to an Artefacts route.
func backups(srv *api.Server, rt api.Route, getenv func(string) string, cfg aws.Config, ports Ports, tbl *store.Table, starter apps.WorkflowStarter) error {
	srv.Data = &data.Service{Store: tbl, Workflows: starter, Now: time.Now}
	if !rt.Backups {
		return nil
	}
	if srv.Data.Bucket = getenv(EnvBackupsBucket); srv.Data.Bucket == "" {
		return fmt.Errorf("%s is not set", EnvBackupsBucket)
	}
	if rt.Artefacts {
		if ports.Artefacts == nil {
			return fmt.Errorf("route %s reads backups' artefacts, but its function was built without S3", rt.Name)
		}
		srv.Data.Artefacts = ports.Artefacts(cfg, srv.Data.Bucket, getenv("AWS_ENDPOINT_URL_S3"))
	}
	return nil
}

// observability gives a Logs, Metrics or Shell route its use cases.
func observability(srv *api.Server, rt api.Route, getenv func(string) string, cfg aws.Config, ports Ports, tbl *store.Table) error {
	if rt.Logs {
		if ports.Logs == nil {
			return fmt.Errorf("route %s reads logs, but its function was built without a log reader", rt.Name)
		}
		srv.Logs = logs.NewService(tbl, ports.Logs(cfg, getenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS")))
	}
	if rt.Metrics {
		if ports.Metrics == nil {
			return fmt.Errorf("route %s reads metrics, but its function was built without a metrics reader", rt.Name)
		}
		srv.Metrics = &metrics.Service{Store: tbl, Reader: ports.Metrics(cfg, getenv("AWS_ENDPOINT_URL_CLOUDWATCH"))}
		// The load balancer's dimension names the environments' request counts.
		if l := getenv(EnvListenerARN); l != "" {
			lb, err := scaling.LoadBalancerName(l)
			if err != nil {
				return fmt.Errorf("%s: %w", EnvListenerARN, err)
			}
			srv.Metrics.LoadBalancer = lb
		}
	}
	if rt.Shell {
		role := getenv(EnvShellRoleARN)
		switch {
		case role == "":
			return fmt.Errorf("%s is not set", EnvShellRoleARN)
		case ports.Shell == nil:
			return fmt.Errorf("route %s issues shell access, but its function was built without it", rt.Name)
		}
		srv.Shell = &shell.Service{Store: tbl, RoleARN: role, Access: ports.Shell(cfg, getenv("AWS_ENDPOINT_URL_STS"), getenv("AWS_ENDPOINT_URL_ECS"))}
	}
	return nil
}

// scalingService builds the scaling policy use cases of a Scaling route.
func scalingService(rt api.Route, getenv func(string) string, cfg aws.Config, ports Ports, tbl *store.Table) (*scaling.Service, error) {
	cluster, listener := getenv(EnvClusterARN), getenv(EnvListenerARN)
	switch {
	case cluster == "":
		return nil, fmt.Errorf("%s is not set", EnvClusterARN)
	case listener == "":
		return nil, fmt.Errorf("%s is not set", EnvListenerARN)
	case ports.Scaling == nil:
		return nil, fmt.Errorf("route %s changes scaling policies, but its function was built without them", rt.Name)
	}
	lb, err := scaling.LoadBalancerName(listener)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvListenerARN, err)
	}
	return &scaling.Service{Environments: tbl, LoadBalancer: lb,
		Policies: ports.Scaling(cfg, cluster, getenv("AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING"))}, nil
}

// noWorkflows is the starter of routes that start none; using it is a bug.
type noWorkflows struct{}

func (noWorkflows) Start(_ context.Context, e apps.Execution) error {
	return fmt.Errorf("start %s: this function starts no workflows", e.Workflow)
}
