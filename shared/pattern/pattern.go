// Package pattern holds bounded-length string patterns. A counted repeat
// such as [a-z]{0,254} compiles into hundreds of regexp instructions, and
// every package-level pattern is compiled at every Lambda cold start; a
// Bounded pattern compiles the unbounded form and checks the length apart.
package pattern

import "regexp"

// Bounded matches strings of Min to Max bytes that match its expression.
type Bounded struct {
	re       *regexp.Regexp
	min, max int
}

// New compiles expr, which must not repeat by count, and bounds its length.
func New(expr string, min, max int) Bounded {
	return Bounded{re: regexp.MustCompile(expr), min: min, max: max}
}

// MatchString reports whether s is within bounds and matches.
func (b Bounded) MatchString(s string) bool {
	return len(s) >= b.min && len(s) <= b.max && b.re.MatchString(s)
}
