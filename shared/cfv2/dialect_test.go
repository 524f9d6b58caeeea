package cfv2

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/shared/dialect"
	"github.com/berth-dev/berth/shared/validation"
)

// TestRenderShapes: every problem renders as CF v2's
// {"code","description","error_code"}, with Berth's status.
func TestRenderShapes(t *testing.T) {
	cases := []struct {
		p    dialect.Problem
		code int
		name string
	}{
		{dialect.Problem{Status: 400, Slug: "validation-failed", Errors: validation.Errors{"name": {"is required"}}}, 10004, "CF-InvalidRequest"},
		{dialect.Problem{Status: 400, Slug: "validation-failed", Errors: validation.Errors{"body": {"must be valid JSON"}}}, 1001, "CF-MessageParseError"},
		{dialect.Problem{Status: 400, Slug: "malformed-request"}, 1001, "CF-MessageParseError"},
		{dialect.Problem{Status: 413, Slug: "body-too-large"}, 1001, "CF-MessageParseError"},
		{dialect.Problem{Status: 415, Slug: "unsupported-media-type"}, 1001, "CF-MessageParseError"},
		{dialect.Problem{Status: 404, Slug: "not-found"}, 10000, "CF-NotFound"},
		{dialect.Problem{Status: 404, Slug: "no-such-route"}, 10000, "CF-NotFound"},
		{dialect.Problem{Status: 405, Slug: "method-not-allowed"}, 10000, "CF-NotFound"},
		{dialect.Problem{Status: 401, Slug: "unauthenticated"}, 1000, "CF-InvalidAuthToken"},
		{dialect.Problem{Status: 403, Slug: "forbidden"}, 10003, "CF-NotAuthorized"},
		{dialect.Problem{Status: 409, Slug: "conflict"}, 10008, "CF-UnprocessableEntity"},
		{dialect.Problem{Status: 412, Slug: "precondition-failed"}, 10008, "CF-UnprocessableEntity"},
		{dialect.Problem{Status: 422, Slug: "idempotency-key-reused"}, 10008, "CF-UnprocessableEntity"},
		{dialect.Problem{Status: 409, Slug: "idempotency-key-in-flight"}, 10008, "CF-UnprocessableEntity"},
		{dialect.Problem{Status: 429, Slug: "rate-limited"}, 10013, "CF-RateLimitExceeded"},
		{dialect.Problem{Status: 503, Slug: "unavailable"}, 10015, "CF-ServiceUnavailable"},
		{dialect.Problem{Status: 500, Slug: "internal"}, 10001, "CF-ServerError"},
		{dialect.Problem{Status: 400, Slug: SlugBadQuery}, 10005, "CF-BadQueryParameter"},
		{dialect.Problem{Status: 404, Slug: SlugAppNotFound}, 100004, "CF-AppNotFound"},
		{dialect.Problem{Status: 404, Slug: SlugSpaceNotFound}, 40004, "CF-SpaceNotFound"},
		{dialect.Problem{Status: 404, Slug: SlugOrganizationNotFound}, 30003, "CF-OrganizationNotFound"},
		{dialect.Problem{Status: 418, Slug: "unheard-of"}, 10008, "CF-UnprocessableEntity"},
		{dialect.Problem{Status: 502, Slug: "unheard-of"}, 10001, "CF-ServerError"},
	}
	for _, c := range cases {
		t.Run(c.p.Slug, func(t *testing.T) {
			c.p.Detail, c.p.RequestID = "what went wrong", "req-1"
			rec := httptest.NewRecorder()
			render(rec, c.p)
			h := rec.Header()
			if rec.Code != c.p.Status || h.Get("Content-Type") != "application/json;charset=utf-8" || h.Get("X-VCAP-Request-ID") != "req-1" || h.Get("X-Content-Type-Options") != "nosniff" {
				t.Fatalf("status %d, headers %v", rec.Code, h)
			}
			var body map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || len(body) != 3 {
				t.Fatalf("body %s: %v", rec.Body, err)
			}
			if body["code"] != float64(c.code) || body["error_code"] != c.name || body["description"] == "" {
				t.Fatalf("error %v", body)
			}
		})
	}
	rec := httptest.NewRecorder()
	render(rec, dialect.Problem{Status: 400, Slug: "validation-failed", Detail: "ignored",
		Errors: validation.Errors{"memory": {"must be between 6 and 122880 megabytes; got 0"}, "environment_json.PORT": {"is reserved"}}})
	want := `{"code":10004,"description":"The request is invalid: environment_json.PORT is reserved, memory must be between 6 and 122880 megabytes; got 0","error_code":"CF-InvalidRequest"}` + "\n"
	if rec.Body.String() != want {
		t.Fatalf("body %s, want %s", rec.Body, want)
	}
}

func listOf(n int) []Resource[string] {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var out []Resource[string]
	for i := n - 1; i >= 0; i-- { // out of order: pageOf sorts by creation
		s := string(rune('a' + i))
		out = append(out, Resource[string]{Metadata: Metadata{GUID: s, CreatedAt: t0.Add(time.Duration(i) * time.Second)}, Entity: s})
	}
	return out
}

func entities(l List[string]) string {
	var b strings.Builder
	for _, r := range l.Resources {
		b.WriteString(r.Entity)
	}
	return b.String()
}

func TestPagination(t *testing.T) {
	q, err := readQuery(dialect.Call{Query: url.Values{"results-per-page": {"2"}, "page": {"2"}, "q": {"name:x"}}}, "name")
	if err != nil {
		t.Fatal(err)
	}
	l := pageOf(q, "/v2/apps", listOf(5))
	if l.TotalResults != 5 || l.TotalPages != 3 || entities(l) != "cd" ||
		l.PrevURL == nil || *l.PrevURL != "/v2/apps?order-direction=asc&page=1&q=name%3Ax&results-per-page=2" ||
		l.NextURL == nil || *l.NextURL != "/v2/apps?order-direction=asc&page=3&q=name%3Ax&results-per-page=2" {
		t.Fatalf("page %+v %v %v", l, *l.PrevURL, *l.NextURL)
	}
	q, _ = readQuery(dialect.Call{Query: url.Values{"results-per-page": {"2"}, "page": {"3"}}})
	if l := pageOf(q, "/v2/apps", listOf(5)); entities(l) != "e" || l.NextURL != nil || l.PrevURL == nil {
		t.Fatalf("last page %+v", l)
	}
	q, _ = readQuery(dialect.Call{Query: url.Values{"order-direction": {"desc"}}})
	if l := pageOf(q, "/v2/apps", listOf(3)); entities(l) != "cba" || l.NextURL != nil || l.PrevURL != nil || l.TotalPages != 1 {
		t.Fatalf("desc %+v", l)
	}
	q, _ = readQuery(dialect.Call{})
	if l := pageOf(q, "/v2/apps", listOf(3)); entities(l) != "abc" || q.perPage != 50 {
		t.Fatalf("asc %+v", l)
	}
	// An empty list is one page of nothing, rendered as [].
	l = pageOf[string](q, "/v2/apps", nil)
	if b, _ := json.Marshal(l); string(b) != `{"total_results":0,"total_pages":1,"prev_url":null,"next_url":null,"resources":[]}` {
		t.Fatalf("empty %s", b)
	}
	// Past the end, even far past: no resources, a prev_url to the last page.
	for _, p := range []string{"4", "9223372036854775807"} {
		q, err := readQuery(dialect.Call{Query: url.Values{"results-per-page": {"100"}, "page": {p}}})
		if err != nil {
			t.Fatal(err)
		}
		if l := pageOf(q, "/v2/apps", listOf(3)); len(l.Resources) != 0 || l.NextURL != nil || l.PrevURL == nil || !strings.Contains(*l.PrevURL, "page=1&") {
			t.Fatalf("page %s: %+v", p, l)
		}
	}
	for _, v := range []url.Values{{"results-per-page": {"0"}}, {"results-per-page": {"101"}}, {"results-per-page": {"x"}}, {"page": {"0"}},
		{"page": {"-1"}}, {"order-direction": {"up"}}, {"q": {"guid:x"}}, {"q": {"name"}}, {"q": {":x"}}, {"q": {"name:x;space_guid:y"}}} {
		_, err := readQuery(dialect.Call{Query: v}, "name")
		var r *dialect.Refusal
		if !errors.As(err, &r) || r.Status != http.StatusBadRequest || r.Slug != SlugBadQuery || !strings.HasPrefix(r.Detail, "The query parameter is invalid: ") {
			t.Fatalf("%v: %v", v, err)
		}
	}
}

func TestFilters(t *testing.T) {
	q, err := readQuery(dialect.Call{Query: url.Values{"q": {"name IN a,b;space_guid:s", "name:b"}, "inline-relations-depth": {"1"}}}, "name", "space_guid")
	if err != nil {
		t.Fatal(err)
	}
	if !q.match("name", "b") || q.match("name", "a") || q.match("name", "c") || !q.match("space_guid", "s") || q.match("space_guid", "t") || !q.match("organization_guid", "any") {
		t.Fatalf("filters %v", q.filters)
	}
}

// TestHandlersWithoutStore: info, the token's organizations, and the
// refusals that come before any record is read.
func TestHandlersWithoutStore(t *testing.T) {
	ctx := context.Background()
	rep, err := GetInfo(ctx, dialect.Call{})
	if info, _ := rep.Body.(Info); err != nil || rep.Status != 200 || info.APIVersion != APIVersion || info.Version != 2 {
		t.Fatalf("info %+v %v", rep, err)
	}
	call := dialect.Call{Organisations: []string{"acme", "beta"}, Query: url.Values{}, Acting: func(string) {}}
	rep, err = ListOrganizations(ctx, call)
	l, _ := rep.Body.(List[Organization])
	if err != nil || l.TotalResults != 2 || l.Resources[0].Entity.Name != "acme" || l.Resources[1].Metadata.GUID != dialect.OrganisationID("beta") {
		t.Fatalf("organizations %+v %v", rep, err)
	}
	call.Query = url.Values{"q": {"name:beta"}}
	if rep, _ := ListOrganizations(ctx, call); rep.Body.(List[Organization]).TotalResults != 1 {
		t.Fatalf("filtered %+v", rep)
	}
	call.Query = url.Values{}
	// Another organization's guid is CF's 404, whoever owns it.
	call.Body = []byte(`{"name":"dev","organization_guid":"` + dialect.OrganisationID("gamma") + `"}`)
	_, err = CreateSpace(ctx, call)
	var r *dialect.Refusal
	if !errors.As(err, &r) || r.Status != 404 || r.Slug != SlugOrganizationNotFound {
		t.Fatalf("another organization: %v", err)
	}
	call.Body = []byte(`{"name":"dev"}`)
	if _, err := CreateSpace(ctx, call); !strings.Contains(err.Error(), "organization_guid") {
		t.Fatalf("no organization: %v", err)
	}
	call.Body = []byte(`{"name":"a","space_guid":"s"}`)
	if _, err := CreateApp(ctx, call); !strings.Contains(err.Error(), "docker_image") {
		t.Fatalf("no image: %v", err)
	}
	call.Body = []byte(`{"memory":-1}`)
	if _, err := UpdateApp(ctx, call); !strings.Contains(err.Error(), "memory") {
		t.Fatalf("bad memory: %v", err)
	}
	call.Query = url.Values{"page": {"x"}}
	if _, err := ListApps(ctx, call); !errors.As(err, &r) || r.Slug != SlugBadQuery {
		t.Fatalf("bad page: %v", err)
	}
	if _, err := ListSpaces(ctx, call); !errors.As(err, &r) || r.Slug != SlugBadQuery {
		t.Fatalf("bad page: %v", err)
	}
}
