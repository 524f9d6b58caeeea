package volumes

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/cloud"
)

// Store reads and writes the records volumes live on.
type Store interface {
	GetApplication(ctx context.Context, org, name string) (apps.Application, []apps.Environment, error)
	// SaveVolumes writes env.Volumes, recording add's access point or
	// forgetting remove's; ErrPrecondition when env changed since read.
	SaveVolumes(ctx context.Context, env apps.Environment, add, remove *cloud.Ref, now time.Time) error
	// Apply forgets a deleted access point (Change.Remove).
	Apply(ctx context.Context, target apps.Target, c apps.Change) error
}

// AccessPoints creates and deletes EFS access points; the sandbox and
// shared/volumes/awsvolumes implement it.
type AccessPoints interface {
	CreateAccessPoint(ctx context.Context, spec cloud.AccessPointSpec) (cloud.Resource, error)
	Delete(ctx context.Context, ref cloud.Ref, opts cloud.DeleteOptions) (gone bool, err error)
}

// Service runs the volume use cases. They act at once, as Quant's do: a
// create answers with the access point it made.
type Service struct {
	Store        Store
	AccessPoints AccessPoints
	Now          func() time.Time
	Log          *slog.Logger
}

// Target names the environment a request is about.
type Target struct {
	Organisation, Application, Environment string
}

// saveAttempts bounds the retries of a save that lost a race with another
// change of the environment (a deployment step, say).
const saveAttempts = 4

// List is the environment's volumes, by name.
func (s *Service) List(ctx context.Context, t Target) (apps.Environment, error) {
	_, env, err := s.load(ctx, t)
	return env, err
}

// Get is one of the environment's volumes.
func (s *Service) Get(ctx context.Context, t Target, name string) (apps.Environment, apps.Volume, error) {
	_, env, err := s.load(ctx, t)
	if err != nil {
		return apps.Environment{}, apps.Volume{}, err
	}
	v, ok := find(env.Volumes, name)
	if !ok {
		return apps.Environment{}, apps.Volume{}, apps.NotFound("volume %q does not exist in environment %q", name, t.Environment)
	}
	return env, v, nil
}

// Create makes the volume's access point and records it. Sending the same
// request again answers the same volume (created false); a different
// volume of the same name is a conflict. An access point made for a
// volume that could not be recorded is deleted again, unless a fresh read
// shows it recorded after all (a write whose answer was lost, or a
// concurrent create of the same volume that won).
func (s *Service) Create(ctx context.Context, t Target, r Request) (apps.Environment, apps.Volume, bool, error) {
	want, err := r.check(t.Environment)
	if err != nil {
		return apps.Environment{}, apps.Volume{}, false, err
	}
	var made *cloud.Ref
	fail := func(err error) (apps.Environment, apps.Volume, bool, error) {
		return apps.Environment{}, apps.Volume{}, false, s.undo(ctx, t, made, err)
	}
	for attempt := 1; ; attempt++ {
		app, env, err := s.load(ctx, t)
		if err == nil {
			err = s.ready(app, env)
		}
		if err != nil {
			return fail(err)
		}
		if v, ok := find(env.Volumes, want.Name); ok {
			if v.RootDirectory == want.RootDirectory && v.Description == want.Description {
				return env, v, false, nil
			}
			return fail(apps.Conflict("a volume named %q already exists in environment %q, at %s; delete it first or choose another name", want.Name, t.Environment, v.RootDirectory))
		}
		if len(env.Volumes) >= MaxVolumes {
			return fail(apps.Conflict("environment %q has %d volumes, the most it may have; delete one first", t.Environment, len(env.Volumes)))
		}
		v := want
		spec := cloud.AccessPointSpec{Name: "volume-" + v.Name, FilesystemID: env.Outputs[apps.OutFilesystemID], ClientToken: clientToken(env, v),
			RootDirectory: v.RootDirectory, Tags: envTarget(env).Names().Tags()}
		if err := s.finishDeletes(ctx, env, spec); err != nil {
			return fail(err)
		}
		res, err := s.AccessPoints.CreateAccessPoint(ctx, spec)
		if err != nil {
			return fail(cloudError("create the volume's EFS access point", err))
		}
		if res.State == cloud.StateDeleting || res.State == cloud.StateFailed {
			return fail(apps.Unavailable(nil, "EFS is still deleting an earlier access point of volume %q; retry shortly", v.Name))
		}
		v.AccessPointID, v.AccessPointARN, v.CreatedAt = res.ID, res.Outputs[cloud.OutARN], s.Now().UTC()
		ref := res.Ref // as the cloud names it, for teardown to delete
		made = &ref
		env.Volumes = append(slices.Clone(env.Volumes), v)
		slices.SortFunc(env.Volumes, func(a, b apps.Volume) int { return strings.Compare(a.Name, b.Name) })
		err = s.Store.SaveVolumes(ctx, env, &ref, nil, v.CreatedAt)
		if errors.Is(err, apps.ErrPrecondition) {
			if attempt < saveAttempts {
				continue // read again; the same client token finds the same access point
			}
			err = busy(t.Environment)
		}
		if err != nil {
			return fail(err)
		}
		return env, v, true, nil
	}
}

// finishDeletes deletes and forgets what an earlier delete of a volume of
// this name left among env's resources (its EFS delete failed), so that
// the new access point's record does not take the old one's place.
func (s *Service) finishDeletes(ctx context.Context, env apps.Environment, spec cloud.AccessPointSpec) error {
	for _, r := range env.Resources {
		if r.Kind != cloud.KindAccessPoint || (r.Name != spec.Name && r.Name != spec.ClientToken) || mounted(env, r.ID) {
			continue
		}
		if _, err := s.AccessPoints.Delete(ctx, r, cloud.DeleteOptions{}); err != nil {
			return cloudError("delete the access point an earlier delete of the volume left", err)
		}
		if err := s.Store.Apply(ctx, envTarget(env), apps.Change{Remove: []cloud.Ref{r}, Now: s.Now().UTC()}); err != nil {
			return err
		}
	}
	return nil
}

// Delete removes the volume, unless a container of the environment mounts
// it. The record goes first, and the access point stays among the
// environment's resources until EFS has deleted it: should EFS fail, the
// volume is gone all the same, and the next create of that name, or the
// environment's teardown, deletes what is left.
func (s *Service) Delete(ctx context.Context, t Target, name string) error {
	for attempt := 1; ; attempt++ {
		_, env, err := s.load(ctx, t)
		if err != nil {
			return err
		}
		v, ok := find(env.Volumes, name)
		if !ok {
			return apps.NotFound("volume %q does not exist in environment %q", name, t.Environment)
		}
		if by := MountedBy(env.Compose, name); len(by) > 0 {
			return apps.Conflict("volume %q is mounted by container %s of environment %q; remove it from their mountPoints first", name, strings.Join(by, ", "), t.Environment)
		}
		if env.Deploying != 0 {
			return apps.Conflict("deployment %d of environment %q is running and may mount volume %q; delete it once the deployment has ended", env.Deploying, t.Environment, name)
		}
		if env.Status != apps.StatusActive {
			return apps.Conflict("environment %q is %s; its volumes can be changed once it is ACTIVE", t.Environment, env.Status)
		}
		env.Volumes = slices.DeleteFunc(slices.Clone(env.Volumes), func(x apps.Volume) bool { return x.Name == name })
		err = s.Store.SaveVolumes(ctx, env, nil, nil, s.Now().UTC())
		if errors.Is(err, apps.ErrPrecondition) {
			if attempt < saveAttempts {
				continue
			}
			err = busy(t.Environment)
		}
		if err != nil {
			return err
		}
		ref, recorded := accessPointRef(env, v)
		if !recorded {
			return nil // an earlier try deleted it, and forgot it
		}
		if gone, err := s.AccessPoints.Delete(ctx, ref, cloud.DeleteOptions{}); err != nil || !gone {
			s.warn("the access point of a deleted volume is left for its next create or the environment's teardown", ref, err)
			return nil
		}
		return s.Store.Apply(ctx, envTarget(env), apps.Change{Remove: []cloud.Ref{ref}, Now: s.Now().UTC()})
	}
}

// accessPointRef is the volume's access point among env's resources.
func accessPointRef(env apps.Environment, v apps.Volume) (cloud.Ref, bool) {
	for _, r := range env.Resources {
		if r.Kind == cloud.KindAccessPoint && r.ID == v.AccessPointID {
			return r, true
		}
	}
	return cloud.Ref{}, false
}

// load reads the application and the environment.
func (s *Service) load(ctx context.Context, t Target) (apps.Application, apps.Environment, error) {
	app, envs, err := s.Store.GetApplication(ctx, t.Organisation, t.Application)
	if err != nil {
		return apps.Application{}, apps.Environment{}, err
	}
	for _, e := range envs {
		if e.Name == t.Environment {
			return app, e, nil
		}
	}
	return apps.Application{}, apps.Environment{}, apps.NotFound("environment %q of application %q does not exist", t.Environment, t.Application)
}

// ready says why volumes cannot be made for env now, if they cannot.
func (s *Service) ready(app apps.Application, env apps.Environment) error {
	switch {
	case app.Filesystem == nil:
		return apps.Conflict("application %q has no filesystem, and volumes live on it: create the application with filesystem.required true", app.Name)
	case env.Status != apps.StatusActive:
		return apps.Conflict("environment %q is %s; its volumes can be changed once it is ACTIVE", env.Name, env.Status)
	case env.Outputs[apps.OutFilesystemID] == "":
		return fmt.Errorf("environment %q is ACTIVE but its record names no filesystem", env.Name)
	}
	return nil
}

// undo deletes the access point made for a volume that was not recorded,
// and answers err. A fresh read decides: an access point recorded after
// all (a write whose answer was lost, or a concurrent create of the same
// volume that won) stays. It reads and deletes even when the request was
// cancelled; should it fail, the access point is tagged and is deleted
// with the environment.
func (s *Service) undo(ctx context.Context, t Target, made *cloud.Ref, err error) error {
	if made == nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_, env, lerr := s.load(ctx, t)
	if lerr != nil || referenced(env, made.ID) {
		return err
	}
	if _, derr := s.AccessPoints.Delete(ctx, *made, cloud.DeleteOptions{}); derr != nil {
		s.warn("an unrecorded volume access point is left for the environment's teardown", *made, derr)
	}
	return err
}

// referenced reports whether env's record holds the access point id.
func referenced(env apps.Environment, id string) bool {
	return mounted(env, id) || slices.ContainsFunc(env.Resources, func(r cloud.Ref) bool { return r.Kind == cloud.KindAccessPoint && r.ID == id })
}

// mounted reports whether one of env's volumes is the access point id.
func mounted(env apps.Environment, id string) bool {
	return slices.ContainsFunc(env.Volumes, func(v apps.Volume) bool { return v.AccessPointID == id })
}

func (s *Service) warn(msg string, ref cloud.Ref, err error) {
	if s.Log == nil {
		return
	}
	attrs := []any{slog.String("accessPoint", ref.ID)}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	s.Log.Warn(msg, attrs...)
}

// busy is the answer when the environment kept changing under every try.
func busy(env string) error {
	return apps.Unavailable(nil, "environment %q kept changing while its volumes were saved (a deployment is moving it on); retry shortly", env)
}

func envTarget(env apps.Environment) apps.Target {
	return apps.Target{Organisation: env.Organisation, Application: env.Application, Environment: env.Name, UID: env.UID}
}

func cloudError(what string, err error) error {
	switch {
	case errors.Is(err, cloud.ErrUnavailable):
		return apps.Unavailable(err, "EFS did not answer, so the volume may not have changed; retry the request")
	case errors.Is(err, cloud.ErrQuota):
		return &apps.Error{Kind: apps.ErrConflict, Message: "EFS refused: the application's filesystem has as many access points as it may (its environments share them); delete a volume first", Cause: err}
	}
	return fmt.Errorf("%s: %w", what, err)
}
