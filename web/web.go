// Package web is Berth's browser side, served on the API's own origin so
// that no CORS is needed: the API reference at /docs (docs/openapi.yaml
// rendered by swagger-ui-dist, an npm package pinned in package.json) and
// the console at /console (plain ES modules, HTML and CSS, no build step).
//
// Build assembles both into one static folder, the deployable assets:
// `make site` writes it to bin/site, and berth-local builds it at startup
// and serves it with Handler.
package web

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

//go:embed static
var static embed.FS

// RendererDir is where `make deps` (npm ci) puts swagger-ui-dist, relative
// to the repository's root.
const RendererDir = "node_modules/swagger-ui-dist"

// SpecPath is the API reference, relative to the repository's root.
const SpecPath = "docs/openapi.yaml"

// rendererFiles are the files of swagger-ui-dist that /docs uses: the
// bundle, its stylesheet, and its licence and notice, which go with it.
var rendererFiles = []string{"swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "NOTICE"}

// Build writes the site to out: docs/ (the page, its script, the
// renderer's files and the specification) and console/, from the
// repository at root. It fails when `make deps` has not installed the
// renderer.
func Build(root, out string) error {
	copies := map[string]string{"docs/openapi.yaml": filepath.Join(root, SpecPath)}
	for _, f := range rendererFiles {
		copies["docs/"+f] = filepath.Join(root, RendererDir, f)
	}
	for dst, src := range copies {
		raw, err := os.ReadFile(src)
		if errors.Is(err, fs.ErrNotExist) && strings.Contains(src, "node_modules") {
			return fmt.Errorf("web: %s is missing; run `make deps` (npm ci) first", src)
		}
		if err != nil {
			return fmt.Errorf("web: %w", err)
		}
		if err := write(out, dst, raw); err != nil {
			return err
		}
	}
	return fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := static.ReadFile(p)
		if err != nil {
			return err
		}
		return write(out, strings.TrimPrefix(p, "static/"), raw)
	})
}

func write(out, name string, raw []byte) error {
	dst := filepath.Join(out, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("web: %w", err)
	}
	if err := os.WriteFile(dst, raw, 0o644); err != nil {
		return fmt.Errorf("web: %w", err)
	}
	return nil
}

// Content security policies: the console runs only its own scripts and
// styles and talks only to its own origin; the renderer also sets inline
// styles and uses data: images.
const (
	consolePolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
	docsPolicy    = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)

// Handler serves the site in dir (as Build wrote it) under /docs/ and
// /console/, and passes every other request to api unchanged.
func Handler(dir string, api http.Handler) http.Handler {
	files := http.FileServer(http.Dir(dir))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		var policy string
		switch {
		case p == "/docs" || p == "/console":
			http.Redirect(w, r, p+"/", http.StatusMovedPermanently)
			return
		case strings.HasPrefix(p, "/docs/"):
			policy = docsPolicy
		case strings.HasPrefix(p, "/console/"):
			policy = consolePolicy
		default:
			api.ServeHTTP(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", policy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		// The files change with every build; the browser asks again each time.
		h.Set("Cache-Control", "no-cache")
		if strings.HasSuffix(p, ".yaml") {
			h.Set("Content-Type", "application/yaml; charset=utf-8")
		}
		files.ServeHTTP(w, r)
	})
}
