package cfv2

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/berth-dev/berth/shared/compose"
	"github.com/berth-dev/berth/shared/dialect"
	"github.com/berth-dev/berth/shared/validation"
)

// refusedByField: a decoder's error is a validation error naming at least
// one field, as every refusal of a body must be.
func refusedByField(t *testing.T, err error) {
	t.Helper()
	var errs validation.Errors
	if !errors.As(err, &errs) || len(errs.Fields()) == 0 {
		t.Fatalf("refusal names no field: %v", err)
	}
}

// FuzzDecodeApp: no body panics; a refused one names a field; an accepted
// create is an app of one image, 1 to 100 instances, memory within
// Fargate's, ports in range and variables CF and Berth allow, whose view
// reads back its name, state, instances and memory.
func FuzzDecodeApp(f *testing.F) {
	f.Add([]byte(pageRequest))
	f.Add([]byte(`{"name":"a","space_guid":"s","docker_image":"nginx","memory":512,"instances":3,"state":"STARTED","ports":[80],"health_check_type":"http","health_check_http_endpoint":"/h","health_check_timeout":9}`))
	f.Add([]byte(`{"name":"a","space_guid":"s","docker_image":"nginx","environment_json":{"X":1,"Y":null,"Z":{"a":[true]}},"command":"run $PORT"}`))
	f.Add([]byte(`{"name":"a","space_guid":"s","docker_image":"nginx","docker_credentials":{"username":"u"},"disk_quota":99999}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := DecodeApp(body)
		if err != nil {
			refusedByField(t, err)
			return
		}
		spec, err := r.Spec()
		if err != nil {
			refusedByField(t, err)
			return
		}
		c := spec.Container
		n := *spec.MinCapacity
		if spec.Name == "" || *r.SpaceGUID == "" || c.ImageReference == nil || c.ImageReference.Identifier == "" || n < 1 || n > compose.MaxCapacity ||
			n != *spec.MaxCapacity || *c.Memory < 6 || *c.Memory > maxMemory || spec.Started != (r.State != nil && *r.State == StateStarted) {
			t.Fatalf("spec %+v", spec)
		}
		for _, p := range c.ExposedPorts {
			if p < 1 || p > 65535 {
				t.Fatalf("port %d", p)
			}
		}
		for _, v := range spec.Variables {
			if v.Value == nil || !envName.MatchString(v.Name) || strings.EqualFold(v.Name, "PORT") || strings.HasPrefix(strings.ToUpper(v.Name), "VCAP_") {
				t.Fatalf("variable %+v", v)
			}
		}
		a := appResource(workload(spec)).Entity
		if a.Name != spec.Name || a.Instances != n || a.Memory != *c.Memory || (a.State == StateStarted) != spec.Started {
			t.Fatalf("view %+v of %+v", a, spec)
		}
		if r.HealthCheckType != nil && *r.HealthCheckType == HealthHTTP && (a.HealthCheckType != HealthHTTP || a.HealthCheckHTTPEndpoint == nil) {
			t.Fatalf("http check not read back: %+v", a)
		}
	})
}

// FuzzUpdateApp: no body panics; an accepted update is a state alone (no
// change) or a change whose edit keeps capacity at 1 to 100 and min = max,
// and memory within Fargate's.
func FuzzUpdateApp(f *testing.F) {
	f.Add([]byte(`{"state":"STOPPED"}`))
	f.Add([]byte(`{"state":"STARTED","instances":2}`))
	f.Add([]byte(`{"instances":4,"memory":256,"ports":[80,81],"command":""}`))
	f.Add([]byte(`{"environment_json":{"A":"1"},"health_check_type":"port"}`))
	f.Add([]byte(`{"docker_image":"","name":"x"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := DecodeApp(body)
		if err != nil {
			refusedByField(t, err)
			return
		}
		ch, err := r.Change()
		if err != nil {
			refusedByField(t, err)
			return
		}
		if ch == nil {
			return
		}
		if r.State != nil {
			t.Fatalf("state %q changed with the configuration", *r.State)
		}
		one, mem := 1, 1024
		d := compose.Definition{MinCapacity: &one, MaxCapacity: &one, Containers: []compose.Container{{Name: "a",
			ImageReference: &compose.ImageReference{Type: compose.ImageExternal, Identifier: "nginx"}, Memory: &mem, ExposedPorts: []int{8080}}}}
		if err := ch.Edit(&d, &d.Containers[0]); err != nil {
			t.Fatal(err)
		}
		c := d.Containers[0]
		if *d.MinCapacity < 1 || *d.MinCapacity > compose.MaxCapacity || *d.MinCapacity != *d.MaxCapacity || *c.Memory < 6 || *c.Memory > maxMemory ||
			c.ImageReference == nil || c.ImageReference.Identifier == "" {
			t.Fatalf("edited %+v %+v", d, c)
		}
		if ch.Variables != nil {
			for _, v := range *ch.Variables {
				if v.Value == nil || !envName.MatchString(v.Name) {
					t.Fatalf("variable %+v", v)
				}
			}
		}
	})
}

// FuzzSpace: an accepted space names itself and an organization; a
// refused one names the field.
func FuzzSpace(f *testing.F) {
	f.Add([]byte(`{"name":"dev","organization_guid":"o"}`))
	f.Add([]byte(`{"name":""}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var r SpaceRequest
		if err := dialect.Decode(body, &r); err != nil {
			refusedByField(t, err)
			return
		}
		name, org, err := r.Check()
		if err != nil {
			refusedByField(t, err)
			return
		}
		if name == "" || org == "" {
			t.Fatalf("accepted %q in %q", name, org)
		}
	})
}

// FuzzQuery: no query string panics; a refused one is CF's bad query; an
// accepted one pages within the list, with links that read back.
func FuzzQuery(f *testing.F) {
	f.Add("page=2&results-per-page=1&order-direction=desc&q=name:b")
	f.Add("q=name%20IN%20a,b;space_guid:s&page=9223372036854775807")
	f.Add("results-per-page=100&page=1")
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := readQuery(dialect.Call{Query: v}, "name", "space_guid")
		if err != nil {
			var r *dialect.Refusal
			if !errors.As(err, &r) || r.Slug != SlugBadQuery || r.Status != 400 {
				t.Fatalf("refusal %v", err)
			}
			return
		}
		l := pageOf(q, "/v2/apps", listOf(7))
		if l.TotalResults != 7 || len(l.Resources) > q.perPage || l.TotalPages < 1 {
			t.Fatalf("page %+v", l)
		}
		for _, link := range []*string{l.PrevURL, l.NextURL} {
			if link == nil {
				continue
			}
			u, err := url.Parse(*link)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := readQuery(dialect.Call{Query: u.Query()}, "name", "space_guid"); err != nil {
				t.Fatalf("link %s does not read back: %v", *link, err)
			}
		}
	})
}
