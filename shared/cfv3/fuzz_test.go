package cfv3

import (
	"strings"
	"testing"

	"github.com/berth-dev/berth/shared/compose"
	"github.com/berth-dev/berth/shared/dialect"
)

// FuzzDecodeApp: no body panics; an accepted create is a STOPPED app with
// one container, whose image is the docker one or the placeholder, with
// CF's limits on its variables, and a lifecycle its view reads back.
func FuzzDecodeApp(f *testing.F) {
	f.Add([]byte(pageRequest))
	f.Add([]byte(`{"name":"a","lifecycle":{"type":"docker","data":{"image":"nginx"}},"relationships":{"space":{"data":{"guid":"s"}}}}`))
	f.Add([]byte(`{"name":"a","environment_variables":{"X":1,"Y":null},"relationships":{"space":{"guid":"s"}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := DecodeApp(body)
		if err != nil {
			return
		}
		spec, err := r.Spec()
		if err != nil {
			return
		}
		if spec.Started || spec.Name == "" || r.SpaceGUID() == "" || *spec.MinCapacity != 1 || *spec.MaxCapacity != 1 || *spec.Container.Memory != DefaultMemory {
			t.Fatalf("spec %+v", spec)
		}
		for _, v := range spec.Variables {
			if v.Value == nil || v.Name == "PORT" || strings.HasPrefix(v.Name, "VCAP_") {
				t.Fatalf("variable %+v", v)
			}
		}
		img := spec.Container.ImageReference.Identifier
		lc := lifecycle(workload(spec.Container))
		_, _, bp := placeholder(img)
		if bp != (lc.Type == LifecycleBuildpack) || img == "" || (bp && startable(workload(spec.Container)) == nil) {
			t.Fatalf("image %q, lifecycle %+v", img, lc)
		}
	})
}

// FuzzVars: an accepted PATCH keeps every name it does not null, and
// drops every one it does.
func FuzzVars(f *testing.F) {
	f.Add([]byte(`{"var":{"A":"1","KEEP":null}}`))
	f.Add([]byte(`{"var":{"B":true,"C":2.5}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var r VarsRequest
		if err := dialect.Decode(body, &r); err != nil {
			return
		}
		one := "1"
		cur := []compose.EnvVar{{Name: "KEEP", Value: &one}, {Name: "OTHER", Value: &one}}
		out, err := r.Merge(cur)
		if err != nil {
			return
		}
		got := map[string]bool{}
		for _, v := range out {
			got[v.Name] = true
			if v.Value == nil {
				t.Fatalf("nil value of %s", v.Name)
			}
		}
		for k, v := range *r.Var {
			if (v == nil) == got[k] {
				t.Fatalf("%s: sent %v, kept %v", k, v, got[k])
			}
		}
	})
}

// FuzzScale: an accepted scale asks for instances from 1 and a disk
// within Fargate's, and sets min = max capacity.
func FuzzScale(f *testing.F) {
	f.Add([]byte(`{"instances":2,"memory_in_mb":512,"disk_in_mb":1024}`))
	f.Add([]byte(`{"instances":0}`))
	f.Add([]byte(`{"instances":1,"disk_in_mb":20480}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var r ScaleRequest
		if err := dialect.Decode(body, &r); err != nil {
			return
		}
		ch, err := r.Change()
		if err != nil || ch == nil {
			return
		}
		d := compose.Definition{Containers: []compose.Container{{}}}
		if err := ch.Edit(&d, &d.Containers[0]); err != nil {
			t.Fatal(err)
		}
		if d.MinCapacity != nil && (*d.MinCapacity < 1 || *d.MinCapacity != *d.MaxCapacity) {
			t.Fatalf("capacity %d..%d", *d.MinCapacity, *d.MaxCapacity)
		}
		if m := d.Containers[0].Memory; m != nil && *m < 1 {
			t.Fatalf("memory %d", *m)
		}
	})
}

// FuzzSpace: an accepted space names itself and an organization.
func FuzzSpace(f *testing.F) {
	f.Add([]byte(`{"name":"dev","relationships":{"organization":{"data":{"guid":"o"}}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var r SpaceRequest
		if err := dialect.Decode(body, &r); err != nil {
			return
		}
		name, org, err := r.Check()
		if err == nil && (name == "" || org == "") {
			t.Fatalf("accepted %q in %q", name, org)
		}
	})
}
