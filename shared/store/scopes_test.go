package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/dialect"
)

// TestScopesAreRecordedOnce: a second create of a scope's name returns
// the first record, and the list holds each name once, by name.
func TestScopesAreRecordedOnce(t *testing.T) {
	tbl, ctx := testTable(t), context.Background()
	org := fmt.Sprintf("scopes-%d", time.Now().UnixNano())
	first := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	if _, err := tbl.CreateScope(ctx, dialect.Scope{Organisation: org, Name: "staging", CreatedAt: first}); err != nil {
		t.Fatal(err)
	}
	again, err := tbl.CreateScope(ctx, dialect.Scope{Organisation: org, Name: "staging", CreatedAt: first.Add(time.Hour)})
	if err != nil || !again.CreatedAt.Equal(first) {
		t.Fatalf("second create: %+v %v, want the first record", again, err)
	}
	if _, err := tbl.CreateScope(ctx, dialect.Scope{Organisation: org, Name: "dev", CreatedAt: first}); err != nil {
		t.Fatal(err)
	}
	got, err := tbl.ListScopes(ctx, org)
	if err != nil || len(got) != 2 || got[0].Name != "dev" || got[1].Name != "staging" {
		t.Fatalf("scopes %+v %v", got, err)
	}
	if other, _ := tbl.ListScopes(ctx, org+"-other"); len(other) != 0 {
		t.Fatalf("another organisation sees %+v", other)
	}
}

// TestFirstEnvironmentAndLabelRoundTrip: an application another dialect
// created keeps its first environment and label, and a new one that fails
// to start is removed with that environment.
func TestFirstEnvironmentAndLabelRoundTrip(t *testing.T) {
	tbl, ctx := testTable(t), context.Background()
	org := fmt.Sprintf("first-%d", time.Now().UnixNano())
	now := time.Now().UTC()
	app := apps.Application{Organisation: org, Name: "my-app", UID: "u1", Status: apps.StatusCreating, FirstEnvironment: "dev", Label: "My_App", Version: 1, CreatedAt: now, UpdatedAt: now}
	env := apps.Environment{Organisation: org, Application: "my-app", Name: "dev", UID: "u2", Status: apps.StatusCreating, Rollouts: apps.Rollouts{Stopped: true}, Version: 1, CreatedAt: now, UpdatedAt: now}
	if err := tbl.CreateApplication(ctx, app, env); err != nil {
		t.Fatal(err)
	}
	got, envs, err := tbl.GetApplication(ctx, org, "my-app")
	if err != nil || got.First() != "dev" || got.Label != "My_App" || len(envs) != 1 || envs[0].Name != "dev" || !envs[0].Stopped {
		t.Fatalf("read back %+v %+v %v", got, envs, err)
	}
	if err := tbl.RemoveNewApplication(ctx, got); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tbl.GetApplication(ctx, org, "my-app"); err == nil {
		t.Fatal("the application is still there")
	}
	if found, err := tbl.FindEnvironments(ctx, org, "dev"); err != nil || len(found) != 0 {
		t.Fatalf("environment dev left behind: %+v %v", found, err)
	}
}
