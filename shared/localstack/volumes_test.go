package localstack_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/berth-dev/berth/shared/cloud"
)

// accessPoint reports whether the sandbox holds an access point of that id.
func (w *twin) accessPoint(id string) bool {
	for _, r := range w.stack.Sandbox.Resources() {
		if r.Kind == cloud.KindAccessPoint && r.ID == id && r.State != cloud.StateDeleting {
			return true
		}
	}
	return false
}

// TestVolumes is issue 15's "done when" for volumes, against the real
// handlers, store, deploy workflow and sandbox: a volume is created,
// listed, fetched, mounted by a deployment, refused deletion while
// mounted, and deleted; bad requests are refused naming their field, and
// teardown leaves no access point.
func TestVolumes(t *testing.T) {
	w := startTwin(t, jobsProfile(), false)
	app := map[string]any{"appName": "web", "filesystem": map[string]any{"required": true, "mountPath": "/data"},
		"composeDefinition": map[string]any{"containers": []map[string]any{{
			"name": "web", "imageReference": map[string]any{"type": "external", "identifier": "nginx:1.27"}, "exposedPorts": []int{80}}}}}
	if code, out := w.call(http.MethodPost, "/applications", app); code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, out)
	}
	w.waitFor("/applications/web", "ACTIVE")
	const vols = "/applications/web/environments/production/volumes"

	// Created, then asked for again: the same volume, no second access point.
	body := map[string]any{"volumeName": "uploads", "description": "User uploads"}
	code, _, v := w.send(http.MethodPost, vols, body, nil)
	if code != http.StatusCreated || v["volumeId"] != "uploads" || v["rootDirectory"] != "/_volumes/production/uploads" ||
		!strings.HasPrefix(v["accessPointId"].(string), "fsap-") || !strings.Contains(v["accessPointArn"].(string), ":access-point/"+v["accessPointId"].(string)) ||
		v["environmentEfsId"] == "" || v["createdAt"] == nil {
		t.Fatalf("POST volume: %d %v", code, v)
	}
	ap := v["accessPointId"].(string)
	if !w.accessPoint(ap) {
		t.Fatalf("the sandbox has no access point %s", ap)
	}
	if code, _, again := w.send(http.MethodPost, vols, body, nil); code != http.StatusOK || again["accessPointId"] != ap {
		t.Fatalf("POST the same volume again: %d %v", code, again)
	}
	if n := countAccessPoints(w); n != 2 { // the environment's own and uploads
		t.Fatalf("%d access points in the sandbox, want 2", n)
	}

	// Listed, fetched, and shown on the environment after its data volume.
	if code, list := w.listOf(vols); code != http.StatusOK || len(list) != 1 || list[0].(map[string]any)["volumeName"] != "uploads" {
		t.Fatalf("GET volumes: %d %v", code, list)
	}
	if code, got := w.call(http.MethodGet, vols+"/uploads", nil); code != http.StatusOK || got["accessPointId"] != ap || got["description"] != "User uploads" {
		t.Fatalf("GET volume: %d %v", code, got)
	}
	_, env := w.call(http.MethodGet, "/applications/web/environments/production", nil)
	if names := volumeNames(env["volumes"]); strings.Join(names, ",") != "data,uploads" {
		t.Fatalf("environment volumes %v, want data,uploads", names)
	}

	// Bad requests, each a 400 or 409 naming the rule, changing nothing.
	for _, bad := range []struct {
		body   map[string]any
		status int
		field  string
		detail string
	}{
		{map[string]any{"volumeName": "uploads", "rootDirectory": "/_volumes/production/elsewhere"}, http.StatusConflict, "", "already exists"},
		{map[string]any{"volumeName": "data"}, http.StatusBadRequest, "volumeName", "application filesystem's own volume"},
		{map[string]any{}, http.StatusBadRequest, "volumeName", "is required"},
		{map[string]any{"volumeName": "bad name"}, http.StatusBadRequest, "volumeName", "must be 1 to 64 characters"},
		{map[string]any{"volumeName": "escape", "rootDirectory": "/staging/escape"}, http.StatusBadRequest, "rootDirectory", "under /_volumes/production/"},
		{map[string]any{"volumeName": "escape", "rootDirectory": "/_volumes/production/../staging"}, http.StatusBadRequest, "rootDirectory", "under /_volumes/production/"},
		{map[string]any{"volumeName": "deep", "rootDirectory": "/_volumes/production/a/b/c"}, http.StatusBadRequest, "rootDirectory", "at most 4 components"},
		{map[string]any{"volumeName": "long", "description": strings.Repeat("x", 1025)}, http.StatusBadRequest, "description", "at most 1024 characters"},
	} {
		code, _, out := w.send(http.MethodPost, vols, bad.body, nil)
		detail, _ := out["detail"].(string)
		if bad.field != "" {
			errs, _ := out["errors"].(map[string]any)
			msgs, _ := errs[bad.field].([]any)
			if len(msgs) > 0 {
				detail = msgs[0].(string)
			}
		}
		if code != bad.status || !strings.Contains(detail, bad.detail) {
			t.Errorf("POST %v: %d %v, want %d naming %q", bad.body, code, out, bad.status, bad.detail)
		}
	}
	if n := countAccessPoints(w); n != 2 {
		t.Errorf("%d access points after refused creates, want 2", n)
	}

	// A deployment mounts it (the sandbox refuses a task definition whose
	// mounts name an undeclared volume, as ECS does), and it cannot be
	// deleted while mounted.
	mounted := map[string]any{"containers": []map[string]any{{"name": "web", "imageReference": map[string]any{"type": "external", "identifier": "nginx:1.27"},
		"exposedPorts": []int{80}, "mountPoints": []map[string]any{{"sourceVolume": "uploads", "containerPath": "/var/uploads"}}}}}
	w.change(http.MethodPut, "/applications/web/environments/production", map[string]any{"composeDefinition": mounted}, "SUCCEEDED")
	if code, _, out := w.send(http.MethodDelete, vols+"/uploads", nil, nil); code != http.StatusConflict || !strings.Contains(out["detail"].(string), "mounted by container web") {
		t.Fatalf("DELETE a mounted volume: %d %v", code, out)
	}
	// A mount of a volume that does not exist is refused before any deployment.
	ghost := map[string]any{"containers": []map[string]any{{"name": "web", "imageReference": map[string]any{"type": "external", "identifier": "nginx:1.27"},
		"mountPoints": []map[string]any{{"sourceVolume": "ghost", "containerPath": "/ghost"}}}}}
	if code, _, out := w.send(http.MethodPut, "/applications/web/environments/production", map[string]any{"composeDefinition": ghost}, nil); code != http.StatusBadRequest ||
		!strings.Contains(out["detail"].(string)+strings.Join(fieldMessages(out), " "), "must name an existing volume") {
		t.Fatalf("PUT a mount of no volume: %d %v", code, out)
	}

	// Unmounted, it is deleted: gone from the list and from the sandbox.
	unmounted := map[string]any{"containers": []map[string]any{{"name": "web", "imageReference": map[string]any{"type": "external", "identifier": "nginx:1.27"}, "exposedPorts": []int{80}}}}
	w.change(http.MethodPut, "/applications/web/environments/production", map[string]any{"composeDefinition": unmounted}, "SUCCEEDED")
	if code, _, out := w.send(http.MethodDelete, vols+"/uploads", nil, nil); code != http.StatusNoContent {
		t.Fatalf("DELETE volume: %d %v", code, out)
	}
	if w.accessPoint(ap) {
		t.Errorf("access point %s is still in the sandbox", ap)
	}
	if code, list := w.listOf(vols); code != http.StatusOK || len(list) != 0 {
		t.Fatalf("GET volumes after delete: %d %v", code, list)
	}
	if code, _ := w.call(http.MethodGet, vols+"/uploads", nil); code != http.StatusNotFound {
		t.Errorf("GET a deleted volume: %d", code)
	}

	// An application without a filesystem has no volumes to make.
	plain := map[string]any{"appName": "plain", "composeDefinition": map[string]any{"containers": []map[string]any{{
		"name": "web", "imageReference": map[string]any{"type": "external", "identifier": "nginx:1.27"}}}}}
	if code, out := w.call(http.MethodPost, "/applications", plain); code != http.StatusCreated {
		t.Fatalf("create plain: %d %v", code, out)
	}
	w.waitFor("/applications/plain", "ACTIVE")
	if code, _, out := w.send(http.MethodPost, "/applications/plain/environments/production/volumes", map[string]any{"volumeName": "x"}, nil); code != http.StatusConflict ||
		!strings.Contains(out["detail"].(string), "has no filesystem") {
		t.Errorf("POST a volume without a filesystem: %d %v", code, out)
	}

	// Teardown deletes a volume's access point with the environment's.
	if code, _, out := w.send(http.MethodPost, vols, map[string]any{"volumeName": "cache"}, nil); code != http.StatusCreated {
		t.Fatalf("POST cache: %d %v", code, out)
	}
	if code, out := w.call(http.MethodDelete, "/applications/web", nil); code != http.StatusAccepted {
		t.Fatalf("DELETE app: %d %v", code, out)
	}
	w.waitFor("/applications/web", "GONE")
	if n := countAccessPoints(w); n != 0 {
		t.Errorf("%d access points left after teardown: %v", n, w.leftovers())
	}
}

func countAccessPoints(w *twin) int {
	n := 0
	for _, r := range w.stack.Sandbox.Resources() {
		if r.Kind == cloud.KindAccessPoint && r.State != cloud.StateDeleting {
			n++
		}
	}
	return n
}

func volumeNames(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, x := range list {
		out = append(out, x.(map[string]any)["volumeName"].(string))
	}
	return out
}

// fieldMessages are a problem's field errors, flattened.
func fieldMessages(problem map[string]any) []string {
	var out []string
	errs, _ := problem["errors"].(map[string]any)
	for _, v := range errs {
		for _, m := range v.([]any) {
			out = append(out, m.(string))
		}
	}
	return out
}
