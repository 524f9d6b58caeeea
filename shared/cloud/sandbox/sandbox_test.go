package sandbox_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/sandbox"
)

var ctx = context.Background()

// clock is a virtual clock the test moves by hand.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time          { return c.now }
func (c *clock) advance(d time.Duration) { c.now = c.now.Add(d) }
func newBox(p sandbox.Profile) (*sandbox.Sandbox, *clock) {
	c := &clock{now: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)}
	s := sandbox.New(p)
	s.Now = c.Now
	return s, c
}

var tags = cloud.Tags{cloud.ManagedTag: "true"}

func db(id string) cloud.DatabaseSpec {
	return cloud.DatabaseSpec{Identifier: id, Engine: "postgres", InstanceClass: "db.t4g.micro", StorageGB: 20, Tags: tags}
}

func TestResourcesBecomeAvailableAfterTheirDelay(t *testing.T) {
	s, c := newBox(sandbox.Realistic)
	res, err := s.CreateDatabase(ctx, db("berth-shop-1"))
	if err != nil {
		t.Fatal(err)
	}
	if res.State != cloud.StateCreating || res.Expected != sandbox.Realistic.Create[cloud.KindDatabase] {
		t.Fatalf("new database: %s, expected %s", res.State, res.Expected)
	}
	c.advance(res.Expected - time.Millisecond)
	if got, _ := s.Check(ctx, res.Ref); got.State != cloud.StateCreating {
		t.Fatalf("before its delay: %s", got.State)
	}
	c.advance(time.Millisecond)
	got, err := s.Check(ctx, res.Ref)
	if err != nil || got.State != cloud.StateAvailable || got.Outputs[cloud.OutPort] != "5432" || got.Outputs[cloud.OutEndpoint] == "" {
		t.Fatalf("after its delay: %+v, %v", got, err)
	}
}

func TestFilesystemWaitsForItsMountTargets(t *testing.T) {
	s, c := newBox(sandbox.Realistic)
	fs, _ := s.CreateFilesystem(ctx, cloud.FilesystemSpec{Name: "berth-fs", CreationToken: "berth-fs", Tags: tags})
	c.advance(sandbox.Realistic.Create[cloud.KindFilesystem])
	if got, _ := s.Check(ctx, fs.Ref); got.State != cloud.StateCreating {
		t.Fatalf("available filesystem without mount targets: %s", got.State)
	}
	c.advance(sandbox.Realistic.MountTargets)
	if got, _ := s.Check(ctx, fs.Ref); got.State != cloud.StateAvailable {
		t.Fatalf("with mount targets: %s", got.State)
	}
}

func TestSameNameReturnsTheExistingResource(t *testing.T) {
	s, _ := newBox(sandbox.Instant)
	a, _ := s.CreateDatabase(ctx, db("berth-shop-1"))
	b, err := s.CreateDatabase(ctx, db("berth-shop-1"))
	if err != nil || a.ID != b.ID || len(s.Resources()) != 1 || s.Collisions() != 1 {
		t.Fatalf("retried create: %v, %d resources, %d collisions", err, len(s.Resources()), s.Collisions())
	}
}

func TestInvalidRequestsFailAsAWSWould(t *testing.T) {
	s, _ := newBox(sandbox.Instant)
	for name, err := range map[string]error{
		"two hyphens": func() error { _, err := s.CreateDatabase(ctx, db("berth--shop")); return err }(),
		"untagged":    func() error { d := db("berth-x"); d.Tags = nil; _, err := s.CreateDatabase(ctx, d); return err }(),
		"long target group": func() error {
			_, err := s.CreateTargetGroup(ctx, cloud.TargetGroupSpec{Name: "berth-a-very-long-target-group-name", Port: 80})
			return err
		}(),
		"service without task definition": func() error {
			_, err := s.CreateService(ctx, cloud.ServiceSpec{Name: "svc", TaskDefinitionARN: "nope"})
			return err
		}(),
	} {
		if !errors.Is(err, cloud.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if n := len(s.Resources()); n != 0 {
		t.Fatalf("refused requests made %d resources", n)
	}
}

func TestDeletesRespectDependenciesAndMissingIsGone(t *testing.T) {
	s, c := newBox(sandbox.Realistic)
	tg, _ := s.CreateTargetGroup(ctx, cloud.TargetGroupSpec{Name: "berth-tg", Port: 80})
	rule, _ := s.CreateListenerRule(ctx, cloud.ListenerRuleSpec{Name: "berth-rule", Host: "h", TargetGroupARN: tg.ID})
	if gone, err := s.Delete(ctx, tg.Ref, cloud.DeleteOptions{}); gone || err != nil {
		t.Fatalf("target group in use: gone %v, %v", gone, err)
	}
	if gone, _ := s.Delete(ctx, rule.Ref, cloud.DeleteOptions{}); !gone {
		t.Fatal("a listener rule deletes at once")
	}
	if gone, _ := s.Delete(ctx, tg.Ref, cloud.DeleteOptions{}); !gone {
		t.Fatal("the target group is free now")
	}
	d, _ := s.CreateDatabase(ctx, db("berth-shop-2"))
	if gone, _ := s.Delete(ctx, d.Ref, cloud.DeleteOptions{}); gone {
		t.Fatal("a database takes time to delete")
	}
	c.advance(sandbox.Realistic.Delete[cloud.KindDatabase])
	if gone, _ := s.Delete(ctx, d.Ref, cloud.DeleteOptions{}); !gone {
		t.Fatal("the database should be gone")
	}
	if _, err := s.Check(ctx, d.Ref); !errors.Is(err, cloud.ErrNotFound) {
		t.Fatalf("check of a deleted database: %v", err)
	}
	if gone, err := s.Delete(ctx, cloud.Ref{Kind: cloud.KindSecret, Name: "never-made"}, cloud.DeleteOptions{}); !gone || err != nil {
		t.Fatalf("delete of a missing secret: %v, %v", gone, err)
	}
}

func TestFaultsFailTheChosenOperationOnly(t *testing.T) {
	s, _ := newBox(sandbox.Instant)
	boom := errors.New("InternalFailure")
	s.Fault("CreateDatabase", boom)
	if _, err := s.CreateDatabase(ctx, db("berth-a")); !errors.Is(err, boom) {
		t.Fatalf("faulted create: %v", err)
	}
	if _, err := s.CreateRepository(ctx, cloud.RepositorySpec{Name: "berth/r"}); err != nil {
		t.Fatalf("another operation: %v", err)
	}
	s.ClearFaults()
	if _, err := s.CreateDatabase(ctx, db("berth-a")); err != nil {
		t.Fatalf("after clearing: %v", err)
	}
}

// TestAHostRoutedByAnotherRuleIsNotTaken: a second rule for a host fails
// with cloud.ErrConflict and the first keeps its target group; the same
// rule asked for again (a retried step) is returned.
func TestAHostRoutedByAnotherRuleIsNotTaken(t *testing.T) {
	s, _ := newBox(sandbox.Instant)
	tgA, _ := s.CreateTargetGroup(ctx, cloud.TargetGroupSpec{Name: "berth-a-0123456789"})
	tgB, _ := s.CreateTargetGroup(ctx, cloud.TargetGroupSpec{Name: "berth-b-0123456789"})
	first := cloud.ListenerRuleSpec{Name: "berth-acme-a", Host: "shop.sandbox.berth.local", TargetGroupARN: tgA.ID}
	if _, err := s.CreateListenerRule(ctx, first); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateListenerRule(ctx, first); err != nil {
		t.Fatalf("retried create: %v", err)
	}
	_, err := s.CreateListenerRule(ctx, cloud.ListenerRuleSpec{Name: "berth-other-b", Host: "SHOP.sandbox.berth.local", TargetGroupARN: tgB.ID})
	if !errors.Is(err, cloud.ErrConflict) {
		t.Fatalf("error %v, want a conflict", err)
	}
	if got := s.Spec(cloud.KindListenerRule, "berth-acme-a").(cloud.ListenerRuleSpec).TargetGroupARN; got != tgA.ID {
		t.Errorf("the first rule now forwards to %q", got)
	}
	if s.Spec(cloud.KindListenerRule, "berth-other-b") != nil {
		t.Error("the second rule was made")
	}
}

func TestRegistryLogin(t *testing.T) {
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	r := sandbox.Registry{Now: func() time.Time { return now }}
	a, err := r.Credentials(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := r.Credentials(ctx)
	if a.Username != "AWS" || len(a.Password) < 32 || a.Password == b.Password {
		t.Errorf("logins %+v and %+v: want user AWS and a new random password each", a, b)
	}
	if !a.ExpiresAt.Equal(now.Add(12*time.Hour)) || a.Endpoint != "https://000000000000.dkr.ecr.sandbox.berth.local" {
		t.Errorf("login %+v", a)
	}
	// The endpoint is the host of the sandbox's repository URIs.
	repo, err := sandbox.New(sandbox.Instant).CreateRepository(ctx, cloud.RepositorySpec{Name: "berth/acme/my-app"})
	if err != nil {
		t.Fatal(err)
	}
	if uri := repo.Outputs[cloud.OutRepositoryURI]; uri != strings.TrimPrefix(a.Endpoint, "https://")+"/berth/acme/my-app" {
		t.Errorf("repository URI %s is not under %s", uri, a.Endpoint)
	}
}
