package cfv2

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/berth-dev/berth/shared/dialect"
	"github.com/berth-dev/berth/shared/validation"
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
// filters must be among allowed, with ':' or IN.
func readQuery(c dialect.Call, allowed ...string) (query, error) {
	v := c.Query
	q := query{page: 1, perPage: DefaultPerPage, filters: map[string][]string{}, raw: v}
	errs := validation.Errors{}
	if s := v.Get("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			errs.Addf("page", "must be a whole number from 1; got %q", s)
		}
		q.page = n
	}
	if s := v.Get("results-per-page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxPerPage {
			errs.Addf("results-per-page", "must be a whole number from 1 to %d; got %q", MaxPerPage, s)
		}
		q.perPage = n
	}
	switch d := v.Get("order-direction"); d {
	case "", "asc":
	case "desc":
		q.descending = true
	default:
		errs.Addf("order-direction", "must be asc or desc; got %q", d)
	}
	for _, f := range v["q"] {
		name, values, ok := cutFilter(f)
		if !ok || !slices.Contains(allowed, name) {
			errs.Addf("q", "must be a filter on %s, as name:value or name IN a,b; got %q", strings.Join(allowed, ", "), f)
			continue
		}
		q.filters[name] = values
	}
	return q, errs.Err()
}

func cutFilter(f string) (string, []string, bool) {
	if name, v, ok := strings.Cut(f, " IN "); ok {
		return name, strings.Split(v, ","), true
	}
	if name, v, ok := strings.Cut(f, ":"); ok {
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
	pages := (len(all) + q.perPage - 1) / q.perPage
	l := List[T]{TotalResults: len(all), TotalPages: pages, Resources: []Resource[T]{}}
	start := (q.page - 1) * q.perPage
	if start < len(all) {
		l.Resources = all[start:min(start+q.perPage, len(all))]
	}
	link := func(page int) *string {
		v := url.Values{}
		for k, vs := range q.raw {
			v[k] = vs
		}
		v.Set("page", strconv.Itoa(page))
		v.Set("results-per-page", strconv.Itoa(q.perPage))
		s := fmt.Sprintf("%s?%s", path, v.Encode())
		return &s
	}
	if q.page > 1 && q.page <= pages+1 {
		l.PrevURL = link(q.page - 1)
	}
	if q.page < pages {
		l.NextURL = link(q.page + 1)
	}
	return l
}
