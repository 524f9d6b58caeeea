package deploytest

import (
	"context"
	"errors"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/data"
	"github.com/berth-dev/berth/shared/store"
)

// Ids of the data records the events name: a completed database and
// filesystem backup of production, and a restore of the first.
const (
	DatabaseBackupID   = "backup-20261205T100000Z-0d0d0d"
	FilesystemBackupID = "backup-20261205T100000Z-0f0f0f"
	RestoreID          = "restore-20261205T100000Z-0e0e0e"
	// BackupsBucket is the bucket the seeded backups name.
	BackupsBucket = "berth-backups-events"
)

// SeedBackups activates the environment and stores the backups and the
// restore the data events read, download, restore and delete. It does
// nothing when they are stored already. The backups name bucket; their
// artefacts are the caller's to put there, at their Key.
func SeedBackups(ctx context.Context, tbl *store.Table, bucket, org, app, name string) ([]data.Operation, error) {
	if err := Activate(ctx, tbl, org, app, name); err != nil {
		return nil, err
	}
	env, err := tbl.GetEnvironment(ctx, org, app, name)
	if err != nil {
		return nil, err
	}
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	var out []data.Operation
	for _, b := range []struct {
		id   string
		kind data.Kind
	}{{DatabaseBackupID, data.KindDatabase}, {FilesystemBackupID, data.KindFilesystem}} {
		op := data.Operation{ID: b.id, Type: data.TypeBackup, Kind: b.kind, Environment: name, Status: data.StatusCompleted,
			Bucket: bucket, Key: data.ArtefactKey(org, app, name, b.kind, b.id), Size: 20, Phase: data.PhaseBackup,
			Execution: "seed", CreatedAt: at, UpdatedAt: at, EndedAt: at}
		if b.kind == data.KindDatabase {
			op.Engine = "mysql"
		}
		out = append(out, op)
	}
	restore := data.Operation{ID: RestoreID, Type: data.TypeRestore, Kind: data.KindDatabase, Environment: name, Status: data.StatusCompleted,
		Bucket: bucket, Key: out[0].Key, BackupID: DatabaseBackupID, BackupEnvironment: name, Phase: data.PhaseRestore,
		Execution: "seed", CreatedAt: at, UpdatedAt: at, EndedAt: at}
	for _, op := range append(out, restore) {
		if err := tbl.CreateOperation(ctx, env, op); err != nil && !errors.Is(err, apps.ErrConflict) {
			return nil, err
		}
	}
	return out, nil
}

// FreeData ends the environment's unfinished data operations as completed,
// as their workflow would, and frees its data lock.
func FreeData(ctx context.Context, tbl *store.Table, org, app, name string) error {
	env, err := tbl.GetEnvironment(ctx, org, app, name)
	if err != nil {
		return err
	}
	for _, t := range []data.Type{data.TypeBackup, data.TypeRestore, data.TypeSync} {
		for _, k := range []data.Kind{data.KindDatabase, data.KindFilesystem} {
			page, err := tbl.ListOperations(ctx, env, data.Query{Type: t, Kind: k, Limit: 100})
			if err != nil {
				return err
			}
			for _, op := range page.Items {
				if op.Status.Finished() {
					continue
				}
				if _, err := tbl.UpdateOperation(ctx, env, op.Ref(), func(o *data.Operation) error {
					o.Status, o.EndedAt = data.StatusCompleted, time.Now()
					return nil
				}); err != nil {
					return err
				}
				if err := tbl.Unlock(ctx, env, op.LockHolder()); err != nil {
					return err
				}
				other := op.Source // a sync's source, or a restore's backup's environment
				if other == "" {
					other = op.BackupEnvironment
				}
				if other != "" && other != name {
					src, err := tbl.GetEnvironment(ctx, org, app, other)
					if err != nil {
						return err
					}
					if err := tbl.Unlock(ctx, src, op.LockHolder()); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// SeedDataEvent gives the data events of events/ what they need before
// the event of function fn runs (the event tests run them in api.Routes
// order): the backups and restore before the first, in bucket; a free
// production before each operation starts; an ACTIVE pr-456 for the sync;
// and production freed of the sync, its source, before the delete. It
// answers the backups it seeded, whose artefacts are the caller's to put
// in the bucket.
func SeedDataEvent(ctx context.Context, tbl *store.Table, bucket, fn string) ([]data.Operation, error) {
	const org, app, prod = "acme", "my-app", apps.ProductionEnvironment
	switch fn {
	case "list-backups":
		return SeedBackups(ctx, tbl, bucket, org, app, prod)
	case "restore-database", "restore-filesystem", "create-backup":
		return nil, FreeData(ctx, tbl, org, app, prod)
	case "sync-to-environment":
		if err := Activate(ctx, tbl, org, app, "pr-456"); err != nil {
			return nil, err
		}
		return nil, FreeData(ctx, tbl, org, app, prod)
	case "delete-backup":
		return nil, FreeData(ctx, tbl, org, app, "pr-456")
	}
	return nil, nil
}
