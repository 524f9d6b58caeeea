package localstack_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/berth-dev/berth/shared/cloud/sandbox"
	"github.com/berth-dev/berth/shared/configuration"
)

// TestLocalSandboxShowsLogsAndSecretsButNoValues: GET /_local/sandbox
// counts each log group's events and lists secrets by version id, never
// by value.
func TestLocalSandboxShowsLogsAndSecretsButNoValues(t *testing.T) {
	w := startTwin(t, sandbox.Instant, true)
	if code, _ := w.call(http.MethodPost, "/applications", map[string]any{"appName": "web", "composeDefinition": map[string]any{"containers": nginx("1.27")}}); code != http.StatusCreated {
		t.Fatalf("create: %d", code)
	}
	w.waitFor("/applications/web", "ACTIVE")
	const value = "do-not-show-this-value"
	v, err := w.stack.Sandbox.Secrets().Put(t.Context(), configuration.SecretWrite{ID: "berth/acme/web/production/vars/KEY", Value: value})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	w.stack.Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/_local/sandbox", nil))
	body := rec.Body.String()
	if rec.Code != http.StatusOK || strings.Contains(body, value) {
		t.Fatalf("GET /_local/sandbox: %d %s", rec.Code, body)
	}
	var got struct {
		LogGroups map[string]int       `json:"logGroups"`
		Secrets   []sandbox.SecretInfo `json:"secrets"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	events := 0
	for _, n := range got.LogGroups {
		events += n
	}
	if events == 0 {
		t.Errorf("no log events for a running environment: %v", got.LogGroups)
	}
	if len(got.Secrets) != 1 || got.Secrets[0].ARN != v.ARN || len(got.Secrets[0].Versions) != 1 || got.Secrets[0].Versions[0] != v.VersionID {
		t.Errorf("secrets %+v, want %+v", got.Secrets, v)
	}
}
