package data

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/validation"
)

// Store keeps data operations, in the history partition of the
// environment each is on, and each environment's data lock.
type Store interface {
	GetApplication(ctx context.Context, org, name string) (apps.Application, []apps.Environment, error)
	// CreateOperation stores a new operation; a Conflict when its id is taken.
	CreateOperation(ctx context.Context, env apps.Environment, op Operation) error
	GetOperation(ctx context.Context, env apps.Environment, ref Ref) (Operation, error)
	// ListOperations lists env's operations of one type and kind.
	ListOperations(ctx context.Context, env apps.Environment, q Query) (apps.Page[Operation], error)
	// UpdateOperation applies change in a conditional write, reading the
	// operation again when another write came first.
	UpdateOperation(ctx context.Context, env apps.Environment, ref Ref, change func(*Operation) error) (Operation, error)
	// DeleteOperation deletes a finished operation; NotFound when it is gone.
	DeleteOperation(ctx context.Context, env apps.Environment, ref Ref) error
	// Lock makes holder env's one data operation until until; a Conflict
	// naming the holder when another holds it. Taking it again as the same
	// holder succeeds.
	Lock(ctx context.Context, env apps.Environment, holder string, now, until time.Time) error
	// Unlock frees env's lock if holder still holds it.
	Unlock(ctx context.Context, env apps.Environment, holder string) error
}

// Query selects operations of one type and kind, by creation time.
type Query struct {
	Type Type
	Kind Kind
	// Ascending lists oldest first; newest first otherwise.
	Ascending bool
	Limit     int
	// After is the id of the last operation of the previous page.
	After string
	// Since and Before bound the creation time (zero: unbounded).
	Since, Before time.Time
	// Status keeps only operations in it; empty keeps all.
	Status Status
}

// Artefacts keeps backups' artefacts (shared/data/awsartefacts in AWS,
// the local S3 in make run).
type Artefacts interface {
	DownloadURL(ctx context.Context, key, filename string, ttl time.Duration) (string, time.Time, error)
	Stat(ctx context.Context, key string) (size int64, exists bool, err error)
	Delete(ctx context.Context, key string) error
}

// Service runs the data use cases.
type Service struct {
	Store     Store
	Workflows apps.WorkflowStarter
	// Artefacts is nil but for the routes that read or delete them.
	Artefacts Artefacts
	// Bucket is the backups bucket.
	Bucket string
	Now    func() time.Time
}

// Target names the environment a request is about, and who asks.
type Target struct {
	Organisation, Application, Environment string
	By                                     string
}

// BackupRequest is createBackup's body.
type BackupRequest struct {
	Description *string `json:"description"`
}

// RestoreRequest is restoreDatabase's and restoreFilesystem's body.
type RestoreRequest struct {
	BackupID            *string `json:"backupId"`
	AcknowledgeDataloss *bool   `json:"acknowledgeDataloss"`
}

// SyncRequest is syncToEnvironment's body.
type SyncRequest struct {
	SourceEnvironment *string `json:"sourceEnvironment"`
}

// KindOf reads the {type} path segment, naming the field when it is wrong.
func KindOf(s string) (Kind, error) {
	k, ok := ParseKind(s)
	if !ok {
		return "", validation.Errors{"type": {fmt.Sprintf("must be database or filesystem, not %q", s)}}
	}
	return k, nil
}

// load reads the target's application and environment.
func (s *Service) load(ctx context.Context, t Target) (apps.Application, apps.Environment, []apps.Environment, error) {
	app, envs, err := s.Store.GetApplication(ctx, t.Organisation, t.Application)
	if err != nil {
		return apps.Application{}, apps.Environment{}, nil, err
	}
	for _, e := range envs {
		if e.Name == t.Environment {
			return app, e, envs, nil
		}
	}
	return apps.Application{}, apps.Environment{}, nil, apps.NotFound("application %q has no environment %q", t.Application, t.Environment)
}

// movable fails unless env's data of kind k can be backed up or restored now.
func movable(app apps.Application, env apps.Environment, k Kind) error {
	switch {
	case k == KindDatabase && app.Database == nil:
		return apps.Conflict("application %q has no database, so environment %q has none to back up or restore", app.Name, env.Name)
	case k == KindFilesystem && app.Filesystem == nil:
		return apps.Conflict("application %q has no filesystem, so environment %q has none to back up or restore", app.Name, env.Name)
	case env.Status != apps.StatusActive:
		return apps.Conflict("environment %q is %s; data operations run on ACTIVE environments", env.Name, env.Status)
	}
	return nil
}

func engineOf(app apps.Application, k Kind) string {
	if k == KindDatabase && app.Database != nil {
		return app.Database.Engine
	}
	return ""
}

// Backup records a backup of the environment's data of kind k and starts
// its workflow.
func (s *Service) Backup(ctx context.Context, t Target, k Kind, body BackupRequest) (Operation, error) {
	var desc string
	if body.Description != nil {
		desc = *body.Description
		if len(desc) > MaxDescription {
			return Operation{}, validation.Errors{"description": {fmt.Sprintf("must be at most %d bytes, not %d", MaxDescription, len(desc))}}
		}
	}
	app, env, _, err := s.load(ctx, t)
	if err != nil {
		return Operation{}, err
	}
	if err := movable(app, env, k); err != nil {
		return Operation{}, err
	}
	now := s.Now().UTC()
	op := Operation{ID: NewID(TypeBackup, now), Type: TypeBackup, Kind: k, Environment: env.Name, Status: StatusPending,
		Engine: engineOf(app, k), Description: desc, Bucket: s.Bucket, Phase: PhaseBackup, CreatedBy: t.By, CreatedAt: now, UpdatedAt: now}
	op.Key = ArtefactKey(t.Organisation, t.Application, env.Name, k, op.ID)
	op.Execution = ExecutionName(env.UID, op.ID)
	return op, s.begin(ctx, env, nil, op)
}

// begin takes the data lock of env (and of source, for a sync), records
// op, and starts its workflow; whatever it took is given back on failure.
func (s *Service) begin(ctx context.Context, env apps.Environment, source *apps.Environment, op Operation, also ...Operation) error {
	now := s.Now().UTC()
	holder := op.LockHolder()
	if err := s.Store.Lock(ctx, env, holder, now, now.Add(LockTTL)); err != nil {
		return err
	}
	unlock := func() {
		ctx := context.WithoutCancel(ctx)
		_ = s.Store.Unlock(ctx, env, holder)
		if source != nil {
			_ = s.Store.Unlock(ctx, *source, holder)
		}
	}
	if source != nil {
		if err := s.Store.Lock(ctx, *source, holder, now, now.Add(LockTTL)); err != nil {
			_ = s.Store.Unlock(context.WithoutCancel(ctx), env, holder)
			return err
		}
	}
	for _, o := range also { // a sync's backup, on its source
		if err := s.Store.CreateOperation(ctx, *source, o); err != nil {
			unlock()
			return err
		}
	}
	if err := s.Store.CreateOperation(ctx, env, op); err != nil {
		unlock()
		return err
	}
	in := apps.ExecutionInput{Organisation: env.Organisation, Application: env.Application, Environment: env.Name, UID: env.UID, Data: op.Ref().String()}
	if err := s.Workflows.Start(ctx, apps.Execution{Workflow: apps.DataOperation, Name: op.Execution, Input: in}); err != nil {
		// Nothing runs it: say so on the record rather than leave it pending.
		ctx := context.WithoutCancel(ctx)
		fail := func(o *Operation) error {
			o.Status, o.Reason, o.EndedAt = StatusFailed, "the data-operation workflow could not be started", s.Now().UTC()
			return nil
		}
		_, _ = s.Store.UpdateOperation(ctx, env, op.Ref(), fail)
		for _, o := range also {
			_, _ = s.Store.UpdateOperation(ctx, *source, o.Ref(), fail)
		}
		unlock()
		return apps.Unavailable(err, "the %s could not be started; retry the request", op.Type)
	}
	return nil
}

// ListBackups lists the environment's backups of kind k.
func (s *Service) ListBackups(ctx context.Context, t Target, q Query) (apps.Page[Operation], error) {
	_, env, _, err := s.load(ctx, t)
	if err != nil {
		return apps.Page[Operation]{}, err
	}
	q.Type = TypeBackup
	return s.Store.ListOperations(ctx, env, q)
}

// backup reads one of the environment's backups.
func (s *Service) backup(ctx context.Context, t Target, k Kind, id string) (apps.Environment, Operation, error) {
	_, env, _, err := s.load(ctx, t)
	if err != nil {
		return apps.Environment{}, Operation{}, err
	}
	op, err := s.Store.GetOperation(ctx, env, Ref{Type: TypeBackup, Kind: k, ID: id})
	return env, op, err
}

// DeleteBackup deletes a finished backup and its artefact.
func (s *Service) DeleteBackup(ctx context.Context, t Target, k Kind, id string) error {
	env, op, err := s.backup(ctx, t, k, id)
	if err != nil {
		return err
	}
	if !op.Status.Finished() {
		return apps.Conflict("backup %q is %s; delete it once it has finished", id, op.Status)
	}
	if err := s.sameBucket(op); err != nil {
		return err
	}
	// Held while it goes, so no restore or sync starts reading it meanwhile;
	// one that holds the environment now gets this DELETE a 409.
	holder := deleteHolder + op.Ref().String()
	now := s.Now().UTC()
	if err := s.Store.Lock(ctx, env, holder, now, now.Add(time.Minute)); err != nil {
		return err
	}
	defer func() { _ = s.Store.Unlock(context.WithoutCancel(ctx), env, holder) }()
	if op.Key != "" {
		if err := s.Artefacts.Delete(ctx, op.Key); err != nil {
			return apps.Unavailable(err, "the backup's artefact could not be deleted; retry the request")
		}
	}
	// Only a finished backup's record goes: a finished one no longer
	// changes, so a second DELETE racing this one finds it gone (404).
	return s.Store.DeleteOperation(ctx, env, op.Ref())
}

// sameBucket fails unless op's artefact is in the bucket this deployment
// uses (a backup taken before the bucket changed is out of reach).
func (s *Service) sameBucket(op Operation) error {
	if op.Bucket != "" && op.Bucket != s.Bucket {
		return apps.Conflict("backup %q is in bucket %s, which this Berth no longer uses (it uses %s)", op.ID, op.Bucket, s.Bucket)
	}
	return nil
}

// Download is a URL that downloads a completed backup's artefact for
// DownloadTTL, and the file name to save it as.
type Download struct {
	URL      string
	Expires  time.Time
	Filename string
}

// DownloadBackup presigns a download of a completed backup.
func (s *Service) DownloadBackup(ctx context.Context, t Target, k Kind, id string) (Download, error) {
	_, op, err := s.backup(ctx, t, k, id)
	if err != nil {
		return Download{}, err
	}
	if op.Status != StatusCompleted {
		return Download{}, apps.Conflict("backup %q is %s; only a completed backup can be downloaded", id, op.Status)
	}
	if err := s.sameBucket(op); err != nil {
		return Download{}, err
	}
	if _, exists, err := s.Artefacts.Stat(ctx, op.Key); err != nil {
		return Download{}, apps.Unavailable(err, "the backup's artefact could not be read; retry the request")
	} else if !exists {
		return Download{}, apps.NotFound("backup %q's artefact no longer exists: the bucket's retention removed it", id)
	}
	name := t.Application + "-" + t.Environment + "-" + op.ID + Extension(k)
	url, expires, err := s.Artefacts.DownloadURL(ctx, op.Key, name, DownloadTTL)
	if err != nil {
		return Download{}, apps.Unavailable(err, "a download URL could not be made; retry the request")
	}
	return Download{URL: url, Expires: expires, Filename: name}, nil
}

// Restore loads backup backupID, of any environment of the application,
// into the target environment.
func (s *Service) Restore(ctx context.Context, t Target, k Kind, backupID string, body RestoreRequest) (Operation, error) {
	errs := validation.Errors{}
	switch {
	case body.BackupID == nil:
		errs.Add("backupId", "is required, and must be the backup id of the path")
	case *body.BackupID != backupID:
		errs.Add("backupId", fmt.Sprintf("must be the backup id of the path, %q, not %q", backupID, *body.BackupID))
	}
	if body.AcknowledgeDataloss == nil || !*body.AcknowledgeDataloss {
		errs.Add("acknowledgeDataloss", "must be true: the restore overwrites the environment's "+string(k))
	}
	if err := errs.Err(); err != nil {
		return Operation{}, err
	}
	app, env, envs, err := s.load(ctx, t)
	if err != nil {
		return Operation{}, err
	}
	from, err := s.findBackup(ctx, envs, k, backupID)
	if err != nil {
		return Operation{}, err
	}
	if from.Kind != k {
		return Operation{}, validation.Errors{"backupId": {fmt.Sprintf("backup %q is a %s backup; restore it with restore-%s", backupID, from.Kind, from.Kind)}}
	}
	if from.Status != StatusCompleted {
		return Operation{}, apps.Conflict("backup %q is %s; only a completed backup can be restored", backupID, from.Status)
	}
	if err := movable(app, env, k); err != nil {
		return Operation{}, err
	}
	now := s.Now().UTC()
	op := Operation{ID: NewID(TypeRestore, now), Type: TypeRestore, Kind: k, Environment: env.Name, Status: StatusPending,
		Engine: from.Engine, Bucket: from.Bucket, Key: from.Key, BackupID: from.ID, BackupEnvironment: from.Environment,
		Phase: PhaseRestore, CreatedBy: t.By, CreatedAt: now, UpdatedAt: now}
	op.Execution = ExecutionName(env.UID, op.ID)
	// The backup's environment is held too, so its backup is not deleted
	// while the restore reads it.
	var source *apps.Environment
	for i := range envs {
		if envs[i].Name == from.Environment && from.Environment != env.Name {
			source = &envs[i]
		}
	}
	return op, s.begin(ctx, env, source, op)
}

// findBackup finds a backup by id among the application's environments,
// of kind k first (the other kind, to say which restore it needs).
func (s *Service) findBackup(ctx context.Context, envs []apps.Environment, k Kind, id string) (Operation, error) {
	other := KindFilesystem
	if k == KindFilesystem {
		other = KindDatabase
	}
	for _, k := range []Kind{k, other} {
		for _, e := range envs {
			op, err := s.Store.GetOperation(ctx, e, Ref{Type: TypeBackup, Kind: k, ID: id})
			if err == nil {
				return op, nil
			}
			if !errors.Is(err, apps.ErrNotFound) {
				return Operation{}, err
			}
		}
	}
	return Operation{}, apps.NotFound("no environment of this application has a backup %q", id)
}

// GetRestore reads a restore of the environment.
func (s *Service) GetRestore(ctx context.Context, t Target, id string) (Operation, error) {
	_, env, _, err := s.load(ctx, t)
	if err != nil {
		return Operation{}, err
	}
	for _, k := range []Kind{KindDatabase, KindFilesystem} {
		op, err := s.Store.GetOperation(ctx, env, Ref{Type: TypeRestore, Kind: k, ID: id})
		if !errors.Is(err, apps.ErrNotFound) {
			return op, err
		}
	}
	return Operation{}, apps.NotFound("environment %q has no restore %q", t.Environment, id)
}

// Sync backs up the source environment's data of kind k and restores it
// into the target, as one workflow.
func (s *Service) Sync(ctx context.Context, t Target, k Kind, body SyncRequest) (Operation, error) {
	if body.SourceEnvironment == nil || *body.SourceEnvironment == "" {
		return Operation{}, validation.Errors{"sourceEnvironment": {"is required: the environment whose data is copied into " + t.Environment}}
	}
	if *body.SourceEnvironment == t.Environment {
		return Operation{}, validation.Errors{"sourceEnvironment": {fmt.Sprintf("must be another environment than the target, %q", t.Environment)}}
	}
	app, env, envs, err := s.load(ctx, t)
	if err != nil {
		return Operation{}, err
	}
	var source *apps.Environment
	for i := range envs {
		if envs[i].Name == *body.SourceEnvironment {
			source = &envs[i]
		}
	}
	if source == nil {
		return Operation{}, validation.Errors{"sourceEnvironment": {fmt.Sprintf("application %q has no environment %q", t.Application, *body.SourceEnvironment)}}
	}
	if k == KindDatabase {
		// Every environment of an application uses the application's one
		// database (cloud.DatabaseConnection), so there is nothing to copy.
		return Operation{}, apps.Conflict("environments %q and %q share application %q's database; a database sync between them would copy it onto itself. Use a filesystem sync, or a backup and restore", source.Name, env.Name, app.Name)
	}
	if err := movable(app, *source, k); err != nil {
		return Operation{}, err
	}
	if err := movable(app, env, k); err != nil {
		return Operation{}, err
	}
	if env.Deploying != 0 {
		// The sync stops the target and starts it again on its serving
		// release: a deployment rolling out meanwhile would race it.
		return Operation{}, apps.Conflict("environment %q is rolling out deployment %d; sync into it once that has finished", env.Name, env.Deploying)
	}
	now := s.Now().UTC()
	op := Operation{ID: NewID(TypeSync, now), Type: TypeSync, Kind: k, Environment: env.Name, Source: source.Name, Status: StatusPending,
		Engine: engineOf(app, k), Bucket: s.Bucket, Phase: PhaseBackup, CreatedBy: t.By, CreatedAt: now, UpdatedAt: now}
	op.Execution = ExecutionName(env.UID, op.ID)
	bk := Operation{ID: NewID(TypeBackup, now), Type: TypeBackup, Kind: k, Environment: source.Name, Status: StatusPending,
		Engine: op.Engine, Description: "taken by sync " + op.ID + " into " + env.Name, Bucket: s.Bucket, Phase: PhaseBackup,
		Execution: op.Execution, CreatedBy: t.By, CreatedAt: now, UpdatedAt: now}
	bk.Key = ArtefactKey(t.Organisation, t.Application, source.Name, k, bk.ID)
	op.BackupID, op.BackupEnvironment, op.Key = bk.ID, source.Name, bk.Key
	return op, s.begin(ctx, env, source, op, bk)
}

// MaxSyncs bounds the list of syncs, which Quant does not page.
const MaxSyncs = 100

// ListSyncs lists the environment's syncs of kind k, newest first.
func (s *Service) ListSyncs(ctx context.Context, t Target, k Kind) ([]Operation, error) {
	_, env, _, err := s.load(ctx, t)
	if err != nil {
		return nil, err
	}
	page, err := s.Store.ListOperations(ctx, env, Query{Type: TypeSync, Kind: k, Limit: MaxSyncs})
	return page.Items, err
}
