package localstack_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/sandbox"
	"github.com/berth-dev/berth/shared/reconcile"
	"github.com/berth-dev/berth/shared/store"
)

func (w *twin) reconcile(query string) reconcile.Report {
	w.t.Helper()
	rec := httptest.NewRecorder()
	w.stack.Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/_local/reconcile?"+query, nil))
	if rec.Code != http.StatusOK {
		w.t.Fatalf("POST /_local/reconcile?%s: %d %s", query, rec.Code, rec.Body.String())
	}
	var rep reconcile.Report
	if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil {
		w.t.Fatal(err)
	}
	return rep
}

func (w *twin) exists(kind cloud.Kind, name string) bool {
	for _, r := range w.stack.Sandbox.Resources() {
		if r.Kind == kind && r.Name == name && r.State != cloud.StateDeleting {
			return true
		}
	}
	return false
}

// TestEveryKindIsTaggedOnCreate: whatever happens between a create and its
// record write, the resource carries berth:managed and berth:uid, so the
// reconciler can find it. An application with a database and a filesystem
// makes every kind.
func TestEveryKindIsTaggedOnCreate(t *testing.T) {
	w := startTwin(t, sandbox.Instant, true)
	if code, _ := w.call(http.MethodPost, "/applications", appBody(t, "tags")); code != http.StatusCreated {
		t.Fatalf("create: %d", code)
	}
	if app := w.waitFor("/applications/tags", "ACTIVE", "FAILED"); app["status"] != "ACTIVE" {
		t.Fatalf("application %v: %v", app["status"], app["statusReason"])
	}
	tagged := map[string]cloud.Tags{}
	for _, r := range w.stack.Sandbox.TaggedWith(cloud.ManagedTag, "true") {
		tagged[string(r.Kind)+" "+r.Name] = r.Tags
	}
	kinds := map[cloud.Kind]bool{}
	for _, r := range w.stack.Sandbox.Resources() {
		kinds[r.Kind] = true
		tags, ok := tagged[string(r.Kind)+" "+r.Name]
		if !ok {
			t.Errorf("%s %s lacks %s=true", r.Kind, r.Name, cloud.ManagedTag)
			continue
		}
		for _, k := range []string{cloud.TagUID, cloud.TagOrganisation, cloud.TagApplication} {
			if tags[k] == "" {
				t.Errorf("%s %s lacks %s: %v", r.Kind, r.Name, k, tags)
			}
		}
		if r.Kind.Rank() > cloud.KindRepository.Rank() && tags[cloud.TagEnvironment] == "" {
			t.Errorf("%s %s lacks %s: %v", r.Kind, r.Name, cloud.TagEnvironment, tags)
		}
	}
	for _, k := range cloud.Kinds {
		if !kinds[k] {
			t.Errorf("no %s was created, so its tags are unchecked", k)
		}
	}
}

// TestReconcilerRemovesOrphansAndMarksVanished: a resource planted with
// Berth's tags and no record is reported by a dry run and survives it,
// survives a real run within the grace period, and is removed by a real
// run past it; recorded resources are never touched; a record whose
// resource vanished is marked.
func TestReconcilerRemovesOrphansAndMarksVanished(t *testing.T) {
	w := startTwin(t, sandbox.Instant, true)
	if code, _ := w.call(http.MethodPost, "/applications", appBody(t, "kept")); code != http.StatusCreated {
		t.Fatalf("create: %d", code)
	}
	if app := w.waitFor("/applications/kept", "ACTIVE", "FAILED"); app["status"] != "ACTIVE" {
		t.Fatalf("application %v: %v", app["status"], app["statusReason"])
	}
	recorded := w.stack.Sandbox.Resources()

	// A create whose record write never happened.
	ghost := cloud.Names{Organisation: "acme", Application: "ghost", UID: "ghost-uid"}
	if _, err := w.stack.Sandbox.CreateRepository(t.Context(), cloud.RepositorySpec{Name: ghost.Repository(), Tags: ghost.Tags()}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)

	rep := w.reconcile("dryRun=true&grace=10ms")
	if n := rep.Count(reconcile.ActDeleteOrphan); n != 1 || !rep.DryRun {
		t.Fatalf("dry run: %d orphans to delete, want 1: %+v", n, rep.Actions)
	}
	for _, a := range rep.Actions {
		if a.Done {
			t.Errorf("dry run did %+v", a)
		}
	}
	if !w.exists(cloud.KindRepository, ghost.Repository()) {
		t.Fatal("the dry run deleted the orphan")
	}

	rep = w.reconcile("dryRun=false&grace=1h")
	if rep.Count(reconcile.ActOrphanInGrace) != 1 || rep.Count(reconcile.ActDeleteOrphan) != 0 || !w.exists(cloud.KindRepository, ghost.Repository()) {
		t.Fatalf("within the grace period: %+v", rep.Actions)
	}

	rep = w.reconcile("dryRun=false&grace=10ms")
	if rep.Count(reconcile.ActDeleteOrphan) != 1 || w.exists(cloud.KindRepository, ghost.Repository()) {
		t.Fatalf("past the grace period, the orphan is still there: %+v", rep.Actions)
	}
	for _, a := range rep.Actions {
		if a.Type != reconcile.ActDeleteOrphan || !a.Done || a.Error != "" {
			t.Errorf("unexpected action %+v", a)
		}
	}
	for _, r := range recorded {
		if !w.exists(r.Kind, r.Name) {
			t.Errorf("recorded %s %s was touched", r.Kind, r.Name)
		}
	}

	// A recorded resource vanishes behind Berth's back.
	tbl := &store.Table{Client: w.stack.Client, Name: w.stack.Table}
	app, _, err := tbl.GetApplication(t.Context(), "acme", "kept")
	if err != nil {
		t.Fatal(err)
	}
	var repo cloud.Ref
	for _, r := range app.Resources {
		if r.Kind == cloud.KindRepository {
			repo = r
		}
	}
	if gone, err := w.stack.Sandbox.Delete(t.Context(), repo, cloud.DeleteOptions{}); err != nil || !gone {
		t.Fatalf("delete %v: %v %v", repo, gone, err)
	}
	rep = w.reconcile("dryRun=false&grace=10ms")
	if rep.Count(reconcile.ActMarkVanished) != 1 {
		t.Fatalf("vanished repository: %+v", rep.Actions)
	}
	app, _, err = tbl.GetApplication(t.Context(), "acme", "kept")
	if err != nil {
		t.Fatal(err)
	}
	if app.Status != "ACTIVE" || !strings.Contains(app.Reason, repo.Name) {
		t.Errorf("application %s, reason %q: want ACTIVE with a reason naming %s", app.Status, app.Reason, repo.Name)
	}
	if rep = w.reconcile("dryRun=false&grace=10ms"); rep.Count(reconcile.ActMarkVanished) != 0 {
		t.Errorf("marked again: %+v", rep.Actions)
	}
	events, _, err := tbl.ListAudit(t.Context(), "acme", 50, "")
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range events {
		if e.TokenID == reconcile.ActionAuditToken {
			actions = append(actions, e.Action)
		}
	}
	if strings.Join(actions, ",") != "reconcile.mark-vanished,reconcile.delete-orphan" {
		t.Errorf("audit events %v", actions)
	}
}
