package web_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-dev/berth/web"
)

// TestHandler: the site's paths are files with their policies, everything
// else is the API's, untouched.
func TestHandler(t *testing.T) {
	dir := t.TempDir()
	if err := web.Build("..", dir); err != nil {
		t.Fatal(err)
	}
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-From", "api")
		w.WriteHeader(http.StatusTeapot)
	})
	h := web.Handler(dir, api)
	cases := []struct {
		method, path string
		status       int
		header, want string
	}{
		{"GET", "/docs", http.StatusMovedPermanently, "Location", "/docs/"},
		{"GET", "/console", http.StatusMovedPermanently, "Location", "/console/"},
		{"GET", "/docs/", 200, "Content-Security-Policy", "script-src 'self';"},
		{"GET", "/docs/openapi.yaml", 200, "Content-Type", "application/yaml"},
		{"GET", "/docs/swagger-ui-bundle.js", 200, "Content-Type", "javascript"},
		{"GET", "/console/", 200, "Content-Security-Policy", "style-src 'self';"},
		{"HEAD", "/console/app.js", 200, "X-Content-Type-Options", "nosniff"},
		{"GET", "/console/missing.js", 404, "", ""},
		{"POST", "/console/", 405, "Allow", "GET, HEAD"},
		{"GET", "/api/v3/organizations/acme/applications", http.StatusTeapot, "X-From", "api"},
		{"GET", "/docsx", http.StatusTeapot, "X-From", "api"},
		{"GET", "/", http.StatusTeapot, "X-From", "api"},
	}
	for _, c := range cases {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, nil))
		if rec.Code != c.status || (c.header != "" && !strings.Contains(rec.Header().Get(c.header), c.want)) {
			t.Errorf("%s %s: %d %s=%q, want %d with %q", c.method, c.path, rec.Code, c.header, rec.Header().Get(c.header), c.status, c.want)
		}
	}
	// The specification served is the repository's.
	want, _ := os.ReadFile("../" + web.SpecPath)
	got, _ := os.ReadFile(filepath.Join(dir, "docs", "openapi.yaml"))
	if len(want) == 0 || string(got) != string(want) {
		t.Error("docs/openapi.yaml in the site differs from the repository's")
	}
}

// TestBuildNeedsTheRenderer: without `make deps`, Build says what to run.
func TestBuildNeedsTheRenderer(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "docs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, web.SpecPath), []byte("openapi: 3.1.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := web.Build(root, t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "make deps") {
		t.Fatalf("Build without node_modules: %v, want an error naming make deps", err)
	}
}
