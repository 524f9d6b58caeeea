package api_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/berth-dev/berth/shared/api"
)

// TestDialectRoutesMatchTheirDocuments: every dialect's route has its
// operation in its own dialect's document (docs/dialects/<name>.yaml),
// which has no operation of another, and is named after its dialect.
// TestRoutesMatchSpec checks the documents together, and
// TestSpecListsEveryErrorStatus their error statuses.
func TestDialectRoutesMatchTheirDocuments(t *testing.T) {
	ensureStack(t)
	type op struct{ method, path, id string }
	fromRoutes := map[string][]op{}
	for _, r := range api.Routes() {
		if r.Dialect == nil {
			continue
		}
		fromRoutes[r.Dialect.Name] = append(fromRoutes[r.Dialect.Name], op{r.Method, r.Pattern, r.Name})
		if dialectDocs[r.Dialect.Name] == nil {
			t.Errorf("route %s: its dialect %s has no docs/dialects/%s.yaml", r.Name, r.Dialect.Name, r.Dialect.Name)
		}
		if !strings.HasPrefix(r.Name, r.Dialect.Name+"-") {
			t.Errorf("route %s is not named after its dialect %s", r.Name, r.Dialect.Name)
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
				t.Errorf("operation %s %s (%s) of docs/dialects/%s.yaml has no route of dialect %s", o.method, o.path, o.id, name, name)
			}
		}
	}
}
