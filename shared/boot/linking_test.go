package boot_test

import (
	"debug/elf"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A function's binary links its own route's handlers and no other
// dialect's code: a route variable whose handler is made by a call at init
// would link every dialect into every function (and cost each about
// 0.6 MB). Built for the host, with symbols, as the release build's code.
func TestAFunctionLinksNoOtherDialect(t *testing.T) {
	dialects := []string{"cfv2", "cfv3", "qovery"}
	for fn, own := range map[string]string{"get-application": "", "cfv3-get-app": "cfv3", "qovery-get-container": "qovery"} {
		bin := filepath.Join(t.TempDir(), fn)
		cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", bin, "../../functions/"+fn)
		cmd.Env = append(cmd.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", fn, err, out)
		}
		f, err := elf.Open(bin)
		if err != nil {
			t.Fatal(err)
		}
		syms, err := f.Symbols()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		linked := map[string]bool{}
		for _, s := range syms {
			// A package's init (its regexps) runs wherever it is imported:
			// its code, not a handler's.
			if elf.ST_TYPE(s.Info) != elf.STT_FUNC || strings.Contains(s.Name, ".init") {
				continue
			}
			for _, d := range dialects {
				if strings.HasPrefix(s.Name, "github.com/berth-dev/berth/shared/"+d+".") {
					linked[d] = true
				}
			}
		}
		for _, d := range dialects {
			if linked[d] != (d == own) {
				t.Errorf("%s links shared/%s: %v, want %v", fn, d, linked[d], d == own)
			}
		}
	}
}
