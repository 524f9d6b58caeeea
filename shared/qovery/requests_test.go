package qovery

import (
	"encoding/json"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/berth-dev/berth/shared/compose"
	"github.com/berth-dev/berth/shared/validation"
)

// reference is the reference page's create body with realistic values
// for its "<string>"s; gpu (1) and storage (FAST_SSD) are as the page has
// them.
func reference(t testing.TB) map[string]any {
	t.Helper()
	b, err := os.ReadFile("testdata/reference-create.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// supported is the reference body with the one field Fargate cannot give
// changed: gpu 0, since Fargate has no GPUs. Its FAST_SSD storage stays.
func supported(t testing.TB) map[string]any {
	m := reference(t)
	m["gpu"] = 0
	return m
}

func encode(t testing.TB, m map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func fields(t *testing.T, err error) []string {
	t.Helper()
	var errs validation.Errors
	if err == nil {
		return nil // accepted: the caller's comparison fails
	}
	if !asErrors(err, &errs) {
		t.Fatalf("error %v is not validation.Errors", err)
	}
	out := errs.Fields()
	sort.Strings(out)
	return out
}

func asErrors(err error, errs *validation.Errors) bool {
	e, ok := err.(validation.Errors)
	*errs = e
	return ok
}

// The page's body as written is refused for its gpu alone: Berth does not
// accept a GPU it cannot give. Its FAST_SSD storage is taken.
func TestReferenceBodyRefusesOnlyGPU(t *testing.T) {
	_, err := DecodeContainer(encode(t, reference(t)))
	if got := fields(t, err); !reflect.DeepEqual(got, []string{"gpu"}) {
		t.Fatalf("fields = %v, want [gpu]: %v", got, err)
	}
	if !strings.Contains(err.Error(), "Fargate") || !strings.Contains(err.Error(), "no GPUs") {
		t.Errorf("error %q does not say why (Fargate has no GPUs)", err)
	}
	for _, gpu := range []any{0, nil} {
		m := reference(t)
		m["gpu"] = gpu
		if gpu == nil {
			delete(m, "gpu")
		}
		if _, err := DecodeContainer(encode(t, m)); err != nil {
			t.Errorf("gpu %v: %v", gpu, err)
		}
	}
}

func TestReferenceBodyTranslates(t *testing.T) {
	got, err := DecodeContainer(encode(t, supported(t)))
	if err != nil {
		t.Fatal(err)
	}
	c := got.Container
	if got.Name != "web_api" || got.Min != 1 || got.Max != 1 {
		t.Errorf("name, min, max = %q, %d, %d", got.Name, got.Min, got.Max)
	}
	if c.ImageReference == nil || *c.ImageReference != (compose.ImageReference{Type: compose.ImageExternal, Identifier: "nginx:1.27"}) {
		t.Errorf("image = %+v", c.ImageReference)
	}
	if *c.CPU != 1280 || *c.Memory != 1024 {
		t.Errorf("cpu, memory = %d, %d; want 1280 units (1250m) and 1024", *c.CPU, *c.Memory)
	}
	if !reflect.DeepEqual(c.ExposedPorts, []int{8080}) {
		t.Errorf("ports = %v", c.ExposedPorts)
	}
	if !reflect.DeepEqual(c.Command, []string{"--port=8080"}) || !reflect.DeepEqual(c.EntryPoint, []string{"/docker-entrypoint.sh"}) {
		t.Errorf("command, entrypoint = %q, %q", c.Command, c.EntryPoint)
	}
	hc := c.HealthCheck
	if hc == nil {
		t.Fatal("no health check")
	}
	// The liveness probe sets all four types: each must pass.
	want := "nc -z -w 5 127.0.0.1 123 && " +
		"(curl -fsSk -o /dev/null --max-time 5 'http://127.0.0.1:123/' || wget -q --no-check-certificate -O /dev/null -T 5 'http://127.0.0.1:123/') && " +
		"('sh' '-c' 'test -f /tmp/healthy') && " +
		"grpc_health_probe -addr=127.0.0.1:123 -connect-timeout=5s -rpc-timeout=5s"
	if !reflect.DeepEqual(hc.Command, []string{"CMD-SHELL", want}) {
		t.Errorf("health check command = %q\nwant %q", hc.Command, want)
	}
	if *hc.StartPeriod != 30 || *hc.Interval != 10 || *hc.Timeout != 5 || *hc.Retries != 9 {
		t.Errorf("times = %d %d %d %d", *hc.StartPeriod, *hc.Interval, *hc.Timeout, *hc.Retries)
	}
	// The FAST_SSD storage is the application's EFS filesystem at its mount point.
	if got.MountPath != "/mnt/images" {
		t.Errorf("mount path %q, want the storage's /mnt/images", got.MountPath)
	}
	e := got.Echo
	if len(e.Storage) != 1 || e.Storage[0].Size != 16 || e.Storage[0].Type != "FAST_SSD" || *e.Storage[0].ID != "3c90c3cc-0d44-4b50-8888-8dd25736052a" {
		t.Errorf("storage echo = %+v", e.Storage)
	}
	if e.RegistryID != "3c90c3cc-0d44-4b50-8888-8dd25736052b" || e.Description != "The web front end" || !e.AutoDeploy || !e.AutoPreview ||
		e.IconURI != "https://example.com/icon.png" || len(e.AnnotationsGroups) != 1 || len(e.LabelsGroups) != 1 {
		t.Errorf("echo = %+v", e)
	}
}

func TestDefaults(t *testing.T) {
	got, err := DecodeContainer([]byte(`{"name":"web","registry_id":"r","image_name":"nginx","tag":"1"}`))
	if err != nil {
		t.Fatal(err)
	}
	c := got.Container
	if *c.CPU != 512 || *c.Memory != 512 || got.Min != 1 || got.Max != 1 {
		t.Errorf("cpu %d memory %d min %d max %d; want 512 (500m) 512 1 1", *c.CPU, *c.Memory, got.Min, got.Max)
	}
	if c.HealthCheck != nil || c.ExposedPorts != nil || c.Command != nil || c.EntryPoint != nil {
		t.Errorf("container = %+v", c)
	}
	if got.Echo.AutoDeploy || got.Echo.AutoPreview {
		t.Errorf("echo = %+v", got.Echo)
	}
	if got.MountPath != "" {
		t.Errorf("mount path %q without a storage, want none (no filesystem)", got.MountPath)
	}
}

func TestNoLimitIsBerthsMaximum(t *testing.T) {
	got, err := DecodeContainer([]byte(`{"name":"web","registry_id":"r","image_name":"nginx","tag":"1","max_running_instances":-1,"min_running_instances":0}`))
	if err != nil {
		t.Fatal(err)
	}
	if got.Min != 0 || got.Max != compose.MaxCapacity {
		t.Errorf("min, max = %d, %d", got.Min, got.Max)
	}
}

func TestExecProbeRunsItsCommand(t *testing.T) {
	got, err := DecodeContainer([]byte(`{"name":"web","registry_id":"r","image_name":"nginx","tag":"1",
		"healthchecks":{"readiness_probe":{"type":{"exec":{"command":["cat","/tmp/ready"]}},"initial_delay_seconds":0,"period_seconds":5,"timeout_seconds":2,"failure_threshold":1}}}`))
	if err != nil {
		t.Fatal(err)
	}
	hc := got.Container.HealthCheck
	if !reflect.DeepEqual(hc.Command, []string{"CMD", "cat", "/tmp/ready"}) || *hc.StartPeriod != 0 || *hc.Interval != 5 || *hc.Timeout != 2 || *hc.Retries != 1 {
		t.Errorf("health check = %+v", hc)
	}
}

func TestLivenessWinsOverReadiness(t *testing.T) {
	got, err := DecodeContainer([]byte(`{"name":"web","registry_id":"r","image_name":"nginx","tag":"1","healthchecks":{
		"readiness_probe":{"type":{"http":{"port":80,"path":"/ready","scheme":"HTTPS"}}},
		"liveness_probe":{"type":{"grpc":{"port":50051,"service":"health.v1"}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"CMD-SHELL", "grpc_health_probe -addr=127.0.0.1:50051 -connect-timeout=5s -rpc-timeout=5s -service='health.v1'"}
	if hc := got.Container.HealthCheck; !reflect.DeepEqual(hc.Command, want) || *hc.Interval != DefaultPeriod || *hc.Retries != DefaultFailureThreshold || *hc.StartPeriod != DefaultInitialDelay {
		t.Errorf("health check = %q %+v", hc.Command, hc)
	}
	got, err = DecodeContainer([]byte(`{"name":"web","registry_id":"r","image_name":"nginx","tag":"1","healthchecks":{
		"readiness_probe":{"type":{"http":{"port":80,"path":"/ready","scheme":"HTTPS"}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if cmd := got.Container.HealthCheck.Command[1]; !strings.Contains(cmd, "'https://127.0.0.1:80/ready'") {
		t.Errorf("readiness command = %q", cmd)
	}
}

func TestDefaultPortGoesFirst(t *testing.T) {
	got, err := DecodeContainer([]byte(`{"name":"web","registry_id":"r","image_name":"nginx","tag":"1","ports":[
		{"internal_port":9090,"protocol":"TCP","publicly_accessible":false},{"internal_port":8080,"is_default":true,"publicly_accessible":true}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Container.ExposedPorts, []int{8080, 9090}) {
		t.Errorf("ports = %v", got.Container.ExposedPorts)
	}
}

// Every rule of the dialect, and compose's under Qovery's names.
func TestRules(t *testing.T) {
	base := `"name":"web","registry_id":"r","image_name":"nginx","tag":"1"`
	probe := func(p string) string { return base + `,"healthchecks":{"liveness_probe":` + p + `}` }
	for body, want := range map[string]string{
		`"registry_id":"r","image_name":"nginx","tag":"1"`:                     "name",
		`"name":"web","image_name":"nginx","tag":"1"`:                          "registry_id",
		`"name":"web","registry_id":"r","tag":"1"`:                             "image_name",
		`"name":"web","registry_id":"r","image_name":"n"`:                      "tag",
		base + `,"tag":"1:2"`:                                                  "tag",
		`"name":"web","registry_id":"r","image_name":"nginx@sha256","tag":"1"`: "image_name",
		`"name":"web","registry_id":"r","image_name":"ngi nx","tag":"1"`:       "image_name",
		base + `,"cpu":0`:                     "cpu",
		base + `,"cpu":16001`:                 "cpu",
		base + `,"memory":5`:                  "memory",
		base + `,"memory":122881`:             "memory",
		base + `,"gpu":1`:                     "gpu",
		base + `,"min_running_instances":-1`:  "min_running_instances",
		base + `,"max_running_instances":0`:   "max_running_instances",
		base + `,"max_running_instances":101`: "max_running_instances",
		base + `,"min_running_instances":3`:   "min_running_instances",
		base + `,"storage":[{"type":"FAST_SSD","size":1,"mount_point":"/m"},{"type":"FAST_SSD","size":1,"mount_point":"/n"}]`: "storage",
		base + `,"storage":[{"type":"SLOW_HDD","size":1,"mount_point":"/m"}]`:                                                 "storage[0].type",
		base + `,"storage":[{"type":"FAST_SSD","size":0,"mount_point":"/m"}]`:                                                 "storage[0].size",
		base + `,"storage":[{"type":"FAST_SSD","size":1}]`:                                                                    "storage[0].mount_point",
		base + `,"storage":[{"type":"FAST_SSD","size":1,"mount_point":"/"}]`:                                                  "storage[0].mount_point",
		base + `,"storage":[{"type":"FAST_SSD","size":1,"mount_point":"/m/../n"}]`:                                            "storage[0].mount_point",
		base + `,"storage":[{"type":"FAST_SSD","size":1,"mount_point":"/m","id":"x"}]`:                                        "storage[0].id",
		base + `,"autoscaling":{"mode":"KEDA"}`:                                                                               "autoscaling",
		base + `,"ports":[{}]`:                                                                                                "ports[0].internal_port",
		base + `,"ports":[{"internal_port":0}]`:                                                                               "ports[0].internal_port",
		base + `,"ports":[{"internal_port":80},{"internal_port":80}]`:                                                         "ports[1].internal_port",
		base + `,"ports":[{"internal_port":80,"protocol":"SCTP"}]`:                                                            "ports[0].protocol",
		base + `,"ports":[{"internal_port":80,"protocol":"UDP","publicly_accessible":true}]`:                                  "ports[0].protocol",
		base + `,"ports":[{"internal_port":80,"external_port":70000}]`:                                                        "ports[0].external_port",
		base + `,"ports":[{"internal_port":80,"is_default":true},{"internal_port":81,"is_default":true}]`:                     "ports[1].is_default",
		base + `,"icon_uri":"icon.png"`:                                                                                       "icon_uri",
		base + `,"labels_groups":[{"id":"x"}]`:                                                                                "labels_groups[0].id",
		base + `,"annotations_groups":[{"id":"x"}]`:                                                                           "annotations_groups[0].id",
		base + `,"description":"` + strings.Repeat("d", 4097) + `"`:                                                           "description",
		probe(`{}`):                  "healthchecks.liveness_probe.type",
		probe(`{"type":{}}`):         "healthchecks.liveness_probe.type",
		probe(`{"type":{"tcp":{}}}`): "healthchecks.liveness_probe.type.tcp.port",
		probe(`{"type":{"tcp":{"port":1,"host":"a;b"}}}`):                                            "healthchecks.liveness_probe.type.tcp.host",
		probe(`{"type":{"http":{"port":1,"path":"x"}}}`):                                             "healthchecks.liveness_probe.type.http.path",
		probe(`{"type":{"http":{"port":1,"scheme":"FTP"}}}`):                                         "healthchecks.liveness_probe.type.http.scheme",
		probe(`{"type":{"http":{"port":70000}}}`):                                                    "healthchecks.liveness_probe.type.http.port",
		probe(`{"type":{"exec":{"command":[]}}}`):                                                    "healthchecks.liveness_probe.type.exec.command",
		probe(`{"type":{"grpc":{"port":1,"service":"a b"}}}`):                                        "healthchecks.liveness_probe.type.grpc.service",
		probe(`{"type":{"tcp":{"port":1,"host":"` + strings.Repeat("h", 254) + `"}}}`):               "healthchecks.liveness_probe.type.tcp.host",
		probe(`{"type":{"grpc":{"port":1,"service":"` + strings.Repeat("s", 256) + `"}}}`):           "healthchecks.liveness_probe.type.grpc.service",
		probe(`{"type":{"exec":{"command":["x"]}},"success_threshold":2}`):                           "healthchecks.liveness_probe.success_threshold",
		probe(`{"type":{"exec":{"command":["x"]}},"period_seconds":4}`):                              "healthchecks.liveness_probe.period_seconds",
		probe(`{"type":{"exec":{"command":["x"]}},"period_seconds":301}`):                            "healthchecks.liveness_probe.period_seconds",
		probe(`{"type":{"exec":{"command":["x"]}},"timeout_seconds":1}`):                             "healthchecks.liveness_probe.timeout_seconds",
		probe(`{"type":{"exec":{"command":["x"]}},"timeout_seconds":61}`):                            "healthchecks.liveness_probe.timeout_seconds",
		probe(`{"type":{"exec":{"command":["x"]}},"failure_threshold":0}`):                           "healthchecks.liveness_probe.failure_threshold",
		probe(`{"type":{"exec":{"command":["x"]}},"failure_threshold":11}`):                          "healthchecks.liveness_probe.failure_threshold",
		probe(`{"type":{"exec":{"command":["x"]}},"initial_delay_seconds":301}`):                     "healthchecks.liveness_probe.initial_delay_seconds",
		base + `,"healthchecks":{"readiness_probe":{"type":{"tcp":{"port":1}}},"liveness_probe":{}}`: "healthchecks.liveness_probe.type",
		base + `,"cpu":"1"`: "cpu",
		`"name":1`:          "name",
	} {
		_, err := DecodeContainer([]byte("{" + body + "}"))
		if got := fields(t, err); !reflect.DeepEqual(got, []string{want}) {
			t.Errorf("%s:\n fields = %v, want [%s] (%v)", body, got, want, err)
		}
	}
}

func TestEnvironmentRules(t *testing.T) {
	for body, want := range map[string]string{`{}`: "name", `{"name":"Bad Name"}`: "name", `{"name":"staging","mode":"TEST"}`: "mode", `[]`: "body"} {
		_, err := DecodeEnvironment([]byte(body))
		if got := fields(t, err); !reflect.DeepEqual(got, []string{want}) {
			t.Errorf("%s: fields = %v, want [%s]", body, got, want)
		}
	}
	r, err := DecodeEnvironment([]byte(`{"name":"staging","mode":"STAGING","cluster":"c"}`))
	if err != nil || *r.Name != "staging" || *r.Mode != "STAGING" {
		t.Errorf("= %+v, %v", r, err)
	}
}

func TestCheckID(t *testing.T) {
	if err := CheckID("containerId", "3c90c3cc-0d44-4b50-8888-8dd25736052a"); err != nil {
		t.Error(err)
	}
	if got := fields(t, CheckID("containerId", "web")); !reflect.DeepEqual(got, []string{"containerId"}) {
		t.Errorf("fields = %v", got)
	}
}

// FuzzDecodeContainer: no input panics, and accepted input gives a
// container compose accepts, within Qovery's and Fargate's bounds.
func FuzzDecodeContainer(f *testing.F) {
	f.Add(encode(f, supported(f)))
	f.Add(encode(f, reference(f)))
	f.Add([]byte(`{"name":"web","registry_id":"r","image_name":"nginx","tag":"1","max_running_instances":-1}`))
	f.Add([]byte(`{"name":"w","registry_id":"r","image_name":"a","tag":"b","healthchecks":{"readiness_probe":{"type":{"exec":{"command":["'"]}}}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := DecodeContainer(body)
		if err != nil {
			var errs validation.Errors
			if !asErrors(err, &errs) || len(errs) == 0 {
				t.Fatalf("error %T %v is not a validation error naming a field", err, err)
			}
			return
		}
		if got.Name == "" || got.Container.ImageReference == nil || got.Min < 0 || got.Max < 1 || got.Min > got.Max {
			t.Fatalf("accepted %+v", got)
		}
		d := compose.Definition{Containers: []compose.Container{got.Container}, MinCapacity: &got.Min, MaxCapacity: &got.Max}
		d.Containers[0].Name = "web"
		errs := validation.Errors{}
		d.Normalize(compose.Context{}, errs, "")
		if len(errs) > 0 {
			t.Fatalf("accepted a container compose refuses: %v", errs)
		}
	})
}

// FuzzDecodeEnvironment: no panic; accepted input has a name.
func FuzzDecodeEnvironment(f *testing.F) {
	f.Add([]byte(`{"name":"staging","mode":"STAGING"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := DecodeEnvironment(body)
		if err == nil && (r.Name == nil || *r.Name == "") {
			t.Fatalf("accepted %s without a name", body)
		}
	})
}
