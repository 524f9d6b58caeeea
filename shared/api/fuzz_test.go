package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/apps/appstest"
	"github.com/berth-dev/berth/shared/audit"
	"github.com/berth-dev/berth/shared/auth"
	"github.com/berth-dev/berth/shared/data"
	"github.com/berth-dev/berth/shared/usage"
	"github.com/berth-dev/berth/shared/workflow"
)

// discardAudit accepts audit events and lists none.
type discardAudit struct{}

func (discardAudit) AppendAudit(context.Context, audit.Event) error { return nil }
func (discardAudit) ListAudit(context.Context, string, int, string) ([]audit.Event, string, error) {
	return nil, "", nil
}

// fuzzServer mounts every route on an in-memory store, for an admin of acme.
func fuzzServer(t testing.TB) (http.Handler, *appstest.Memory) {
	mem := appstest.NewMemory()
	admin := auth.Principal{TokenID: "0123456789abcdef", Organisations: []string{"acme"}, Role: auth.RoleAdmin}
	srv := &Server{
		Apps: apps.NewService(mem, &workflow.Recorder{}), Audit: discardAudit{}, UsageKeys: usage.None{},
		Authenticate: func(*http.Request) (auth.Principal, error) { return admin, nil },
	}
	mux := http.NewServeMux()
	srv.Mount(mux, slog.New(slog.NewJSONHandler(io.Discard, nil)), Routes()...)
	return mux, mem
}

func post(h http.Handler, path string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func addSeeds(f *testing.F, files ...string) {
	for _, name := range files {
		raw, err := os.ReadFile("../../docs/examples/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	for _, s := range []string{`{}`, `[]`, `null`, `{"appName":1}`, `{"composeDefinition":{"containers":[{"dependsOn":[{"containerName":"a"}]}]}}`, "\xff", `{"a":{"b":[1,2,{"c":null}]}}`} {
		f.Add([]byte(s))
	}
}

// FuzzDecodeCreateApplication: any body gets 201 or a 4xx problem, never a
// 5xx or a panic, and a refused body stores nothing.
func FuzzDecodeCreateApplication(f *testing.F) {
	addSeeds(f, "create-application.json")
	f.Fuzz(func(t *testing.T, body []byte) {
		h, mem := fuzzServer(t)
		rec := post(h, "/api/v3/organizations/acme/applications", body)
		switch {
		case rec.Code == http.StatusCreated:
			if mem.Len() != 2 {
				t.Fatalf("201 stored %d records, want 2", mem.Len())
			}
		case rec.Code >= 400 && rec.Code < 500:
			if mem.Len() != 0 {
				t.Fatalf("%d stored %d records", rec.Code, mem.Len())
			}
		default:
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
		}
	})
}

// FuzzDecodeCreateEnvironment is the same for environments.
func FuzzDecodeCreateEnvironment(f *testing.F) {
	addSeeds(f, "create-environment.json")
	app, err := os.ReadFile("../../docs/examples/create-application.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		h, mem := fuzzServer(t)
		if rec := post(h, "/api/v3/organizations/acme/applications", app); rec.Code != http.StatusCreated {
			t.Fatalf("seed application: %d %s", rec.Code, rec.Body)
		}
		rec := post(h, "/api/v3/organizations/acme/applications/my-app/environments", body)
		switch {
		case rec.Code == http.StatusCreated:
			if mem.Len() != 3 {
				t.Fatalf("201 left %d records, want 3", mem.Len())
			}
		case rec.Code >= 400 && rec.Code < 500:
			if mem.Len() != 2 {
				t.Fatalf("%d left %d records, want 2", rec.Code, mem.Len())
			}
		default:
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
		}
	})
}

// FuzzPageToken: tokens round-trip, and anything a client sends either
// decodes to a valid name or is refused.
func FuzzPageToken(f *testing.F) {
	for _, s := range []string{"my-app", "a", "production", "", "ORG#x", "a:b"} {
		f.Add(s, encodeToken(applicationsList, s))
	}
	f.Fuzz(func(t *testing.T, name, token string) {
		if apps.ValidName(name) {
			got, ok := decodeToken(applicationsList, encodeToken(applicationsList, name))
			if !ok || got != name {
				t.Fatalf("round trip of %q gave %q, %v", name, got, ok)
			}
			if _, ok := decodeToken(environmentsList, encodeToken(applicationsList, name)); ok {
				t.Fatalf("an applications token was accepted for environments")
			}
		}
		if after, ok := decodeToken(applicationsList, token); ok && !apps.ValidName(after) {
			t.Fatalf("token %q decoded to invalid name %q", token, after)
		}
	})
}

// FuzzBackupQuery: whatever listBackups' query string holds, backupQuery
// never panics; what it accepts is within Quant's bounds, and a token it
// accepts names a valid backup id (so it cannot reach another key).
func FuzzBackupQuery(f *testing.F) {
	for _, q := range []string{"", "order=asc&limit=10", "limit=0", "limit=101", "createdBefore=2025-01-01T00:00:00Z&createdAfter=2024-12-01T00:00:00Z",
		"status=running", "status=done", "nextToken=" + encodeToken(backupsList, "backup-20261206T043512Z-3f9a1c"), "nextToken=" + encodeToken(backupsList, "../x"), "%zz"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		r := httptest.NewRequest(http.MethodGet, "/x", nil)
		r.URL.RawQuery = raw
		q, err := backupQuery(r, data.KindDatabase)
		if err != nil {
			var re *requestError
			if !errors.As(err, &re) || len(re.errors) == 0 {
				t.Fatalf("%q: %v is not a validation error naming fields", raw, err)
			}
			return
		}
		if q.Limit < 1 || q.Limit > backupsMaxLimit || q.Kind != data.KindDatabase {
			t.Fatalf("%q accepted as %+v", raw, q)
		}
		if q.After != "" && !data.ValidID(q.After) {
			t.Fatalf("%q: token names %q", raw, q.After)
		}
		if q.Status != "" {
			if _, ok := data.ParseStatus(string(q.Status)); !ok {
				t.Fatalf("%q: status %q", raw, q.Status)
			}
		}
	})
}
