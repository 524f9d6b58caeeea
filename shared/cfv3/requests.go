package cfv3

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/berth-dev/berth/shared/compose"
	"github.com/berth-dev/berth/shared/dialect"
	"github.com/berth-dev/berth/shared/pattern"
	"github.com/berth-dev/berth/shared/validation"
)

// CF v3's defaults for a new app's web process, and Fargate's disk.
const (
	DefaultMemory    = 1024
	DefaultDisk      = 1024
	DefaultInstances = 1
	// DefaultPort is the port CF gives a docker app that names none.
	DefaultPort = 8080
	// DiskLimit is the disk every instance has: Fargate's 20 GiB of
	// ephemeral storage. A disk_in_mb up to it is met; above it, refused.
	DiskLimit = 20 * 1024
	// DefaultStack is the stack a buildpack app shows when it names none.
	DefaultStack = "cflinuxfs4"
)

// Lifecycle types.
const (
	LifecycleBuildpack = "buildpack"
	LifecycleDocker    = "docker"
)

// States.
const (
	StateStarted = "STARTED"
	StateStopped = "STOPPED"
)

// Placeholder is the registry of the image a buildpack app is created
// with: Berth runs images and does not stage source, so a buildpack app
// holds buildpack.berth.invalid/<stack>[:<buildpack>], an image no
// registry serves (.invalid is reserved, RFC 2606), recorded so that its
// views show the buildpack lifecycle and its start is refused.
const Placeholder = "buildpack.berth.invalid"

var (
	stackRE     = pattern.New(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`, 1, 64)
	buildpackRE = pattern.New(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`, 1, 128)
)

// Lifecycle is an app's lifecycle: buildpack (the default) or docker.
type Lifecycle struct {
	Type *string        `json:"type"`
	Data *LifecycleData `json:"data"`
}

// LifecycleData is a lifecycle's data: the image of a docker app, the
// buildpacks and stack of a buildpack app. The page's experimental API
// names one buildpack; today's names a list.
type LifecycleData struct {
	Image      *string   `json:"image"`
	Buildpack  *string   `json:"buildpack"`
	Buildpacks *[]string `json:"buildpacks"`
	Stack      *string   `json:"stack"`
}

// Ref is a relationship's target: {"guid": ...}.
type Ref struct {
	GUID *string `json:"guid"`
}

// Relationship is {"data": {"guid": ...}}; the page's experimental API
// sends {"guid": ...} for a space, which is also read.
type Relationship struct {
	Data *Ref    `json:"data"`
	GUID *string `json:"guid"`
}

func (r *Relationship) guid() string {
	switch {
	case r == nil:
		return ""
	case r.Data != nil && r.Data.GUID != nil:
		return *r.Data.GUID
	case r.GUID != nil:
		return *r.GUID
	}
	return ""
}

// AppRequest is the body of POST /v3/apps and PATCH /v3/apps/:guid.
// metadata is accepted and has no effect.
type AppRequest struct {
	Name                 *string         `json:"name"`
	EnvironmentVariables *map[string]any `json:"environment_variables"`
	Lifecycle            *Lifecycle      `json:"lifecycle"`
	Relationships        *struct {
		Space *Relationship `json:"space"`
	} `json:"relationships"`
}

// DecodeApp reads an app's body.
func DecodeApp(body []byte) (AppRequest, error) {
	var r AppRequest
	if err := dialect.Decode(body, &r); err != nil {
		return AppRequest{}, err
	}
	return r, nil
}

// SpaceGUID is the space the body names.
func (r AppRequest) SpaceGUID() string {
	if r.Relationships == nil {
		return ""
	}
	return r.Relationships.Space.guid()
}

// image is the image a lifecycle asks for: the docker image, or the
// placeholder a buildpack app holds.
func (l *Lifecycle) image(errs validation.Errors) string {
	if l == nil {
		return Placeholder + "/" + DefaultStack
	}
	kind := LifecycleBuildpack
	switch {
	case l.Type == nil || *l.Type == "":
		errs.Add("lifecycle.type", "is required: buildpack or docker")
	case *l.Type == LifecycleBuildpack || *l.Type == LifecycleDocker:
		kind = *l.Type
	default:
		errs.Addf("lifecycle.type", "must be buildpack or docker; got %q", *l.Type)
	}
	if l.Data == nil {
		errs.Add("lifecycle.data", "is required: an object, {} for the defaults")
		return ""
	}
	d := l.Data
	if kind == LifecycleDocker {
		switch {
		case d.Image == nil || *d.Image == "":
			errs.Add("lifecycle.data.image", "is required for a docker lifecycle: the image to run, such as nginx:1.27")
		case strings.HasPrefix(*d.Image, Placeholder):
			errs.Addf("lifecycle.data.image", "must not name %s, the placeholder of buildpack apps", Placeholder)
		default:
			return *d.Image
		}
		return ""
	}
	stack := DefaultStack
	if d.Stack != nil && *d.Stack != "" {
		stack = *d.Stack
		if !stackRE.MatchString(stack) {
			errs.Add("lifecycle.data.stack", "must be a stack's name: 1 to 64 of A-Z a-z 0-9 _ . -, not starting with . _ or -")
		}
	}
	var packs []string
	if d.Buildpack != nil && *d.Buildpack != "" {
		packs = append(packs, *d.Buildpack)
	}
	if d.Buildpacks != nil {
		packs = append(packs, *d.Buildpacks...)
	}
	img := Placeholder + "/" + stack
	switch {
	case len(packs) > 1:
		errs.Add("lifecycle.data.buildpacks", "must name at most one buildpack: Berth records it and does not stage apps from source")
	case len(packs) == 1 && !buildpackRE.MatchString(packs[0]):
		errs.Add("lifecycle.data.buildpacks", "must be a buildpack's name (1 to 128 of A-Z a-z 0-9 _ . -, not starting with . or -), not a URL: Berth records it and does not stage apps from source")
	case len(packs) == 1:
		img += ":" + packs[0]
	}
	return img
}

// placeholder reads a buildpack app's stack and buildpack out of its
// image; ok is false for an image of a docker app.
func placeholder(image string) (stack, buildpack string, ok bool) {
	rest, ok := strings.CutPrefix(image, Placeholder+"/")
	if !ok {
		return "", "", false
	}
	stack, buildpack, _ = strings.Cut(rest, ":")
	return stack, buildpack, true
}

// variables are environment_variables as Berth's variables: strings as
// they are, numbers and booleans as their JSON text. null is absent at a
// create and a deletion in a PATCH (merge).
func variables(field string, env map[string]any, errs validation.Errors) map[string]*string {
	out := map[string]*string{}
	for k, v := range env {
		f := field + "." + k
		switch {
		case k == "":
			errs.Add(field, "must not hold an empty name")
		case k == "PORT":
			errs.Add(f, "cannot be set: PORT is the platform's")
		case strings.HasPrefix(k, "VCAP_") || strings.HasPrefix(k, "VMC_"):
			errs.Add(f, "cannot start with VCAP_ or VMC_")
		}
		switch x := v.(type) {
		case nil:
			out[k] = nil
		case string:
			out[k] = &x
		case json.Number:
			s := x.String()
			out[k] = &s
		case bool:
			s := fmt.Sprint(x)
			out[k] = &s
		default:
			errs.Add(f, "must be a string, number, boolean or null")
		}
	}
	return out
}

// merge lays the sent variables over the current ones: a null deletes.
func merge(current []compose.EnvVar, sent map[string]*string) []compose.EnvVar {
	byName := map[string]*string{}
	for _, v := range current {
		byName[v.Name] = v.Value
	}
	for k, v := range sent {
		if v == nil {
			delete(byName, k)
			continue
		}
		byName[k] = v
	}
	out := make([]compose.EnvVar, 0, len(byName))
	for k, v := range byName {
		out = append(out, compose.EnvVar{Name: k, Value: v})
	}
	slices.SortFunc(out, func(a, b compose.EnvVar) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// varFields names each variable's CF field for Berth's paths to it.
func varFields(vars []compose.EnvVar, fields map[string]string, prefixes ...string) map[string]string {
	for i, v := range vars {
		for _, p := range prefixes {
			fields[validation.Index(p, i)+".name"] = "environment_variables." + v.Name
			fields[validation.Index(p, i)+".value"] = "environment_variables." + v.Name
		}
	}
	return fields
}

// processFields names CF's process field for Berth's.
var processFields = map[string]string{
	"memory": "memory_in_mb", "taskMemory": "memory_in_mb", "minCapacity": "instances", "maxCapacity": "instances",
	"imageReference": "lifecycle.data.image", "identifier": "lifecycle.data.image",
}

// Spec is the create's Berth spec: CF's defaults for what it leaves out.
// A CF v3 app is created STOPPED.
func (r AppRequest) Spec() (dialect.Spec, error) {
	errs := validation.Errors{}
	if r.Name == nil || *r.Name == "" {
		errs.Add("name", "is required")
	}
	if r.SpaceGUID() == "" {
		errs.Add("relationships.space.data.guid", "is required: the guid of a space (GET or POST /v3/spaces)")
	}
	img := r.Lifecycle.image(errs)
	var vars []compose.EnvVar
	if r.EnvironmentVariables != nil {
		sent := variables("environment_variables", *r.EnvironmentVariables, errs)
		for k, v := range sent {
			if v == nil {
				delete(sent, k)
			}
		}
		vars = merge(nil, sent)
	}
	if err := errs.Err(); err != nil {
		return dialect.Spec{}, err
	}
	mem, n := DefaultMemory, DefaultInstances
	c := compose.Container{
		ImageReference: &compose.ImageReference{Type: compose.ImageExternal, Identifier: img},
		Memory:         &mem, ExposedPorts: []int{DefaultPort},
	}
	return dialect.Spec{
		Name: *r.Name, Field: "name", Container: c, Variables: vars, MinCapacity: &n, MaxCapacity: &n,
	}, nil
}

// specFields names CF's fields for the Berth paths a create's errors take.
func specFields(spec dialect.Spec) map[string]string {
	fields := make(map[string]string, len(processFields))
	for k, v := range processFields {
		fields[k] = v
	}
	return varFields(spec.Variables, fields, "environment", "environment_variables")
}

// Change is a PATCH's change of the app's lifecycle, or nil when it asks
// for none. A buildpack app may take a docker lifecycle (and then start);
// a docker app may not go back to a buildpack.
func (r AppRequest) Change(w dialect.Workload) (*dialect.Change, error) {
	errs := validation.Errors{}
	if r.Name != nil && *r.Name != w.Name() {
		errs.Addf("name", "cannot change: an app keeps the name it was created with (%q)", w.Name())
	}
	if g := r.SpaceGUID(); g != "" && g != w.Scope().ID() {
		errs.Add("relationships.space.data.guid", "cannot change: an app stays in its space")
	}
	if r.EnvironmentVariables != nil {
		errs.Add("environment_variables", "cannot be changed here: PATCH /v3/apps/:guid/environment_variables")
	}
	if r.Lifecycle == nil {
		return nil, errs.Err()
	}
	img := r.Lifecycle.image(errs)
	_, _, buildpack := placeholder(image(w))
	if !buildpack && r.Lifecycle.Type != nil && *r.Lifecycle.Type == LifecycleBuildpack {
		errs.Add("lifecycle.type", "cannot change from docker to buildpack: Berth runs images and does not stage apps from source")
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return &dialect.Change{Edit: func(_ *compose.Definition, c *compose.Container) error {
		c.ImageReference = &compose.ImageReference{Type: compose.ImageExternal, Identifier: img}
		return nil
	}}, nil
}

// image is the workload's image identifier.
func image(w dialect.Workload) string {
	if c := w.Container(); c.ImageReference != nil {
		return c.ImageReference.Identifier
	}
	return ""
}

// VarsRequest is the body of PATCH /v3/apps/:guid/environment_variables.
type VarsRequest struct {
	Var *map[string]any `json:"var"`
}

// Merge is the PATCH's variables laid over current: CF merges, and a null
// deletes a key.
func (r VarsRequest) Merge(current []compose.EnvVar) ([]compose.EnvVar, error) {
	errs := validation.Errors{}
	if r.Var == nil {
		errs.Add("var", "is required: an object of names and values (null deletes one)")
		return nil, errs
	}
	sent := variables("var", *r.Var, errs)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return merge(current, sent), nil
}

// ScaleRequest is the body of POST /v3/processes/:guid/actions/scale.
type ScaleRequest struct {
	Instances  *int `json:"instances"`
	MemoryInMB *int `json:"memory_in_mb"`
	DiskInMB   *int `json:"disk_in_mb"`
}

// Change is the scale's Berth change, or nil when it asks for none:
// instances are the task count (min = max capacity), memory the
// container's hard limit.
func (r ScaleRequest) Change() (*dialect.Change, error) {
	errs := validation.Errors{}
	if r.Instances != nil && *r.Instances < 1 {
		errs.Add("instances", "must be 1 or more: Berth runs at least one task of a started app; stop it instead (POST /v3/apps/:guid/actions/stop)")
	}
	if r.MemoryInMB != nil && *r.MemoryInMB < 1 {
		errs.Add("memory_in_mb", "must be greater than 0")
	}
	if r.DiskInMB != nil && (*r.DiskInMB < 1 || *r.DiskInMB > DiskLimit) {
		errs.Addf("disk_in_mb", "must be between 1 and %d: every instance has Fargate's %d MB of disk", DiskLimit, DiskLimit)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	if r.Instances == nil && r.MemoryInMB == nil {
		return nil, nil
	}
	return &dialect.Change{Edit: func(d *compose.Definition, c *compose.Container) error {
		if r.Instances != nil {
			n, top := *r.Instances, *r.Instances
			d.MinCapacity, d.MaxCapacity = &n, &top
		}
		if r.MemoryInMB != nil {
			m := *r.MemoryInMB
			c.Memory = &m
		}
		return nil
	}}, nil
}

// SpaceRequest is the body of POST /v3/spaces.
type SpaceRequest struct {
	Name          *string `json:"name"`
	Relationships *struct {
		Organization *Relationship `json:"organization"`
	} `json:"relationships"`
}

// Check is the space's rules before Berth's own on its name.
func (r SpaceRequest) Check() (name, org string, err error) {
	errs := validation.Errors{}
	if r.Name == nil || *r.Name == "" {
		errs.Add("name", "is required")
	} else {
		name = *r.Name
	}
	if r.Relationships != nil {
		org = r.Relationships.Organization.guid()
	}
	if org == "" {
		errs.Add("relationships.organization.data.guid", "is required: the guid of an organization (GET /v3/organizations)")
	}
	return name, org, errs.Err()
}

// rename gives Berth's validation errors CF's field names: an exact path,
// the part after the container's, or the last segment.
func rename(err error, fields map[string]string) error {
	var errs validation.Errors
	if !errors.As(err, &errs) {
		return err
	}
	out := validation.Errors{}
	for k, rules := range errs {
		name := k
		if f, ok := fields[k]; ok {
			name = f
		} else if _, rest, ok := strings.Cut(k, "containers[0]."); ok {
			head, _, _ := strings.Cut(rest, ".")
			if f, ok := fields[head]; ok {
				name = f
			}
		} else if i := strings.LastIndexByte(k, '.'); i >= 0 {
			if f, ok := fields[k[i+1:]]; ok {
				name = f
			}
		} else if f, ok := fields[k]; ok {
			name = f
		}
		out[name] = append(out[name], rules...)
	}
	return out
}
