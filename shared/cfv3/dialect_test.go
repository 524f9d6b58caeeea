package cfv3

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/berth-dev/berth/shared/dialect"
	"github.com/berth-dev/berth/shared/validation"
)

// TestRenderShapes: every problem renders as {"errors":[{code,title,detail}]}
// with CF v3's status, code and title.
func TestRenderShapes(t *testing.T) {
	cases := []struct {
		p      dialect.Problem
		status int
		code   int
		title  string
	}{
		{dialect.Problem{Status: 400, Slug: "validation-failed", Errors: validation.Errors{"name": {"is required"}}}, 422, 10008, "CF-UnprocessableEntity"},
		{dialect.Problem{Status: 400, Slug: "validation-failed", Errors: validation.Errors{"body": {"must be valid JSON"}}}, 400, 1001, "CF-MessageParseError"},
		{dialect.Problem{Status: 400, Slug: "malformed-request"}, 400, 1001, "CF-MessageParseError"},
		{dialect.Problem{Status: 413, Slug: "body-too-large"}, 413, 1001, "CF-MessageParseError"},
		{dialect.Problem{Status: 404, Slug: "not-found"}, 404, 10010, "CF-ResourceNotFound"},
		{dialect.Problem{Status: 404, Slug: "no-such-route"}, 404, 10000, "CF-NotFound"},
		{dialect.Problem{Status: 405, Slug: "method-not-allowed"}, 405, 10000, "CF-NotFound"},
		{dialect.Problem{Status: 401, Slug: "unauthenticated"}, 401, 10002, "CF-NotAuthenticated"},
		{dialect.Problem{Status: 403, Slug: "forbidden"}, 403, 10003, "CF-NotAuthorized"},
		{dialect.Problem{Status: 409, Slug: "conflict"}, 422, 10008, "CF-UnprocessableEntity"},
		{dialect.Problem{Status: 412, Slug: "precondition-failed"}, 412, 10008, "CF-UnprocessableEntity"},
		{dialect.Problem{Status: 422, Slug: "idempotency-key-reused"}, 422, 10008, "CF-UnprocessableEntity"},
		{dialect.Problem{Status: 409, Slug: "idempotency-key-in-flight"}, 409, 10008, "CF-UnprocessableEntity"},
		{dialect.Problem{Status: 429, Slug: "rate-limited"}, 429, 10014, "CF-RateLimitV3Exceeded"},
		{dialect.Problem{Status: 503, Slug: "unavailable"}, 503, 10015, "CF-ServiceUnavailable"},
		{dialect.Problem{Status: 500, Slug: "internal"}, 500, 10001, "UnknownError"},
		{dialect.Problem{Status: 400, Slug: SlugBadQuery}, 400, 10005, "CF-BadQueryParameter"},
		{dialect.Problem{Status: 422, Slug: SlugUnprocessable}, 422, 10008, "CF-UnprocessableEntity"},
		{dialect.Problem{Status: 418, Slug: "unheard-of"}, 418, 10008, "CF-UnprocessableEntity"},
		{dialect.Problem{Status: 502, Slug: "unheard-of"}, 500, 10001, "UnknownError"},
	}
	for _, c := range cases {
		t.Run(c.p.Slug, func(t *testing.T) {
			c.p.Detail, c.p.RequestID = "what went wrong", "req-1"
			rec := httptest.NewRecorder()
			render(rec, c.p)
			if rec.Code != c.status || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") || rec.Header().Get("X-VCAP-Request-ID") != "req-1" {
				t.Fatalf("status %d, headers %v", rec.Code, rec.Header())
			}
			var body map[string][]map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || len(body) != 1 || len(body["errors"]) != 1 {
				t.Fatalf("body %s: %v", rec.Body, err)
			}
			e := body["errors"][0]
			if e["code"] != float64(c.code) || e["title"] != c.title || e["detail"] == "" || len(e) != 3 {
				t.Fatalf("error %v", e)
			}
		})
	}
	rec := httptest.NewRecorder()
	render(rec, dialect.Problem{Status: 400, Slug: "validation-failed", Errors: validation.Errors{"name": {"is required"}, "lifecycle.type": {"must be buildpack or docker"}}})
	if !strings.Contains(rec.Body.String(), `"detail":"lifecycle.type must be buildpack or docker, name is required"`) {
		t.Fatalf("detail does not name the fields: %s", rec.Body)
	}
}

func listOf(n int) []entry[string] {
	var out []entry[string]
	for i := 0; i < n; i++ {
		s := string(rune('a' + i))
		out = append(out, entry[string]{resource: s, guid: s, name: string(rune('z' - i))})
	}
	return out
}

func TestPagination(t *testing.T) {
	q, err := readQuery(dialect.Call{Query: url.Values{"per_page": {"2"}, "page": {"2"}, "names": {"x"}}}, "names")
	if err != nil {
		t.Fatal(err)
	}
	l := pageOf(q, "/v3/apps", listOf(5))
	p := l.Pagination
	if p.TotalResults != 5 || p.TotalPages != 3 || strings.Join(l.Resources, "") != "cd" ||
		p.First.Href != "/v3/apps?names=x&page=1&per_page=2" || p.Last.Href != "/v3/apps?names=x&page=3&per_page=2" ||
		p.Next == nil || p.Next.Href != "/v3/apps?names=x&page=3&per_page=2" || p.Previous == nil || p.Previous.Href != "/v3/apps?names=x&page=1&per_page=2" {
		t.Fatalf("page %+v", l)
	}
	q, _ = readQuery(dialect.Call{Query: url.Values{"order_by": {"-name"}}})
	if l := pageOf(q, "/v3/apps", listOf(3)); strings.Join(l.Resources, "") != "abc" || l.Pagination.Next != nil || l.Pagination.Previous != nil {
		t.Fatalf("-name %+v", l)
	}
	q, _ = readQuery(dialect.Call{Query: url.Values{"order_by": {"name"}}})
	if l := pageOf(q, "/v3/apps", listOf(3)); strings.Join(l.Resources, "") != "cba" {
		t.Fatalf("name %+v", l)
	}
	q, _ = readQuery(dialect.Call{})
	if l := pageOf(q, "/v3/apps", []entry[string]{}); l.Pagination.TotalPages != 1 || l.Resources == nil || q.perPage != 50 {
		t.Fatalf("empty %+v", l)
	}
	for _, v := range []url.Values{{"per_page": {"0"}}, {"per_page": {"5001"}}, {"per_page": {"x"}}, {"page": {"0"}}, {"page": {"-1"}}, {"order_by": {"guid"}}, {"q": {"name:x"}}} {
		_, err := readQuery(dialect.Call{Query: v}, "names")
		var r *dialect.Refusal
		if !asRefusal(err, &r) || r.Status != http.StatusBadRequest || r.Slug != SlugBadQuery {
			t.Fatalf("%v: %v", v, err)
		}
	}
	if _, err := readQuery(dialect.Call{Query: url.Values{"per_page": {"5000"}}}); err != nil {
		t.Fatal(err)
	}
}
