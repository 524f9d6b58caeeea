package provision

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/cloud"
)

// Check looks at a group's resource (the database, the filesystem, the
// service) after a wait: ready, wait again, or fail (the resource failed,
// or the deadline passed).
func (s *Steps) Check(ctx context.Context, in Input) (Loop, error) {
	r, _, err := s.owned(ctx, in)
	if err != nil {
		return Loop{}, err
	}
	var (
		t       apps.Target
		refs    []cloud.Ref
		kind    cloud.Kind
		targets []apps.Target
	)
	switch in.Group {
	case GroupDatabase, GroupFilesystem:
		t, refs = in.appTarget(r), r.app.Resources
		targets = []apps.Target{t}
		kind = cloud.KindDatabase
		if in.Group == GroupFilesystem {
			kind = cloud.KindFilesystem
		}
	case GroupService:
		env, err := in.envOf(r)
		if err != nil {
			return Loop{}, err
		}
		t, refs, kind = envTarget(env), env.Resources, cloud.KindService
		targets = in.stepTargets(r, in.Group, env)
	default:
		return Loop{}, fail(ErrInvalid, "check: unknown group %q", in.Group)
	}
	ref, ok := findRef(refs, kind)
	if !ok {
		if in.Group != GroupService && (in.Loop == nil || in.Loop.Ready) {
			return Loop{Ready: true}, nil // nothing to wait for: the application has none
		}
		return Loop{}, fail(ErrResourceFailed, "the %s this workflow created is not on the record", kind)
	}
	res, err := s.Cloud.Check(ctx, ref)
	if err != nil {
		return Loop{}, cloudError("check "+string(kind), err)
	}
	what := string(kind) + " " + ref.Name
	switch res.State {
	case cloud.StateFailed:
		return Loop{}, fail(ErrResourceFailed, "%s failed: %s", what, res.Reason)
	case cloud.StateAvailable:
		if err := s.Store.Apply(ctx, t, apps.Change{Outputs: readyOutputs(res), Now: s.now()}); err != nil {
			return Loop{}, cloudError("record "+string(kind), err)
		}
		return Loop{Ready: true}, s.step(ctx, targets, in.Group, apps.StepSucceeded, "")
	}
	if res.Outputs[cloud.OutRunning] != "" {
		if err := s.Store.Apply(ctx, t, apps.Change{Outputs: map[string]string{apps.OutRunningCount: res.Outputs[cloud.OutRunning]}, Now: s.now()}); err != nil {
			return Loop{}, cloudError("record "+string(kind), err)
		}
	}
	return s.nextLoop(in.Group, in.Loop, false, what)
}

// readyOutputs are what a record keeps of an available resource.
func readyOutputs(res cloud.Resource) map[string]string {
	switch res.Kind {
	case cloud.KindDatabase:
		return map[string]string{apps.OutDatabaseEndpoint: res.Outputs[cloud.OutEndpoint], apps.OutDatabasePort: res.Outputs[cloud.OutPort],
			apps.OutDatabaseSecretARN: res.Outputs[cloud.OutSecretARN], apps.OutDatabaseStatus: "available"}
	case cloud.KindFilesystem:
		return map[string]string{apps.OutFilesystemID: res.ID}
	default:
		return map[string]string{apps.OutRunningCount: res.Outputs[cloud.OutRunning], apps.OutDeploymentStatus: "COMPLETED"}
	}
}

// tier orders deletes within a group: a resource is deleted only once
// nothing of a higher tier that may depend on it is left.
func tier(k cloud.Kind) int {
	switch k {
	case cloud.KindScaling, cloud.KindScheduleGroup:
		return 4
	case cloud.KindService:
		return 3
	case cloud.KindTaskDefinition, cloud.KindListenerRule:
		return 2
	case cloud.KindTargetGroup, cloud.KindSecurityGroup, cloud.KindAccessPoint, cloud.KindSecret, cloud.KindLogGroup:
		return 1
	}
	return 0
}

// CleanupOrder is the order in which the groups' resources are deleted:
// the service's scaling and the service (whose tasks use everything else) first; then its network,
// and what its containers ran with; the application's resources last.
var CleanupOrder = []Group{GroupScaling, GroupService, GroupNetwork, GroupRuntime, GroupFilesystem, GroupDatabase, GroupRepository}

// GroupOf is the group whose step function creates and deletes kind k;
// empty for a kind no step knows, which Cleanup refuses.
func GroupOf(k cloud.Kind) Group {
	switch k {
	case cloud.KindScaling:
		return GroupScaling
	case cloud.KindService, cloud.KindTaskDefinition:
		return GroupService
	case cloud.KindListenerRule, cloud.KindTargetGroup, cloud.KindSecurityGroup:
		return GroupNetwork
	case cloud.KindLogGroup, cloud.KindSecret, cloud.KindAccessPoint, cloud.KindScheduleGroup:
		return GroupRuntime
	case cloud.KindFilesystem:
		return GroupFilesystem
	case cloud.KindDatabase:
		return GroupDatabase
	case cloud.KindRepository:
		return GroupRepository
	}
	return ""
}

// Cleanup deletes what the execution's records hold of in.Group's kinds,
// in dependency order, as far as it can without waiting. It answers the
// group whose resources go next (the same one when some are still being
// deleted, with a wait) or Ready when nothing is left. It is both the
// teardown and the compensation of a failed provisioning.
func (s *Steps) Cleanup(ctx context.Context, in Input) (Loop, error) {
	r, err := s.load(ctx, in)
	if errors.Is(err, apps.ErrNotFound) {
		return Loop{Ready: true}, nil
	}
	if err != nil {
		return Loop{}, err
	}
	deadline := time.Time{}
	if in.Loop != nil {
		deadline = in.Loop.Deadline
	}
	if deadline.IsZero() {
		deadline = s.now().Add(deadlines[GroupCleanup])
	} else if s.now().After(deadline) {
		return Loop{}, fail(ErrTimeout, "deleting resources did not finish within %s", deadlines[GroupCleanup])
	}
	targets := in.targets(r)
	type owned struct {
		t   apps.Target
		ref cloud.Ref
	}
	var all []owned
	for _, t := range targets {
		for _, ref := range resourcesOf(r, t) {
			if GroupOf(ref.Kind) == "" {
				// Skipping it would remove the record and leak the resource.
				return Loop{}, fail(ErrInvalid, "no step deletes %s %s of %s", ref.Kind, ref.Name, describeTarget(t))
			}
			all = append(all, owned{t, ref})
		}
	}
	teardown := in.Workflow == apps.TeardownApplication || in.Workflow == apps.TeardownEnvironment
	if !teardown {
		// Compensating is part of the run: teardown waits for it too.
		if err := s.beat(ctx, in, r, targets); err != nil {
			return Loop{}, err
		}
	}
	left, pending := len(all), 0
	unavailable := "" // the last delete the cloud could not take, for the progress
	gone := map[cloud.Ref]bool{}
	for level := 4; level >= 0 && pending == 0; level-- {
		for _, o := range all {
			if GroupOf(o.ref.Kind) != in.Group || tier(o.ref.Kind) != level {
				continue
			}
			var opts cloud.DeleteOptions
			if o.ref.Kind == cloud.KindDatabase && teardown {
				opts.FinalSnapshot = o.t.Names().FinalSnapshot()
			}
			done, err := s.Cloud.Delete(ctx, o.ref, opts)
			if errors.Is(err, cloud.ErrUnavailable) {
				// Left for the next round, as a resource still being deleted
				// is: the step's Retry gives an unavailable cloud seconds, the
				// cleanup its deadline. A burst of throttling on one delete
				// used to fail the teardown and orphan the rest.
				pending++
				unavailable = "delete " + string(o.ref.Kind) + " " + o.ref.Name + ": " + err.Error()
				continue
			}
			if err != nil {
				return Loop{}, cloudError("delete "+string(o.ref.Kind)+" "+o.ref.Name, err)
			}
			if !done {
				pending++
				continue
			}
			left--
			gone[o.ref] = true
			if err := s.Store.Apply(ctx, o.t, apps.Change{Remove: []cloud.Ref{o.ref}, Now: s.now()}); err != nil {
				return Loop{}, cloudError("forget "+string(o.ref.Kind), err)
			}
		}
	}
	if teardown && len(targets) > 0 {
		state, detail := apps.StepRunning, strconv.Itoa(left)+" resources left"
		if unavailable != "" {
			detail += "; retrying " + unavailable
		}
		if left == 0 {
			state, detail = apps.StepSucceeded, ""
		}
		if err := s.step(ctx, targets, GroupCleanup, state, detail); err != nil {
			return Loop{}, err
		}
	}
	if pending > 0 {
		wait := int(s.Platform.CleanupWait.Seconds())
		return Loop{Group: in.Group, WaitSeconds: max(wait, MinWait), Deadline: deadline}, nil
	}
	for _, g := range CleanupOrder {
		for _, o := range all {
			if !gone[o.ref] && GroupOf(o.ref.Kind) == g {
				return Loop{Group: g, Deadline: deadline}, nil // on at once, with the next group's function
			}
		}
	}
	return Loop{Ready: true, Deadline: deadline}, nil
}

func resourcesOf(r records, t apps.Target) []cloud.Ref {
	if t.Environment == "" {
		return r.app.Resources
	}
	e, _ := r.env(t.Environment)
	return e.Resources
}

// Finish records how the operation ended: ACTIVE, FAILED with the reason,
// or, after a teardown, the records removed.
func (s *Steps) Finish(ctx context.Context, in Input) (struct{}, error) {
	switch in.Workflow {
	case apps.DeployEnvironment:
		return s.finishDeployment(ctx, in)
	case apps.RunJob:
		return s.finishJob(ctx, in)
	case apps.DataOperation:
		return s.finishDataFailed(ctx, in)
	}
	r, err := s.load(ctx, in)
	if errors.Is(err, apps.ErrNotFound) {
		return struct{}{}, nil // removed already
	}
	if err != nil {
		return struct{}{}, err
	}
	targets := in.targets(r)
	if len(targets) == 0 {
		return struct{}{}, nil // the records are someone else's now
	}
	now := s.now()
	// The application's record goes last: once a client reads its final
	// status, its environments have theirs, and a create sent again on
	// FAILED finds every record replaceable.
	last := append(slices.Clone(targets[1:]), targets[0])
	switch in.Outcome {
	case OutcomeDeleted:
		return struct{}{}, cloudError("remove records", s.Store.RemoveRecords(ctx, targets[0]))
	case OutcomeActive:
		for _, t := range last {
			c := apps.Change{Status: apps.StatusActive, IfStatus: apps.StatusCreating, Operation: &apps.StepProgress{State: apps.StepSucceeded, FinishedAt: now}, Now: now}
			if status(r, t) == apps.StatusDeleting {
				c.Status, c.IfStatus = "", "" // a DELETE came in: leave its status
			}
			if err := s.Store.Apply(ctx, t, c); err != nil {
				return struct{}{}, cloudError("finish", err)
			}
		}
		return struct{}{}, nil
	case OutcomeFailed:
		why := reason(in.Error)
		if in.CleanupError != nil {
			why += "; deleting what it created then failed too (" + reason(in.CleanupError) + "), so some resources remain: DELETE the record to retry"
		}
		if in.Workflow == apps.TeardownApplication || in.Workflow == apps.TeardownEnvironment {
			why = "teardown: " + why
		}
		for _, t := range last {
			c := apps.Change{Status: apps.StatusFailed, Reason: &why, Operation: &apps.StepProgress{State: apps.StepFailed, FinishedAt: now}, Now: now}
			p := progressOf(r, t)
			ours := p != nil && p.Execution == in.ExecutionName
			if !in.teardown() && status(r, t) == apps.StatusDeleting {
				// Cancelled by a DELETE: teardown owns the status, and its
				// progress once it has begun.
				if !ours {
					continue
				}
				c.Status, c.Reason = "", nil
			}
			if !ours {
				// It failed before Begin wrote its plan: record the operation whole.
				c.Operation = nil
				c.Progress = &apps.Progress{Operation: in.Workflow, Execution: in.ExecutionName, State: apps.StepFailed, StartedAt: now, FinishedAt: now}
			}
			if err := s.Store.Apply(ctx, t, c); err != nil {
				return struct{}{}, cloudError("finish", err)
			}
			if err := s.failRunningSteps(ctx, in, r, t, why, now); err != nil {
				return struct{}{}, err
			}
		}
		return struct{}{}, nil
	}
	return struct{}{}, fail(ErrInvalid, "finish: unknown outcome %q", in.Outcome)
}

// failRunningSteps marks the steps that had not finished as FAILED, the
// first of them with the reason.
func (s *Steps) failRunningSteps(ctx context.Context, in Input, r records, t apps.Target, why string, now time.Time) error {
	p := progressOf(r, t)
	if p == nil || p.Execution != in.ExecutionName {
		return nil
	}
	detail := why
	for _, st := range p.Steps {
		if st.State.Done() {
			continue
		}
		sp := apps.StepProgress{Name: st.Name, State: apps.StepFailed, FinishedAt: now, Detail: strings.TrimSpace(detail)}
		if st.State == apps.StepPending {
			sp.Detail = "not started"
		} else {
			detail = ""
		}
		if err := s.Store.Apply(ctx, t, apps.Change{Step: &sp, Now: now}); err != nil {
			return cloudError("finish", err)
		}
	}
	return nil
}
