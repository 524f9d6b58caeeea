package provision

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/cloud"
)

// memStore holds one application and its environments, and forgets the
// resources a Change removes.
type memStore struct {
	app  apps.Application
	envs []apps.Environment
}

func (m *memStore) GetApplication(context.Context, string, string) (apps.Application, []apps.Environment, error) {
	return m.app, slices.Clone(m.envs), nil
}

func (m *memStore) Apply(_ context.Context, t apps.Target, c apps.Change) error {
	drop := func(rs []cloud.Ref) []cloud.Ref {
		return slices.DeleteFunc(slices.Clone(rs), func(r cloud.Ref) bool { return slices.Contains(c.Remove, r) })
	}
	if t.Environment == "" {
		m.app.Resources = drop(m.app.Resources)
		return nil
	}
	for i := range m.envs {
		if m.envs[i].Name == t.Environment {
			m.envs[i].Resources = drop(m.envs[i].Resources)
		}
	}
	return nil
}

func (m *memStore) RemoveRecords(context.Context, apps.Target) error { return nil }

// deleteLog is a cloud whose Delete records each kind it deletes; the
// kinds in slow are still being deleted the first time.
type deleteLog struct {
	cloud.Cloud
	deleted []cloud.Kind
	slow    map[cloud.Kind]bool
}

func (d *deleteLog) Delete(_ context.Context, ref cloud.Ref, _ cloud.DeleteOptions) (bool, error) {
	if d.slow[ref.Kind] {
		d.slow[ref.Kind] = false
		return false, nil
	}
	d.deleted = append(d.deleted, ref.Kind)
	return true, nil
}

// TestCleanupGoesGroupByGroup runs a teardown's cleanup loop as the state
// machine does (each round on the group the last one named): every
// resource goes, each by its own group's step, in CleanupOrder and tier
// order within a group; a resource still being deleted makes its group
// wait and come again; groups with nothing left are never called.
func TestCleanupGoesGroupByGroup(t *testing.T) {
	refs := func(kinds ...cloud.Kind) []cloud.Ref {
		var out []cloud.Ref
		for _, k := range kinds {
			out = append(out, cloud.Ref{Kind: k, Name: string(k)})
		}
		return out
	}
	st := &memStore{
		app: apps.Application{Organisation: "acme", Name: "blog", UID: "u1", Status: apps.StatusDeleting,
			Provisioning: apps.Provisioning{Resources: refs(cloud.KindRepository, cloud.KindDatabase, cloud.KindFilesystem)}},
		envs: []apps.Environment{
			{Organisation: "acme", Application: "blog", Name: "production", UID: "u2", Status: apps.StatusDeleting,
				Provisioning: apps.Provisioning{Resources: refs(cloud.KindLogGroup, cloud.KindSecret, cloud.KindSecurityGroup, cloud.KindTargetGroup,
					cloud.KindListenerRule, cloud.KindAccessPoint, cloud.KindTaskDefinition, cloud.KindService, cloud.KindScaling)}},
			{Organisation: "acme", Application: "blog", Name: "pr-1", UID: "u3", Status: apps.StatusDeleting,
				Provisioning: apps.Provisioning{Resources: refs(cloud.KindLogGroup, cloud.KindSecurityGroup, cloud.KindService)}},
		},
	}
	c := &deleteLog{slow: map[cloud.Kind]bool{cloud.KindService: true}}
	s := &Steps{Store: st, Cloud: c, Platform: Platform{CleanupWait: 30 * time.Second}, Now: func() time.Time { return time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC) }}
	in := Input{Execution: apps.ExecutionInput{Organisation: "acme", Application: "blog", UID: "u1"}, Workflow: apps.TeardownApplication, ExecutionName: "x"}

	var called []Group
	loop := Loop{Group: GroupScaling}
	for round := 0; !loop.Ready; round++ {
		if round > 20 {
			t.Fatalf("no end after %d rounds; called %v", round, called)
		}
		in.Group, in.Loop = loop.Group, &loop
		before := len(c.deleted)
		next, err := s.Cleanup(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range c.deleted[before:] {
			if GroupOf(k) != in.Group {
				t.Errorf("the %s step deleted a %s", in.Group, k)
			}
		}
		if !next.Ready && next.Group == in.Group && next.WaitSeconds == 0 {
			t.Fatalf("%s answers itself again without a wait: it would loop at once", in.Group)
		}
		called = append(called, in.Group)
		loop = next
	}
	want := []Group{GroupScaling, GroupService, GroupService, GroupNetwork, GroupRuntime, GroupFilesystem, GroupDatabase, GroupRepository}
	if !slices.Equal(called, want) {
		t.Errorf("steps called %v, want %v (the service waited once)", called, want)
	}
	order := func(k cloud.Kind) int { return slices.Index(CleanupOrder, GroupOf(k))*10 + 4 - tier(k) }
	if !slices.IsSortedFunc(c.deleted, func(a, b cloud.Kind) int { return order(a) - order(b) }) {
		t.Errorf("deleted %v: not group by group in dependency order", c.deleted)
	}
	if len(c.deleted) != 15 || len(st.app.Resources) != 0 || len(st.envs[0].Resources) != 0 || len(st.envs[1].Resources) != 0 {
		t.Errorf("deleted %d of 15; left %v %v %v", len(c.deleted), st.app.Resources, st.envs[0].Resources, st.envs[1].Resources)
	}

	// A group with nothing of its own answers the next that has something.
	st.app.Resources = refs(cloud.KindRepository)
	in.Group, in.Loop = GroupScaling, nil
	if next, err := s.Cleanup(context.Background(), in); err != nil || next.Ready || next.Group != GroupRepository || next.WaitSeconds != 0 {
		t.Errorf("scaling with only a repository left: %+v %v, want the repository next at once", next, err)
	}
}

// TestEveryKindHasOneStep: GroupOf sends every kind to a group the
// cleanup loop visits, and exactly one cloud step serves that group.
func TestEveryKindHasOneStep(t *testing.T) {
	for _, k := range cloud.Kinds {
		g := GroupOf(k)
		if !slices.Contains(CleanupOrder, g) {
			t.Errorf("%s goes to %q, which the cleanup never visits", k, g)
		}
		var serving []string
		for _, st := range []Step{DatabaseStep, FilesystemStep, RepositoryStep, NetworkStep, RuntimeStep, ServiceStep, ScalingStep} {
			if slices.Contains(st.Groups, g) {
				serving = append(serving, st.Name)
			}
		}
		if len(serving) != 1 {
			t.Errorf("%s (group %s) is served by %v, want one step", k, g, serving)
		}
	}
}

// TestAnUnknownKindStopsTheCleanup: a resource no step can delete fails
// the cleanup, naming it, rather than being dropped with its record.
func TestAnUnknownKindStopsTheCleanup(t *testing.T) {
	st := &memStore{app: apps.Application{Organisation: "acme", Name: "blog", UID: "u1", Status: apps.StatusDeleting,
		Provisioning: apps.Provisioning{Resources: []cloud.Ref{{Kind: "volcano", Name: "v1"}}}}}
	s := &Steps{Store: st, Cloud: &deleteLog{}, Now: time.Now}
	in := Input{Execution: apps.ExecutionInput{Organisation: "acme", Application: "blog", UID: "u1"}, Workflow: apps.TeardownApplication,
		ExecutionName: "x", Group: GroupService}
	if _, err := s.Cleanup(context.Background(), in); err == nil || !strings.Contains(err.Error(), "volcano v1") {
		t.Fatalf("cleanup of an unknown kind: %v", err)
	}
}

// TestProgressShowsOnlyKnownSteps: every step a workflow plans, and the
// deployment's and teardown's, is one of ProgressGroups.
func TestProgressShowsOnlyKnownSteps(t *testing.T) {
	r := records{app: apps.Application{Name: "blog"}, envs: []apps.Environment{{Name: "production"}}}
	for _, w := range apps.Workflows {
		for _, target := range []apps.Target{{Application: "blog"}, {Application: "blog", Environment: "production"}} {
			for _, st := range (Input{Workflow: w}).plan(r, target) {
				if !slices.Contains(ProgressGroups, st.group) {
					t.Errorf("%s plans step %q, which is not in ProgressGroups", w, st.group)
				}
			}
		}
	}
}
