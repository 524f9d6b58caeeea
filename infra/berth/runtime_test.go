package berth_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/getkin/kin-openapi/openapi3"

	"github.com/berth-dev/berth/infra/berth"
	"github.com/berth-dev/berth/shared/api"
	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/auth"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awstest"
	"github.com/berth-dev/berth/shared/data"
	"github.com/berth-dev/berth/shared/deploy/deploytest"
	"github.com/berth-dev/berth/shared/dynamolocal"
	"github.com/berth-dev/berth/shared/provision"
	"github.com/berth-dev/berth/shared/store"
)

// What `sam local invoke` would do, without Docker: every function's asset
// in the synthesized template is a directory with an executable linux
// bootstrap; and the host-architecture build of the same function, started
// with the environment the template gives it, answers each of its events/
// files through the Lambda Runtime API (next, response, error) served by
// this test, with DynamoDB Local and a Step Functions stub behind it.

// The events act as this token (see events/authorizer.json), and
// events/revoke-token.json revokes the second one.
const (
	eventTokenID     = "0123456789abcdef"
	eventSecret      = "5555555555555555555555555555555555555555555555555555555555555555"
	revokedTokenID   = "fedcba9876543210"
	harnessTableName = "berth-harness"
)

func TestAssetsHoldExecutableARM64Bootstraps(t *testing.T) {
	s := synth(t)
	for _, name := range functionNames {
		fn := resourceByID(t, s.All, berth.FunctionLogicalID(name))
		asset, _ := fn.Metadata["aws:asset:path"].(string)
		if asset == "" || fn.Metadata["aws:asset:property"] != "Code" {
			t.Errorf("%s: asset metadata %v", name, fn.Metadata)
			continue
		}
		path := filepath.Join(s.Dir, asset, "bootstrap")
		info, err := os.Stat(path)
		if err != nil || info.Mode().Perm()&0o111 == 0 {
			t.Errorf("%s: %s is not executable: %v", name, path, err)
			continue
		}
		f, err := elf.Open(path)
		if err != nil {
			t.Errorf("%s: %s is not an ELF binary: %v", name, path, err)
			continue
		}
		if f.Machine != elf.EM_AARCH64 || f.Type != elf.ET_EXEC {
			t.Errorf("%s: %s is %v %v, want an arm64 executable", name, path, f.Machine, f.Type)
		}
		f.Close()
	}
}

func TestFunctionsAnswerTheirEventsUnderTheLambdaRuntimeAPI(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the functions are linux binaries")
	}
	s := synth(t)
	hostDir := filepath.Join(tmpRoot, "host-"+runtime.GOARCH)
	if err := buildFunctions(hostDir, runtime.GOARCH); err != nil {
		t.Fatal(err)
	}
	spec, err := openapi3.NewLoader().LoadFromFile(filepath.Join(repoRoot, "docs", "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()
	ddb, err := dynamolocal.Start(ctx, dynamolocal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ddb.Stop()
	if err := store.EnsureTable(ctx, ddb.Client(), harnessTableName); err != nil {
		t.Fatal(err)
	}
	// The store turns TTL on for the same attribute the stack declares.
	ttl, err := ddb.Client().DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(harnessTableName)})
	if err != nil {
		t.Fatal(err)
	}
	ttlSpec, _ := onlyResource(t, s.Template, "AWS::DynamoDB::Table").Properties["TimeToLiveSpecification"].(map[string]any)
	if ttl.TimeToLiveDescription == nil || ttlSpec["AttributeName"] != aws.ToString(ttl.TimeToLiveDescription.AttributeName) || ttlSpec["Enabled"] != true {
		t.Errorf("the stack's TTL %v, the store's %+v", ttlSpec, ttl.TimeToLiveDescription)
	}
	tbl := &store.Table{Client: ddb.Client(), Name: harnessTableName}
	for _, id := range []string{eventTokenID, revokedTokenID} {
		tok := auth.Token{ID: id, SecretHash: auth.HashSecret(eventSecret), Organisations: []string{"acme"}, Role: auth.RoleAdmin, CreatedAt: time.Now()}
		if err := tbl.CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
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
	autoScaling := &autoScalingStub{}
	autoScalingServer := httptest.NewServer(autoScaling)
	defer autoScalingServer.Close()
	// EventBridge Scheduler: a schedule's create or update succeeds, and a delete finds it.
	schedulerServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ScheduleArn":"arn:aws:scheduler:`+testRegion+`:`+testAccount+`:schedule/harness/`+strings.TrimPrefix(r.URL.Path, "/schedules/")+`"}`)
	}))
	defer schedulerServer.Close()
	// CloudWatch Logs and metrics, ECS, STS and Secrets Manager, each in
	// its own protocol, for the logs, metrics, shell and secrets routes;
	// any call it has no answer for fails the test.
	observe := awstest.New(t)
	observe.On("FilterLogEvents", awstest.OK(`{"events":[{"eventId":"e1","timestamp":1764936000000,"logStreamName":"berth/web/0123","message":"Starting container web"}],"nextToken":"n1"}`))
	observe.On("GetMetricData", awstest.OK(`<MetricDataResults><member><Id>m0_0</Id><Timestamps><member>2026-12-05T10:00:00Z</member></Timestamps><Values><member>12.5</member></Values><StatusCode>Complete</StatusCode></member></MetricDataResults>`))
	observe.On("ListTasks", awstest.OK(`{"taskArns":["arn:aws:ecs:`+testRegion+`:`+testAccount+`:task/berth/0123456789abcdef"]}`))
	observe.On("AssumeRole", awstest.OK(`<Credentials><AccessKeyId>ASIAHARNESS</AccessKeyId><SecretAccessKey>sk</SecretAccessKey><SessionToken>st</SessionToken><Expiration>2026-12-05T11:00:00Z</Expiration></Credentials>`))
	observe.On("CreateSecret", awstest.OK(`{"ARN":"arn:aws:secretsmanager:`+testRegion+`:`+testAccount+`:secret:berth/acme/my-app/production/vars/API_KEY-AbCdEf","Name":"API_KEY","VersionId":"v-1"}`))
	observe.On("DeleteSecret", awstest.OK(`{}`))
	observe.On("CreateAccessPoint", awstest.OK(`{"AccessPointId":"fsap-0123456789abcdef0","AccessPointArn":"arn:aws:elasticfilesystem:`+testRegion+`:`+testAccount+`:access-point/fsap-0123456789abcdef0","LifeCycleState":"available"}`))
	observe.On("DeleteAccessPoint", awstest.OK(``))
	// S3, path-style, for the artefact routes: a backup's object is there
	// (HeadObject) and is deleted (DeleteObject); any other call fails.
	s3Stub := &s3Stub{}
	s3Server := httptest.NewServer(s3Stub)
	defer s3Server.Close()
	table := onlyResource(t, s.Template, "AWS::DynamoDB::Table")
	platform := []string{
		"AWS_REGION=" + testRegion, "AWS_DEFAULT_REGION=" + testRegion,
		"AWS_ACCESS_KEY_ID=AKIDHARNESS", "AWS_SECRET_ACCESS_KEY=harness", "AWS_SESSION_TOKEN=",
		"AWS_ENDPOINT_URL_DYNAMODB=" + ddb.Endpoint, "AWS_ENDPOINT_URL_SFN=" + sfnServer.URL,
		"AWS_ENDPOINT_URL_API_GATEWAY=" + gwServer.URL, "AWS_ENDPOINT_URL_ECR=" + ecrServer.URL,
		"AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING=" + autoScalingServer.URL, "AWS_ENDPOINT_URL_SCHEDULER=" + schedulerServer.URL,
		"AWS_ENDPOINT_URL_CLOUDWATCH_LOGS=" + observe.URL, "AWS_ENDPOINT_URL_CLOUDWATCH=" + observe.URL, "AWS_ENDPOINT_URL_STS=" + observe.URL,
		"AWS_ENDPOINT_URL_ECS=" + observe.URL, "AWS_ENDPOINT_URL_SECRETS_MANAGER=" + observe.URL, "AWS_ENDPOINT_URL_EFS=" + observe.URL,
		"AWS_ENDPOINT_URL_S3=" + s3Server.URL,
	}

	for _, name := range provision.StepNames {
		// The step functions read the records the workflow is for first;
		// the events name an application that the harness's table does not
		// hold, so each answers with the step error the state machine would
		// see, before reaching any other AWS endpoint.
		fn := resourceByID(t, s.All, berth.FunctionLogicalID(name))
		env := append(slices.Clone(platform), lambdaEnvironment(t, s, fn, table.ID)...)
		t.Run(name, func(t *testing.T) {
			proc := startFunction(t, name, filepath.Join(hostDir, name, "bootstrap"), env)
			defer proc.stop()
			raw, err := os.ReadFile(filepath.Join(repoRoot, "events", name+".json"))
			if err != nil {
				t.Fatalf("every step function needs events/%s.json: %v", name, err)
			}
			var in provision.Input
			if err := json.Unmarshal(raw, &in); err != nil || in.Execution.UID == "" || in.Workflow == "" || in.ExecutionName == "" {
				t.Fatalf("events/%s.json is not a provision.Input: %v", name, err)
			}
			res := proc.invoke(t, raw)
			if !res.failed {
				if !json.Valid(res.body) {
					t.Errorf("%s: answered %s, not JSON", name, res.body)
				}
				return
			}
			var e struct {
				ErrorType    string `json:"errorType"`
				ErrorMessage string `json:"errorMessage"`
			}
			if json.Unmarshal(res.body, &e) != nil || e.ErrorType == "" || e.ErrorMessage == "" {
				t.Errorf("%s: error %s, want {errorType, errorMessage}", name, res.body)
			}
			t.Logf("%s: %s: %s", name, e.ErrorType, e.ErrorMessage)
		})
	}

	for _, name := range invocationOrder(t) {
		fn := resourceByID(t, s.All, berth.FunctionLogicalID(name))
		env := append(slices.Clone(platform), lambdaEnvironment(t, s, fn, table.ID)...)
		if strings.Contains(name, "command") || strings.Contains(name, "cron") {
			// The job events read and cancel seeded runs, on an ACTIVE production.
			if err := deploytest.SeedJobs(ctx, tbl, "acme", "my-app", apps.ProductionEnvironment); err != nil {
				t.Fatal(err)
			}
		}
		if rt, err := api.FindRoute(name); err == nil && (rt.Logs || rt.Metrics || rt.Shell) {
			// They read an ACTIVE production's cluster, service and log group.
			if err := withOutputs(ctx, tbl, "acme", "my-app", apps.ProductionEnvironment); err != nil {
				t.Fatal(err)
			}
		}
		if name == "create-volume" {
			// Volumes live on production's filesystem, and are deleted once its last deployment has ended.
			if err := withFilesystem(ctx, tbl, "acme", "my-app", apps.ProductionEnvironment); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := deploytest.SeedDataEvent(ctx, tbl, deploytest.BackupsBucket, name); err != nil { // the S3 stub holds every object
			t.Fatal(err)
		}
		if rt, err := api.FindRoute(name); err == nil && slices.Contains(rt.Starts, apps.DeployEnvironment) {
			// No workflow runs here: production is ACTIVE, and each
			// deployment is over before the next change.
			if _, err := deploytest.Settle(ctx, tbl, "acme", "my-app", apps.ProductionEnvironment); err != nil {
				t.Fatal(err)
			}
		}
		t.Run(name, func(t *testing.T) {
			proc := startFunction(t, name, filepath.Join(hostDir, name, "bootstrap"), env)
			defer proc.stop()
			for _, variant := range []string{".json", ".invalid.json"} {
				raw, err := os.ReadFile(filepath.Join(repoRoot, "events", name+variant))
				if err != nil {
					t.Fatalf("every function needs events/%s%s: %v", name, variant, err)
				}
				if raw, err = deploytest.WithUID(ctx, tbl, raw, "acme", "my-app", apps.ProductionEnvironment); err != nil {
					t.Fatal(err)
				}
				res := proc.invoke(t, raw)
				if name == berth.AuthorizerFunction {
					checkAuthorizer(t, variant, res)
					continue
				}
				checkProxyResponse(t, spec, name, variant, raw, res)
			}
		})
	}

	// Each route that starts a workflow started one, through the real SDK.
	var starts int
	for _, rt := range api.Routes() {
		starts += min(len(rt.Starts), 1)
	}
	// The token functions found the stack's usage plan by name and added a key to it.
	if !slices.Contains(gwStub.calls, "POST /usageplans/plan-1/keys") || !slices.Contains(gwStub.calls, "DELETE /apikeys/key-1") {
		t.Errorf("API Gateway calls %v: want a key added to plan-1 and one deleted", gwStub.calls)
	}
	// get-ecr-login asked ECR for its valid event, through the real SDK.
	var logins int
	for _, rt := range api.Routes() {
		if rt.Registry {
			logins++
		}
	}
	if ecr.calls != logins {
		t.Errorf("%d GetAuthorizationToken calls, want %d", ecr.calls, logins)
	}
	// The scaling routes asked Application Auto Scaling, through the real SDK.
	if got := autoScaling.operations(); !slices.Contains(got, "DescribeScalingPolicies") || !slices.Contains(got, "PutScalingPolicy") {
		t.Errorf("Application Auto Scaling calls %v: want the policies listed and one put", got)
	}
	// The logs, metrics, shell and secrets routes called AWS through the
	// real SDK for their valid events only: the invalid ones are refused first.
	wantObserve := []string{"FilterLogEvents", "GetMetricData", "ListTasks", "AssumeRole", "CreateSecret", "DeleteSecret", "CreateAccessPoint", "DeleteAccessPoint"}
	if got := observe.Ops(); !sameStrings(got, wantObserve) {
		t.Errorf("CloudWatch, ECS, STS, Secrets Manager and EFS calls %v, want %v", got, wantObserve)
	}
	// download-backup found its backup's object, and delete-backup deleted it, through the real SDK.
	object := "/" + deploytest.BackupsBucket + "/" + data.ArtefactKey("acme", "my-app", apps.ProductionEnvironment, data.KindDatabase, deploytest.DatabaseBackupID)
	if got, want := s3Stub.operations(), []string{"HEAD " + object, "DELETE " + object}; !slices.Equal(got, want) {
		t.Errorf("S3 calls %v, want %v", got, want)
	}
	if got := sfnStub.count(); got != starts {
		t.Errorf("%d StartExecution calls, want %d (one per valid event of a route that starts a workflow)", got, starts)
	}
}

// withOutputs makes the environment ACTIVE, as provisioning would, with
// the cluster and log group its logs, metrics and shell access read.
func withOutputs(ctx context.Context, tbl *store.Table, org, app, name string) error {
	if err := deploytest.Activate(ctx, tbl, org, app, name); err != nil {
		return err
	}
	env, err := tbl.GetEnvironment(ctx, org, app, name)
	if err != nil {
		return err
	}
	target := apps.Target{Organisation: org, Application: app, Environment: name, UID: env.UID}
	return tbl.Apply(ctx, target, apps.Change{Outputs: map[string]string{
		apps.OutCluster:  "arn:aws:ecs:" + testRegion + ":" + testAccount + ":cluster/berth",
		apps.OutLogGroup: target.Names().LogGroup(),
	}, Now: time.Now()})
}

// withFilesystem settles the environment's deployments and gives it the
// filesystem provisioning would have, for the volume routes.
func withFilesystem(ctx context.Context, tbl *store.Table, org, app, name string) error {
	if _, err := deploytest.Settle(ctx, tbl, org, app, name); err != nil {
		return err
	}
	env, err := tbl.GetEnvironment(ctx, org, app, name)
	if err != nil {
		return err
	}
	target := apps.Target{Organisation: org, Application: app, Environment: name, UID: env.UID}
	return tbl.Apply(ctx, target, apps.Change{Outputs: map[string]string{apps.OutFilesystemID: "fs-0123456789abcdef0"}, Now: time.Now()})
}

// s3Stub answers S3's HeadObject (an object of 20 bytes) and DeleteObject,
// path-style, and records each as "METHOD /bucket/key".
type s3Stub struct {
	mu    sync.Mutex
	calls []string
}

func (s *s3Stub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.calls = append(s.calls, r.Method+" "+r.URL.Path)
	s.mu.Unlock()
	switch r.Method {
	case http.MethodHead:
		w.Header().Set("Content-Length", "20")
		w.Header().Set("Last-Modified", "Sat, 05 Dec 2026 10:00:00 GMT")
		w.WriteHeader(http.StatusOK)
	case http.MethodDelete:
		w.WriteHeader(http.StatusNoContent)
	default:
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusNotImplemented)
		_, _ = io.WriteString(w, `<Error><Code>NotImplemented</Code><Message>the harness answers HeadObject and DeleteObject only</Message></Error>`)
	}
}

func (s *s3Stub) operations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// invocationOrder runs the authorizer, then the routes in the order of
// shared/boot's event test: creates first, deletes last, so that each
// valid event finds the records it needs; the changes through
// rollback-release make deployments 1 to 5, the last left running for
// cancel-deployment and cancel-operation; the configuration changes come
// after them, so that no rollback undoes a variable a later event deletes.
func invocationOrder(t *testing.T) []string {
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
		// (PUT stops it); cf2_app (cf2-app in space cf2-dev) is created and deleted.
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
	var routes []string
	for _, rt := range api.Routes() {
		routes = append(routes, rt.Name)
	}
	if !sameStrings(order, routes) {
		t.Fatalf("the invocation order %v does not name every route once %v", order, routes)
	}
	return append([]string{berth.AuthorizerFunction}, order...)
}

// lambdaEnvironment is the environment Lambda would give the function:
// the template's variables, with references resolved to what the harness
// runs, and the runtime's own variables.
// attID is X of {"Fn::GetAtt": [X, A]}.
func attID(v any) string {
	id, _, _ := getAtt(v)
	return id
}

func lambdaEnvironment(t *testing.T, s *synthesized, fn resource, tableID string) []string {
	t.Helper()
	envProp, _ := fn.Properties["Environment"].(map[string]any)
	vars, _ := envProp["Variables"].(map[string]any)
	isStep := slices.ContainsFunc(provision.StepNames, func(n string) bool { return berth.FunctionLogicalID(n) == fn.ID })
	var env []string
	for k, v := range vars {
		var value string
		_, _, isAtt := getAtt(v)
		intrinsic, _ := v.(map[string]any)
		_, isJoin := intrinsic["Fn::Join"]
		switch id, isRef := ref(v); {
		case !isRef && (isAtt || isJoin) && isStep:
		case isAtt && resourceByID(t, s.All, attID(v)).Type == "AWS::ECS::Cluster":
			// The scaling routes' cluster: only its name, the ARN's last part, is used.
			value = "arn:aws:ecs:" + testRegion + ":" + testAccount + ":cluster/harness-" + attID(v)
		case isAtt && resourceByID(t, s.All, attID(v)).Type == "AWS::IAM::Role":
			// The cron routes' scheduler role: passed to Scheduler, never assumed here.
			value = "arn:aws:iam::" + testAccount + ":role/harness-" + attID(v)
		case !isRef:
			str, ok := v.(string)
			if !ok {
				t.Fatalf("%s: cannot resolve %s=%v", fn.ID, k, v)
			}
			value = str
		case id == tableID:
			value = harnessTableName
		case !isStep && resourceByID(t, s.All, id).Type == "AWS::S3::Bucket":
			// The backups bucket: the one the seeded backups name.
			value = deploytest.BackupsBucket
		case id == "AWS::AccountId":
			value = testAccount
		case resourceByID(t, s.All, id).Type == "AWS::StepFunctions::StateMachine":
			value = "arn:aws:states:" + testRegion + ":" + testAccount + ":stateMachine:" + id
		case isStep:
			value = "harness-" + id
		case resourceByID(t, s.All, id).Type == "AWS::ElasticLoadBalancingV2::Listener":
			// The scaling routes read the load balancer's full name from it.
			value = "arn:aws:elasticloadbalancing:" + testRegion + ":" + testAccount + ":listener/app/harness/50dc6c495c0c9188/f2f7dc8efc522ab2"
		default:
			t.Fatalf("%s: cannot resolve %s=%v", fn.ID, k, v)
		}
		if isAtt && isStep {
			// The data plane's ARNs and ids; the harness never calls them.
			value = "harness-" + strings.NewReplacer(" ", "", "<", "", ">", "").Replace(flatten(v))
		} else if isJoin && isStep {
			value = strings.NewReplacer(" ", "", "<", "", ">", "").Replace(flatten(v))
		}
		env = append(env, k+"="+value)
	}
	logging, _ := fn.Properties["LoggingConfig"].(map[string]any)
	return append(env,
		"AWS_LAMBDA_FUNCTION_NAME="+fn.ID,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		fmt.Sprintf("AWS_LAMBDA_FUNCTION_MEMORY_SIZE=%v", fn.Properties["MemorySize"]),
		fmt.Sprintf("AWS_LAMBDA_LOG_FORMAT=%v", logging["LogFormat"]),
		"_HANDLER=bootstrap", "TZ=:UTC",
	)
}

func checkAuthorizer(t *testing.T, variant string, res invocationResult) {
	t.Helper()
	if variant == ".invalid.json" {
		var e struct {
			ErrorMessage string `json:"errorMessage"`
		}
		if !res.failed || json.Unmarshal(res.body, &e) != nil || e.ErrorMessage != "Unauthorized" {
			t.Errorf("invalid token: failed=%v %s, want the error Unauthorized", res.failed, res.body)
		}
		return
	}
	var out events.APIGatewayCustomAuthorizerResponse
	if res.failed || json.Unmarshal(res.body, &out) != nil || out.PrincipalID != eventTokenID ||
		len(out.PolicyDocument.Statement) != 1 || out.PolicyDocument.Statement[0].Effect != "Allow" {
		t.Errorf("valid token: failed=%v %s, want an Allow policy for %s", res.failed, res.body, eventTokenID)
	}
}

func checkProxyResponse(t *testing.T, spec *openapi3.T, name, variant string, raw []byte, res invocationResult) {
	t.Helper()
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	var out events.APIGatewayProxyResponse
	if res.failed || json.Unmarshal(res.body, &out) != nil {
		t.Errorf("%s%s: the function failed: %s", name, variant, res.body)
		return
	}
	documented := documentedStatuses(spec, name)
	if rt, err := api.FindRoute(name); err == nil && rt.Dialect != nil {
		// A dialect's routes are in its own document.
		documented = documentedStatuses(dialectDoc(t, rt.Dialect.Name), name)
	}
	if len(documented) == 0 {
		t.Errorf("%s: no OpenAPI document has an operation %s", name, name)
	}
	ok := slices.Contains(documented, strconv.Itoa(out.StatusCode))
	switch variant {
	case ".json":
		if out.StatusCode < 200 || out.StatusCode > 299 || !ok {
			t.Errorf("%s%s: status %d, want a documented success (%v): %s", name, variant, out.StatusCode, documented, out.Body)
		}
	default:
		if out.StatusCode < 400 || out.StatusCode > 499 || !ok || !isProblem(name, out) {
			t.Errorf("%s%s: status %d (%s), want a documented 4xx problem (%v): %s", name, variant, out.StatusCode, header(out, "Content-Type"), documented, out.Body)
		}
	}
	if got := header(out, "X-Request-Id"); got != ev.RequestContext.RequestID {
		t.Errorf("%s%s: X-Request-Id %q, want API Gateway's %q", name, variant, got, ev.RequestContext.RequestID)
	}
}

// dialectDoc is a dialect's OpenAPI document, docs/dialects/<name>.yaml.
func dialectDoc(t *testing.T, name string) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromFile(filepath.Join(repoRoot, "docs", "dialects", name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// documentedStatuses are the response codes docs/openapi.yaml gives the
// operation.
func documentedStatuses(spec *openapi3.T, operationID string) []string {
	for _, item := range spec.Paths.Map() {
		for _, op := range item.Operations() {
			if op.OperationID == operationID && op.Responses != nil {
				var codes []string
				for code := range op.Responses.Map() {
					codes = append(codes, code)
				}
				return codes
			}
		}
	}
	return nil
}

// isProblem is whether out is an error answer in the route's shape:
// Berth's application/problem+json, or its dialect's own: CF v3's
// {"errors":[...]}, CF v2's {"code","description","error_code"},
// Qovery's {"status","error","message","timestamp"}. A new dialect's
// routes fail here until their shape is added.
func isProblem(name string, out events.APIGatewayProxyResponse) bool {
	rt, err := api.FindRoute(name)
	if err != nil || rt.Dialect == nil {
		return header(out, "Content-Type") == "application/problem+json"
	}
	if !strings.HasPrefix(header(out, "Content-Type"), "application/json") {
		return false
	}
	switch rt.Dialect.Name {
	case "cfv3":
		return strings.HasPrefix(out.Body, `{"errors":[`)
	case "cfv2":
		var e map[string]any
		return json.Unmarshal([]byte(out.Body), &e) == nil &&
			len(e) == 3 && e["code"] != nil && e["description"] != "" && strings.HasPrefix(fmt.Sprint(e["error_code"]), "CF-")
	case "qovery":
		var e struct {
			Status                    int
			Error, Message, Timestamp string
		}
		return json.Unmarshal([]byte(out.Body), &e) == nil && e.Status == out.StatusCode && e.Error != "" && e.Message != "" && e.Timestamp != ""
	}
	return false
}

func header(res events.APIGatewayProxyResponse, name string) string {
	if v := res.Headers[name]; v != "" {
		return v
	}
	if vs := res.MultiValueHeaders[name]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// The Lambda Runtime API, as much of it as a function uses:
// GET  /2018-06-01/runtime/invocation/next
// POST /2018-06-01/runtime/invocation/{id}/response
// POST /2018-06-01/runtime/invocation/{id}/error
// POST /2018-06-01/runtime/init/error

type invocation struct {
	id   string
	body []byte
}

type invocationResult struct {
	id     string
	body   []byte
	failed bool
}

type runtimeAPI struct {
	functionARN string
	next        chan invocation
	results     chan invocationResult
	initErrors  chan []byte
}

func newRuntimeAPI(functionARN string) *runtimeAPI {
	return &runtimeAPI{
		functionARN: functionARN,
		next:        make(chan invocation),
		results:     make(chan invocationResult, 1),
		initErrors:  make(chan []byte, 1),
	}
}

func (r *runtimeAPI) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, req *http.Request) {
		select {
		case inv := <-r.next:
			deadline := time.Now().Add(berth.FunctionTimeout * time.Second)
			w.Header().Set("Lambda-Runtime-Aws-Request-Id", inv.id)
			w.Header().Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(deadline.UnixMilli(), 10))
			w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", r.functionARN)
			w.Header().Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0")
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(inv.body)
		case <-req.Context().Done():
		}
	})
	result := func(failed bool) http.HandlerFunc {
		return func(w http.ResponseWriter, req *http.Request) {
			body, err := io.ReadAll(req.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			r.results <- invocationResult{id: req.PathValue("id"), body: body, failed: failed}
			w.WriteHeader(http.StatusAccepted)
		}
	}
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", result(false))
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", result(true))
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		select {
		case r.initErrors <- body:
		default:
		}
		w.WriteHeader(http.StatusAccepted)
	})
	return mux
}

// lockedBuffer collects a process's output.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type functionProcess struct {
	name   string
	api    *runtimeAPI
	server *httptest.Server
	cmd    *exec.Cmd
	output *lockedBuffer
	// exited is closed when the process has exited, with waitErr set.
	exited  chan struct{}
	waitErr error
}

// startFunction starts a bootstrap as Lambda's runtime would: in its own
// directory, with only the function's environment.
func startFunction(t *testing.T, name, bootstrap string, env []string) *functionProcess {
	t.Helper()
	p := &functionProcess{
		name:   name,
		api:    newRuntimeAPI("arn:aws:lambda:" + testRegion + ":" + testAccount + ":function:" + name),
		output: &lockedBuffer{},
		exited: make(chan struct{}),
	}
	p.server = httptest.NewServer(p.api.handler())
	p.cmd = exec.Command(bootstrap)
	p.cmd.Dir = filepath.Dir(bootstrap)
	p.cmd.Env = append(env,
		"AWS_LAMBDA_RUNTIME_API="+strings.TrimPrefix(p.server.URL, "http://"),
		"LAMBDA_TASK_ROOT="+filepath.Dir(bootstrap))
	p.cmd.Stdout, p.cmd.Stderr = p.output, p.output
	if err := p.cmd.Start(); err != nil {
		p.server.Close()
		t.Fatalf("start %s: %v", bootstrap, err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.exited)
	}()
	return p
}

// invoke hands the function one event and waits for its answer.
func (p *functionProcess) invoke(t *testing.T, event []byte) invocationResult {
	t.Helper()
	id := newRequestID()
	timeout := time.After(30 * time.Second)
	select {
	case p.api.next <- invocation{id: id, body: event}:
	case body := <-p.api.initErrors:
		t.Fatalf("%s failed at init: %s\n%s", p.name, body, p.output)
	case <-p.exited:
		t.Fatalf("%s exited before taking an event: %v\n%s", p.name, p.waitErr, p.output)
	case <-timeout:
		t.Fatalf("%s did not ask for an event in 30 s\n%s", p.name, p.output)
	}
	select {
	case res := <-p.api.results:
		if res.id != id {
			t.Fatalf("%s answered request %s, want %s", p.name, res.id, id)
		}
		return res
	case <-p.exited:
		t.Fatalf("%s exited during an invocation: %v\n%s", p.name, p.waitErr, p.output)
	case <-timeout:
		t.Fatalf("%s did not answer in 30 s\n%s", p.name, p.output)
	}
	return invocationResult{}
}

func (p *functionProcess) stop() {
	_ = p.cmd.Process.Kill()
	<-p.exited
	p.server.CloseClientConnections()
	p.server.Close()
}

func newRequestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// apiGatewayStub answers the usage plan and API key calls of the token
// functions as API Gateway does; the plan is the stack's by name.
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
	case r.Method == http.MethodGet && r.URL.Path == "/usageplans":
		_, _ = io.WriteString(w, `{"item":[{"id":"plan-1","name":"`+berth.UsagePlanName(testStack)+`"}]}`)
	case r.Method == http.MethodGet:
		_, _ = io.WriteString(w, `{"item":[{"id":"key-1","name":"`+r.URL.Query().Get("name")+`"}]}`)
	case r.Method == http.MethodPost:
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"id":"key-1"}`)
	default:
		w.WriteHeader(http.StatusAccepted)
	}
}

// autoScalingStub answers Application Auto Scaling's JSON 1.1 calls with
// no policies, and records the operations.
type autoScalingStub struct {
	mu  sync.Mutex
	ops []string
}

func (s *autoScalingStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AnyScaleFrontendService.")
	s.ops = append(s.ops, op)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	switch op {
	case "DescribeScalingPolicies":
		_, _ = io.WriteString(w, `{"ScalingPolicies":[]}`)
	case "PutScalingPolicy":
		_, _ = io.WriteString(w, `{"PolicyARN":"arn:aws:autoscaling:`+testRegion+`:`+testAccount+`:scalingPolicy:1"}`)
	case "DeleteScalingPolicy":
		_, _ = io.WriteString(w, `{}`)
	default:
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"__type":"UnknownOperationException"}`)
	}
}

func (s *autoScalingStub) operations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.ops)
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
	_, _ = io.WriteString(w, `{"authorizationData":[{"authorizationToken":"QVdTOmVjci1wYXNzd29yZA==","expiresAt":1.7636e9,"proxyEndpoint":"https://`+testAccount+`.dkr.ecr.`+testRegion+`.amazonaws.com"}]}`)
}

// stepFunctionsStub answers StartExecution as Step Functions does, so the
// functions' real SDK client serialises the call and parses the answer.
type stepFunctionsStub struct {
	mu     sync.Mutex
	starts []map[string]string
}

func (s *stepFunctionsStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in map[string]string
	if r.Header.Get("X-Amz-Target") != "AWSStepFunctions.StartExecution" || json.NewDecoder(r.Body).Decode(&in) != nil ||
		!strings.HasPrefix(in["stateMachineArn"], "arn:aws:states:") {
		http.Error(w, `{"__type":"UnknownOperationException"}`, http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.starts = append(s.starts, in)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	_, _ = io.WriteString(w, `{"executionArn":"`+in["stateMachineArn"]+`:`+in["name"]+`","startDate":1.7636e9}`)
}

func (s *stepFunctionsStub) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.starts)
}
