package apps_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/apps/appstest"
	"github.com/berth-dev/berth/shared/workflow"
)

func seedRequest(t *testing.T) apps.CreateApplicationRequest {
	t.Helper()
	raw, err := os.ReadFile("../../docs/examples/create-application.json")
	if err != nil {
		t.Fatal(err)
	}
	var req apps.CreateApplicationRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		t.Fatal(err)
	}
	return req
}

// TestCloneLeavesTheSourceUntouched guards against the clone sharing the
// source's containers: the in-memory store keeps records by value, so a
// shared pointer would rewrite production's image tag.
func TestCloneLeavesTheSourceUntouched(t *testing.T) {
	ctx := context.Background()
	mem := appstest.NewMemory()
	svc := apps.NewService(mem, &workflow.Recorder{})
	if _, _, err := svc.CreateApplication(ctx, "acme", seedRequest(t)); err != nil {
		t.Fatal(err)
	}
	from, suffix := "production", "pr-1"
	req := apps.CreateEnvironmentRequest{EnvName: "pr-1", CloneConfigurationFrom: &from, ImageSuffix: &suffix}
	env, err := svc.CreateEnvironment(ctx, "acme", "my-app", req)
	if err != nil {
		t.Fatal(err)
	}
	if got := env.Compose.Containers[0].ImageReference.Identifier; got != "web-pr-1" {
		t.Fatalf("clone tag %q", got)
	}
	prod, err := svc.GetEnvironment(ctx, "acme", "my-app", "production")
	if err != nil {
		t.Fatal(err)
	}
	if got := prod.Compose.Containers[0].ImageReference.Identifier; got != "latest" {
		t.Fatalf("production's tag became %q", got)
	}
}

// TestStartFailureRemovesTheRecords checks the compensation of a create
// whose workflow cannot start, and that the error is ErrUnavailable.
func TestStartFailureRemovesTheRecords(t *testing.T) {
	ctx := context.Background()
	mem := appstest.NewMemory()
	svc := apps.NewService(mem, &workflow.Recorder{Fail: errors.New("throttled")})
	_, _, err := svc.CreateApplication(ctx, "acme", seedRequest(t))
	if !errors.Is(err, apps.ErrUnavailable) {
		t.Fatalf("error %v, want ErrUnavailable", err)
	}
	if mem.Len() != 0 {
		t.Fatalf("%d records left after a failed start", mem.Len())
	}
}

// TestExecutionNamesAreDeterministic: deleting twice starts the same
// execution name (the uid and the version that marked it DELETING), so
// Step Functions runs the teardown once.
func TestExecutionNamesAreDeterministic(t *testing.T) {
	ctx := context.Background()
	rec := &workflow.Recorder{}
	svc := apps.NewService(appstest.NewMemory(), rec)
	app, _, err := svc.CreateApplication(ctx, "acme", seedRequest(t))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, _, err := svc.DeleteApplication(ctx, "acme", "my-app"); err != nil {
			t.Fatal(err)
		}
	}
	started := rec.Started()
	if len(started) != 2 || started[1].Name != "teardown-application-"+app.UID+"-2" {
		t.Fatalf("started %+v", started)
	}
}

// TestFirstEnvironmentStopped: another dialect's create names the first
// environment and creates it stopped; the workflow provisions that one,
// and it goes only with its application.
func TestFirstEnvironmentStopped(t *testing.T) {
	ctx := context.Background()
	rec := &workflow.Recorder{}
	svc := apps.NewService(appstest.NewMemory(), rec)
	req := seedRequest(t)
	req.FirstEnvironment, req.Stopped, req.Label = "dev", true, "My_App"
	app, envs, err := svc.CreateApplication(ctx, "acme", req)
	if err != nil {
		t.Fatal(err)
	}
	if app.First() != "dev" || app.Label != "My_App" || len(envs) != 1 || envs[0].Name != "dev" {
		t.Fatalf("app %+v envs %+v", app, envs)
	}
	if e := envs[0]; !e.Stopped || e.DesiredCount != 0 || e.StoppedCount != app.MinCapacity {
		t.Fatalf("created stopped: stopped %v desired %d stoppedCount %d", e.Stopped, e.DesiredCount, e.StoppedCount)
	}
	if got := rec.Started()[0].Input.Environment; got != "dev" {
		t.Fatalf("provision input environment %q", got)
	}
	got, _, err := svc.GetApplication(ctx, "acme", "my-app")
	if err != nil || got.First() != "dev" || got.Label != "My_App" {
		t.Fatalf("stored app %+v %v", got, err)
	}
	if _, err := svc.DeleteEnvironment(ctx, "acme", "my-app", "dev"); !errors.Is(err, apps.ErrConflict) {
		t.Fatalf("deleting the first environment: %v, want a conflict", err)
	}
	staging, err := svc.CreateEnvironment(ctx, "acme", "my-app", apps.CreateEnvironmentRequest{EnvName: "staging", ComposeDefinition: req.ComposeDefinition, Stopped: true})
	if err != nil || !staging.Stopped || staging.DesiredCount != 0 {
		t.Fatalf("environment created stopped: %+v %v", staging, err)
	}
	// Quant's create is unchanged: production, running.
	plain, penvs, err := svc.CreateApplication(ctx, "acme2", seedRequest(t))
	if err != nil || plain.First() != apps.ProductionEnvironment || plain.FirstEnvironment != "" || penvs[0].Stopped || penvs[0].DesiredCount != plain.MinCapacity {
		t.Fatalf("quant create: %+v %+v %v", plain, penvs, err)
	}
	bad := seedRequest(t)
	bad.FirstEnvironment = "Not A Name"
	if _, _, err := svc.CreateApplication(ctx, "acme3", bad); err == nil || !strings.Contains(err.Error(), "environment") {
		t.Fatalf("a bad first environment name: %v", err)
	}
}
