package api_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/shared/api"
	"github.com/berth-dev/berth/shared/auth"
	"github.com/berth-dev/berth/shared/registry"
)

// TestEcrLoginIsALiteralSegment: GET .../applications/ecr-login reaches
// get-ecr-login, not get-application; any other name still reaches
// get-application; and other methods on ecr-login are refused with 405
// rather than reaching the application routes.
func TestEcrLoginIsALiteralSegment(t *testing.T) {
	mux := http.NewServeMux()
	(&api.Server{}).Mount(mux, slog.New(slog.NewJSONHandler(io.Discard, nil)), api.Routes()...)
	cases := []struct{ method, path, want string }{
		{http.MethodGet, "/api/v3/organizations/acme/applications/ecr-login", "GET " + api.GetEcrLoginRoute.Pattern},
		{http.MethodHead, "/api/v3/organizations/acme/applications/ecr-login", "GET " + api.GetEcrLoginRoute.Pattern},
		{http.MethodGet, "/api/v3/organizations/acme/applications/other", "GET " + api.GetApplicationRoute.Pattern},
		{http.MethodGet, "/api/v3/organizations/acme/applications/ecr-login2", "GET " + api.GetApplicationRoute.Pattern},
		{http.MethodDelete, "/api/v3/organizations/acme/applications/other", "DELETE " + api.DeleteApplicationRoute.Pattern},
		{http.MethodDelete, "/api/v3/organizations/acme/applications/ecr-login", "DELETE " + api.GetEcrLoginRoute.Pattern}, // the 405
		{http.MethodGet, "/api/v3/organizations/acme/applications/ecr-login/environments", "GET " + api.ListEnvironmentsRoute.Pattern},
	}
	for _, tc := range cases {
		_, got := mux.Handler(httptest.NewRequest(tc.method, tc.path, nil))
		if got != tc.want {
			t.Errorf("%s %s is served by %q, want %q", tc.method, tc.path, got, tc.want)
		}
	}
}

func TestEcrLogin(t *testing.T) {
	org := uniqueOrg(t)
	path := orgPath(org) + "/applications/ecr-login"
	// Any token of the organisation: the read role is enough.
	res := callAs(t, bearer(tokenFor(t, org, auth.RoleRead)), http.MethodGet, path, nil)
	mustStatus(t, res, http.StatusOK)
	body := res.json(t)
	if len(body) != 4 || body["username"] != "AWS" || body["endpoint"] != "https://000000000000.dkr.ecr.sandbox.berth.local" {
		t.Fatalf("body %s, want Quant's {username, password, expiresAt, endpoint}", res.Body)
	}
	password, _ := body["password"].(string)
	expires, err := time.Parse(time.RFC3339, fmt.Sprint(body["expiresAt"]))
	if password == "" || err != nil || time.Until(expires) < 11*time.Hour || time.Until(expires) > 12*time.Hour {
		t.Fatalf("password %q, expiresAt %v (%v): want a password valid for 12 h", password, body["expiresAt"], err)
	}
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q: a password must not be cached", res.Header.Get("Cache-Control"))
	}
	if strings.Contains(logs.String(), password) {
		t.Error("the password reached a log line")
	}
	if again := call(t, http.MethodGet, path, nil).json(t); again["password"] == password {
		t.Error("two logins share a password")
	}
	res = call(t, http.MethodDelete, path, nil)
	mustStatus(t, res, http.StatusMethodNotAllowed)
	if res.Header.Get("Allow") != "GET" {
		t.Errorf("Allow %q, want GET", res.Header.Get("Allow"))
	}
}

// failingRegistry answers every login with err.
type failingRegistry struct{ err error }

func (f failingRegistry) Credentials(context.Context) (registry.Login, error) {
	return registry.Login{}, f.err
}

// TestEcrLoginFailures: a registry that does not answer is a 503 to retry;
// one that answers nonsense is our 500. Neither body says why.
func TestEcrLoginFailures(t *testing.T) {
	org := uniqueOrg(t)
	ensureStack(t)
	saved := stack.Server.Registry
	defer func() { stack.Server.Registry = saved }()
	cases := map[string]struct {
		err    error
		status int
	}{
		"unavailable": {fmt.Errorf("%w: ecr GetAuthorizationToken: ThrottlingException: secret-detail", registry.ErrUnavailable), http.StatusServiceUnavailable},
		"malformed":   {errors.New("ecr GetAuthorizationToken: the token is not base64 secret-detail"), http.StatusInternalServerError},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			stack.Server.Registry = failingRegistry{tc.err}
			res := call(t, http.MethodGet, orgPath(org)+"/applications/ecr-login", nil)
			mustStatus(t, res, tc.status)
			if res.Header.Get("Content-Type") != "application/problem+json" || strings.Contains(string(res.Body), "secret-detail") {
				t.Fatalf("want a problem without internals: %s", res.Body)
			}
			if tc.status == http.StatusServiceUnavailable && res.Header.Get("Retry-After") == "" {
				t.Error("a 503 without Retry-After")
			}
		})
	}
}

// TestReservedApplicationName: ecr-login is a path of the API, so no
// application may take it; the problem names the field and the rule.
func TestReservedApplicationName(t *testing.T) {
	org := uniqueOrg(t)
	body := seed(t, "create-application.json")
	body["appName"] = "ecr-login"
	res := call(t, http.MethodPost, orgPath(org)+"/applications", body)
	mustStatus(t, res, http.StatusBadRequest)
	rules := fmt.Sprint(res.fieldErrors(t)["appName"])
	if !strings.Contains(rules, "is reserved: ecr-login is a path of the API") {
		t.Fatalf("appName rules %s, want the reserved-name rule", rules)
	}
}
