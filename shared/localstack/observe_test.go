package localstack_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// raw sends a request and answers the status, headers and body as sent.
func (w *twin) raw(method, path string, body any, headers map[string]string) (int, http.Header, string) {
	w.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			w.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
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
	return rec.Code, rec.Header(), rec.Body.String()
}

// logPage reads one page of logs with the query q.
func (w *twin) logPage(q url.Values) (events []map[string]any, next string) {
	w.t.Helper()
	code, out := w.call(http.MethodGet, "/applications/web/environments/production/logs?"+q.Encode(), nil)
	if code != http.StatusOK {
		w.t.Fatalf("logs %s: %d %v", q.Encode(), code, out)
	}
	for _, e := range out["logEvents"].([]any) {
		events = append(events, e.(map[string]any))
	}
	if n, ok := out["nextToken"].(string); ok {
		next = n
	}
	return events, next
}

func messages(events []map[string]any) []string {
	var out []string
	for _, e := range events {
		out = append(out, e["message"].(string))
	}
	return out
}

func webApp(t *testing.T, w *twin) {
	t.Helper()
	app := map[string]any{"appName": "web", "composeDefinition": map[string]any{"containers": []map[string]any{{
		"name": "web", "imageReference": map[string]any{"type": "external", "identifier": "nginx:1.27"}, "exposedPorts": []int{80}}}}}
	if code, out := w.call(http.MethodPost, "/applications", app); code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, out)
	}
	w.waitFor("/applications/web", "ACTIVE")
}

// TestLogsMetricsAndShellAccess is issue 14's "done when" for logs,
// metrics and ssh-access, against the real handlers on the sandbox.
func TestLogsMetricsAndShellAccess(t *testing.T) {
	w := startTwin(t, jobsProfile(), false)
	w.stack.Server.FollowWindow = 300 * time.Millisecond
	webApp(t, w)
	const env = "/applications/web/environments/production"
	start := strconv.FormatInt(time.Now().Add(-time.Hour).UnixMilli(), 10)
	// Lines keep coming (health checks): pages are compared over a window
	// that has ended.
	end := strconv.FormatInt(time.Now().UnixMilli(), 10)
	time.Sleep(10 * time.Millisecond)

	// A new environment's logs show its start.
	all, next := w.logPage(url.Values{"startTime": {start}, "endTime": {end}, "limit": {"10000"}})
	if next != "" || !anyMatch(messages(all), func(m string) bool { return strings.Contains(m, "Starting container web") }) {
		t.Fatalf("logs of a new environment: %v (next %q)", messages(all), next)
	}
	if len(all) < 3 {
		t.Fatalf("want a start line and health checks; got %v", messages(all))
	}

	// limit and nextToken page through every line exactly once, in order.
	var paged []map[string]any
	q := url.Values{"startTime": {start}, "endTime": {end}, "limit": {"2"}}
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("nextToken never ran out")
		}
		events, next := w.logPage(q)
		if len(events) > 2 {
			t.Fatalf("limit 2 answered %d lines", len(events))
		}
		paged = append(paged, events...)
		if next == "" {
			break
		}
		q.Set("nextToken", next)
	}
	if strings.Join(messages(paged), "\n") != strings.Join(messages(all), "\n") {
		t.Fatalf("paged %d lines, one page %d:\n%v\n%v", len(paged), len(all), messages(paged), messages(all))
	}

	// filterPattern keeps matching lines only.
	health, _ := w.logPage(url.Values{"startTime": {start}, "endTime": {end}, "filterPattern": {"health"}, "limit": {"10000"}})
	if len(health) == 0 || len(health) >= len(all) {
		t.Fatalf("filterPattern health: %d of %d lines", len(health), len(all))
	}
	for _, m := range messages(health) {
		if !strings.Contains(m, "health") {
			t.Errorf("filterPattern health kept %q", m)
		}
	}
	web, _ := w.logPage(url.Values{"startTime": {start}, "endTime": {end}, "containerName": {"web"}, "limit": {"10000"}})
	if len(web) != len(all) {
		t.Errorf("containerName web: %d of %d lines (the app has only web)", len(web), len(all))
	}

	// Bad input: a 400 naming the field.
	for query, field := range map[string]string{
		"limit=0": "limit", "limit=10001": "limit", "limit=ten": "limit",
		"startTime=2026-12-05T10:00:00Z&endTime=2026-12-05T09:00:00Z": "endTime",
		"containerName=nope": "containerName", "filterPattern=%22unbalanced": "filterPattern",
		"startTime=yesterday": "startTime", "follow=maybe": "follow",
	} {
		code, out := w.call(http.MethodGet, env+"/logs?"+query, nil)
		errs, _ := out["errors"].(map[string]any)
		if code != http.StatusBadRequest || errs[field] == nil {
			t.Errorf("logs?%s: %d %v, want 400 naming %s", query, code, out, field)
		}
	}

	// follow streams Server-Sent Events and ends inside its window.
	code, h, body := w.raw(http.MethodGet, env+"/logs?follow=true&startTime="+start, nil, nil)
	if code != http.StatusOK || h.Get("Content-Type") != "text/event-stream" || !strings.Contains(body, "event: log\n") || !strings.Contains(body, "Starting container web") {
		t.Fatalf("follow: %d %s\n%s", code, h.Get("Content-Type"), body)
	}
	ids := sseIDs(body)
	if len(ids) < len(all) {
		t.Errorf("follow sent %d events, want at least the %d lines before it", len(ids), len(all))
	}
	// Resuming after the last id sends nothing already sent.
	_, _, again := w.raw(http.MethodGet, env+"/logs?follow=true&startTime="+start, nil, map[string]string{"Last-Event-ID": ids[len(ids)-1]})
	for _, id := range sseIDs(again) {
		if slicesContains(ids, id) {
			t.Errorf("resumed follow sent %s again", id)
		}
	}

	// Metrics: data points for CPU, memory, tasks and requests.
	code, m := w.call(http.MethodGet, env+"/metrics?statistics=Average,Maximum", nil)
	if code != http.StatusOK {
		t.Fatalf("metrics: %d %v", code, m)
	}
	series, _ := m["metrics"].([]any)
	names := map[string]bool{}
	for _, s := range series {
		sm := s.(map[string]any)
		names[sm["name"].(string)] = true
		points, _ := sm["datapoints"].([]any)
		if len(points) < 50 || len(points) > 61 {
			t.Errorf("%s: %d data points over an hour at 60 s", sm["name"], len(points))
		}
		for _, p := range points {
			vals := p.(map[string]any)["values"].(map[string]any)
			if vals["Average"] == nil || vals["Maximum"] == nil {
				t.Fatalf("%s: point %v lacks a statistic", sm["name"], p)
			}
		}
	}
	for _, want := range []string{"CPUUtilization", "MemoryUtilization", "RunningTaskCount", "RequestCount"} {
		if !names[want] {
			t.Errorf("metrics lack %s: %v", want, names)
		}
	}
	for query, field := range map[string]string{"period=61": "period", "statistics=p99": "statistics", "startTime=2&endTime=1": "endTime", "containerName=nope": "containerName"} {
		code, out := w.call(http.MethodGet, env+"/metrics?"+query, nil)
		errs, _ := out["errors"].(map[string]any)
		if code != http.StatusBadRequest || errs[field] == nil {
			t.Errorf("metrics?%s: %d %v, want 400 naming %s", query, code, out, field)
		}
	}

	// ssh-access: credentials, a running task, the line to paste.
	code, h, body = w.raw(http.MethodGet, env+"/ssh-access", nil, nil)
	var ssh map[string]any
	_ = json.Unmarshal([]byte(body), &ssh)
	creds, _ := ssh["credentials"].(map[string]any)
	if code != http.StatusOK || ssh["success"] != true || creds["accessKeyId"] == "" || creds["sessionToken"] == "" || h.Get("Cache-Control") != "no-store" {
		t.Fatalf("ssh-access: %d %v (Cache-Control %q)", code, ssh, h.Get("Cache-Control"))
	}
	if !strings.Contains(ssh["command"].(string), "aws ecs execute-command") || !strings.Contains(ssh["command"].(string), ssh["taskId"].(string)) || ssh["expiresIn"] != 3600.0 {
		t.Errorf("ssh-access: %v", ssh)
	}
}

func sseIDs(body string) []string {
	var out []string
	for _, line := range strings.Split(body, "\n") {
		if id, ok := strings.CutPrefix(line, "id: "); ok {
			out = append(out, id)
		}
	}
	return out
}

func anyMatch(xs []string, f func(string) bool) bool {
	for _, x := range xs {
		if f(x) {
			return true
		}
	}
	return false
}

func slicesContains(xs []string, s string) bool {
	return anyMatch(xs, func(x string) bool { return x == s })
}

// TestVariablesAndSecrets is issue 14's "done when" for configuration: a
// variable set through the API is printed by printenv in a command, a
// secret reaches the container, and no API answer holds its value.
func TestVariablesAndSecrets(t *testing.T) {
	w := startTwin(t, jobsProfile(), false)
	webApp(t, w)
	const env = "/applications/web/environments/production"
	printenv := func(name string) map[string]any {
		t.Helper()
		_, _, run := w.send(http.MethodPost, env+"/commands", map[string]any{"command": []string{"printenv", name}}, nil)
		return w.runOf(env+"/commands/"+run["runId"].(string), "SUCCEEDED", "FAILED", "TIMED_OUT")
	}
	var answers []string // every answer of the configuration calls, raw
	record := func(code int, h http.Header, body string) (int, string) {
		answers = append(answers, body)
		for k, v := range h {
			answers = append(answers, k+": "+strings.Join(v, ","))
		}
		return code, body
	}

	w.change(http.MethodPut, env+"/variables/GREETING", map[string]any{"value": "hello from berth"}, "SUCCEEDED")
	_, vars := w.call(http.MethodGet, env+"/variables", nil)
	if got, _ := json.Marshal(vars); string(got) != `{"variables":[{"name":"GREETING","value":"hello from berth"}]}` {
		t.Fatalf("variables: %s", got)
	}
	if run := printenv("GREETING"); run["status"] != "SUCCEEDED" || strings.Join(lines(run["output"]), "|") != "hello from berth" {
		t.Fatalf("printenv GREETING: %v", run)
	}

	const secret = "s3cr3t-value-never-shown-0b7e"
	code, h, body := w.raw(http.MethodPut, env+"/secrets/API_TOKEN", map[string]any{"value": secret}, nil)
	record(code, h, body)
	if code != http.StatusAccepted {
		t.Fatalf("PUT secret: %d %s", code, body)
	}
	dep := w.outcome(h.Get("Location"))
	if dep["status"] != "SUCCEEDED" {
		t.Fatalf("secret's deployment: %v", dep)
	}
	if run := printenv("API_TOKEN"); run["status"] != "SUCCEEDED" || strings.Join(lines(run["output"]), "|") != secret {
		t.Fatalf("printenv API_TOKEN: %v", run)
	}
	_, _, listed := w.raw(http.MethodGet, env+"/secrets", nil, nil)
	var secrets map[string]any
	_ = json.Unmarshal([]byte(listed), &secrets)
	list, _ := secrets["secrets"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["name"] != "API_TOKEN" || list[0].(map[string]any)["version"] != 1.0 {
		t.Fatalf("secrets: %s", listed)
	}
	// A second value is version 2, and runs.
	code, h, body = w.raw(http.MethodPut, env+"/secrets/API_TOKEN", map[string]any{"value": secret + "-2"}, map[string]string{"Idempotency-Key": "second-value"})
	record(code, h, body)
	if dep := w.outcome(h.Get("Location")); dep["status"] != "SUCCEEDED" {
		t.Fatalf("second value's deployment: %v", dep)
	}
	if run := printenv("API_TOKEN"); strings.Join(lines(run["output"]), "|") != secret+"-2" {
		t.Fatalf("printenv API_TOKEN after the second value: %v", run)
	}

	// Bad input: a 400 naming the field, nothing changed.
	deployments := func() int {
		_, _, body := w.raw(http.MethodGet, env+"/deployments?limit=100", nil, nil)
		var list []any
		if err := json.Unmarshal([]byte(body), &list); err != nil {
			t.Fatalf("deployments: %s", body)
		}
		return len(list)
	}
	before := deployments()
	big := strings.Repeat("x", 64*1024+1)
	for _, c := range []struct {
		method, path string
		body         any
		field        string
	}{
		{http.MethodPut, env + "/variables/1GREETING", map[string]any{"value": "x"}, "name"},
		{http.MethodPut, env + "/variables/A=B", map[string]any{"value": "x"}, "name"},
		{http.MethodPut, env + "/variables/AWS_REGION", map[string]any{"value": "x"}, "name"},
		{http.MethodPut, env + "/variables/GREETING", map[string]any{}, "value"},
		{http.MethodPut, env + "/variables", map[string]any{"variables": []any{map[string]any{"name": "A", "value": "1"}, map[string]any{"name": "A", "value": "2"}}}, "variables[1].name"},
		{http.MethodPut, env + "/variables/API_TOKEN", map[string]any{"value": "x"}, "value"},
		{http.MethodPut, env + "/secrets/BIG", map[string]any{"value": big}, "value"},
		{http.MethodPut, env + "/secrets/GREETING", map[string]any{"value": "x"}, "name"},
	} {
		code, h, body := w.raw(c.method, c.path, c.body, nil)
		record(code, h, body)
		var out map[string]any
		_ = json.Unmarshal([]byte(body), &out)
		errs, _ := out["errors"].(map[string]any)
		if code != http.StatusBadRequest || errs[c.field] == nil {
			t.Errorf("%s %s: %d %s, want 400 naming %s", c.method, c.path, code, body, c.field)
		}
	}
	if code, out := w.call(http.MethodDelete, env+"/variables/NOPE", nil); code != http.StatusNotFound {
		t.Errorf("DELETE a variable that is not there: %d %v", code, out)
	}
	if after := deployments(); after != before {
		t.Errorf("refused changes made deployments: %d, then %d", before, after)
	}

	// DELETE removes the variable from the containers.
	w.change(http.MethodDelete, env+"/variables/GREETING", nil, "SUCCEEDED")
	if run := printenv("GREETING"); run["status"] != "FAILED" || run["exitCode"] != 1.0 {
		t.Fatalf("printenv GREETING after DELETE: %v", run)
	}

	// Quant's environment[] on create feeds the same variables.
	if code, out := w.call(http.MethodPost, "/applications/web/environments", map[string]any{"envName": "staging",
		"environment": []map[string]any{{"name": "FROM_CREATE", "value": "created"}}}); code != http.StatusCreated {
		t.Fatalf("create staging: %d %v", code, out)
	}
	w.waitFor("/applications/web/environments/staging", "ACTIVE")
	if _, vars := w.call(http.MethodGet, "/applications/web/environments/staging/variables", nil); fmt.Sprint(vars) != "map[variables:[map[name:FROM_CREATE value:created]]]" {
		t.Errorf("staging's variables: %v", vars)
	}
	const staging = "/applications/web/environments/staging/commands"
	_, _, run := w.send(http.MethodPost, staging, map[string]any{"command": []string{"printenv", "FROM_CREATE"}}, nil)
	if done := w.runOf(staging+"/"+run["runId"].(string), "SUCCEEDED", "FAILED", "TIMED_OUT"); strings.Join(lines(done["output"]), "|") != "created" {
		t.Errorf("printenv FROM_CREATE in staging: %v", done)
	}

	// No answer of the API holds the value: the configuration's, the
	// environment's, its releases, deployments, operations and the audit log.
	for _, path := range []string{env, env + "/secrets", env + "/variables", env + "/releases", env + "/deployments", env + "/operations", env + "/compose", "/audit-events"} {
		record(w.raw(http.MethodGet, path, nil, nil))
	}
	for _, a := range answers {
		if strings.Contains(a, secret) {
			t.Fatalf("an answer holds the secret's value: %s", a)
		}
	}
	if len(answers) < 20 {
		t.Fatalf("only %d answers checked", len(answers))
	}
}
