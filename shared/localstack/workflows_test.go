package localstack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/auth"
	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/sandbox"
	"github.com/berth-dev/berth/shared/localstack"
	"github.com/berth-dev/berth/shared/store"
)

// twin is a local stack that runs the real workflows on a sandbox.
type twin struct {
	t     *testing.T
	stack *localstack.Stack
	token string
	org   string
}

func startTwin(t *testing.T, profile sandbox.Profile, noWaits bool) *twin {
	t.Helper()
	return startTwinWith(t, localstack.Config{Sandbox: sandbox.New(profile), NoWaits: noWaits})
}

// startTwinWith is startTwin with more of the stack's configuration.
func startTwinWith(t *testing.T, cfg localstack.Config) *twin {
	t.Helper()
	ctx := context.Background()
	sfnLog := &bytes.Buffer{}
	cfg.Table, cfg.RunWorkflows, cfg.Log, cfg.WorkflowLog = "berth-workflows", true, discardLogger(), sfnLog
	stack, err := localstack.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = stack.Close() // after Close, nothing more writes to sfnLog
		if t.Failed() {
			t.Logf("local Step Functions log:\n%s", sfnLog.String())
		}
	})
	tok, id, secret := auth.NewSecret()
	rec := auth.Token{ID: id, SecretHash: auth.HashSecret(secret), Organisations: []string{"acme", "x-acme"}, Role: auth.RoleAdmin, CreatedAt: time.Now().UTC()}
	if err := (&store.Table{Client: stack.Client, Name: stack.Table}).CreateToken(ctx, rec); err != nil {
		t.Fatal(err)
	}
	return &twin{t: t, stack: stack, token: tok, org: "acme"}
}

func (w *twin) call(method, path string, body any) (int, map[string]any) {
	w.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			w.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, "/api/v3/organizations/"+w.org+path, rd)
	req.Header.Set("Authorization", "Bearer "+w.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	w.stack.Handler.ServeHTTP(rec, req)
	if rec.Header().Get("X-Berth-Cloud") != "sandbox" {
		w.t.Errorf("%s %s: response does not say it comes from the sandbox", method, path)
	}
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	return rec.Code, out
}

// waitFor polls path until its status is one of want, or it is gone (404)
// when want is "GONE".
func (w *twin) waitFor(path string, want ...string) map[string]any {
	w.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		code, body := w.call(http.MethodGet, path, nil)
		status, _ := body["status"].(string)
		for _, s := range want {
			if (s == "GONE" && code == http.StatusNotFound) || (code == http.StatusOK && status == s) {
				return body
			}
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("GET %s: still %d %v, want %v", path, code, body["status"], want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewJSONHandler(io.Discard, nil)) }

func seed(t *testing.T, name string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile("../../docs/examples/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatal(err)
	}
	return body
}

func appBody(t *testing.T, name string) map[string]any {
	b := seed(t, "create-application.json")
	b["appName"] = name
	return b
}

func (w *twin) leftovers() []string {
	var out []string
	for _, r := range w.stack.Local.Sandbox.Resources() {
		out = append(out, string(r.Kind)+" "+r.Name)
	}
	return out
}

func get(m map[string]any, path string) any {
	var cur any = m
	for _, k := range strings.Split(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = obj[k]
	}
	return cur
}

// history reads an execution's events from local Step Functions.
func (w *twin) history(workflow, execution string) []sfntypes.HistoryEvent {
	w.t.Helper()
	arn := strings.Replace(w.stack.Local.SFN.ARN(workflow), ":stateMachine:", ":execution:", 1) + ":" + execution
	c := w.stack.Local.SFN.Client()
	var events []sfntypes.HistoryEvent
	p := sfn.NewGetExecutionHistoryPaginator(c, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			w.t.Fatal(err)
		}
		events = append(events, page.Events...)
	}
	return events
}

// transitions counts the states entered, as Step Functions bills them.
func transitions(events []sfntypes.HistoryEvent) int {
	n := 0
	for _, e := range events {
		if strings.HasSuffix(string(e.Type), "StateEntered") {
			n++
		}
	}
	return n
}

// TestApplicationLifecycle is the "done when": the seed with a
// database and a filesystem reaches ACTIVE with every detail shown; a clone
// environment reaches ACTIVE; deleting both leaves nothing in the sandbox.
func TestApplicationLifecycle(t *testing.T) {
	w := startTwin(t, sandbox.Instant, true)
	code, _ := w.call(http.MethodPost, "/applications", appBody(t, "shop"))
	if code != http.StatusCreated {
		t.Fatalf("create: %d", code)
	}
	app := w.waitFor("/applications/shop", "ACTIVE", "FAILED")
	if app["status"] != "ACTIVE" {
		t.Fatalf("application %v: %v", app["status"], app["statusReason"])
	}
	for path, want := range map[string]string{
		"database.rdsInstanceEndpoint": ".sandbox.berth.local", "database.rdsInstanceStatus": "available",
		"filesystem.filesystemId": "fs-sandbox", "repositoryUri": "dkr.ecr.sandbox", "cloud": "sandbox",
		"progress.state": "SUCCEEDED",
	} {
		if got, _ := get(app, path).(string); !strings.Contains(got, want) {
			t.Errorf("%s = %q, want it to contain %q", path, got, want)
		}
	}
	if p := get(app, "progress.percent"); p != 100.0 {
		t.Errorf("progress.percent = %v", p)
	}
	deps, _ := app["deploymentInformation"].([]any)
	if len(deps) != 1 || !strings.Contains(get(deps[0].(map[string]any), "taskDefinitionArn").(string), ":task-definition:") ||
		get(deps[0].(map[string]any), "status") != "COMPLETED" {
		t.Errorf("deploymentInformation = %v", deps)
	}
	_, prod := w.call(http.MethodGet, "/applications/shop/environments/production", nil)
	for path, want := range map[string]string{
		"service.serviceArn": ":service:", "loadBalancer.host": cloud.Names{Organisation: "acme", Application: "shop", Environment: "production"}.Host(sandbox.Domain),
		"securityGroup.securityGroupId": "sg-", "vpc.vpcId": "vpc-", "taskDefinition.taskDefinitionArn": ":task-definition:",
	} {
		if got, _ := get(prod, path).(string); !strings.Contains(got, want) {
			t.Errorf("production %s = %q, want it to contain %q", path, got, want)
		}
	}
	if vols, _ := prod["volumes"].([]any); len(vols) != 1 || get(vols[0].(map[string]any), "rootDirectory") != "/production" {
		t.Errorf("production volumes = %v", prod["volumes"])
	}

	clone := map[string]any{"envName": "staging", "cloneConfigurationFrom": "production"}
	if code, body := w.call(http.MethodPost, "/applications/shop/environments", clone); code != http.StatusCreated {
		t.Fatalf("clone: %d %v", code, body)
	}
	if env := w.waitFor("/applications/shop/environments/staging", "ACTIVE", "FAILED"); env["status"] != "ACTIVE" {
		t.Fatalf("staging %v: %v", env["status"], env["statusReason"])
	}
	if code, _ := w.call(http.MethodDelete, "/applications/shop/environments/staging", nil); code != http.StatusAccepted {
		t.Fatalf("delete staging: %d", code)
	}
	w.waitFor("/applications/shop/environments/staging", "GONE")
	if code, _ := w.call(http.MethodDelete, "/applications/shop", nil); code != http.StatusAccepted {
		t.Fatalf("delete: %d", code)
	}
	w.waitFor("/applications/shop", "GONE")
	if left := w.leftovers(); len(left) != 0 {
		t.Fatalf("the sandbox still holds %v", left)
	}
}

// faults are every cloud operation a provisioning run makes.
var faults = []string{
	"CreateDatabase", "Check:database", "CreateFilesystem", "Check:filesystem", "CreateRepository",
	"CreateLogGroup", "CreateSecret", "CreateSecurityGroup", "CreateTargetGroup", "CreateListenerRule",
	"CreateAccessPoint", "RegisterTaskDefinition", "CreateService", "RegisterScaling", "Check:service",
}

// TestFailureAtEachStepCompensates injects a failure into each operation in
// turn: the application ends FAILED with a reason naming the step and the
// cloud's error, nothing it created is left, and the same request sent
// again succeeds.
func TestFailureAtEachStepCompensates(t *testing.T) {
	w := startTwin(t, sandbox.Instant, true)
	box := w.stack.Local.Sandbox
	for _, op := range faults {
		t.Run(op, func(t *testing.T) {
			w.t = t
			name := "app-" + strings.ToLower(strings.NewReplacer(":", "-").Replace(op))
			box.Fault(op, errors.New("InternalFailure: injected"))
			t.Cleanup(box.ClearFaults)
			if code, body := w.call(http.MethodPost, "/applications", appBody(t, name)); code != http.StatusCreated {
				t.Fatalf("create: %d %v", code, body)
			}
			app := w.waitFor("/applications/"+name, "FAILED", "ACTIVE")
			reason, _ := app["statusReason"].(string)
			if app["status"] != "FAILED" || !strings.Contains(reason, op) || !strings.Contains(reason, "injected") {
				t.Fatalf("status %v, reason %q; want FAILED naming %s and the error", app["status"], reason, op)
			}
			if get(app, "progress.state") != "FAILED" {
				t.Errorf("progress = %v", app["progress"])
			}
			if left := w.leftovers(); len(left) != 0 {
				t.Fatalf("compensation left %v", left)
			}
			if op == faults[0] {
				env := map[string]any{"envName": "staging", "cloneConfigurationFrom": "production"}
				if code, _ := w.call(http.MethodPost, "/applications/"+name+"/environments", env); code != http.StatusConflict {
					t.Errorf("an environment of a FAILED application: %d, want 409", code)
				}
			}
			box.ClearFaults()
			if code, body := w.call(http.MethodPost, "/applications", appBody(t, name)); code != http.StatusCreated {
				t.Fatalf("re-create: %d %v", code, body)
			}
			if app := w.waitFor("/applications/"+name, "ACTIVE", "FAILED"); app["status"] != "ACTIVE" {
				t.Fatalf("re-run: %v %v", app["status"], app["statusReason"])
			}
			w.call(http.MethodDelete, "/applications/"+name, nil)
			w.waitFor("/applications/"+name, "GONE")
			if left := w.leftovers(); len(left) != 0 {
				t.Fatalf("teardown left %v", left)
			}
		})
	}
}

// TestEnvironmentFailureLeavesApplication: a failed environment is
// compensated alone; its application stays ACTIVE.
func TestEnvironmentFailureLeavesApplication(t *testing.T) {
	w := startTwin(t, sandbox.Instant, true)
	w.call(http.MethodPost, "/applications", appBody(t, "blog"))
	w.waitFor("/applications/blog", "ACTIVE")
	before := len(w.leftovers())
	w.stack.Local.Sandbox.Fault("CreateService", errors.New("ServiceUnavailable: injected"))
	w.call(http.MethodPost, "/applications/blog/environments", map[string]any{"envName": "preview", "cloneConfigurationFrom": "production"})
	env := w.waitFor("/applications/blog/environments/preview", "FAILED", "ACTIVE")
	if env["status"] != "FAILED" || !strings.Contains(fmt.Sprint(env["statusReason"]), "create ECS service") {
		t.Fatalf("preview %v: %v", env["status"], env["statusReason"])
	}
	if after := len(w.leftovers()); after != before {
		t.Fatalf("the sandbox held %d resources before and %d after", before, after)
	}
	if _, app := w.call(http.MethodGet, "/applications/blog", nil); app["status"] != "ACTIVE" {
		t.Fatalf("application %v", app["status"])
	}
	w.stack.Local.Sandbox.ClearFaults()
	if code, body := w.call(http.MethodPost, "/applications/blog/environments", map[string]any{"envName": "preview", "cloneConfigurationFrom": "production"}); code != http.StatusCreated {
		t.Fatalf("re-create: %d %v", code, body)
	}
	w.waitFor("/applications/blog/environments/preview", "ACTIVE")
}

// TestHostsAreNotShared is the security probe: acme's app p-x and
// x-acme's app p used to share production-p-x-acme. Both now come up on
// hosts of their own; and a host that another environment's rule already
// routes fails the environment with the reason, leaving that rule alone.
func TestHostsAreNotShared(t *testing.T) {
	w := startTwin(t, sandbox.Instant, true)
	hosts := map[string]string{}
	for _, tenant := range [][2]string{{"acme", "p-x"}, {"x-acme", "p"}} {
		w.org = tenant[0]
		if code, body := w.call(http.MethodPost, "/applications", appBody(t, tenant[1])); code != http.StatusCreated {
			t.Fatalf("%s: create: %d %v", tenant, code, body)
		}
		w.waitFor("/applications/"+tenant[1], "ACTIVE")
		_, env := w.call(http.MethodGet, "/applications/"+tenant[1]+"/environments/production", nil)
		host, _ := get(env, "loadBalancer.host").(string)
		if host == "" {
			t.Fatalf("%s: no host: %v", tenant, env["loadBalancer"])
		}
		if other, ok := hosts[host]; ok {
			t.Fatalf("%s and %s share the host %s", other, tenant, host)
		}
		hosts[host] = tenant[0] + "/" + tenant[1]
	}

	// A rule someone else made for the host the next environment will get.
	w.org = "acme"
	box := w.stack.Local.Sandbox
	host := cloud.Names{Organisation: "acme", Application: "p-x", Environment: "preview"}.Host(sandbox.Domain)
	tg, err := box.CreateTargetGroup(context.Background(), cloud.TargetGroupSpec{Name: "foreign-0123456789"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := box.CreateListenerRule(context.Background(), cloud.ListenerRuleSpec{Name: "foreign", Host: host, TargetGroupARN: tg.ID}); err != nil {
		t.Fatal(err)
	}
	w.call(http.MethodPost, "/applications/p-x/environments", map[string]any{"envName": "preview", "cloneConfigurationFrom": "production"})
	env := w.waitFor("/applications/p-x/environments/preview", "FAILED", "ACTIVE")
	reason := fmt.Sprint(env["statusReason"])
	if env["status"] != "FAILED" || !strings.Contains(reason, host) || !strings.Contains(reason, "another environment") {
		t.Fatalf("preview %v: %q, want FAILED naming %s", env["status"], reason, host)
	}
	if got := box.Spec(cloud.KindListenerRule, "foreign").(cloud.ListenerRuleSpec).TargetGroupARN; got != tg.ID {
		t.Fatalf("the foreign rule now forwards to %s", got)
	}
}

// TestDeleteAnswersWhatGetShowed: the 202 of a DELETE shows the same
// deploymentInformation and environments as the GET just before it, with
// only the status (and its time) moved on.
func TestDeleteAnswersWhatGetShowed(t *testing.T) {
	w := startTwin(t, sandbox.Instant, true)
	w.call(http.MethodPost, "/applications", appBody(t, "shown"))
	before := w.waitFor("/applications/shown", "ACTIVE")
	deps, _ := before["deploymentInformation"].([]any)
	if len(deps) == 0 || get(deps[0].(map[string]any), "status") != "COMPLETED" {
		t.Fatalf("GET deploymentInformation %v, want one COMPLETED", before["deploymentInformation"])
	}
	code, after := w.call(http.MethodDelete, "/applications/shown", nil)
	if code != http.StatusAccepted || after["status"] != "DELETING" {
		t.Fatalf("DELETE: %d %v", code, after["status"])
	}
	for _, field := range []string{"deploymentInformation", "environments", "desiredCount", "runningCount", "composeDefinition", "database", "filesystem"} {
		if a, b := fmt.Sprint(before[field]), fmt.Sprint(after[field]); a != b {
			t.Errorf("%s: GET showed %s, DELETE answered %s", field, a, b)
		}
	}
}

// TestFailedTeardownCanBeRetried: a teardown that fails says why, and a
// second DELETE runs it again.
func TestFailedTeardownCanBeRetried(t *testing.T) {
	w := startTwin(t, sandbox.Instant, true)
	w.call(http.MethodPost, "/applications", appBody(t, "wiki"))
	w.waitFor("/applications/wiki", "ACTIVE")
	w.stack.Local.Sandbox.Fault("Delete:database", errors.New("InvalidDBInstanceState: injected"))
	w.call(http.MethodDelete, "/applications/wiki", nil)
	app := w.waitFor("/applications/wiki", "FAILED")
	if !strings.Contains(fmt.Sprint(app["statusReason"]), "teardown") {
		t.Fatalf("reason %v", app["statusReason"])
	}
	w.stack.Local.Sandbox.ClearFaults()
	if code, _ := w.call(http.MethodDelete, "/applications/wiki", nil); code != http.StatusAccepted {
		t.Fatalf("delete again: %d", code)
	}
	w.waitFor("/applications/wiki", "GONE")
	if left := w.leftovers(); len(left) != 0 {
		t.Fatalf("left %v", left)
	}
}

// TestParallelTimingAndTransitions runs the seed on the realistic sandbox
// profile with real waits: the happy path of application + RDS + EFS + ECS
// stays within 30 state transitions, and the resource branches run side
// by side: every branch has made its create call before any branch checks
// on a resource, where one after another the database would be checked
// (after a wait of seconds) before the filesystem was asked for. The
// time-to-ready ratio is measured by make bench, not asserted here.
func TestParallelTimingAndTransitions(t *testing.T) {
	w := startTwin(t, sandbox.Realistic, false)
	w.call(http.MethodPost, "/applications", appBody(t, "media"))
	app := w.waitFor("/applications/media", "ACTIVE", "FAILED")
	if app["status"] != "ACTIVE" {
		t.Fatalf("%v: %v", app["status"], app["statusReason"])
	}
	events := w.history("provision-application", get(app, "progress.execution").(string))
	if n := transitions(events); n > 30 {
		t.Errorf("%d state transitions, want at most 30", n)
	}
	entered := map[string]int{}
	for i, e := range events {
		if d := e.StateEnteredEventDetails; d != nil && strings.HasSuffix(string(e.Type), "StateEntered") {
			if _, seen := entered[aws.ToString(d.Name)]; !seen {
				entered[aws.ToString(d.Name)] = i
			}
		}
	}
	lastCreate, firstCheck := -1, len(events)
	for _, name := range []string{"CreateDatabase", "CreateFilesystem", "CreateRepository", "CreateNetwork", "CheckDatabase", "CheckFilesystem"} {
		i, ok := entered[name]
		if !ok {
			t.Fatalf("the history never entered %s", name)
		}
		if strings.HasPrefix(name, "Create") {
			lastCreate = max(lastCreate, i)
		} else {
			firstCheck = min(firstCheck, i)
		}
	}
	if lastCreate > firstCheck {
		t.Errorf("a branch checked a resource (event %d) before every branch had created its own (event %d): the branches ran one after another", firstCheck, lastCreate)
	}
	t.Logf("%d state transitions; last create at event %d, first check at %d; time to ready %s", transitions(events), lastCreate, firstCheck, events[len(events)-1].Timestamp.Sub(*events[0].Timestamp))
}

// TestOriginProtection: a container with originProtection gets a listener
// rule that forwards only requests with the origin header, and the
// environment shows the header a CDN must send: a random value per
// environment, the same one the rule requires.
func TestOriginProtection(t *testing.T) {
	w := startTwin(t, sandbox.Instant, true)
	values := map[string]bool{}
	for _, name := range []string{"guarded", "guarded-too"} {
		body := appBody(t, name)
		get(body, "composeDefinition").(map[string]any)["containers"].([]any)[0].(map[string]any)["originProtection"] = true
		if code, res := w.call(http.MethodPost, "/applications", body); code != http.StatusCreated {
			t.Fatalf("create: %d %v", code, res)
		}
		w.waitFor("/applications/"+name, "ACTIVE")
		_, env := w.call(http.MethodGet, "/applications/"+name+"/environments/production", nil)
		host, _ := get(env, "loadBalancer.host").(string)
		header, _ := get(env, "loadBalancer.originHeader").(map[string]any)
		value, _ := header["value"].(string)
		if header["name"] != apps.OriginHeader || len(value) != 32 || strings.Trim(value, "0123456789abcdef") != "" {
			t.Fatalf("loadBalancer %v: want originHeader %s with 32 hex digits", env["loadBalancer"], apps.OriginHeader)
		}
		var rule *cloud.ListenerRuleSpec
		for _, r := range w.stack.Local.Sandbox.Resources() {
			if spec, ok := w.stack.Local.Sandbox.Spec(r.Kind, r.Name).(cloud.ListenerRuleSpec); ok && spec.Host == host {
				rule = &spec
			}
		}
		if rule == nil || rule.OriginHeader == nil || rule.OriginHeader.Name != apps.OriginHeader || rule.OriginHeader.Value != value {
			t.Fatalf("the listener rule for %s requires %+v, want %s: %s", host, rule, apps.OriginHeader, value)
		}
		values[value] = true
	}
	if len(values) != 2 {
		t.Fatal("two environments share an origin header value")
	}
	// Without originProtection there is no header, on the rule or shown.
	w.call(http.MethodPost, "/applications", appBody(t, "open"))
	w.waitFor("/applications/open", "ACTIVE")
	if _, env := w.call(http.MethodGet, "/applications/open/environments/production", nil); get(env, "loadBalancer.host") == nil || get(env, "loadBalancer.originHeader") != nil {
		t.Fatalf("an unprotected environment shows loadBalancer %v", env["loadBalancer"])
	}
}

// TestStaleWorkflowsCannotWrite: a workflow of a record that was replaced
// (another uid) gets ErrConflict and changes nothing.
func TestStaleWorkflowsCannotWrite(t *testing.T) {
	w := startTwin(t, sandbox.Instant, true)
	w.call(http.MethodPost, "/applications", appBody(t, "docs"))
	before := w.waitFor("/applications/docs", "ACTIVE")
	tbl := &store.Table{Client: w.stack.Client, Name: w.stack.Table}
	stale := apps.Target{Organisation: "acme", Application: "docs", UID: "an-older-uid"}
	err := tbl.Apply(context.Background(), stale, apps.Change{Status: apps.StatusFailed, Add: []cloud.Ref{{Kind: cloud.KindDatabase, Name: "x"}}})
	const replaced = `application "docs" was deleted or created again since this workflow started; the workflow leaves it alone`
	if !errors.Is(err, apps.ErrConflict) || err.Error() != replaced {
		t.Fatalf("stale write: %v, want ErrConflict saying %q", err, replaced)
	}
	if err := tbl.RemoveRecords(context.Background(), stale); !errors.Is(err, apps.ErrConflict) || err.Error() != replaced {
		t.Fatalf("stale remove: %v, want ErrConflict saying %q", err, replaced)
	}
	// The right record in another status: the reason names both statuses.
	app, _, err := tbl.GetApplication(context.Background(), "acme", "docs")
	if err != nil {
		t.Fatal(err)
	}
	current := apps.Target{Organisation: "acme", Application: "docs", UID: app.UID}
	err = tbl.Apply(context.Background(), current, apps.Change{Status: apps.StatusFailed, IfStatus: apps.StatusCreating})
	if want := `application "docs" is ACTIVE where this workflow expected CREATING; the workflow leaves it alone`; !errors.Is(err, apps.ErrConflict) || err.Error() != want {
		t.Fatalf("write in the wrong status: %v, want %q", err, want)
	}
	if _, after := w.call(http.MethodGet, "/applications/docs", nil); after["status"] != "ACTIVE" || after["updatedAt"] != before["updatedAt"] {
		t.Fatalf("the record changed: %v → %v", before["status"], after["status"])
	}
}

// TestDeleteDuringProvisioning: a DELETE while the application is still
// being provisioned stops provisioning (it compensates), teardown waits for
// that, and nothing is left.
func TestDeleteDuringProvisioning(t *testing.T) {
	w := startTwin(t, sandbox.Fast, false)
	w.call(http.MethodPost, "/applications", appBody(t, "hasty"))
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, app := w.call(http.MethodGet, "/applications/hasty", nil)
		steps, _ := get(app, "progress.steps").([]any)
		if len(steps) > 0 && get(steps[0].(map[string]any), "state") == "RUNNING" {
			break // the database is being created
		}
		if time.Now().After(deadline) {
			t.Fatalf("provisioning never started: %v", app["progress"])
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code, _ := w.call(http.MethodDelete, "/applications/hasty", nil); code != http.StatusAccepted {
		t.Fatalf("delete: %d", code)
	}
	w.waitFor("/applications/hasty", "GONE")
	if left := w.leftovers(); len(left) != 0 {
		t.Fatalf("left %v", left)
	}
	if calls := strings.Join(w.stack.Local.Sandbox.Calls(), " "); strings.Contains(calls, "CreateService") {
		t.Errorf("provisioning went on to create the service after the DELETE: %s", calls)
	}
}

// TestEnvironmentOfAFailingApplicationFails: an environment created while
// its application is CREATING waits for it; when the application fails,
// the environment ends FAILED with the reason, not CREATING for ever.
func TestEnvironmentOfAFailingApplicationFails(t *testing.T) {
	w := startTwin(t, sandbox.Instant, true)
	w.stack.Local.Sandbox.Fault("Check:database", errors.New("InsufficientDBInstanceCapacity: injected"))
	w.call(http.MethodPost, "/applications", appBody(t, "shaky"))
	if code, body := w.call(http.MethodPost, "/applications/shaky/environments", map[string]any{"envName": "staging", "cloneConfigurationFrom": "production"}); code != http.StatusCreated {
		t.Fatalf("create staging while the application is CREATING: %d %v", code, body)
	}
	w.waitFor("/applications/shaky", "FAILED")
	env := w.waitFor("/applications/shaky/environments/staging", "FAILED", "ACTIVE")
	if env["status"] != "FAILED" || !strings.Contains(fmt.Sprint(env["statusReason"]), "Berth.ApplicationFailed") {
		t.Fatalf("staging %v: %v", env["status"], env["statusReason"])
	}
	if get(env, "progress.state") != "FAILED" {
		t.Errorf("staging progress %v", env["progress"])
	}
}
