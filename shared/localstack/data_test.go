package localstack_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/data"
	"github.com/berth-dev/berth/shared/localstack"
	"github.com/berth-dev/berth/shared/store"
)

// dataApp is an application with a MySQL database and a filesystem.
func dataApp(name string, database bool) map[string]any {
	app := map[string]any{"appName": name, "filesystem": map[string]any{"required": true, "mountPath": "/data"},
		"composeDefinition": map[string]any{"containers": []map[string]any{{
			"name": "web", "imageReference": map[string]any{"type": "external", "identifier": "nginx:1.27"}, "exposedPorts": []int{80}}}}}
	if database {
		app["database"] = map[string]any{"engine": "mysql", "instanceClass": "db.t4g.micro", "storageGb": 20}
	}
	return app
}

// waitOp polls path until its field status is one of want; it returns
// what it read last.
func (w *twin) waitOp(path string, status func(map[string]any) string, want ...string) map[string]any {
	w.t.Helper()
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		code, body := w.call(http.MethodGet, path, nil)
		if code == http.StatusOK {
			for _, s := range want {
				if status(body) == s {
					return body
				}
			}
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("GET %s: still %d %v, want %v", path, code, body, want)
		}
	}
}

// backupNamed finds a backup in a listBackups answer.
func backupNamed(list map[string]any, id string) map[string]any {
	backups, _ := list["backups"].([]any)
	for _, b := range backups {
		if m := b.(map[string]any); m["backupId"] == id {
			return m
		}
	}
	return map[string]any{}
}

// TestBackupsRestoresAndSyncs is issue 15's "done when" for data, against
// the real handlers, store, data-operation workflow, sandbox data tasks
// over real files, and the local S3 behind the real S3 client: a database
// backup completes and downloads; a restore puts the marker row back; a
// filesystem sync copies production's files into staging; each bad input
// is refused, naming its field or rule, and changes nothing.
func TestBackupsRestoresAndSyncs(t *testing.T) {
	w := startTwin(t, jobsProfile(), false)
	ctx := context.Background()
	tbl := &store.Table{Client: w.stack.Client, Name: w.stack.Table}
	for _, name := range []string{"shop", "static"} {
		if code, out := w.call(http.MethodPost, "/applications", dataApp(name, name == "shop")); code != http.StatusCreated {
			t.Fatalf("create %s: %d %v", name, code, out)
		}
	}
	w.waitFor("/applications/shop", "ACTIVE")
	w.waitFor("/applications/static", "ACTIVE")
	if code, out := w.call(http.MethodPost, "/applications/shop/environments", map[string]any{"envName": "staging"}); code != http.StatusCreated {
		t.Fatalf("create staging: %d %v", code, out)
	}
	w.waitFor("/applications/shop/environments/staging", "ACTIVE")
	app, envs, err := tbl.GetApplication(ctx, "acme", "shop")
	if err != nil {
		t.Fatal(err)
	}
	db := app.Outputs[apps.OutDatabaseIdentifier]
	if err := w.stack.Sandbox.SetMarker(db, "v1"); err != nil {
		t.Fatal(err)
	}
	const prod = "/applications/shop/environments/production"
	const staging = "/applications/shop/environments/staging"

	// A database backup completes, with its size, and downloads.
	code, started := w.call(http.MethodPost, prod+"/backups/database", map[string]any{"description": "before 2.0"})
	id, _ := started["backupId"].(string)
	if code != http.StatusAccepted || !strings.HasPrefix(id, "backup-") || started["status"] != "pending" {
		t.Fatalf("POST backup: %d %v", code, started)
	}
	// One data operation per environment: a second one while it runs is refused.
	if code, busy := w.call(http.MethodPost, prod+"/backups/filesystem", nil); code != http.StatusConflict || !strings.Contains(busy["detail"].(string), "one data operation") {
		t.Fatalf("a second backup while one runs: %d %v, want 409", code, busy)
	}
	list := w.waitOp(prod+"/backups/database", func(l map[string]any) string { s, _ := backupNamed(l, id)["status"].(string); return s }, "completed", "failed")
	b := backupNamed(list, id)
	if b["status"] != "completed" || b["size"].(float64) <= 0 || b["engine"] != "mysql" || b["description"] != "before 2.0" ||
		!strings.HasSuffix(b["s3Key"].(string), "/production/database/"+id+".sql.gz") || b["fileExists"] != true {
		t.Fatalf("the completed backup: %v", b)
	}
	code, dl := w.call(http.MethodGet, prod+"/backups/database/"+id+"/download", nil)
	if code != http.StatusOK || !strings.HasPrefix(dl["downloadUrl"].(string), w.stack.S3URL+"/") || dl["filename"] != "shop-production-"+id+".sql.gz" {
		t.Fatalf("download: %d %v", code, dl)
	}
	if exp, err := time.Parse(time.RFC3339, dl["expiresAt"].(string)); err != nil || time.Until(exp) > 15*time.Minute || time.Until(exp) < 14*time.Minute {
		t.Fatalf("the URL expires at %v (%v), want in 15 minutes", dl["expiresAt"], err)
	}
	res, err := http.Get(dl["downloadUrl"].(string))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || int64(len(raw)) != int64(b["size"].(float64)) {
		t.Fatalf("GET the download URL: %d, %d bytes, want %v", res.StatusCode, len(raw), b["size"])
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	dump, _ := io.ReadAll(zr)
	if !strings.Contains(string(dump), "VALUES ('v1')") {
		t.Fatalf("the dump holds no marker v1:\n%s", dump)
	}

	// A restore puts the backed-up marker back.
	if err := w.stack.Sandbox.SetMarker(db, "v2"); err != nil {
		t.Fatal(err)
	}
	code, restore := w.call(http.MethodPost, staging+"/backups/"+id+"/restore-database", map[string]any{"backupId": id, "acknowledgeDataloss": true})
	rid, _ := restore["restoreId"].(string)
	if code != http.StatusAccepted || !strings.HasPrefix(rid, "restore-") {
		t.Fatalf("POST restore-database: %d %v", code, restore)
	}
	got := w.waitOp(staging+"/restores/"+rid, func(r map[string]any) string { s, _ := r["status"].(string); return s }, "completed", "failed")
	if got["status"] != "completed" || got["backupId"] != id || got["envName"] != "staging" || got["completedAt"] == nil || got["errorMessage"] != nil {
		t.Fatalf("the restore: %v", got)
	}
	if m, err := w.stack.Sandbox.Marker(db); err != nil || m != "v1" {
		t.Fatalf("marker after the restore %q (%v), want v1", m, err)
	}

	// A filesystem sync copies production's files into staging, keeping
	// staging's others, and records its backup on production.
	prodDir, stagingDir := accessPointDir(t, w, envs, "production"), accessPointDir(t, w, envs, "staging")
	write(t, filepath.Join(prodDir, "uploads", "cat.jpg"), "meow")
	write(t, filepath.Join(stagingDir, "keep.txt"), "staging's own")
	write(t, filepath.Join(stagingDir, "uploads", "cat.jpg"), "an older cat")
	code, sync := w.call(http.MethodPost, staging+"/sync/filesystem", map[string]any{"sourceEnvironment": "production"})
	sid, _ := sync["syncId"].(string)
	if code != http.StatusAccepted || sync["sourceEnvironment"] != "production" || sync["targetEnvironment"] != "staging" {
		t.Fatalf("POST sync: %d %v", code, sync)
	}
	var done map[string]any
	for deadline := time.Now().Add(90 * time.Second); done == nil; time.Sleep(100 * time.Millisecond) {
		code, list := w.listOf(staging + "/sync/filesystem")
		for _, s := range list {
			if m := s.(map[string]any); code == http.StatusOK && m["syncId"] == sid && (m["status"] == "completed" || m["status"] == "failed") {
				done = m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sync did not finish: %v", list)
		}
	}
	if done["status"] != "completed" || done["completedAt"] == nil {
		t.Fatalf("the sync: %v", done)
	}
	if got := read(t, filepath.Join(stagingDir, "uploads", "cat.jpg")); got != "meow" {
		t.Fatalf("staging's cat.jpg is %q after the sync, want production's", got)
	}
	if got := read(t, filepath.Join(stagingDir, "keep.txt")); got != "staging's own" {
		t.Fatalf("staging's keep.txt is %q after the sync, want it kept", got)
	}
	_, fsList := w.call(http.MethodGet, prod+"/backups/filesystem", nil)
	if sb := backupNamed(fsList, done["backupId"].(string)); sb["status"] != "completed" || !strings.Contains(sb["description"].(string), sid) {
		t.Fatalf("the sync's backup on production: %v", fsList)
	}

	// Bad input: each refused, naming the field or rule.
	for _, bad := range []struct {
		method, path string
		body         any
		status       int
		says         string
	}{
		{http.MethodGet, prod + "/backups/tape", nil, http.StatusBadRequest, "database or filesystem"},
		{http.MethodPost, prod + "/backups/tape", nil, http.StatusBadRequest, "database or filesystem"},
		{http.MethodPost, "/applications/static/environments/production/backups/database", nil, http.StatusConflict, "has no database"},
		{http.MethodPost, "/applications/static/environments/production/backups/" + id + "/restore-database", map[string]any{"backupId": id, "acknowledgeDataloss": true}, http.StatusNotFound, "no environment of this application has a backup"},
		{http.MethodPost, staging + "/sync/filesystem", map[string]any{"sourceEnvironment": "staging"}, http.StatusBadRequest, "another environment than the target"},
		{http.MethodPost, staging + "/sync/database", map[string]any{"sourceEnvironment": "production"}, http.StatusConflict, "share application"},
		{http.MethodPost, staging + "/backups/" + id + "/restore-database", map[string]any{"backupId": id, "acknowledgeDataloss": false}, http.StatusBadRequest, "acknowledgeDataloss"},
		{http.MethodPost, staging + "/backups/" + id + "/restore-filesystem", map[string]any{"backupId": id, "acknowledgeDataloss": true}, http.StatusBadRequest, "restore-database"},
		{http.MethodGet, prod + "/backups/database?limit=0&order=up&createdAfter=yesterday&status=done", nil, http.StatusBadRequest, "limit"},
		{http.MethodGet, staging + "/restores/restore-20200101T000000Z-000000", nil, http.StatusNotFound, "no restore"},
	} {
		code, problem := w.call(bad.method, bad.path, bad.body)
		if text := strings.Join(append(append(fieldMessages(problem), fieldNames(problem)...), problem["detail"].(string)), " | "); code != bad.status || !strings.Contains(text, bad.says) {
			t.Errorf("%s %s: %d %q, want %d saying %q", bad.method, bad.path, code, text, bad.status, bad.says)
		}
	}
	if _, l := w.call(http.MethodGet, "/applications/static/environments/production/backups/database", nil); l["count"] != float64(0) {
		t.Fatalf("a refused backup left a record: %v", l)
	}

	// Deleted, the backup and its artefact are gone.
	if code, out := w.call(http.MethodDelete, prod+"/backups/database/"+id, nil); code != http.StatusOK || out["backupId"] != id {
		t.Fatalf("DELETE backup: %d %v", code, out)
	}
	if code, _ := w.call(http.MethodGet, prod+"/backups/database/"+id+"/download", nil); code != http.StatusNotFound {
		t.Fatalf("download of a deleted backup: %d, want 404", code)
	}
	if res, err := http.Get(dl["downloadUrl"].(string)); err != nil || res.StatusCode != http.StatusNotFound {
		t.Fatalf("the deleted artefact's URL: %v %v, want 404", res.StatusCode, err)
	}
}

// fieldNames are the fields a problem names.
func fieldNames(problem map[string]any) []string {
	var out []string
	errs, _ := problem["errors"].(map[string]any)
	for f := range errs {
		out = append(out, f)
	}
	return out
}

// accessPointDir is the sandbox folder of an environment's access point.
func accessPointDir(t *testing.T, w *twin, envs []apps.Environment, name string) string {
	t.Helper()
	for _, e := range envs {
		if e.Name == name {
			dir, err := w.stack.Sandbox.AccessPointDir(e.Outputs[apps.OutAccessPointID])
			if err != nil {
				t.Fatal(err)
			}
			return dir
		}
	}
	t.Fatalf("no environment %s", name)
	return ""
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestFailedDataOperationRecordsWhyAndFreesTheEnvironment: a restore whose
// artefact is gone fails in its task (exit code 1); the workflow stops
// nothing it cannot watch, records why on the restore, and frees the
// environment, so the next operation is accepted. A RunTask the cloud
// refuses fails the backup the same way.
func TestFailedDataOperationRecordsWhyAndFreesTheEnvironment(t *testing.T) {
	w := startTwin(t, jobsProfile(), false)
	if code, out := w.call(http.MethodPost, "/applications", dataApp("shop", true)); code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, out)
	}
	w.waitFor("/applications/shop", "ACTIVE")
	const prod = "/applications/shop/environments/production"
	_, started := w.call(http.MethodPost, prod+"/backups/database", nil)
	id := started["backupId"].(string)
	list := w.waitOp(prod+"/backups/database", func(l map[string]any) string { s, _ := backupNamed(l, id)["status"].(string); return s }, "completed", "failed")
	key := backupNamed(list, id)["s3Key"].(string)
	if err := os.Remove(filepath.Join(w.stack.Sandbox.ObjectsDir(), localstack.LocalBackupsBucket, filepath.FromSlash(key))); err != nil {
		t.Fatal(err)
	}

	_, restore := w.call(http.MethodPost, prod+"/backups/"+id+"/restore-database", map[string]any{"backupId": id, "acknowledgeDataloss": true})
	rid := restore["restoreId"].(string)
	got := w.waitOp(prod+"/restores/"+rid, func(r map[string]any) string { s, _ := r["status"].(string); return s }, "completed", "failed")
	why, _ := got["errorMessage"].(string)
	if got["status"] != "failed" || !strings.Contains(why, "exit code 1") || got["completedAt"] == nil {
		t.Fatalf("a restore of a missing artefact: %v", got)
	}

	// The environment is free again; a RunTask the cloud refuses fails the
	// next backup, with the cloud's reason.
	w.stack.Sandbox.Fault("RunTask", errors.New("sandbox RunTask: AccessDeniedException: not authorized to perform ecs:RunTask"))
	code, again := w.call(http.MethodPost, prod+"/backups/database", nil)
	if code != http.StatusAccepted {
		t.Fatalf("a backup after a failed restore: %d %v, want 202", code, again)
	}
	bid := again["backupId"].(string)
	list = w.waitOp(prod+"/backups/database", func(l map[string]any) string { s, _ := backupNamed(l, bid)["status"].(string); return s }, "completed", "failed")
	if b := backupNamed(list, bid); b["status"] != "failed" || !strings.Contains(b["error"].(string), "AccessDeniedException") {
		t.Fatalf("a backup whose task could not start: %v", b)
	}
	w.stack.Sandbox.Fault("RunTask", nil)
	if code, _ := w.call(http.MethodPost, prod+"/backups/database", nil); code != http.StatusAccepted {
		t.Fatalf("the environment stayed busy after a failed backup: %d", code)
	}
}

// serviceDesired is the sandbox service's desired task count, "" when it
// has none.
func serviceDesired(w *twin, name string) string {
	for _, r := range w.stack.Sandbox.Resources() {
		if r.Kind == cloud.KindService && r.Name == name {
			return r.Outputs[cloud.OutDesired]
		}
	}
	return ""
}

// restoreRunning: a sandbox data task restoring is not yet stopped.
func restoreRunning(w *twin) (seen, running bool) {
	for _, task := range w.stack.Sandbox.Tasks() {
		if len(task.Command) > 1 && task.Command[0] == "berth-data" && task.Command[1] == "restore" {
			seen = true
			running = running || task.Status != "STOPPED"
		}
	}
	return seen, running
}

// syncOf waits for the sync to finish and returns it.
func syncOf(w *twin, env, id string) map[string]any {
	w.t.Helper()
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		_, list := w.listOf(env + "/sync/filesystem")
		for _, s := range list {
			if m := s.(map[string]any); m["syncId"] == id && (m["status"] == "completed" || m["status"] == "failed") {
				return m
			}
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("the sync did not finish: %v", list)
		}
	}
}

// TestSyncStopsItsTargetWhileItRestores: a sync's target is stopped (its
// service at 0 tasks, its scaling bounds at 0) while the restore task
// runs, and started again at its count afterwards; when the sync fails
// after stopping it, compensation starts it again all the same. A change
// to the target while its sync runs, and a sync into an environment a
// deployment is rolling out, are refused.
func TestSyncStopsItsTargetWhileItRestores(t *testing.T) {
	w := startTwin(t, jobsProfile(), false)
	ctx := context.Background()
	tbl := &store.Table{Client: w.stack.Client, Name: w.stack.Table}
	if code, out := w.call(http.MethodPost, "/applications", dataApp("site", false)); code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, out)
	}
	w.waitFor("/applications/site", "ACTIVE")
	if code, out := w.call(http.MethodPost, "/applications/site/environments", map[string]any{"envName": "staging"}); code != http.StatusCreated {
		t.Fatalf("create staging: %d %v", code, out)
	}
	w.waitFor("/applications/site/environments/staging", "ACTIVE")
	_, envs, err := tbl.GetApplication(ctx, "acme", "site")
	if err != nil {
		t.Fatal(err)
	}
	var staging apps.Environment
	for _, e := range envs {
		if e.Name == "staging" {
			staging = e
		}
	}
	svc, count := staging.Outputs[apps.OutServiceName], fmt.Sprint(staging.DesiredCount)
	if svc == "" || staging.DesiredCount < 1 || serviceDesired(w, svc) != count {
		t.Fatalf("staging's service %q runs %q tasks, want %s", svc, serviceDesired(w, svc), count)
	}
	const path = "/applications/site/environments/staging"
	write(t, filepath.Join(accessPointDir(t, w, envs, "production"), "a.txt"), "production's")

	code, sync := w.call(http.MethodPost, path+"/sync/filesystem", map[string]any{"sourceEnvironment": "production"})
	if code != http.StatusAccepted {
		t.Fatalf("POST sync: %d %v", code, sync)
	}
	id := sync["syncId"].(string)
	sawStopped, sawRestore := false, false
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(time.Millisecond) {
		desired := serviceDesired(w, svc)
		_, running := restoreRunning(w)
		if running {
			sawRestore = true
			// Read again after: the count the restore ran under, not one before it started.
			if desired != "0" && serviceDesired(w, svc) != "0" {
				t.Fatalf("the restore task runs while staging's service wants %q tasks, want 0", desired)
			}
		}
		if desired == "0" && !sawStopped {
			sawStopped = true
			// A change to the target while the sync has it stopped is refused.
			code, busy := w.call(http.MethodPut, path+"/state", map[string]any{"action": "redeploy"})
			if code != http.StatusConflict || !strings.Contains(fmt.Sprint(busy["detail"]), "is the target of the filesystem sync "+id) {
				t.Fatalf("a redeploy of staging while its sync has it stopped: %d %v, want 409", code, busy)
			}
		}
		if seen, running := restoreRunning(w); seen && !running || time.Now().After(deadline) {
			break
		}
	}
	done := syncOf(w, path, id)
	if done["status"] != "completed" || !sawStopped || !sawRestore {
		t.Fatalf("the sync %v; staging seen stopped: %v; restore seen running: %v", done, sawStopped, sawRestore)
	}
	if got := serviceDesired(w, svc); got != count {
		t.Fatalf("staging's service wants %q tasks after the sync, want %s again", got, count)
	}
	if got := read(t, filepath.Join(accessPointDir(t, w, envs, "staging"), "a.txt")); got != "production's" {
		t.Fatalf("staging's a.txt is %q after the sync", got)
	}

	// A sync that fails once the target is stopped (its service cannot be
	// checked) starts it again, and says why.
	w.stack.Sandbox.Fault("Check:service", errors.New("sandbox Check: AccessDeniedException: not authorized to perform ecs:DescribeServices"))
	code, sync = w.call(http.MethodPost, path+"/sync/filesystem", map[string]any{"sourceEnvironment": "production"})
	if code != http.StatusAccepted {
		t.Fatalf("POST a second sync: %d %v", code, sync)
	}
	id = sync["syncId"].(string)
	sawStopped = false
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(time.Millisecond) {
		sawStopped = sawStopped || serviceDesired(w, svc) == "0"
		_, list := w.listOf(path + "/sync/filesystem")
		finished := false
		for _, s := range list {
			if m := s.(map[string]any); m["syncId"] == id && (m["status"] == "completed" || m["status"] == "failed") {
				finished = true
			}
		}
		if finished || time.Now().After(deadline) {
			break
		}
	}
	w.stack.Sandbox.Fault("Check:service", nil)
	done = syncOf(w, path, id)
	if why, _ := done["error"].(string); done["status"] != "failed" || !strings.Contains(fmt.Sprint(done), "AccessDeniedException") {
		t.Fatalf("a sync whose target could not be checked: %v (%q)", done, why)
	}
	if !sawStopped {
		t.Fatal("the failed sync never stopped staging's service")
	}
	if got := serviceDesired(w, svc); got != count {
		t.Fatalf("staging's service wants %q tasks after the failed sync, want %s again", got, count)
	}
	// The record says the sync stopped the target and started it again,
	// so that no retry or compensation starts it twice.
	op, err := tbl.GetOperation(ctx, staging, data.Ref{Type: data.TypeSync, Kind: data.KindFilesystem, ID: id})
	if err != nil || !op.TargetStopped || !op.TargetStarted {
		t.Fatalf("the failed sync's record: stopped %v, started %v (%v)", op.TargetStopped, op.TargetStarted, err)
	}

	// A sync into an environment that a deployment is rolling out is
	// refused: stopping and starting the target would race the rollout.
	code, h, out := w.send(http.MethodPut, path+"/state", map[string]any{"action": "redeploy"}, nil)
	if code != http.StatusAccepted {
		t.Fatalf("redeploy staging: %d %v", code, out)
	}
	if code, busy := w.call(http.MethodPost, path+"/sync/filesystem", map[string]any{"sourceEnvironment": "production"}); code != http.StatusConflict ||
		!strings.Contains(fmt.Sprint(busy["detail"]), "rolling out") {
		t.Fatalf("a sync while staging deploys: %d %v, want 409", code, busy)
	}
	if dep := w.outcome(h.Get("Location")); dep["status"] != "SUCCEEDED" {
		t.Fatalf("the redeploy: %v", dep)
	}
}
