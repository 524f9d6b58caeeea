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
// volume that could not be recorded is deleted again.
func (s *Service) Create(ctx context.Context, t Target, r Request) (apps.Environment, apps.Volume, bool, error) {
	want, err := r.check(t.Environment)
	if err != nil {
		return apps.Environment{}, apps.Volume{}, false, err
	}
	var made *cloud.Ref
	for attempt := 1; ; attempt++ {
		app, env, err := s.load(ctx, t)
		if err == nil {
			err = s.ready(app, env)
		}
		if err != nil {
			return apps.Environment{}, apps.Volume{}, false, s.undo(ctx, made, err)
		}
		if v, ok := find(env.Volumes, want.Name); ok {
			if v.RootDirectory == want.RootDirectory && v.Description == want.Description {
				return env, v, false, nil
			}
			return apps.Environment{}, apps.Volume{}, false, s.undo(ctx, made,
				apps.Conflict("a volume named %q already exists in environment %q, at %s; delete it first or choose another name", want.Name, t.Environment, v.RootDirectory))
		}
		if len(env.Volumes) >= MaxVolumes {
			return apps.Environment{}, apps.Volume{}, false, s.undo(ctx, made,
				apps.Conflict("environment %q has %d volumes, the most it may have; delete one first", t.Environment, len(env.Volumes)))
		}
		v := want
		names := apps.Target{Organisation: env.Organisation, Application: env.Application, Environment: env.Name, UID: env.UID}.Names()
		res, err := s.AccessPoints.CreateAccessPoint(ctx, cloud.AccessPointSpec{
			Name: "volume-" + v.Name, FilesystemID: env.Outputs[apps.OutFilesystemID], ClientToken: clientToken(env, v),
			RootDirectory: v.RootDirectory, Tags: names.Tags(),
		})
		if err != nil {
			return apps.Environment{}, apps.Volume{}, false, s.undo(ctx, made, cloudError("create the volume's EFS access point", err))
		}
		v.AccessPointID, v.AccessPointARN, v.CreatedAt = res.ID, res.Outputs[cloud.OutARN], s.Now().UTC()
		ref := res.Ref // as the cloud names it, for teardown to delete
		made = &ref
		env.Volumes = append(slices.Clone(env.Volumes), v)
		slices.SortFunc(env.Volumes, func(a, b apps.Volume) int { return strings.Compare(a.Name, b.Name) })
		err = s.Store.SaveVolumes(ctx, env, &ref, nil, v.CreatedAt)
		if errors.Is(err, apps.ErrPrecondition) && attempt < saveAttempts {
			continue // read again; the same client token finds the same access point
		}
		if err != nil {
			return apps.Environment{}, apps.Volume{}, false, s.undo(ctx, made, err)
		}
		return env, v, true, nil
	}
}

// Delete removes the volume, unless a container of the environment mounts
// it. The record goes first, and the access point stays among the
// environment's resources until it is gone, so that a failed delete leaves
// nothing teardown would not find.
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
		if errors.Is(err, apps.ErrPrecondition) && attempt < saveAttempts {
			continue
		}
		if err != nil {
			return err
		}
		ref, recorded := accessPointRef(env, v)
		if !recorded {
			return nil // an earlier try deleted it, and forgot it
		}
		if _, err := s.AccessPoints.Delete(ctx, ref, cloud.DeleteOptions{}); err != nil {
			// The access point stays recorded: environment teardown deletes it.
			return cloudError("delete the volume's EFS access point (the volume is gone from the environment; its access point is deleted with the environment)", err)
		}
		target := apps.Target{Organisation: env.Organisation, Application: env.Application, Environment: env.Name, UID: env.UID}
		return s.Store.Apply(ctx, target, apps.Change{Remove: []cloud.Ref{ref}, Now: s.Now().UTC()})
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
// and answers err; a failed delete is logged, since the access point is
// tagged and the reconciler deletes it.
func (s *Service) undo(ctx context.Context, made *cloud.Ref, err error) error {
	if made == nil {
		return err
	}
	if _, derr := s.AccessPoints.Delete(ctx, *made, cloud.DeleteOptions{}); derr != nil && s.Log != nil {
		s.Log.Warn("an unrecorded volume access point is left for the reconciler", slog.String("accessPoint", made.ID), slog.String("error", derr.Error()))
	}
	return err
}

func cloudError(what string, err error) error {
	if errors.Is(err, cloud.ErrUnavailable) {
		return apps.Unavailable(err, "EFS did not answer, so the volume may not have changed; retry the request")
	}
	return fmt.Errorf("%s: %w", what, err)
}
