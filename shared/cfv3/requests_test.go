package cfv3

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/compose"
	"github.com/berth-dev/berth/shared/dialect"
	"github.com/berth-dev/berth/shared/validation"
)

// pageRequest is the reference page's body, exactly.
const pageRequest = `{"name":"my_app","environment_variables":{"open":"source"},"lifecycle":{"type":"buildpack","data":{"stack":null,"buildpack":"name-605"}},"relationships":{"space":{"guid":"79f47dbb-632e-41f3-9379-bae08e0abd70"}}}`

func TestPageRequestTranslates(t *testing.T) {
	r, err := DecodeApp([]byte(pageRequest))
	if err != nil {
		t.Fatal(err)
	}
	if r.SpaceGUID() != "79f47dbb-632e-41f3-9379-bae08e0abd70" {
		t.Fatalf("space guid %q", r.SpaceGUID())
	}
	spec, err := r.Spec()
	if err != nil {
		t.Fatal(err)
	}
	one, mem, src := 1, DefaultMemory, "source"
	want := dialect.Spec{
		Name: "my_app", Field: "name",
		Container: compose.Container{
			ImageReference: &compose.ImageReference{Type: compose.ImageExternal, Identifier: "buildpack.berth.invalid/cflinuxfs4:name-605"},
			Memory:         &mem, ExposedPorts: []int{DefaultPort},
		},
		Variables:   []compose.EnvVar{{Name: "open", Value: &src}},
		MinCapacity: &one, MaxCapacity: &one, Started: false,
	}
	if !reflect.DeepEqual(spec, want) {
		t.Fatalf("spec\n%+v\nwant\n%+v", spec, want)
	}
	w := workload(spec.Container)
	w.Env.Variables = spec.Variables
	v := appView(w)
	if v.Lifecycle.Type != LifecycleBuildpack || v.Lifecycle.Data["buildpack"] != "name-605" || v.Lifecycle.Data["stack"] != DefaultStack {
		t.Fatalf("lifecycle %+v", v.Lifecycle)
	}
	if v.State != StateStopped || v.DesiredState != StateStopped || v.TotalDesiredInstances != 0 || v.EnvironmentVariables["open"] != "source" {
		t.Fatalf("view %+v", v)
	}
}

func workload(c compose.Container) dialect.Workload {
	c.Name = "my-app"
	w := dialect.Workload{
		App: apps.Application{Organisation: "acme", Name: "my-app", Label: "my_app"},
		Env: apps.Environment{Name: "dev", Compose: compose.Definition{Containers: []compose.Container{c}}},
	}
	w.Env.Stopped, w.Env.StoppedCount = true, 1
	return w
}

func TestDefaults(t *testing.T) {
	r, err := DecodeApp([]byte(`{"name":"web","relationships":{"space":{"data":{"guid":"s"}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	spec, err := r.Spec()
	if err != nil {
		t.Fatal(err)
	}
	if *spec.Container.Memory != 1024 || *spec.MinCapacity != 1 || *spec.MaxCapacity != 1 || spec.Started ||
		spec.Container.ImageReference.Identifier != Placeholder+"/"+DefaultStack || len(spec.Variables) != 0 ||
		!reflect.DeepEqual(spec.Container.ExposedPorts, []int{8080}) {
		t.Fatalf("defaults %+v", spec)
	}
	p := processView(workload(spec.Container))
	if p.Instances != 1 || p.MemoryInMB != 1024 || p.DiskInMB != DiskLimit || p.Type != "web" || p.HealthCheck.Type != "port" || p.Command != nil {
		t.Fatalf("process %+v", p)
	}
	lc := lifecycle(workload(spec.Container))
	if lc.Type != LifecycleBuildpack || !reflect.DeepEqual(lc.Data["buildpacks"], []string{}) || lc.Data["buildpack"] != nil {
		t.Fatalf("lifecycle %+v", lc)
	}
}

func TestDockerLifecycle(t *testing.T) {
	r, err := DecodeApp([]byte(`{"name":"web","lifecycle":{"type":"docker","data":{"image":"nginx:1.27"}},"relationships":{"space":{"data":{"guid":"s"}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	spec, err := r.Spec()
	if err != nil {
		t.Fatal(err)
	}
	if spec.Container.ImageReference.Identifier != "nginx:1.27" {
		t.Fatalf("image %+v", spec.Container.ImageReference)
	}
	w := workload(spec.Container)
	if lc := lifecycle(w); lc.Type != LifecycleDocker || lc.Data["image"] != "nginx:1.27" {
		t.Fatalf("lifecycle %+v", lc)
	}
	if err := startable(w); err != nil {
		t.Fatalf("a docker app is refused a start: %v", err)
	}
}

func TestBuildpackStartRefused(t *testing.T) {
	r, _ := DecodeApp([]byte(pageRequest))
	spec, _ := r.Spec()
	err := startable(workload(spec.Container))
	var ref *dialect.Refusal
	if !asRefusal(err, &ref) || ref.Status != 422 || ref.Slug != SlugUnprocessable ||
		!strings.Contains(ref.Detail, "not supported by Berth") || !strings.Contains(ref.Detail, `"type":"docker"`) || !strings.Contains(ref.Detail, "name-605") {
		t.Fatalf("start of a buildpack app: %v", err)
	}
}

func asRefusal(err error, r **dialect.Refusal) bool {
	x, ok := err.(*dialect.Refusal)
	*r = x
	return ok
}

// fieldsOf is the fields a validation error names.
func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	errs, ok := err.(validation.Errors)
	if !ok {
		t.Fatalf("not a validation error: %v", err)
	}
	return errs.Fields()
}

func TestCreateRules(t *testing.T) {
	cases := map[string]struct{ body, field string }{
		"no name":                 {`{"relationships":{"space":{"data":{"guid":"s"}}}}`, "name"},
		"empty name":              {`{"name":"","relationships":{"space":{"data":{"guid":"s"}}}}`, "name"},
		"no space":                {`{"name":"a"}`, "relationships.space.data.guid"},
		"no lifecycle type":       {`{"name":"a","lifecycle":{"data":{}},"relationships":{"space":{"guid":"s"}}}`, "lifecycle.type"},
		"other lifecycle":         {`{"name":"a","lifecycle":{"type":"cnb","data":{}},"relationships":{"space":{"guid":"s"}}}`, "lifecycle.type"},
		"no lifecycle data":       {`{"name":"a","lifecycle":{"type":"buildpack"},"relationships":{"space":{"guid":"s"}}}`, "lifecycle.data"},
		"docker no image":         {`{"name":"a","lifecycle":{"type":"docker","data":{}},"relationships":{"space":{"guid":"s"}}}`, "lifecycle.data.image"},
		"docker placeholder":      {`{"name":"a","lifecycle":{"type":"docker","data":{"image":"buildpack.berth.invalid/x"}},"relationships":{"space":{"guid":"s"}}}`, "lifecycle.data.image"},
		"two buildpacks":          {`{"name":"a","lifecycle":{"type":"buildpack","data":{"buildpacks":["a","b"]}},"relationships":{"space":{"guid":"s"}}}`, "lifecycle.data.buildpacks"},
		"buildpack URL":           {`{"name":"a","lifecycle":{"type":"buildpack","data":{"buildpacks":["https://github.com/x/y.git"]}},"relationships":{"space":{"guid":"s"}}}`, "lifecycle.data.buildpacks"},
		"bad stack":               {`{"name":"a","lifecycle":{"type":"buildpack","data":{"stack":"-x"}},"relationships":{"space":{"guid":"s"}}}`, "lifecycle.data.stack"},
		"PORT variable":           {`{"name":"a","environment_variables":{"PORT":"1"},"relationships":{"space":{"guid":"s"}}}`, "environment_variables.PORT"},
		"VCAP_ variable":          {`{"name":"a","environment_variables":{"VCAP_X":"1"},"relationships":{"space":{"guid":"s"}}}`, "environment_variables.VCAP_X"},
		"object variable":         {`{"name":"a","environment_variables":{"X":{}},"relationships":{"space":{"guid":"s"}}}`, "environment_variables.X"},
		"name of wrong type":      {`{"name":1,"relationships":{"space":{"guid":"s"}}}`, "name"},
		"lifecycle not an object": {`{"name":"a","lifecycle":"docker","relationships":{"space":{"guid":"s"}}}`, "lifecycle"},
		"not JSON":                {`{"name":`, "body"},
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
}

func TestVariablesAtCreate(t *testing.T) {
	r, _ := DecodeApp([]byte(`{"name":"a","environment_variables":{"N":3,"B":true,"S":"x","GONE":null},"relationships":{"space":{"guid":"s"}}}`))
	spec, err := r.Spec()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, v := range spec.Variables {
		got[v.Name] = *v.Value
	}
	if !reflect.DeepEqual(got, map[string]string{"N": "3", "B": "true", "S": "x"}) {
		t.Fatalf("variables %v", got)
	}
}

func TestMergeVariables(t *testing.T) {
	a, b := "1", "2"
	cur := []compose.EnvVar{{Name: "KEEP", Value: &a}, {Name: "DROP", Value: &b}, {Name: "CHANGE", Value: &a}}
	var r VarsRequest
	if err := json.Unmarshal([]byte(`{"var":{"DROP":null,"CHANGE":"3","NEW":"4","ABSENT":null}}`), &r); err != nil {
		t.Fatal(err)
	}
	out, err := r.Merge(cur)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, v := range out {
		got[v.Name] = *v.Value
	}
	if !reflect.DeepEqual(got, map[string]string{"KEEP": "1", "CHANGE": "3", "NEW": "4"}) {
		t.Fatalf("merged %v", got)
	}
	if _, err := (VarsRequest{}).Merge(cur); !reflect.DeepEqual(fieldsOf(t, err), []string{"var"}) {
		t.Fatalf("no var: %v", err)
	}
	bad := map[string]any{"PORT": "1"}
	if _, err := (VarsRequest{Var: &bad}).Merge(cur); !reflect.DeepEqual(fieldsOf(t, err), []string{"var.PORT"}) {
		t.Fatalf("PORT: %v", err)
	}
}

func TestScale(t *testing.T) {
	n, m := 3, 512
	ch, err := ScaleRequest{Instances: &n, MemoryInMB: &m}.Change()
	if err != nil || ch == nil {
		t.Fatal(ch, err)
	}
	d := compose.Definition{Containers: []compose.Container{{Name: "a"}}}
	if err := ch.Edit(&d, &d.Containers[0]); err != nil {
		t.Fatal(err)
	}
	if *d.MinCapacity != 3 || *d.MaxCapacity != 3 || *d.Containers[0].Memory != 512 {
		t.Fatalf("scaled %+v", d)
	}
	zero := 0
	disk := 2048
	if ch, err := (ScaleRequest{DiskInMB: &disk}).Change(); ch != nil || err != nil {
		t.Fatalf("a disk within Fargate's changes something: %v %v", ch, err)
	}
	big := DiskLimit + 1
	for name, r := range map[string]ScaleRequest{"instances": {Instances: &zero}, "memory_in_mb": {MemoryInMB: &zero}, "disk_in_mb": {DiskInMB: &big}} {
		if _, err := r.Change(); !reflect.DeepEqual(fieldsOf(t, err), []string{name}) {
			t.Fatalf("%s: %v", name, err)
		}
	}
}

func TestUpdateLifecycle(t *testing.T) {
	r, _ := DecodeApp([]byte(pageRequest))
	spec, _ := r.Spec()
	bp := workload(spec.Container)
	up, _ := DecodeApp([]byte(`{"lifecycle":{"type":"docker","data":{"image":"nginx:1.27"}}}`))
	ch, err := up.Change(bp)
	if err != nil || ch == nil {
		t.Fatal(ch, err)
	}
	c := bp.Container()
	if err := ch.Edit(&bp.Env.Compose, &c); err != nil || c.ImageReference.Identifier != "nginx:1.27" {
		t.Fatalf("edit %v %+v", err, c.ImageReference)
	}
	docker := workload(compose.Container{ImageReference: &compose.ImageReference{Type: compose.ImageExternal, Identifier: "nginx"}})
	back, _ := DecodeApp([]byte(`{"lifecycle":{"type":"buildpack","data":{}}}`))
	if _, err := back.Change(docker); !reflect.DeepEqual(fieldsOf(t, err), []string{"lifecycle.type"}) {
		t.Fatalf("docker to buildpack: %v", err)
	}
	rename, _ := DecodeApp([]byte(`{"name":"other"}`))
	if _, err := rename.Change(docker); !reflect.DeepEqual(fieldsOf(t, err), []string{"name"}) {
		t.Fatalf("rename: %v", err)
	}
	same, _ := DecodeApp([]byte(`{"name":"my_app"}`))
	if ch, err := same.Change(docker); ch != nil || err != nil {
		t.Fatalf("same name: %v %v", ch, err)
	}
}

func TestSpaceRules(t *testing.T) {
	for body, field := range map[string]string{
		`{"relationships":{"organization":{"data":{"guid":"o"}}}}`: "name",
		`{"name":"dev"}`: "relationships.organization.data.guid",
		`{"name":"dev","relationships":{"organization":{"data":{}}}}`: "relationships.organization.data.guid",
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
	_ = dialect.Decode([]byte(`{"name":"dev","relationships":{"organization":{"data":{"guid":"o"}}}}`), &r)
	if name, org, err := r.Check(); name != "dev" || org != "o" || err != nil {
		t.Fatal(name, org, err)
	}
}

func TestRenameNamesCFFields(t *testing.T) {
	vars := []compose.EnvVar{{Name: "A"}, {Name: "bad-name"}}
	got := rename(validation.Errors{
		"environment[1].name":                                       {"must match"},
		"composeDefinition.containers[0].memory":                    {"must be at least 6 MiB"},
		"composeDefinition.minCapacity":                             {"must be between 0 and 100"},
		"composeDefinition.containers[0].imageReference.identifier": {"must be an image name"},
	}, specFields(dialect.Spec{Variables: vars}))
	want := []string{"environment_variables.bad-name", "instances", "lifecycle.data.image", "memory_in_mb"}
	if f := fieldsOf(t, got); !reflect.DeepEqual(f, want) {
		t.Fatalf("fields %v, want %v", f, want)
	}
}

func TestJobGUID(t *testing.T) {
	w := workload(compose.Container{})
	org, app, env, ok := jobTarget(JobGUID(w))
	if !ok || org != "acme" || app != "my-app" || env != "dev" {
		t.Fatal(org, app, env, ok)
	}
	for _, g := range []string{"", "x", "app-delete~!!", "app-delete~" + "YQ", "app-delete~YQBiAA"} {
		if _, _, _, ok := jobTarget(g); ok {
			t.Fatalf("%q read as a job", g)
		}
	}
}
