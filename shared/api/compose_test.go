package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/berth-dev/berth/shared/auth"
)

const twoServices = `
services:
  web:
    build: .
    image: shop:latest
    ports: ["8080:80"]
    environment: {APP_ENV: production}
    healthcheck:
      test: ["CMD-SHELL", "curl -f http://localhost/ || exit 1"]
      interval: 30s
    depends_on:
      cache: {condition: service_healthy}
  cache:
    image: redis:7
    healthcheck: {test: [CMD, redis-cli, ping]}
`

func TestValidateCompose(t *testing.T) {
	org := uniqueOrg(t)
	path := orgPath(org) + "/compose/validate"
	cases := map[string]struct {
		target  string
		body    any
		status  int
		inBody  []string // substrings of the response body
		problem string   // field of errors
	}{
		"translates":              {path, map[string]any{"compose": twoServices}, 200, []string{`"identifier":"latest"`, `"condition":"HEALTHY"`, `"exposedPorts":[80]`, "published port 8080"}, ""},
		"body suffix":             {path, map[string]any{"compose": twoServices, "imageSuffix": "pr-456"}, 200, []string{`"identifier":"web-pr-456"`, `"identifier":"redis:7"`}, ""},
		"query suffix wins":       {path + "?imageSuffix=pr-9", map[string]any{"compose": twoServices, "imageSuffix": "pr-456"}, 200, []string{`"identifier":"web-pr-9"`}, ""},
		"yamlContent":             {path, map[string]any{"yamlContent": twoServices, "application": "my-app"}, 200, []string{`"translationWarnings"`}, ""},
		"invalid YAML":            {path, map[string]any{"compose": "services: [web"}, 422, []string{`"error":`, "compose-invalid"}, "compose"},
		"untranslatable service":  {path, map[string]any{"compose": "services:\n  web:\n    image: nginx\n    privileged: true\n"}, 422, []string{"services.web.privileged"}, "services.web.privileged"},
		"rule broken":             {path, map[string]any{"compose": "services:\n  web:\n    image: nginx\n    healthcheck: {test: [CMD, 'true'], timeout: 90s}\n"}, 422, []string{"between 2 and 60"}, "services.web.healthcheck.timeout"},
		"no file":                 {path, map[string]any{"imageSuffix": "x"}, 400, nil, "compose"},
		"both keys":               {path, map[string]any{"compose": "a", "yamlContent": "b"}, 400, nil, "compose"},
		"bad suffix":              {path + "?imageSuffix=PR_1", map[string]any{"compose": twoServices}, 400, nil, "imageSuffix (query)"},
		"unknown field, strict":   {path + "?fieldValidation=Strict", map[string]any{"compose": twoServices, "file": "x"}, 400, nil, "file"},
		"not an object":           {path, "[]", 400, nil, "body"},
		"empty compose":           {path, map[string]any{"compose": ""}, 422, nil, "compose"},
		"huge nesting is bounded": {path, map[string]any{"compose": strings.Repeat("[", 5000)}, 422, nil, "compose"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			res := call(t, http.MethodPost, tc.target, tc.body)
			mustStatus(t, res, tc.status)
			for _, s := range tc.inBody {
				if !strings.Contains(string(res.Body), s) {
					t.Errorf("body lacks %q: %s", s, res.Body)
				}
			}
			if tc.problem != "" {
				if _, ok := res.fieldErrors(t)[tc.problem]; !ok {
					t.Errorf("errors lack %q: %s", tc.problem, res.Body)
				}
			}
		})
	}
}

// A read token may validate, and a validation writes nothing: no audit
// event, no idempotency record.
func TestValidateComposeIsReadOnly(t *testing.T) {
	org := uniqueOrg(t)
	tok := bearer(tokenFor(t, org, auth.RoleRead))
	validate := func(key string) {
		res := callAs(t, tok, http.MethodPost, orgPath(org)+"/compose/validate", map[string]any{"compose": twoServices}, "Idempotency-Key", key)
		mustStatus(t, res, http.StatusOK)
	}
	validate("validate-1") // the token's first use records when it was used
	before := tableDump(t)
	validate("validate-2")
	if tableDump(t) != before {
		t.Fatal("a validation changed the table")
	}
}
