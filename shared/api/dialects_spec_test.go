package api_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/berth-dev/berth/shared/api"
)

// dialectDocs are the dialects' OpenAPI documents (docs/dialects/<name>.yaml),
// by dialect name; dialectRouters route them.
var (
	dialectDocs    = map[string]*openapi3.T{}
	dialectRouters = map[string]routers.Router{}
)

// loadDialectDocuments loads and validates the document of every dialect
// a route belongs to.
func loadDialectDocuments(ctx context.Context) error {
	for _, r := range api.Routes() {
		if r.Dialect == nil || dialectDocs[r.Dialect.Name] != nil {
			continue
		}
		path := "../../docs/dialects/" + r.Dialect.Name + ".yaml"
		doc, err := openapi3.NewLoader().LoadFromFile(path)
		if err != nil {
			return fmt.Errorf("load %s: %w", path, err)
		}
		if err := doc.Validate(ctx); err != nil {
			return fmt.Errorf("%s is invalid: %w", path, err)
		}
		rt, err := gorillamux.NewRouter(doc)
		if err != nil {
			return fmt.Errorf("route %s: %w", path, err)
		}
		dialectDocs[r.Dialect.Name], dialectRouters[r.Dialect.Name] = doc, rt
	}
	return nil
}

// dialectRouterFor is the router of the dialect whose route serves req.
func dialectRouterFor(req *http.Request) routers.Router {
	for name, rt := range dialectRouters {
		if _, _, err := rt.FindRoute(req); err == nil {
			return dialectRouters[name]
		}
	}
	return nil
}

// TestDialectRoutesMatchTheirDocuments: every dialect route has its
// operation in its dialect's document, which has no other, and each
// documents every error status the route can answer.
func TestDialectRoutesMatchTheirDocuments(t *testing.T) {
	ensureStack(t)
	type op struct{ method, path, id string }
	fromRoutes := map[string][]op{}
	for _, r := range api.Routes() {
		if r.Dialect != nil {
			fromRoutes[r.Dialect.Name] = append(fromRoutes[r.Dialect.Name], op{r.Method, r.Pattern, r.Name})
		}
	}
	for name, doc := range dialectDocs {
		var fromDoc []op
		for path, item := range doc.Paths.Map() {
			for method, o := range item.Operations() {
				fromDoc = append(fromDoc, op{method, path, o.OperationID})
			}
		}
		for _, r := range fromRoutes[name] {
			if !slices.Contains(fromDoc, r) {
				t.Errorf("%s route %s %s (%s) has no operation in docs/dialects/%s.yaml", name, r.method, r.path, r.id, name)
			}
		}
		for _, o := range fromDoc {
			if !slices.Contains(fromRoutes[name], o) {
				t.Errorf("operation %s %s (%s) of docs/dialects/%s.yaml has no route", o.method, o.path, o.id, name)
			}
		}
	}
	for _, r := range api.Routes() {
		if r.Dialect == nil {
			continue
		}
		o := dialectDocs[r.Dialect.Name].Paths.Find(r.Pattern).GetOperation(r.Method)
		want := []int{400, 401, 403, 404, 429, 500}
		if r.Method != http.MethodGet {
			want = append(want, 409, 422)
		}
		if r.Method == http.MethodPost {
			want = append(want, 413, 415)
		}
		if len(r.Starts) > 0 {
			want = append(want, 503)
		}
		if r.Success != 0 {
			want = append(want, r.Success)
		}
		for _, s := range want {
			if o.Responses.Status(s) == nil {
				t.Errorf("%s (%s %s) does not document %d", r.Name, r.Method, r.Pattern, s)
			}
		}
		if !strings.HasPrefix(r.Name, r.Dialect.Name+"-") {
			t.Errorf("route %s is not named after its dialect %s", r.Name, r.Dialect.Name)
		}
	}
}
