package localstack_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/sandbox"
)

// send is call with request headers, answering the response's headers too.
func (w *twin) send(method, path string, body any, headers map[string]string) (int, http.Header, map[string]any) {
	w.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			w.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	} else {
		rd = bytes.NewReader(nil)
	}
	req := httptest.NewRequest(method, "/api/v3/organizations/"+w.org+path, rd)
	req.Header.Set("Authorization", "Bearer "+w.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	w.stack.Handler.ServeHTTP(rec, req)
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	return rec.Code, rec.Header(), out
}

// change sends a change that must start a deployment, and waits for its outcome.
func (w *twin) change(method, path string, body any, want string) map[string]any {
	w.t.Helper()
	code, h, out := w.send(method, path, body, nil)
	if code != http.StatusAccepted {
		w.t.Fatalf("%s %s: %d %v", method, path, code, out)
	}
	dep := w.outcome(h.Get("Location"))
	if dep["status"] != want {
		for _, e := range w.history("deploy-environment", dep["execution"].(string)) {
			if d := e.TaskFailedEventDetails; d != nil {
				w.t.Logf("task failed: %s %s", *d.Error, *d.Cause)
			}
		}
		w.t.Fatalf("%s %s: deployment %v %v (%v), want %s", method, path, dep["deployment"], dep["status"], dep["deploymentFailureReason"], want)
	}
	return dep
}

// outcome polls the operation a 202's Location names until it ends, and
// reads the deployment it ran.
func (w *twin) outcome(loc string) map[string]any {
	w.t.Helper()
	if !strings.Contains(loc, "/operations/deploy-environment.") {
		w.t.Fatalf("Location %q names no deployment operation", loc)
	}
	op := w.waitFor(strings.TrimPrefix(loc, "/api/v3/organizations/"+w.org), "SUCCEEDED", "FAILED")
	_, dep := w.call(http.MethodGet, strings.TrimPrefix(op["target"].(string), "/api/v3/organizations/"+w.org), nil)
	if dep["status"] != op["status"] {
		w.t.Fatalf("operation %v %v, its deployment %v", op["id"], op["status"], dep["status"])
	}
	return dep
}

func image(env map[string]any) string {
	c, _ := get(env, "composeDefinition.containers").([]any)
	if len(c) == 0 {
		return ""
	}
	id, _ := get(c[0].(map[string]any), "imageReference.identifier").(string)
	return id
}

func nginx(tag string) []map[string]any {
	return []map[string]any{{"name": "web", "imageReference": map[string]any{"type": "external", "identifier": "nginx:" + tag}, "exposedPorts": []int{80}}}
}

// TestDeployStopStartRedeployRollback is issue 12's "done when", against
// the real handlers, store and deploy-environment workflow on the sandbox.
func TestDeployStopStartRedeployRollback(t *testing.T) {
	w := startTwin(t, sandbox.Instant, true)
	const env = "/applications/web/environments/production"
	if code, _ := w.call(http.MethodPost, "/applications", map[string]any{"appName": "web", "composeDefinition": map[string]any{"containers": nginx("1.27")}}); code != http.StatusCreated {
		t.Fatalf("create: %d", code)
	}
	w.waitFor("/applications/web", "ACTIVE")

	// Two concurrent changes: one 202, one 409 naming the running deployment.
	code, h, _ := w.send(http.MethodGet, env+"/compose", nil, nil)
	etag := h.Get("ETag")
	if code != http.StatusOK || etag == "" {
		t.Fatalf("GET compose: %d, ETag %q", code, etag)
	}
	code, h, first := w.send(http.MethodPatch, env+"/compose", map[string]any{"containers": nginx("1.27.1")}, map[string]string{"If-Match": etag})
	if code != http.StatusAccepted || image(map[string]any{"composeDefinition": first}) != "nginx:1.27.1" {
		t.Fatalf("PATCH: %d %v", code, first)
	}
	code, _, second := w.send(http.MethodPatch, env+"/compose", map[string]any{"taskCpu": "512"}, nil)
	if code != http.StatusConflict || !strings.Contains(second["message"].(string), "deployment 1") {
		t.Fatalf("a change during a deployment: %d %v", code, second)
	}
	dep := w.outcome(h.Get("Location"))
	if dep["status"] != "SUCCEEDED" || dep["release"] != 2.0 {
		t.Fatalf("first deployment: %v", dep)
	}
	if code, _, out := w.send(http.MethodPatch, env+"/compose", map[string]any{"taskCpu": "512"}, map[string]string{"If-Match": etag}); code != http.StatusPreconditionFailed {
		t.Fatalf("stale If-Match: %d %v", code, out)
	}
	_, got := w.call(http.MethodGet, env, nil)
	if got["release"] != 2.0 || image(got) != "nginx:1.27.1" {
		t.Fatalf("after the patch: release %v, image %s", got["release"], image(got))
	}

	// Stop, then start.
	w.change(http.MethodPut, env+"/state", map[string]any{"action": "stop"}, "SUCCEEDED")
	if _, got = w.call(http.MethodGet, env, nil); got["status"] != "STOPPED" {
		t.Fatalf("after stop: %v", got["status"])
	}
	if code, _ := w.call(http.MethodPut, env+"/state", map[string]any{"action": "stop"}); code != http.StatusConflict {
		t.Fatalf("stop of a stopped environment: %d", code)
	}
	w.change(http.MethodPut, env+"/state", map[string]any{"action": "start"}, "SUCCEEDED")
	if _, got = w.call(http.MethodGet, env, nil); got["status"] != "ACTIVE" || got["desiredCount"] != 1.0 {
		t.Fatalf("after start: %v, desired %v", got["status"], got["desiredCount"])
	}

	// Redeploy with a new tag: a new release.
	w.change(http.MethodPut, env+"/state", map[string]any{"action": "redeploy", "imageTag": "1.28"}, "SUCCEEDED")
	if _, got = w.call(http.MethodGet, env, nil); got["release"] != 3.0 || image(got) != "nginx:1.28" {
		t.Fatalf("after redeploy: release %v, image %s", got["release"], image(got))
	}
	serving := func() string {
		res, err := w.stack.Local.Sandbox.Check(t.Context(), cloud.Ref{Kind: cloud.KindService, Name: get(got, "service.serviceName").(string)})
		if err != nil {
			t.Fatal(err)
		}
		return res.Outputs[cloud.OutTaskDefinition]
	}
	before := serving()

	// A crashing image fails fast, says why, and release 3 keeps serving.
	dep = w.change(http.MethodPatch, env+"/compose", map[string]any{"containers": nginx(sandbox.TagCrashloop)}, "FAILED")
	lines, _ := dep["logLines"].([]any)
	if dep["deploymentFailureType"] != cloud.FailureContainerExited || !strings.Contains(dep["deploymentFailureReason"].(string), "exit code 1") ||
		len(lines) == 0 || dep["rolledBack"] != true {
		t.Fatalf("crashloop deployment: %v", dep)
	}
	_, got = w.call(http.MethodGet, env, nil)
	if got["release"] != 3.0 || image(got) != "nginx:1.28" || got["deploymentFailureType"] != cloud.FailureContainerExited || got["status"] != "ACTIVE" {
		t.Fatalf("after the failed deployment: %v %v %s %v", got["status"], got["release"], image(got), got["deploymentFailureType"])
	}
	if now := serving(); now != before {
		t.Fatalf("the service serves %s after the failure, want %s", now, before)
	}

	// Roll back to release 1: a new release with its definition.
	w.change(http.MethodPost, env+"/releases/1/rollback", nil, "SUCCEEDED")
	if _, got = w.call(http.MethodGet, env, nil); got["release"] != 5.0 || image(got) != "nginx:1.27" || got["deploymentFailureType"] != nil {
		t.Fatalf("after rollback: release %v, image %s, failure %v", got["release"], image(got), got["deploymentFailureType"])
	}

	// History, newest first, a page at a time.
	code, h, _ = w.send(http.MethodGet, env+"/deployments?limit=2", nil, nil)
	if code != http.StatusOK || !strings.Contains(h.Get("Link"), `rel="next"`) {
		t.Fatalf("deployments page: %d, Link %q", code, h.Get("Link"))
	}
	req := httptest.NewRequest(http.MethodGet, "/api/v3/organizations/acme"+env+"/releases", nil)
	req.Header.Set("Authorization", "Bearer "+w.token)
	rec := httptest.NewRecorder()
	w.stack.Handler.ServeHTTP(rec, req)
	var releases []map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &releases); err != nil || len(releases) != 5 || releases[0]["release"] != 5.0 || releases[4]["cause"] != "createEnvironment" {
		t.Fatalf("releases: %v %s", err, rec.Body.String())
	}
}

// TestBadDeploymentRequestsChangeNothing: each gets a 4xx naming the field,
// and no deployment starts.
func TestBadDeploymentRequestsChangeNothing(t *testing.T) {
	w := startTwin(t, sandbox.Instant, true)
	const env = "/applications/bad/environments/production"
	if code, _ := w.call(http.MethodPost, "/applications", map[string]any{"appName": "bad", "composeDefinition": map[string]any{"containers": nginx("1")}}); code != http.StatusCreated {
		t.Fatalf("create: %d", code)
	}
	w.waitFor("/applications/bad", "ACTIVE")
	for _, c := range []struct {
		method, path string
		body         any
		status       int
		field        string
	}{
		{http.MethodPut, env + "/state", map[string]any{"action": "explode"}, 400, "action"},
		{http.MethodPut, env + "/state", map[string]any{}, 400, "action"},
		{http.MethodPut, env + "/state", map[string]any{"action": "stop", "imageTag": "2"}, 400, "imageTag"},
		{http.MethodPut, env + "/state", map[string]any{"action": "redeploy", "imageTag": "-bad"}, 400, "imageTag"},
		{http.MethodPatch, env + "/compose", map[string]any{"containers": []any{}}, 400, "containers"},
		{http.MethodPatch, env + "/compose", map[string]any{"taskCpu": "lots"}, 400, "taskCpu"},
		{http.MethodPatch, env + "/compose", map[string]any{"minCapacity": 3, "maxCapacity": 2}, 400, "minCapacity"},
		{http.MethodPut, env, map[string]any{"minCapacity": 1}, 400, "composeDefinition"},
		{http.MethodPatch, env + "/compose", map[string]any{"spotConfiguration": map[string]any{"strategy": "spot-only"}}, 400, "spotConfiguration.strategy"},
		{http.MethodPut, env, map[string]any{"composeDefinition": map[string]any{"containers": nginx("1"), "spotConfiguration": map[string]any{"strategy": "mixed-safe"}}},
			400, "composeDefinition.spotConfiguration.strategy"},
		{http.MethodPost, env + "/releases/0/rollback", nil, 400, "release"},
		{http.MethodPost, env + "/releases/9/rollback", nil, 404, ""},
		{http.MethodPost, env + "/releases/1/rollback", nil, 409, ""},
		{http.MethodPut, "/applications/bad/environments/nope/state", map[string]any{"action": "stop"}, 404, ""},
		{http.MethodGet, env + "/deployments/x", nil, 400, "deployment"},
	} {
		code, _, out := w.send(c.method, c.path, c.body, nil)
		errs, _ := out["errors"].(map[string]any)
		if code != c.status || (c.field != "" && errs[c.field] == nil) {
			t.Errorf("%s %s %v: %d %v, want %d naming %q", c.method, c.path, c.body, code, out, c.status, c.field)
		}
	}
	_, got := w.call(http.MethodGet, env, nil)
	if got["deploying"] != nil || got["release"] != 1.0 {
		t.Fatalf("after bad requests: %v", got)
	}
	req := httptest.NewRequest(http.MethodGet, "/api/v3/organizations/acme"+env+"/deployments", nil)
	req.Header.Set("Authorization", "Bearer "+w.token)
	rec := httptest.NewRecorder()
	w.stack.Handler.ServeHTTP(rec, req)
	if strings.TrimSpace(rec.Body.String()) != "[]" {
		t.Fatalf("deployments after bad requests: %s", rec.Body.String())
	}
}

// TestUpdateContainer replaces one container through a deployment, and
// refuses a container the environment does not have.
func TestUpdateContainer(t *testing.T) {
	w := startTwin(t, sandbox.Instant, true)
	const env = "/applications/two/environments/production"
	containers := append(nginx("1.27"), map[string]any{"name": "cache", "imageReference": map[string]any{"type": "external", "identifier": "redis:7"}})
	if code, _ := w.call(http.MethodPost, "/applications", map[string]any{"appName": "two", "composeDefinition": map[string]any{"containers": containers}}); code != http.StatusCreated {
		t.Fatalf("create: %d", code)
	}
	w.waitFor("/applications/two", "ACTIVE")
	if code, _, out := w.send(http.MethodPut, env+"/containers/db", map[string]any{"name": "db", "imageReference": map[string]any{"type": "external", "identifier": "postgres:16"}}, nil); code != http.StatusNotFound {
		t.Fatalf("a container the environment lacks: %d %v", code, out)
	}
	if code, _, out := w.send(http.MethodPut, env+"/containers/cache", map[string]any{"name": "cache", "imageReference": map[string]any{"type": "external", "identifier": "redis:7"}, "memory": 3}, nil); code != http.StatusBadRequest || get(out, "errors.memory") == nil {
		t.Fatalf("an invalid container: %d %v", code, out)
	}
	w.change(http.MethodPut, env+"/containers/cache", map[string]any{"name": "cache", "imageReference": map[string]any{"type": "external", "identifier": "redis:7.4"}}, "SUCCEEDED")
	req := httptest.NewRequest(http.MethodGet, "/api/v3/organizations/acme"+env+"/containers", nil)
	req.Header.Set("Authorization", "Bearer "+w.token)
	rec := httptest.NewRecorder()
	w.stack.Handler.ServeHTTP(rec, req)
	var got []map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || len(got) != 2 || get(got[0], "imageReference.identifier") != "nginx:1.27" || get(got[1], "imageReference.identifier") != "redis:7.4" {
		t.Fatalf("containers after the update: %v %s", err, rec.Body.String())
	}
}

// TestCancelRollsBack: a DELETE of a running deployment's operation stops it at its
// next step; it rolls back and the previous release keeps serving.
func TestCancelRollsBack(t *testing.T) {
	w := startTwin(t, sandbox.Fast, false)
	const env = "/applications/slow/environments/production"
	if code, _ := w.call(http.MethodPost, "/applications", map[string]any{"appName": "slow", "composeDefinition": map[string]any{"containers": nginx("1")}}); code != http.StatusCreated {
		t.Fatalf("create: %d", code)
	}
	w.waitFor("/applications/slow", "ACTIVE")
	code, h, _ := w.send(http.MethodPut, env+"/state", map[string]any{"action": "redeploy", "imageTag": "2"}, nil)
	if code != http.StatusAccepted {
		t.Fatalf("redeploy: %d", code)
	}
	op := strings.TrimPrefix(h.Get("Location"), "/api/v3/organizations/acme")
	// Cancel once the rollout runs: a cancel before Begin changes nothing,
	// so there would be nothing to roll back.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		_, o := w.call(http.MethodGet, op, nil)
		steps, _ := o["steps"].([]any)
		if len(steps) > 0 && get(steps[0].(map[string]any), "state") == "RUNNING" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the rollout did not start: %v", o)
		}
	}
	if code, _, out := w.send(http.MethodDelete, op, nil, nil); code != http.StatusAccepted || out["cancellable"] != false || out["status"] != "RUNNING" {
		t.Fatalf("cancel: %d %v", code, out)
	}
	got := w.outcome(h.Get("Location"))
	if got["status"] != "FAILED" || got["deploymentFailureType"] != "Cancelled" || got["rolledBack"] != true || got["cancelRequested"] != true {
		t.Fatalf("cancelled deployment: %v", got)
	}
	if _, e := w.call(http.MethodGet, env, nil); e["release"] != 1.0 || image(e) != "nginx:1" || e["deploying"] != nil {
		t.Fatalf("after the cancel: release %v, image %s, deploying %v", e["release"], image(e), e["deploying"])
	}
	if code, _, _ := w.send(http.MethodDelete, op, nil, nil); code != http.StatusConflict {
		t.Fatalf("cancel of a finished deployment: %d", code)
	}
	if code, _, _ := w.send(http.MethodDelete, strings.Replace(op, "/operations/", "/applications/slow/environments/production/deployments/", 1), nil, nil); code != http.StatusBadRequest {
		t.Fatalf("an operation id is no deployment number: %d", code)
	}
}

// TestOperations: a delete's Location is its teardown operation, which
// runs and then succeeds; an environment lists its operations; a malformed
// id is a 400 naming it; a teardown cannot be cancelled.
func TestOperations(t *testing.T) {
	w := startTwin(t, sandbox.Fast, false)
	if code, _ := w.call(http.MethodPost, "/applications", map[string]any{"appName": "ops", "composeDefinition": map[string]any{"containers": nginx("1")}}); code != http.StatusCreated {
		t.Fatalf("create: %d", code)
	}
	w.waitFor("/applications/ops", "ACTIVE")
	if code, _ := w.call(http.MethodPost, "/applications/ops/environments", map[string]any{"envName": "pr-1"}); code != http.StatusCreated {
		t.Fatalf("create environment: %d", code)
	}
	w.waitFor("/applications/ops/environments/pr-1", "ACTIVE")
	code, _, list := w.send(http.MethodGet, "/applications/ops/environments/pr-1/operations", nil, nil)
	if code != http.StatusOK {
		t.Fatalf("list: %d %v", code, list)
	}
	w.change(http.MethodPut, "/applications/ops/environments/pr-1/state", map[string]any{"action": "redeploy"}, "SUCCEEDED")
	req := httptest.NewRequest(http.MethodGet, "/api/v3/organizations/acme/applications/ops/environments/pr-1/operations", nil)
	req.Header.Set("Authorization", "Bearer "+w.token)
	rec := httptest.NewRecorder()
	w.stack.Handler.ServeHTTP(rec, req)
	var ops []map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &ops); err != nil || len(ops) != 2 || ops[0]["operation"] != "deploy-environment" ||
		ops[1]["operation"] != "provision-environment" || ops[1]["status"] != "SUCCEEDED" {
		t.Fatalf("operations of pr-1: %v %s", err, rec.Body.String())
	}

	code, h, _ := w.send(http.MethodDelete, "/applications/ops/environments/pr-1", nil, nil)
	loc := strings.TrimPrefix(h.Get("Location"), "/api/v3/organizations/acme")
	if code != http.StatusAccepted || !strings.HasPrefix(loc, "/operations/teardown-environment.ops.pr-1.") {
		t.Fatalf("delete: %d, Location %q", code, loc)
	}
	if code, _, out := w.send(http.MethodDelete, loc, nil, nil); code != http.StatusConflict {
		t.Fatalf("cancel of a teardown: %d %v", code, out)
	}
	if op := w.waitFor(loc, "SUCCEEDED", "FAILED"); op["status"] != "SUCCEEDED" || op["percent"] != 100.0 {
		t.Fatalf("teardown operation: %v", op)
	}
	if code, _ := w.call(http.MethodGet, "/applications/ops/environments/pr-1", nil); code != http.StatusNotFound {
		t.Fatalf("after the teardown: %d", code)
	}
	for _, bad := range []string{"nope", "deploy-environment.ops.pr-1.0123456789abcdef.0", "provision-environment.Ops.pr-1.0123456789abcdef", "teardown-application.ops"} {
		code, _, out := w.send(http.MethodGet, "/operations/"+bad, nil, nil)
		if code != http.StatusBadRequest || get(out, "errors.operation") == nil {
			t.Errorf("GET /operations/%s: %d %v", bad, code, out)
		}
	}
	if code, _ := w.call(http.MethodGet, "/operations/provision-environment.ops.pr-2.0123456789abcdef", nil); code != http.StatusNotFound {
		t.Errorf("an operation of no record: %d", code)
	}
}

// TestDeploymentsKeepTheScalingPolicies: a CPU target set through the
// scaling-policy API survives a deployment and a stop and start.
func TestDeploymentsKeepTheScalingPolicies(t *testing.T) {
	w := startTwin(t, sandbox.Instant, true)
	const env = "/applications/scaled/environments/production"
	if code, _ := w.call(http.MethodPost, "/applications", map[string]any{"appName": "scaled", "composeDefinition": map[string]any{"containers": nginx("1")}}); code != http.StatusCreated {
		t.Fatalf("create: %d", code)
	}
	w.waitFor("/applications/scaled", "ACTIVE")
	if code, out := w.call(http.MethodPut, env+"/scaling-policies", map[string]any{"metric": "CPUUtilization", "targetValue": 50}); code != http.StatusOK {
		t.Fatalf("PUT CPU 50: %d %v", code, out)
	}
	w.change(http.MethodPut, env+"/state", map[string]any{"action": "redeploy", "imageTag": "2"}, "SUCCEEDED")
	w.change(http.MethodPut, env+"/state", map[string]any{"action": "stop"}, "SUCCEEDED")
	w.change(http.MethodPut, env+"/state", map[string]any{"action": "start"}, "SUCCEEDED")
	_, out := w.call(http.MethodGet, env+"/scaling-policies", nil)
	policies, _ := out["policies"].([]any)
	if len(policies) != 1 || get(policies[0].(map[string]any), "targetValue") != 50.0 {
		t.Fatalf("policies after the deployments: %v", out)
	}
}

// TestRedeployKeepsTheScaledCount: once auto scaling has scaled the
// service out, a redeploy and a failed deployment's rollback leave its
// task count; a stop and a start set it.
func TestRedeployKeepsTheScaledCount(t *testing.T) {
	w := startTwin(t, sandbox.Instant, true)
	const env = "/applications/web/environments/production"
	if code, _ := w.call(http.MethodPost, "/applications", map[string]any{"appName": "web", "maxCapacity": 4,
		"composeDefinition": map[string]any{"containers": nginx("1.27")}}); code != http.StatusCreated {
		t.Fatalf("create: %d", code)
	}
	got := w.waitFor("/applications/web", "ACTIVE")
	_, got = w.call(http.MethodGet, env, nil)
	svc, _ := get(got, "service.serviceName").(string)
	count := func() string {
		t.Helper()
		res, err := w.stack.Local.Sandbox.Check(t.Context(), cloud.Ref{Kind: cloud.KindService, Name: svc})
		if err != nil {
			t.Fatal(err)
		}
		return res.Outputs[cloud.OutDesired]
	}
	if err := w.stack.Local.Sandbox.Scale(svc, 3); err != nil {
		t.Fatal(err)
	}
	w.change(http.MethodPut, env+"/state", map[string]any{"action": "redeploy", "imageTag": "1.28"}, "SUCCEEDED")
	if n := count(); n != "3" {
		t.Fatalf("after a redeploy: %s tasks, want the 3 auto scaling set", n)
	}
	w.change(http.MethodPatch, env+"/compose", map[string]any{"containers": nginx(sandbox.TagCrashloop)}, "FAILED")
	if n := count(); n != "3" {
		t.Fatalf("after a rolled-back deployment: %s tasks, want 3", n)
	}
	w.change(http.MethodPut, env+"/state", map[string]any{"action": "stop"}, "SUCCEEDED")
	if n := count(); n != "0" {
		t.Fatalf("after stop: %s tasks, want 0", n)
	}
	w.change(http.MethodPut, env+"/state", map[string]any{"action": "start"}, "SUCCEEDED")
	if n := count(); n != "1" {
		t.Fatalf("after start: %s tasks, want the recorded 1", n)
	}
}

// TestTeardownRemovesTheHistory: deleting an environment, and then its
// application, leaves none of their releases and deployments in the table.
func TestTeardownRemovesTheHistory(t *testing.T) {
	w := startTwin(t, sandbox.Instant, true)
	if code, _ := w.call(http.MethodPost, "/applications", map[string]any{"appName": "hist", "composeDefinition": map[string]any{"containers": nginx("1")}}); code != http.StatusCreated {
		t.Fatalf("create: %d", code)
	}
	w.waitFor("/applications/hist", "ACTIVE")
	if code, _ := w.call(http.MethodPost, "/applications/hist/environments", map[string]any{"envName": "pr-1"}); code != http.StatusCreated {
		t.Fatalf("create environment: %d", code)
	}
	w.waitFor("/applications/hist/environments/pr-1", "ACTIVE")
	for _, env := range []string{"production", "pr-1"} {
		w.change(http.MethodPut, "/applications/hist/environments/"+env+"/state", map[string]any{"action": "redeploy", "imageTag": "2"}, "SUCCEEDED")
	}
	history := func(env string) int {
		t.Helper()
		out, err := w.stack.Client.Scan(t.Context(), &dynamodb.ScanInput{
			TableName: aws.String(w.stack.Table), FilterExpression: aws.String("begins_with(pk, :p)"),
			ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":p": &ddbtypes.AttributeValueMemberS{Value: "ORG#acme#APP#hist#ENV#" + env + "#"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.Items)
	}
	prod := history("production")
	if n := history("pr-1"); n < 3 || prod != n { // two releases and the redeploy at least, alike
		t.Fatalf("before the delete: pr-1 has %d history items, production %d", n, prod)
	}
	w.call(http.MethodDelete, "/applications/hist/environments/pr-1", nil)
	w.waitFor("/applications/hist/environments/pr-1", "GONE")
	if n := history("pr-1"); n != 0 {
		t.Fatalf("%d history items of pr-1 are left after its teardown", n)
	}
	if n := history("production"); n != prod {
		t.Fatalf("production has %d history items, want its %d kept", n, prod)
	}
	w.call(http.MethodDelete, "/applications/hist", nil)
	w.waitFor("/applications/hist", "GONE")
	if n := history(""); n != 0 {
		t.Fatalf("%d history items are left after the application's teardown", n)
	}
}

// TestDeploymentsKeepTheSpotRules: a change to an environment's definition
// meets the Spot rules of its create: a mix of Spot and On-Demand with one
// task is refused and changes nothing; with two it deploys.
func TestDeploymentsKeepTheSpotRules(t *testing.T) {
	w := startTwin(t, sandbox.Instant, true)
	if code, _ := w.call(http.MethodPost, "/applications", map[string]any{"appName": "spot", "composeDefinition": map[string]any{"containers": nginx("1")}}); code != http.StatusCreated {
		t.Fatalf("create: %d", code)
	}
	w.waitFor("/applications/spot", "ACTIVE")
	if code, _ := w.call(http.MethodPost, "/applications/spot/environments", map[string]any{"envName": "pr-1"}); code != http.StatusCreated {
		t.Fatalf("create environment: %d", code)
	}
	const env = "/applications/spot/environments/pr-1"
	w.waitFor(env, "ACTIVE")
	mixed := map[string]any{"strategy": "mixed-safe"}
	code, _, out := w.send(http.MethodPatch, env+"/compose", map[string]any{"spotConfiguration": mixed}, nil)
	if errs, _ := out["errors"].(map[string]any); code != http.StatusBadRequest || errs["spotConfiguration.strategy"] == nil {
		t.Fatalf("a mix with one task: %d %v", code, out)
	}
	if _, got := w.call(http.MethodGet, env, nil); got["release"] != 1.0 || got["deploying"] != nil {
		t.Fatalf("after the refused change: %v", got)
	}
	w.change(http.MethodPatch, env+"/compose", map[string]any{"spotConfiguration": mixed, "minCapacity": 2, "maxCapacity": 2}, "SUCCEEDED")
	if _, got := w.call(http.MethodGet, env, nil); get(got, "composeDefinition.spotConfiguration.strategy") != "mixed-safe" {
		t.Fatalf("after the mix with two tasks: %v", got["composeDefinition"])
	}
}
