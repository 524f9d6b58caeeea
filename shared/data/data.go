// Package data holds an environment's data operations: backups of its
// database or filesystem, restores of a backup into an environment, and
// syncs (a backup of one environment restored into another, as one run).
// Each is a record in the environment's history and one execution of the
// data-operation workflow (statemachines/data-operation.asl.json), which
// runs the dump or restore as an ECS task of the data image, in the
// environment's network, with the database password from Secrets Manager.
// Artefacts live in the backups bucket; an environment runs one data
// operation at a time.
package data

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Kind is what an operation moves.
type Kind string

// Kinds, as Quant's {type} path segment names them.
const (
	KindDatabase   Kind = "database"
	KindFilesystem Kind = "filesystem"
)

// ParseKind reads a {type} path segment.
func ParseKind(s string) (Kind, bool) {
	switch Kind(s) {
	case KindDatabase, KindFilesystem:
		return Kind(s), true
	}
	return "", false
}

// Type is what an operation does.
type Type string

// Types.
const (
	TypeBackup  Type = "backup"
	TypeRestore Type = "restore"
	TypeSync    Type = "sync"
)

// Status is where an operation is, in Quant's words.
type Status string

// Statuses.
const (
	StatusPending   Status = "pending"
	StatusRunning   Status = "running"
	StatusCompleted Status = "completed"
	StatusFailed    Status = "failed"
)

// ParseStatus reads the listBackups status filter.
func ParseStatus(s string) (Status, bool) {
	switch Status(s) {
	case StatusCompleted, StatusFailed, StatusRunning:
		return Status(s), true
	}
	return "", false
}

// Finished reports whether an operation in status s has ended.
func (s Status) Finished() bool { return s == StatusCompleted || s == StatusFailed }

// Phase is the part of an operation a task does: a backup's task dumps, a
// restore's loads; a sync runs one of each.
type Phase string

// Phases.
const (
	PhaseBackup  Phase = "backup"
	PhaseRestore Phase = "restore"
)

// Operation is one backup, restore or sync. It is recorded on the
// environment it acts on: a backup on the environment backed up, a
// restore and a sync on the target.
type Operation struct {
	ID   string
	Type Type
	Kind Kind
	// Environment is the environment the record is on.
	Environment string
	Status      Status
	// Reason says why it failed.
	Reason string
	// Engine is the database engine a database backup was taken of.
	Engine      string
	Description string
	// Bucket and Key are a backup's artefact; Size its bytes, once known.
	Bucket, Key string
	Size        int64
	// BackupID and BackupEnvironment name the backup a restore loads, or
	// the backup a sync takes of Source.
	BackupID, BackupEnvironment string
	// Source is a sync's source environment.
	Source string
	// Phase is the phase the current task does; TaskARN and LogStream are
	// its task's, and BackupTask and BackupLogStream the backup phase's
	// (whose last line reports the artefact's size).
	Phase             Phase
	TaskARN, LogGroup string
	LogStream         string
	// TaskDefinition is the revision the current task runs (its ARN, and
	// its family:revision name), deregistered once it has stopped.
	TaskDefinition, TaskDefinitionName          string
	BackupTask, BackupLogGroup, BackupLogStream string
	// TargetStopped: a sync stopped its target's service before its
	// restore (scaling bounds and task count at 0); TargetStarted: the sync
	// started it again, as it does however it ends. Compensation starts
	// only what the workflow stopped, and only once.
	TargetStopped, TargetStarted bool
	Execution                    string
	CreatedBy                    string
	CreatedAt, UpdatedAt         time.Time
	EndedAt                      time.Time
	Version                      int64
}

// Ref names an operation's record: the environment it is on, and its key
// there.
type Ref struct {
	Type Type
	Kind Kind
	ID   string
}

// Ref is the operation's.
func (o Operation) Ref() Ref { return Ref{Type: o.Type, Kind: o.Kind, ID: o.ID} }

// LockHolder is what holds the environments the operation works on.
func (o Operation) LockHolder() string { return o.Environment + ":" + o.Ref().String() }

// deleteHolder prefixes the holder of a backup's deletion; no environment
// name has a "#".
const deleteHolder = "#delete:"

// DescribeHolder says in words what holds an environment's data lock:
// "the database backup backup-… of production".
func DescribeHolder(holder string) string {
	env, ref, ok := strings.Cut(holder, ":")
	r, err := ParseRef(ref)
	switch {
	case !ok || err != nil:
		return "another data operation"
	case env+":" == deleteHolder:
		return fmt.Sprintf("the deletion of %s %s", r.Type, r.ID)
	}
	return fmt.Sprintf("the %s %s %s of %s", r.Kind, r.Type, r.ID, env)
}

// String is the ref as the workflow input carries it: "backup/database/<id>".
func (r Ref) String() string { return string(r.Type) + "/" + string(r.Kind) + "/" + r.ID }

// ParseRef reads Ref.String.
func ParseRef(s string) (Ref, error) {
	parts := strings.Split(s, "/")
	if len(parts) != 3 {
		return Ref{}, fmt.Errorf("data operation %q: want <type>/<kind>/<id>", s)
	}
	k, ok := ParseKind(parts[1])
	t := Type(parts[0])
	if !ok || (t != TypeBackup && t != TypeRestore && t != TypeSync) || parts[2] == "" {
		return Ref{}, fmt.Errorf("data operation %q: want <backup|restore|sync>/<database|filesystem>/<id>", s)
	}
	return Ref{Type: t, Kind: k, ID: parts[2]}, nil
}

// NewID is a new operation id of type t: time-ordered, so a listing's key
// order is creation order ("backup-20261206T043512Z-3f9a1c").
func NewID(t Type, now time.Time) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return string(t) + "-" + now.UTC().Format(idTime) + "-" + hex.EncodeToString(b)
}

const idTime = "20060102T150405Z"

// IDBound is the smallest id of type t created at or after at, for range
// queries on ids.
func IDBound(t Type, at time.Time) string {
	return string(t) + "-" + at.UTC().Format(idTime)
}

// ExecutionName is the data-operation execution of operation id on the
// environment with uid: deterministic, so a retried start runs it once.
func ExecutionName(envUID, id string) string { return "data-" + envUID + "-" + id }

// ArtefactKey is where a backup's artefact lives in the backups bucket.
func ArtefactKey(org, app, env string, k Kind, id string) string {
	return "backups/" + org + "/" + app + "/" + env + "/" + string(k) + "/" + id + Extension(k)
}

// Extension is the artefact's file extension: a gzipped SQL dump, or a
// gzipped tar of the filesystem.
func Extension(k Kind) string {
	if k == KindDatabase {
		return ".sql.gz"
	}
	return ".tar.gz"
}

// SizeLine is the last line the data image writes after a backup; the
// workflow records the artefact's size from it.
const SizeLine = "berth-data: size="

// ParseSize finds the size a backup task reported in its output.
func ParseSize(lines []string) (int64, bool) {
	for i := len(lines) - 1; i >= 0; i-- {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(lines[i]), SizeLine); ok {
			n, err := strconv.ParseInt(strings.Fields(rest + " ")[0], 10, 64)
			if err == nil && n >= 0 {
				return n, true
			}
		}
	}
	return 0, false
}

// FormatSize is Quant's sizeFormatted: "1.5 MB".
func FormatSize(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return strconv.FormatFloat(float64(n)/float64(div), 'f', 1, 64) + " " + string("KMGTPE"[exp]) + "B"
}

// Task is how the data image is asked to do a phase: its command.
// The image (images/berth-data) reads the database's connection from
// DB_HOST, DB_PORT, DB_NAME, DB_USER and DB_PASSWORD (the last two from
// Secrets Manager), and the filesystem at MountPath.
func Task(p Phase, k Kind, engine, bucket, key string) []string {
	return []string{"berth-data", string(p), string(k), "--engine=" + engine, "s3://" + bucket + "/" + key}
}

// Container is the data task definition's one container.
const Container = "berth-data"

// MountPath is where a filesystem operation's task mounts the
// environment's filesystem.
const MountPath = "/mnt/data"

// DownloadTTL is how long a download URL works: Quant's 15 minutes at most.
const DownloadTTL = 15 * time.Minute

// MaxDescription bounds a backup's description.
const MaxDescription = 1024

// LockTTL bounds how long a data operation may hold its environment: a
// lock older than this is taken to be a dead run's.
const LockTTL = 6 * time.Hour

var idRE = regexp.MustCompile(`^(backup|restore|sync)-[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}$`)

// ValidID reports whether s is an operation id NewID could have made.
func ValidID(s string) bool { return idRE.MatchString(s) }
