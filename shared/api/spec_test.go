package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/berth-dev/berth/shared/api"
)

// TestRoutesMatchSpec fails when a route has no operation in the OpenAPI
// document, or the document has an operation no route serves.
func TestRoutesMatchSpec(t *testing.T) {
	ensureStack(t)
	type op struct{ method, path, id string }
	var fromRoutes, fromSpec []op
	for _, r := range api.Routes() {
		fromRoutes = append(fromRoutes, op{r.Method, r.Pattern, r.Name})
	}
	for _, doc := range append([]*openapi3.T{spec}, dialectSpecs...) {
		for path, item := range doc.Paths.Map() {
			for method, o := range item.Operations() {
				fromSpec = append(fromSpec, op{method, path, o.OperationID})
			}
		}
	}
	less := func(a, b op) int { return strings.Compare(a.method+a.path, b.method+b.path) }
	slices.SortFunc(fromRoutes, less)
	slices.SortFunc(fromSpec, less)
	for _, r := range fromRoutes {
		if !slices.Contains(fromSpec, r) {
			t.Errorf("route %s %s (%s) has no matching operation in %s", r.method, r.path, r.id, specPath)
		}
	}
	for _, s := range fromSpec {
		if !slices.Contains(fromRoutes, s) {
			t.Errorf("operation %s %s (%s) in %s has no route", s.method, s.path, s.id, specPath)
		}
	}
}

// TestSpecListsEveryErrorStatus checks that each operation documents the
// problems every handler can answer with.
func TestSpecListsEveryErrorStatus(t *testing.T) {
	ensureStack(t)
	for _, r := range api.Routes() {
		item := spec.Paths.Find(r.Pattern)
		for _, doc := range dialectSpecs {
			if item == nil && r.Dialect != nil {
				item = doc.Paths.Find(r.Pattern)
			}
		}
		if item == nil || item.GetOperation(r.Method) == nil {
			continue // reported by TestRoutesMatchSpec
		}
		o := item.GetOperation(r.Method)
		// Every route: bad input, no token, another organisation (404), too
		// weak a role, too many requests, and our own failures.
		want := []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound,
			http.StatusTooManyRequests, http.StatusInternalServerError}
		if r.Method != http.MethodGet && !r.Stateless {
			want = append(want, http.StatusUnprocessableEntity, http.StatusConflict) // Idempotency-Key reused, in flight
		}
		if r.Name == api.ValidateComposeRoute.Name {
			want = append(want, http.StatusUnprocessableEntity) // the compose file cannot be translated
		}
		if r.Method == http.MethodPost {
			want = append(want, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType)
		}
		if len(r.Starts) > 0 || r.UsageKeys || r.Registry {
			want = append(want, http.StatusServiceUnavailable)
		}
		for _, status := range want {
			if o.Responses.Status(status) == nil {
				t.Errorf("%s (%s %s) does not document %d", r.Name, r.Method, r.Pattern, status)
			}
		}
	}
}

// TestQuantValidationCatchesTheOldShapes: the check every response goes
// through refuses what Berth answered before it spoke Quant's document, so
// a regression to either shape fails the tests that make the call.
func TestQuantValidationCatchesTheOldShapes(t *testing.T) {
	ensureStack(t)
	json := http.Header{"Content-Type": {"application/json"}}
	for _, tc := range []struct {
		method, path, body string
	}{
		{http.MethodGet, "/api/v3/organizations/acme/applications", `{"applications":[]}`},
		{http.MethodGet, "/api/v3/organizations/acme/applications/a/environments", `{"environments":[]}`},
		{http.MethodGet, "/api/v3/organizations/acme/applications/a", `{"appName":"a"}`}, // organisation is required
		{http.MethodGet, "/api/v3/organizations/acme/applications/a/environments/e", `{"envName":"e","deploymentStatus":"PAUSED"}`},
	} {
		if err := quantViolation(tc.method, tc.path, nil, response{Status: http.StatusOK, Header: json, Body: []byte(tc.body)}); err == nil {
			t.Errorf("%s %s: %s passed Quant's document", tc.method, tc.path, tc.body)
		}
	}
	ok := response{Status: http.StatusOK, Header: json, Body: []byte(`[{"appName":"a","organisation":"acme"}]`)}
	if err := quantViolation(http.MethodGet, "/api/v3/organizations/acme/applications", nil, ok); err != nil {
		t.Errorf("a valid list was refused: %v", err)
	}
}
