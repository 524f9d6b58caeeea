package cfv2

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/compose"
	"github.com/berth-dev/berth/shared/dialect"
	"github.com/berth-dev/berth/shared/validation"
)

// pageRequest is the reference page's body, exactly
// (/work/shared/reference/cloud-foundry-v2-create-app.txt).
const pageRequest = `{
  "name": "docker_app",
  "space_guid": "82b15327-0244-463f-93cb-f63464ceb843",
  "docker_image": "cloudfoundry/hello",
  "diego": true
}`

// workload is the app a spec makes, as the service would record it:
// stopped unless started, in space dev of acme.
func workload(spec dialect.Spec) dialect.Workload {
	c := spec.Container
	c.Name = dialect.ApplicationName(spec.Name)
	created := time.Date(2015, 3, 18, 22, 52, 41, 0, time.UTC)
	w := dialect.Workload{
		App: apps.Application{Organisation: "acme", Name: c.Name, Label: spec.Name},
		Env: apps.Environment{Name: "dev", Compose: compose.Definition{Containers: []compose.Container{c},
			MinCapacity: spec.MinCapacity, MaxCapacity: spec.MaxCapacity}, Variables: spec.Variables,
			Status: apps.StatusCreating, CreatedAt: created, UpdatedAt: created},
	}
	n := *spec.MinCapacity
	if spec.Started {
		w.Env.DesiredCount = n
	} else {
		w.Env.Stopped, w.Env.StoppedCount = true, n
	}
	return w
}

// TestPageRequest: the page's body creates the page's app: STOPPED, one
// instance of 1024 MB, a port health check, no command, no variables, the
// docker image it names, in the space it names.
func TestPageRequest(t *testing.T) {
	r, err := DecodeApp([]byte(pageRequest))
	if err != nil {
		t.Fatal(err)
	}
	if *r.SpaceGUID != "82b15327-0244-463f-93cb-f63464ceb843" {
		t.Fatalf("space_guid %q", *r.SpaceGUID)
	}
	spec, err := r.Spec()
	if err != nil {
		t.Fatal(err)
	}
	one, mem := 1, 1024
	want := dialect.Spec{
		Name: "docker_app", Field: "name",
		Container: compose.Container{
			ImageReference: &compose.ImageReference{Type: compose.ImageExternal, Identifier: "cloudfoundry/hello"},
			Memory:         &mem, ExposedPorts: []int{8080},
		},
		MinCapacity: &one, MaxCapacity: &one, Started: false, Fields: fields,
	}
	if !reflect.DeepEqual(spec, want) {
		t.Fatalf("spec\n%+v\nwant\n%+v", spec, want)
	}
	res := appResource(workload(spec))
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	md, e := got["metadata"], got["entity"]
	guid := dialect.WorkloadID("acme", "docker-app", "dev")
	if md["guid"] != guid || md["url"] != "/v2/apps/"+guid || md["created_at"] != "2015-03-18T22:52:41Z" || md["updated_at"] != nil {
		t.Fatalf("metadata %v", md)
	}
	// The page's response entity, field by field, where Berth's is CF's.
	page := map[string]any{
		"name": "docker_app", "production": false, "buildpack": nil, "detected_buildpack": nil,
		"environment_json": map[string]any{}, "memory": 1024.0, "instances": 1.0, "state": "STOPPED",
		"command": nil, "console": false, "debug": nil, "staging_task_id": nil, "package_state": "PENDING",
		"health_check_type": "port", "health_check_timeout": nil, "staging_failed_reason": nil, "diego": true,
		"docker_image": "cloudfoundry/hello", "detected_start_command": "", "package_updated_at": "2015-03-18T22:52:41Z",
		"space_guid": dialect.ScopeID("acme", "dev"), "space_url": "/v2/spaces/" + dialect.ScopeID("acme", "dev"),
		"events_url": "/v2/apps/" + guid + "/events", "service_bindings_url": "/v2/apps/" + guid + "/service_bindings",
		"routes_url": "/v2/apps/" + guid + "/routes", "disk_quota": float64(DiskQuota), "ports": []any{8080.0},
	}
	for k, v := range page {
		if !reflect.DeepEqual(e[k], v) {
			t.Errorf("entity.%s = %#v, want %#v", k, e[k], v)
		}
	}
	if v, _ := e["version"].(string); len(v) != 36 {
		t.Errorf("version %v is not a guid", e["version"])
	}
}

func TestDefaults(t *testing.T) {
	r, err := DecodeApp([]byte(`{"name":"web","space_guid":"s","docker_image":"nginx"}`))
	if err != nil {
		t.Fatal(err)
	}
	spec, err := r.Spec()
	if err != nil {
		t.Fatal(err)
	}
	c := spec.Container
	if *c.Memory != DefaultMemory || DefaultMemory != 1024 || *spec.MinCapacity != 1 || *spec.MaxCapacity != 1 || spec.Started ||
		!reflect.DeepEqual(c.ExposedPorts, []int{8080}) || c.Command != nil || c.HealthCheck != nil || spec.Variables != nil {
		t.Fatalf("defaults %+v", spec)
	}
	a := appResource(workload(spec)).Entity
	if a.State != StateStopped || a.Memory != 1024 || a.Instances != 1 || a.DiskQuota != 20480 || a.HealthCheckType != HealthPort ||
		a.HealthCheckTimeout != nil || a.HealthCheckHTTPEndpoint != nil || a.Command != nil || len(a.EnvironmentJSON) != 0 ||
		!reflect.DeepEqual(a.Ports, []int{8080}) || a.DockerCredentials != nil {
		t.Fatalf("entity %+v", a)
	}
	// state STARTED at create starts it.
	r, _ = DecodeApp([]byte(`{"name":"web","space_guid":"s","docker_image":"nginx","state":"STARTED"}`))
	started, err := r.Spec()
	if err != nil || !started.Started {
		t.Fatalf("STARTED: %+v %v", started, err)
	}
	if a := appResource(workload(started)); a.Entity.State != StateStarted || a.Entity.Instances != 1 {
		t.Fatalf("started %+v", a.Entity)
	}
}

// TestEveryField: each field of the page Berth runs lands in the
// container, and reads back the same.
func TestEveryField(t *testing.T) {
	body := `{"name":"web","space_guid":"s","docker_image":"registry.example.com:5000/user/repository/tag","docker_credentials":{"username":"","password":""},
	"environment_json":{"S":"x","N":3,"B":true,"O":{"a":[1]},"Z":null},"memory":512,"instances":3,"disk_quota":2048,"state":"STARTED",
	"command":"rails s -p $PORT","health_check_type":"http","health_check_timeout":60,"health_check_http_endpoint":"/healthz","ports":[9090,9091],
	"stack_guid":"x","diego":true,"production":false,"console":false,"debug":null,"buildpack":""}`
	r, err := DecodeApp([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	spec, err := r.Spec()
	if err != nil {
		t.Fatal(err)
	}
	c := spec.Container
	sixty := 60
	want := compose.Container{
		ImageReference: &compose.ImageReference{Type: compose.ImageExternal, Identifier: "registry.example.com:5000/user/repository/tag"},
		Memory:         ptr(512), ExposedPorts: []int{9090, 9091},
		Command:     []string{"/bin/sh", "-c", "rails s -p $PORT"},
		HealthCheck: &compose.HealthCheck{Command: []string{"CMD-SHELL", "wget -q -O /dev/null http://localhost:9090/healthz || exit 1"}, StartPeriod: &sixty},
	}
	if !reflect.DeepEqual(c, want) || *spec.MinCapacity != 3 || *spec.MaxCapacity != 3 || !spec.Started {
		t.Fatalf("spec %+v\ncontainer %+v", spec, c)
	}
	vars := map[string]string{}
	for _, v := range spec.Variables {
		vars[v.Name] = *v.Value
	}
	if !reflect.DeepEqual(vars, map[string]string{"S": "x", "N": "3", "B": "true", "O": `{"a":[1]}`, "Z": ""}) {
		t.Fatalf("variables %v", vars)
	}
	a := appResource(workload(spec)).Entity
	if a.State != StateStarted || a.Memory != 512 || a.Instances != 3 || a.Command == nil || *a.Command != "rails s -p $PORT" ||
		a.HealthCheckType != HealthHTTP || *a.HealthCheckHTTPEndpoint != "/healthz" || *a.HealthCheckTimeout != 60 ||
		!reflect.DeepEqual(a.Ports, []int{9090, 9091}) || a.EnvironmentJSON["O"] != `{"a":[1]}` || a.DockerImage != "registry.example.com:5000/user/repository/tag" {
		t.Fatalf("entity %+v", a)
	}
}

func ptr[T any](v T) *T { return &v }

// fieldsOf is the fields a validation error names.
func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	errs, ok := err.(validation.Errors)
	if !ok {
		t.Fatalf("not a validation error: %v", err)
	}
	return errs.Fields()
}

// TestCreateRules: each broken rule is a validation error naming the
// field, and only it.
func TestCreateRules(t *testing.T) {
	const ok = `"name":"a","space_guid":"s","docker_image":"nginx"`
	cases := map[string]struct{ body, field string }{
		"no name":                    {`{"space_guid":"s","docker_image":"nginx"}`, "name"},
		"empty name":                 {`{"name":"","space_guid":"s","docker_image":"nginx"}`, "name"},
		"no space":                   {`{"name":"a","docker_image":"nginx"}`, "space_guid"},
		"no image":                   {`{"name":"a","space_guid":"s"}`, "docker_image"},
		"empty image":                {`{"name":"a","space_guid":"s","docker_image":""}`, "docker_image"},
		"image with a space":         {`{"name":"a","space_guid":"s","docker_image":"a b"}`, "docker_image"},
		"buildpack":                  {`{` + ok + `,"buildpack":"ruby_buildpack"}`, "buildpack"},
		"docker credentials":         {`{` + ok + `,"docker_credentials":{"username":"u","password":"p"}}`, "docker_credentials"},
		"memory 0":                   {`{` + ok + `,"memory":0}`, "memory"},
		"memory too large":           {`{` + ok + `,"memory":122881}`, "memory"},
		"memory not a number":        {`{` + ok + `,"memory":"1G"}`, "memory"},
		"instances 0":                {`{` + ok + `,"instances":0}`, "instances"},
		"instances 101":              {`{` + ok + `,"instances":101}`, "instances"},
		"disk_quota above Fargate's": {`{` + ok + `,"disk_quota":20481}`, "disk_quota"},
		"disk_quota 0":               {`{` + ok + `,"disk_quota":0}`, "disk_quota"},
		"state":                      {`{` + ok + `,"state":"RUNNING"}`, "state"},
		"command too long":           {`{` + ok + `,"command":"` + strings.Repeat("x", 4097) + `"}`, "command"},
		"health check type":          {`{` + ok + `,"health_check_type":"tcp"}`, "health_check_type"},
		"health check timeout":       {`{` + ok + `,"health_check_timeout":301}`, "health_check_timeout"},
		"negative timeout":           {`{` + ok + `,"health_check_timeout":-1}`, "health_check_timeout"},
		"endpoint not a path":        {`{` + ok + `,"health_check_type":"http","health_check_http_endpoint":"healthz"}`, "health_check_http_endpoint"},
		"endpoint with a subshell":   {`{` + ok + `,"health_check_type":"http","health_check_http_endpoint":"/x(y)"}`, "health_check_http_endpoint"},
		"endpoint with a shell":      {`{` + ok + `,"health_check_type":"http","health_check_http_endpoint":"/x;rm -rf /"}`, "health_check_http_endpoint"},
		"too many ports":             {`{` + ok + `,"ports":[1,2,3,4,5,6,7,8,9,10,11]}`, "ports"},
		"port 0":                     {`{` + ok + `,"ports":[8080,0]}`, "ports[1]"},
		"port 65536":                 {`{` + ok + `,"ports":[65536]}`, "ports[0]"},
		"PORT variable":              {`{` + ok + `,"environment_json":{"PORT":"1"}}`, "environment_json.PORT"},
		"VCAP_ variable":             {`{` + ok + `,"environment_json":{"vcap_services":"1"}}`, "environment_json.vcap_services"},
		"VMC_ variable":              {`{` + ok + `,"environment_json":{"VMC_X":"1"}}`, "environment_json.VMC_X"},
		"bad variable name":          {`{` + ok + `,"environment_json":{"a-b":"1"}}`, "environment_json.a-b"},
		"variable too long":          {`{` + ok + `,"environment_json":{"A":"` + strings.Repeat("x", 4097) + `"}}`, "environment_json.A"},
		"environment not an object":  {`{` + ok + `,"environment_json":["A"]}`, "environment_json"},
		"name of wrong type":         {`{"name":1,"space_guid":"s","docker_image":"nginx"}`, "name"},
		"not JSON":                   {`{"name":`, "body"},
		"not an object":              {`["name"]`, "body"},
		"empty":                      {``, "body"},
		"two objects":                {`{} {}`, "body"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r, err := DecodeApp([]byte(c.body))
			if err == nil {
				_, err = r.Spec()
			}
			if got := fieldsOf(t, err); !reflect.DeepEqual(got, []string{c.field}) {
				t.Fatalf("fields %v, want [%s]: %v", got, c.field, err)
			}
		})
	}
	many := map[string]any{}
	for i := range 101 {
		many["V"+strings.Repeat("x", i)] = "1"
	}
	b, _ := json.Marshal(map[string]any{"name": "a", "space_guid": "s", "docker_image": "nginx", "environment_json": many})
	if _, err := DecodeApp(b); !reflect.DeepEqual(fieldsOf(t, err), []string{"environment_json"}) {
		t.Fatalf("101 variables: %v", err)
	}
	// Every broken rule is named at once.
	_, err := DecodeApp([]byte(`{"memory":0,"instances":0,"state":"x"}`))
	if got := fieldsOf(t, err); !reflect.DeepEqual(got, []string{"instances", "memory", "state"}) {
		t.Fatalf("fields %v", got)
	}
	// The fields CF keeps for its own runtime, and a disk within Fargate's, are accepted.
	if _, err := DecodeApp([]byte(`{` + ok + `,"disk_quota":20480,"stack_guid":"x","diego":false,"production":true,"console":true,"debug":"x","detected_start_command":"x"}`)); err != nil {
		t.Fatal(err)
	}
}

// TestHealthChecks: port, process and none have no container check (the
// load balancer's is port's); http fetches the endpoint on the first port.
func TestHealthChecks(t *testing.T) {
	for _, kind := range []string{"port", "process", "none"} {
		r, _ := DecodeApp([]byte(`{"name":"a","space_guid":"s","docker_image":"nginx","health_check_type":"` + kind + `","health_check_timeout":30}`))
		spec, err := r.Spec()
		if err != nil || spec.Container.HealthCheck != nil {
			t.Fatalf("%s: %+v %v", kind, spec.Container.HealthCheck, err)
		}
	}
	r, _ := DecodeApp([]byte(`{"name":"a","space_guid":"s","docker_image":"nginx","health_check_type":"http"}`))
	spec, _ := r.Spec()
	h := spec.Container.HealthCheck
	if h == nil || h.Command[1] != "wget -q -O /dev/null http://localhost:8080/ || exit 1" || h.StartPeriod != nil {
		t.Fatalf("http check %+v", h)
	}
	if e, ok := endpointOf(h); !ok || e != "/" {
		t.Fatalf("endpoint %q %v", e, ok)
	}
	for _, other := range []*compose.HealthCheck{nil, {Command: []string{"CMD", "true"}}, {Command: []string{"CMD-SHELL", "curl -f http://localhost/"}}} {
		if _, ok := endpointOf(other); ok {
			t.Fatalf("%+v read as CF's http check", other)
		}
	}
}

// TestUpdate: a body of state alone changes no configuration; one of
// configuration edits the container and capacity; the two mixed, or an
// empty image, are refused.
func TestUpdate(t *testing.T) {
	r, _ := DecodeApp([]byte(`{"state":"STARTED"}`))
	if ch, err := r.Change(); ch != nil || err != nil || *r.State != StateStarted {
		t.Fatalf("state alone: %v %v", ch, err)
	}
	r, _ = DecodeApp([]byte(`{"state":"STOPPED","instances":2}`))
	if _, err := r.Change(); !reflect.DeepEqual(fieldsOf(t, err), []string{"state"}) {
		t.Fatalf("state with instances: %v", err)
	}
	r, _ = DecodeApp([]byte(`{"docker_image":""}`))
	if _, err := r.Change(); !reflect.DeepEqual(fieldsOf(t, err), []string{"docker_image"}) {
		t.Fatalf("empty image: %v", err)
	}
	r, _ = DecodeApp([]byte(`{"disk_quota":4096}`))
	if ch, err := r.Change(); ch != nil || err != nil {
		t.Fatalf("a disk within Fargate's changes something: %v %v", ch, err)
	}

	base, _ := DecodeApp([]byte(`{"name":"a","space_guid":"s","docker_image":"nginx","health_check_type":"http","health_check_http_endpoint":"/up","health_check_timeout":20,"environment_json":{"OLD":"1"}}`))
	spec, _ := base.Spec()
	w := workload(spec)
	r, err := DecodeApp([]byte(`{"docker_image":"nginx:1.27","memory":256,"instances":4,"command":"nginx -g 'daemon off;'","ports":[80],"environment_json":{"NEW":"2"}}`))
	if err != nil {
		t.Fatal(err)
	}
	ch, err := r.Change()
	if err != nil || ch == nil {
		t.Fatal(ch, err)
	}
	if ch.Field != "environment_json" || ch.Variables == nil || len(*ch.Variables) != 1 || (*ch.Variables)[0].Name != "NEW" {
		t.Fatalf("variables replace the app's: %+v", ch.Variables)
	}
	d := w.Env.Compose
	c := w.Container()
	if err := ch.Edit(&d, &c); err != nil {
		t.Fatal(err)
	}
	if c.ImageReference.Identifier != "nginx:1.27" || *c.Memory != 256 || *d.MinCapacity != 4 || *d.MaxCapacity != 4 ||
		!reflect.DeepEqual(c.Command, []string{"/bin/sh", "-c", "nginx -g 'daemon off;'"}) || !reflect.DeepEqual(c.ExposedPorts, []int{80}) {
		t.Fatalf("edited %+v %+v", d, c)
	}
	// The http check follows the first port, and keeps its endpoint and timeout.
	if e, _ := endpointOf(c.HealthCheck); e != "/up" || !strings.Contains(c.HealthCheck.Command[1], "localhost:80/up") || *c.HealthCheck.StartPeriod != 20 {
		t.Fatalf("health check %+v", c.HealthCheck)
	}
	// An empty command clears it; port drops the http check.
	r, _ = DecodeApp([]byte(`{"command":"","health_check_type":"port"}`))
	ch, _ = r.Change()
	if err := ch.Edit(&d, &c); err != nil || c.Command != nil || c.HealthCheck != nil {
		t.Fatalf("cleared %v %+v", err, c)
	}
}

func TestSpaceRules(t *testing.T) {
	for body, field := range map[string]string{
		`{"organization_guid":"o"}`:             "name",
		`{"name":"","organization_guid":"o"}`:   "name",
		`{"name":"dev"}`:                        "organization_guid",
		`{"name":"dev","organization_guid":""}`: "organization_guid",
	} {
		var r SpaceRequest
		if err := dialect.Decode([]byte(body), &r); err != nil {
			t.Fatal(err)
		}
		if _, _, err := r.Check(); !reflect.DeepEqual(fieldsOf(t, err), []string{field}) {
			t.Fatalf("%s: %v", body, err)
		}
	}
	var r SpaceRequest
	_ = dialect.Decode([]byte(`{"name":"dev","organization_guid":"o"}`), &r)
	if name, org, err := r.Check(); name != "dev" || org != "o" || err != nil {
		t.Fatal(name, org, err)
	}
}

// TestRename: Berth's domain's fields in a create's or update's refusal
// are CF's.
func TestRename(t *testing.T) {
	got := dialect.Rename(validation.Errors{
		"appName":                                {"must match"},
		"composeDefinition.containers[0].memory": {"must be at least 6 MiB"},
		"composeDefinition.containers[0].imageReference.identifier": {"must be an image name"},
		"minCapacity": {"must be between 0 and 100"},
	}, fields)
	want := []string{"docker_image", "instances", "memory", "name"}
	if f := fieldsOf(t, got); !reflect.DeepEqual(f, want) {
		t.Fatalf("fields %v, want %v", f, want)
	}
}

// TestViews: a started app's state and instances, a failed one's reason,
// the summary's running instances, a space and an organization.
func TestViews(t *testing.T) {
	r, _ := DecodeApp([]byte(`{"name":"web","space_guid":"s","docker_image":"nginx","instances":2,"state":"STARTED"}`))
	spec, _ := r.Spec()
	w := workload(spec)
	w.Env.Status, w.Env.RunningCount = apps.StatusActive, 2
	w.Env.UpdatedAt = w.Env.CreatedAt.Add(time.Minute)
	res := appResource(w)
	if res.Entity.State != StateStarted || res.Entity.Instances != 2 || res.Entity.PackageState != "STAGED" ||
		res.Metadata.UpdatedAt == nil || !res.Metadata.UpdatedAt.Equal(w.Env.UpdatedAt) || res.Entity.Name != "web" {
		t.Fatalf("started %+v", res)
	}
	s := summary(w)
	b, _ := json.Marshal(s)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	if m["guid"] != res.Metadata.GUID || m["name"] != "web" || m["running_instances"] != 2.0 || m["state"] != "STARTED" ||
		!reflect.DeepEqual(m["routes"], []any{}) || !reflect.DeepEqual(m["services"], []any{}) {
		t.Fatalf("summary %s", b)
	}
	w.Env.Status, w.Env.FailureReason = apps.StatusFailed, "image not found"
	if e := appResource(w).Entity; e.PackageState != "FAILED" || e.StagingFailedReason == nil || *e.StagingFailedReason != "image not found" {
		t.Fatalf("failed %+v", e)
	}
	sp := spaceResource(dialect.Scope{Organisation: "acme", Name: "dev"})
	org := dialect.OrganisationID("acme")
	if sp.Metadata.GUID != dialect.ScopeID("acme", "dev") || sp.Metadata.URL != "/v2/spaces/"+sp.Metadata.GUID || sp.Entity.Name != "dev" ||
		sp.Entity.OrganizationGUID != org || sp.Entity.OrganizationURL != "/v2/organizations/"+org {
		t.Fatalf("space %+v", sp)
	}
	o := organizationResource("acme")
	if o.Metadata.GUID != org || o.Entity.Name != "acme" || o.Entity.Status != "active" {
		t.Fatalf("organization %+v", o)
	}
}
