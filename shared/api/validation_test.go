package api_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
)

// seed returns the example body of the Quant create-application page, as
// docs/examples holds it, decoded afresh so a case can change it.
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

// Small accessors for cases that change a seed body.
func obj(v any) map[string]any                { return v.(map[string]any) }
func compose(b map[string]any) map[string]any { return obj(b["composeDefinition"]) }
func containers(b map[string]any) []any       { return compose(b)["containers"].([]any) }
func container(b map[string]any, i int) map[string]any {
	return obj(containers(b)[i])
}

type invalidCase struct {
	name   string
	change func(b map[string]any)
	field  string // the field path the problem must name
}

// applicationCases break each rule of the create-application body once.
var applicationCases = []invalidCase{
	{"appName missing", func(b map[string]any) { delete(b, "appName") }, "appName"},
	{"appName upper case", func(b map[string]any) { b["appName"] = "My-App" }, "appName"},
	{"appName too long", func(b map[string]any) { b["appName"] = strings.Repeat("a", 41) }, "appName"},
	{"appName leading hyphen", func(b map[string]any) { b["appName"] = "-app" }, "appName"},
	{"appName underscore", func(b map[string]any) { b["appName"] = "my_app" }, "appName"},
	{"appName reserved", func(b map[string]any) { b["appName"] = "ecr-login" }, "appName"},
	{"composeDefinition missing", func(b map[string]any) { delete(b, "composeDefinition") }, "composeDefinition"},
	{"no containers", func(b map[string]any) { compose(b)["containers"] = []any{} }, "composeDefinition.containers"},
	{"eleven containers", func(b map[string]any) {
		var cs []any
		for i := 0; i < 11; i++ {
			cs = append(cs, map[string]any{"name": "c" + strings.Repeat("x", i), "imageReference": map[string]any{"type": "external", "identifier": "nginx"}})
		}
		compose(b)["containers"] = cs
	}, "composeDefinition.containers"},
	{"container name regex", func(b map[string]any) { container(b, 1)["name"] = "ca che" }, "composeDefinition.containers[1].name"},
	{"container name missing", func(b map[string]any) { delete(container(b, 1), "name") }, "composeDefinition.containers[1].name"},
	{"container names not unique", func(b map[string]any) { container(b, 1)["name"] = "web" }, "composeDefinition.containers[1].name"},
	{"imageReference missing", func(b map[string]any) { delete(container(b, 1), "imageReference") }, "composeDefinition.containers[1].imageReference"},
	{"imageReference.type not an enum value", func(b map[string]any) { obj(container(b, 1)["imageReference"])["type"] = "ecr" }, "composeDefinition.containers[1].imageReference.type"},
	{"imageReference.type missing", func(b map[string]any) { delete(obj(container(b, 1)["imageReference"]), "type") }, "composeDefinition.containers[1].imageReference.type"},
	{"imageReference.identifier missing", func(b map[string]any) { delete(obj(container(b, 1)["imageReference"]), "identifier") }, "composeDefinition.containers[1].imageReference.identifier"},
	{"internal identifier not a tag", func(b map[string]any) { obj(container(b, 0)["imageReference"])["identifier"] = "nginx:latest" }, "composeDefinition.containers[0].imageReference.identifier"},
	{"external identifier with a space", func(b map[string]any) { obj(container(b, 1)["imageReference"])["identifier"] = "redis 7" }, "composeDefinition.containers[1].imageReference.identifier"},
	{"cpu negative", func(b map[string]any) { container(b, 0)["cpu"] = -1 }, "composeDefinition.containers[0].cpu"},
	{"memory below 6 MiB", func(b map[string]any) { container(b, 0)["memory"] = 4 }, "composeDefinition.containers[0].memory"},
	{"memoryReservation above memory", func(b map[string]any) { container(b, 0)["memoryReservation"] = 1024 }, "composeDefinition.containers[0].memoryReservation"},
	{"port zero", func(b map[string]any) { container(b, 0)["exposedPorts"] = []any{0} }, "composeDefinition.containers[0].exposedPorts[0]"},
	{"port above 65535", func(b map[string]any) { container(b, 0)["exposedPorts"] = []any{65536} }, "composeDefinition.containers[0].exposedPorts[0]"},
	{"port twice in the task", func(b map[string]any) { container(b, 1)["exposedPorts"] = []any{80} }, "composeDefinition.containers[1].exposedPorts[0]"},
	{"mount of an unknown volume", func(b map[string]any) {
		obj(container(b, 0)["mountPoints"].([]any)[0])["sourceVolume"] = "uploads"
	}, "composeDefinition.containers[0].mountPoints[0].sourceVolume"},
	{"mount without a filesystem", func(b map[string]any) { b["filesystem"] = map[string]any{"required": false} }, "composeDefinition.containers[0].mountPoints[0].sourceVolume"},
	{"mount without the filesystem object", func(b map[string]any) { delete(b, "filesystem") }, "composeDefinition.containers[0].mountPoints[0].sourceVolume"},
	{"mount path relative", func(b map[string]any) {
		obj(container(b, 0)["mountPoints"].([]any)[0])["containerPath"] = "uploads"
	}, "composeDefinition.containers[0].mountPoints[0].containerPath"},
	{"mount path where the filesystem goes", func(b map[string]any) {
		obj(container(b, 0)["mountPoints"].([]any)[0])["containerPath"] = "/data/shared"
	}, "composeDefinition.containers[0].mountPoints[0].containerPath"},
	{"environment name invalid", func(b map[string]any) { obj(container(b, 0)["environment"].([]any)[0])["name"] = "APP-ENV" }, "composeDefinition.containers[0].environment[0].name"},
	{"environment value missing", func(b map[string]any) { delete(obj(container(b, 0)["environment"].([]any)[0]), "value") }, "composeDefinition.containers[0].environment[0].value"},
	{"secret name repeats a variable", func(b map[string]any) { obj(container(b, 0)["secrets"].([]any)[0])["name"] = "APP_ENV" }, "composeDefinition.containers[0].secrets[0].name"},
	{"environment names repeat", func(b map[string]any) {
		container(b, 0)["environment"] = []any{map[string]any{"name": "A", "value": "1"}, map[string]any{"name": "A", "value": "2"}}
	}, "composeDefinition.containers[0].environment[1].name"},
	{"secret valueFrom missing", func(b map[string]any) { delete(obj(container(b, 0)["secrets"].([]any)[0]), "valueFrom") }, "composeDefinition.containers[0].secrets[0].valueFrom"},
	{"secret valueFrom invalid", func(b map[string]any) { obj(container(b, 0)["secrets"].([]any)[0])["valueFrom"] = "a key" }, "composeDefinition.containers[0].secrets[0].valueFrom"},
	{"healthCheck interval below 5", func(b map[string]any) { obj(container(b, 0)["healthCheck"])["interval"] = 4 }, "composeDefinition.containers[0].healthCheck.interval"},
	{"healthCheck interval above 300", func(b map[string]any) { obj(container(b, 0)["healthCheck"])["interval"] = 301 }, "composeDefinition.containers[0].healthCheck.interval"},
	{"healthCheck timeout below 2", func(b map[string]any) { obj(container(b, 0)["healthCheck"])["timeout"] = 1 }, "composeDefinition.containers[0].healthCheck.timeout"},
	{"healthCheck timeout above 60", func(b map[string]any) { obj(container(b, 0)["healthCheck"])["timeout"] = 61 }, "composeDefinition.containers[0].healthCheck.timeout"},
	{"healthCheck retries below 1", func(b map[string]any) { obj(container(b, 0)["healthCheck"])["retries"] = 0 }, "composeDefinition.containers[0].healthCheck.retries"},
	{"healthCheck retries above 10", func(b map[string]any) { obj(container(b, 0)["healthCheck"])["retries"] = 11 }, "composeDefinition.containers[0].healthCheck.retries"},
	{"healthCheck startPeriod above 300", func(b map[string]any) { obj(container(b, 0)["healthCheck"])["startPeriod"] = 301 }, "composeDefinition.containers[0].healthCheck.startPeriod"},
	{"healthCheck without command", func(b map[string]any) { delete(obj(container(b, 0)["healthCheck"]), "command") }, "composeDefinition.containers[0].healthCheck.command"},
	{"dependsOn an unknown container", func(b map[string]any) {
		obj(container(b, 0)["dependsOn"].([]any)[0])["containerName"] = "db"
	}, "composeDefinition.containers[0].dependsOn[0].containerName"},
	{"dependsOn itself", func(b map[string]any) {
		obj(container(b, 0)["dependsOn"].([]any)[0])["containerName"] = "web"
	}, "composeDefinition.containers[0].dependsOn[0].containerName"},
	{"dependsOn condition not an enum value", func(b map[string]any) {
		obj(container(b, 0)["dependsOn"].([]any)[0])["condition"] = "READY"
	}, "composeDefinition.containers[0].dependsOn[0].condition"},
	{"dependsOn HEALTHY without a health check", func(b map[string]any) {
		obj(container(b, 0)["dependsOn"].([]any)[0])["condition"] = "HEALTHY"
	}, "composeDefinition.containers[0].dependsOn[0].condition"},
	{"dependsOn COMPLETE on an essential container", func(b map[string]any) {
		obj(container(b, 0)["dependsOn"].([]any)[0])["condition"] = "COMPLETE"
	}, "composeDefinition.containers[0].dependsOn[0].condition"},
	{"dependsOn cycle", func(b map[string]any) {
		container(b, 1)["dependsOn"] = []any{map[string]any{"containerName": "web"}}
	}, "composeDefinition.containers"},
	{"no essential container", func(b map[string]any) {
		container(b, 0)["essential"] = false
		container(b, 1)["essential"] = false
	}, "composeDefinition.containers"},
	{"architecture not an enum value", func(b map[string]any) { compose(b)["architecture"] = "arm" }, "composeDefinition.architecture"},
	{"taskCpu not a Fargate size", func(b map[string]any) { compose(b)["taskCpu"] = 300 }, "composeDefinition.taskCpu"},
	{"taskCpu and taskMemory not a Fargate pair", func(b map[string]any) {
		compose(b)["taskCpu"] = 256
		compose(b)["taskMemory"] = 4096
	}, "composeDefinition.taskMemory"},
	{"containers' cpu above taskCpu", func(b map[string]any) {
		compose(b)["taskCpu"] = 256
		container(b, 1)["cpu"] = 128
	}, "composeDefinition.taskCpu"},
	{"containers' memory above taskMemory", func(b map[string]any) {
		compose(b)["taskMemory"] = 512
	}, "composeDefinition.taskMemory"},
	{"no Fargate size holds the containers", func(b map[string]any) { container(b, 0)["cpu"] = 16384; container(b, 1)["cpu"] = 16 }, "composeDefinition.taskCpu"},
	{"taskRoleArn not a role ARN", func(b map[string]any) { compose(b)["taskRoleArn"] = "arn:aws:s3:::bucket" }, "composeDefinition.taskRoleArn"},
	{"workingDirectory relative", func(b map[string]any) { container(b, 0)["workingDirectory"] = "app" }, "composeDefinition.containers[0].workingDirectory"},
	{"minCapacity above maxCapacity", func(b map[string]any) { b["minCapacity"] = 3 }, "minCapacity"},
	{"minCapacity negative", func(b map[string]any) { b["minCapacity"] = -1 }, "minCapacity"},
	{"maxCapacity zero", func(b map[string]any) { b["maxCapacity"] = 0 }, "maxCapacity"},
	{"maxCapacity above 100", func(b map[string]any) { b["maxCapacity"] = 101 }, "maxCapacity"},
	{"compose minCapacity above its maxCapacity", func(b map[string]any) {
		delete(b, "minCapacity")
		delete(b, "maxCapacity")
		compose(b)["minCapacity"] = 2
		compose(b)["maxCapacity"] = 1
	}, "composeDefinition.minCapacity"},
	{"database engine not an enum value", func(b map[string]any) { obj(b["database"])["engine"] = "oracle" }, "database.engine"},
	{"database instanceClass invalid", func(b map[string]any) { obj(b["database"])["instanceClass"] = "t4g.micro" }, "database.instanceClass"},
	{"database storageGb below 20", func(b map[string]any) { obj(b["database"])["storageGb"] = 10 }, "database.storageGb"},
	{"filesystem mountPath relative", func(b map[string]any) { obj(b["filesystem"])["mountPath"] = "data" }, "filesystem.mountPath"},
	{"cpu of the wrong type", func(b map[string]any) { container(b, 0)["cpu"] = "256" }, "composeDefinition.containers[0].cpu"},
	{"cpu not an integer", func(b map[string]any) { container(b, 0)["cpu"] = 0.5 }, "composeDefinition.containers[0].cpu"},
	{"essential of the wrong type", func(b map[string]any) { container(b, 0)["essential"] = "yes" }, "composeDefinition.containers[0].essential"},
	{"exposedPorts not an array", func(b map[string]any) { container(b, 0)["exposedPorts"] = 80 }, "composeDefinition.containers[0].exposedPorts"},
	{"appName of the wrong type", func(b map[string]any) { b["appName"] = 7 }, "appName"},
	// Quant's document: compose tiers, origin protection config, initial variables.
	{"spot on production", func(b map[string]any) { compose(b)["spotConfiguration"] = map[string]any{"strategy": "spot-only"} }, "composeDefinition.spotConfiguration.strategy"},
	{"spot strategy unknown", func(b map[string]any) { compose(b)["spotConfiguration"] = map[string]any{"strategy": "cheap"} }, "composeDefinition.spotConfiguration.strategy"},
	{"spot strategy missing", func(b map[string]any) { compose(b)["spotConfiguration"] = map[string]any{} }, "composeDefinition.spotConfiguration.strategy"},
	{"cross networking not a boolean", func(b map[string]any) { compose(b)["enableCrossEnvNetworking"] = "yes" }, "composeDefinition.enableCrossEnvNetworking"},
	{"ipAllow not an address", func(b map[string]any) {
		container(b, 0)["originProtectionConfig"] = map[string]any{"ipAllow": []any{"203.0.113.0/24", "vpn.example.com"}}
	}, "composeDefinition.containers[0].originProtectionConfig.ipAllow[1]"},
	{"redirectHost with a scheme", func(b map[string]any) {
		container(b, 0)["originProtectionConfig"] = map[string]any{"redirectHost": "https://www.example.com"}
	}, "composeDefinition.containers[0].originProtectionConfig.redirectHost"},
	{"originProtection against its config", func(b map[string]any) {
		container(b, 0)["originProtection"] = false
		container(b, 0)["originProtectionConfig"] = map[string]any{"enabled": true}
	}, "composeDefinition.containers[0].originProtection"},
	{"initial variable named twice", func(b map[string]any) {
		b["environment"] = []any{map[string]any{"name": "A", "value": "1"}, map[string]any{"name": "A", "value": "2"}}
	}, "environment[1].name"},
	{"initial variable badly named", func(b map[string]any) { b["environment"] = []any{map[string]any{"name": "1A", "value": "1"}} }, "environment[0].name"},
	{"initial variable without a name", func(b map[string]any) { b["environment"] = []any{map[string]any{"value": "1"}} }, "environment[0].name"},
}

// TestCreateApplicationRejectsEachRule sends the seed body with one rule
// broken and checks the status, that the problem names the field, and that
// nothing was stored or started.
func TestCreateApplicationRejectsEachRule(t *testing.T) {
	ensureStack(t)
	org := uniqueOrg(t)
	for _, tc := range applicationCases {
		t.Run(tc.name, func(t *testing.T) {
			body := seed(t, "create-application.json")
			tc.change(body)
			before, started := itemCount(t), len(stack.Workflows.Started())
			res := call(t, http.MethodPost, orgPath(org)+"/applications", body)
			mustStatus(t, res, http.StatusBadRequest)
			errs := res.fieldErrors(t)
			if _, ok := errs[tc.field]; !ok {
				t.Fatalf("errors do not name %s: %s", tc.field, res.Body)
			}
			if after := itemCount(t); after != before {
				t.Fatalf("table went from %d to %d items", before, after)
			}
			if n := len(stack.Workflows.Started()); n != started {
				t.Fatalf("a workflow started on invalid input")
			}
		})
	}
}

// TestMalformedBodies covers bodies that are not a JSON object at all.
func TestMalformedBodies(t *testing.T) {
	org := uniqueOrg(t)
	big := `{"appName":"` + strings.Repeat("a", 64<<10) + `"}`
	cases := []struct {
		name        string
		body        string
		contentType string
		status      int
		field       string
	}{
		{"bad JSON", `{"appName": "x",}`, "application/json", 400, "body"},
		{"truncated JSON", `{"appName": "x"`, "application/json", 400, "body"},
		{"two values", `{"appName":"x"} {}`, "application/json", 400, "body"},
		{"an array", `[]`, "application/json", 400, "body"},
		{"null", `null`, "application/json", 400, "body"},
		{"empty", ``, "application/json", 400, "body"},
		{"over the cap", big, "application/json", 413, "body"},
		{"nested too deep", `{"appName":` + strings.Repeat("[", 17) + strings.Repeat("]", 17) + `}`, "application/json", 400, "body"},
		{"not JSON content", `appName=x`, "application/x-www-form-urlencoded", 415, ""},
		{"a key twice", `{"appName":"dup-a","appName":"dup-b"}`, "application/json", 400, "appName"},
		{"a nested key twice", `{"appName":"dup-c","composeDefinition":{"containers":[{"name":"web","name":"api","imageReference":{"type":"external","identifier":"nginx"}}]}}`, "application/json", 400, "composeDefinition.containers[0].name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := itemCount(t)
			res := call(t, http.MethodPost, orgPath(org)+"/applications", tc.body, "Content-Type", tc.contentType)
			mustStatus(t, res, tc.status)
			p := res.json(t)
			if p["status"] != float64(tc.status) || p["message"] == "" || p["type"] == "" {
				t.Fatalf("not a problem document: %s", res.Body)
			}
			if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("Content-Type %q", ct)
			}
			if tc.field != "" {
				if _, ok := res.fieldErrors(t)[tc.field]; !ok {
					t.Fatalf("errors do not name %s: %s", tc.field, res.Body)
				}
			}
			if itemCount(t) != before {
				t.Fatal("a malformed body changed the table")
			}
		})
	}
}

// environmentCases break each rule of the create-environment body once.
var environmentCases = []invalidCase{
	{"envName missing", func(b map[string]any) { delete(b, "envName") }, "envName"},
	{"envName invalid", func(b map[string]any) { b["envName"] = "PR_456" }, "envName"},
	{"envName too long", func(b map[string]any) { b["envName"] = strings.Repeat("e", 41) }, "envName"},
	{"imageSuffix invalid", func(b map[string]any) { b["imageSuffix"] = "PR-456" }, "imageSuffix"},
	{"imageSuffix ends with hyphen", func(b map[string]any) { b["imageSuffix"] = "pr-" }, "imageSuffix"},
	{"imageSuffix too long", func(b map[string]any) { b["imageSuffix"] = strings.Repeat("a", 64) }, "imageSuffix"},
	{"imageSuffix makes a tag too long", func(b map[string]any) {
		b["composeDefinition"] = map[string]any{"containers": []any{map[string]any{"name": strings.Repeat("w", 100), "imageReference": map[string]any{"type": "internal", "identifier": "latest"}}}}
		b["imageSuffix"] = strings.Repeat("s", 30)
	}, "imageSuffix"},
	{"cloneConfigurationFrom invalid", func(b map[string]any) { b["cloneConfigurationFrom"] = "Prod" }, "cloneConfigurationFrom"},
	{"minCapacity above maxCapacity", func(b map[string]any) { b["minCapacity"] = 2 }, "minCapacity"},
	{"maxCapacity above 100", func(b map[string]any) { b["maxCapacity"] = 500 }, "maxCapacity"},
	{"override with a bad container", func(b map[string]any) {
		b["composeDefinition"] = map[string]any{"containers": []any{map[string]any{"name": "web", "imageReference": map[string]any{"type": "external", "identifier": "nginx"}, "exposedPorts": []any{0}}}}
	}, "composeDefinition.containers[0].exposedPorts[0]"},
	{"override breaks the task size", func(b map[string]any) { b["composeDefinition"] = map[string]any{"taskMemory": 8192} }, "composeDefinition.taskMemory"},
	{"spot strategy unknown", func(b map[string]any) { b["spotConfiguration"] = map[string]any{"strategy": "half"} }, "spotConfiguration.strategy"},
	{"mixed spot with one task", func(b map[string]any) { b["spotConfiguration"] = map[string]any{"strategy": "mixed-safe"} }, "spotConfiguration.strategy"},
	{"mergeEnvironment without a clone", func(b map[string]any) {
		delete(b, "cloneConfigurationFrom")
		b["mergeEnvironment"] = true
	}, "mergeEnvironment"},
	{"initial variable badly named", func(b map[string]any) { b["environment"] = []any{map[string]any{"name": "a-b", "value": "1"}} }, "environment[0].name"},
}

func TestCreateEnvironmentRejectsEachRule(t *testing.T) {
	org := uniqueOrg(t)
	mustStatus(t, call(t, http.MethodPost, orgPath(org)+"/applications", seed(t, "create-application.json")), http.StatusCreated)
	for _, tc := range environmentCases {
		t.Run(tc.name, func(t *testing.T) {
			body := seed(t, "create-environment.json")
			tc.change(body)
			before, started := itemCount(t), len(stack.Workflows.Started())
			res := call(t, http.MethodPost, orgPath(org)+"/applications/my-app/environments", body)
			mustStatus(t, res, http.StatusBadRequest)
			if _, ok := res.fieldErrors(t)[tc.field]; !ok {
				t.Fatalf("errors do not name %s: %s", tc.field, res.Body)
			}
			if itemCount(t) != before || len(stack.Workflows.Started()) != started {
				t.Fatal("invalid input changed the table or started a workflow")
			}
		})
	}
}

// auditToken is a nextToken of the audit list naming the event id given.
func auditToken(id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("v1:u:" + id))
}

func TestInvalidPathAndQueryParameters(t *testing.T) {
	cases := []struct{ method, path, field string }{
		{http.MethodGet, "/api/v3/organizations/Acme/applications", "organisation"},
		{http.MethodGet, "/api/v3/organizations/acme/applications/My_App", "application"},
		{http.MethodGet, "/api/v3/organizations/acme/applications/my-app/environments/" + strings.Repeat("e", 41), "environment"},
		{http.MethodDelete, "/api/v3/organizations/acme/applications/-x", "application"},
		{http.MethodGet, "/api/v3/organizations/acme/applications?limit=0", "limit"},
		{http.MethodGet, "/api/v3/organizations/acme/applications?limit=101", "limit"},
		{http.MethodGet, "/api/v3/organizations/acme/applications?limit=ten", "limit"},
		{http.MethodGet, "/api/v3/organizations/acme/applications?nextToken=forged", "nextToken"},
		{http.MethodGet, "/api/v3/organizations/acme/applications/my-app/environments?limit=-1", "limit"},
		// Audit tokens: the event id's form, and a time that exists.
		{http.MethodGet, "/api/v3/organizations/acme/audit-events?nextToken=" + auditToken("2026-13-45T99:99:99.999999999Z#req-1"), "nextToken"},
		{http.MethodGet, "/api/v3/organizations/acme/audit-events?nextToken=" + auditToken("2026-12-04T10:00:00.000000000Z#"), "nextToken"},
		{http.MethodGet, "/api/v3/organizations/acme/audit-events?nextToken=" + auditToken("not-an-event-id"), "nextToken"},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			res := call(t, tc.method, tc.path, nil)
			mustStatus(t, res, http.StatusBadRequest)
			if _, ok := res.fieldErrors(t)[tc.field]; !ok {
				t.Fatalf("errors do not name %s: %s", tc.field, res.Body)
			}
		})
	}
}

// TestUnknownFields: by default an unknown field is dropped and named in a
// Warning header (RFC 7234 section 5.5, 299), so clients generated from a newer
// document keep working; it is never applied, even where encoding/json
// would match it without regard to case. ?fieldValidation=Strict refuses
// it, naming each, and stores nothing.
func TestUnknownFields(t *testing.T) {
	org := uniqueOrg(t)
	unknown := func(b map[string]any) {
		b["region"] = "eu-west-1"
		container(b, 0)["privileged"] = true
		obj(b["composeDefinition"])["foo"] = "bar"
	}
	t.Run("warned and dropped", func(t *testing.T) {
		body := seed(t, "create-application.json")
		unknown(body)
		res := call(t, http.MethodPost, orgPath(org)+"/applications", body)
		mustStatus(t, res, http.StatusCreated)
		want := []string{`299 - "unknown field composeDefinition.containers[0].privileged"`, `299 - "unknown field composeDefinition.foo"`, `299 - "unknown field region"`}
		if got := res.Header.Values("Warning"); !slices.Equal(got, want) {
			t.Fatalf("Warning %q, want %q", got, want)
		}
		if strings.Contains(string(res.Body), "privileged") || strings.Contains(string(res.Body), "eu-west-1") {
			t.Fatalf("an unknown field was kept: %s", res.Body)
		}
	})
	t.Run("never applied in another case", func(t *testing.T) {
		body := seed(t, "create-application.json")
		body["AppName"] = "cased"
		delete(body, "appName")
		before := itemCount(t)
		res := call(t, http.MethodPost, orgPath(org)+"/applications", body)
		mustStatus(t, res, http.StatusBadRequest)
		if _, ok := res.fieldErrors(t)["appName"]; !ok || itemCount(t) != before {
			t.Fatalf("AppName was read as appName: %s", res.Body)
		}
	})
	for _, path := range []string{"/applications", "/applications/my-app/environments"} {
		t.Run("strict "+path, func(t *testing.T) {
			body := seed(t, "create-application.json")
			if path != "/applications" {
				body = seed(t, "create-environment.json")
				body["composeDefinition"] = obj(seed(t, "create-application.json")["composeDefinition"])
			}
			unknown(body)
			body["appName"] = "strict"
			if path != "/applications" {
				delete(body, "appName")
			}
			before, started := itemCount(t), len(stack.Workflows.Started())
			res := call(t, http.MethodPost, orgPath(org)+path+"?fieldValidation=Strict", body)
			mustStatus(t, res, http.StatusBadRequest)
			errs := res.fieldErrors(t)
			for _, f := range []string{"region", "composeDefinition.foo", "composeDefinition.containers[0].privileged"} {
				if _, ok := errs[f]; !ok {
					t.Errorf("errors do not name %s: %s", f, res.Body)
				}
			}
			if itemCount(t) != before || len(stack.Workflows.Started()) != started {
				t.Fatal("a strict refusal changed the table or started a workflow")
			}
		})
	}
	t.Run("create-token stays strict", func(t *testing.T) {
		for _, mode := range []string{"", "?fieldValidation=Ignore", "?fieldValidation=Warn"} {
			res := call(t, http.MethodPost, orgPath(org)+"/tokens"+mode, map[string]any{"role": "read", "expiresat": "2027-01-01T00:00:00Z"})
			mustStatus(t, res, http.StatusBadRequest)
			if _, ok := res.fieldErrors(t)["expiresat"]; !ok {
				t.Fatalf("%s: errors do not name expiresat: %s", mode, res.Body)
			}
		}
	})
	t.Run("warnings are bounded and header-safe", func(t *testing.T) {
		body := seed(t, "create-application.json")
		body["appName"] = "many-unknowns"
		for i := range 30 {
			body[fmt.Sprintf("x%02d", i)] = i
		}
		body["a\u0001\"b"] = 1 // a control byte and a quote in a key
		raw, _ := json.Marshal(body)
		res := call(t, http.MethodPost, orgPath(org)+"/applications", raw)
		mustStatus(t, res, http.StatusCreated)
		got := res.Header.Values("Warning")
		if len(got) != 21 || got[20] != `299 - "and 11 more unknown fields"` {
			t.Fatalf("%d warnings, last %q: want 20 and a count of the rest", len(got), got[len(got)-1])
		}
		if got[0] != `299 - "unknown field a%01\"b"` {
			t.Errorf("first warning %q, want the control byte percent-encoded and the quote escaped", got[0])
		}
		for _, w := range got {
			for _, c := range []byte(w) {
				if c < 0x20 || c >= 0x7f {
					t.Fatalf("warning %q carries byte %#x", w, c)
				}
			}
		}
	})
	t.Run("an unknown mode", func(t *testing.T) {
		res := call(t, http.MethodPost, orgPath(org)+"/applications?fieldValidation=Lenient", seed(t, "create-application.json"))
		mustStatus(t, res, http.StatusBadRequest)
		if _, ok := res.fieldErrors(t)["fieldValidation"]; !ok {
			t.Fatalf("errors do not name fieldValidation: %s", res.Body)
		}
	})
}
