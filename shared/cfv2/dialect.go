// Package cfv2 speaks Cloud Foundry's v2 API over Berth: apps, spaces and
// organizations in CF's shapes, translated by shared/dialect onto Berth's
// applications and environments (README, "Other dialects").
package cfv2

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/berth-dev/berth/shared/dialect"
)

// Dialect is Cloud Foundry v2: its routes' errors take CF's shape.
var Dialect = dialect.Dialect{Name: "cfv2", Render: render}

// Error is CF v2's error body.
type Error struct {
	Code        int    `json:"code"`
	Description string `json:"description"`
	ErrorCode   string `json:"error_code"`
}

// The slugs of cfv2's own refusals (dialect.Refusal).
const (
	// SlugBadQuery is a query parameter CF v2 refuses: 400 CF-BadQueryParameter.
	SlugBadQuery = "bad-query-parameter"
	// SlugAppNotFound, SlugSpaceNotFound and SlugOrganizationNotFound are
	// CF v2's 404s of an id the token's organisations do not hold.
	SlugAppNotFound          = "app-not-found"
	SlugSpaceNotFound        = "space-not-found"
	SlugOrganizationNotFound = "organization-not-found"
)

type cfError struct {
	code int
	name string
}

var (
	parseError   = cfError{1001, "CF-MessageParseError"}
	invalidError = cfError{10004, "CF-InvalidRequest"}
	// codes are CF v2's numeric code and error_code for each of Berth's
	// problems and cfv2's refusals. The status stays Berth's.
	codes = map[string]cfError{
		"validation-failed":         invalidError,
		"malformed-request":         parseError,
		"body-too-large":            parseError,
		"unsupported-media-type":    parseError,
		"not-found":                 {10000, "CF-NotFound"},
		"no-such-route":             {10000, "CF-NotFound"},
		"method-not-allowed":        {10000, "CF-NotFound"},
		"unauthenticated":           {1000, "CF-InvalidAuthToken"},
		"forbidden":                 {10003, "CF-NotAuthorized"},
		"conflict":                  {10008, "CF-UnprocessableEntity"},
		"precondition-failed":       {10008, "CF-UnprocessableEntity"},
		"idempotency-key-reused":    {10008, "CF-UnprocessableEntity"},
		"idempotency-key-in-flight": {10008, "CF-UnprocessableEntity"},
		"rate-limited":              {10013, "CF-RateLimitExceeded"},
		"unavailable":               {10015, "CF-ServiceUnavailable"},
		"internal":                  {10001, "CF-ServerError"},
		SlugBadQuery:                {10005, "CF-BadQueryParameter"},
		SlugAppNotFound:             {100004, "CF-AppNotFound"},
		SlugSpaceNotFound:           {40004, "CF-SpaceNotFound"},
		SlugOrganizationNotFound:    {30003, "CF-OrganizationNotFound"},
	}
)

// errorOf is the CF v2 error of a problem. A validation failure of the
// body as a whole (not JSON, not an object) is CF's CF-MessageParseError;
// of its fields, CF-InvalidRequest.
func errorOf(p dialect.Problem) cfError {
	if p.Slug == "validation-failed" && len(p.Errors) == 1 && p.Errors["body"] != nil {
		return parseError
	}
	c, ok := codes[p.Slug]
	if !ok {
		c = codes["internal"]
		if p.Status < 500 {
			c = codes["conflict"]
		}
	}
	return c
}

func render(w http.ResponseWriter, p dialect.Problem) {
	c := errorOf(p)
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if p.RequestID != "" {
		w.Header().Set("X-VCAP-Request-ID", p.RequestID)
	}
	w.WriteHeader(p.Status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(Error{Code: c.code, Description: describe(p), ErrorCode: c.name})
}

// describe is the description a CF client prints: the detail, then each
// field and its rules.
func describe(p dialect.Problem) string {
	if len(p.Errors) == 0 {
		return p.Detail
	}
	fields := make([]string, 0, len(p.Errors))
	for f := range p.Errors {
		fields = append(fields, f)
	}
	slices.Sort(fields)
	parts := make([]string, 0, len(fields))
	for _, f := range fields {
		parts = append(parts, fmt.Sprintf("%s %s", f, strings.Join(p.Errors[f], "; ")))
	}
	return "The request is invalid: " + strings.Join(parts, ", ")
}
