package qovery

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/berth-dev/berth/shared/compose"
	"github.com/berth-dev/berth/shared/dialect"
	"github.com/berth-dev/berth/shared/validation"
)

// Defaults and bounds of Qovery's container request (README, "Qovery").
const (
	DefaultCPU         = 500 // millicores
	DefaultMemory      = 512 // MB, taken as MiB
	DefaultMinRunning  = 1
	DefaultMaxRunning  = 1
	NoLimit            = -1 // max_running_instances: Berth's maximum
	MaxCPU             = 16000
	MaxMemory          = 122880
	maxListItems       = 100
	maxDescriptionSize = 4096
)

// ContainerRequest is the body of POST /environment/{id}/container and of
// PUT /container/{id}, as Qovery spells it. Pointers tell a missing field
// from a zero one.
type ContainerRequest struct {
	Name                *string          `json:"name"`
	RegistryID          *string          `json:"registry_id"`
	ImageName           *string          `json:"image_name"`
	Tag                 *string          `json:"tag"`
	Healthchecks        *Healthchecks    `json:"healthchecks"`
	Storage             []Storage        `json:"storage"`
	Ports               []Port           `json:"ports"`
	Description         *string          `json:"description"`
	Arguments           []string         `json:"arguments"`
	Entrypoint          *string          `json:"entrypoint"`
	CPU                 *int             `json:"cpu"`
	Memory              *int             `json:"memory"`
	GPU                 *int             `json:"gpu"`
	MinRunningInstances *int             `json:"min_running_instances"`
	MaxRunningInstances *int             `json:"max_running_instances"`
	AutoPreview         *bool            `json:"auto_preview"`
	AutoDeploy          *bool            `json:"auto_deploy"`
	AnnotationsGroups   []GroupRef       `json:"annotations_groups"`
	LabelsGroups        []GroupRef       `json:"labels_groups"`
	IconURI             *string          `json:"icon_uri"`
	Autoscaling         *json.RawMessage `json:"autoscaling"`
}

// StorageType is the storage type Qovery's page sends, and the one Berth
// takes: it gives it as the application's shared EFS filesystem.
const StorageType = "FAST_SSD"

// Storage is one of Qovery's storages. Fargate has no per-container block
// storage: Berth gives one storage, as the application's shared EFS
// filesystem mounted at mount_point (README, "Qovery").
type Storage struct {
	ID         *string `json:"id,omitempty"`
	Type       string  `json:"type"`
	Size       int     `json:"size"`
	MountPoint string  `json:"mount_point"`
}

// Port is one of the container's ports.
type Port struct {
	ID                 *string `json:"id"`
	Name               *string `json:"name"`
	InternalPort       *int    `json:"internal_port"`
	ExternalPort       *int    `json:"external_port"`
	PubliclyAccessible *bool   `json:"publicly_accessible"`
	IsDefault          *bool   `json:"is_default"`
	Protocol           *string `json:"protocol"`
	PublicPath         *string `json:"public_path"`
	PublicPathRewrite  *string `json:"public_path_rewrite"`
}

// GroupRef names an annotations or labels group.
type GroupRef struct {
	ID string `json:"id"`
}

// Protocols Qovery names.
var protocols = []string{"HTTP", "HTTP2", "GRPC", "TCP", "UDP"}

// Translated is a container request in Berth's terms, with what Berth
// keeps of it only to answer the request (Echo).
type Translated struct {
	Name      string
	Container compose.Container
	Min, Max  int
	// MountPath is where the storage asks for the application's shared
	// EFS filesystem; "" when it asks for none.
	MountPath string
	Echo      Echo
}

// Echo is what a create or edit answers with as sent, though Berth does
// not keep it: metadata with no effect on the container (README).
type Echo struct {
	RegistryID        string
	Description       string
	AutoPreview       bool
	AutoDeploy        bool
	IconURI           string
	AnnotationsGroups []GroupRef
	LabelsGroups      []GroupRef
	Ports             []Port
	// Storage is the storage as sent: its id and size are not kept.
	Storage []Storage
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// DecodeContainer reads and checks a container request, giving the
// container, its bounds and its echo. Rules of names, images, sizes,
// ports and health check bounds are compose's, reported under Qovery's
// field names.
func DecodeContainer(body []byte) (Translated, error) {
	var r ContainerRequest
	if err := dialect.Decode(body, &r); err != nil {
		return Translated{}, err
	}
	return r.Translate()
}

// Translate checks r and turns it into Berth's container.
func (r ContainerRequest) Translate() (Translated, error) {
	errs := validation.Errors{}
	var t Translated
	required := func(field string, v *string) string {
		if v == nil || strings.TrimSpace(*v) == "" {
			errs.Add(field, "is required")
			return ""
		}
		return *v
	}
	t.Name = required("name", r.Name)
	t.Echo.RegistryID = required("registry_id", r.RegistryID)
	image, tag := required("image_name", r.ImageName), required("tag", r.Tag)
	if strings.ContainsAny(tag, ":@/") {
		errs.Add("tag", "must be a tag alone, without ':', '@' or '/'")
	}
	if strings.Contains(image, "@") {
		errs.Add("image_name", "must not hold a digest: give it as tag")
	}
	c := &t.Container
	if image != "" && tag != "" {
		c.ImageReference = &compose.ImageReference{Type: compose.ImageExternal, Identifier: image + ":" + tag}
	}

	cpu := orDefault(r.CPU, DefaultCPU)
	if cpu < 1 || cpu > MaxCPU {
		errs.Addf("cpu", "must be between 1 and %d millicores (16 vCPU, Fargate's largest task); got %d", MaxCPU, cpu)
	} else {
		c.CPU = ptr(max(cpu*1024/1000, 1))
	}
	mem := orDefault(r.Memory, DefaultMemory)
	if mem < 6 || mem > MaxMemory {
		errs.Addf("memory", "must be between 6 and %d MB (Fargate's largest task); got %d", MaxMemory, mem)
	} else {
		c.Memory = ptr(mem)
	}
	if gpu := orDefault(r.GPU, 0); gpu != 0 {
		errs.Addf("gpu", "must be 0: Berth runs containers on AWS Fargate, which has no GPUs, so it cannot give this container %d; "+
			"send gpu 0 (or leave it out) to run it on CPUs", gpu)
	}
	t.Min = orDefault(r.MinRunningInstances, DefaultMinRunning)
	t.Max = orDefault(r.MaxRunningInstances, DefaultMaxRunning)
	if t.Max == NoLimit {
		t.Max = compose.MaxCapacity
	}
	t.MountPath = r.storageIn(errs)
	t.Echo.Storage = r.Storage
	if r.Autoscaling != nil && string(*r.Autoscaling) != "null" {
		errs.Add("autoscaling", "is not supported: Berth cannot run KEDA scalers; set min_running_instances and max_running_instances, "+
			"and scaling policies through Berth's own API")
	}
	c.ExposedPorts = r.portsIn(errs)
	t.Echo.Ports = r.Ports
	checkStrings(errs, "arguments", r.Arguments)
	c.Command = r.Arguments
	if r.Entrypoint != nil && *r.Entrypoint != "" {
		c.EntryPoint = []string{*r.Entrypoint}
	}
	if r.Healthchecks != nil {
		c.HealthCheck = r.Healthchecks.healthCheck(errs, "healthchecks")
	}
	if r.Description != nil {
		if len(*r.Description) > maxDescriptionSize {
			errs.Addf("description", "must be at most %d bytes", maxDescriptionSize)
		}
		t.Echo.Description = *r.Description
	}
	if r.IconURI != nil && *r.IconURI != "" {
		if u, err := url.Parse(*r.IconURI); err != nil || u.Scheme == "" {
			errs.Add("icon_uri", "must be an absolute URI")
		}
		t.Echo.IconURI = *r.IconURI
	}
	t.Echo.AutoPreview = r.AutoPreview != nil && *r.AutoPreview
	t.Echo.AutoDeploy = r.AutoDeploy != nil && *r.AutoDeploy
	t.Echo.AnnotationsGroups = checkGroups(errs, "annotations_groups", r.AnnotationsGroups)
	t.Echo.LabelsGroups = checkGroups(errs, "labels_groups", r.LabelsGroups)

	// Compose's own rules, reported under Qovery's names.
	if errs.Err() == nil {
		check := compose.Definition{Containers: []compose.Container{*c}, MinCapacity: ptr(t.Min), MaxCapacity: ptr(t.Max)}
		check.Containers[0].Name = "container"
		composeErrs := validation.Errors{}
		check.Normalize(compose.Context{}, composeErrs, "")
		for field, rules := range composeErrs {
			for _, rule := range rules {
				errs.Add(r.qoveryField(field), rule)
			}
		}
	}
	return t, errs.Err()
}

// storageIn checks the storage and gives where it mounts the application's
// shared EFS filesystem: Fargate has no per-container block storage, so
// Berth gives one storage, of type FAST_SSD, as that filesystem. EFS grows
// as files are written: size is checked, not a quota.
func (r ContainerRequest) storageIn(errs validation.Errors) string {
	switch {
	case len(r.Storage) == 0:
		return ""
	case len(r.Storage) > 1:
		errs.Add("storage", "must hold at most one item: Berth gives a container one storage, its application's shared EFS filesystem "+
			"(Fargate has no per-container block storage); mount more paths through Berth's own volumes API")
		return ""
	}
	s := r.Storage[0]
	f := func(name string) string { return validation.Index("storage", 0) + "." + name }
	if s.Type != StorageType {
		errs.Addf(f("type"), "must be %s, which Berth gives as the application's shared EFS filesystem; got %q", StorageType, clip(s.Type))
	}
	if s.Size < 1 {
		errs.Add(f("size"), "must be at least 1 (GB); EFS grows as files are written, so the size is no quota")
	}
	if s.ID != nil && *s.ID != "" && !uuidRE.MatchString(*s.ID) {
		errs.Add(f("id"), "must be a UUID")
	}
	if !compose.CleanAbsolutePath(s.MountPoint) {
		errs.Add(f("mount_point"), "must be a clean absolute path other than /")
		return ""
	}
	return s.MountPoint
}

// portsIn turns ports into exposed ports, the default one first: the
// load balancer sends traffic to the first.
func (r ContainerRequest) portsIn(errs validation.Errors) []int {
	if len(r.Ports) > maxListItems {
		errs.Addf("ports", "must hold at most %d items", maxListItems)
		return nil
	}
	var out []int
	defaults := 0
	for i, p := range r.Ports {
		f := func(name string) string { return validation.Index("ports", i) + "." + name }
		if p.InternalPort == nil {
			errs.Add(f("internal_port"), "is required")
			continue
		}
		proto := "HTTP"
		if p.Protocol != nil {
			proto = strings.ToUpper(*p.Protocol)
		}
		switch {
		case !contains(protocols, proto):
			errs.Addf(f("protocol"), "must be one of %s", strings.Join(protocols, ", "))
		case (proto == "TCP" || proto == "UDP") && p.PubliclyAccessible != nil && *p.PubliclyAccessible:
			errs.Addf(f("protocol"), "%s cannot be publicly accessible: Berth's load balancer serves HTTP only", proto)
		}
		if p.ExternalPort != nil && (*p.ExternalPort < 1 || *p.ExternalPort > 65535) {
			errs.Add(f("external_port"), "must be between 1 and 65535")
		}
		if p.IsDefault != nil && *p.IsDefault {
			defaults++
			if defaults > 1 {
				errs.Add(f("is_default"), "must be true on one port at most")
			}
			out = append([]int{*p.InternalPort}, out...)
			continue
		}
		out = append(out, *p.InternalPort)
	}
	return out
}

// qoveryField names a compose path as the request did.
func (r ContainerRequest) qoveryField(field string) string {
	const c = "containers[0]."
	switch {
	case field == c+"imageReference.identifier" || field == c+"imageReference":
		return "image_name"
	case field == "minCapacity":
		return "min_running_instances"
	case field == "maxCapacity":
		return "max_running_instances"
	case field == c+"cpu" || field == "taskCpu":
		return "cpu"
	case field == c+"memory" || field == "taskMemory":
		return "memory"
	case strings.HasPrefix(field, c+"exposedPorts["):
		i := strings.TrimSuffix(strings.TrimPrefix(field, c+"exposedPorts["), "]")
		return "ports[" + r.portIndex(i) + "].internal_port"
	case strings.HasPrefix(field, c+"command"):
		return "arguments" + strings.TrimPrefix(field, c+"command")
	case strings.HasPrefix(field, c+"entryPoint"):
		return "entrypoint"
	case strings.HasPrefix(field, c+"healthCheck."):
		return r.Healthchecks.field(strings.TrimPrefix(field, c+"healthCheck."))
	}
	return field
}

// portIndex is the index in ports of the exposed port at index i (the
// default port moves first).
func (r ContainerRequest) portIndex(i string) string {
	var n int
	if _, err := fmt.Sscan(i, &n); err != nil {
		return i
	}
	order := []int{}
	for j, p := range r.Ports {
		if p.InternalPort == nil {
			continue
		}
		if p.IsDefault != nil && *p.IsDefault {
			order = append([]int{j}, order...)
		} else {
			order = append(order, j)
		}
	}
	if n < len(order) {
		return fmt.Sprint(order[n])
	}
	return i
}

func checkGroups(errs validation.Errors, field string, gs []GroupRef) []GroupRef {
	if len(gs) > maxListItems {
		errs.Addf(field, "must hold at most %d items", maxListItems)
	}
	for i, g := range gs {
		if !uuidRE.MatchString(g.ID) {
			errs.Add(validation.Index(field, i)+".id", "must be a UUID")
		}
	}
	return gs
}

func checkStrings(errs validation.Errors, field string, xs []string) {
	if len(xs) > maxListItems {
		errs.Addf(field, "must hold at most %d items", maxListItems)
	}
}

// EnvironmentRequest is the body of POST /project/{id}/environment.
type EnvironmentRequest struct {
	Name    *string `json:"name"`
	Cluster *string `json:"cluster"`
	Mode    *string `json:"mode"`
}

// Modes Qovery names.
var modes = []string{"PRODUCTION", "DEVELOPMENT", "STAGING", "PREVIEW"}

// DecodeEnvironment reads and checks an environment request; the name's
// rules are Berth's environment names'.
func DecodeEnvironment(body []byte) (EnvironmentRequest, error) {
	var r EnvironmentRequest
	if err := dialect.Decode(body, &r); err != nil {
		return r, err
	}
	errs := validation.Errors{}
	if r.Name == nil || *r.Name == "" {
		errs.Add("name", "is required")
	} else {
		dialect.CheckScopeName(errs, "name", *r.Name)
	}
	if r.Mode != nil && !contains(modes, *r.Mode) {
		errs.Addf("mode", "must be one of %s", strings.Join(modes, ", "))
	}
	return r, errs.Err()
}

// CheckID refuses a path id that is not a UUID, naming the parameter.
func CheckID(param, id string) error {
	if !uuidRE.MatchString(id) {
		return validation.Errors{param: {fmt.Sprintf("must be a UUID; got %q", clip(id))}}
	}
	return nil
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

func orDefault(v *int, def int) int {
	if v == nil {
		return def
	}
	return *v
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

func ptr[T any](v T) *T { return &v }
