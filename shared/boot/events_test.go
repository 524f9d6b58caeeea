package boot_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/berth-dev/berth/shared/composefile/composego"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/berth-dev/berth/shared/api"
	"github.com/berth-dev/berth/shared/apikeys"
	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/auth"
	"github.com/berth-dev/berth/shared/boot"
	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awstest"
	"github.com/berth-dev/berth/shared/cloud/sandbox"
	"github.com/berth-dev/berth/shared/configuration/awssecrets"
	"github.com/berth-dev/berth/shared/data/awsartefacts"
	"github.com/berth-dev/berth/shared/deploy/deploytest"
	"github.com/berth-dev/berth/shared/dynamolocal"
	"github.com/berth-dev/berth/shared/ecrlogin"
	"github.com/berth-dev/berth/shared/jobs/awsschedules"
	"github.com/berth-dev/berth/shared/logs/awslogs"
	"github.com/berth-dev/berth/shared/metrics/awsmetrics"
	"github.com/berth-dev/berth/shared/provision"
	"github.com/berth-dev/berth/shared/scaling/awsscaling"
	"github.com/berth-dev/berth/shared/shell/awsshell"
	"github.com/berth-dev/berth/shared/stepboot"
	"github.com/berth-dev/berth/shared/stepfunctions"
	"github.com/berth-dev/berth/shared/store"
	"github.com/berth-dev/berth/shared/volumes/awsvolumes"
)

// stepFunctionsStub answers StartExecution as Step Functions does, so the
// real SDK client serialises the call and parses the answer. A name it
// has seen gets ExecutionAlreadyExists.
type stepFunctionsStub struct {
	mu       sync.Mutex
	requests []map[string]string
}

func (s *stepFunctionsStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var in map[string]string
	if r.Header.Get("X-Amz-Target") != "AWSStepFunctions.StartExecution" || json.NewDecoder(r.Body).Decode(&in) != nil {
		http.Error(w, `{"__type":"UnknownOperationException"}`, http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	for _, seen := range s.requests {
		if seen["name"] == in["name"] {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"__type":"ExecutionAlreadyExists","message":"Execution Already Exists"}`)
			return
		}
	}
	s.requests = append(s.requests, in)
	_, _ = io.WriteString(w, `{"executionArn":"`+in["stateMachineArn"]+`:`+in["name"]+`","startDate":1.7636e9}`)
}

// apiGatewayStub answers the API key calls of create-token and
// revoke-token as API Gateway does, and records them.
type apiGatewayStub struct {
	mu    sync.Mutex
	calls []string
}

func (s *apiGatewayStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, r.Method+" "+r.URL.Path)
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodPost:
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"id":"key-1"}`)
	case r.Method == http.MethodGet && r.URL.Path == "/usageplans":
		_, _ = io.WriteString(w, `{"item":[{"id":"plan-1","name":"berth-tokens"}]}`)
	case r.Method == http.MethodGet:
		_, _ = io.WriteString(w, `{"item":[{"id":"key-1","name":"`+r.URL.Query().Get("name")+`"}]}`)
	default:
		w.WriteHeader(http.StatusAccepted)
	}
}

// ecrStub answers GetAuthorizationToken as ECR does, and counts the calls.
type ecrStub struct {
	mu    sync.Mutex
	calls int
}

func (s *ecrStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Header.Get("X-Amz-Target") != "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken" {
		http.Error(w, `{"__type":"UnknownOperationException"}`, http.StatusBadRequest)
		return
	}
	s.calls++
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_, _ = io.WriteString(w, `{"authorizationData":[{"authorizationToken":"QVdTOmVjci1wYXNzd29yZA==","expiresAt":1.7636e9,"proxyEndpoint":"https://123456789012.dkr.ecr.eu-west-1.amazonaws.com"}]}`)
}

// autoScalingStub keeps scaling policies as Application Auto Scaling does
// (JSON 1.1): PutScalingPolicy upserts by name, DescribeScalingPolicies
// lists, DeleteScalingPolicy of a missing name is ObjectNotFoundException.
type autoScalingStub struct {
	mu       sync.Mutex
	ops      []string
	policies map[string]map[string]any
}

func (s *autoScalingStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var in map[string]any
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AnyScaleFrontendService.")
	if json.NewDecoder(r.Body).Decode(&in) != nil {
		http.Error(w, `{"__type":"ValidationException"}`, http.StatusBadRequest)
		return
	}
	s.ops = append(s.ops, op)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	name, _ := in["PolicyName"].(string)
	switch op {
	case "PutScalingPolicy":
		s.policies[name] = in
		_, _ = io.WriteString(w, `{"PolicyARN":"arn:aws:autoscaling:eu-west-1:123456789012:scalingPolicy:`+name+`"}`)
	case "DescribeScalingPolicies":
		list := []map[string]any{}
		for _, p := range s.policies {
			list = append(list, p)
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"ScalingPolicies": list})
	case "DeleteScalingPolicy":
		if s.policies[name] == nil {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"__type":"ObjectNotFoundException","message":"No scaling policy found"}`)
			return
		}
		delete(s.policies, name)
		_, _ = io.WriteString(w, `{}`)
	default:
		http.Error(w, `{"__type":"UnknownOperationException"}`, http.StatusBadRequest)
	}
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// TestEventsThroughTheLambdaAdapter runs every events/ file through
// boot.Handler and the aws-lambda-go-api-proxy adapter, as the Lambda
// runtime would, against DynamoDB Local and a Step Functions stub. Valid
// events must succeed and .invalid events must get a 4xx problem.
func TestEventsThroughTheLambdaAdapter(t *testing.T) {
	ctx := context.Background()
	ddb, err := dynamolocal.Start(ctx, dynamolocal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ddb.Stop()
	if err := store.EnsureTable(ctx, ddb.Client(), "berth-events"); err != nil {
		t.Fatal(err)
	}
	sfnStub := &stepFunctionsStub{}
	sfnServer := httptest.NewServer(sfnStub)
	defer sfnServer.Close()
	gwStub := &apiGatewayStub{}
	gwServer := httptest.NewServer(gwStub)
	defer gwServer.Close()
	ecr := &ecrStub{}
	ecrServer := httptest.NewServer(ecr)
	defer ecrServer.Close()
	autoScaling := &autoScalingStub{policies: map[string]map[string]any{}}
	autoScalingServer := httptest.NewServer(autoScaling)
	defer autoScalingServer.Close()
	// S3: the sandbox's, over real files.
	objects := &sandbox.Objects{Dir: t.TempDir(), Now: time.Now}
	objectsServer := httptest.NewServer(objects)
	defer objectsServer.Close()
	scheduler := &schedulerStub{names: map[string]bool{}}
	schedulerServer := httptest.NewServer(scheduler)
	defer schedulerServer.Close()

	// CloudWatch Logs and metrics, STS, ECS and Secrets Manager: one stub
	// that speaks each protocol; any call it has no answer for fails.
	observe := awstest.New(t)
	observe.On("FilterLogEvents", awstest.OK(`{"events":[{"eventId":"e1","timestamp":1764936000000,"logStreamName":"berth/web/0123","message":"Starting container web"}],"nextToken":"n1"}`))
	observe.On("GetMetricData", awstest.OK(`<MetricDataResults><member><Id>m0_0</Id><Timestamps><member>2026-12-05T10:00:00Z</member></Timestamps><Values><member>12.5</member></Values><StatusCode>Complete</StatusCode></member></MetricDataResults>`))
	observe.On("ListTasks", awstest.OK(`{"taskArns":["arn:aws:ecs:eu-west-1:123456789012:task/berth/0123456789abcdef"]}`))
	observe.On("AssumeRole", awstest.OK(`<Credentials><AccessKeyId>ASIAEVENTS</AccessKeyId><SecretAccessKey>sk</SecretAccessKey><SessionToken>st</SessionToken><Expiration>2026-12-05T11:00:00Z</Expiration></Credentials>`))
	observe.On("CreateSecret", awstest.OK(`{"ARN":"arn:aws:secretsmanager:eu-west-1:123456789012:secret:berth/acme/my-app/production/vars/API_KEY-AbCdEf","Name":"API_KEY","VersionId":"v-1"}`))
	observe.On("DeleteSecret", awstest.OK(`{}`))
	observe.On("CreateAccessPoint", awstest.OK(`{"AccessPointId":"fsap-0123456789abcdef0","AccessPointArn":"arn:aws:elasticfilesystem:eu-west-1:123456789012:access-point/fsap-0123456789abcdef0","LifeCycleState":"available"}`))
	observe.On("DeleteAccessPoint", awstest.OK(``))

	vars := map[string]string{
		boot.EnvTableName: "berth-events", "AWS_REGION": "eu-west-1",
		"AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": observe.URL, "AWS_ENDPOINT_URL_CLOUDWATCH": observe.URL, "AWS_ENDPOINT_URL_STS": observe.URL,
		"AWS_ENDPOINT_URL_ECS": observe.URL, "AWS_ENDPOINT_URL_SECRETS_MANAGER": observe.URL, "AWS_ENDPOINT_URL_EFS": observe.URL,
		boot.EnvShellRoleARN: "arn:aws:iam::123456789012:role/berth-shell",
		"AWS_ACCESS_KEY_ID":  "AKIDLOCAL", "AWS_SECRET_ACCESS_KEY": "local",
		"AWS_ENDPOINT_URL_DYNAMODB": ddb.Endpoint, "AWS_ENDPOINT_URL_SFN": sfnServer.URL,
		boot.EnvUsagePlan: "berth-tokens", "AWS_ENDPOINT_URL_API_GATEWAY": gwServer.URL,
		"AWS_ENDPOINT_URL_ECR": ecrServer.URL, "AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING": autoScalingServer.URL,
		"AWS_ENDPOINT_URL_SCHEDULER": schedulerServer.URL, "AWS_ENDPOINT_URL_S3": objectsServer.URL, boot.EnvBackupsBucket: deploytest.BackupsBucket, boot.EnvSchedulerRoleARN: "arn:aws:iam::123456789012:role/berth-scheduler",
		boot.EnvClusterARN:  "arn:aws:ecs:eu-west-1:123456789012:cluster/berth",
		boot.EnvListenerARN: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/berth/50dc6c495c0c9188/f2f7dc8efc522ab2",
	}
	for _, w := range apps.Workflows {
		vars[boot.StateMachineEnv(w)] = "arn:aws:states:eu-west-1:123456789012:stateMachine:berth-" + string(w)
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))

	// The events act as token 0123456789abcdef, and revoke fedcba9876543210.
	tbl := &store.Table{Client: ddb.Client(), Name: "berth-events"}
	for _, id := range []string{eventTokenID, "fedcba9876543210"} {
		tok := auth.Token{ID: id, SecretHash: auth.HashSecret(eventSecret), Organisations: []string{"acme"}, Role: auth.RoleAdmin, CreatedAt: time.Now()}
		if err := tbl.CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}

	// Creates first, deletes last, so each valid event finds what it needs.
	order := []string{"create-application", "create-environment", "create-token", "list-applications", "get-application", "get-ecr-login",
		"list-environments", "get-environment", "list-tokens", "list-audit-events", "validate-compose",
		"get-environment-compose", "list-containers", "update-environment", "patch-environment-compose", "update-container",
		"update-environment-state", "rollback-release", "cancel-deployment", "cancel-operation", "get-operation", "list-operations", "list-releases", "list-deployments", "get-deployment",
		"list-scaling-policies", "upsert-scaling-policy", "delete-scaling-policy",
		"list-commands", "create-command", "get-command", "cancel-command",
		"list-application-commands", "create-application-command", "get-application-command", "cancel-application-command",
		"list-cron-jobs", "create-cron-job", "get-cron-job", "update-cron-job", "list-cron-job-runs", "get-cron-run", "delete-cron-job",
		"get-environment-logs", "get-environment-metrics", "get-ssh-access-credentials",
		"list-variables", "replace-variables", "set-variable", "delete-variable", "list-secrets", "set-secret", "delete-secret",
		"list-volumes", "create-volume", "get-volume", "delete-volume",
		"list-backups", "download-backup", "restore-database", "restore-filesystem", "get-restore-status", "create-backup",
		"sync-to-environment", "list-sync-operations", "delete-backup",
		// Cloud Foundry v3: my-app's production is the app the events name;
		// cf_app (cf-app in space dev) is created and deleted.
		"cfv3-get-global-root", "cfv3-get-root", "cfv3-list-organizations", "cfv3-create-space", "cfv3-list-spaces", "cfv3-create-app", "cfv3-list-apps",
		"cfv3-get-app", "cfv3-get-environment-variables", "cfv3-list-processes", "cfv3-get-process", "cfv3-get-job",
		"cfv3-stop-app", "cfv3-start-app", "cfv3-restart-app", "cfv3-update-app", "cfv3-update-environment-variables", "cfv3-scale-process",
		"cfv3-delete-app",
		// Cloud Foundry v2: my-app's production is the app the events name
		// (PUT stops it); cf2_app (cf2-app in space cf2-dev, created as the
		// reference page's request, form-encoded JSON) is created and deleted.
		"cfv2-get-info", "cfv2-list-organizations", "cfv2-create-space", "cfv2-list-spaces", "cfv2-create-app", "cfv2-list-apps",
		"cfv2-get-app", "cfv2-get-app-summary", "cfv2-update-app", "cfv2-delete-app",
		// Qovery: my-app's production is the container the events name;
		// q_web (application q-web) is created, in the environment staging that
		// qovery-create-environment makes, and deleted.
		"qovery-list-organizations", "qovery-list-projects", "qovery-create-environment", "qovery-list-environments",
		"qovery-create-container", "qovery-list-containers", "qovery-get-container", "qovery-edit-container",
		"qovery-deploy-container", "qovery-stop-container", "qovery-restart-container", "qovery-redeploy-container",
		"qovery-get-container-status", "qovery-delete-container",
		"delete-environment", "delete-application", "revoke-token"}
	// No workflow runs here: production is made ACTIVE, and the running
	// deployment finished, before each change; the last one (5) is left
	// running for cancel-deployment.
	changes := []string{"update-environment", "patch-environment-compose", "update-container", "update-environment-state", "rollback-release",
		"replace-variables", "set-variable", "delete-variable", "set-secret", "delete-secret",
		"cfv3-stop-app", "cfv3-start-app", "cfv3-restart-app", "cfv3-update-app", "cfv3-update-environment-variables", "cfv3-scale-process",
		"cfv2-update-app",
		"qovery-edit-container", "qovery-deploy-container", "qovery-stop-container", "qovery-restart-container", "qovery-redeploy-container"}
	var routeNames []string
	for _, r := range api.Routes() {
		routeNames = append(routeNames, r.Name)
	}
	if !sameSet(order, routeNames) {
		t.Fatalf("the event order %v does not name every route %v", order, routeNames)
	}
	files, _ := filepath.Glob("../../events/*.json")
	for _, f := range files {
		fn := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(f), ".json"), ".invalid")
		if !slices.Contains(routeNames, fn) && !slices.Contains(provision.StepNames, fn) && fn != "authorizer" && fn != "reconcile" {
			t.Errorf("%s names no function", f)
		}
	}

	for _, fn := range order {
		if fn == "list-commands" {
			if err := deploytest.SeedJobs(ctx, tbl, "acme", "my-app", apps.ProductionEnvironment); err != nil {
				t.Fatal(err)
			}
		}
		if fn == "create-volume" {
			// Volumes live on the filesystem provisioning gave production,
			// and are deleted once the last change's deployment has ended.
			if _, err := deploytest.Settle(ctx, tbl, "acme", "my-app", apps.ProductionEnvironment); err != nil {
				t.Fatal(err)
			}
			env, err := tbl.GetEnvironment(ctx, "acme", "my-app", apps.ProductionEnvironment)
			if err != nil {
				t.Fatal(err)
			}
			target := apps.Target{Organisation: "acme", Application: "my-app", Environment: apps.ProductionEnvironment, UID: env.UID}
			if err := tbl.Apply(ctx, target, apps.Change{Outputs: map[string]string{apps.OutFilesystemID: "fs-0123456789abcdef0"}}); err != nil {
				t.Fatal(err)
			}
		}
		if err := seedData(ctx, tbl, fn, objects.Dir); err != nil {
			t.Fatal(err)
		}
		if slices.Contains(changes, fn) {
			if _, err := deploytest.Settle(ctx, tbl, "acme", "my-app", apps.ProductionEnvironment); err != nil {
				t.Fatal(err)
			}
		}
		h, err := boot.Handler(fn, env(vars), log, allPorts)
		if err != nil {
			t.Fatal(err)
		}
		adapter := httpadapter.New(h)
		for _, variant := range []string{".json", ".invalid.json"} {
			name := fn + variant
			t.Run(name, func(t *testing.T) {
				raw, err := os.ReadFile("../../events/" + name)
				if err != nil {
					t.Fatalf("every function needs events/%s: %v", name, err)
				}
				if raw, err = deploytest.WithUID(ctx, tbl, raw, "acme", "my-app", apps.ProductionEnvironment); err != nil {
					t.Fatal(err)
				}
				var ev events.APIGatewayProxyRequest
				if err := json.Unmarshal(raw, &ev); err != nil {
					t.Fatal(err)
				}
				res, err := adapter.ProxyWithContext(ctx, ev)
				if err != nil {
					t.Fatal(err)
				}
				ok := res.StatusCode >= 200 && res.StatusCode < 300
				if variant == ".json" && !ok {
					t.Fatalf("status %d: %s", res.StatusCode, res.Body)
				}
				if variant == ".invalid.json" && (res.StatusCode < 400 || res.StatusCode >= 500 || !isProblem(fn, res)) {
					t.Fatalf("status %d, want a 4xx problem: %s", res.StatusCode, res.Body)
				}
				if got := header(res, "X-Request-Id"); got != ev.RequestContext.RequestID {
					t.Errorf("X-Request-Id %q, want API Gateway's %q", got, ev.RequestContext.RequestID)
				}
				// A Location is addressed as the caller sees the API: behind its stage.
				if loc := header(res, "Location"); loc != "" && variant == ".json" {
					stage := strings.TrimSuffix(ev.RequestContext.Path, ev.Path)
					if stage == "" || !strings.HasPrefix(loc, stage+"/api/v3/organizations/") && !strings.HasPrefix(loc, stage+"/v3/") && !strings.HasPrefix(loc, stage+"/v2/") {
						t.Errorf("Location %q, want it under the stage's %q (request context path %s)", loc, stage, ev.RequestContext.Path)
					}
				}
			})
		}
		if slices.Contains(changes, fn) {
			if env, err := tbl.GetEnvironment(ctx, "acme", "my-app", apps.ProductionEnvironment); err != nil || env.Deploying == 0 {
				t.Fatalf("%s started no deployment (%v)", fn, err)
			}
		}
	}

	// The observability and secret routes called AWS for their valid events
	// only (the invalid ones are refused before any call), in event order.
	wantObserve := []string{"FilterLogEvents", "GetMetricData", "ListTasks", "AssumeRole", "CreateSecret", "DeleteSecret", "CreateAccessPoint", "DeleteAccessPoint"}
	if got := observe.Ops(); !slices.Equal(got, wantObserve) {
		t.Errorf("CloudWatch, STS, ECS and Secrets Manager calls %v, want %v", got, wantObserve)
	}
	for _, req := range observe.Requests() {
		if raw, _ := json.Marshal(req); strings.Contains(string(raw), "event-secret-value") && req.Op != "CreateSecret" {
			t.Errorf("%s carried the secret value", req.Op)
		}
	}

	// get-ecr-login asked ECR once, for its valid event.
	if ecr.calls != 1 {
		t.Errorf("%d GetAuthorizationToken calls, want 1", ecr.calls)
	}
	// The scaling routes asked Application Auto Scaling, for their valid events only.
	wantOps := []string{"DescribeScalingPolicies", "DescribeScalingPolicies", "PutScalingPolicy", "DescribeScalingPolicies"}
	if !slices.Equal(autoScaling.ops, wantOps) {
		t.Errorf("Application Auto Scaling calls %v, want %v", autoScaling.ops, wantOps)
	}
	// create-token issued a usage plan key; revoke-token withdrew one.
	want := []string{"GET /usageplans", "POST /apikeys", "POST /usageplans/plan-1/keys", "GET /apikeys", "DELETE /apikeys/key-1"}
	if !slices.Equal(gwStub.calls, want) {
		t.Errorf("API Gateway calls %v, want %v", gwStub.calls, want)
	}

	var names []string
	for _, r := range sfnStub.requests {
		if !strings.HasPrefix(r["stateMachineArn"], "arn:aws:states:") || r["input"] == "" {
			t.Errorf("StartExecution %v", r)
		}
		names = append(names, r["name"])
	}
	if len(names) != 6+len(changes)+4+2+2+2 {
		t.Fatalf("started %v, want provision app, provision env, a deployment per change, two commands, a backup, two restores, a sync, "+
			"CF v3's provision and teardown of cf_app, CF v2's of cf2_app, Qovery's of q_web, teardown env, teardown app", names)
	}
	// The cron events made, changed and deleted one schedule; the invalid
	// ones reached no scheduler.
	if want := []string{"POST nightly", "POST nightly", "PUT nightly", "DELETE nightly"}; !slices.Equal(scheduler.calls, want) {
		t.Errorf("Scheduler calls %v, want %v", scheduler.calls, want)
	}
}

// seedData seeds what fn's data event needs (deploytest.SeedDataEvent),
// and puts the seeded backups' artefacts in the local S3's folder.
func seedData(ctx context.Context, tbl *store.Table, fn, objectsDir string) error {
	seeded, err := deploytest.SeedDataEvent(ctx, tbl, deploytest.BackupsBucket, fn)
	if err != nil {
		return err
	}
	for _, b := range seeded {
		path := filepath.Join(objectsDir, b.Bucket, filepath.FromSlash(b.Key))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte("seeded artefact\n"), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// isProblem is whether res is an error answer in fn's shape: Berth's
// application/problem+json, or its dialect's own: CF v3's
// {"errors":[...]}, CF v2's {"code","description","error_code"},
// Qovery's {"status","error","message","timestamp"}.
// A new dialect's routes fail here until their shape is added.
func isProblem(fn string, res events.APIGatewayProxyResponse) bool {
	rt, err := api.FindRoute(fn)
	if err != nil || rt.Dialect == nil {
		return header(res, "Content-Type") == "application/problem+json"
	}
	if !strings.HasPrefix(header(res, "Content-Type"), "application/json") {
		return false
	}
	switch rt.Dialect.Name {
	case "cfv3":
		return strings.HasPrefix(res.Body, `{"errors":[`)
	case "cfv2":
		var e map[string]any
		return json.Unmarshal([]byte(res.Body), &e) == nil &&
			len(e) == 3 && e["code"] != nil && e["description"] != "" && strings.HasPrefix(fmt.Sprint(e["error_code"]), "CF-")
	case "qovery":
		var e struct {
			Status                    int
			Error, Message, Timestamp string
		}
		return json.Unmarshal([]byte(res.Body), &e) == nil && e.Status == res.StatusCode && e.Error != "" && e.Message != "" && e.Timestamp != ""
	}
	return false
}

// header reads a response header; the adapter may use either map.
func header(res events.APIGatewayProxyResponse, name string) string {
	if v := res.Headers[name]; v != "" {
		return v
	}
	if vs := res.MultiValueHeaders[name]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

const (
	eventTokenID = "0123456789abcdef"
	eventSecret  = "5555555555555555555555555555555555555555555555555555555555555555"
)

// TestAuthorizerEvents runs events/authorizer*.json through the authorizer
// as Lambda would, against DynamoDB Local.
func TestAuthorizerEvents(t *testing.T) {
	ctx := context.Background()
	ddb, err := dynamolocal.Start(ctx, dynamolocal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ddb.Stop()
	if err := store.EnsureTable(ctx, ddb.Client(), "berth-authorizer"); err != nil {
		t.Fatal(err)
	}
	tbl := &store.Table{Client: ddb.Client(), Name: "berth-authorizer"}
	tok := auth.Token{ID: eventTokenID, SecretHash: auth.HashSecret(eventSecret), Organisations: []string{"acme", "beta"}, Role: auth.RoleWrite, CreatedAt: time.Now()}
	if err := tbl.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	a, err := boot.NewAuthorizer(env(map[string]string{
		boot.EnvTableName: "berth-authorizer", "AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIDLOCAL",
		"AWS_SECRET_ACCESS_KEY": "local", "AWS_ENDPOINT_URL_DYNAMODB": ddb.Endpoint,
	}), slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string) events.APIGatewayCustomAuthorizerRequest {
		raw, err := os.ReadFile("../../events/" + name)
		if err != nil {
			t.Fatal(err)
		}
		var ev events.APIGatewayCustomAuthorizerRequest
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatal(err)
		}
		return ev
	}
	res, err := a.Authorize(ctx, read("authorizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	st := res.PolicyDocument.Statement[0]
	if res.PrincipalID != eventTokenID || st.Effect != "Allow" || st.Resource[0] != "arn:aws:execute-api:eu-west-1:123456789012:abc123/v3/*" ||
		res.Context["organisations"] != "acme,beta" || res.Context["role"] != "write" || res.UsageIdentifierKey != "berth-usage-"+eventTokenID {
		t.Fatalf("authorizer answered %+v", res)
	}
	if _, err := a.Authorize(ctx, read("authorizer.invalid.json")); err == nil || err.Error() != "Unauthorized" {
		t.Fatalf("invalid token: %v, want Unauthorized", err)
	}
	got, err := tbl.GetToken(ctx, eventTokenID)
	if err != nil || got.LastUsedAt == nil {
		t.Fatalf("last-used time not recorded: %+v %v", got, err)
	}
}

// allPorts are every adapter, as the functions' main.go files name them.
var allPorts = boot.Ports{Workflows: stepfunctions.New, UsageKeys: apikeys.New, Registry: ecrlogin.New, Compose: composego.Translate, Scaling: awsscaling.New, Schedules: awsschedules.New,
	Logs: awslogs.New, Metrics: awsmetrics.New, Shell: awsshell.New, Secrets: awssecrets.New, Volumes: awsvolumes.New, Artefacts: awsartefacts.New}

// schedulerStub answers EventBridge Scheduler's schedule calls (REST
// JSON) as the service does, and records them as "METHOD name".
type schedulerStub struct {
	mu    sync.Mutex
	calls []string
	names map[string]bool
}

func (s *schedulerStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	name := strings.TrimPrefix(r.URL.Path, "/schedules/")
	s.calls = append(s.calls, r.Method+" "+name)
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodPost && s.names[name]:
		w.Header().Set("X-Amzn-Errortype", "ConflictException")
		w.WriteHeader(http.StatusConflict)
		_, _ = io.WriteString(w, `{"Message":"Schedule `+name+` already exists."}`)
	case r.Method == http.MethodPost || r.Method == http.MethodPut:
		s.names[name] = true
		_, _ = io.WriteString(w, `{"ScheduleArn":"arn:aws:scheduler:eu-west-1:123456789012:schedule/g/`+name+`"}`)
	case r.Method == http.MethodDelete && !s.names[name]:
		w.Header().Set("X-Amzn-Errortype", "ResourceNotFoundException")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"Message":"Schedule `+name+` does not exist."}`)
	case r.Method == http.MethodDelete:
		delete(s.names, name)
		_, _ = io.WriteString(w, `{}`)
	default:
		http.Error(w, `{"Message":"unexpected"}`, http.StatusBadRequest)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func TestRegistryRouteNeedsItsPort(t *testing.T) {
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	_, err := boot.Handler("get-ecr-login", env(map[string]string{boot.EnvTableName: "t"}), log, boot.Ports{})
	if err == nil || !strings.Contains(err.Error(), "without a registry") {
		t.Fatalf("error %v, want one saying the function has no registry", err)
	}
}

func TestHandlerFailsAtInitWithoutConfiguration(t *testing.T) {
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	cases := map[string]struct {
		route string
		vars  map[string]string
		want  string
	}{
		"unknown route":      {"no-such-route", map[string]string{boot.EnvTableName: "t"}, "no route"},
		"no table":           {"get-application", map[string]string{}, boot.EnvTableName},
		"no state machine":   {"create-application", map[string]string{boot.EnvTableName: "t"}, boot.StateMachineEnv(apps.ProvisionApplication)},
		"no usage plan":      {"create-token", map[string]string{boot.EnvTableName: "t"}, boot.EnvUsagePlan},
		"reads need no ARNs": {"get-application", map[string]string{boot.EnvTableName: "t"}, ""},
		"registry":           {"get-ecr-login", map[string]string{boot.EnvTableName: "t"}, ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := boot.Handler(tc.route, env(tc.vars), log, allPorts)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want one naming %s", err, tc.want)
			}
		})
	}
}

// TestStepEvents runs each step function's event through its real handler,
// as the Lambda runtime would (lambda.NewHandler), on the sandbox cloud:
// the event decodes, and the step answers a result or one of its named
// errors (the event's application is not in this table, so most say
// Berth.Stale), never a decoding failure.
func TestStepEvents(t *testing.T) {
	ctx := context.Background()
	ddb, err := dynamolocal.Start(ctx, dynamolocal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ddb.Stop()
	if err := store.EnsureTable(ctx, ddb.Client(), "berth-steps"); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{
		boot.EnvTableName: "berth-steps", "AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIDLOCAL", "AWS_SECRET_ACCESS_KEY": "local",
		"AWS_ENDPOINT_URL_DYNAMODB": ddb.Endpoint, stepboot.EnvPlatformDomain: "apps.example.com",
		stepboot.EnvExecutionRoleARN: "arn:aws:iam::123456789012:role/berth-exec", stepboot.EnvVPC: "vpc-1",
		stepboot.EnvSubnets: "subnet-a,subnet-b", stepboot.EnvCluster: "arn:aws:ecs:eu-west-1:123456789012:cluster/berth",
	}
	box := sandbox.New(sandbox.Instant)
	onSandbox := func(aws.Config, provision.Platform, func(string) string) (cloud.Cloud, error) { return box, nil }
	for _, name := range provision.StepNames {
		t.Run(name, func(t *testing.T) {
			port := onSandbox
			if !provision.NeedsCloud(name) {
				port = nil // as functions/<step>/main.go builds it
			}
			h, err := stepboot.Handler(name, env(vars), port)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := os.ReadFile("../../events/" + name + ".json")
			if err != nil {
				t.Fatalf("every step needs events/%s.json: %v", name, err)
			}
			_, err = lambda.NewHandler(h).Invoke(ctx, raw)
			var named messages.InvokeResponse_Error
			if err != nil && (!errors.As(err, &named) || !strings.HasPrefix(named.Type, "Berth.")) {
				t.Fatalf("%s answered %T %v; want a result or a Berth.* error", name, err, err)
			}
		})
	}
	if n := len(box.Resources()); n != 0 {
		t.Fatalf("steps of an execution that owns nothing made %d resources", n)
	}
}
