package api_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/berth-dev/berth/shared/apps"
)

// TestSeedApplicationRoundTrip creates the seed application and reads it
// back with every default filled in.
func TestSeedApplicationRoundTrip(t *testing.T) {
	org := uniqueOrg(t)
	res := call(t, http.MethodPost, orgPath(org)+"/applications", seed(t, "create-application.json"))
	mustStatus(t, res, http.StatusCreated)
	if loc := res.Header.Get("Location"); loc != orgPath(org)+"/applications/my-app" {
		t.Fatalf("Location %q", loc)
	}
	created := res.json(t)
	if created["status"] != "CREATING" {
		t.Fatalf("status %v, want CREATING", created["status"])
	}

	got := call(t, http.MethodGet, orgPath(org)+"/applications/my-app", nil)
	mustStatus(t, got, http.StatusOK)
	app := got.json(t)
	if !reflect.DeepEqual(app, created) {
		t.Fatalf("GET differs from the 201 body:\n%s\n%s", got.Body, res.Body)
	}
	web := obj(compose(app)["containers"].([]any)[0])
	hc := obj(web["healthCheck"])
	want := map[string]any{"interval": 30.0, "timeout": 5.0, "retries": 3.0}
	for k, v := range want {
		if hc[k] != v {
			t.Errorf("healthCheck.%s = %v, want %v", k, hc[k], v)
		}
	}
	cache := obj(compose(app)["containers"].([]any)[1])
	if cache["essential"] != true {
		t.Errorf("essential defaults to %v, want true", cache["essential"])
	}
	if dep := obj(web["dependsOn"].([]any)[0]); dep["condition"] != "START" {
		t.Errorf("dependsOn condition %v", dep["condition"])
	}
	if c := compose(app); c["taskCpu"] != 256.0 || c["taskMemory"] != 1024.0 {
		t.Errorf("task size %v/%v, want the smallest Fargate size that holds 768 MiB: 256/1024", c["taskCpu"], c["taskMemory"])
	}
	envs := app["environments"].([]any)
	if len(envs) != 1 || obj(envs[0])["envName"] != "production" || obj(envs[0])["maxCapacity"] != 2.0 {
		t.Fatalf("environments %v", envs)
	}
	if app["deploymentInformation"] == nil {
		t.Error("deploymentInformation missing")
	}
	started := stack.Workflows.Started()
	last := started[len(started)-1]
	if last.Workflow != apps.ProvisionApplication || last.Input.Organisation != org || last.Input.Application != "my-app" {
		t.Fatalf("last started execution %+v", last)
	}
}

func TestDefaultsOfAMinimalApplication(t *testing.T) {
	org := uniqueOrg(t)
	body := map[string]any{
		"appName": "tiny",
		"composeDefinition": map[string]any{"containers": []any{map[string]any{
			"name": "web", "imageReference": map[string]any{"type": "external", "identifier": "nginx"},
			"healthCheck": map[string]any{"command": []any{"CMD", "true"}},
		}}},
		"database":   map[string]any{},
		"filesystem": map[string]any{},
	}
	mustStatus(t, call(t, http.MethodPost, orgPath(org)+"/applications", body), http.StatusCreated)
	app := call(t, http.MethodGet, orgPath(org)+"/applications/tiny", nil).json(t)
	db, fs := obj(app["database"]), obj(app["filesystem"])
	if db["engine"] != "mysql" || db["instanceClass"] != "db.t4g.micro" || db["storageGb"] != 20.0 || db["multiAz"] != false {
		t.Errorf("database defaults %v", db)
	}
	if fs["required"] != true || fs["mountPath"] != "/mnt/data" {
		t.Errorf("filesystem defaults %v", fs)
	}
	if app["minCapacity"] != 1.0 || app["maxCapacity"] != 1.0 {
		t.Errorf("capacity %v..%v, want 1..1", app["minCapacity"], app["maxCapacity"])
	}
	c := compose(app)
	if c["architecture"] != "X86_64" || c["taskCpu"] != 256.0 || c["taskMemory"] != 512.0 {
		t.Errorf("compose defaults %v", c)
	}
	web := obj(c["containers"].([]any)[0])
	if web["essential"] != true || obj(web["healthCheck"])["interval"] != 30.0 {
		t.Errorf("container defaults %v", web)
	}
}

func TestApplicationNameTaken(t *testing.T) {
	org := uniqueOrg(t)
	mustStatus(t, call(t, http.MethodPost, orgPath(org)+"/applications", seed(t, "create-application.json")), http.StatusCreated)
	before := itemCount(t)
	res := call(t, http.MethodPost, orgPath(org)+"/applications", seed(t, "create-application.json"))
	mustStatus(t, res, http.StatusConflict)
	if itemCount(t) != before {
		t.Fatal("a refused create changed the table")
	}
	// The same name in another organisation is another application.
	mustStatus(t, call(t, http.MethodPost, orgPath(org+"-other")+"/applications", seed(t, "create-application.json")), http.StatusCreated)
}

// TestConcurrentCreatesHaveOneWinner races 20 creates of one name.
func TestConcurrentCreatesHaveOneWinner(t *testing.T) {
	org := uniqueOrg(t)
	const n = 20
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			statuses[i] = call(t, http.MethodPost, orgPath(org)+"/applications", seed(t, "create-application.json")).Status
		})
	}
	wg.Wait()
	created, conflicts := 0, 0
	for _, s := range statuses {
		switch s {
		case http.StatusCreated:
			created++
		case http.StatusConflict:
			conflicts++
		}
	}
	if created != 1 || conflicts != n-1 {
		t.Fatalf("statuses %v: want one 201 and %d 409", statuses, n-1)
	}
	envs := call(t, http.MethodGet, orgPath(org)+"/applications/my-app/environments", nil).array(t)
	if len(envs) != 1 {
		t.Fatalf("%d environments, want 1", len(envs))
	}
}

func TestCreateEnvironmentClonesAndSuffixes(t *testing.T) {
	org := uniqueOrg(t)
	mustStatus(t, call(t, http.MethodPost, orgPath(org)+"/applications", seed(t, "create-application.json")), http.StatusCreated)
	res := call(t, http.MethodPost, orgPath(org)+"/applications/my-app/environments", seed(t, "create-environment.json"))
	mustStatus(t, res, http.StatusCreated)
	if loc := res.Header.Get("Location"); loc != orgPath(org)+"/applications/my-app/environments/pr-456" {
		t.Fatalf("Location %q", loc)
	}
	env := call(t, http.MethodGet, orgPath(org)+"/applications/my-app/environments/pr-456", nil)
	mustStatus(t, env, http.StatusOK)
	e := env.json(t)
	cs := compose(e)["containers"].([]any)
	if id := obj(obj(cs[0])["imageReference"])["identifier"]; id != "web-pr-456" {
		t.Errorf("internal image tag %v, want web-pr-456", id)
	}
	if id := obj(obj(cs[1])["imageReference"])["identifier"]; id != "redis:7" {
		t.Errorf("external image %v, want it unchanged", id)
	}
	if e["cloneConfigurationFrom"] != "production" || e["imageSuffix"] != "pr-456" || e["status"] != "CREATING" {
		t.Errorf("environment %s", env.Body)
	}
	// The request's capacity overrides the source's (1..2).
	if e["maxCapacity"] != 1.0 {
		t.Errorf("maxCapacity %v, want the request's 1", e["maxCapacity"])
	}
	// The source is untouched.
	prod := call(t, http.MethodGet, orgPath(org)+"/applications/my-app/environments/production", nil).json(t)
	if id := obj(obj(compose(prod)["containers"].([]any)[0])["imageReference"])["identifier"]; id != "latest" {
		t.Errorf("production tag changed to %v", id)
	}
	app := call(t, http.MethodGet, orgPath(org)+"/applications/my-app", nil).json(t)
	if n := len(app["environments"].([]any)); n != 2 {
		t.Errorf("application lists %d environments, want 2", n)
	}
}

func TestCreateEnvironmentOverridesClonedFields(t *testing.T) {
	org := uniqueOrg(t)
	mustStatus(t, call(t, http.MethodPost, orgPath(org)+"/applications", seed(t, "create-application.json")), http.StatusCreated)
	body := map[string]any{
		"envName": "staging", "cloneConfigurationFrom": "production",
		"composeDefinition": map[string]any{"taskCpu": 512, "taskMemory": 2048},
	}
	mustStatus(t, call(t, http.MethodPost, orgPath(org)+"/applications/my-app/environments", body), http.StatusCreated)
	e := call(t, http.MethodGet, orgPath(org)+"/applications/my-app/environments/staging", nil).json(t)
	c := compose(e)
	if c["taskCpu"] != 512.0 || c["taskMemory"] != 2048.0 || c["architecture"] != "ARM64" || len(c["containers"].([]any)) != 2 {
		t.Fatalf("compose %v: want the overrides on top of the clone", c)
	}
	if e["minCapacity"] != 1.0 || e["maxCapacity"] != 2.0 {
		t.Fatalf("capacity %v..%v, want production's 1..2", e["minCapacity"], e["maxCapacity"])
	}
	// A fresh environment from its own compose definition.
	fresh := map[string]any{"envName": "qa", "composeDefinition": map[string]any{"containers": []any{map[string]any{
		"name": "api", "imageReference": map[string]any{"type": "external", "identifier": "ghcr.io/acme/api:1"},
	}}}}
	mustStatus(t, call(t, http.MethodPost, orgPath(org)+"/applications/my-app/environments", fresh), http.StatusCreated)
}

func TestCreateEnvironmentMissingAndTaken(t *testing.T) {
	org := uniqueOrg(t)
	mustStatus(t, call(t, http.MethodPost, orgPath(org)+"/applications", seed(t, "create-application.json")), http.StatusCreated)
	cases := []struct {
		name   string
		app    string
		change func(map[string]any)
		status int
	}{
		{"application missing", "nope", func(map[string]any) {}, http.StatusNotFound},
		{"source environment missing", "my-app", func(b map[string]any) { b["cloneConfigurationFrom"] = "staging" }, http.StatusNotFound},
		{"name taken", "my-app", func(b map[string]any) { b["envName"] = "production" }, http.StatusConflict},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := seed(t, "create-environment.json")
			tc.change(body)
			before := itemCount(t)
			res := call(t, http.MethodPost, orgPath(org)+"/applications/"+tc.app+"/environments", body)
			mustStatus(t, res, tc.status)
			if res.json(t)["message"] == "" {
				t.Fatal("problem without a message")
			}
			if itemCount(t) != before {
				t.Fatal("a refused create changed the table")
			}
		})
	}
}

func TestDeleteApplicationIsIdempotent(t *testing.T) {
	org := uniqueOrg(t)
	mustStatus(t, call(t, http.MethodPost, orgPath(org)+"/applications", seed(t, "create-application.json")), http.StatusCreated)
	first := call(t, http.MethodDelete, orgPath(org)+"/applications/my-app", nil)
	mustStatus(t, first, http.StatusAccepted)
	if first.json(t)["status"] != "DELETING" {
		t.Fatalf("status %v", first.json(t)["status"])
	}
	second := call(t, http.MethodDelete, orgPath(org)+"/applications/my-app", nil)
	mustStatus(t, second, http.StatusAccepted)
	if first.json(t)["updatedAt"] != second.json(t)["updatedAt"] {
		t.Fatal("the second DELETE changed the record")
	}
	teardowns := 0
	for _, s := range stack.Workflows.Started() {
		if s.Workflow == apps.TeardownApplication && s.Input.Organisation == org {
			teardowns++
		}
	}
	if teardowns != 1 {
		t.Fatalf("%d teardown executions, want 1 (same name both times)", teardowns)
	}
	got := call(t, http.MethodGet, orgPath(org)+"/applications/my-app", nil).json(t)
	if got["status"] != "DELETING" {
		t.Fatalf("GET status %v", got["status"])
	}
	// No new environment while the application is being deleted.
	mustStatus(t, call(t, http.MethodPost, orgPath(org)+"/applications/my-app/environments", seed(t, "create-environment.json")), http.StatusConflict)
	mustStatus(t, call(t, http.MethodDelete, orgPath(org)+"/applications/absent", nil), http.StatusNotFound)
}

func TestDeleteEnvironment(t *testing.T) {
	org := uniqueOrg(t)
	mustStatus(t, call(t, http.MethodPost, orgPath(org)+"/applications", seed(t, "create-application.json")), http.StatusCreated)
	mustStatus(t, call(t, http.MethodPost, orgPath(org)+"/applications/my-app/environments", seed(t, "create-environment.json")), http.StatusCreated)

	before := itemCount(t)
	res := call(t, http.MethodDelete, orgPath(org)+"/applications/my-app/environments/production", nil)
	mustStatus(t, res, http.StatusConflict)
	prod := call(t, http.MethodGet, orgPath(org)+"/applications/my-app/environments/production", nil).json(t)
	if prod["status"] != "CREATING" || itemCount(t) != before {
		t.Fatal("refusing to delete production changed it")
	}

	for range 2 {
		res := call(t, http.MethodDelete, orgPath(org)+"/applications/my-app/environments/pr-456", nil)
		mustStatus(t, res, http.StatusAccepted)
		if res.json(t)["status"] != "DELETING" {
			t.Fatalf("status %v", res.json(t)["status"])
		}
	}
	mustStatus(t, call(t, http.MethodDelete, orgPath(org)+"/applications/my-app/environments/absent", nil), http.StatusNotFound)
}

func TestGetMissing(t *testing.T) {
	org := uniqueOrg(t)
	for _, p := range []string{"/applications/absent", "/applications/absent/environments", "/applications/absent/environments/production"} {
		res := call(t, http.MethodGet, orgPath(org)+p, nil)
		mustStatus(t, res, http.StatusNotFound)
	}
}

func TestListApplicationsPages(t *testing.T) {
	org := uniqueOrg(t)
	var want []string
	for i := range 7 {
		body := seed(t, "create-application.json")
		name := fmt.Sprintf("app-%02d", i)
		body["appName"] = name
		want = append(want, name)
		mustStatus(t, call(t, http.MethodPost, orgPath(org)+"/applications", body), http.StatusCreated)
	}
	mustStatus(t, call(t, http.MethodPost, orgPath(org+"-other")+"/applications", seed(t, "create-application.json")), http.StatusCreated)

	// Pages follow the Link rel="next" header; the body is a bare array.
	var got []string
	var token string
	pages, path := 0, orgPath(org)+"/applications?limit=3"
	for path != "" {
		res := call(t, http.MethodGet, path, nil)
		mustStatus(t, res, http.StatusOK)
		pages++
		for _, a := range res.array(t) {
			got = append(got, obj(a)["appName"].(string))
		}
		if path = res.next(t); path != "" {
			u, err := url.Parse(path)
			if err != nil || u.Path != orgPath(org)+"/applications" || u.Query().Get("limit") != "3" {
				t.Fatalf("next link %q does not keep the path and limit", path)
			}
			token = u.Query().Get("nextToken")
		}
	}
	if !slices.Equal(got, want) || pages != 3 {
		t.Fatalf("pages %d with %v, want 3 pages with %v", pages, got, want)
	}
	all := call(t, http.MethodGet, orgPath(org)+"/applications", nil)
	if n := len(all.array(t)); n != 7 || all.next(t) != "" {
		t.Fatalf("default page has %d applications and next %q", n, all.next(t))
	}
	// A token of one list is refused by another.
	res := call(t, http.MethodGet, orgPath(org)+"/applications/app-00/environments?nextToken="+token, nil)
	mustStatus(t, res, http.StatusBadRequest)
}

func TestListEnvironmentsPages(t *testing.T) {
	org := uniqueOrg(t)
	mustStatus(t, call(t, http.MethodPost, orgPath(org)+"/applications", seed(t, "create-application.json")), http.StatusCreated)
	for _, name := range []string{"a-env", "b-env", "c-env"} {
		body := seed(t, "create-environment.json")
		body["envName"] = name
		mustStatus(t, call(t, http.MethodPost, orgPath(org)+"/applications/my-app/environments", body), http.StatusCreated)
	}
	var got []string
	for path := orgPath(org) + "/applications/my-app/environments?limit=2"; path != ""; {
		res := call(t, http.MethodGet, path, nil)
		for _, e := range res.array(t) {
			got = append(got, obj(e)["envName"].(string))
		}
		path = res.next(t)
	}
	if want := []string{"a-env", "b-env", "c-env", "production"}; !slices.Equal(got, want) {
		t.Fatalf("environments %v, want %v", got, want)
	}
}

// TestReadEndpointsMakeOneDynamoDBCall counts SDK calls per read endpoint.
func TestReadEndpointsMakeOneDynamoDBCall(t *testing.T) {
	org := uniqueOrg(t)
	mustStatus(t, call(t, http.MethodPost, orgPath(org)+"/applications", seed(t, "create-application.json")), http.StatusCreated)
	mustStatus(t, call(t, http.MethodPost, orgPath(org)+"/applications/my-app/environments", seed(t, "create-environment.json")), http.StatusCreated)
	reads := map[string]string{
		"get-application":   orgPath(org) + "/applications/my-app",
		"list-applications": orgPath(org) + "/applications",
		"get-environment":   orgPath(org) + "/applications/my-app/environments/pr-456",
		"list-environments": orgPath(org) + "/applications/my-app/environments",
		"list-tokens":       orgPath(org) + "/tokens",
		"list-audit-events": orgPath(org) + "/audit-events",
	}
	for name, path := range reads {
		t.Run(name, func(t *testing.T) {
			calls.reset()
			mustStatus(t, call(t, http.MethodGet, path, nil), http.StatusOK)
			if ops := calls.list(); len(ops) != 1 {
				t.Fatalf("%d DynamoDB calls %v, want 1", len(ops), ops)
			}
		})
	}
	calls.reset()
	mustStatus(t, call(t, http.MethodPost, orgPath(org)+"/applications", map[string]any{
		"appName": "other", "composeDefinition": map[string]any{"containers": []any{map[string]any{
			"name": "web", "imageReference": map[string]any{"type": "external", "identifier": "nginx"}}}},
	}), http.StatusCreated)
	// One conditional write for the records, with the audit event in it.
	if ops := calls.list(); !slices.Equal(ops, []string{"TransactWriteItems"}) {
		t.Fatalf("create application made %v, want one TransactWriteItems", ops)
	}
	if got := auditOutcomes(t, org); !slices.Equal(got, []string{"create-application 201", "create-environment 201", "create-application 201"}) {
		t.Fatalf("audit events %v", got)
	}
}

// auditOutcomes lists an organisation's audit events, newest first, as
// "action outcome".
func auditOutcomes(t *testing.T, org string) []string {
	t.Helper()
	res := call(t, http.MethodGet, orgPath(org)+"/audit-events?limit=100", nil)
	mustStatus(t, res, http.StatusOK)
	var got []string
	for _, e := range res.json(t)["auditEvents"].([]any) {
		got = append(got, fmt.Sprintf("%s %v", obj(e)["action"], obj(e)["outcome"]))
	}
	return got
}

// TestFailedWorkflowStartLeavesNothing makes the workflow starter fail and
// checks that the records written before it are removed again.
func TestFailedWorkflowStartLeavesNothing(t *testing.T) {
	org := uniqueOrg(t)
	mustStatus(t, call(t, http.MethodPost, orgPath(org)+"/applications", seed(t, "create-application.json")), http.StatusCreated)
	stack.Workflows.Fail = errors.New("step functions is down")
	defer func() { stack.Workflows.Fail = nil }()

	before := itemCount(t)
	body := seed(t, "create-application.json")
	body["appName"] = "second"
	res := call(t, http.MethodPost, orgPath(org)+"/applications", body)
	mustStatus(t, res, http.StatusServiceUnavailable)
	if res.Header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	res = call(t, http.MethodPost, orgPath(org)+"/applications/my-app/environments", seed(t, "create-environment.json"))
	mustStatus(t, res, http.StatusServiceUnavailable)
	if after := itemCount(t); after != before {
		t.Fatalf("table went from %d to %d items after failed starts", before, after)
	}
	// The message of a 5xx carries no internals.
	if msg := res.json(t)["message"].(string); strings.Contains(msg, "step functions") {
		t.Fatalf("message leaks the cause: %q", msg)
	}

	// The events written with the records were rewritten with the outcome.
	if got := auditOutcomes(t, org); !slices.Equal(got, []string{"create-environment 503", "create-application 503", "create-application 201"}) {
		t.Fatalf("audit events %v", got)
	}

	stack.Workflows.Fail = nil
	mustStatus(t, call(t, http.MethodPost, orgPath(org)+"/applications", body), http.StatusCreated)
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	res := call(t, http.MethodPut, "/api/v3/organizations/acme/applications/my-app", "{}")
	mustStatus(t, res, http.StatusMethodNotAllowed)
	if allow := res.Header.Get("Allow"); allow != "GET, DELETE" {
		t.Fatalf("Allow %q", allow)
	}
	for _, p := range []string{"/api/v3/nowhere", "/api/v3/organizations/acme//applications", "/api/v3/organizations/acme/applications/x/../../applications",
		"/api/v3/organizations/acme/./applications", "//api/v3/organizations/acme/applications", "/api/v3/organizations/acme/applications/my-app/.."} {
		res = call(t, http.MethodGet, p, nil)
		mustStatus(t, res, http.StatusNotFound)
		if res.Header.Get("Content-Type") != "application/problem+json" || res.Header.Get("Location") != "" {
			t.Fatalf("%s: 404 is not a problem document, or redirects to %q", p, res.Header.Get("Location"))
		}
	}
}

// TestQuantFieldsAreKeptAndShown: every request field of Quant's document
// that Berth does not act on yet is stored and shown back as sent, and the
// ones with a default show it.
func TestQuantFieldsAreKeptAndShown(t *testing.T) {
	org := uniqueOrg(t)
	body := seed(t, "create-application.json")
	body["environment"] = []any{map[string]any{"name": "LOG_LEVEL", "value": "debug"}, map[string]any{"name": "EMPTY"}}
	compose(body)["enableCrossAppNetworking"] = true
	compose(body)["spotConfiguration"] = map[string]any{"strategy": "off"}
	container(body, 0)["originProtectionConfig"] = map[string]any{"ipAllow": []any{"203.0.113.0/24", "2001:db8::1"}, "redirectHost": "www.example.com"}
	res := call(t, http.MethodPost, orgPath(org)+"/applications", body)
	mustStatus(t, res, http.StatusCreated)
	app := call(t, http.MethodGet, orgPath(org)+"/applications/my-app", nil).json(t)
	c := compose(app)
	if c["enableCrossAppNetworking"] != true || c["enableCrossEnvNetworking"] != false || obj(c["spotConfiguration"])["strategy"] != "off" {
		t.Errorf("compose tiers %v %v %v", c["enableCrossAppNetworking"], c["enableCrossEnvNetworking"], c["spotConfiguration"])
	}
	web := obj(c["containers"].([]any)[0])
	opc := obj(web["originProtectionConfig"])
	if web["originProtection"] != true || opc["enabled"] != true || opc["redirectHost"] != "www.example.com" || len(opc["ipAllow"].([]any)) != 2 {
		t.Errorf("origin protection %v %v", web["originProtection"], opc)
	}
	wantVars := []any{map[string]any{"name": "LOG_LEVEL", "value": "debug"}, map[string]any{"name": "EMPTY", "value": ""}}
	if !reflect.DeepEqual(app["environment"], wantVars) {
		t.Errorf("application environment %v, want %v", app["environment"], wantVars)
	}
	if names := app["containerNames"]; !reflect.DeepEqual(names, []any{"web", "cache"}) {
		t.Errorf("containerNames %v", names)
	}
	prod := call(t, http.MethodGet, orgPath(org)+"/applications/my-app/environments/production", nil).json(t)
	if !reflect.DeepEqual(prod["environment"], wantVars) {
		t.Errorf("production environment %v, want the application's", prod["environment"])
	}

	// A clone merges its environment[] into the source's, and takes a spot strategy.
	clone := map[string]any{"envName": "preview", "cloneConfigurationFrom": "production", "minCapacity": 2, "maxCapacity": 2,
		"spotConfiguration": map[string]any{"strategy": "mixed-safe"}, "mergeEnvironment": true,
		"environment": []any{map[string]any{"name": "LOG_LEVEL", "value": "info"}, map[string]any{"name": "PREVIEW", "value": "1"}}}
	mustStatus(t, call(t, http.MethodPost, orgPath(org)+"/applications/my-app/environments", clone), http.StatusCreated)
	env := call(t, http.MethodGet, orgPath(org)+"/applications/my-app/environments/preview", nil).json(t)
	merged := []any{map[string]any{"name": "LOG_LEVEL", "value": "info"}, map[string]any{"name": "EMPTY", "value": ""}, map[string]any{"name": "PREVIEW", "value": "1"}}
	if !reflect.DeepEqual(env["environment"], merged) || env["mergeEnvironment"] != true || obj(compose(env)["spotConfiguration"])["strategy"] != "mixed-safe" {
		t.Errorf("preview environment %v merge %v spot %v", env["environment"], env["mergeEnvironment"], compose(env)["spotConfiguration"])
	}
	// Without merge, the sent variables replace the source's.
	clone = map[string]any{"envName": "replaced", "cloneConfigurationFrom": "production", "environment": []any{map[string]any{"name": "ONLY", "value": "x"}}}
	mustStatus(t, call(t, http.MethodPost, orgPath(org)+"/applications/my-app/environments", clone), http.StatusCreated)
	env = call(t, http.MethodGet, orgPath(org)+"/applications/my-app/environments/replaced", nil).json(t)
	if want := []any{map[string]any{"name": "ONLY", "value": "x"}}; !reflect.DeepEqual(env["environment"], want) {
		t.Errorf("replaced environment %v, want %v", env["environment"], want)
	}
}

// TestEnvironmentWithOnlyAName starts from production's compose definition
// (not its task counts), as Quant does; of a missing application, 404; of
// one being deleted, 409.
func TestEnvironmentWithOnlyAName(t *testing.T) {
	org := uniqueOrg(t)
	mustStatus(t, call(t, http.MethodPost, orgPath(org)+"/applications", seed(t, "create-application.json")), http.StatusCreated)
	res := call(t, http.MethodPost, orgPath(org)+"/applications/my-app/environments", map[string]any{"envName": "staging"})
	mustStatus(t, res, http.StatusCreated)
	env := res.json(t)
	prod := call(t, http.MethodGet, orgPath(org)+"/applications/my-app/environments/production", nil).json(t)
	if !reflect.DeepEqual(compose(env)["containers"], compose(prod)["containers"]) {
		t.Fatalf("staging containers %v, want production's %v", compose(env)["containers"], compose(prod)["containers"])
	}
	if env["minCapacity"] != 1.0 || env["maxCapacity"] != 1.0 {
		t.Errorf("capacity %v-%v, want the defaults 1-1, not production's", env["minCapacity"], env["maxCapacity"])
	}
	mustStatus(t, call(t, http.MethodPost, orgPath(org)+"/applications/nothing/environments", map[string]any{"envName": "staging"}), http.StatusNotFound)
	mustStatus(t, call(t, http.MethodDelete, orgPath(org)+"/applications/my-app", nil), http.StatusAccepted)
	mustStatus(t, call(t, http.MethodPost, orgPath(org)+"/applications/my-app/environments", map[string]any{"envName": "late"}), http.StatusConflict)
}

// TestEnvironmentLimit: an application holds at most 50 environments,
// production included, since its GET returns them all.
func TestEnvironmentLimit(t *testing.T) {
	org := uniqueOrg(t)
	mustStatus(t, call(t, http.MethodPost, orgPath(org)+"/applications", seed(t, "create-application.json")), http.StatusCreated)
	body := seed(t, "create-environment.json")
	for i := 1; i < apps.MaxEnvironments; i++ {
		body["envName"] = fmt.Sprintf("env-%02d", i)
		mustStatus(t, call(t, http.MethodPost, orgPath(org)+"/applications/my-app/environments", body), http.StatusCreated)
	}
	before := itemCount(t)
	body["envName"] = "one-too-many"
	res := call(t, http.MethodPost, orgPath(org)+"/applications/my-app/environments", body)
	mustStatus(t, res, http.StatusConflict)
	if itemCount(t) != before {
		t.Fatal("a refused environment was stored")
	}
}
