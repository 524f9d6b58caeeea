package sandbox_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/sandbox"
	"github.com/berth-dev/berth/shared/compose"
	"github.com/berth-dev/berth/shared/configuration"
)

const token1 = "0123456789abcdef0123456789abcdef-1"

func put(t *testing.T, s *sandbox.Sandbox, w configuration.SecretWrite) configuration.SecretVersion {
	t.Helper()
	v, err := s.Secrets().Put(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSecretVersionsAndTokens(t *testing.T) {
	s, _ := newBox(sandbox.Instant)
	id := "berth/acme/shop/prod-abc123/vars/API_KEY"
	v1 := put(t, s, configuration.SecretWrite{ID: id, Value: "one", Token: token1})
	if !regexp.MustCompile(`^arn:aws:secretsmanager:sandbox:000000000000:secret:`+regexp.QuoteMeta(id)+`-[A-Za-z]{6}$`).MatchString(v1.ARN) || v1.VersionID == "" {
		t.Fatalf("version %+v", v1)
	}
	if again := put(t, s, configuration.SecretWrite{ID: id, Value: "one", Token: token1}); again != v1 {
		t.Errorf("a retried write: %+v, want %+v", again, v1)
	}
	if _, err := s.Secrets().Put(ctx, configuration.SecretWrite{ID: id, Value: "other", Token: token1}); !errors.Is(err, configuration.ErrTokenReused) {
		t.Errorf("the token with another value: %v", err)
	}
	v2 := put(t, s, configuration.SecretWrite{ID: id, Value: "two"})
	if v2.ARN != v1.ARN || v2.VersionID == v1.VersionID || !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(v2.VersionID) {
		t.Errorf("a second version %+v after %+v", v2, v1)
	}
	for _, c := range []struct {
		v    configuration.SecretVersion
		want string
	}{{v1, "one"}, {v2, "two"}} {
		if got, ok := s.SecretValue(c.v.ARN, c.v.VersionID); !ok || got != c.want {
			t.Errorf("%s: %q %v, want %q", c.v.VersionID, got, ok, c.want)
		}
	}
	if _, ok := s.SecretValue(v1.ARN, "nope"); ok {
		t.Error("a version that does not exist has a value")
	}

	if err := s.Secrets().Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.SecretValue(v2.ARN, v2.VersionID); ok {
		t.Error("a secret scheduled for deletion can be read")
	}
	if err := s.Secrets().Delete(ctx, id); err != nil {
		t.Errorf("deleting again: %v", err)
	}
	if err := s.Secrets().Delete(ctx, "never/was"); err != nil {
		t.Errorf("deleting what never was: %v", err)
	}
	v3 := put(t, s, configuration.SecretWrite{ID: id, Value: "three"})
	if got, ok := s.SecretValue(v3.ARN, v3.VersionID); !ok || got != "three" || v3.ARN != v1.ARN {
		t.Errorf("a put restores the secret: %q %v %+v", got, ok, v3)
	}
	if _, ok := s.SecretValue(v1.ARN, v1.VersionID); !ok {
		t.Error("a restored secret keeps its versions")
	}
	list := s.SecretList()
	if len(list) != 1 || len(list[0].Versions) != 3 || list[0].ScheduledForDeletion != nil {
		t.Errorf("list %+v", list)
	}
}

func TestSecretPutsRefusedAsSecretsManagerWould(t *testing.T) {
	s, _ := newBox(sandbox.Instant)
	boom := errors.New("boom")
	for _, c := range []struct {
		name string
		w    configuration.SecretWrite
		want error
	}{
		{"too big", configuration.SecretWrite{ID: "a", Value: strings.Repeat("x", 65537)}, cloud.ErrInvalid},
		{"no id", configuration.SecretWrite{Value: "x"}, cloud.ErrInvalid},
		{"bad id", configuration.SecretWrite{ID: "a b", Value: "x"}, cloud.ErrInvalid},
		{"short token", configuration.SecretWrite{ID: "a", Value: "x", Token: "short"}, cloud.ErrInvalid},
	} {
		if _, err := s.Secrets().Put(ctx, c.w); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if _, err := s.Secrets().Put(ctx, configuration.SecretWrite{ID: "a", Value: strings.Repeat("x", 65536)}); err != nil {
		t.Errorf("65536 bytes: %v", err)
	}
	s.Fault("PutSecretValue", boom)
	s.Fault("DeleteSecret", boom)
	if _, err := s.Secrets().Put(ctx, configuration.SecretWrite{ID: "a", Value: "x"}); !errors.Is(err, boom) {
		t.Errorf("put fault: %v", err)
	}
	if err := s.Secrets().Delete(ctx, "a"); !errors.Is(err, boom) {
		t.Errorf("delete fault: %v", err)
	}
}

// configured registers a task definition with the environment's
// variables and secrets, and an "app" container that sets FOO itself.
func configured(t *testing.T, s *sandbox.Sandbox, secrets ...cloud.SecretRef) cloud.Resource {
	t.Helper()
	v := func(s string) *string { return &s }
	td, err := s.RegisterTaskDefinition(ctx, cloud.TaskSpec{Family: "jobs", Tags: tags, LogGroup: "/berth/env",
		Variables: []compose.EnvVar{{Name: "GREETING", Value: v("hello")}, {Name: "FOO", Value: v("environment's")}},
		Secrets:   secrets,
		Compose: compose.Definition{Containers: []compose.Container{
			{Name: "app", ImageReference: &compose.ImageReference{Type: compose.ImageExternal, Identifier: "php:8"},
				Environment: []compose.EnvVar{{Name: "FOO", Value: v("container's")}}},
		}}})
	if err != nil {
		t.Fatal(err)
	}
	return td
}

func TestPrintenvSeesVariablesAndSecrets(t *testing.T) {
	s, _ := newBox(sandbox.Instant)
	key := put(t, s, configuration.SecretWrite{ID: "vars/API_KEY", Value: "s3cret value", Token: token1})
	td := configured(t, s, cloud.SecretRef{Name: "API_KEY", ValueFrom: key.ValueFrom()})
	for _, c := range []struct {
		command string
		want    string
	}{
		{"printenv GREETING", "hello"},
		{"printenv API_KEY", "s3cret value"},
		{"printenv FOO", "container's"},
		{"printenv", "GREETING=hello|FOO=container's|API_KEY=s3cret value"},
	} {
		task := runJob(t, s, td.ID, sh(c.command)...)
		got := describe(t, s, task.ARN)
		if got.StopCode != "EssentialContainerExited" || got.ExitCode == nil || *got.ExitCode != 0 {
			t.Errorf("%s: %+v", c.command, got)
		}
		if lines := output(t, s, got); strings.Join(lines, "|") != c.want {
			t.Errorf("%s printed %q, want %q", c.command, lines, c.want)
		}
	}
	// A new version is what a new task definition pins; the old one still reads its own.
	key2 := put(t, s, configuration.SecretWrite{ID: "vars/API_KEY", Value: "rotated"})
	td2 := configured(t, s, cloud.SecretRef{Name: "API_KEY", ValueFrom: key2.ValueFrom()})
	for tdID, want := range map[string]string{td.ID: "s3cret value", td2.ID: "rotated"} {
		task := runJob(t, s, tdID, "printenv", "API_KEY")
		if lines := output(t, s, describe(t, s, task.ARN)); strings.Join(lines, "|") != want {
			t.Errorf("%s printed %q, want %q", tdID, lines, want)
		}
	}
}

func TestATaskWhoseSecretCannotBeReadFailsToStart(t *testing.T) {
	s, _ := newBox(sandbox.Instant)
	key := put(t, s, configuration.SecretWrite{ID: "vars/API_KEY", Value: "v", Token: token1})
	deleted := put(t, s, configuration.SecretWrite{ID: "vars/GONE", Value: "v"})
	if err := s.Secrets().Delete(ctx, "vars/GONE"); err != nil {
		t.Fatal(err)
	}
	for name, ref := range map[string]string{
		"unknown version": key.ARN + ":::00000000-0000-4000-8000-000000000000",
		"unknown secret":  "arn:aws:secretsmanager:sandbox:000000000000:secret:vars/NOPE-AbCdEf:::" + key.VersionID,
		"deleted secret":  deleted.ValueFrom(),
	} {
		td := configured(t, s, cloud.SecretRef{Name: "API_KEY", ValueFrom: ref})
		task := runJob(t, s, td.ID, sh("echo never")...)
		got := describe(t, s, task.ARN)
		if got.Status != cloud.TaskStopped || got.StopCode != "TaskFailedToStart" || !strings.HasPrefix(got.StoppedReason, "ResourceInitializationError") ||
			got.ExitCode != nil || !got.StartedAt.IsZero() {
			t.Errorf("%s: %+v", name, got)
		}
		if _, err := s.LogLines(ctx, got.LogGroup, got.LogStream, 10); !errors.Is(err, cloud.ErrNotFound) {
			t.Errorf("%s: a task that never started has a log stream: %v", name, err)
		}
	}
}

func TestARolloutWhoseSecretCannotBeReadFails(t *testing.T) {
	s, c := newBox(sandbox.Fast)
	td := configured(t, s, cloud.SecretRef{Name: "API_KEY", ValueFrom: "arn:aws:secretsmanager:sandbox:000000000000:secret:vars/NOPE-AbCdEf:::x"})
	sg, _ := s.CreateSecurityGroup(ctx, cloud.SecurityGroupSpec{Name: "sg", Tags: tags})
	if _, err := s.CreateService(ctx, cloud.ServiceSpec{Name: "svc", TaskDefinitionARN: td.ID, DesiredCount: 1, SecurityGroupID: sg.ID, Tags: tags}); err != nil {
		t.Fatal(err)
	}
	c.advance(sandbox.Fast.Create[cloud.KindService])
	r := rolloutOf(t, s, td.ID)
	if r.State != cloud.RolloutFailed || r.Failure == nil || r.Failure.Type != cloud.FailureTaskFailedToStart || !strings.HasPrefix(r.Failure.StoppedReason, "ResourceInitializationError") {
		t.Fatalf("rollout %+v %+v", r, r.Failure)
	}
	if tasks, _ := s.Access().RunningTasks(ctx, sandbox.Cluster, "svc"); len(tasks) != 0 {
		t.Errorf("running %v", tasks)
	}
}
