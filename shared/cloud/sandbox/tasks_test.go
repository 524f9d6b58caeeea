package sandbox_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/sandbox"
	"github.com/berth-dev/berth/shared/compose"
)

// service makes a running service of image and returns its first task definition.
func service(t *testing.T, s *sandbox.Sandbox, image string) cloud.Resource {
	t.Helper()
	td := register(t, s, image)
	sg, _ := s.CreateSecurityGroup(ctx, cloud.SecurityGroupSpec{Name: "sg", Tags: tags})
	if _, err := s.CreateService(ctx, cloud.ServiceSpec{Name: "svc", TaskDefinitionARN: td.ID, DesiredCount: 2, SecurityGroupID: sg.ID, Tags: tags}); err != nil {
		t.Fatal(err)
	}
	return td
}

func register(t *testing.T, s *sandbox.Sandbox, image string) cloud.Resource {
	t.Helper()
	td, err := s.RegisterTaskDefinition(ctx, cloud.TaskSpec{Family: "fam", Tags: tags, LogGroup: "/berth/svc", Compose: compose.Definition{Containers: []compose.Container{
		{Name: "web", ImageReference: &compose.ImageReference{Type: compose.ImageExternal, Identifier: image}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	return td
}

func rolloutOf(t *testing.T, s *sandbox.Sandbox, td string) cloud.Rollout {
	t.Helper()
	r, err := s.Rollout(ctx, "svc", td)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func serving(t *testing.T, s *sandbox.Sandbox) string {
	t.Helper()
	got, err := s.Check(ctx, cloud.Ref{Kind: cloud.KindService, Name: "svc"})
	if err != nil {
		t.Fatal(err)
	}
	return got.Outputs[cloud.OutTaskDefinition]
}

func TestAHealthyRolloutCompletesAfterTheServiceTime(t *testing.T) {
	s, c := newBox(sandbox.Fast)
	v1 := service(t, s, "nginx:1")
	c.advance(sandbox.Fast.Create[cloud.KindService])
	v2 := register(t, s, "nginx:2")
	if _, err := s.UpdateService(ctx, cloud.ServiceUpdate{Name: "svc", TaskDefinitionARN: v2.ID, DesiredCount: 2}); err != nil {
		t.Fatal(err)
	}
	if r := rolloutOf(t, s, v2.ID); r.State != cloud.RolloutInProgress || serving(t, s) != v1.ID {
		t.Fatalf("just started: %+v, serving %s", r, serving(t, s))
	}
	c.advance(sandbox.Fast.Create[cloud.KindService])
	if r := rolloutOf(t, s, v2.ID); r.State != cloud.RolloutCompleted || r.Running != 2 || serving(t, s) != v2.ID {
		t.Fatalf("after the service time: %+v, serving %s", r, serving(t, s))
	}
}

func TestMisbehavingImagesFailTheirRolloutAndTheOldRevisionServes(t *testing.T) {
	for tag, want := range map[string]string{sandbox.TagCrashloop: cloud.FailureContainerExited, sandbox.TagUnhealthy: cloud.FailureHealthCheckFailed} {
		t.Run(tag, func(t *testing.T) {
			s, c := newBox(sandbox.Fast)
			v1 := service(t, s, "nginx:1")
			c.advance(sandbox.Fast.Create[cloud.KindService])
			bad := register(t, s, "nginx:"+tag)
			if _, err := s.UpdateService(ctx, cloud.ServiceUpdate{Name: "svc", TaskDefinitionARN: bad.ID, DesiredCount: 2}); err != nil {
				t.Fatal(err)
			}
			c.advance(sandbox.Fast.Create[cloud.KindService] * 2)
			r := rolloutOf(t, s, bad.ID)
			if r.State != cloud.RolloutFailed || r.Failure == nil || r.Failure.Type != want || r.Failure.Container != "web" || r.Failure.LogGroup != "/berth/svc" {
				t.Fatalf("rollout of %s: %+v %+v", tag, r, r.Failure)
			}
			lines, err := s.LogLines(ctx, r.Failure.LogGroup, r.Failure.LogStream, cloud.MaxFailureLogLines)
			if err != nil || len(lines) == 0 || !strings.Contains(lines[len(lines)-1], tag) {
				t.Fatalf("the failed container's lines: %q %v", lines, err)
			}
			if _, err := s.LogLines(ctx, r.Failure.LogGroup, "berth/web/nope", 5); !errors.Is(err, cloud.ErrNotFound) {
				t.Fatalf("a stream that does not exist: %v", err)
			}
			if tag == sandbox.TagCrashloop && (r.Failure.ExitCode == nil || *r.Failure.ExitCode != 1 || !strings.Contains(r.Failure.StoppedReason, "exited")) {
				t.Fatalf("crash: %+v", r.Failure)
			}
			if serving(t, s) != v1.ID {
				t.Fatalf("serving %s during a failed rollout, want %s", serving(t, s), v1.ID)
			}
		})
	}
}

func TestAStopCompletesAtOnceAndUnknownThingsAreRefused(t *testing.T) {
	s, _ := newBox(sandbox.Fast)
	v1 := service(t, s, "nginx:"+sandbox.TagCrashloop)
	if _, err := s.UpdateService(ctx, cloud.ServiceUpdate{Name: "svc", TaskDefinitionARN: v1.ID, DesiredCount: 0}); err != nil {
		t.Fatal(err)
	}
	if r := rolloutOf(t, s, v1.ID); r.State != cloud.RolloutCompleted || r.Desired != 0 {
		t.Fatalf("stop: %+v", r)
	}
	if _, err := s.UpdateService(ctx, cloud.ServiceUpdate{Name: "nope", TaskDefinitionARN: v1.ID}); !errors.Is(err, cloud.ErrNotFound) {
		t.Fatalf("missing service: %v", err)
	}
	if _, err := s.UpdateService(ctx, cloud.ServiceUpdate{Name: "svc", TaskDefinitionARN: "arn:nope"}); !errors.Is(err, cloud.ErrInvalid) {
		t.Fatalf("missing task definition: %v", err)
	}
	if _, err := s.Rollout(ctx, "svc", "arn:nope"); !errors.Is(err, cloud.ErrNotFound) {
		t.Fatalf("rollout of a revision never deployed: %v", err)
	}
	s.Fault("UpdateService", errors.New("ThrottlingException"))
	if _, err := s.UpdateService(ctx, cloud.ServiceUpdate{Name: "svc", TaskDefinitionARN: v1.ID, DesiredCount: 1}); err == nil {
		t.Fatal("the fault did not fail UpdateService")
	}
}

// TestScaledCountSurvivesARedeploy: a policy scales the service out, a
// redeploy with KeepCount leaves the count, a deploy with a count sets it,
// and new scaling bounds pull the count within them.
func TestScaledCountSurvivesARedeploy(t *testing.T) {
	s, c := newBox(sandbox.Fast)
	v1 := service(t, s, "nginx:1")
	c.advance(sandbox.Fast.Create[cloud.KindService])
	if err := s.Scale("svc", 5); err != nil {
		t.Fatal(err)
	}
	count := func() string {
		t.Helper()
		got, err := s.Check(ctx, cloud.Ref{Kind: cloud.KindService, Name: "svc"})
		if err != nil {
			t.Fatal(err)
		}
		return got.Outputs[cloud.OutDesired]
	}
	v2 := register(t, s, "nginx:2")
	if _, err := s.UpdateService(ctx, cloud.ServiceUpdate{Name: "svc", TaskDefinitionARN: v2.ID, DesiredCount: 1, KeepCount: true}); err != nil {
		t.Fatal(err)
	}
	if got := count(); got != "5" {
		t.Fatalf("after a redeploy that keeps the count: %s tasks, want 5", got)
	}
	c.advance(sandbox.Fast.Create[cloud.KindService])
	if r := rolloutOf(t, s, v2.ID); r.State != cloud.RolloutCompleted || r.Running != 5 {
		t.Fatalf("rollout %+v, want 5 running", r)
	}
	if _, err := s.RegisterScaling(ctx, cloud.ScalingSpec{ServiceName: "svc", Min: 1, Max: 3}); err != nil {
		t.Fatal(err)
	}
	if got := count(); got != "3" {
		t.Fatalf("after bounds 1..3: %s tasks, want 3", got)
	}
	if _, err := s.UpdateService(ctx, cloud.ServiceUpdate{Name: "svc", TaskDefinitionARN: v1.ID, DesiredCount: 2}); err != nil {
		t.Fatal(err)
	}
	if got := count(); got != "2" {
		t.Fatalf("after a deploy with a count: %s tasks, want 2", got)
	}
	if err := s.Scale("nope", 1); !errors.Is(err, cloud.ErrNotFound) {
		t.Fatalf("Scale of a missing service: %v", err)
	}
	if err := s.Scale("svc", -1); !errors.Is(err, cloud.ErrInvalid) {
		t.Fatalf("Scale to -1: %v", err)
	}
}
