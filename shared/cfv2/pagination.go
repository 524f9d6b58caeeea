package cfv2

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/berth-dev/berth/shared/dialect"
)

// Page sizes: CF v2's results-per-page is 1 to 100, 50 unless sent.
const (
	DefaultPerPage = 50
	MaxPerPage     = 100
)

// query is a list's page and its q filters ("name:my-app").
type query struct {
	page, perPage int
	descending    bool
	filters       map[string][]string
	raw           url.Values
}

// readQuery reads page, results-per-page, order-direction and q, whose
// filters must be among allowed, as name:value or name IN a,b; several
// filters go in several q parameters or one, separated by ';'. A bad value
// is CF's 400 CF-BadQueryParameter. Other parameters (inline-relations-depth,
// order-by) are ignored, as CF's own answer does not depend on them here.
func readQuery(c dialect.Call, allowed ...string) (query, error) {
	v := c.Query
	q := query{page: 1, perPage: DefaultPerPage, filters: map[string][]string{}, raw: v}
	if s := v.Get("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return q, badQuery("page must be a whole number from 1; got %q", s)
		}
		q.page = n
	}
	if s := v.Get("results-per-page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxPerPage {
			return q, badQuery("results-per-page must be a whole number from 1 to %d; got %q", MaxPerPage, s)
		}
		q.perPage = n
	}
	switch d := v.Get("order-direction"); d {
	case "", "asc":
	case "desc":
		q.descending = true
	default:
		return q, badQuery("order-direction must be asc or desc; got %q", d)
	}
	for _, raw := range v["q"] {
		for _, f := range strings.Split(raw, ";") {
			name, values, ok := cutFilter(f)
			if !ok || !slices.Contains(allowed, name) {
				return q, badQuery("q must be a filter on %s, as name:value or name IN a,b; got %q", strings.Join(allowed, ", "), f)
			}
			if prev, ok := q.filters[name]; ok {
				// Two filters on one name: both must hold.
				values = slices.DeleteFunc(values, func(x string) bool { return !slices.Contains(prev, x) })
			}
			q.filters[name] = values
		}
	}
	return q, nil
}

func badQuery(format string, args ...any) error {
	return &dialect.Refusal{Status: http.StatusBadRequest, Slug: SlugBadQuery, Title: "Bad query parameter",
		Detail: "The query parameter is invalid: " + fmt.Sprintf(format, args...)}
}

func cutFilter(f string) (string, []string, bool) {
	if name, v, ok := strings.Cut(f, " IN "); ok && name != "" {
		return name, strings.Split(v, ","), true
	}
	if name, v, ok := strings.Cut(f, ":"); ok && name != "" {
		return name, []string{v}, true
	}
	return "", nil, false
}

func (q query) match(name, value string) bool {
	want, ok := q.filters[name]
	return !ok || slices.Contains(want, value)
}

// pageOf cuts the page out of all, sorted as CF sorts (by creation).
func pageOf[T any](q query, path string, all []Resource[T]) List[T] {
	slices.SortStableFunc(all, func(a, b Resource[T]) int {
		if c := a.Metadata.CreatedAt.Compare(b.Metadata.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.Metadata.GUID, b.Metadata.GUID)
	})
	if q.descending {
		slices.Reverse(all)
	}
	// An empty list is one page, as CF's.
	pages := max(1, (len(all)+q.perPage-1)/q.perPage)
	l := List[T]{TotalResults: len(all), TotalPages: pages, Resources: []Resource[T]{}}
	if q.page <= pages && len(all) > 0 { // else past the end: no resources (and no overflow)
		start := (q.page - 1) * q.perPage
		l.Resources = all[start:min(start+q.perPage, len(all))]
	}
	link := func(page int) *string {
		v := url.Values{}
		for k, vs := range q.raw {
			v[k] = vs
		}
		v.Set("page", strconv.Itoa(page))
		v.Set("order-direction", "asc")
		if q.descending {
			v.Set("order-direction", "desc")
		}
		v.Set("results-per-page", strconv.Itoa(q.perPage))
		s := fmt.Sprintf("%s?%s", path, v.Encode())
		return &s
	}
	if q.page > 1 {
		l.PrevURL = link(min(q.page-1, pages))
	}
	if q.page < pages {
		l.NextURL = link(q.page + 1)
	}
	return l
}
