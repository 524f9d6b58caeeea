// Package pattern holds regular expressions that cost nothing at cold start.
// Every package-level regexp.MustCompile runs at every Lambda cold start,
// in every function that links the package, whether or not its handler
// matches anything; a Lazy pattern compiles on first use. A counted repeat
// such as [a-z]{0,254} also compiles into hundreds of instructions, so a
// Bounded pattern compiles the unbounded form and checks the length apart.
package pattern

import (
	"regexp"
	"sync"
)

// Lazy is a regular expression compiled once, on its first use.
type Lazy struct {
	expr     string
	compiled func() *regexp.Regexp
}

var (
	registryMu sync.Mutex
	registry   []Lazy
)

// Compile returns expr as a Lazy pattern. A bad expression panics on first
// use, so every pattern is registered for TestEveryPatternCompiles.
func Compile(expr string) Lazy {
	l := Lazy{expr: expr, compiled: sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })}
	registryMu.Lock()
	registry = append(registry, l)
	registryMu.Unlock()
	return l
}

// Registered returns the expressions of every pattern made so far.
func Registered() []string {
	registryMu.Lock()
	defer registryMu.Unlock()
	exprs := make([]string, len(registry))
	for i, l := range registry {
		exprs[i] = l.expr
	}
	return exprs
}

// MatchString reports whether s matches.
func (l Lazy) MatchString(s string) bool { return l.compiled().MatchString(s) }

// FindStringSubmatch is regexp.Regexp.FindStringSubmatch.
func (l Lazy) FindStringSubmatch(s string) []string { return l.compiled().FindStringSubmatch(s) }

// Bounded matches strings of Min to Max bytes that match its expression.
type Bounded struct {
	re       Lazy
	min, max int
}

// New returns expr, which must not repeat by count, bounded in length.
func New(expr string, min, max int) Bounded {
	return Bounded{re: Compile(expr), min: min, max: max}
}

// MatchString reports whether s is within bounds and matches.
func (b Bounded) MatchString(s string) bool {
	return len(s) >= b.min && len(s) <= b.max && b.re.MatchString(s)
}
