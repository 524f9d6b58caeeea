package localstack

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/sandbox"
	"github.com/berth-dev/berth/shared/reconcile"
	"github.com/berth-dev/berth/shared/stepfunctions"
	"github.com/berth-dev/berth/shared/store"
)

// SandboxInventory lists the sandbox's resources tagged berth:managed=true,
// as the Resource Groups Tagging API lists AWS's.
type SandboxInventory struct{ Sandbox *sandbox.Sandbox }

// Managed implements reconcile.Inventory.
func (i SandboxInventory) Managed(context.Context) ([]reconcile.Found, error) {
	var out []reconcile.Found
	for _, t := range i.Sandbox.TaggedWith(cloud.ManagedTag, "true") {
		out = append(out, reconcile.Found{Ref: t.Ref, ARN: t.Outputs[cloud.OutARN], Tags: t.Tags, CreatedAt: t.CreatedAt})
	}
	return out, nil
}

// reconciler is the reconciler of the local stack: the sandbox is its
// cloud and inventory, local Step Functions its workflows, and the
// sandbox's clock its clock.
func (w *Workflows) reconciler(tbl *store.Table, grace time.Duration) *reconcile.Reconciler {
	exec, _ := w.Starter.(stepfunctions.Starter)
	return &reconcile.Reconciler{
		Inventory: SandboxInventory{w.Sandbox}, Records: tbl, Cloud: w.Sandbox, Executions: exec, Workflows: w.Starter,
		Sightings: tbl, Audit: tbl, Grace: grace, Now: w.Sandbox.Now,
	}
}

// serveReconcile is POST /_local/reconcile?dryRun=true|false&grace=30m:
// one reconciler run (`make reconcile`), answering its report. dryRun is
// true unless it says false; grace is reconcile.DefaultGrace unless given.
func (w *Workflows) serveReconcile(tbl *store.Table) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "application/json")
		dry := true
		if s := r.URL.Query().Get("dryRun"); s != "" {
			b, err := strconv.ParseBool(s)
			if err != nil {
				rw.WriteHeader(http.StatusBadRequest)
				_ = json.NewEncoder(rw).Encode(map[string]string{"message": "dryRun: want true or false"})
				return
			}
			dry = b
		}
		var grace time.Duration
		if s := r.URL.Query().Get("grace"); s != "" {
			d, err := time.ParseDuration(s)
			if err != nil || d <= 0 {
				rw.WriteHeader(http.StatusBadRequest)
				_ = json.NewEncoder(rw).Encode(map[string]string{"message": "grace: want a positive duration, e.g. 30m"})
				return
			}
			grace = d
		}
		rep, err := w.reconciler(tbl, grace).Run(r.Context(), dry)
		if err != nil {
			rw.WriteHeader(http.StatusInternalServerError)
			_ = json.NewEncoder(rw).Encode(map[string]string{"message": err.Error()})
			return
		}
		_ = json.NewEncoder(rw).Encode(rep)
	}
}
