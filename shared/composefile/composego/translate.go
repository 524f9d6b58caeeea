package composego

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/berth-dev/berth/shared/compose"
	"github.com/berth-dev/berth/shared/validation"
)

// translation holds one file's services and what translating them found.
type translation struct {
	project  *types.Project
	names    []string // the services, sorted: the containers' order
	errs     validation.Errors
	warnings []string
	// envOrder and depOrder remember each container's environment and
	// dependsOn entries, so that a rule broken by entry i names the entry.
	envOrder, depOrder map[string][]string
}

func (t *translation) warn(service, text string) {
	if service == "" {
		t.warnings = append(t.warnings, text)
		return
	}
	t.warnings = append(t.warnings, "services."+service+": "+text)
}

func (t *translation) fail(service, attr, rule string) {
	t.errs.Add(servicePath(service, attr), rule)
}

func servicePath(service, attr string) string {
	p := "services." + service
	if attr != "" {
		p += "." + attr
	}
	return p
}

// definition translates every service into a container.
func (t *translation) definition() compose.Definition {
	t.envOrder, t.depOrder = map[string][]string{}, map[string][]string{}
	for name := range t.project.Services {
		t.names = append(t.names, name)
	}
	sort.Strings(t.names)
	var def compose.Definition
	completes := map[string]bool{} // services others wait for to complete
	arch := map[string][]string{}  // architecture -> services asking for it
	for _, name := range t.names {
		s := t.project.Services[name]
		def.Containers = append(def.Containers, t.container(s, completes))
		if s.Platform != "" {
			switch s.Platform {
			case "linux/amd64", "linux/x86_64":
				arch[compose.ArchX86] = append(arch[compose.ArchX86], name)
			case "linux/arm64", "linux/arm64/v8", "linux/aarch64":
				arch[compose.ArchARM] = append(arch[compose.ArchARM], name)
			default:
				t.fail(name, "platform", fmt.Sprintf("must be linux/amd64 or linux/arm64: Fargate runs no %s", s.Platform))
			}
		}
	}
	switch len(arch) {
	case 1:
		for a := range arch {
			def.Architecture = &a
		}
	case 2:
		t.errs.Add("services", fmt.Sprintf("must share one platform: the task runs on one architecture, but %s ask for linux/amd64 and %s for linux/arm64",
			strings.Join(arch[compose.ArchX86], ", "), strings.Join(arch[compose.ArchARM], ", ")))
	}
	for i := range def.Containers {
		c := &def.Containers[i]
		if completes[c.Name] {
			c.Essential = ptr(false)
			t.warn(c.Name, "essential is false: other services wait for it to complete, which ECS allows only of a non-essential container")
		}
	}
	return def
}

func (t *translation) container(s types.ServiceConfig, completes map[string]bool) compose.Container {
	c := compose.Container{Name: s.Name}
	c.ImageReference = t.image(s)
	c.Command = slices.Clone([]string(s.Command))
	c.EntryPoint = slices.Clone([]string(s.Entrypoint))
	if s.User != "" {
		c.User = ptr(s.User)
	}
	if s.WorkingDir != "" {
		c.WorkingDirectory = ptr(s.WorkingDir)
	}
	if s.ReadOnly {
		c.ReadonlyRootFilesystem = ptr(true)
	}
	t.ports(s, &c)
	t.environment(s, &c)
	t.healthCheck(s, &c)
	t.dependencies(s, &c, completes)
	t.resources(s, &c)
	t.mounts(s, &c)
	return c
}

// image: an image the file also builds is the application's own, a tag in
// its repository (internal); any other image is external, named as given.
func (t *translation) image(s types.ServiceConfig) *compose.ImageReference {
	switch {
	case s.Image == "" && s.Build != nil:
		t.fail(s.Name, "build", "cannot be translated without image: Berth builds no images; push the image to the application's repository and name its tag under image")
		return nil
	case s.Image == "":
		t.fail(s.Name, "image", "is required")
		return nil
	case s.Build != nil:
		tag := imageTag(s.Image)
		t.warn(s.Name, fmt.Sprintf("build is not run: the service runs tag %q of the application's repository (an internal image)", tag))
		return &compose.ImageReference{Type: compose.ImageInternal, Identifier: tag}
	}
	return &compose.ImageReference{Type: compose.ImageExternal, Identifier: s.Image}
}

// imageTag is the tag of an image name, latest when it has none.
func imageTag(image string) string {
	image, _, _ = strings.Cut(image, "@")
	name := image[strings.LastIndex(image, "/")+1:]
	if _, tag, ok := strings.Cut(name, ":"); ok && tag != "" {
		return tag
	}
	return "latest"
}

func (t *translation) ports(s types.ServiceConfig, c *compose.Container) {
	for _, p := range s.Ports {
		port := int(p.Target)
		if p.Published != "" && p.Published != strconv.Itoa(port) {
			t.warn(s.Name, fmt.Sprintf("ports: published port %s is not used: Berth routes to container port %d", p.Published, port))
		}
		if p.Protocol != "" && p.Protocol != "tcp" {
			t.warn(s.Name, fmt.Sprintf("ports: container port %d/%s is exposed as TCP: Berth routes TCP only", port, p.Protocol))
		}
		if !slices.Contains(c.ExposedPorts, port) {
			c.ExposedPorts = append(c.ExposedPorts, port)
		}
	}
}

func (t *translation) environment(s types.ServiceConfig, c *compose.Container) {
	if len(s.EnvFiles) > 0 {
		files := make([]string, len(s.EnvFiles))
		for i, f := range s.EnvFiles {
			files[i] = f.Path
		}
		t.warn(s.Name, fmt.Sprintf("env_file is not read (%s): Berth reads no files; set the variables under environment", strings.Join(files, ", ")))
	}
	names := make([]string, 0, len(s.Environment))
	for n := range s.Environment {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		v := s.Environment[n]
		if v == nil {
			t.warn(s.Name, fmt.Sprintf("environment: %s is left out: it has no value, and Berth takes none from a host environment", n))
			continue
		}
		c.Environment = append(c.Environment, compose.EnvVar{Name: n, Value: ptr(*v)})
		t.envOrder[s.Name] = append(t.envOrder[s.Name], n)
	}
}

func (t *translation) healthCheck(s types.ServiceConfig, c *compose.Container) {
	h := s.HealthCheck
	if h == nil || h.Disable || len(h.Test) > 0 && h.Test[0] == "NONE" {
		return
	}
	if len(h.Test) == 0 {
		t.warn(s.Name, "healthcheck has no test: Berth cannot use the image's HEALTHCHECK, so the container has no health check")
		return
	}
	hc := &compose.HealthCheck{Command: slices.Clone([]string(h.Test))}
	hc.Interval = t.seconds(s.Name, "healthcheck.interval", h.Interval)
	hc.Timeout = t.seconds(s.Name, "healthcheck.timeout", h.Timeout)
	hc.StartPeriod = t.seconds(s.Name, "healthcheck.start_period", h.StartPeriod)
	if h.Retries != nil {
		hc.Retries = ptr(int(min(*h.Retries, math.MaxInt32)))
	}
	if h.StartInterval != nil {
		t.warn(s.Name, "healthcheck.start_interval is ignored: ECS checks at interval from the start")
	}
	c.HealthCheck = hc
}

// seconds turns a duration into whole seconds, rounding up.
func (t *translation) seconds(service, attr string, d *types.Duration) *int {
	if d == nil {
		return nil
	}
	dur := time.Duration(*d)
	secs := int64(math.Ceil(dur.Seconds()))
	if dur%time.Second != 0 {
		t.warn(service, fmt.Sprintf("%s %s is rounded up to %ds: ECS counts whole seconds", attr, dur, secs))
	}
	return ptr(int(min(max(secs, math.MinInt32), math.MaxInt32)))
}

var conditions = map[string]string{
	types.ServiceConditionStarted:               compose.ConditionStart,
	types.ServiceConditionHealthy:               compose.ConditionHealthy,
	types.ServiceConditionCompletedSuccessfully: compose.ConditionSuccess,
}

func (t *translation) dependencies(s types.ServiceConfig, c *compose.Container, completes map[string]bool) {
	names := make([]string, 0, len(s.DependsOn))
	for n := range s.DependsOn {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		dep := s.DependsOn[n]
		cond, ok := conditions[dep.Condition]
		if dep.Condition == "" {
			cond, ok = compose.ConditionStart, true
		}
		if !ok {
			t.fail(s.Name, "depends_on."+n+".condition", fmt.Sprintf("%q cannot be translated: use service_started, service_healthy or service_completed_successfully", dep.Condition))
			continue
		}
		if !dep.Required {
			t.warn(s.Name, fmt.Sprintf("depends_on.%s is required: ECS has no optional dependencies", n))
		}
		if dep.Restart {
			t.warn(s.Name, fmt.Sprintf("depends_on.%s.restart is ignored: ECS restarts the whole task", n))
		}
		if cond == compose.ConditionSuccess {
			completes[n] = true
		}
		c.DependsOn = append(c.DependsOn, compose.Dependency{ContainerName: n, Condition: ptr(cond)})
		t.depOrder[s.Name] = append(t.depOrder[s.Name], n)
	}
}

// resources maps deploy.resources (or the older cpus, mem_limit and
// mem_reservation) to ECS container cpu units and MiB.
func (t *translation) resources(s types.ServiceConfig, c *compose.Container) {
	var limits, reservations types.Resource
	if s.Deploy != nil {
		if s.Deploy.Resources.Limits != nil {
			limits = *s.Deploy.Resources.Limits
		}
		if s.Deploy.Resources.Reservations != nil {
			reservations = *s.Deploy.Resources.Reservations
		}
	}
	cpus := float64(limits.NanoCPUs)
	switch {
	case cpus == 0 && reservations.NanoCPUs != 0:
		cpus = float64(reservations.NanoCPUs)
	case cpus == 0:
		cpus = float64(s.CPUS)
	case reservations.NanoCPUs != 0 && float64(reservations.NanoCPUs) != cpus:
		t.warn(s.Name, "deploy.resources.reservations.cpus is ignored: ECS reserves one cpu value, taken from the limit")
	}
	if cpus != 0 {
		c.CPU = ptr(clampInt(math.Round(cpus * 1024)))
	}
	if mem := firstNonZero(limits.MemoryBytes, s.MemLimit); mem != 0 {
		c.Memory = ptr(mebibytes(mem))
	}
	if mem := firstNonZero(reservations.MemoryBytes, s.MemReservation); mem != 0 {
		c.MemoryReservation = ptr(mebibytes(mem))
	}
}

func firstNonZero(xs ...types.UnitBytes) types.UnitBytes {
	for _, x := range xs {
		if x != 0 {
			return x
		}
	}
	return 0
}

// mebibytes rounds bytes up to MiB.
func mebibytes(b types.UnitBytes) int {
	if b < 0 {
		return -1
	}
	return int((int64(b) + (1<<20 - 1)) >> 20)
}

// clampInt converts f to an int the compose rules can judge: NaN and
// values out of range become -1 or the largest int32.
func clampInt(f float64) int {
	switch {
	case math.IsNaN(f) || f < 0:
		return -1
	case f > math.MaxInt32:
		return math.MaxInt32
	}
	return int(f)
}

// mounts: a named volume becomes a mount point; bind mounts and other
// kinds Fargate cannot give a container are errors.
func (t *translation) mounts(s types.ServiceConfig, c *compose.Container) {
	for i, v := range s.Volumes {
		attr := "volumes[" + strconv.Itoa(i) + "]"
		switch v.Type {
		case types.VolumeTypeVolume:
			if v.Source == "" {
				t.warn(s.Name, fmt.Sprintf("%s: the anonymous volume at %s is left out: the container's own storage holds it", attr, v.Target))
				continue
			}
			c.MountPoints = append(c.MountPoints, compose.MountPoint{SourceVolume: v.Source, ContainerPath: v.Target, ReadOnly: boolPtr(v.ReadOnly)})
		case types.VolumeTypeTmpfs:
			t.warn(s.Name, fmt.Sprintf("%s: the tmpfs at %s is left out: the container's own storage holds it", attr, v.Target))
		case types.VolumeTypeBind:
			t.fail(s.Name, attr, fmt.Sprintf("bind mount of host path %q cannot be translated: Fargate has no host filesystem; use a named volume (%q is the application filesystem)", v.Source, compose.DataVolume))
		default:
			t.fail(s.Name, attr, fmt.Sprintf("a %s volume cannot be translated: use a named volume", v.Type))
		}
	}
	if len(c.MountPoints) > 0 {
		t.warn(s.Name, fmt.Sprintf("volumes need the application filesystem (filesystem on create-application): volume %q is that filesystem, any other must be an environment volume", compose.DataVolume))
	}
}

func boolPtr(b bool) *bool {
	if !b {
		return nil
	}
	return &b
}

// volumes are the file's named volumes, for the mount rules.
func (t *translation) volumes() []string {
	var out []string
	for name := range t.project.Volumes {
		out = append(out, name)
	}
	return out
}

// refused are attributes Berth cannot honour: a service with one is not
// translated. Each returns the rule, or "" when the value is harmless.
var refused = map[string]func(v any) string{
	"privileged": func(v any) string {
		if v == true {
			return "cannot be translated: Fargate runs no privileged containers"
		}
		return ""
	},
	"cap_add": func(any) string {
		return "cannot be translated: Fargate adds no capability but SYS_PTRACE, and Berth's container has no setting for it"
	},
	"network_mode": func(v any) string {
		if v == "bridge" || v == "default" {
			return ""
		}
		return fmt.Sprintf("%v cannot be translated: every container of a Fargate task shares the task's own network (awsvpc)", v)
	},
	"pid":            hostNamespace("pid"),
	"ipc":            hostNamespace("ipc"),
	"uts":            hostNamespace("uts"),
	"userns_mode":    hostNamespace("userns_mode"),
	"devices":        always("cannot be translated: Fargate gives containers no host devices"),
	"gpus":           always("cannot be translated: Fargate has no GPUs"),
	"volumes_from":   always("cannot be translated: name the volumes under volumes"),
	"extends":        always("cannot be translated: Berth reads no other service or file; write the service out in full"),
	"runtime":        always("cannot be translated: Fargate chooses the container runtime"),
	"use_api_socket": always("cannot be translated: Fargate has no Docker socket"),
	"provider":       always("cannot be translated: Berth runs containers only"),
}

func always(rule string) func(any) string { return func(any) string { return rule } }

func hostNamespace(attr string) func(any) string {
	return func(v any) string {
		return fmt.Sprintf("%v cannot be translated: Fargate shares no %s namespace", v, attr)
	}
}

// unsupported turns the attributes the translation does not read into
// errors (refused) or warnings (left out).
func (t *translation) unsupported(findings []loader.UnsupportedAttribute) {
	byLength := make([]string, 0, len(t.project.Services))
	for name := range t.project.Services {
		byLength = append(byLength, name)
	}
	// Longest first: a service name may hold dots, like the path.
	sort.Slice(byLength, func(i, j int) bool { return len(byLength[i]) > len(byLength[j]) })
	for _, f := range findings {
		path := f.Path.String()
		service, attr := "", ""
		for _, name := range byLength {
			if rest, ok := strings.CutPrefix(path, "services."+name+"."); ok {
				service, attr = name, rest
				break
			}
		}
		if service == "" {
			if path == "include" {
				t.errs.Add("include", "cannot be translated: Berth reads no other files")
				continue
			}
			t.warn("", fmt.Sprintf("%s is ignored: Berth's compose definition has no such setting", path))
			continue
		}
		if rule, ok := refused[attr]; ok {
			if r := rule(f.Value); r != "" {
				t.fail(service, attr, r)
			}
			continue
		}
		t.warn(service, fmt.Sprintf("%s is ignored: Berth's container has no such setting", attr))
	}
}

// mapErrors rewrites the compose rules' field paths
// (containers[0].healthCheck.interval) as paths of the compose file
// (services.web.healthcheck.interval).
func (t *translation) mapErrors(def compose.Definition, errs validation.Errors) validation.Errors {
	out := validation.Errors{}
	for field, rules := range errs {
		path := t.mapField(def, field)
		for _, r := range rules {
			out.Add(path, r)
		}
	}
	return out
}

var containerFields = map[string]string{
	"name":                   "",
	"imageReference":         "image",
	"cpu":                    "deploy.resources.limits.cpus",
	"memory":                 "deploy.resources.limits.memory",
	"memoryReservation":      "deploy.resources.reservations.memory",
	"exposedPorts":           "ports",
	"mountPoints":            "volumes",
	"command":                "command",
	"entryPoint":             "entrypoint",
	"workingDirectory":       "working_dir",
	"user":                   "user",
	"readonlyRootFilesystem": "read_only",
	"essential":              "",
}

var healthFields = map[string]string{
	"command": "test", "interval": "interval", "timeout": "timeout", "retries": "retries", "startPeriod": "start_period",
}

func (t *translation) mapField(def compose.Definition, field string) string {
	rest, ok := strings.CutPrefix(field, "containers[")
	if !ok {
		return "services" // the task as a whole: containers, taskCpu, taskMemory, architecture
	}
	end := strings.Index(rest, "]")
	i, err := strconv.Atoi(rest[:max(end, 0)])
	if end < 0 || err != nil || i < 0 || i >= len(def.Containers) {
		return "services"
	}
	name := def.Containers[i].Name
	rest = strings.TrimPrefix(rest[end+1:], ".")
	head, tail := splitField(rest)
	switch head {
	case "healthCheck":
		h, _ := splitField(tail)
		return servicePath(name, "healthcheck."+healthFields[h])
	case "environment":
		if j, ok := index(tail); ok && j < len(t.envOrder[name]) {
			return servicePath(name, "environment."+t.envOrder[name][j])
		}
		return servicePath(name, "environment")
	case "dependsOn":
		if j, ok := index(tail); ok && j < len(t.depOrder[name]) {
			return servicePath(name, "depends_on."+t.depOrder[name][j])
		}
		return servicePath(name, "depends_on")
	}
	if attr, ok := containerFields[head]; ok {
		return servicePath(name, attr)
	}
	return servicePath(name, "")
}

// splitField splits "a[1].b" or "a.b" into "a" and what follows it.
func splitField(s string) (string, string) {
	if i := strings.IndexAny(s, ".["); i >= 0 {
		return s[:i], strings.TrimPrefix(s[i:], ".")
	}
	return s, ""
}

// index reads the leading "[j]" of s.
func index(s string) (int, bool) {
	rest, ok := strings.CutPrefix(s, "[")
	if !ok {
		return 0, false
	}
	end := strings.Index(rest, "]")
	if end < 0 {
		return 0, false
	}
	j, err := strconv.Atoi(rest[:end])
	return j, err == nil && j >= 0
}

func ptr[T any](v T) *T { return &v }
