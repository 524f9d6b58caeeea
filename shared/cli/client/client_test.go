package client

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestProblemAndHeaders(t *testing.T) {
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		switch r.URL.Path {
		case "/api/v3/organizations/acme/applications":
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"type":"https://berth.dev/problems/validation-failed","title":"The request is invalid","status":400,"detail":"1 field is invalid","errors":{"appName":["must match ^[a-z0-9]"]},"requestId":"r1"}`))
		default:
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write([]byte("<html>bad gateway</html>"))
		}
	}))
	defer srv.Close()
	c := &Client{BaseURL: srv.URL, Organisation: "acme", Token: "tok"}
	_, err := c.Do(context.Background(), http.MethodPost, "/applications", map[string]any{"appName": "X"})
	p, ok := err.(*Problem)
	if !ok || p.Status != 400 || p.Errors["appName"][0] != "must match ^[a-z0-9]" || p.RequestID != "r1" || !strings.Contains(p.Error(), "1 field is invalid") {
		t.Fatalf("problem %#v", err)
	}
	if got.Get("Authorization") != "Bearer tok" || got.Get("Content-Type") != "application/json" || !strings.HasPrefix(got.Get("Idempotency-Key"), "berth-cli-") {
		t.Errorf("headers %v", got)
	}
	_, err = c.Do(context.Background(), http.MethodGet, "/other", nil)
	if p, ok := err.(*Problem); !ok || p.Status != 502 || !strings.Contains(p.Detail, "bad gateway") {
		t.Fatalf("a non-problem error: %#v", err)
	}
	if got.Get("Idempotency-Key") != "" {
		t.Error("a GET carried an Idempotency-Key")
	}
	if _, err := (&Client{BaseURL: srv.URL, Organisation: "acme"}).Do(context.Background(), http.MethodGet, "/x", nil); err == nil || !strings.Contains(err.Error(), "no token") {
		t.Errorf("no token: %v", err)
	}
}

func TestStreamReadsServerSentEvents(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Last-Event-ID") != "7" {
			t.Errorf("Last-Event-ID %q", r.Header.Get("Last-Event-ID"))
		}
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = w.Write([]byte(": hello\n\nid: 8\nevent: log\ndata: {\"message\":\"a\"}\n\nid: 9\nevent: log\ndata: {\"message\":\"b\"}\n\n"))
	}))
	defer srv.Close()
	c := &Client{BaseURL: srv.URL, Organisation: "acme", Token: "tok"}
	var ids []string
	err := c.Stream(context.Background(), "/logs", "7", func(ev Event) error {
		ids = append(ids, ev.ID+":"+ev.Name+":"+string(ev.Data))
		return nil
	})
	if err != nil || strings.Join(ids, ",") != `8:log:{"message":"a"},9:log:{"message":"b"}` {
		t.Fatalf("%v %v", ids, err)
	}
}
