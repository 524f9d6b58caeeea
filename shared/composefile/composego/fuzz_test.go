package composego

import (
	"context"
	"errors"
	"testing"

	"github.com/berth-dev/berth/shared/compose"
	"github.com/berth-dev/berth/shared/composefile"
	"github.com/berth-dev/berth/shared/validation"
)

// FuzzTranslate: no input panics, and every answer is either an *composefile.Error or
// a definition that Berth's compose rules accept.
func FuzzTranslate(f *testing.F) {
	for _, s := range []string{
		realistic,
		"services:\n  web:\n    image: nginx\n",
		"services:\n  web:\n    build: .\n    privileged: true\n",
		"services:\n  a: &a\n    image: x\n  b: *a\n",
		"services:\n  web:\n    image: nginx\n    deploy: {resources: {limits: {cpus: '1e30', memory: 1P}}}\n",
		"services:\n  web:\n    image: nginx\n    healthcheck: {test: [CMD, x], interval: 9999999h, retries: 99999999999}\n",
		"services:\n  web:\n    image: ${IMG:?required}\n",
		"x: [[[[[[[[[[[[]]]]]]]]]]]]\n",
	} {
		f.Add([]byte(s), "")
		f.Add([]byte(s), "pr-1")
	}
	f.Fuzz(func(t *testing.T, src []byte, suffix string) {
		res, err := Translate(context.Background(), src, composefile.Options{ImageSuffix: suffix})
		if err != nil {
			var cerr *composefile.Error
			if !errors.As(err, &cerr) || cerr.Syntax == "" && len(cerr.Fields) == 0 {
				t.Fatalf("error %v is not a reported *composefile.Error", err)
			}
			return
		}
		d := res.Definition.Clone()
		errs := validation.Errors{}
		d.Normalize(compose.Context{Filesystem: true, FilesystemMountPath: defaultMountPath, Volumes: volumeNames(res.Definition)}, errs, "")
		if len(errs) > 0 {
			t.Fatalf("accepted a definition that breaks rules: %v", errs)
		}
	})
}

// volumeNames are the volumes a definition mounts: the file declared them.
func volumeNames(d compose.Definition) []string {
	var out []string
	for _, c := range d.Containers {
		for _, m := range c.MountPoints {
			out = append(out, m.SourceVolume)
		}
	}
	return out
}
