package cfv3

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/shared/dialect"
)

// Page sizes: CF v3's per_page is 1 to 5000, 50 unless sent.
const (
	DefaultPerPage = 50
	MaxPerPage     = 5000
)

// Link is a CF v3 link.
type Link struct {
	Href   string `json:"href"`
	Method string `json:"method,omitempty"`
}

// Pagination is a CF v3 list's page.
type Pagination struct {
	TotalResults int   `json:"total_results"`
	TotalPages   int   `json:"total_pages"`
	First        Link  `json:"first"`
	Last         Link  `json:"last"`
	Next         *Link `json:"next"`
	Previous     *Link `json:"previous"`
}

// List is a CF v3 list.
type List[T any] struct {
	Pagination Pagination `json:"pagination"`
	Resources  []T        `json:"resources"`
}

// query is a list's page, order and filters (names=a,b).
type query struct {
	page, perPage int
	orderBy       string
	filters       map[string][]string
	raw           url.Values
}

// orders are the order_by values CF v3's lists take.
var orders = []string{"created_at", "-created_at", "updated_at", "-updated_at", "name", "-name"}

// readQuery reads page, per_page, order_by and the filters allowed; any
// other parameter, or a bad value, is CF's 400 CF-BadQueryParameter.
func readQuery(c dialect.Call, filters ...string) (query, error) {
	v := c.Query
	q := query{page: 1, perPage: DefaultPerPage, orderBy: "created_at", filters: map[string][]string{}, raw: v}
	var bad []string
	for name := range v {
		if name != "page" && name != "per_page" && name != "order_by" && !slices.Contains(filters, name) {
			bad = append(bad, name)
		}
	}
	if len(bad) > 0 {
		slices.Sort(bad)
		return q, badQuery("Unknown query parameter(s): '%s'. Valid parameters are: 'page', 'per_page', 'order_by'%s",
			strings.Join(bad, "', '"), quoted(filters))
	}
	if s, ok := one(v, "page"); ok {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return q, badQuery("Page must be a positive integer; got %q", s)
		}
		q.page = n
	}
	if s, ok := one(v, "per_page"); ok {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxPerPage {
			return q, badQuery("Per page must be between 1 and %d; got %q", MaxPerPage, s)
		}
		q.perPage = n
	}
	if s, ok := one(v, "order_by"); ok {
		if !slices.Contains(orders, s) {
			return q, badQuery("Order by can only be: '%s'; got %q", strings.Join(orders, "', '"), s)
		}
		q.orderBy = s
	}
	for _, f := range filters {
		if s, ok := one(v, f); ok {
			q.filters[f] = strings.Split(s, ",")
		}
	}
	return q, nil
}

func quoted(names []string) string {
	var b strings.Builder
	for _, n := range names {
		b.WriteString(", '" + n + "'")
	}
	return b.String()
}

// one is a parameter's value: the last one sent, as CF reads them.
func one(v url.Values, name string) (string, bool) {
	vs, ok := v[name]
	if !ok || len(vs) == 0 {
		return "", false
	}
	return vs[len(vs)-1], true
}

func badQuery(format string, args ...any) error {
	return refusal(http.StatusBadRequest, SlugBadQuery, "Bad query parameter", "The query parameter is invalid: "+sprintf(format, args...))
}

// match says whether value passes the filter of name, if one was sent.
func (q query) match(name, value string) bool {
	want, ok := q.filters[name]
	return !ok || slices.Contains(want, value)
}

// entry is a resource with what lists sort it by.
type entry[T any] struct {
	resource         T
	guid, name       string
	created, updated time.Time
}

// pageOf sorts all as order_by asks (ties by guid) and cuts the page out.
func pageOf[T any](q query, path string, all []entry[T]) List[T] {
	key, desc := strings.CutPrefix(q.orderBy, "-")
	slices.SortStableFunc(all, func(a, b entry[T]) int {
		c := 0
		switch key {
		case "name":
			c = strings.Compare(a.name, b.name)
		case "updated_at":
			c = a.updated.Compare(b.updated)
		default:
			c = a.created.Compare(b.created)
		}
		if c == 0 {
			c = strings.Compare(a.guid, b.guid)
		}
		if desc {
			c = -c
		}
		return c
	})
	pages := max(1, (len(all)+q.perPage-1)/q.perPage)
	l := List[T]{Resources: []T{}, Pagination: Pagination{TotalResults: len(all), TotalPages: pages,
		First: q.link(path, 1), Last: q.link(path, pages)}}
	if start := (q.page - 1) * q.perPage; start < len(all) {
		for _, e := range all[start:min(start+q.perPage, len(all))] {
			l.Resources = append(l.Resources, e.resource)
		}
	}
	if q.page < pages {
		next := q.link(path, q.page+1)
		l.Pagination.Next = &next
	}
	if q.page > 1 {
		prev := q.link(path, min(q.page-1, pages))
		l.Pagination.Previous = &prev
	}
	return l
}

// link is the list's page n, with the request's other parameters.
func (q query) link(path string, n int) Link {
	v := url.Values{}
	for k, vs := range q.raw {
		v[k] = vs
	}
	v.Set("page", strconv.Itoa(n))
	v.Set("per_page", strconv.Itoa(q.perPage))
	return Link{Href: path + "?" + v.Encode()}
}
