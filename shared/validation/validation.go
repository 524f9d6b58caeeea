// Package validation collects broken input rules keyed by the JSON path of
// the field that broke them, so one response can name every problem at once.
package validation

import (
	"fmt"
	"sort"
	"strings"
)

// Errors maps a field path (for example "composeDefinition.containers[0].name")
// to the rules that field broke, in the order they were found.
type Errors map[string][]string

// Add records that the field at path broke rule.
func (e Errors) Add(path, rule string) {
	e[path] = append(e[path], rule)
}

// Addf is Add with formatting.
func (e Errors) Addf(path, format string, args ...any) {
	e.Add(path, fmt.Sprintf(format, args...))
}

// Err returns e as an error, or nil when nothing was broken.
func (e Errors) Err() error {
	if len(e) == 0 {
		return nil
	}
	return e
}

// Fields returns the broken field paths, sorted.
func (e Errors) Fields() []string {
	fields := make([]string, 0, len(e))
	for f := range e {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	return fields
}

func (e Errors) Error() string {
	parts := make([]string, 0, len(e))
	for _, f := range e.Fields() {
		parts = append(parts, f+": "+strings.Join(e[f], "; "))
	}
	return "invalid request: " + strings.Join(parts, ", ")
}

// Join builds the path of a child field.
func Join(parent, child string) string {
	if parent == "" {
		return child
	}
	return parent + "." + child
}

// Index builds the path of a list element.
func Index(parent string, i int) string {
	return fmt.Sprintf("%s[%d]", parent, i)
}
