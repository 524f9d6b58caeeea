package sandbox_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/sandbox"
	"github.com/berth-dev/berth/shared/shell"
)

const policy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecs:ExecuteCommand","Resource":"*"}]}`

func grant() shell.Grant {
	return shell.Grant{RoleARN: "arn:aws:iam::000000000000:role/berth-shell", SessionName: "berth-user@example.com",
		Policy: policy, Duration: time.Hour, Tags: map[string]string{"environment": "prod"}}
}

func TestAssumeIssuesCredentialsAndRecordsTheGrant(t *testing.T) {
	s, c := newBox(sandbox.Instant)
	creds, err := s.Access().Assume(ctx, grant())
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^ASIA[A-Z2-7]{16}$`).MatchString(creds.AccessKeyID) || len(creds.SecretAccessKey) != 40 || creds.SessionToken == "" ||
		!creds.Expiration.Equal(c.Now().Add(time.Hour)) {
		t.Errorf("credentials %+v", creds)
	}
	other, _ := s.Access().Assume(ctx, grant())
	if other.AccessKeyID == creds.AccessKeyID || other.SecretAccessKey == creds.SecretAccessKey || other.SessionToken == creds.SessionToken {
		t.Error("two grants got the same credentials")
	}
	grants := s.Grants()
	if len(grants) != 2 || grants[0].Policy != policy || grants[0].Tags["environment"] != "prod" {
		t.Errorf("grants %+v", grants)
	}
}

func TestAssumeRefusesWhatSTSWould(t *testing.T) {
	s, _ := newBox(sandbox.Instant)
	for _, c := range []struct {
		name   string
		change func(*shell.Grant)
	}{
		{"14 minutes", func(g *shell.Grant) { g.Duration = 14 * time.Minute }},
		{"13 hours", func(g *shell.Grant) { g.Duration = 13 * time.Hour }},
		{"policy not JSON", func(g *shell.Grant) { g.Policy = `{"Version": "2012-10-17", "Statement": [` }},
		{"policy without statements", func(g *shell.Grant) { g.Policy = `{"Version":"2012-10-17"}` }},
		{"policy too long", func(g *shell.Grant) { g.Policy = `{"Statement":[],"x":"` + strings.Repeat("a", 2048) + `"}` }},
		{"bad role", func(g *shell.Grant) { g.RoleARN = "berth-shell" }},
		{"short session name", func(g *shell.Grant) { g.SessionName = "a" }},
		{"session name with a space", func(g *shell.Grant) { g.SessionName = "a b" }},
	} {
		g := grant()
		c.change(&g)
		if _, err := s.Access().Assume(ctx, g); !errors.Is(err, shell.ErrDenied) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	for _, d := range []time.Duration{15 * time.Minute, 12 * time.Hour} {
		g := grant()
		g.Duration = d
		if _, err := s.Access().Assume(ctx, g); err != nil {
			t.Errorf("%s: %v", d, err)
		}
	}
	if n := len(s.Grants()); n != 2 {
		t.Errorf("%d grants recorded, want the 2 honoured", n)
	}
	boom := errors.New("boom")
	s.Fault("AssumeRole", boom)
	s.Fault("ListTasks", boom)
	if _, err := s.Access().Assume(ctx, grant()); !errors.Is(err, boom) {
		t.Errorf("AssumeRole fault: %v", err)
	}
	if _, err := s.Access().RunningTasks(ctx, sandbox.Cluster, "svc"); !errors.Is(err, boom) {
		t.Errorf("ListTasks fault: %v", err)
	}
}

func TestRunningTasksFollowRollouts(t *testing.T) {
	s, c := newBox(sandbox.Fast)
	list := func() []string {
		t.Helper()
		arns, err := s.Access().RunningTasks(ctx, sandbox.Cluster, "svc")
		if err != nil {
			t.Fatal(err)
		}
		return arns
	}
	if _, err := s.Access().RunningTasks(ctx, sandbox.Cluster, "svc"); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("no such service: %v", err)
	}
	service(t, s, "nginx:1")
	if arns := list(); len(arns) != 0 {
		t.Errorf("before the tasks start: %v", arns)
	}
	c.advance(sandbox.Fast.Create[cloud.KindService])
	v1 := list()
	if len(v1) != 2 || v1[0] == v1[1] {
		t.Fatalf("running %v", v1)
	}
	for _, arn := range v1 {
		if !regexp.MustCompile(`^arn:aws:ecs:sandbox:000000000000:task/berth-sandbox/[0-9a-f]{32}$`).MatchString(arn) {
			t.Errorf("task ARN %s", arn)
		}
	}
	c.advance(time.Minute)
	if again := list(); strings.Join(again, " ") != strings.Join(v1, " ") {
		t.Errorf("task ARNs changed: %v, then %v", v1, again)
	}
	// A failing revision leaves the old tasks running.
	bad := register(t, s, "nginx:"+sandbox.TagCrashloop)
	if _, err := s.UpdateService(ctx, cloud.ServiceUpdate{Name: "svc", TaskDefinitionARN: bad.ID, DesiredCount: 2}); err != nil {
		t.Fatal(err)
	}
	c.advance(2 * sandbox.Fast.Create[cloud.KindService])
	if got := list(); strings.Join(got, " ") != strings.Join(v1, " ") {
		t.Errorf("after a failed rollout: %v, want %v", got, v1)
	}
	// A good one replaces them.
	good := register(t, s, "nginx:2")
	if _, err := s.UpdateService(ctx, cloud.ServiceUpdate{Name: "svc", TaskDefinitionARN: good.ID, DesiredCount: 3}); err != nil {
		t.Fatal(err)
	}
	c.advance(sandbox.Fast.Create[cloud.KindService])
	v3 := list()
	if len(v3) != 3 || strings.Contains(strings.Join(v3, " "), v1[0]) {
		t.Errorf("after a new revision: %v (was %v)", v3, v1)
	}
	if _, err := s.Delete(ctx, cloud.Ref{Kind: cloud.KindService, Name: "svc"}, cloud.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Access().RunningTasks(ctx, sandbox.Cluster, "svc"); err == nil {
		t.Error("a deleted service still lists tasks")
	}
}
