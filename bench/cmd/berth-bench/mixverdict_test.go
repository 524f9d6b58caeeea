package main

import (
	"net/http"
	"testing"
)

// verdictOf classes the answers (status, Retry-After) and judges them.
func verdictOf(answers ...[2]any) []string {
	var c statusClasses
	for _, a := range answers {
		c.add(a[0].(int), a[1].(string))
	}
	return mixVerdict(c)
}

func TestMixVerdict(t *testing.T) {
	ok := [2]any{http.StatusOK, ""}
	for name, tc := range map[string]struct {
		answers []([2]any)
		met     bool
	}{
		"2xx and 4xx":                  {[][2]any{ok, {201, ""}, {404, ""}, {409, ""}, {422, ""}}, true},
		"429 is backpressure":          {[][2]any{ok, {429, "1"}}, true},
		"503 with Retry-After":         {[][2]any{ok, {503, "5"}}, true},
		"503 with an HTTP-date":        {[][2]any{{503, "Wed, 21 Oct 2015 07:28:00 GMT"}}, true},
		"a 500 fails":                  {[][2]any{ok, {500, ""}}, false},
		"a 500 with Retry-After fails": {[][2]any{{500, "5"}}, false},
		"a 502 fails":                  {[][2]any{{502, ""}}, false},
		"a 504 fails":                  {[][2]any{{504, "5"}}, false},
		"a 503 without Retry-After":    {[][2]any{ok, {503, ""}}, false},
		"a 503 with a bad Retry-After": {[][2]any{{503, "soon"}}, false},
		"a 503 with a negative delay":  {[][2]any{{503, "-1"}}, false},
	} {
		if unmet := verdictOf(tc.answers...); (len(unmet) == 0) != tc.met {
			t.Errorf("%s: unmet %q, want met=%v", name, unmet, tc.met)
		}
	}
}

func TestMixVerdictNeedsEveryAnswer(t *testing.T) {
	c := statusClasses{OK: 10, NoAnswer: 1}
	if len(mixVerdict(c)) == 0 {
		t.Error("a request left unanswered passed the verdict")
	}
}

// TestClassesSeparate503s: a 503 counts as with Retry-After only when it
// has a readable one, and never as another 5xx.
func TestClassesSeparate503s(t *testing.T) {
	var c statusClasses
	for _, a := range [][2]any{{503, "5"}, {503, ""}, {503, "later"}, {500, ""}, {429, "1"}, {404, ""}, {204, ""}} {
		c.add(a[0].(int), a[1].(string))
	}
	want := statusClasses{OK: 1, ClientError: 1, TooManyRequests: 1, BusyRetryAfter: 1, BusyNoRetryAfter: 2, ServerErrorOther: 1, RetryAfterInvalid: 1}
	if c != want {
		t.Errorf("classes %+v, want %+v", c, want)
	}
	if sum := c.plus(c); sum.BusyNoRetryAfter != 4 || sum.OK != 2 || sum.RetryAfterInvalid != 2 {
		t.Errorf("plus: %+v", sum)
	}
}
