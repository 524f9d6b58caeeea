package configuration

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/berth-dev/berth/shared/validation"
)

var posixName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func FuzzCheckName(f *testing.F) {
	for _, s := range []string{"PORT", "_", "1A", "A=B", "aws_region", "Berth_x", "ECS_", "DB_HOST", "db_host", "É", "A\x00", strings.Repeat("A", 256)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		errs := validation.Errors{}
		CheckName(errs, "name", name)
		if len(errs) > 0 {
			if len(errs) != 1 || len(errs["name"]) != 1 {
				t.Fatalf("%q: %v", name, errs)
			}
			return
		}
		if !posixName.MatchString(name) || len(name) > MaxNameLength {
			t.Fatalf("%q accepted: not a POSIX variable name", name)
		}
		if slices.Contains(reservedNames, name) {
			t.Fatalf("%q accepted: Berth sets it", name)
		}
		for _, p := range ReservedPrefixes {
			if strings.HasPrefix(strings.ToUpper(name), p) {
				t.Fatalf("%q accepted: %s is reserved", name, p)
			}
		}
	})
}
