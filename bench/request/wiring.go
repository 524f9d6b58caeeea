package request

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/berth-dev/berth/shared/composefile/composego"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/berth-dev/berth/shared/api"
	"github.com/berth-dev/berth/shared/apikeys"
	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/auth"
	"github.com/berth-dev/berth/shared/boot"
	"github.com/berth-dev/berth/shared/configuration"
	"github.com/berth-dev/berth/shared/configuration/awssecrets"
	"github.com/berth-dev/berth/shared/data"
	"github.com/berth-dev/berth/shared/data/awsartefacts"
	"github.com/berth-dev/berth/shared/deploy"
	"github.com/berth-dev/berth/shared/deploy/deploytest"
	"github.com/berth-dev/berth/shared/dialect"
	"github.com/berth-dev/berth/shared/ecrlogin"
	"github.com/berth-dev/berth/shared/jobs"
	"github.com/berth-dev/berth/shared/jobs/awsschedules"
	"github.com/berth-dev/berth/shared/logs"
	"github.com/berth-dev/berth/shared/logs/awslogs"
	"github.com/berth-dev/berth/shared/metrics"
	"github.com/berth-dev/berth/shared/metrics/awsmetrics"
	"github.com/berth-dev/berth/shared/operations"
	"github.com/berth-dev/berth/shared/scaling"
	"github.com/berth-dev/berth/shared/scaling/awsscaling"
	"github.com/berth-dev/berth/shared/shell"
	"github.com/berth-dev/berth/shared/shell/awsshell"
	"github.com/berth-dev/berth/shared/stepfunctions"
	"github.com/berth-dev/berth/shared/store"
	"github.com/berth-dev/berth/shared/usage"
	"github.com/berth-dev/berth/shared/volumes"
	"github.com/berth-dev/berth/shared/volumes/awsvolumes"
)

// Table is the table name the benchmarks use.
const Table = "berth-bench"

// Vars is the Lambda environment of every API function, for boot.Handler.
func Vars() map[string]string {
	v := map[string]string{
		boot.EnvTableName: Table, "AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIDBENCH",
		"AWS_SECRET_ACCESS_KEY": "bench", boot.EnvUsagePlan: "berth-tokens",
		boot.EnvClusterARN:       "arn:aws:ecs:eu-west-1:123456789012:cluster/berth",
		boot.EnvListenerARN:      "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/berth/0123456789abcdef/fedcba9876543210",
		boot.EnvSchedulerRoleARN: "arn:aws:iam::123456789012:role/berth-scheduler",
		boot.EnvShellRoleARN:     "arn:aws:iam::123456789012:role/berth-shell",
		// The bucket the backups Seed stores name (deploytest.SeedBackups).
		boot.EnvBackupsBucket: deploytest.BackupsBucket,
	}
	for _, w := range apps.Workflows {
		v[boot.StateMachineEnv(w)] = "arn:aws:states:eu-west-1:123456789012:stateMachine:berth-" + string(w)
	}
	return v
}

// Config is the AWS configuration boot builds from Vars, with client as
// every SDK client's HTTP client.
func Config(client *http.Client) aws.Config {
	v := Vars()
	return aws.Config{
		Region:      v["AWS_REGION"],
		Credentials: credentials.NewStaticCredentialsProvider(v["AWS_ACCESS_KEY_ID"], v["AWS_SECRET_ACCESS_KEY"], ""),
		HTTPClient:  client,
	}
}

// Handler builds route's http.Handler as boot.Handler does, except that
// the AWS clients send through client (boot.Handler cannot take one; its
// clients dial the network). TestMatchesBoot checks the two agree.
func Handler(route string, client *http.Client, log *slog.Logger) (http.Handler, error) {
	rt, err := api.FindRoute(route)
	if err != nil {
		return nil, err
	}
	cfg := Config(client)
	var starter apps.WorkflowStarter
	if len(rt.Starts) > 0 {
		arns := map[apps.Workflow]string{}
		for _, w := range rt.Starts {
			arns[w] = Vars()[boot.StateMachineEnv(w)]
		}
		starter = stepfunctions.New(cfg, arns, "")
	}
	tbl := &store.Table{Client: dynamodb.NewFromConfig(cfg), Name: Table}
	var schedules jobs.Schedules
	if rt.Schedules {
		schedules = awsschedules.New(cfg, Vars()[boot.StateMachineEnv(apps.RunJob)], Vars()[boot.EnvSchedulerRoleARN], "")
	}
	deployments := deploy.NewService(tbl, starter)
	deployments.SyncInto = tbl.SyncInto
	srv := &api.Server{
		Configuration: configuration.NewService(tbl, deployments, nil),
		Apps:          apps.NewService(tbl, starter), Deploy: deployments, Jobs: jobs.NewService(tbl, starter, schedules), Operations: operations.NewService(tbl, deploy.NewService(tbl, starter)), Tokens: tbl, Audit: tbl, Idempotency: tbl,
		Authenticate: api.FromGateway, UsageKeys: usage.None{},
	}
	srv.Dialects = &dialect.Service{Apps: srv.Apps, Deploy: deployments, Scopes: tbl, Now: time.Now}
	if rt.UsageKeys {
		srv.UsageKeys = apikeys.New(cfg, Vars()[boot.EnvUsagePlan], "")
	}
	if rt.Registry {
		srv.Registry = ecrlogin.New(cfg, "")
	}
	if rt.Compose {
		srv.Compose = composego.Translate
	}
	if rt.Scaling {
		lb, err := scaling.LoadBalancerName(Vars()[boot.EnvListenerARN])
		if err != nil {
			return nil, err
		}
		srv.Scaling = &scaling.Service{Environments: tbl, LoadBalancer: lb, Policies: awsscaling.New(cfg, Vars()[boot.EnvClusterARN], "")}
	}
	if rt.Logs {
		srv.Logs = logs.NewService(tbl, awslogs.New(cfg, ""))
	}
	if rt.Metrics {
		lb, err := scaling.LoadBalancerName(Vars()[boot.EnvListenerARN])
		if err != nil {
			return nil, err
		}
		srv.Metrics = &metrics.Service{Store: tbl, Reader: awsmetrics.New(cfg, ""), LoadBalancer: lb}
	}
	if rt.Shell {
		srv.Shell = &shell.Service{Store: tbl, RoleARN: Vars()[boot.EnvShellRoleARN], Access: awsshell.New(cfg, "", "")}
	}
	if rt.Secrets {
		srv.Configuration.Secrets = awssecrets.New(cfg, "")
	}
	srv.Volumes = &volumes.Service{Store: tbl, Now: time.Now, Log: log}
	if rt.Volumes {
		srv.Volumes.AccessPoints = awsvolumes.New(cfg, "")
	}
	// As boot's backups: every route has the data use cases; Backups
	// routes name the bucket, and Artefacts routes reach its objects.
	srv.Data = &data.Service{Store: tbl, Workflows: starter, Now: time.Now}
	if rt.Backups {
		srv.Data.Bucket = Vars()[boot.EnvBackupsBucket]
	}
	if rt.Artefacts {
		srv.Data.Artefacts = awsartefacts.New(cfg, srv.Data.Bucket, "")
	}
	mux := http.NewServeMux()
	srv.Mount(mux, log, rt)
	mux.Handle("/", api.NoRoute(log))
	return api.CanonicalPaths(log, mux), nil
}

// Invoker is what the Lambda runtime calls for an API function: event
// bytes in, response bytes out, through aws-lambda-go's handler and the
// aws-lambda-go-api-proxy adapter boot.Lambda uses.
func Invoker(h http.Handler) lambda.Handler {
	return lambda.NewHandler(httpadapter.New(h).ProxyWithContext)
}

// Event reads events/<name>.json from the repository.
func Event(root, name string) ([]byte, error) {
	return os.ReadFile(filepath.Join(root, "events", name+".json"))
}

// BenchEvent is the event a benchmark repeats: events/<name>.json, except
// that create-environment names an environment the seed did not create
// (the seed ran the file as it is), so that it is a 201 and not a 409.
func BenchEvent(root, name string) ([]byte, error) {
	ev, err := Event(root, name)
	// A create whose event Seed ran creates another: the first exists.
	if r, ok := benchRenames[name]; ok {
		ev = bytes.ReplaceAll(ev, []byte(r[0]), []byte(r[1]))
	}
	// Operation ids name production's uid, which Seed fixes.
	ev = bytes.ReplaceAll(ev, []byte(deploytest.PlaceholderUID), []byte(productionUID))
	return ev, err
}

// productionUID is the uid Seed gives production.
const productionUID = "benchproductionuid00000000000000"

// TokenIDs are the tokens the events act as (the first) and revoke (the second).
var TokenIDs = []string{"0123456789abcdef", "fedcba9876543210"}

// SeedRoutes are run once, in order, before the stub is frozen, so every
// route finds what it reads (the dialects' deletes, their apps).
var SeedRoutes = []string{"create-application", "create-environment", "create-token",
	"cfv3-create-space", "cfv3-create-app", "cfv2-create-space", "cfv2-create-app",
	"qovery-create-environment", "qovery-create-container"}

// benchRenames are, for a route in SeedRoutes, what its benchmark event
// replaces (old, new), so that it creates something Seed did not.
var benchRenames = map[string][2]string{
	"create-environment": {"pr-456", "pr-789"},
	"cfv3-create-app":    {"cf_app", "other_app"},
	"cfv2-create-app":    {"cf2_app", "other2_app"},
	// qovery-delete-container's event deletes q_web, in staging.
	"qovery-create-container": {"q_web", "q_other"},
}

// Seed fills stub as the events expect, then freezes it.
func Seed(ctx context.Context, root string, stub *Stub, log *slog.Logger) error {
	tbl := &store.Table{Client: dynamodb.NewFromConfig(Config(stub.Client())), Name: Table}
	for _, id := range TokenIDs {
		tok := auth.Token{ID: id, SecretHash: auth.HashSecret("bench"), Organisations: []string{"acme"}, Role: auth.RoleAdmin, CreatedAt: time.Now()}
		if err := tbl.CreateToken(ctx, tok); err != nil {
			return err
		}
	}
	for _, route := range SeedRoutes {
		h, err := Handler(route, stub.Client(), log)
		if err != nil {
			return err
		}
		ev, err := Event(root, route)
		if err != nil {
			return err
		}
		out, err := Invoker(h).Invoke(ctx, ev)
		if err != nil {
			return err
		}
		if status := StatusOf(out); status >= 300 {
			return fmt.Errorf("seed %s: %d %s", route, status, out)
		}
	}
	if err := seedDeployments(ctx, tbl, stub); err != nil {
		return err
	}
	stub.Freeze()
	return nil
}

// seedDeployments gives production, as its workflows would, the ACTIVE
// status, releases 1 to 3 (3 serving) and finished deployments 1 to 5,
// which the deployment routes' events read, roll back to and cancel. The
// stub applies no update, so the records are set directly.
func seedDeployments(ctx context.Context, tbl *store.Table, stub *Stub) error {
	env, err := tbl.GetEnvironment(ctx, "acme", "my-app", apps.ProductionEnvironment)
	if err != nil {
		return err
	}
	env.UID = productionUID
	var releases []deploy.Release
	for n := 1; n <= 3; n++ {
		rel := deploy.NewRelease(n, env.Compose, deploy.CauseReplace, TokenIDs[0], time.Now())
		rel.TaskDefinitionARN = fmt.Sprintf("arn:aws:ecs:eu-west-1:123456789012:task-definition/berth-my-app:%d", n)
		releases = append(releases, rel)
	}
	for n := 1; n <= 5; n++ {
		dep := deploy.Deployment{Number: n, Action: deploy.ActionDeploy, Release: 3, PreviousRelease: 2, DesiredCount: 1,
			Status: deploy.StatusInProgress, Execution: deploy.ExecutionName(env.UID, n), CreatedAt: time.Now()}
		if err := tbl.StartDeployment(ctx, env, releases, dep, nil); err != nil {
			return err
		}
		releases = nil
	}
	item := stub.items[key(attrs{"pk": json.RawMessage(`{"S":"ORG#acme#APP#my-app"}`), "sk": json.RawMessage(`{"S":"ENV#production"}`)})]
	item["status"], item["uid"] = json.RawMessage(`{"S":"ACTIVE"}`), json.RawMessage(`{"S":"`+productionUID+`"}`)
	item["outputs"] = json.RawMessage(`{"M":{"serviceName":{"S":"berth-acme-my-app-production"},"targetGroupArn":{"S":"arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/berth-production/0123456789abcdef"},` +
		`"cluster":{"S":"arn:aws:ecs:eu-west-1:123456789012:cluster/berth"},"logGroup":{"S":"/berth/acme/my-app/production"},"filesystemId":{"S":"fs-0123456789abcdef0"}}}`)
	// The volume get-volume reads and delete-volume deletes; create-volume
	// asks for the same again.
	item["volumes"] = json.RawMessage(`{"L":[{"M":{"name":{"S":"uploads"},"description":{"S":"User uploads"},"rootDirectory":{"S":"/_volumes/production/uploads"},` +
		`"accessPointId":{"S":"fsap-0123456789abcdef0"},"accessPointArn":{"S":"arn:aws:elasticfilesystem:eu-west-1:123456789012:access-point/fsap-0123456789abcdef0"},"createdAt":{"S":"2026-12-05T10:00:00Z"}}}]}`)
	// The variable and the secret the configuration events change and delete.
	item["variables"] = json.RawMessage(`{"L":[{"M":{"name":{"S":"APP_MODE"},"value":{"S":"production"}}}]}`)
	item["secrets"] = json.RawMessage(`{"L":[{"M":{"name":{"S":"API_KEY"},"version":{"N":"1"},"valueFrom":{"S":"arn:aws:secretsmanager:eu-west-1:123456789012:secret:bench-AbCdEf:::v-1"},"updatedAt":{"S":"2026-12-05T10:00:00Z"}}}]}`)
	item["release"], item["lastRelease"], item["lastDeployment"] = json.RawMessage(`{"N":"3"}`), json.RawMessage(`{"N":"3"}`), json.RawMessage(`{"N":"5"}`)
	if err := seedJobs(ctx, tbl, env, item); err != nil {
		return err
	}
	return seedData(ctx, tbl, stub)
}

// seedData stores what the data routes' events read, restore, download
// and delete: production's completed database and filesystem backups and
// the restore of the first (deploytest.SeedBackups, with production
// already ACTIVE); and makes pr-456, the sync's target, which the seeded
// create-environment left CREATING, ACTIVE. The routes that start a data
// operation take the environment's lock, which would make a repeat a 409;
// but the stub evaluates no condition and, frozen, keeps no write, so
// each iteration finds the environment as seeded: free.
func seedData(ctx context.Context, tbl *store.Table, stub *Stub) error {
	if _, err := deploytest.SeedBackups(ctx, tbl, deploytest.BackupsBucket, "acme", "my-app", apps.ProductionEnvironment); err != nil {
		return err
	}
	item := stub.items[key(attrs{"pk": json.RawMessage(`{"S":"ORG#acme#APP#my-app"}`), "sk": json.RawMessage(`{"S":"ENV#pr-456"}`)})]
	if item == nil {
		return fmt.Errorf("seed: no environment pr-456 for sync-to-environment")
	}
	item["status"] = json.RawMessage(`{"S":"ACTIVE"}`)
	return nil
}

// seedJobs gives production its schedule group, the command the command
// events read and cancel, and the cron job "nightly" with the run
// get-cron-run reads.
func seedJobs(ctx context.Context, tbl *store.Table, env apps.Environment, item attrs) error {
	group := apps.Target{Organisation: "acme", Application: "my-app", Environment: env.Name, UID: env.UID}.Names().ScheduleGroup()
	item["resources"] = json.RawMessage(`{"M":{"schedule-group#` + group + `":{"M":{"kind":{"S":"schedule-group"},"name":{"S":"` + group + `"}}}}}`)
	now := time.Now()
	code := 0
	runs := []jobs.Run{
		{ID: "20261205T120000-events01", Type: jobs.RunExec, Command: []string{"sleep 600"}, Shell: true, Container: "web", Timeout: time.Hour, Status: jobs.StatusPending, Execution: "bench", CreatedAt: now},
		{ID: "20261205T120000-cron", Type: jobs.RunCron, Cron: "nightly", Command: []string{"true"}, Container: "web", Timeout: time.Hour, Status: jobs.StatusSucceeded, ExitCode: &code, Execution: "bench", CreatedAt: now},
	}
	for _, r := range runs {
		if err := tbl.CreateRun(ctx, env, r); err != nil {
			return err
		}
	}
	return tbl.CreateCron(ctx, env, jobs.Cron{Name: "nightly", Expression: "cron(0 3 * * ? *)", Command: []string{"true"}, Container: "web", Enabled: true, Timeout: time.Hour, CreatedAt: now, UpdatedAt: now, Version: 1})
}

// StatusOf reads the statusCode of an API Gateway proxy response.
func StatusOf(res []byte) int {
	var r struct {
		StatusCode int `json:"statusCode"`
	}
	_ = jsonUnmarshal(res, &r)
	return r.StatusCode
}
