package volumes

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/validation"
)

func ptr(s string) *string { return &s }

func TestRequestRules(t *testing.T) {
	for _, c := range []struct {
		r      Request
		field  string
		detail string
		root   string
	}{
		{Request{VolumeName: ptr("uploads")}, "", "", "/_volumes/production/uploads"},
		{Request{VolumeName: ptr("uploads"), RootDirectory: ptr("/_volumes/production/b.c/d_e")}, "", "", "/_volumes/production/b.c/d_e"},
		{Request{VolumeName: ptr("uploads"), RootDirectory: ptr("")}, "", "", "/_volumes/production/uploads"},
		{Request{}, "volumeName", "is required", ""},
		{Request{VolumeName: ptr("")}, "volumeName", "is required", ""},
		{Request{VolumeName: ptr("data")}, "volumeName", "own volume name", ""},
		{Request{VolumeName: ptr("a/b")}, "volumeName", "must be 1 to 64", ""},
		{Request{VolumeName: ptr(strings.Repeat("a", 65))}, "volumeName", "must be 1 to 64", ""},
		{Request{VolumeName: ptr("v"), RootDirectory: ptr("/_volumes/production")}, "rootDirectory", "under /_volumes/production/", ""},
		{Request{VolumeName: ptr("v"), RootDirectory: ptr("/_volumes/production/")}, "rootDirectory", "under /_volumes/production/", ""},
		{Request{VolumeName: ptr("v"), RootDirectory: ptr("/_volumes/staging/v")}, "rootDirectory", "under /_volumes/production/", ""},
		{Request{VolumeName: ptr("v"), RootDirectory: ptr("/_volumes/production/../staging")}, "rootDirectory", "under /_volumes/production/", ""},
		{Request{VolumeName: ptr("v"), RootDirectory: ptr("/_volumes/production/.hidden")}, "rootDirectory", "not starting with '.'", ""},
		{Request{VolumeName: ptr("v"), RootDirectory: ptr("/_volumes/production/a b")}, "rootDirectory", "A-Z", ""},
		{Request{VolumeName: ptr("v"), RootDirectory: ptr("/_volumes/production/a/b/c")}, "rootDirectory", "at most 4 components", ""},
		{Request{VolumeName: ptr("v"), RootDirectory: ptr("/_volumes/production/" + strings.Repeat("a", 90))}, "rootDirectory", "at most 100 characters", ""},
		{Request{VolumeName: ptr("v"), Description: ptr(strings.Repeat("é", 1025))}, "description", "at most 1024 characters", ""},
		{Request{VolumeName: ptr("v"), Description: ptr("\xff")}, "description", "UTF-8", ""},
	} {
		v, err := c.r.check("production")
		if c.field == "" {
			if err != nil || v.RootDirectory != c.root {
				t.Errorf("%+v: %v %q, want root %q", c.r, err, v.RootDirectory, c.root)
			}
			continue
		}
		var errs validation.Errors
		if !errors.As(err, &errs) || len(errs[c.field]) == 0 || !strings.Contains(errs[c.field][0], c.detail) {
			t.Errorf("%+v: %v, want %s: %q", c.r, err, c.field, c.detail)
		}
	}
	// A long environment name makes the default root too long: said on the name.
	long := strings.Repeat("e", 40)
	if _, err := (Request{VolumeName: ptr(strings.Repeat("v", 64))}).check(long); err == nil || !strings.Contains(err.Error(), "volumeName") {
		t.Errorf("a default root over 100 characters: %v", err)
	}
}

// FuzzRequest: no request panics, and every accepted one is a path EFS
// takes, inside the environment's directory.
func FuzzRequest(f *testing.F) {
	f.Add("uploads", "", "")
	f.Add("v", "/_volumes/production/b", "d")
	f.Add("v", "/_volumes/production/../x", "")
	f.Add("data", "//_volumes/production//x", "\xff")
	f.Add("v", "/_volumes/production/A..", "")
	f.Fuzz(func(t *testing.T, name, root, desc string) {
		v, err := Request{VolumeName: &name, RootDirectory: &root, Description: &desc}.check("production")
		if err != nil {
			return
		}
		if !strings.HasPrefix(v.RootDirectory, "/_volumes/production/") || escapes(v.RootDirectory) || len(v.RootDirectory) > MaxRootDirectoryLength ||
			strings.Count(v.RootDirectory, "/") > MaxRootDirectoryDepth || v.Name != name || v.Name == "data" {
			t.Fatalf("accepted %+v", v)
		}
	})
}

// escapes says whether dir has a "." or ".." segment: one that could leave
// the environment's directory. "A.." is a name EFS takes like any other.
func escapes(dir string) bool {
	for _, seg := range strings.Split(dir, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// fakeStore holds one application and its production environment, and
// fails SaveVolumes as told.
type fakeStore struct {
	app       apps.Application
	env       apps.Environment
	saveErrs  []error
	saves     int
	forgotten []cloud.Ref
	// landed makes a failing save write all the same (an answer lost).
	landed bool
	// before runs before each save: another request's write, say.
	before func(*fakeStore)
}

func (f *fakeStore) GetApplication(context.Context, string, string) (apps.Application, []apps.Environment, error) {
	return f.app, []apps.Environment{f.env}, nil
}

func (f *fakeStore) SaveVolumes(_ context.Context, env apps.Environment, add, remove *cloud.Ref, _ time.Time) error {
	f.saves++
	if f.before != nil {
		f.before(f)
		f.before = nil
	}
	var err error
	if len(f.saveErrs) > 0 {
		err, f.saveErrs = f.saveErrs[0], f.saveErrs[1:]
		if err != nil && !f.landed {
			return err
		}
	}
	f.env.Volumes, f.env.Version = env.Volumes, f.env.Version+1
	if add != nil {
		f.env.Resources = append(f.env.Resources, *add)
	}
	if remove != nil {
		f.env.Resources = slices.DeleteFunc(f.env.Resources, func(r cloud.Ref) bool { return r.ID == remove.ID })
	}
	return err
}

func (f *fakeStore) Apply(_ context.Context, _ apps.Target, c apps.Change) error {
	f.forgotten = append(f.forgotten, c.Remove...)
	for _, r := range c.Remove {
		f.env.Resources = slices.DeleteFunc(f.env.Resources, func(x cloud.Ref) bool { return x.ID == r.ID })
	}
	return nil
}

// fakeAccessPoints counts what exists, by client token.
type fakeAccessPoints struct {
	live      map[string]bool
	createErr error
	deleteErr error
	deleted   []string
}

func (f *fakeAccessPoints) CreateAccessPoint(_ context.Context, spec cloud.AccessPointSpec) (cloud.Resource, error) {
	if f.createErr != nil {
		return cloud.Resource{}, f.createErr
	}
	f.live[spec.ClientToken] = true
	return cloud.Resource{Ref: cloud.Ref{Kind: cloud.KindAccessPoint, Name: spec.Name, ID: "fsap-" + spec.ClientToken[len(spec.ClientToken)-6:]},
		Outputs: map[string]string{cloud.OutARN: "arn:ap"}}, nil
}

func (f *fakeAccessPoints) Delete(_ context.Context, ref cloud.Ref, _ cloud.DeleteOptions) (bool, error) {
	if f.deleteErr != nil {
		return false, f.deleteErr
	}
	f.deleted = append(f.deleted, ref.ID)
	for tok := range f.live {
		if strings.HasSuffix(ref.ID, tok[len(tok)-6:]) {
			delete(f.live, tok)
		}
	}
	return true, nil
}

func newService() (*Service, *fakeStore, *fakeAccessPoints) {
	st := &fakeStore{
		app: apps.Application{Name: "web", Filesystem: &apps.Filesystem{MountPath: "/data"}},
		env: apps.Environment{Organisation: "acme", Application: "web", Name: "production", UID: "u1", Status: apps.StatusActive,
			Provisioning: apps.Provisioning{Outputs: map[string]string{apps.OutFilesystemID: "fs-1"}}},
	}
	aps := &fakeAccessPoints{live: map[string]bool{}}
	return &Service{Store: st, AccessPoints: aps, Now: time.Now}, st, aps
}

var target = Target{Organisation: "acme", Application: "web", Environment: "production"}

func TestCreateRetriesALostRaceWithTheSameAccessPoint(t *testing.T) {
	s, st, aps := newService()
	st.saveErrs = []error{apps.PreconditionFailed("changed"), apps.PreconditionFailed("changed")}
	_, v, created, err := s.Create(context.Background(), target, Request{VolumeName: ptr("uploads")})
	if err != nil || !created || st.saves != 3 || len(aps.live) != 1 || len(st.env.Volumes) != 1 || st.env.Volumes[0].AccessPointID != v.AccessPointID {
		t.Fatalf("created %v %v after %d saves; %d access points; volumes %v", created, err, st.saves, len(aps.live), st.env.Volumes)
	}
	// The same request again: the same volume, nothing new.
	if _, again, created, err := s.Create(context.Background(), target, Request{VolumeName: ptr("uploads")}); err != nil || created || again.AccessPointID != v.AccessPointID || len(aps.live) != 1 {
		t.Fatalf("again: %v %v %v", again, created, err)
	}
}

func TestCreateDeletesTheAccessPointItCouldNotRecord(t *testing.T) {
	s, st, aps := newService()
	st.saveErrs = []error{errors.New("dynamodb down")}
	if _, _, _, err := s.Create(context.Background(), target, Request{VolumeName: ptr("uploads")}); err == nil {
		t.Fatal("no error")
	}
	if len(aps.live) != 0 || len(st.env.Volumes) != 0 {
		t.Fatalf("left %v access points and volumes %v", aps.live, st.env.Volumes)
	}
	// Losing every race ends in an error, and nothing left either.
	s, st, aps = newService()
	st.saveErrs = []error{apps.PreconditionFailed("1"), apps.PreconditionFailed("2"), apps.PreconditionFailed("3"), apps.PreconditionFailed("4")}
	if _, _, _, err := s.Create(context.Background(), target, Request{VolumeName: ptr("uploads")}); !errors.Is(err, apps.ErrUnavailable) || len(aps.live) != 0 {
		t.Fatalf("%v; %d access points left", err, len(aps.live))
	}
}

func TestCreateRefusals(t *testing.T) {
	s, st, _ := newService()
	if _, _, _, err := s.Create(context.Background(), target, Request{VolumeName: ptr("uploads")}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := s.Create(context.Background(), target, Request{VolumeName: ptr("uploads"), Description: ptr("other")}); !errors.Is(err, apps.ErrConflict) {
		t.Errorf("a different volume of the same name: %v", err)
	}
	for len(st.env.Volumes) < MaxVolumes {
		st.env.Volumes = append(st.env.Volumes, apps.Volume{Name: strings.Repeat("x", len(st.env.Volumes)+1)})
	}
	if _, _, _, err := s.Create(context.Background(), target, Request{VolumeName: ptr("one-more")}); !errors.Is(err, apps.ErrConflict) || !strings.Contains(err.Error(), "the most") {
		t.Errorf("over the limit: %v", err)
	}
	st.app.Filesystem = nil
	if _, _, _, err := s.Create(context.Background(), target, Request{VolumeName: ptr("nofs")}); !errors.Is(err, apps.ErrConflict) || !strings.Contains(err.Error(), "no filesystem") {
		t.Errorf("without a filesystem: %v", err)
	}
	s.AccessPoints.(*fakeAccessPoints).createErr = cloud.ErrUnavailable
	st.app.Filesystem, st.env.Volumes = &apps.Filesystem{}, nil
	if _, _, _, err := s.Create(context.Background(), target, Request{VolumeName: ptr("later")}); !errors.Is(err, apps.ErrUnavailable) {
		t.Errorf("EFS unavailable: %v", err)
	}
}

func TestDeleteForgetsTheAccessPointOnlyOnceGone(t *testing.T) {
	s, st, aps := newService()
	_, v, _, err := s.Create(context.Background(), target, Request{VolumeName: ptr("uploads")})
	if err != nil {
		t.Fatal(err)
	}
	st.env.Deploying = 3
	if err := s.Delete(context.Background(), target, "uploads"); !errors.Is(err, apps.ErrConflict) {
		t.Errorf("during a deployment: %v", err)
	}
	st.env.Deploying = 0
	if err := s.Delete(context.Background(), target, "nope"); !errors.Is(err, apps.ErrNotFound) {
		t.Errorf("no such volume: %v", err)
	}
	if err := s.Delete(context.Background(), target, "uploads"); err != nil {
		t.Fatal(err)
	}
	if len(st.env.Volumes) != 0 || len(aps.deleted) != 1 || aps.deleted[0] != v.AccessPointID || len(st.forgotten) != 1 || st.forgotten[0].ID != v.AccessPointID {
		t.Fatalf("volumes %v, deleted %v, forgotten %v", st.env.Volumes, aps.deleted, st.forgotten)
	}
}

// A save whose answer was lost landed all the same: the access point is
// recorded, and must not be deleted.
func TestAnUncertainSaveKeepsARecordedAccessPoint(t *testing.T) {
	s, st, aps := newService()
	st.saveErrs, st.landed = []error{errors.New("throttled after the write")}, true
	if _, _, _, err := s.Create(context.Background(), target, Request{VolumeName: ptr("uploads")}); err == nil {
		t.Fatal("no error")
	}
	if len(st.env.Volumes) != 1 || len(aps.live) != 1 || len(aps.deleted) != 0 {
		t.Fatalf("volumes %v, live %v, deleted %v: a recorded access point was deleted", st.env.Volumes, aps.live, aps.deleted)
	}
}

// Two creates of one name race; the loser (another description) answers
// 409 and leaves the winner's access point, which is the same one.
func TestALosingCreateLeavesTheWinnersAccessPoint(t *testing.T) {
	s, st, aps := newService()
	st.saveErrs = []error{apps.PreconditionFailed("changed")}
	st.before = func(f *fakeStore) {
		ap, _ := aps.CreateAccessPoint(context.Background(), cloud.AccessPointSpec{ClientToken: clientToken(f.env, apps.Volume{Name: "uploads", RootDirectory: DefaultRootDirectory("production", "uploads")})})
		f.env.Volumes = []apps.Volume{{Name: "uploads", Description: "winner", RootDirectory: DefaultRootDirectory("production", "uploads"), AccessPointID: ap.ID}}
		f.env.Resources = append(f.env.Resources, ap.Ref)
	}
	_, _, _, err := s.Create(context.Background(), target, Request{VolumeName: ptr("uploads"), Description: ptr("loser")})
	if !errors.Is(err, apps.ErrConflict) || len(aps.live) != 1 || len(aps.deleted) != 0 {
		t.Fatalf("%v; live %v, deleted %v: the winner's access point was deleted", err, aps.live, aps.deleted)
	}
}

// A delete whose EFS call fails answers success (the volume is gone) and
// keeps the access point recorded; the next create of the name deletes it
// first, so the new one's record does not hide it.
func TestALeftoverAccessPointIsDeletedByTheNextCreate(t *testing.T) {
	s, st, aps := newService()
	_, old, _, err := s.Create(context.Background(), target, Request{VolumeName: ptr("uploads")})
	if err != nil {
		t.Fatal(err)
	}
	aps.deleteErr = cloud.ErrUnavailable
	if err := s.Delete(context.Background(), target, "uploads"); err != nil {
		t.Fatalf("delete with EFS down: %v", err)
	}
	if len(st.env.Volumes) != 0 || !referenced(st.env, old.AccessPointID) {
		t.Fatalf("volumes %v, resources %v: want the volume gone and its access point still recorded", st.env.Volumes, st.env.Resources)
	}
	aps.deleteErr = nil
	_, v, _, err := s.Create(context.Background(), target, Request{VolumeName: ptr("uploads"), RootDirectory: ptr("/_volumes/production/v2")})
	if err != nil {
		t.Fatal(err)
	}
	if referenced(st.env, old.AccessPointID) || !referenced(st.env, v.AccessPointID) || !slices.Contains(aps.deleted, old.AccessPointID) {
		t.Fatalf("resources %v, deleted %v: want the old access point deleted and forgotten, the new one recorded", st.env.Resources, aps.deleted)
	}
}
