// Package reconcile repairs drift between Berth's records and the cloud,
// level-triggered, as a Kubernetes controller does: each run compares what
// is (the resources tagged berth:managed=true) with what the records say,
// and acts only on what it finds then.
//
//   - A tagged resource no record names is an orphan: a create whose record
//     write never happened, or a record removed while its resource stayed.
//     Once it is older than the grace period it is deleted through the same
//     cloud.Cloud Delete that teardown uses.
//   - A recorded resource of an ACTIVE record that the cloud no longer has
//     has vanished: the record keeps its status and gets a reason.
//   - A record stuck CREATING or DELETING whose workflow no longer runs is
//     re-driven (or, for a provisioning that ended without finishing, FAILED).
//
// Every action is an audit event and counts in one EMF metric line; a dry
// run only reports.
package reconcile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/audit"
	"github.com/berth-dev/berth/shared/cloud"
)

// DefaultGrace is how long a resource or a record may be between states
// before the reconciler acts on it. Every workflow step finishes within
// minutes (a step function times out at 90 s and Step Functions retries a
// few times), so after 30 minutes an unrecorded resource is not one a
// running workflow is about to record.
const DefaultGrace = 30 * time.Minute

// Found is a resource the inventory found tagged berth:managed=true.
type Found struct {
	// Ref is enough to delete it: its kind, and its name and/or id as the
	// cloud adapter's Delete reads them. Kind is empty for a resource the
	// inventory could not place (an ARN of a type Berth does not create):
	// it is reported, never deleted.
	Ref  cloud.Ref  `json:"ref"`
	ARN  string     `json:"arn,omitempty"`
	Tags cloud.Tags `json:"tags"`
	// CreatedAt is when it was created, when the provider says; zero
	// otherwise, and the grace period then runs from its first sighting.
	CreatedAt time.Time `json:"createdAt,omitempty"`
}

// Key identifies f among runs: its ARN, else its kind and name.
func (f Found) Key() string {
	if f.ARN != "" {
		return f.ARN
	}
	return string(f.Ref.Kind) + "#" + f.Ref.Name + "#" + f.Ref.ID
}

// Inventory lists the resources tagged berth:managed=true.
type Inventory interface {
	Managed(ctx context.Context) ([]Found, error)
}

// Records lists every application and environment record.
type Records interface {
	ListRecords(ctx context.Context) ([]apps.Application, []apps.Environment, error)
	Apply(ctx context.Context, target apps.Target, c apps.Change) error
}

// Sightings remembers when each resource without a creation time was
// first seen: FirstSeen returns it for every key, recording now for the
// new ones and forgetting keys no longer listed.
type Sightings interface {
	FirstSeen(ctx context.Context, keys []string, now time.Time) (map[string]time.Time, error)
}

// ExecutionStatus is where a workflow execution is.
type ExecutionStatus string

// Execution statuses.
const (
	ExecutionRunning   ExecutionStatus = "RUNNING"
	ExecutionSucceeded ExecutionStatus = "SUCCEEDED"
	// ExecutionEnded: failed, timed out or aborted.
	ExecutionEnded    ExecutionStatus = "ENDED"
	ExecutionNotFound ExecutionStatus = "NOT_FOUND"
)

// Executions says whether a workflow execution runs.
type Executions interface {
	Status(ctx context.Context, w apps.Workflow, name string) (ExecutionStatus, error)
}

// Reconciler repairs drift. Cloud deletes orphans (the teardown's Delete)
// and checks recorded resources.
type Reconciler struct {
	Inventory  Inventory
	Records    Records
	Cloud      cloud.Cloud
	Executions Executions
	Workflows  apps.WorkflowStarter
	Sightings  Sightings
	Audit      audit.Log
	// Metrics receives one CloudWatch embedded-metric-format line per run; nil drops it.
	Metrics io.Writer
	// Grace is DefaultGrace when zero.
	Grace time.Duration
	Now   func() time.Time

	// seq numbers a run's audit events, whose key is their time and request id.
	seq int
}

// Action is one thing a run did, or would do on a dry run.
type Action struct {
	// Type is one of the Action types.
	Type   string `json:"type"`
	Target string `json:"target"`
	// Organisation owns the target, when known.
	Organisation string `json:"organisation,omitempty"`
	Detail       string `json:"detail,omitempty"`
	// Done is false on a dry run, and when the action failed (Error).
	Done  bool   `json:"done"`
	Error string `json:"error,omitempty"`
}

// Action types.
const (
	ActDeleteOrphan = "delete-orphan"
	// ActOrphanInGrace: an orphan younger than the grace period; left alone.
	ActOrphanInGrace = "orphan-in-grace"
	// ActUnplaced: a tagged resource of a type the cloud port has no kind for.
	ActUnplaced = "unplaced"
	// ActUntracked: a resource of an ACTIVE or transitional record that the
	// record does not list; reported, never deleted (see README).
	ActUntracked     = "untracked"
	ActMarkVanished  = "mark-vanished"
	ActRedrive       = "redrive-workflow"
	ActFailStuck     = "fail-stuck-record"
	ActStuckDeploy   = "stuck-deployment"
	ActionAuditToken = "reconciler"
)

// Report is what a run found and did.
type Report struct {
	DryRun  bool      `json:"dryRun"`
	Started time.Time `json:"started"`
	Managed int       `json:"managedResources"`
	Records int       `json:"records"`
	Actions []Action  `json:"actions"`
}

// Count is how many actions of type t the report holds (done or not).
func (r Report) Count(t string) int {
	n := 0
	for _, a := range r.Actions {
		if a.Type == t {
			n++
		}
	}
	return n
}

// record is one application or environment, as the reconciler sees it.
type record struct {
	target    apps.Target
	status    apps.Status
	resources []cloud.Ref
	reason    string
	progress  *apps.Progress
	version   int64
	updatedAt time.Time
	deploying bool
}

func (r record) name() string {
	if r.target.Environment != "" {
		return "environment " + r.target.Organisation + "/" + r.target.Application + "/" + r.target.Environment
	}
	return "application " + r.target.Organisation + "/" + r.target.Application
}

// Run reconciles once.
func (rc *Reconciler) Run(ctx context.Context, dryRun bool) (Report, error) {
	now := rc.now()
	rc.seq = 0
	rep := Report{DryRun: dryRun, Started: now, Actions: []Action{}}
	appRecs, envRecs, err := rc.Records.ListRecords(ctx)
	if err != nil {
		return rep, fmt.Errorf("list records: %w", err)
	}
	var recs []record
	for _, a := range appRecs {
		recs = append(recs, record{target: apps.Target{Organisation: a.Organisation, Application: a.Name, UID: a.UID},
			status: a.Status, resources: a.Resources, reason: a.Reason, progress: a.Progress, version: a.Version, updatedAt: a.UpdatedAt})
	}
	for _, e := range envRecs {
		recs = append(recs, record{target: apps.Target{Organisation: e.Organisation, Application: e.Application, Environment: e.Name, UID: e.UID},
			status: e.Status, resources: e.Resources, reason: e.Reason, progress: e.Progress, version: e.Version, updatedAt: e.UpdatedAt,
			deploying: e.Rollouts.Deploying != 0})
	}
	rep.Records = len(recs)
	found, err := rc.Inventory.Managed(ctx)
	if err != nil {
		return rep, fmt.Errorf("list managed resources: %w", err)
	}
	rep.Managed = len(found)

	rc.orphans(ctx, &rep, found, recs, now, dryRun)
	for _, r := range recs {
		switch r.status {
		case apps.StatusActive:
			rc.vanished(ctx, &rep, r, now, dryRun)
			if r.deploying && now.Sub(r.updatedAt) > rc.grace() {
				rep.Actions = append(rep.Actions, Action{Type: ActStuckDeploy, Target: r.name(), Organisation: r.target.Organisation,
					Detail: "a deployment has been in progress since " + r.updatedAt.Format(time.RFC3339) + "; reported only"})
			}
		case apps.StatusCreating, apps.StatusDeleting:
			rc.stuck(ctx, &rep, r, now, dryRun)
		}
	}
	rc.emit(rep)
	return rep, nil
}

func (rc *Reconciler) now() time.Time {
	if rc.Now != nil {
		return rc.Now().UTC()
	}
	return time.Now().UTC()
}

func (rc *Reconciler) grace() time.Duration {
	if rc.Grace > 0 {
		return rc.Grace
	}
	return DefaultGrace
}

// names reports whether ref is among refs: the same kind, and the same
// name or the same id.
func names(refs []cloud.Ref, f cloud.Ref) bool {
	for _, r := range refs {
		if r.Kind != f.Kind {
			continue
		}
		if (r.Name != "" && r.Name == f.Name) || (r.ID != "" && f.ID != "" && sameID(r.ID, f.ID)) {
			return true
		}
	}
	return false
}

// sameID compares ids; a listener rule's recorded id may list several ARNs.
func sameID(recorded, found string) bool {
	for _, id := range strings.Split(recorded, ",") {
		if id == found {
			return true
		}
	}
	return false
}

// orphans deletes, past the grace period, the tagged resources whose uid no
// record holds, or whose record is FAILED and does not list them (its
// compensation is over: what it does not list, nothing will delete).
// Resources of ACTIVE, CREATING and DELETING records that the record does
// not list are reported as untracked: a workflow may be about to record
// them, and an ACTIVE environment's older task definition revisions are
// its release history.
func (rc *Reconciler) orphans(ctx context.Context, rep *Report, found []Found, recs []record, now time.Time, dryRun bool) {
	byUID := map[string]record{}
	for _, r := range recs {
		byUID[r.target.UID] = r
	}
	var candidates []Found
	for _, f := range found {
		uid := f.Tags[cloud.TagUID]
		r, ok := byUID[uid]
		switch {
		case f.Ref.Kind == "":
			rep.Actions = append(rep.Actions, Action{Type: ActUnplaced, Target: f.Key(), Organisation: f.Tags[cloud.TagOrganisation],
				Detail: "tagged " + cloud.ManagedTag + " but of no kind Berth creates; left alone"})
		case ok && names(r.resources, f.Ref):
			// Recorded: never touched.
		case ok && r.status != apps.StatusFailed:
			rep.Actions = append(rep.Actions, Action{Type: ActUntracked, Target: describe(f), Organisation: r.target.Organisation,
				Detail: r.name() + " is " + string(r.status) + " and does not list it; left alone"})
		default:
			candidates = append(candidates, f)
		}
	}
	if len(candidates) == 0 {
		return
	}
	// The grace period runs from the creation time, or from the first sighting.
	var keys []string
	for _, f := range candidates {
		if f.CreatedAt.IsZero() {
			keys = append(keys, f.Key())
		}
	}
	seen := map[string]time.Time{}
	if len(keys) > 0 && rc.Sightings != nil && !dryRun {
		var err error
		if seen, err = rc.Sightings.FirstSeen(ctx, keys, now); err != nil {
			rep.Actions = append(rep.Actions, Action{Type: ActOrphanInGrace, Target: "sightings", Error: err.Error()})
			return
		}
	}
	// Delete in reverse creation order, so dependants go first.
	sort.SliceStable(candidates, func(i, j int) bool { return candidates[i].Ref.Kind.Rank() > candidates[j].Ref.Kind.Rank() })
	for _, f := range candidates {
		since := f.CreatedAt
		if since.IsZero() {
			since = seen[f.Key()]
		}
		a := Action{Type: ActDeleteOrphan, Target: describe(f), Organisation: f.Tags[cloud.TagOrganisation]}
		if since.IsZero() || now.Sub(since) < rc.grace() {
			a.Type = ActOrphanInGrace
			a.Detail = "no record names it; deleted once older than " + rc.grace().String()
			rep.Actions = append(rep.Actions, a)
			continue
		}
		a.Detail = "no record names it; seen since " + since.Format(time.RFC3339)
		if !dryRun {
			// A database goes with a final snapshot, as teardown takes one:
			// an orphan may still hold data.
			var opts cloud.DeleteOptions
			if f.Ref.Kind == cloud.KindDatabase {
				opts.FinalSnapshot = f.Ref.Name + "-final"
			}
			gone, err := rc.Cloud.Delete(ctx, f.Ref, opts)
			switch {
			case err != nil:
				a.Error = err.Error()
			case !gone:
				a.Detail += "; deletion started"
				a.Done = true
			default:
				a.Done = true
			}
			rc.audit(ctx, a, now)
		}
		rep.Actions = append(rep.Actions, a)
	}
}

func describe(f Found) string {
	id := f.Ref.Name
	if id == "" {
		id = f.Ref.ID
	}
	if id == "" {
		id = f.ARN
	}
	return string(f.Ref.Kind) + " " + id
}

// reasonVanished starts the reason the reconciler sets on a record whose
// recorded resources are gone.
const reasonVanished = "drift: recorded resources are gone from the cloud: "

// vanished checks an ACTIVE record's resources: one the cloud answers
// NotFound for has vanished. The record stays ACTIVE (what remains may
// still serve) with a reason naming what is gone; its resources stay
// recorded, so a DELETE tears down the rest as usual (deleting what is
// gone is a no-op). The reason is set once; a later run that finds the
// same leaves it.
func (rc *Reconciler) vanished(ctx context.Context, rep *Report, r record, now time.Time, dryRun bool) {
	var gone []string
	for _, ref := range r.resources {
		if _, err := rc.Cloud.Check(ctx, ref); errors.Is(err, cloud.ErrNotFound) {
			gone = append(gone, string(ref.Kind)+" "+ref.Name)
		}
	}
	if len(gone) == 0 {
		return
	}
	reason := reasonVanished + strings.Join(gone, ", ")
	if r.reason == reason {
		return
	}
	a := Action{Type: ActMarkVanished, Target: r.name(), Organisation: r.target.Organisation, Detail: reason}
	if !dryRun {
		err := rc.Records.Apply(ctx, r.target, apps.Change{Reason: &reason, IfStatus: apps.StatusActive, Now: now})
		a.Done, a.Error = err == nil, errString(err)
		rc.audit(ctx, a, now)
	}
	rep.Actions = append(rep.Actions, a)
}

// stuck re-drives a record CREATING or DELETING for longer than the grace
// period whose workflow does not run:
//
//   - DELETING: teardown starts again, named as a DELETE of the record as
//     it is now would name it (apps.TeardownName with its version), so a
//     teardown that never started starts under its own name, and one that
//     died starts anew;
//   - CREATING with no execution found: provisioning never started (the
//     API died between the record and the start); it starts under its own
//     deterministic name;
//   - CREATING whose execution ended without finishing the record: FAILED,
//     with a reason; a DELETE then tears down what it recorded.
func (rc *Reconciler) stuck(ctx context.Context, rep *Report, r record, now time.Time, dryRun bool) {
	if now.Sub(r.updatedAt) < rc.grace() {
		return
	}
	provision, teardown := apps.ProvisionApplication, apps.TeardownApplication
	in := apps.ExecutionInput{Organisation: r.target.Organisation, Application: r.target.Application, UID: r.target.UID}
	if r.target.Environment != "" {
		provision, teardown = apps.ProvisionEnvironment, apps.TeardownEnvironment
		in.Environment = r.target.Environment
	} else if r.status == apps.StatusCreating {
		in.Environment = apps.ProductionEnvironment
	}
	wf, name := provision, apps.ExecutionName(provision, r.target.UID)
	if r.status == apps.StatusDeleting {
		wf, name = teardown, apps.TeardownName(teardown, r.target.UID, r.version)
	}
	current := name
	if p := r.progress; p != nil && p.Execution != "" && p.Operation == wf {
		current = p.Execution
	}
	status, err := rc.Executions.Status(ctx, wf, current)
	if err != nil {
		rep.Actions = append(rep.Actions, Action{Type: ActRedrive, Target: r.name(), Organisation: r.target.Organisation, Error: err.Error()})
		return
	}
	if status == ExecutionRunning {
		return
	}
	a := Action{Type: ActRedrive, Target: r.name(), Organisation: r.target.Organisation}
	switch {
	case r.status == apps.StatusDeleting || status == ExecutionNotFound:
		a.Detail = fmt.Sprintf("%s %s is %s; starting %s", wf, current, status, name)
		if !dryRun {
			err := rc.Workflows.Start(ctx, apps.Execution{Workflow: wf, Name: name, Input: in})
			a.Done, a.Error = err == nil, errString(err)
		}
	default:
		a.Type = ActFailStuck
		reason := fmt.Sprintf("provisioning ended (%s %s is %s) without finishing the record; delete it to tear down what it created", wf, current, status)
		a.Detail = reason
		if !dryRun {
			err := rc.Records.Apply(ctx, r.target, apps.Change{Status: apps.StatusFailed, Reason: &reason, IfStatus: apps.StatusCreating, Now: now})
			a.Done, a.Error = err == nil, errString(err)
		}
	}
	if !dryRun {
		rc.audit(ctx, a, now)
	}
	rep.Actions = append(rep.Actions, a)
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// audit writes a as an audit event of its organisation, under the
// reconciler's own token id; an event that cannot be written is noted on a.
func (rc *Reconciler) audit(ctx context.Context, a Action, now time.Time) {
	if rc.Audit == nil || a.Organisation == "" {
		return
	}
	outcome := 200
	if a.Error != "" {
		outcome = 500
	}
	rc.seq++
	_ = rc.Audit.AppendAudit(ctx, audit.Event{
		Organisation: a.Organisation, TokenID: ActionAuditToken, Action: "reconcile." + a.Type, Target: a.Target, Outcome: outcome,
		RequestID: fmt.Sprintf("reconcile-%d-%d", now.Unix(), rc.seq), Time: now,
	})
}

// Metric names of the EMF line, in namespace Berth.
var metricNames = map[string]string{
	ActDeleteOrphan: "OrphansDeleted", ActOrphanInGrace: "OrphansInGrace", ActUntracked: "UntrackedResources",
	ActMarkVanished: "RecordsMarkedVanished", ActRedrive: "WorkflowsRedriven", ActFailStuck: "RecordsFailedStuck",
	ActStuckDeploy: "StuckDeployments", ActUnplaced: "UnplacedResources",
}

// emit writes the run's counts as one CloudWatch embedded-metric-format
// log line: Lambda's log ends up in CloudWatch Logs, which extracts the
// metrics, so no metrics client is needed.
func (rc *Reconciler) emit(rep Report) {
	if rc.Metrics == nil {
		return
	}
	dry := "false"
	if rep.DryRun {
		dry = "true"
	}
	line := map[string]any{"DryRun": dry, "ManagedResources": rep.Managed}
	var metrics []map[string]string
	keys := make([]string, 0, len(metricNames))
	for k := range metricNames {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	metrics = append(metrics, map[string]string{"Name": "ManagedResources", "Unit": "Count"})
	for _, k := range keys {
		line[metricNames[k]] = rep.Count(k)
		metrics = append(metrics, map[string]string{"Name": metricNames[k], "Unit": "Count"})
	}
	line["_aws"] = map[string]any{"Timestamp": rep.Started.UnixMilli(), "CloudWatchMetrics": []map[string]any{{
		"Namespace": "Berth/Reconciler", "Dimensions": [][]string{{"DryRun"}}, "Metrics": metrics}}}
	_ = json.NewEncoder(rc.Metrics).Encode(line)
}
