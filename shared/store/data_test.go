package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/data"
)

func dataEnv(name string) apps.Environment {
	return apps.Environment{Organisation: "acme-data", Application: "shop", Name: name, UID: name + "-uid"}
}

// TestListOperationsFiltersAndPages: listBackups' order, time bounds,
// status filter and pages, against DynamoDB Local.
func TestListOperationsFiltersAndPages(t *testing.T) {
	tbl, ctx := testTable(t), context.Background()
	env := dataEnv("list-" + fmt.Sprint(time.Now().UnixNano()))
	base := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	var ids []string
	for i := 0; i < 7; i++ {
		at := base.Add(time.Duration(i) * time.Hour)
		st := data.StatusCompleted
		if i%3 == 0 {
			st = data.StatusFailed
		}
		op := data.Operation{ID: data.NewID(data.TypeBackup, at), Type: data.TypeBackup, Kind: data.KindDatabase, Environment: env.Name, Status: st, CreatedAt: at, Execution: "x"}
		if err := tbl.CreateOperation(ctx, env, op); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, op.ID)
	}
	// A filesystem backup and a restore in the same partition never show.
	other := data.Operation{ID: data.NewID(data.TypeBackup, base), Type: data.TypeBackup, Kind: data.KindFilesystem, Environment: env.Name, Status: data.StatusCompleted, CreatedAt: base}
	if err := tbl.CreateOperation(ctx, env, other); err != nil {
		t.Fatal(err)
	}
	list := func(q data.Query) ([]string, string) {
		t.Helper()
		q.Type, q.Kind = data.TypeBackup, data.KindDatabase
		page, err := tbl.ListOperations(ctx, env, q)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, o := range page.Items {
			got = append(got, o.ID)
		}
		return got, page.Next
	}
	eq := func(got, want []string) bool { return fmt.Sprint(got) == fmt.Sprint(want) }

	if got, next := list(data.Query{Limit: 50}); !eq(got, []string{ids[6], ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]}) || next != "" {
		t.Fatalf("newest first: %v next %q", got, next)
	}
	if got, _ := list(data.Query{Limit: 50, Ascending: true}); !eq(got, ids) {
		t.Fatalf("oldest first: %v", got)
	}
	// createdAfter 02:00 (inclusive) and createdBefore 05:00 (exclusive).
	if got, _ := list(data.Query{Limit: 50, Ascending: true, Since: base.Add(2 * time.Hour), Before: base.Add(5 * time.Hour)}); !eq(got, ids[2:5]) {
		t.Fatalf("between 02:00 and 05:00: %v, want %v", got, ids[2:5])
	}
	// The status filter fills a page across reads, and pages on.
	got, next := list(data.Query{Limit: 2, Status: data.StatusCompleted})
	if !eq(got, []string{ids[5], ids[4]}) || next != ids[4] {
		t.Fatalf("completed, page 1: %v next %q", got, next)
	}
	// The last page: only a failed one follows, so no token.
	got, next = list(data.Query{Limit: 2, Status: data.StatusCompleted, After: next})
	if !eq(got, []string{ids[2], ids[1]}) || next != "" {
		t.Fatalf("completed, page 2: %v next %q", got, next)
	}
}

// TestDataLock: one holder at a time; the holder may take it again; a
// lock past its time gives way; only its holder frees it.
func TestDataLock(t *testing.T) {
	tbl, ctx := testTable(t), context.Background()
	env := dataEnv("lock-" + fmt.Sprint(time.Now().UnixNano()))
	now := time.Now()
	if err := tbl.Lock(ctx, env, "a", now, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := tbl.Lock(ctx, env, "a", now, now.Add(time.Hour)); err != nil {
		t.Fatalf("the holder again: %v", err)
	}
	err := tbl.Lock(ctx, env, "b", now, now.Add(time.Hour))
	var appErr *apps.Error
	if !errors.Is(err, apps.ErrConflict) || !errors.As(err, &appErr) || appErr.Message == "" {
		t.Fatalf("another holder: %v, want a conflict naming the holder", err)
	}
	if err := tbl.Unlock(ctx, env, "b"); err != nil {
		t.Fatalf("unlock by another: %v", err)
	}
	if err := tbl.Lock(ctx, env, "b", now, now.Add(time.Hour)); !errors.Is(err, apps.ErrConflict) {
		t.Fatalf("another's unlock freed it: %v", err)
	}
	// Past its time, it gives way.
	if err := tbl.Lock(ctx, env, "b", now.Add(2*time.Hour), now.Add(3*time.Hour)); err != nil {
		t.Fatalf("a lock past its time: %v", err)
	}
	if err := tbl.Unlock(ctx, env, "b"); err != nil {
		t.Fatal(err)
	}
	if err := tbl.Lock(ctx, env, "c", now, now.Add(time.Hour)); err != nil {
		t.Fatalf("after unlock: %v", err)
	}
}

// TestUpdateAndDeleteOperationAreConditional: an id is taken once; an
// unfinished operation is not deleted; a finished one is, once.
func TestUpdateAndDeleteOperationAreConditional(t *testing.T) {
	tbl, ctx := testTable(t), context.Background()
	env := dataEnv("cond-" + fmt.Sprint(time.Now().UnixNano()))
	op := data.Operation{ID: data.NewID(data.TypeBackup, time.Now()), Type: data.TypeBackup, Kind: data.KindDatabase, Environment: env.Name, Status: data.StatusRunning, CreatedAt: time.Now()}
	if err := tbl.CreateOperation(ctx, env, op); err != nil {
		t.Fatal(err)
	}
	if err := tbl.CreateOperation(ctx, env, op); !errors.Is(err, apps.ErrConflict) {
		t.Fatalf("the same id twice: %v", err)
	}
	if err := tbl.DeleteOperation(ctx, env, op.Ref()); !errors.Is(err, apps.ErrNotFound) {
		t.Fatalf("delete of a running operation: %v", err)
	}
	if _, err := tbl.UpdateOperation(ctx, env, op.Ref(), func(o *data.Operation) error { o.Status, o.Size = data.StatusCompleted, 42; return nil }); err != nil {
		t.Fatal(err)
	}
	now, _ := tbl.GetOperation(ctx, env, op.Ref())
	if now.Status != data.StatusCompleted || now.Size != 42 || now.Version != 2 {
		t.Fatalf("after update: %+v", now)
	}
	if err := tbl.DeleteOperation(ctx, env, op.Ref()); err != nil {
		t.Fatal(err)
	}
	if err := tbl.DeleteOperation(ctx, env, op.Ref()); !errors.Is(err, apps.ErrNotFound) {
		t.Fatalf("a second delete: %v", err)
	}
}
