package localstack_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/shared/cloud/sandbox"
)

// jobsProfile starts resources at once, but a sandbox second lasts 10 ms:
// `sleep 600` runs 6 s, and rate(1 minute) fires every 0.6 s.
func jobsProfile() sandbox.Profile {
	p := sandbox.Instant
	p.Name = "jobs"
	p.Second = 10 * time.Millisecond
	return p
}

// runOf polls a command (or a cron run) until its status is one of want.
func (w *twin) runOf(path string, want ...string) map[string]any {
	w.t.Helper()
	return w.waitFor(path, want...)
}

func lines(v any) []string {
	raw, _ := v.([]any)
	out := make([]string, 0, len(raw))
	for _, l := range raw {
		s, _ := l.(string)
		out = append(out, s)
	}
	return out
}

// TestCommands is issue 13's "done when" for commands, against the real
// handlers, store and run-job workflow on the sandbox's interpreter.
func TestCommands(t *testing.T) {
	w := startTwin(t, jobsProfile(), false)
	app := map[string]any{"appName": "web", "composeDefinition": map[string]any{"containers": []map[string]any{{
		"name": "web", "imageReference": map[string]any{"type": "external", "identifier": "nginx:1.27"}, "exposedPorts": []int{80},
		"environment": []map[string]any{{"name": "APP_ENV", "value": "prod"}}}}}}
	if code, out := w.call(http.MethodPost, "/applications", app); code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, out)
	}
	w.waitFor("/applications/web", "ACTIVE")
	const orgEnv, appEnv = "/environments/production/commands", "/applications/web/environments/production/commands"

	// echo hello, on Quant's organisation-level path.
	code, h, run := w.send(http.MethodPost, orgEnv, map[string]any{"command": "echo hello"}, nil)
	if code != http.StatusOK || run["status"] != "PENDING" || run["runType"] != "EXEC" || run["targetContainerName"] != "web" {
		t.Fatalf("POST command: %d %v", code, run)
	}
	if loc := h.Get("Location"); loc != "/api/v3/organizations/acme"+appEnv+"/"+run["runId"].(string) {
		t.Errorf("Location %q", loc)
	}
	done := w.runOf(orgEnv+"/"+run["runId"].(string), "SUCCEEDED", "FAILED", "TIMED_OUT")
	if done["status"] != "SUCCEEDED" || done["exitCode"] != 0.0 || strings.Join(lines(done["output"]), "|") != "hello" || done["startTime"] == nil || done["endTime"] == nil {
		t.Fatalf("echo hello ended %v", done)
	}

	// exit 3 fails with its code, under the application.
	_, _, run = w.send(http.MethodPost, appEnv, map[string]any{"command": "echo about to fail; exit 3"}, nil)
	done = w.runOf(appEnv+"/"+run["runId"].(string), "SUCCEEDED", "FAILED", "TIMED_OUT")
	if done["status"] != "FAILED" || done["exitCode"] != 3.0 || done["reason"] != "exited with code 3" || strings.Join(lines(done["output"]), "|") != "about to fail" {
		t.Fatalf("exit 3 ended %v", done)
	}

	// The exec form, reading the container's own variable.
	_, _, run = w.send(http.MethodPost, appEnv, map[string]any{"command": []string{"printenv", "APP_ENV"}}, nil)
	done = w.runOf(appEnv+"/"+run["runId"].(string), "SUCCEEDED", "FAILED", "TIMED_OUT")
	if done["status"] != "SUCCEEDED" || strings.Join(lines(done["output"]), "|") != "prod" || done["command"] != "printenv APP_ENV" {
		t.Fatalf("printenv ended %v", done)
	}

	// A cancelled sleep 600 ends FAILED, saying so, with SIGKILL's code.
	_, _, run = w.send(http.MethodPost, orgEnv, map[string]any{"command": "sleep 600"}, nil)
	id := run["runId"].(string)
	w.runOf(orgEnv+"/"+id, "RUNNING")
	if code, _, c := w.send(http.MethodDelete, orgEnv+"/"+id, nil, nil); code != http.StatusAccepted || c["cancelRequested"] != true {
		t.Fatalf("cancel: %d %v", code, c)
	}
	done = w.runOf(orgEnv+"/"+id, "SUCCEEDED", "FAILED", "TIMED_OUT")
	if done["status"] != "FAILED" || !strings.Contains(done["reason"].(string), "cancelled") || done["exitCode"] != 137.0 {
		t.Fatalf("cancelled sleep ended %v", done)
	}
	if code, _, _ := w.send(http.MethodDelete, orgEnv+"/"+id, nil, nil); code != http.StatusConflict {
		t.Errorf("cancelling an ended command: %d, want 409", code)
	}

	// A timeout stops the task: TIMED_OUT.
	_, _, run = w.send(http.MethodPost, orgEnv, map[string]any{"command": "sleep 600", "timeoutSeconds": 1}, nil)
	done = w.runOf(orgEnv+"/"+run["runId"].(string), "SUCCEEDED", "FAILED", "TIMED_OUT")
	if done["status"] != "TIMED_OUT" || !strings.Contains(done["reason"].(string), "timeout") {
		t.Fatalf("sleep past its timeout ended %v", done)
	}

	// Bad input: 400 naming the field, and nothing recorded.
	code, list := w.listOf(orgEnv)
	for _, tc := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"command": ""}, "command"},
		{map[string]any{"command": []string{}}, "command"},
		{map[string]any{"command": 7}, "command"},
		{map[string]any{}, "command"},
		{map[string]any{"command": "true", "targetContainerName": "nope"}, "targetContainerName"},
		{map[string]any{"command": "true", "timeoutSeconds": 0}, "timeoutSeconds"},
		{map[string]any{"command": "true", "timeoutSeconds": 86401}, "timeoutSeconds"},
	} {
		code, _, p := w.send(http.MethodPost, orgEnv, tc.body, nil)
		errs, _ := p["errors"].(map[string]any)
		if code != http.StatusBadRequest || errs[tc.field] == nil {
			t.Errorf("POST %v: %d %v, want 400 naming %s", tc.body, code, p, tc.field)
		}
	}
	if code2, after := w.listOf(orgEnv); code2 != code || len(after) != len(list) {
		t.Errorf("bad input changed the commands: %d before, %d after", len(list), len(after))
	}
	if len(list) != 5 {
		t.Errorf("%d commands listed, want 5", len(list))
	}

	// A second application with a production environment makes the
	// organisation-level path ambiguous: 409 naming both.
	app["appName"] = "api"
	if code, out := w.call(http.MethodPost, "/applications", app); code != http.StatusCreated {
		t.Fatalf("create api: %d %v", code, out)
	}
	code, _, p := w.send(http.MethodPost, orgEnv, map[string]any{"command": "true"}, nil)
	if code != http.StatusConflict || !strings.Contains(p["message"].(string), "api, web") {
		t.Errorf("an ambiguous environment: %d %v", code, p)
	}
}

// listOf reads a list answer (a JSON array).
func (w *twin) listOf(path string) (int, []any) {
	w.t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/api/v3/organizations/"+w.org+path, nil)
	req.Header.Set("Authorization", "Bearer "+w.token)
	rec := httptest.NewRecorder()
	w.stack.Handler.ServeHTTP(rec, req)
	var out []any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil && rec.Code == http.StatusOK {
		w.t.Fatalf("GET %s: not a list: %s", path, rec.Body)
	}
	return rec.Code, out
}

// TestCronJobs is issue 13's "done when" for cron: a rate(1 minute) job
// records runs with output, a job whose run outlasts its period records
// skipped firings, a bad expression is refused naming the field, and
// deleting the application deletes the schedules and their history.
func TestCronJobs(t *testing.T) {
	w := startTwin(t, jobsProfile(), false)
	if code, out := w.call(http.MethodPost, "/applications", map[string]any{"appName": "web", "composeDefinition": map[string]any{"containers": nginx("1.27")}}); code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, out)
	}
	w.waitFor("/applications/web", "ACTIVE")
	const cron = "/applications/web/environments/production/cron"

	for _, tc := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"name": "bad", "scheduleExpression": "cron(0 * * * *)", "command": []string{"true"}}, "scheduleExpression"},
		{map[string]any{"name": "bad", "scheduleExpression": "rate(1 minutes)", "command": []string{"true"}}, "scheduleExpression"},
		{map[string]any{"name": "bad", "scheduleExpression": "every minute", "command": []string{"true"}}, "scheduleExpression"},
		{map[string]any{"name": "Bad_Name", "scheduleExpression": "rate(1 minute)", "command": []string{"true"}}, "name"},
		{map[string]any{"name": "bad", "scheduleExpression": "rate(1 minute)", "command": []string{}}, "command"},
		{map[string]any{"name": "bad", "scheduleExpression": "rate(1 minute)", "command": []string{"true"}, "targetContainerName": "nope"}, "targetContainerName"},
	} {
		code, _, p := w.send(http.MethodPost, cron, tc.body, nil)
		errs, _ := p["errors"].(map[string]any)
		if code != http.StatusBadRequest || errs[tc.field] == nil {
			t.Errorf("POST %v: %d %v, want 400 naming %s", tc.body, code, p, tc.field)
		}
	}
	if n := len(w.stack.Sandbox.Schedules().List()); n != 0 {
		t.Fatalf("refused cron jobs made %d schedules", n)
	}

	code, _, job := w.send(http.MethodPost, cron, map[string]any{"name": "tick", "scheduleExpression": "rate(1 minute)", "command": []string{"echo", "tick"}}, nil)
	if code != http.StatusCreated || job["isEnabled"] != true || job["targetContainerName"] != "web" {
		t.Fatalf("create cron job: %d %v", code, job)
	}
	if code, _, _ := w.send(http.MethodPost, cron, map[string]any{"name": "tick", "scheduleExpression": "rate(5 minutes)", "command": []string{"true"}}, nil); code != http.StatusConflict {
		t.Errorf("a name clash: %d, want 409", code)
	}
	runs := w.cronRuns(cron+"/tick/runs", 2, "SUCCEEDED")
	for _, r := range runs[:2] {
		if r["runType"] != "CRON" || r["scheduleName"] != "tick" || r["exitCode"] != 0.0 || strings.Join(lines(r["output"]), "|") != "tick" {
			t.Errorf("cron run %v", r)
		}
	}
	one := w.runOf(cron+"/tick/runs/"+runs[0]["runId"].(string), "SUCCEEDED")
	if one["runId"] != runs[0]["runId"] {
		t.Errorf("GET run %v", one)
	}

	// Paused, it stops firing; deleted, it is gone.
	if code, _, j := w.send(http.MethodPatch, cron+"/tick", map[string]any{"isEnabled": false}, nil); code != http.StatusOK || j["isEnabled"] != false {
		t.Fatalf("pause: %d %v", code, j)
	}
	time.Sleep(300 * time.Millisecond) // a firing already started may still record its run
	_, paused := w.listOf(cron + "/tick/runs")
	time.Sleep(2 * time.Second) // about three periods
	if _, later := w.listOf(cron + "/tick/runs"); len(later) != len(paused) {
		t.Errorf("a paused job ran: %d runs, then %d", len(paused), len(later))
	}
	if code, _, _ := w.send(http.MethodPatch, cron+"/tick", map[string]any{"scheduleExpression": "cron(0 * * *)"}, nil); code != http.StatusBadRequest {
		t.Errorf("PATCH with a bad expression: %d, want 400", code)
	}
	if code, _, _ := w.send(http.MethodDelete, cron+"/tick", nil, nil); code != http.StatusNoContent {
		t.Fatalf("delete: %d", code)
	}
	if code, _ := w.call(http.MethodGet, cron+"/tick", nil); code != http.StatusNotFound {
		t.Errorf("GET a deleted job: %d", code)
	}

	// A run that outlasts its period: the next firings are skipped, and say why.
	w.send(http.MethodPost, cron, map[string]any{"name": "slow", "scheduleExpression": "rate(1 minute)", "command": []string{"sleep", "150"}}, nil)
	runs = w.cronRuns(cron+"/slow/runs", 1, "SKIPPED")
	if !strings.Contains(runs[0]["reason"].(string), "still going") {
		t.Errorf("skipped run %v", runs[0])
	}

	// Deleting the application deletes its schedules, and their history with the environment.
	if code, _ := w.call(http.MethodDelete, "/applications/web", nil); code != http.StatusAccepted {
		t.Fatalf("delete application: %d", code)
	}
	w.waitFor("/applications/web", "GONE")
	if left := w.stack.Sandbox.Schedules().List(); len(left) != 0 {
		t.Errorf("schedules left after teardown: %v", left)
	}
}

// cronRuns polls a cron job's runs until n of them have status want, and
// answers the list.
func (w *twin) cronRuns(path string, n int, want string) []map[string]any {
	w.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, list := w.listOf(path)
		var got []map[string]any
		for _, r := range list {
			if m, _ := r.(map[string]any); m["status"] == want {
				got = append(got, m)
			}
		}
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("GET %s: %d runs %s, want %d: %v", path, len(got), want, n, list)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
