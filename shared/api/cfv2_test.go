package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/berth-dev/berth/shared/auth"
	"github.com/berth-dev/berth/shared/dialect"
)

// cf2 calls a Cloud Foundry v2 route as CF's clients do: "bearer" in
// lower case, and JSON sent as form data.
func cf2(t *testing.T, tok, method, path string, body any) response {
	t.Helper()
	return callAs(t, "bearer "+tok, method, path, body, "Content-Type", "application/x-www-form-urlencoded")
}

// cf2Error is a CF v2 error answer: {code, description, error_code}
// and nothing else, with the status and error_code wanted.
func cf2Error(t *testing.T, res response, status int, errorCode string) map[string]any {
	t.Helper()
	mustStatus(t, res, status)
	e := res.json(t)
	if len(e) != 3 || e["code"] == nil || e["description"] == nil || e["error_code"] != errorCode {
		t.Fatalf("not CF v2's %s: %s", errorCode, res.Body)
	}
	return e
}

// entity and metadata are a CF v2 resource's halves.
func entity(t *testing.T, res response) map[string]any {
	t.Helper()
	e, ok := res.json(t)["entity"].(map[string]any)
	if !ok {
		t.Fatalf("not CF v2's envelope: %s", res.Body)
	}
	return e
}

func metadata(t *testing.T, res response) map[string]any {
	t.Helper()
	m, ok := res.json(t)["metadata"].(map[string]any)
	if !ok {
		t.Fatalf("not CF v2's envelope: %s", res.Body)
	}
	return m
}

// cf2Space creates the space "dev" in the token's organization, found
// through GET /v2/organizations, and returns its guid.
func cf2Space(t *testing.T, tok string) string {
	t.Helper()
	orgs := cf2(t, tok, http.MethodGet, "/v2/organizations", nil)
	mustStatus(t, orgs, http.StatusOK)
	l := orgs.json(t)
	res := l["resources"].([]any)
	if len(res) != 1 || l["total_results"] != float64(1) || l["total_pages"] != float64(1) || l["prev_url"] != nil || l["next_url"] != nil {
		t.Fatalf("organizations %s", orgs.Body)
	}
	guid := res[0].(map[string]any)["metadata"].(map[string]any)["guid"].(string)
	sp := cf2(t, tok, http.MethodPost, "/v2/spaces", map[string]any{"name": "dev", "organization_guid": guid})
	mustStatus(t, sp, http.StatusCreated)
	id := metadata(t, sp)["guid"].(string)
	if e := entity(t, sp); e["name"] != "dev" || e["organization_guid"] != guid || sp.Header.Get("Location") != "/v2/spaces/"+id {
		t.Fatalf("space %s (Location %q)", sp.Body, sp.Header.Get("Location"))
	}
	return id
}

// TestCfv2PageRequest: the reference page's request, as written (its body,
// application/x-www-form-urlencoded, "Authorization: bearer"), with a space
// the client created, answers 201 in the page's shape; the same body as
// text/plain does too.
func TestCfv2PageRequest(t *testing.T) {
	org := uniqueOrg(t)
	tok := tokenFor(t, org, auth.RoleAdmin)
	space := cf2Space(t, tok)
	body := strings.Replace(`{
  "name": "docker_app",
  "space_guid": "82b15327-0244-463f-93cb-f63464ceb843",
  "docker_image": "cloudfoundry/hello",
  "diego": true
}`, "82b15327-0244-463f-93cb-f63464ceb843", space, 1)
	res := callAs(t, "bearer "+tok, http.MethodPost, "/v2/apps", body, "Content-Type", "application/x-www-form-urlencoded", "Host", "example.org", "Cookie", "")
	mustStatus(t, res, http.StatusCreated)
	md, e := metadata(t, res), entity(t, res)
	guid, _ := md["guid"].(string)
	if guid == "" || md["url"] != "/v2/apps/"+guid || md["created_at"] == nil || md["updated_at"] != nil || res.Header.Get("Location") != "/v2/apps/"+guid ||
		!strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("not the page's answer: %s %v", res.Body, res.Header)
	}
	want := map[string]any{"name": "docker_app", "production": false, "space_guid": space, "buildpack": nil, "detected_buildpack": nil,
		"memory": float64(1024), "instances": float64(1), "state": "STOPPED", "command": nil, "console": false, "debug": nil,
		"staging_task_id": nil, "health_check_type": "port", "health_check_timeout": nil, "staging_failed_reason": nil, "diego": true,
		"docker_image": "cloudfoundry/hello", "detected_start_command": "", "space_url": "/v2/spaces/" + space,
		"events_url": "/v2/apps/" + guid + "/events", "service_bindings_url": "/v2/apps/" + guid + "/service_bindings", "routes_url": "/v2/apps/" + guid + "/routes"}
	for k, v := range want {
		if e[k] != v {
			t.Errorf("entity.%s = %v, want %v", k, e[k], v)
		}
	}
	if env, ok := e["environment_json"].(map[string]any); !ok || len(env) != 0 {
		t.Errorf("environment_json %v", e["environment_json"])
	}
	// Berth's application is docker-app, labelled docker_app, in environment dev, stopped, of one task of 1024 MiB.
	q := call(t, http.MethodGet, orgPath(org)+"/applications/docker-app/environments/dev", nil)
	mustStatus(t, q, http.StatusOK)
	if env := q.json(t); env["desiredCount"] != float64(0) || env["minCapacity"] != float64(1) || env["maxCapacity"] != float64(1) {
		t.Fatalf("Quant's view of the app: %s", q.Body)
	}
	// text/plain, as other clients send it, is read as JSON too.
	res = callAs(t, "BEARER "+tok, http.MethodPost, "/v2/apps", strings.Replace(body, "docker_app", "docker_app2", 1), "Content-Type", "text/plain")
	mustStatus(t, res, http.StatusCreated)
	if entity(t, res)["name"] != "docker_app2" {
		t.Fatalf("text/plain: %s", res.Body)
	}
}

// TestCfv2Flow is a client's whole flow: info, organizations, spaces
// created and listed, apps created, read, summarised, started, stopped,
// reconfigured, listed a page at a time and deleted, each also read
// through Quant's API.
func TestCfv2Flow(t *testing.T) {
	org := uniqueOrg(t)
	tok := tokenFor(t, org, auth.RoleAdmin)
	info := cf2(t, tok, http.MethodGet, "/v2/info", nil)
	mustStatus(t, info, http.StatusOK)
	if i := info.json(t); i["api_version"] == nil || i["version"] != float64(2) {
		t.Fatalf("info %s", info.Body)
	}
	space := cf2Space(t, tok)
	spaces := cf2(t, tok, http.MethodGet, "/v2/spaces?q=name:dev", nil)
	mustStatus(t, spaces, http.StatusOK)
	if r := spaces.json(t)["resources"].([]any); len(r) != 1 || r[0].(map[string]any)["metadata"].(map[string]any)["guid"] != space {
		t.Fatalf("spaces %s", spaces.Body)
	}
	create := func(name string) string {
		res := cf2(t, tok, http.MethodPost, "/v2/apps", map[string]any{"name": name, "space_guid": space, "docker_image": "nginx:1.27",
			"environment_json": map[string]any{"MODE": "cf", "N": 1}})
		mustStatus(t, res, http.StatusCreated)
		if e := entity(t, res); e["state"] != "STOPPED" || e["docker_image"] != "nginx:1.27" || e["environment_json"].(map[string]any)["N"] != "1" {
			t.Fatalf("created %s", res.Body)
		}
		settle(t, org, name, "dev")
		return metadata(t, res)["guid"].(string)
	}
	web, worker := create("web"), create("worker")

	get := func(guid string) map[string]any {
		res := cf2(t, tok, http.MethodGet, "/v2/apps/"+guid, nil)
		mustStatus(t, res, http.StatusOK)
		if metadata(t, res)["guid"] != guid {
			t.Fatalf("get %s", res.Body)
		}
		return entity(t, res)
	}
	quant := func() map[string]any {
		q := call(t, http.MethodGet, orgPath(org)+"/applications/web/environments/dev", nil)
		mustStatus(t, q, http.StatusOK)
		return q.json(t)
	}
	if e := get(web); e["name"] != "web" || e["state"] != "STOPPED" || e["space_guid"] != space {
		t.Fatalf("get %v", e)
	}
	sum := cf2(t, tok, http.MethodGet, "/v2/apps/"+web+"/summary", nil)
	mustStatus(t, sum, http.StatusOK)
	if s := sum.json(t); s["guid"] != web || s["name"] != "web" || s["running_instances"] != float64(0) || s["state"] != "STOPPED" {
		t.Fatalf("summary %s", sum.Body)
	}

	// PUT state STARTED: the same state through Quant's API.
	res := cf2(t, tok, http.MethodPut, "/v2/apps/"+web, map[string]any{"state": "STARTED"})
	mustStatus(t, res, http.StatusCreated)
	if e := entity(t, res); e["state"] != "STARTED" || e["instances"] != float64(1) {
		t.Fatalf("start %s", res.Body)
	}
	settle(t, org, "web", "dev")
	if q := quant(); q["desiredCount"] != float64(1) {
		t.Fatalf("Quant's desiredCount after a start: %v", q["desiredCount"])
	}
	qa := call(t, http.MethodGet, orgPath(org)+"/applications/web", nil)
	mustStatus(t, qa, http.StatusOK)
	envs, _ := qa.json(t)["environments"].([]any)
	if len(envs) != 1 || envs[0].(map[string]any)["envName"] != "dev" || envs[0].(map[string]any)["desiredCount"] != float64(1) {
		t.Fatalf("Quant's application after the start: %s", qa.Body)
	}
	if e := get(web); e["state"] != "STARTED" {
		t.Fatalf("GET after the start: %v", e)
	}

	// A configuration change: instances, memory, command, ports, variables.
	res = cf2(t, tok, http.MethodPut, "/v2/apps/"+web, map[string]any{"instances": 2, "memory": 512, "command": "nginx -g 'daemon off;'",
		"ports": []int{80}, "environment_json": map[string]any{"MODE": "flow"}, "health_check_type": "http", "health_check_http_endpoint": "/up"})
	mustStatus(t, res, http.StatusCreated)
	if e := entity(t, res); e["instances"] != float64(2) || e["memory"] != float64(512) || e["state"] != "STARTED" || e["environment_json"].(map[string]any)["MODE"] != "flow" {
		t.Fatalf("the change's answer: %s", res.Body)
	}
	settle(t, org, "web", "dev")
	e := get(web)
	if e["instances"] != float64(2) || e["memory"] != float64(512) || e["command"] != "nginx -g 'daemon off;'" || e["state"] != "STARTED" ||
		e["health_check_type"] != "http" || e["health_check_http_endpoint"] != "/up" || e["ports"].([]any)[0] != float64(80) {
		t.Fatalf("after the change %v", e)
	}
	if v := e["environment_json"].(map[string]any); len(v) != 1 || v["MODE"] != "flow" {
		t.Fatalf("environment_json replaced: %v", v)
	}
	if q := quant(); q["desiredCount"] != float64(2) || q["minCapacity"] != float64(2) {
		t.Fatalf("Quant's view after the change: %v", q)
	}

	// PUT state STOPPED: stopped in Quant's API too.
	res = cf2(t, tok, http.MethodPut, "/v2/apps/"+web, map[string]any{"state": "STOPPED"})
	mustStatus(t, res, http.StatusCreated)
	if e := entity(t, res); e["state"] != "STOPPED" {
		t.Fatalf("stop %s", res.Body)
	}
	settle(t, org, "web", "dev")
	if q := quant(); q["desiredCount"] != float64(0) {
		t.Fatalf("Quant's desiredCount after a stop: %v", q["desiredCount"])
	}
	if e := get(web); e["state"] != "STOPPED" || e["instances"] != float64(2) {
		t.Fatalf("GET after the stop: %v", e)
	}

	// Pagination: one a page, by creation.
	p1 := cf2(t, tok, http.MethodGet, "/v2/apps?results-per-page=1", nil)
	mustStatus(t, p1, http.StatusOK)
	l := p1.json(t)
	if l["total_results"] != float64(2) || l["total_pages"] != float64(2) || l["prev_url"] != nil || l["next_url"] == nil {
		t.Fatalf("page 1 %s", p1.Body)
	}
	if r := l["resources"].([]any); len(r) != 1 || r[0].(map[string]any)["metadata"].(map[string]any)["guid"] != web {
		t.Fatalf("page 1 holds %v", r)
	}
	p2 := cf2(t, tok, http.MethodGet, l["next_url"].(string), nil)
	mustStatus(t, p2, http.StatusOK)
	l2 := p2.json(t)
	if r := l2["resources"].([]any); len(r) != 1 || r[0].(map[string]any)["metadata"].(map[string]any)["guid"] != worker || l2["next_url"] != nil || l2["prev_url"] == nil {
		t.Fatalf("page 2 %s", p2.Body)
	}
	byName := cf2(t, tok, http.MethodGet, "/v2/apps?q=name:worker&q=space_guid:"+space, nil)
	mustStatus(t, byName, http.StatusOK)
	if byName.json(t)["total_results"] != float64(1) {
		t.Fatalf("q=name:worker %s", byName.Body)
	}
	cf2Error(t, cf2(t, tok, http.MethodGet, "/v2/apps?results-per-page=101", nil), http.StatusBadRequest, "CF-BadQueryParameter")
	cf2Error(t, cf2(t, tok, http.MethodGet, "/v2/apps?q=guid:"+web, nil), http.StatusBadRequest, "CF-BadQueryParameter")

	// Delete: gone from CF v2 and from Quant's API.
	res = cf2(t, tok, http.MethodDelete, "/v2/apps/"+worker, nil)
	mustStatus(t, res, http.StatusNoContent)
	cf2Error(t, cf2(t, tok, http.MethodGet, "/v2/apps/"+worker, nil), http.StatusNotFound, "CF-AppNotFound")
	if l := cf2(t, tok, http.MethodGet, "/v2/apps", nil).json(t); l["total_results"] != float64(1) {
		t.Fatalf("list after the delete: %v", l)
	}
}

// TestCfv2Refusals: bad input is CF v2's 400 naming the field and rule,
// and changes nothing.
func TestCfv2Refusals(t *testing.T) {
	org := uniqueOrg(t)
	tok := tokenFor(t, org, auth.RoleAdmin)
	space := cf2Space(t, tok)
	ok := map[string]any{"name": "web", "space_guid": space, "docker_image": "nginx:1.27"}
	with := func(k string, v any) map[string]any {
		b := map[string]any{}
		for key, val := range ok {
			b[key] = val
		}
		b[k] = v
		return b
	}
	// stored is what CF v2 and Quant's API show of the organisation's apps.
	stored := func() string {
		q := call(t, http.MethodGet, orgPath(org)+"/applications", nil)
		mustStatus(t, q, http.StatusOK)
		l := cf2(t, tok, http.MethodGet, "/v2/apps", nil)
		mustStatus(t, l, http.StatusOK)
		return string(q.Body) + string(l.Body)
	}
	before := stored()
	for _, c := range []struct {
		body      any
		errorCode string
		field     string
	}{
		{`{"name":`, "CF-MessageParseError", "body"},
		{`name=web`, "CF-MessageParseError", "body"},
		{map[string]any{"name": "web", "space_guid": space}, "CF-InvalidRequest", "docker_image is required"},
		{with("memory", 0), "CF-InvalidRequest", "memory must be between 6"},
		{with("memory", "1G"), "CF-InvalidRequest", "memory must be an integer"},
		{with("instances", 0), "CF-InvalidRequest", "instances must be between 1"},
		{with("disk_quota", 20481), "CF-InvalidRequest", "disk_quota must be between 1 and 20480"},
		{with("state", "RUNNING"), "CF-InvalidRequest", "state must be STARTED or STOPPED"},
		{with("health_check_type", "tcp"), "CF-InvalidRequest", "health_check_type must be one of"},
		{with("health_check_timeout", 301), "CF-InvalidRequest", "health_check_timeout must be between 0 and 300"},
		{with("ports", []int{70000}), "CF-InvalidRequest", "ports[0] must be between 1 and 65535"},
		{with("environment_json", map[string]any{"PORT": "1"}), "CF-InvalidRequest", "environment_json.PORT is reserved"},
		{with("docker_credentials", map[string]any{"username": "u", "password": "p"}), "CF-InvalidRequest", "docker_credentials are not supported"},
		{with("buildpack", "ruby_buildpack"), "CF-InvalidRequest", "buildpack is not supported"},
		{with("name", "a/b"), "CF-InvalidRequest", "name "},
	} {
		res := cf2(t, tok, http.MethodPost, "/v2/apps", c.body)
		e := cf2Error(t, res, http.StatusBadRequest, c.errorCode)
		if d, _ := e["description"].(string); !strings.Contains(d, c.field) {
			t.Errorf("%v: description %q names no %q", c.body, d, c.field)
		}
	}
	if stored() != before {
		t.Fatal("a refused create stored something")
	}
	// A PUT may not mix the state and the rest, nor rename.
	created := cf2(t, tok, http.MethodPost, "/v2/apps", ok)
	mustStatus(t, created, http.StatusCreated)
	guid := metadata(t, created)["guid"].(string)
	settle(t, org, "web", "dev")
	before = stored()
	for body, field := range map[string]string{`{"state":"STARTED","instances":2}`: "state must be sent alone", `{"name":"other"}`: "name cannot change",
		`{"space_guid":"x"}`: "space_guid cannot change", `{"docker_image":""}`: "docker_image must not be empty", `{"memory":-1}`: "memory"} {
		e := cf2Error(t, cf2(t, tok, http.MethodPut, "/v2/apps/"+guid, body), http.StatusBadRequest, "CF-InvalidRequest")
		if !strings.Contains(e["description"].(string), field) {
			t.Errorf("%s: %v", body, e)
		}
	}
	if stored() != before {
		t.Fatal("a refused PUT changed the app")
	}
	e := cf2Error(t, cf2(t, tok, http.MethodPost, "/v2/spaces", map[string]any{"name": "dev2"}), http.StatusBadRequest, "CF-InvalidRequest")
	if !strings.Contains(e["description"].(string), "organization_guid is required") {
		t.Fatalf("space refusal %v", e)
	}
	// A name taken is refused, not a second app.
	cf2Error(t, cf2(t, tok, http.MethodPost, "/v2/apps", ok), http.StatusConflict, "CF-UnprocessableEntity")
	// Another method on a CF v2 path is CF's shape too.
	cf2Error(t, cf2(t, tok, http.MethodPatch, "/v2/apps/"+guid, map[string]any{"state": "STARTED"}), http.StatusMethodNotAllowed, "CF-NotFound")
}

// TestCfv2OtherOrganisation: another organisation's ids are CF v2's 404s,
// its lists show none of them, and nothing of it changes.
func TestCfv2OtherOrganisation(t *testing.T) {
	orgA, orgB := uniqueOrg(t)+"-a", uniqueOrg(t)+"-b"
	tokA, tokB := tokenFor(t, orgA, auth.RoleAdmin), tokenFor(t, orgB, auth.RoleAdmin)
	spaceB := cf2Space(t, tokB)
	res := cf2(t, tokB, http.MethodPost, "/v2/apps", map[string]any{"name": "secret", "space_guid": spaceB, "docker_image": "nginx:1.27"})
	mustStatus(t, res, http.StatusCreated)
	appB := metadata(t, res)["guid"].(string)
	settle(t, orgB, "secret", "dev")
	before := recordsOf(t, orgB)
	for _, c := range []struct {
		method, path string
		body         any
		errorCode    string
	}{
		{http.MethodGet, "/v2/apps/" + appB, nil, "CF-AppNotFound"},
		{http.MethodGet, "/v2/apps/" + appB + "/summary", nil, "CF-AppNotFound"},
		{http.MethodPut, "/v2/apps/" + appB, map[string]any{"state": "STARTED"}, "CF-AppNotFound"},
		{http.MethodDelete, "/v2/apps/" + appB, nil, "CF-AppNotFound"},
		{http.MethodPost, "/v2/apps", map[string]any{"name": "x", "space_guid": spaceB, "docker_image": "nginx"}, "CF-SpaceNotFound"},
		{http.MethodPost, "/v2/spaces", map[string]any{"name": "x", "organization_guid": dialect.OrganisationID(orgB)}, "CF-OrganizationNotFound"},
	} {
		cf2Error(t, cf2(t, tokA, c.method, c.path, c.body), http.StatusNotFound, c.errorCode)
	}
	for _, path := range []string{"/v2/apps", "/v2/spaces", "/v2/organizations", "/v2/apps?q=space_guid:" + spaceB, "/v2/spaces?q=organization_guid:" + dialect.OrganisationID(orgB)} {
		res := cf2(t, tokA, http.MethodGet, path, nil)
		mustStatus(t, res, http.StatusOK)
		if strings.Contains(string(res.Body), orgB) || strings.Contains(string(res.Body), appB) || strings.Contains(string(res.Body), spaceB) {
			t.Fatalf("%s shows B's: %s", path, res.Body)
		}
	}
	if recordsOf(t, orgB) != before {
		t.Fatal("A's requests changed B's records")
	}
	// B still sees its app, as it was.
	if e := entity(t, cf2(t, tokB, http.MethodGet, "/v2/apps/"+appB, nil)); e["name"] != "secret" || e["state"] != "STOPPED" {
		t.Fatalf("B's app %v", e)
	}
}
