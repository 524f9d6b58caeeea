package pattern_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/berth-dev/berth/shared/pattern"

	// Imported for the patterns they register.
	_ "github.com/berth-dev/berth/shared/api"
	_ "github.com/berth-dev/berth/shared/store"
)

// TestBoundedMatchesTheCountedExpression: a Bounded pattern accepts exactly
// what the counted regular expression it replaces accepts.
func TestBoundedMatchesTheCountedExpression(t *testing.T) {
	counted := regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	bounded := pattern.New(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`, 1, 128)
	for _, s := range []string{"", "a", "v1.2", ".hidden", "a" + strings.Repeat("b", 127), "a" + strings.Repeat("b", 128), "tag with space", "é"} {
		if got, want := bounded.MatchString(s), counted.MatchString(s); got != want {
			t.Errorf("%q: bounded %v, counted %v", s, got, want)
		}
	}
}

func BenchmarkCompileCounted(b *testing.B) {
	for b.Loop() {
		regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}$`)
	}
}

// BenchmarkCompileBounded compiles what a Bounded pattern compiles (on
// first use): the expression without the counted repeat.
func BenchmarkCompileBounded(b *testing.B) {
	for b.Loop() {
		regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/:@-]*$`)
	}
}

// TestEveryPatternCompiles: patterns compile on first use, so a bad
// expression would otherwise surface as a panic in some request.
func TestEveryPatternCompiles(t *testing.T) {
	exprs := pattern.Registered()
	if len(exprs) < 10 {
		t.Fatalf("%d patterns registered; the packages below make at least 10", len(exprs))
	}
	for _, expr := range exprs {
		if _, err := regexp.Compile(expr); err != nil {
			t.Errorf("%q: %v", expr, err)
		}
	}
}
