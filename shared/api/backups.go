package api

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/berth-dev/berth/shared/data"
	"github.com/berth-dev/berth/shared/validation"
)

// Backups, restores and syncs (shared/data): thin handlers over
// Server.Data, in Quant's shapes.

// Backups lists take Quant's default and maximum page sizes.
const (
	backupsDefaultLimit = 50
	backupsMaxLimit     = 100
)

func dataTarget(w http.ResponseWriter, r *http.Request) (data.Target, bool) {
	names, err := pathNames(r, "organisation", "application", "environment")
	if err != nil {
		fail(w, r, err)
		return data.Target{}, false
	}
	return data.Target{Organisation: names[0], Application: names[1], Environment: names[2], By: principalFrom(r.Context()).TokenID}, true
}

// dataTargetKind is dataTarget and the {type} path segment.
func dataTargetKind(w http.ResponseWriter, r *http.Request) (data.Target, data.Kind, bool) {
	t, ok := dataTarget(w, r)
	if !ok {
		return t, "", false
	}
	k, err := data.KindOf(r.PathValue("type"))
	if err != nil {
		fail(w, r, err)
		return t, "", false
	}
	return t, k, true
}

// backupQuery reads listBackups' filters.
func backupQuery(r *http.Request, k data.Kind) (data.Query, error) {
	q := r.URL.Query()
	out := data.Query{Kind: k, Limit: backupsDefaultLimit}
	errs := validation.Errors{}
	switch o := q.Get("order"); o {
	case "", "desc":
	case "asc":
		out.Ascending = true
	default:
		errs.Add("order", "must be asc or desc")
	}
	if s := q.Get("limit"); q.Has("limit") {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > backupsMaxLimit || s[0] == '+' {
			errs.Addf("limit", "must be an integer between 1 and %d", backupsMaxLimit)
		}
		out.Limit = n
	}
	for _, f := range []struct {
		name string
		to   *time.Time
	}{{"createdBefore", &out.Before}, {"createdAfter", &out.Since}} {
		if s := q.Get(f.name); q.Has(f.name) {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				errs.Add(f.name, "must be an ISO 8601 date and time, such as 2025-01-01T00:00:00Z")
			}
			*f.to = t
		}
	}
	if s := q.Get("status"); q.Has("status") {
		st, ok := data.ParseStatus(s)
		if !ok {
			errs.Add("status", "must be completed, failed or running")
		}
		out.Status = st
	}
	if q.Has("nextToken") {
		after, ok := decodeToken(backupsList, q.Get("nextToken"))
		if !ok {
			errs.Add("nextToken", "must be a nextToken this list returned")
		}
		out.After = after
	}
	if len(errs) > 0 {
		return data.Query{}, invalid(errs)
	}
	return out, nil
}

func (s *Server) listBackups(w http.ResponseWriter, r *http.Request) {
	t, k, ok := dataTargetKind(w, r)
	if !ok {
		return
	}
	q, err := backupQuery(r, k)
	if err != nil {
		fail(w, r, err)
		return
	}
	page, err := s.Data.ListBackups(r.Context(), t, q)
	if err != nil {
		fail(w, r, err)
		return
	}
	out := backupListView{Backups: make([]backupView, 0, len(page.Items)), Count: len(page.Items)}
	for _, b := range page.Items {
		out.Backups = append(out.Backups, newBackupView(b))
	}
	if page.Next != "" {
		next := encodeToken(backupsList, page.Next)
		out.NextToken = &next
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createBackup(w http.ResponseWriter, r *http.Request) {
	t, k, ok := dataTargetKind(w, r)
	if !ok {
		return
	}
	var body data.BackupRequest
	if hasBody(r) {
		if err := decodeBody(w, r, &body, FieldsWarn); err != nil {
			fail(w, r, err)
			return
		}
	}
	op, err := s.Data.Backup(r.Context(), t, k, body)
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, startedView{BackupID: op.ID, Status: string(op.Status),
		Message: "the " + string(k) + " backup has started; list the backups to follow it"})
}

func (s *Server) deleteBackup(w http.ResponseWriter, r *http.Request) {
	t, k, ok := dataTargetKind(w, r)
	if !ok {
		return
	}
	id := r.PathValue("backupId")
	if err := s.Data.DeleteBackup(r.Context(), t, k, id); err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"message": "backup " + id + " and its artefact are deleted", "backupId": id})
}

func (s *Server) downloadBackup(w http.ResponseWriter, r *http.Request) {
	t, k, ok := dataTargetKind(w, r)
	if !ok {
		return
	}
	d, err := s.Data.DownloadBackup(r.Context(), t, k, r.PathValue("backupId"))
	if err != nil {
		fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store") // the URL is a credential for 15 minutes
	writeJSON(w, http.StatusOK, map[string]string{"downloadUrl": d.URL, "expiresAt": d.Expires.UTC().Format(time.RFC3339), "filename": d.Filename})
}

func (s *Server) restoreDatabase(w http.ResponseWriter, r *http.Request) {
	s.restore(w, r, data.KindDatabase)
}

func (s *Server) restoreFilesystem(w http.ResponseWriter, r *http.Request) {
	s.restore(w, r, data.KindFilesystem)
}

func (s *Server) restore(w http.ResponseWriter, r *http.Request, k data.Kind) {
	t, ok := dataTarget(w, r)
	if !ok {
		return
	}
	var body data.RestoreRequest
	if err := decodeBody(w, r, &body, FieldsWarn); err != nil {
		fail(w, r, err)
		return
	}
	op, err := s.Data.Restore(r.Context(), t, k, r.PathValue("backupId"), body)
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, startedView{RestoreID: op.ID, Status: string(op.Status),
		Message: "the restore of backup " + op.BackupID + " into " + t.Environment + " has started; GET restores/" + op.ID + " to follow it"})
}

func (s *Server) getRestoreStatus(w http.ResponseWriter, r *http.Request) {
	t, ok := dataTarget(w, r)
	if !ok {
		return
	}
	op, err := s.Data.GetRestore(r.Context(), t, r.PathValue("restoreId"))
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newRestoreView(t, op))
}

func (s *Server) syncToEnvironment(w http.ResponseWriter, r *http.Request) {
	t, k, ok := dataTargetKind(w, r)
	if !ok {
		return
	}
	var body data.SyncRequest
	if err := decodeBody(w, r, &body, FieldsWarn); err != nil {
		fail(w, r, err)
		return
	}
	op, err := s.Data.Sync(r.Context(), t, k, body)
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, newSyncView(op))
}

func (s *Server) listSyncOperations(w http.ResponseWriter, r *http.Request) {
	t, k, ok := dataTargetKind(w, r)
	if !ok {
		return
	}
	ops, err := s.Data.ListSyncs(r.Context(), t, k)
	if err != nil {
		fail(w, r, err)
		return
	}
	out := make([]syncView, 0, len(ops))
	for _, op := range ops {
		out = append(out, newSyncView(op))
	}
	writeJSON(w, http.StatusOK, out)
}

// hasBody reports whether r carries a body, for createBackup, whose body
// is optional: a chunked request (length unknown) is read to see.
func hasBody(r *http.Request) bool {
	if r.ContentLength >= 0 {
		return r.ContentLength > 0
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	r.Body = io.NopCloser(bytes.NewReader(raw))
	return err != nil || len(raw) > 0
}

type backupListView struct {
	Backups   []backupView `json:"backups"`
	Count     int          `json:"count"`
	NextToken *string      `json:"nextToken"`
}

type backupView struct {
	BackupID      string `json:"backupId"`
	Status        string `json:"status"`
	Type          string `json:"type"`
	Engine        string `json:"engine,omitempty"`
	Description   string `json:"description"`
	CreatedAt     string `json:"createdAt"`
	UpdatedAt     string `json:"updatedAt"`
	TaskArn       string `json:"taskArn,omitempty"`
	S3Key         string `json:"s3Key"`
	BucketName    string `json:"bucketName"`
	Size          int64  `json:"size"`
	SizeFormatted string `json:"sizeFormatted"`
	// FileExists is whether the backup wrote its artefact, as recorded;
	// the bucket's retention may have removed it since (download checks).
	FileExists bool   `json:"fileExists"`
	Error      string `json:"error,omitempty"`
}

func newBackupView(b data.Operation) backupView {
	return backupView{BackupID: b.ID, Status: string(b.Status), Type: string(b.Kind), Engine: b.Engine, Description: b.Description,
		CreatedAt: b.CreatedAt.UTC().Format(time.RFC3339), UpdatedAt: b.UpdatedAt.UTC().Format(time.RFC3339), TaskArn: b.TaskARN,
		S3Key: b.Key, BucketName: b.Bucket, Size: b.Size, SizeFormatted: data.FormatSize(b.Size),
		FileExists: b.Status == data.StatusCompleted, Error: b.Reason}
}

// startedView is createBackup's and the restores' 202 body.
type startedView struct {
	BackupID  string `json:"backupId,omitempty"`
	RestoreID string `json:"restoreId,omitempty"`
	Status    string `json:"status"`
	Message   string `json:"message"`
}

type restoreView struct {
	RestoreID    string  `json:"restoreId"`
	OrgName      string  `json:"orgName"`
	AppName      string  `json:"appName"`
	EnvName      string  `json:"envName"`
	BackupID     string  `json:"backupId"`
	Type         string  `json:"type"`
	Status       string  `json:"status"`
	StartedAt    string  `json:"startedAt"`
	CompletedAt  *string `json:"completedAt"`
	ErrorMessage *string `json:"errorMessage"`
	TaskArn      *string `json:"taskArn"`
	TTL          *int64  `json:"ttl"`
}

func newRestoreView(t data.Target, op data.Operation) restoreView {
	v := restoreView{RestoreID: op.ID, OrgName: t.Organisation, AppName: t.Application, EnvName: op.Environment, BackupID: op.BackupID,
		Type: string(op.Kind), Status: restoreStatus(op.Status), StartedAt: op.CreatedAt.UTC().Format(time.RFC3339)}
	if !op.EndedAt.IsZero() {
		at := op.EndedAt.UTC().Format(time.RFC3339)
		v.CompletedAt = &at
	}
	if op.Reason != "" {
		v.ErrorMessage = &op.Reason
	}
	if op.TaskARN != "" {
		v.TaskArn = &op.TaskARN
	}
	return v
}

// restoreStatus is Quant's word for a restore's status.
func restoreStatus(s data.Status) string {
	if s == data.StatusRunning {
		return "in_progress"
	}
	return string(s)
}

type syncView struct {
	SyncID            string `json:"syncId"`
	SyncType          string `json:"syncType"`
	SourceEnvironment string `json:"sourceEnvironment"`
	TargetEnvironment string `json:"targetEnvironment"`
	Status            string `json:"status"`
	BackupID          string `json:"backupId"`
	CreatedAt         string `json:"createdAt"`
	CompletedAt       string `json:"completedAt,omitempty"`
	Error             string `json:"error,omitempty"`
}

func newSyncView(op data.Operation) syncView {
	v := syncView{SyncID: op.ID, SyncType: string(op.Kind), SourceEnvironment: op.Source, TargetEnvironment: op.Environment,
		Status: string(op.Status), BackupID: op.BackupID, CreatedAt: op.CreatedAt.UTC().Format(time.RFC3339), Error: op.Reason}
	if !op.EndedAt.IsZero() {
		v.CompletedAt = op.EndedAt.UTC().Format(time.RFC3339)
	}
	return v
}
