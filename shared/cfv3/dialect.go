// Package cfv3 speaks Cloud Foundry's v3 API over Berth: apps, their
// processes and environment variables, spaces and organizations in CF v3's
// shapes, translated by shared/dialect onto Berth's applications and
// environments (README, "Cloud Foundry v3").
package cfv3

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/berth-dev/berth/shared/dialect"
)

// Dialect is Cloud Foundry v3: its routes' errors take CF v3's shape.
var Dialect = dialect.Dialect{Name: "cfv3", Render: render}

// Errors is CF v3's error body.
type Errors struct {
	Errors []Error `json:"errors"`
}

// Error is one of CF v3's errors.
type Error struct {
	Code   int    `json:"code"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
}

// The slugs of cfv3's own refusals (dialect.Refusal).
const (
	// SlugBadQuery is a query parameter CF v3 refuses: 400 CF-BadQueryParameter.
	SlugBadQuery = "bad-query-parameter"
	// SlugUnprocessable is a request CF v3 understands and cannot do:
	// 422 CF-UnprocessableEntity (a start of a buildpack app).
	SlugUnprocessable = "unprocessable-entity"
)

// cfError is how CF v3 answers one of Berth's problems: its status (0
// keeps Berth's), code and title.
type cfError struct {
	status int
	code   int
	title  string
}

var (
	unprocessableError = cfError{http.StatusUnprocessableEntity, 10008, "CF-UnprocessableEntity"}
	parseError         = cfError{http.StatusBadRequest, 1001, "CF-MessageParseError"}
	// errorsBySlug maps Berth's problems (and cfv3's refusals) to CF v3's
	// errors. Validation failures and conflicts are CF's 422s.
	errorsBySlug = map[string]cfError{
		"validation-failed":         unprocessableError,
		"malformed-request":         parseError,
		"body-too-large":            {0, 1001, "CF-MessageParseError"},
		"unsupported-media-type":    {0, 1001, "CF-MessageParseError"},
		"not-found":                 {http.StatusNotFound, 10010, "CF-ResourceNotFound"},
		"no-such-route":             {http.StatusNotFound, 10000, "CF-NotFound"},
		"method-not-allowed":        {0, 10000, "CF-NotFound"},
		"unauthenticated":           {http.StatusUnauthorized, 10002, "CF-NotAuthenticated"},
		"forbidden":                 {http.StatusForbidden, 10003, "CF-NotAuthorized"},
		"conflict":                  unprocessableError,
		"precondition-failed":       {0, 10008, "CF-UnprocessableEntity"},
		"idempotency-key-reused":    unprocessableError,
		"idempotency-key-in-flight": {0, 10008, "CF-UnprocessableEntity"},
		"rate-limited":              {http.StatusTooManyRequests, 10014, "CF-RateLimitV3Exceeded"},
		"unavailable":               {http.StatusServiceUnavailable, 10015, "CF-ServiceUnavailable"},
		"internal":                  {http.StatusInternalServerError, 10001, "UnknownError"},
		SlugBadQuery:                {http.StatusBadRequest, 10005, "CF-BadQueryParameter"},
		SlugUnprocessable:           unprocessableError,
	}
)

// errorOf is the CF v3 error of a problem. A validation failure of the body
// as a whole (not JSON, not an object) is CF's 400 CF-MessageParseError.
func errorOf(p dialect.Problem) cfError {
	if p.Slug == "validation-failed" && len(p.Errors) == 1 && p.Errors["body"] != nil {
		return parseError
	}
	e, ok := errorsBySlug[p.Slug]
	if !ok {
		e = errorsBySlug["internal"]
		if p.Status < 500 {
			e = cfError{0, 10008, "CF-UnprocessableEntity"}
		}
	}
	if e.status == 0 {
		e.status = p.Status
	}
	return e
}

func render(w http.ResponseWriter, p dialect.Problem) {
	e := errorOf(p)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if p.RequestID != "" {
		w.Header().Set("X-VCAP-Request-ID", p.RequestID)
	}
	w.WriteHeader(e.status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(Errors{Errors: []Error{{Code: e.code, Title: e.title, Detail: describe(p)}}})
}

// describe is the detail a CF client prints: the problem's detail, then
// each field and its rules, as CF's "Name can't be blank".
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
	return strings.Join(parts, ", ")
}
