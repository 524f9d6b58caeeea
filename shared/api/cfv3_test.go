package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/auth"
	"github.com/berth-dev/berth/shared/deploy/deploytest"
	"github.com/berth-dev/berth/shared/store"
)

// cf3 calls a Cloud Foundry v3 route as CF's clients do: "bearer" in
// lower case.
func cf3(t *testing.T, tok, method, path string, body any) response {
	t.Helper()
	return callAs(t, "bearer "+tok, method, path, body)
}

// cfError is a CF v3 error answer's one error.
func cfError(t *testing.T, res response, status int, title string) map[string]any {
	t.Helper()
	mustStatus(t, res, status)
	errs, _ := res.json(t)["errors"].([]any)
	if len(errs) != 1 {
		t.Fatalf("not CF v3's error shape: %s", res.Body)
	}
	e := errs[0].(map[string]any)
	if e["title"] != title {
		t.Fatalf("title %v, want %s: %s", e["title"], title, res.Body)
	}
	return e
}

func settle(t *testing.T, org, app, env string) {
	t.Helper()
	if _, err := deploytest.Settle(context.Background(), &store.Table{Client: stack.Client, Name: stack.Table}, org, app, env); err != nil {
		t.Fatal(err)
	}
}

// cf3Space creates the space "dev" in org's organization and returns its guid.
func cf3Space(t *testing.T, tok string) string {
	t.Helper()
	orgs := cf3(t, tok, http.MethodGet, "/v3/organizations", nil)
	mustStatus(t, orgs, http.StatusOK)
	res := orgs.json(t)["resources"].([]any)
	if len(res) != 1 {
		t.Fatalf("organizations %s", orgs.Body)
	}
	guid := res[0].(map[string]any)["guid"].(string)
	sp := cf3(t, tok, http.MethodPost, "/v3/spaces", map[string]any{"name": "dev", "relationships": map[string]any{"organization": map[string]any{"data": map[string]any{"guid": guid}}}})
	mustStatus(t, sp, http.StatusCreated)
	return sp.json(t)["guid"].(string)
}

// TestCfv3PageRequest: the reference page's request, as written, with a
// space the client created, answers 201 in the page's shape.
func TestCfv3PageRequest(t *testing.T) {
	org := uniqueOrg(t)
	tok := tokenFor(t, org, auth.RoleAdmin)
	space := cf3Space(t, tok)
	body := strings.Replace(`{"name":"my_app","environment_variables":{"open":"source"},"lifecycle":{"type":"buildpack","data":{"stack":null,"buildpack":"name-605"}},"relationships":{"space":{"guid":"79f47dbb-632e-41f3-9379-bae08e0abd70"}}}`,
		"79f47dbb-632e-41f3-9379-bae08e0abd70", space, 1)
	res := cf3(t, tok, http.MethodPost, "/v3/apps", body)
	mustStatus(t, res, http.StatusCreated)
	app := res.json(t)
	guid, _ := app["guid"].(string)
	lc := app["lifecycle"].(map[string]any)
	data := lc["data"].(map[string]any)
	links := app["links"].(map[string]any)
	if guid == "" || app["name"] != "my_app" || app["desired_state"] != "STOPPED" || app["total_desired_instances"] != float64(0) ||
		app["created_at"] == nil || app["updated_at"] != nil || lc["type"] != "buildpack" || data["buildpack"] != "name-605" || data["stack"] != "cflinuxfs4" ||
		app["environment_variables"].(map[string]any)["open"] != "source" || links["self"].(map[string]any)["href"] != "/v3/apps/"+guid ||
		links["space"].(map[string]any)["href"] != "/v3/spaces/"+space || res.Header.Get("Location") != "/v3/apps/"+guid {
		t.Fatalf("not the page's answer: %s", res.Body)
	}
	// Berth's application is my-app, labelled my_app, in environment dev, stopped.
	q := call(t, http.MethodGet, orgPath(org)+"/applications/my-app/environments/dev", nil)
	mustStatus(t, q, http.StatusOK)
	env := q.json(t)
	if env["desiredCount"] != float64(0) || env["minCapacity"] != float64(1) {
		t.Fatalf("Quant's view of the app: %s", q.Body)
	}
	// It cannot start: Berth runs images; the refusal says how to give it one.
	settle(t, org, "my-app", "dev")
	e := cfError(t, cf3(t, tok, http.MethodPost, "/v3/apps/"+guid+"/actions/start", nil), http.StatusUnprocessableEntity, "CF-UnprocessableEntity")
	if d, _ := e["detail"].(string); e["code"] != float64(10008) || !strings.Contains(d, "not supported by Berth") || !strings.Contains(d, `"type":"docker"`) {
		t.Fatalf("start refusal: %v", e)
	}
	// Given an image, it starts.
	res = cf3(t, tok, http.MethodPatch, "/v3/apps/"+guid, map[string]any{"lifecycle": map[string]any{"type": "docker", "data": map[string]any{"image": "nginx:1.27"}}})
	mustStatus(t, res, http.StatusOK)
	if lc := res.json(t)["lifecycle"].(map[string]any); lc["type"] != "docker" {
		t.Fatalf("lifecycle after PATCH: %s", res.Body)
	}
	settle(t, org, "my-app", "dev")
	res = cf3(t, tok, http.MethodPost, "/v3/apps/"+guid+"/actions/start", nil)
	mustStatus(t, res, http.StatusOK)
	if a := res.json(t); a["state"] != "STARTED" || a["total_desired_instances"] != float64(1) {
		t.Fatalf("started: %s", res.Body)
	}
}

// TestCfv3Flow is a client's whole flow: organization, space, create,
// get, list with pagination, start, variables, scale, stop, restart,
// delete and its job, seen also through Quant's API.
func TestCfv3Flow(t *testing.T) {
	org := uniqueOrg(t)
	tok := tokenFor(t, org, auth.RoleAdmin)
	mustStatus(t, cf3(t, tok, http.MethodGet, "/v3", nil), http.StatusOK)
	space := cf3Space(t, tok)
	spaces := cf3(t, tok, http.MethodGet, "/v3/spaces?names=dev", nil)
	mustStatus(t, spaces, http.StatusOK)
	if r := spaces.json(t)["resources"].([]any); len(r) != 1 || r[0].(map[string]any)["guid"] != space {
		t.Fatalf("spaces %s", spaces.Body)
	}
	create := func(name string) string {
		res := cf3(t, tok, http.MethodPost, "/v3/apps", map[string]any{"name": name,
			"lifecycle":     map[string]any{"type": "docker", "data": map[string]any{"image": "nginx:1.27"}},
			"relationships": map[string]any{"space": map[string]any{"data": map[string]any{"guid": space}}}})
		mustStatus(t, res, http.StatusCreated)
		a := res.json(t)
		if a["state"] != "STOPPED" || a["lifecycle"].(map[string]any)["data"].(map[string]any)["image"] != "nginx:1.27" {
			t.Fatalf("created %s", res.Body)
		}
		settle(t, org, name, "dev")
		return a["guid"].(string)
	}
	web, worker := create("web"), create("worker")

	// Pagination: one a page, by name.
	p1 := cf3(t, tok, http.MethodGet, "/v3/apps?per_page=1&order_by=name", nil)
	mustStatus(t, p1, http.StatusOK)
	pg := p1.json(t)["pagination"].(map[string]any)
	if pg["total_results"] != float64(2) || pg["total_pages"] != float64(2) || pg["previous"] != nil {
		t.Fatalf("page 1 %s", p1.Body)
	}
	if r := p1.json(t)["resources"].([]any); r[0].(map[string]any)["guid"] != web {
		t.Fatalf("page 1 holds %v", r)
	}
	p2 := cf3(t, tok, http.MethodGet, pg["next"].(map[string]any)["href"].(string), nil)
	mustStatus(t, p2, http.StatusOK)
	if r := p2.json(t)["resources"].([]any); len(r) != 1 || r[0].(map[string]any)["guid"] != worker || p2.json(t)["pagination"].(map[string]any)["next"] != nil {
		t.Fatalf("page 2 %s", p2.Body)
	}
	cfError(t, cf3(t, tok, http.MethodGet, "/v3/apps?per_page=5001", nil), http.StatusBadRequest, "CF-BadQueryParameter")
	cfError(t, cf3(t, tok, http.MethodGet, "/v3/apps?page=0", nil), http.StatusBadRequest, "CF-BadQueryParameter")

	// Start: the same state through Quant's API.
	res := cf3(t, tok, http.MethodPost, "/v3/apps/"+web+"/actions/start", nil)
	mustStatus(t, res, http.StatusOK)
	if res.json(t)["state"] != "STARTED" {
		t.Fatalf("start %s", res.Body)
	}
	quant := func() map[string]any {
		q := call(t, http.MethodGet, orgPath(org)+"/applications/web/environments/dev", nil)
		mustStatus(t, q, http.StatusOK)
		return q.json(t)
	}
	settle(t, org, "web", "dev")
	if q := quant(); q["desiredCount"] != float64(1) {
		t.Fatalf("Quant's desiredCount after a start: %v", q["desiredCount"])
	}
	if a := cf3(t, tok, http.MethodGet, "/v3/apps/"+web, nil).json(t); a["state"] != "STARTED" || a["total_desired_instances"] != float64(1) {
		t.Fatalf("GET after the start: %v", a)
	}
	// Quant's application names its one environment, dev, started.
	qa := call(t, http.MethodGet, orgPath(org)+"/applications/web", nil)
	mustStatus(t, qa, http.StatusOK)
	envs, _ := qa.json(t)["environments"].([]any)
	if len(envs) != 1 || envs[0].(map[string]any)["envName"] != "dev" || envs[0].(map[string]any)["desiredCount"] != float64(1) {
		t.Fatalf("Quant's application after the start: %s", qa.Body)
	}

	// Variables: PATCH merges, null deletes.
	res = cf3(t, tok, http.MethodPatch, "/v3/apps/"+web+"/environment_variables", map[string]any{"var": map[string]any{"A": "1", "B": 2}})
	mustStatus(t, res, http.StatusOK)
	settle(t, org, "web", "dev")
	res = cf3(t, tok, http.MethodPatch, "/v3/apps/"+web+"/environment_variables", map[string]any{"var": map[string]any{"B": nil, "C": true}})
	mustStatus(t, res, http.StatusOK)
	settle(t, org, "web", "dev")
	res = cf3(t, tok, http.MethodGet, "/v3/apps/"+web+"/environment_variables", nil)
	mustStatus(t, res, http.StatusOK)
	if v := res.json(t)["var"].(map[string]any); len(v) != 2 || v["A"] != "1" || v["C"] != "true" {
		t.Fatalf("variables %s", res.Body)
	}
	e := cfError(t, cf3(t, tok, http.MethodPatch, "/v3/apps/"+web+"/environment_variables", map[string]any{"var": map[string]any{"VCAP_X": "1"}}), http.StatusUnprocessableEntity, "CF-UnprocessableEntity")
	if !strings.Contains(e["detail"].(string), "var.VCAP_X") {
		t.Fatalf("the refusal names no field: %v", e)
	}

	// Scale: instances and memory, seen in the process and Quant's view.
	res = cf3(t, tok, http.MethodPost, "/v3/processes/"+web+"/actions/scale", map[string]any{"instances": 2, "memory_in_mb": 512, "disk_in_mb": 2048})
	mustStatus(t, res, http.StatusAccepted)
	settle(t, org, "web", "dev")
	procs := cf3(t, tok, http.MethodGet, "/v3/apps/"+web+"/processes", nil)
	mustStatus(t, procs, http.StatusOK)
	pr := procs.json(t)["resources"].([]any)
	if len(pr) != 1 || pr[0].(map[string]any)["type"] != "web" || pr[0].(map[string]any)["instances"] != float64(2) || pr[0].(map[string]any)["memory_in_mb"] != float64(512) {
		t.Fatalf("processes %s", procs.Body)
	}
	q := quant()
	c := q["composeDefinition"].(map[string]any)["containers"].([]any)[0].(map[string]any)
	if q["minCapacity"] != float64(2) || q["maxCapacity"] != float64(2) || c["memory"] != float64(512) {
		t.Fatalf("Quant's view after the scale: min %v max %v memory %v", q["minCapacity"], q["maxCapacity"], c["memory"])
	}
	e = cfError(t, cf3(t, tok, http.MethodPost, "/v3/processes/"+web+"/actions/scale", map[string]any{"disk_in_mb": 30000}), http.StatusUnprocessableEntity, "CF-UnprocessableEntity")
	if !strings.Contains(e["detail"].(string), "disk_in_mb") {
		t.Fatalf("disk refusal %v", e)
	}
	mustStatus(t, cf3(t, tok, http.MethodGet, "/v3/processes/"+web, nil), http.StatusOK)

	// Stop, then restart starts it.
	res = cf3(t, tok, http.MethodPost, "/v3/apps/"+web+"/actions/stop", nil)
	mustStatus(t, res, http.StatusOK)
	if res.json(t)["state"] != "STOPPED" || res.json(t)["total_desired_instances"] != float64(0) {
		t.Fatalf("stop %s", res.Body)
	}
	settle(t, org, "web", "dev")
	if quant()["desiredCount"] != float64(0) || cf3(t, tok, http.MethodGet, "/v3/apps/"+web, nil).json(t)["state"] != "STOPPED" {
		t.Fatal("the stop is not seen through Quant's API or GET")
	}
	res = cf3(t, tok, http.MethodPost, "/v3/apps/"+web+"/actions/restart", nil)
	mustStatus(t, res, http.StatusOK)
	if res.json(t)["state"] != "STARTED" {
		t.Fatalf("restart %s", res.Body)
	}
	settle(t, org, "web", "dev")
	mustStatus(t, cf3(t, tok, http.MethodPost, "/v3/apps/"+web+"/actions/restart", nil), http.StatusOK)
	settle(t, org, "web", "dev")

	// Delete: 202 and a job, PROCESSING until the records go.
	res = cf3(t, tok, http.MethodDelete, "/v3/apps/"+web, nil)
	mustStatus(t, res, http.StatusAccepted)
	job := res.Header.Get("Location")
	if !strings.HasPrefix(job, "/v3/jobs/") {
		t.Fatalf("Location %q", job)
	}
	res = cf3(t, tok, http.MethodGet, job, nil)
	mustStatus(t, res, http.StatusOK)
	if res.json(t)["state"] != "PROCESSING" {
		t.Fatalf("job %s", res.Body)
	}
	cfError(t, cf3(t, tok, http.MethodGet, "/v3/apps/"+web, nil), http.StatusNotFound, "CF-ResourceNotFound")
	tbl := &store.Table{Client: stack.Client, Name: stack.Table}
	a, _, err := tbl.GetApplication(context.Background(), org, "web")
	if err != nil {
		t.Fatal(err)
	}
	if err := tbl.RemoveRecords(context.Background(), apps.Target{Organisation: org, Application: "web", UID: a.UID}); err != nil {
		t.Fatal(err)
	}
	res = cf3(t, tok, http.MethodGet, job, nil)
	mustStatus(t, res, http.StatusOK)
	if res.json(t)["state"] != "COMPLETE" {
		t.Fatalf("job after the teardown %s", res.Body)
	}
	if r := cf3(t, tok, http.MethodGet, "/v3/apps", nil).json(t)["resources"].([]any); len(r) != 1 {
		t.Fatalf("apps after the delete: %v", r)
	}
}

// TestCfv3Refusals: bad input gets CF v3's 4xx naming the field; another
// organisation's token finds none of the ids; no token is CF's 401.
func TestCfv3Refusals(t *testing.T) {
	org, other := uniqueOrg(t), uniqueOrg(t)+"-other"
	tok, otherTok := tokenFor(t, org, auth.RoleAdmin), tokenFor(t, other, auth.RoleAdmin)
	space := cf3Space(t, tok)
	for field, body := range map[string]map[string]any{
		"lifecycle.type":             {"name": "a", "lifecycle": map[string]any{"type": "cnb", "data": map[string]any{}}, "relationships": map[string]any{"space": map[string]any{"guid": space}}},
		"lifecycle.data.image":       {"name": "a", "lifecycle": map[string]any{"type": "docker", "data": map[string]any{}}, "relationships": map[string]any{"space": map[string]any{"guid": space}}},
		"name":                       {"relationships": map[string]any{"space": map[string]any{"guid": space}}},
		"environment_variables.PORT": {"name": "a", "environment_variables": map[string]any{"PORT": "80"}, "relationships": map[string]any{"space": map[string]any{"guid": space}}},
	} {
		e := cfError(t, cf3(t, tok, http.MethodPost, "/v3/apps", body), http.StatusUnprocessableEntity, "CF-UnprocessableEntity")
		if !strings.Contains(e["detail"].(string), field) || e["code"] != float64(10008) {
			t.Fatalf("%s: %v", field, e)
		}
	}
	// Berth's own rule on the name, in CF's shape.
	e := cfError(t, cf3(t, tok, http.MethodPost, "/v3/apps", map[string]any{"name": "Bad!", "relationships": map[string]any{"space": map[string]any{"guid": space}}}), http.StatusUnprocessableEntity, "CF-UnprocessableEntity")
	if !strings.HasPrefix(e["detail"].(string), "name ") {
		t.Fatalf("name rule %v", e)
	}
	cfError(t, cf3(t, tok, http.MethodPost, "/v3/apps", `{"name":`), http.StatusBadRequest, "CF-MessageParseError")
	cfError(t, cf3(t, tok, http.MethodGet, "/v3/apps?q=name:a", nil), http.StatusBadRequest, "CF-BadQueryParameter")
	e = cfError(t, callAs(t, "", http.MethodGet, "/v3/apps", nil), http.StatusUnauthorized, "CF-NotAuthenticated")
	if e["code"] != float64(10002) {
		t.Fatalf("401 %v", e)
	}
	readTok := tokenFor(t, org, auth.RoleRead)
	cfError(t, cf3(t, readTok, http.MethodPost, "/v3/spaces", map[string]any{"name": "x"}), http.StatusForbidden, "CF-NotAuthorized")

	res := cf3(t, tok, http.MethodPost, "/v3/apps", map[string]any{"name": "web", "lifecycle": map[string]any{"type": "docker", "data": map[string]any{"image": "nginx"}},
		"relationships": map[string]any{"space": map[string]any{"data": map[string]any{"guid": space}}}})
	mustStatus(t, res, http.StatusCreated)
	guid := res.json(t)["guid"].(string)
	cfError(t, cf3(t, tok, http.MethodPost, "/v3/apps", map[string]any{"name": "web", "relationships": map[string]any{"space": map[string]any{"guid": space}}}), http.StatusUnprocessableEntity, "CF-UnprocessableEntity")
	// A start before provisioning ends is CF's 422, not Berth's 409.
	cfError(t, cf3(t, tok, http.MethodPost, "/v3/apps/"+guid+"/actions/start", nil), http.StatusUnprocessableEntity, "CF-UnprocessableEntity")
	settle(t, org, "web", "dev")
	job := cf3(t, tok, http.MethodDelete, "/v3/apps/"+guid, nil).Header.Get("Location")

	// Its records, not the other organisation's audit events.
	records := func() string {
		var out []string
		for _, l := range strings.Split(tableDump(t), "\n") {
			if strings.Contains(l, org) {
				out = append(out, l)
			}
		}
		return strings.Join(out, "\n")
	}
	before := records()
	for _, c := range []struct{ method, path string }{
		{http.MethodGet, "/v3/apps/" + guid}, {http.MethodPatch, "/v3/apps/" + guid}, {http.MethodDelete, "/v3/apps/" + guid},
		{http.MethodPost, "/v3/apps/" + guid + "/actions/start"}, {http.MethodGet, "/v3/apps/" + guid + "/environment_variables"},
		{http.MethodGet, "/v3/apps/" + guid + "/processes"}, {http.MethodPost, "/v3/processes/" + guid + "/actions/scale"}, {http.MethodGet, job},
	} {
		cfError(t, cf3(t, otherTok, c.method, c.path, map[string]any{}), http.StatusNotFound, "CF-ResourceNotFound")
	}
	cfError(t, cf3(t, otherTok, http.MethodPost, "/v3/apps", map[string]any{"name": "x", "relationships": map[string]any{"space": map[string]any{"guid": space}}}), http.StatusNotFound, "CF-ResourceNotFound")
	if r := cf3(t, otherTok, http.MethodGet, "/v3/spaces", nil).json(t)["resources"].([]any); len(r) != 0 {
		t.Fatalf("another organisation's spaces: %v", r)
	}
	if records() != before {
		t.Fatal("another organisation's requests changed the organisation's records")
	}
}
