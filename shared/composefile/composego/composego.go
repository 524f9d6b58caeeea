// Package composego translates a docker-compose file into Berth's compose
// definition: one container per service (composefile.Translator). It
// parses with compose-spec/compose-go, in memory only: it reads no file
// (env_file, include, extends, label_file) and no variable of the process
// environment. Only validate-compose's function and the local stack link
// it: compose-go compiles a JSON schema at init.
package composego

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/tree"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/berth-dev/berth/shared/compose"
	"github.com/berth-dev/berth/shared/composefile"
	"github.com/berth-dev/berth/shared/validation"
)

// fileName names the in-memory file in the parser's messages.
const fileName = "compose.yaml"

// Translate parses src and translates it. It returns *composefile.Error when src is not
// a valid compose file or its translation breaks a rule.
func Translate(ctx context.Context, src []byte, opts composefile.Options) (composefile.Result, error) {
	if len(src) > composefile.MaxBytes {
		return composefile.Result{}, &composefile.Error{Syntax: fmt.Sprintf("is larger than %d bytes", composefile.MaxBytes)}
	}
	if strings.TrimSpace(string(src)) == "" {
		return composefile.Result{}, &composefile.Error{Syntax: "is empty"}
	}
	project, findings, unset, err := load(ctx, src)
	if err != nil {
		return composefile.Result{}, &composefile.Error{Syntax: parserReason(err)}
	}
	t := &translation{project: project, errs: validation.Errors{}}
	if len(unset) > 0 {
		verb := "variable %s is"
		if len(unset) > 1 {
			verb = "variables %s are"
		}
		t.warn("", fmt.Sprintf(verb+" not set: Berth interpolates from no environment, so ${VAR} reads as empty and ${VAR:-default} as its default", strings.Join(unset, ", ")))
	}
	t.unsupported(findings)
	def := t.definition()
	if opts.ImageSuffix != "" {
		def.ApplyImageSuffix(opts.ImageSuffix)
	}
	if len(t.errs) > 0 {
		return composefile.Result{}, &composefile.Error{Fields: t.errs}
	}
	out := def.Clone()
	mount := opts.FilesystemMountPath
	if mount == "" {
		mount = defaultMountPath
	}
	check := validation.Errors{}
	def.Normalize(compose.Context{Filesystem: true, FilesystemMountPath: mount, Volumes: t.volumes()}, check, "")
	if len(check) > 0 {
		return composefile.Result{}, &composefile.Error{Fields: t.mapErrors(def, check)}
	}
	return composefile.Result{Definition: out, Warnings: t.warnings}, nil
}

// defaultMountPath is apps.DefaultMountPath; apps is not imported, so that
// this package stays a leaf beside compose.
const defaultMountPath = "/mnt/data"

// load runs compose-go's loader on src alone: no path is resolved, no
// file is read (include, extends and env_file are left unresolved), and
// interpolation sees an empty environment. It returns the attributes the
// allowlist does not cover and the variables interpolation did not find.
func load(ctx context.Context, src []byte) (*types.Project, []loader.UnsupportedAttribute, []string, error) {
	var findings []loader.UnsupportedAttribute
	unset := map[string]bool{}
	details := types.ConfigDetails{
		WorkingDir:  "/nonexistent/berth-compose",
		ConfigFiles: []types.ConfigFile{{Filename: fileName, Content: src}},
		Environment: types.Mapping{},
	}
	project, err := loader.LoadWithContext(ctx, details,
		func(o *loader.Options) {
			o.SetProjectName("berth", true)
			o.ResolvePaths = false
			o.SkipInclude = true
			o.SkipExtends = true
			o.SkipResolveEnvironment = true
			o.SkipResolveLabels = true
			o.ResourceLoaders = []loader.ResourceLoader{noFiles{}}
			lookup := o.Interpolate.LookupValue
			o.Interpolate.LookupValue = func(name string) (string, bool) {
				v, ok := lookup(name)
				if !ok {
					unset[name] = true
				}
				return v, ok
			}
		},
		// In this order: the second sets the report the first would clear.
		loader.WithUnsupportedAttributesCheck(handled, nil),
		loader.WithSupportedAttributes(supported, func(f []loader.UnsupportedAttribute) { findings = f }),
	)
	if err != nil {
		return nil, nil, nil, err
	}
	names := make([]string, 0, len(unset))
	for n := range unset {
		names = append(names, n)
	}
	sort.Strings(names)
	return project, findings, names, nil
}

// noFiles refuses every resource, so that nothing the file names (an
// include, an extends file) is read, should the loader ask.
type noFiles struct{}

func (noFiles) Accept(string) bool { return true }
func (noFiles) Load(context.Context, string) (string, error) {
	return "", errors.New("Berth reads no other files")
}
func (noFiles) Dir(string) string { return "" }

// parserReason is the loader's error, as one line.
func parserReason(err error) string {
	s := strings.Join(strings.Fields(err.Error()), " ")
	if len(s) > 500 {
		s = s[:500] + "..."
	}
	return s
}

// supported lists the attributes the translation reads; the loader reports
// every other one, so that an attribute the specification gains later is
// reported too.
var supported = paths(
	"name", "services", "services.*", "volumes",
	"services.*.image", "services.*.build", "services.*.command", "services.*.entrypoint",
	"services.*.environment", "services.*.env_file", "services.*.healthcheck", "services.*.depends_on",
	"services.*.ports", "services.*.volumes", "services.*.user", "services.*.working_dir",
	"services.*.read_only", "services.*.cpus", "services.*.mem_limit", "services.*.mem_reservation",
	"services.*.platform",
	"services.*.deploy", "services.*.deploy.resources",
	"services.*.deploy.resources.limits", "services.*.deploy.resources.limits.cpus", "services.*.deploy.resources.limits.memory",
	"services.*.deploy.resources.reservations", "services.*.deploy.resources.reservations.cpus", "services.*.deploy.resources.reservations.memory",
)

// handled stops the unsupported-attribute walk at the attributes whose
// whole value the translation reads itself.
var handled = func() []loader.UnsupportedAttributePattern {
	var out []loader.UnsupportedAttributePattern
	for _, p := range paths("volumes", "services.*.build", "services.*.environment", "services.*.env_file",
		"services.*.healthcheck", "services.*.depends_on", "services.*.ports", "services.*.volumes",
		"services.*.command", "services.*.entrypoint") {
		out = append(out, loader.UnsupportedAttributePattern{Path: p, Detect: func(any) bool { return false }})
	}
	return out
}()

func paths(ps ...string) []tree.Path {
	out := make([]tree.Path, len(ps))
	for i, p := range ps {
		out[i] = tree.NewPath(strings.Split(p, ".")...)
	}
	return out
}
