package apps_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
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
