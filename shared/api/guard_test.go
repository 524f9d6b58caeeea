package api

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/apps/appstest"
	"github.com/berth-dev/berth/shared/audit"
	"github.com/berth-dev/berth/shared/auth"
	"github.com/berth-dev/berth/shared/idempotency"
	"github.com/berth-dev/berth/shared/workflow"
)

// memoryKeys is an in-memory idempotency.Store; stuck keeps every claim
// in flight, as if the first request never finished.
type memoryKeys struct {
	mu    sync.Mutex
	recs  map[string]*idempotency.Record
	locks map[string]string
	stuck bool
}

func (m *memoryKeys) BeginIdempotent(_ context.Context, org, key string, c idempotency.Claim) (*idempotency.Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r, ok := m.recs[org+key]; ok {
		cp := *r
		return &cp, nil
	}
	m.recs[org+key] = &idempotency.Record{Fingerprint: c.Fingerprint}
	m.locks[org+key] = c.Lock
	return nil, nil
}

func (m *memoryKeys) GetIdempotent(_ context.Context, org, key string) (*idempotency.Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r, ok := m.recs[org+key]; ok {
		cp := *r
		return &cp, nil
	}
	return nil, nil
}

func (m *memoryKeys) CompleteIdempotent(_ context.Context, org, key, lock string, res idempotency.Response) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stuck {
		return nil
	}
	m.recs[org+key].Done, m.recs[org+key].Response = true, res
	return nil
}

func (m *memoryKeys) AbandonIdempotent(_ context.Context, org, key, lock string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.recs, org+key)
	return nil
}

// countingAudit counts audit events.
type countingAudit struct {
	mu     sync.Mutex
	events []audit.Event
	// failures is how many writes fail before they succeed.
	failures int
}

func (c *countingAudit) AppendAudit(_ context.Context, e audit.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failures > 0 {
		c.failures--
		return errors.New("ProvisionedThroughputExceededException: throttled")
	}
	c.events = append(c.events, e)
	return nil
}

func (c *countingAudit) ListAudit(context.Context, string, int, string) ([]audit.Event, string, error) {
	return nil, "", nil
}

type refuseAll struct{}

func (refuseAll) Allow(string) (bool, time.Duration) { return false, 1500 * time.Millisecond }

func guardServer(t *testing.T, rec *workflow.Recorder) (*Server, http.Handler, *memoryKeys, *countingAudit) {
	keys := &memoryKeys{recs: map[string]*idempotency.Record{}, locks: map[string]string{}}
	log := &countingAudit{}
	admin := auth.Principal{TokenID: "0123456789abcdef", Organisations: []string{"acme"}, Role: auth.RoleAdmin}
	srv := &Server{
		Apps: apps.NewService(appstest.NewMemory(), rec), Audit: log, Idempotency: keys,
		Authenticate:    func(*http.Request) (auth.Principal, error) { return admin, nil },
		IdempotencyWait: 100 * time.Millisecond,
	}
	mux := http.NewServeMux()
	srv.Mount(mux, slog.New(slog.NewJSONHandler(io.Discard, nil)), Routes()...)
	return srv, mux, keys, log
}

const tinyApp = `{"appName":"tiny","composeDefinition":{"containers":[{"name":"web","imageReference":{"type":"external","identifier":"nginx"}}]}}`

func send(h http.Handler, key string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/api/v3/organizations/acme/applications", strings.NewReader(tinyApp))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestRateLimitAnswers429(t *testing.T) {
	srv, h, _, log := guardServer(t, &workflow.Recorder{})
	srv.Limiter = refuseAll{}
	res := send(h, "")
	if res.Code != http.StatusTooManyRequests || res.Header().Get("Retry-After") != "2" {
		t.Fatalf("%d, Retry-After %q; want 429 and 2", res.Code, res.Header().Get("Retry-After"))
	}
	if len(log.events) != 0 {
		t.Fatal("a throttled request was audited")
	}
}

func TestInFlightKeyAnswers409AfterWaiting(t *testing.T) {
	_, h, keys, _ := guardServer(t, &workflow.Recorder{})
	keys.stuck = true
	if res := send(h, "k1"); res.Code != http.StatusCreated {
		t.Fatalf("first: %d %s", res.Code, res.Body)
	}
	res := send(h, "k1")
	if res.Code != http.StatusConflict || res.Header().Get("Retry-After") != "1" || !strings.Contains(res.Body.String(), "idempotency-key-in-flight") {
		t.Fatalf("repeat while in flight: %d %s", res.Code, res.Body)
	}
}

func TestServerErrorReleasesTheKey(t *testing.T) {
	rec := &workflow.Recorder{Fail: errors.New("down")}
	_, h, keys, _ := guardServer(t, rec)
	if res := send(h, "k2"); res.Code != http.StatusServiceUnavailable {
		t.Fatalf("first: %d %s", res.Code, res.Body)
	}
	if len(keys.recs) != 0 {
		t.Fatalf("a 5xx kept the key: %v", keys.recs)
	}
	rec.Fail = nil
	if res := send(h, "k2"); res.Code != http.StatusCreated {
		t.Fatalf("retry after the failure: %d %s", res.Code, res.Body)
	}
}

// TestPanicReleasesTheKey: a handler that panics frees its key and is
// audited as a 500; the panic still reaches the edge.
func TestPanicReleasesTheKey(t *testing.T) {
	srv, _, keys, log := guardServer(t, &workflow.Recorder{})
	boom := Route{Name: "boom", Method: http.MethodPost, Pattern: orgPath + "/boom",
		handler: func(*Server, http.ResponseWriter, *http.Request) { panic("boom") }}
	mux := http.NewServeMux()
	srv.Mount(mux, slog.New(slog.NewJSONHandler(io.Discard, nil)), boom)
	req := httptest.NewRequest(http.MethodPost, "/api/v3/organizations/acme/boom", strings.NewReader(`{}`))
	req.Header.Set("Idempotency-Key", "k3")
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", rec.Code)
	}
	if len(keys.recs) != 0 {
		t.Fatalf("the panic kept the key: %v", keys.recs)
	}
	if len(log.events) != 1 || log.events[0].Outcome != http.StatusInternalServerError {
		t.Fatalf("audit events %+v, want one 500", log.events)
	}
}

func TestGuardOrder(t *testing.T) {
	srv, h, _, log := guardServer(t, &workflow.Recorder{})
	reader := auth.Principal{TokenID: "r", Organisations: []string{"acme"}, Role: auth.RoleRead}
	cases := []struct {
		name   string
		auth   func(*http.Request) (auth.Principal, error)
		status int
	}{
		{"no token", func(*http.Request) (auth.Principal, error) { return auth.Principal{}, auth.ErrUnauthenticated }, http.StatusUnauthorized},
		{"store down", func(*http.Request) (auth.Principal, error) { return auth.Principal{}, errors.New("dynamodb down") }, http.StatusInternalServerError},
		{"other organisation", func(*http.Request) (auth.Principal, error) {
			return auth.Principal{TokenID: "o", Organisations: []string{"beta"}, Role: auth.RoleAdmin}, nil
		}, http.StatusNotFound},
		{"read role writes", func(*http.Request) (auth.Principal, error) { return reader, nil }, http.StatusForbidden},
	}
	for _, tc := range cases {
		srv.Authenticate = tc.auth
		if res := send(h, ""); res.Code != tc.status {
			t.Errorf("%s: %d, want %d", tc.name, res.Code, tc.status)
		}
	}
	if len(log.events) != 0 {
		t.Fatalf("%d refused requests were audited", len(log.events))
	}
}

// TestAuditWriteIsRetried: an audit write that is throttled is tried
// again, so the event (here a 503 whose change was undone) is recorded with
// the request's real outcome.
func TestAuditWriteIsRetried(t *testing.T) {
	_, h, _, log := guardServer(t, &workflow.Recorder{Fail: errors.New("down")})
	log.failures = 2
	if res := send(h, ""); res.Code != http.StatusServiceUnavailable {
		t.Fatalf("%d %s", res.Code, res.Body)
	}
	if len(log.events) != 1 || log.events[0].Outcome != http.StatusServiceUnavailable || log.events[0].Action != "create-application" {
		t.Fatalf("events %+v, want one create-application 503", log.events)
	}
}
