package api_test

import (
	"encoding/json"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/auth"
	"github.com/berth-dev/berth/shared/dialect"
)

// qoveryReference is the reference page's create body, "<string>"s
// replaced by realistic values (shared/qovery/testdata).
func qoveryReference(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile("../qovery/testdata/reference-create.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// qoveryError checks a Qovery error body and returns its fields' errors.
func qoveryError(t *testing.T, res response, status int) map[string]string {
	t.Helper()
	mustStatus(t, res, status)
	body := res.json(t)
	if body["status"] != float64(status) || body["error"] != http.StatusText(status) || body["message"] == "" || body["timestamp"] == nil {
		t.Fatalf("not Qovery's error shape: %s", res.Body)
	}
	if _, ok := body["detail"]; ok {
		t.Fatalf("a problem document, not Qovery's error: %s", res.Body)
	}
	out := map[string]string{}
	list, _ := body["errors"].([]any)
	for _, e := range list {
		e := e.(map[string]any)
		out[e["field"].(string)] = e["message"].(string)
	}
	return out
}

// TestQoveryReferenceRequest: the reference page's create as written
// (gpu 1, a FAST_SSD storage) is refused for its gpu alone, naming it:
// Fargate has no GPUs, and Berth does not accept one it cannot give. The
// same body with that one field changed (gpu 0) is created in the page's
// shape, its storage the application's EFS filesystem at /mnt/images.
func TestQoveryReferenceRequest(t *testing.T) {
	org := uniqueOrg(t)
	tok := "Token " + tokenFor(t, org, auth.RoleWrite)
	pid := dialect.ProjectID(org)
	mustStatus(t, callAs(t, tok, http.MethodPost, "/project/"+pid+"/environment", map[string]any{"name": "staging"}), http.StatusCreated)
	eid := dialect.ScopeID(org, "staging")

	before := itemCount(t)
	errs := qoveryError(t, callAs(t, tok, http.MethodPost, "/environment/"+eid+"/container", qoveryReference(t)), http.StatusBadRequest)
	if len(errs) != 1 || !strings.Contains(errs["gpu"], "Fargate") || !strings.Contains(errs["gpu"], "no GPUs") {
		t.Fatalf("errors = %v, want gpu's alone, saying Fargate has no GPUs", errs)
	}
	if itemCount(t) != before {
		t.Fatal("a refused create made records")
	}

	body := qoveryReference(t)
	body["gpu"] = 0 // the one field changed from the page's request
	res := callAs(t, tok, http.MethodPost, "/environment/"+eid+"/container", body)
	mustStatus(t, res, http.StatusCreated)
	got := res.json(t)
	for k, want := range map[string]any{
		"id": dialect.WorkloadID(org, "web-api", "staging"), "name": "web_api", "image_name": "nginx", "tag": "1.27",
		"cpu": float64(1250), "memory": float64(1024), "gpu": float64(0), "min_running_instances": float64(1), "max_running_instances": float64(1),
		"service_type": "CONTAINER", "auto_preview": true, "auto_deploy": true, "description": "The web front end",
		"registry_id": "3c90c3cc-0d44-4b50-8888-8dd25736052b", "entrypoint": "/docker-entrypoint.sh", "icon_uri": "https://example.com/icon.png",
		"maximum_cpu": float64(16000), "maximum_memory": float64(122880), "maximum_gpu": float64(0),
	} {
		if got[k] != want {
			t.Errorf("%s = %v, want %v", k, got[k], want)
		}
	}
	if got["environment"].(map[string]any)["id"] != eid || got["registry"].(map[string]any)["kind"] != "DOCKER_HUB" {
		t.Errorf("environment, registry = %v, %v", got["environment"], got["registry"])
	}
	for _, k := range []string{"created_at", "healthchecks", "ports", "storage", "arguments", "annotations_groups", "labels_groups"} {
		if got[k] == nil {
			t.Errorf("%s is missing: %s", k, res.Body)
		}
	}
	ports := got["ports"].([]any)
	if len(ports) != 1 || ports[0].(map[string]any)["internal_port"] != float64(8080) || ports[0].(map[string]any)["protocol"] != "HTTP" {
		t.Errorf("ports = %v", ports)
	}
	probe := got["healthchecks"].(map[string]any)["liveness_probe"].(map[string]any)
	if probe["failure_threshold"] != float64(9) || probe["period_seconds"] != float64(10) || probe["initial_delay_seconds"] != float64(30) {
		t.Errorf("liveness probe = %v", probe)
	}
	// The storage, echoed as sent.
	wantStorage := []any{map[string]any{"id": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "type": "FAST_SSD", "size": float64(16), "mount_point": "/mnt/images"}}
	if !reflect.DeepEqual(got["storage"], wantStorage) {
		t.Errorf("storage = %v, want %v", got["storage"], wantStorage)
	}
	// A read shows the filesystem as the storage: its id derived, its size not kept.
	res = callAs(t, tok, http.MethodGet, "/container/"+dialect.WorkloadID(org, "web-api", "staging"), nil)
	mustStatus(t, res, http.StatusOK)
	st, _ := res.json(t)["storage"].([]any)
	if len(st) != 1 || st[0].(map[string]any)["type"] != "FAST_SSD" || st[0].(map[string]any)["mount_point"] != "/mnt/images" ||
		st[0].(map[string]any)["size"] != float64(0) || st[0].(map[string]any)["id"] == "" {
		t.Errorf("storage read = %v", st)
	}

	// Berth's own view: the application has its shared filesystem at the mount point.
	res = call(t, http.MethodGet, orgPath(org)+"/applications/web-api", nil)
	mustStatus(t, res, http.StatusOK)
	if fs, _ := res.json(t)["filesystem"].(map[string]any); fs["mountPath"] != "/mnt/images" {
		t.Errorf("application filesystem = %v, want one mounted at /mnt/images", res.json(t)["filesystem"])
	}

	// The filesystem is made with the application, at one mount point: a
	// container of the same name in another environment, or an edit, may
	// not move it (409, naming the field and where it is).
	mustStatus(t, callAs(t, tok, http.MethodPost, "/project/"+pid+"/environment", map[string]any{"name": "qa"}), http.StatusCreated)
	moved := qoveryReference(t)
	moved["gpu"] = 0
	moved["storage"].([]any)[0].(map[string]any)["mount_point"] = "/mnt/other"
	for _, req := range []struct{ method, path string }{
		{http.MethodPost, "/environment/" + dialect.ScopeID(org, "qa") + "/container"},
		{http.MethodPut, "/container/" + dialect.WorkloadID(org, "web-api", "staging")},
	} {
		before := itemCount(t)
		res = callAs(t, tok, req.method, req.path, moved)
		qoveryError(t, res, http.StatusConflict)
		if msg, _ := res.json(t)["message"].(string); !strings.Contains(msg, "storage[0].mount_point") || !strings.Contains(msg, "/mnt/images") {
			t.Errorf("%s %s: message %q, want it to name storage[0].mount_point and /mnt/images", req.method, req.path, msg)
		}
		if itemCount(t) != before {
			t.Errorf("%s %s: a refused request made records", req.method, req.path)
		}
	}
	res = callAs(t, tok, http.MethodPost, "/environment/"+dialect.ScopeID(org, "qa")+"/container", body)
	mustStatus(t, res, http.StatusCreated)
	if !reflect.DeepEqual(res.json(t)["storage"], wantStorage) {
		t.Errorf("qa's storage = %v, want %v", res.json(t)["storage"], wantStorage)
	}

	// Berth's own view of the same container: the ECS settings.
	res = call(t, http.MethodGet, orgPath(org)+"/applications/web-api/environments/staging", nil)
	mustStatus(t, res, http.StatusOK)
	c := res.json(t)["composeDefinition"].(map[string]any)["containers"].([]any)[0].(map[string]any)
	hc := c["healthCheck"].(map[string]any)
	if c["cpu"] != float64(1280) || c["memory"] != float64(1024) || c["imageReference"].(map[string]any)["identifier"] != "nginx:1.27" ||
		hc["command"].([]any)[0] != "CMD-SHELL" || hc["retries"] != float64(9) || hc["startPeriod"] != float64(30) {
		t.Errorf("container = %v", c)
	}
}

// TestQoveryFlow is a client's whole flow: find the organization and
// project, create an environment, create containers, read and list them,
// deploy, stop, restart, redeploy, edit and delete, with both
// Authorization schemes; Berth's own API sees the same state.
func TestQoveryFlow(t *testing.T) {
	org := uniqueOrg(t)
	secret := tokenFor(t, org, auth.RoleWrite)
	tok, bearerTok := "Token "+secret, "Bearer "+secret

	res := callAs(t, tok, http.MethodGet, "/organization", nil)
	mustStatus(t, res, http.StatusOK)
	orgs := res.json(t)["results"].([]any)
	if len(orgs) != 1 || orgs[0].(map[string]any)["id"] != dialect.OrganisationID(org) || orgs[0].(map[string]any)["name"] != org {
		t.Fatalf("organizations = %s", res.Body)
	}
	res = callAs(t, bearerTok, http.MethodGet, "/organization/"+dialect.OrganisationID(org)+"/project", nil)
	mustStatus(t, res, http.StatusOK)
	projects := res.json(t)["results"].([]any)
	pid, _ := projects[0].(map[string]any)["id"].(string)
	if len(projects) != 1 || pid != dialect.ProjectID(org) {
		t.Fatalf("projects = %s", res.Body)
	}

	res = callAs(t, tok, http.MethodPost, "/project/"+pid+"/environment", map[string]any{"name": "qa", "mode": "STAGING", "cluster": "c"})
	mustStatus(t, res, http.StatusCreated)
	eid := res.json(t)["id"].(string)
	if eid != dialect.ScopeID(org, "qa") || res.json(t)["mode"] != "STAGING" {
		t.Fatalf("environment = %s", res.Body)
	}
	res = callAs(t, bearerTok, http.MethodGet, "/project/"+pid+"/environment", nil)
	mustStatus(t, res, http.StatusOK)
	if envs := res.json(t)["results"].([]any); len(envs) != 1 || envs[0].(map[string]any)["id"] != eid {
		t.Fatalf("environments = %s", res.Body)
	}

	create := func(name string) string {
		res := callAs(t, tok, http.MethodPost, "/environment/"+eid+"/container", map[string]any{
			"name": name, "registry_id": "r-1", "image_name": "nginx", "tag": "1.27", "ports": []any{map[string]any{"internal_port": 80, "is_default": true}},
			"healthchecks": map[string]any{"liveness_probe": map[string]any{"type": map[string]any{"http": map[string]any{"port": 80, "path": "/healthz"}}}},
		})
		mustStatus(t, res, http.StatusCreated)
		settle(t, org, dialect.ApplicationName(name), "qa")
		return res.json(t)["id"].(string)
	}
	cid := create("web")
	create("worker")

	res = callAs(t, tok, http.MethodGet, "/environment/"+eid+"/container", nil)
	mustStatus(t, res, http.StatusOK)
	var names []string
	for _, c := range res.json(t)["results"].([]any) {
		names = append(names, c.(map[string]any)["name"].(string))
	}
	if !slices.Equal(names, []string{"web", "worker"}) {
		t.Fatalf("containers = %v", names)
	}

	state := func(want, quant string) {
		t.Helper()
		res := callAs(t, bearerTok, http.MethodGet, "/container/"+cid+"/status", nil)
		mustStatus(t, res, http.StatusOK)
		if got := res.json(t)["state"]; got != want {
			t.Fatalf("state = %v, want %s: %s", got, want, res.Body)
		}
		res = call(t, http.MethodGet, orgPath(org)+"/applications/web/environments/qa", nil)
		mustStatus(t, res, http.StatusOK)
		if got := res.json(t)["status"]; got != quant {
			t.Fatalf("Quant status = %v, want %s", got, quant)
		}
	}
	// Created, not deployed.
	state("STOPPED", "STOPPED")
	act := func(verb, want string) {
		t.Helper()
		res := callAs(t, tok, http.MethodPost, "/container/"+cid+"/"+verb, nil)
		mustStatus(t, res, http.StatusAccepted)
		if got := res.json(t)["state"]; got != want {
			t.Fatalf("%s: state = %v, want %s", verb, got, want)
		}
	}
	act("deploy", "DEPLOYING")
	settle(t, org, "web", "qa")
	state("DEPLOYED", "ACTIVE")
	act("stop", "STOPPING")
	settle(t, org, "web", "qa")
	state("STOPPED", "STOPPED")
	act("restart", "DEPLOYING") // a stopped container starts
	settle(t, org, "web", "qa")
	state("DEPLOYED", "ACTIVE")
	act("redeploy", "DEPLOYING")
	// One deployment at a time: Qovery's error shape says so.
	qoveryError(t, callAs(t, tok, http.MethodPost, "/container/"+cid+"/deploy", nil), http.StatusConflict)
	settle(t, org, "web", "qa")
	act("deploy", "DEPLOYING") // a running container redeploys
	settle(t, org, "web", "qa")

	// A full edit deploys as one release.
	res = callAs(t, tok, http.MethodPut, "/container/"+cid, map[string]any{
		"name": "web", "registry_id": "r-1", "image_name": "nginx", "tag": "1.28", "cpu": 1000, "memory": 2048,
		"max_running_instances": -1, "arguments": []string{"nginx", "-g", "daemon off;"},
	})
	mustStatus(t, res, http.StatusOK)
	settle(t, org, "web", "qa")
	res = callAs(t, tok, http.MethodGet, "/container/"+cid, nil)
	mustStatus(t, res, http.StatusOK)
	got := res.json(t)
	if got["tag"] != "1.28" || got["cpu"] != float64(1000) || got["memory"] != float64(2048) || got["max_running_instances"] != float64(100) ||
		len(got["ports"].([]any)) != 0 || got["healthchecks"].(map[string]any)["liveness_probe"] != nil {
		t.Fatalf("edited container = %s", res.Body)
	}
	res = call(t, http.MethodGet, orgPath(org)+"/applications/web/environments/qa", nil)
	c := res.json(t)["composeDefinition"].(map[string]any)["containers"].([]any)[0].(map[string]any)
	if c["imageReference"].(map[string]any)["identifier"] != "nginx:1.28" || c["cpu"] != float64(1024) {
		t.Fatalf("Quant's container = %v", c)
	}
	errs := qoveryError(t, callAs(t, tok, http.MethodPut, "/container/"+cid, map[string]any{"name": "other", "registry_id": "r", "image_name": "nginx", "tag": "1"}), http.StatusBadRequest)
	if !strings.Contains(errs["name"], "cannot change") {
		t.Fatalf("errors = %v", errs)
	}

	// Delete: the application goes (qa is its first and only environment).
	mustStatus(t, callAs(t, tok, http.MethodDelete, "/container/"+cid, nil), http.StatusNoContent)
	qoveryError(t, callAs(t, tok, http.MethodGet, "/container/"+cid, nil), http.StatusNotFound)
	res = call(t, http.MethodGet, orgPath(org)+"/applications/web", nil)
	mustStatus(t, res, http.StatusOK)
	if res.json(t)["status"] != string(apps.StatusDeleting) {
		t.Fatalf("Quant's application = %s", res.Body)
	}
}

// TestQoveryRefusals: bad input gets Qovery's error shape naming the
// field or path parameter; another organisation's ids are 404s; no token is 401.
func TestQoveryRefusals(t *testing.T) {
	org, other := uniqueOrg(t), uniqueOrg(t)+"-other"
	tok := "Token " + tokenFor(t, org, auth.RoleWrite)
	otherTok := "Bearer " + tokenFor(t, other, auth.RoleAdmin)
	mustStatus(t, callAs(t, tok, http.MethodPost, "/project/"+dialect.ProjectID(org)+"/environment", map[string]any{"name": "qa"}), http.StatusCreated)
	eid := dialect.ScopeID(org, "qa")
	res := callAs(t, tok, http.MethodPost, "/environment/"+eid+"/container", map[string]any{"name": "web", "registry_id": "r", "image_name": "nginx", "tag": "1"})
	mustStatus(t, res, http.StatusCreated)
	cid := res.json(t)["id"].(string)
	settle(t, org, "web", "qa")

	for _, c := range []struct {
		method, path string
		body         any
		field        string
	}{
		{http.MethodGet, "/container/web", nil, "containerId"},
		{http.MethodPost, "/container/web/deploy", nil, "containerId"},
		{http.MethodGet, "/environment/qa/container", nil, "environmentId"},
		{http.MethodGet, "/organization/" + org + "/project", nil, "organizationId"},
		{http.MethodPost, "/project/default/environment", map[string]any{"name": "x"}, "projectId"},
		{http.MethodPost, "/project/" + dialect.ProjectID(org) + "/environment", map[string]any{"name": "Not A Name"}, "name"},
		{http.MethodPost, "/environment/" + eid + "/container", map[string]any{"name": "w", "registry_id": "r", "image_name": "nginx", "tag": "1", "gpu": 2}, "gpu"},
		{http.MethodPost, "/environment/" + eid + "/container", map[string]any{"name": "w", "registry_id": "r", "image_name": "nginx"}, "tag"},
		{http.MethodPost, "/environment/" + eid + "/container", map[string]any{"name": "w", "registry_id": "r", "image_name": "nginx", "tag": "1",
			"healthchecks": map[string]any{"liveness_probe": map[string]any{"type": map[string]any{"exec": map[string]any{"command": []string{"true"}}}, "period_seconds": 1}}},
			"healthchecks.liveness_probe.period_seconds"},
		{http.MethodPost, "/environment/" + eid + "/container", map[string]any{"name": "web", "registry_id": "r", "image_name": "nginx", "tag": "1", "cpu": "lots"}, "cpu"},
		{http.MethodPost, "/environment/" + eid + "/container", map[string]any{"name": "bad.name", "registry_id": "r", "image_name": "nginx", "tag": "1"}, "name"},
	} {
		errs := qoveryError(t, callAs(t, tok, c.method, c.path, c.body), http.StatusBadRequest)
		if _, ok := errs[c.field]; !ok || len(errs) != 1 {
			t.Errorf("%s %s: errors = %v, want %s alone", c.method, c.path, errs, c.field)
		}
	}
	// The same name again is a conflict.
	qoveryError(t, callAs(t, tok, http.MethodPost, "/environment/"+eid+"/container", map[string]any{"name": "web", "registry_id": "r", "image_name": "nginx", "tag": "1"}), http.StatusConflict)

	for _, c := range []struct{ method, path string }{
		{http.MethodGet, "/container/" + cid}, {http.MethodGet, "/container/" + cid + "/status"}, {http.MethodPost, "/container/" + cid + "/deploy"},
		{http.MethodDelete, "/container/" + cid}, {http.MethodGet, "/environment/" + eid + "/container"},
		{http.MethodGet, "/organization/" + dialect.OrganisationID(org) + "/project"}, {http.MethodGet, "/project/" + dialect.ProjectID(org) + "/environment"},
	} {
		// Only its audit event is written, in the token's own organisation.
		before := itemCount(t)
		qoveryError(t, callAs(t, otherTok, c.method, c.path, nil), http.StatusNotFound)
		if itemCount(t) != before {
			t.Fatalf("%s %s by another organisation changed the table", c.method, c.path)
		}
	}
	res = callAs(t, tok, http.MethodGet, "/container/"+cid+"/status", nil)
	if mustStatus(t, res, http.StatusOK); res.json(t)["state"] != "STOPPED" {
		t.Fatalf("another organisation's deploy started it: %s", res.Body)
	}
	qoveryError(t, callAs(t, "", http.MethodGet, "/organization", nil), http.StatusUnauthorized)
	qoveryError(t, callAs(t, tok, http.MethodPatch, "/container/"+cid, nil), http.StatusMethodNotAllowed)
	readTok := "Token " + tokenFor(t, org, auth.RoleRead)
	qoveryError(t, callAs(t, readTok, http.MethodPost, "/container/"+cid+"/deploy", nil), http.StatusForbidden)
}
