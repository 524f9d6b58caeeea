package compose

import (
	"fmt"
	"path"
	"slices"

	"github.com/berth-dev/berth/shared/pattern"
	"github.com/berth-dev/berth/shared/validation"
)

// Defaults and bounds from the Quant Cloud v3 contract and ECS.
const (
	DefaultInterval = 30
	DefaultTimeout  = 5
	DefaultRetries  = 3
	MinCapacity     = 0
	MaxCapacity     = 100
	minMemoryMiB    = 6 // ECS refuses container memory below 6 MiB
	maxListItems    = 100
	maxStringLen    = 4096
)

var (
	containerNameRE = pattern.Compile(`^[a-zA-Z0-9_-]+$`)
	imageTagRE      = pattern.New(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`, 1, 128)
	imageNameRE     = pattern.New(`^[A-Za-z0-9][A-Za-z0-9._/:@-]*$`, 1, 255)
	envNameRE       = pattern.New(`^[A-Za-z_][A-Za-z0-9_]*$`, 1, 255)
	secretKeyRE     = pattern.New(`^[A-Za-z0-9_.-]+$`, 1, 128)
	volumeNameRE    = pattern.New(`^[a-zA-Z0-9_-]+$`, 1, 255)
	roleARNRE       = pattern.Compile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/([A-Za-z0-9+=,.@_/-]+)$`)
)

// isRoleARN accepts an IAM role ARN whose role name (with its path) is at
// most 512 characters, as IAM allows.
func isRoleARN(s string) bool {
	m := roleARNRE.FindStringSubmatch(s)
	return m != nil && len(m[1]) <= 512
}

// Context is what the rules need to know about the application around the
// definition.
type Context struct {
	// Filesystem is true when the application has a shared filesystem,
	// mounted in every container at FilesystemMountPath.
	Filesystem          bool
	FilesystemMountPath string
	// Volumes are the environment's own volumes, by name.
	Volumes []string
}

// Normalize checks d against every rule, recording broken ones under the
// path prefix p, and fills every default. It is safe to call on a
// definition that was normalized before.
func (d *Definition) Normalize(ctx Context, errs validation.Errors, p string) {
	cp := validation.Join(p, "containers")
	switch {
	case len(d.Containers) == 0:
		errs.Add(cp, "must hold at least one container")
	case len(d.Containers) > MaxContainers:
		errs.Addf(cp, "must hold at most %d containers", MaxContainers)
	}

	if d.Architecture == nil {
		d.Architecture = ptr(ArchX86)
	} else if *d.Architecture != ArchX86 && *d.Architecture != ArchARM {
		errs.Addf(validation.Join(p, "architecture"), "must be one of %s, %s", ArchX86, ArchARM)
	}
	if d.TaskRoleARN != nil && !isRoleARN(*d.TaskRoleARN) {
		errs.Add(validation.Join(p, "taskRoleArn"), "must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)")
	}
	CheckCapacity(d.MinCapacity, d.MaxCapacity, errs, p)
	d.normalizeTiers(errs, p)

	names := map[string]int{}
	for i := range d.Containers {
		c := &d.Containers[i]
		c.normalize(ctx, errs, validation.Index(cp, i))
		if c.Name == "" {
			continue
		}
		if j, dup := names[c.Name]; dup {
			errs.Addf(validation.Index(cp, i)+".name", "must be unique: containers[%d] has the same name", j)
		} else {
			names[c.Name] = i
		}
	}
	if len(d.Containers) > 0 && !slices.ContainsFunc(d.Containers, func(c Container) bool { return c.Essential == nil || *c.Essential }) {
		errs.Add(cp, "must hold at least one essential container")
	}
	d.checkPorts(errs, cp)
	d.checkDependencies(names, errs, cp)
	d.sizeTask(errs, p)
}

// CheckCapacity checks a min and max task count pair; nil means unset.
func CheckCapacity(min, max *int, errs validation.Errors, p string) {
	if min != nil && (*min < MinCapacity || *min > MaxCapacity) {
		errs.Addf(validation.Join(p, "minCapacity"), "must be between %d and %d", MinCapacity, MaxCapacity)
	}
	if max != nil && (*max < 1 || *max > MaxCapacity) {
		errs.Addf(validation.Join(p, "maxCapacity"), "must be between 1 and %d", MaxCapacity)
	}
	validMin := min != nil && *min >= MinCapacity && *min <= MaxCapacity
	validMax := max != nil && *max >= 1 && *max <= MaxCapacity
	if validMin && validMax && *min > *max {
		errs.Add(validation.Join(p, "minCapacity"), "must not exceed maxCapacity")
	}
}

func (c *Container) normalize(ctx Context, errs validation.Errors, p string) {
	field := func(name string) string { return validation.Join(p, name) }

	switch {
	case c.Name == "":
		errs.Add(field("name"), "is required")
	case len(c.Name) > 255 || !containerNameRE.MatchString(c.Name):
		errs.Add(field("name"), "must match ^[a-zA-Z0-9_-]+$ and be at most 255 characters")
	}
	c.checkImage(errs, field("imageReference"))

	if c.CPU != nil && (*c.CPU < 0 || *c.CPU > 16384) {
		errs.Add(field("cpu"), "must be between 0 and 16384 CPU units")
	}
	if c.Memory != nil && *c.Memory < minMemoryMiB {
		errs.Addf(field("memory"), "must be at least %d MiB", minMemoryMiB)
	}
	if c.MemoryReservation != nil {
		switch {
		case *c.MemoryReservation < minMemoryMiB:
			errs.Addf(field("memoryReservation"), "must be at least %d MiB", minMemoryMiB)
		case c.Memory != nil && *c.MemoryReservation > *c.Memory:
			errs.Add(field("memoryReservation"), "must not exceed memory")
		}
	}

	c.checkMounts(ctx, errs, field("mountPoints"))
	c.checkVariables(errs, p)
	if c.HealthCheck != nil {
		c.HealthCheck.normalize(errs, field("healthCheck"))
	}
	checkStrings(c.Command, errs, field("command"))
	checkStrings(c.EntryPoint, errs, field("entryPoint"))
	if c.WorkingDirectory != nil && !path.IsAbs(*c.WorkingDirectory) {
		errs.Add(field("workingDirectory"), "must be an absolute path")
	}
	if c.User != nil && (*c.User == "" || len(*c.User) > 255) {
		errs.Add(field("user"), "must be 1 to 255 characters")
	}
	if c.Essential == nil {
		c.Essential = ptr(true)
	}
	c.normalizeOriginProtection(errs, p)
	for i := range c.DependsOn {
		if c.DependsOn[i].Condition == nil {
			c.DependsOn[i].Condition = ptr(ConditionStart)
		}
	}
}

func (c *Container) checkImage(errs validation.Errors, p string) {
	if c.ImageReference == nil {
		errs.Add(p, "is required")
		return
	}
	ref := c.ImageReference
	switch ref.Type {
	case "":
		errs.Add(p+".type", "is required")
	case ImageInternal, ImageExternal:
	default:
		errs.Addf(p+".type", "must be one of %s, %s", ImageInternal, ImageExternal)
	}
	switch {
	case ref.Identifier == "":
		errs.Add(p+".identifier", "is required")
	case ref.Type == ImageInternal && !imageTagRE.MatchString(ref.Identifier):
		errs.Add(p+".identifier", "must be an image tag: 1 to 128 of A-Z a-z 0-9 _ . -, not starting with . or -")
	case ref.Type == ImageExternal && !imageNameRE.MatchString(ref.Identifier):
		errs.Add(p+".identifier", "must be an image name such as nginx:1.27 or ghcr.io/org/app@sha256:..., at most 255 characters, without spaces")
	}
}

func (c *Container) checkMounts(ctx Context, errs validation.Errors, p string) {
	if len(c.MountPoints) > maxListItems {
		errs.Addf(p, "must hold at most %d items", maxListItems)
	}
	paths := map[string]bool{}
	for i, m := range c.MountPoints {
		mp := validation.Index(p, i)
		switch {
		case m.SourceVolume == "":
			errs.Add(mp+".sourceVolume", "is required")
		case !volumeNameRE.MatchString(m.SourceVolume):
			errs.Add(mp+".sourceVolume", "must match ^[a-zA-Z0-9_-]{1,255}$")
		case !ctx.Filesystem:
			errs.Add(mp+".sourceVolume", "needs the application filesystem: set filesystem.required to true")
		case m.SourceVolume != DataVolume && !slices.Contains(ctx.Volumes, m.SourceVolume):
			errs.Addf(mp+".sourceVolume", "must name an existing volume: %q (the application filesystem) or one of the environment's volumes", DataVolume)
		}
		switch {
		case m.ContainerPath == "":
			errs.Add(mp+".containerPath", "is required")
		case !cleanAbsolute(m.ContainerPath):
			errs.Add(mp+".containerPath", "must be a clean absolute path other than /")
		case paths[m.ContainerPath]:
			errs.Add(mp+".containerPath", "must be unique within the container")
		case ctx.Filesystem && m.ContainerPath == ctx.FilesystemMountPath:
			errs.Addf(mp+".containerPath", "must differ from %s, where the application filesystem is mounted in every container", ctx.FilesystemMountPath)
		}
		paths[m.ContainerPath] = true
	}
}

func (c *Container) checkVariables(errs validation.Errors, p string) {
	seen := map[string]string{}
	name := func(list string, i int, n string) {
		np := validation.Index(validation.Join(p, list), i) + ".name"
		switch {
		case n == "":
			errs.Add(np, "is required")
		case !envNameRE.MatchString(n):
			errs.Add(np, "must match ^[A-Za-z_][A-Za-z0-9_]*$ and be at most 255 characters")
		case seen[n] != "":
			errs.Addf(np, "must be unique across environment and secrets: %s has it already", seen[n])
		default:
			seen[n] = validation.Index(list, i)
		}
	}
	if len(c.Environment) > maxListItems {
		errs.Addf(validation.Join(p, "environment"), "must hold at most %d items", maxListItems)
	}
	if len(c.Secrets) > maxListItems {
		errs.Addf(validation.Join(p, "secrets"), "must hold at most %d items", maxListItems)
	}
	for i, v := range c.Environment {
		name("environment", i, v.Name)
		vp := validation.Index(validation.Join(p, "environment"), i) + ".value"
		if v.Value == nil {
			errs.Add(vp, "is required")
		} else if len(*v.Value) > maxStringLen {
			errs.Addf(vp, "must be at most %d bytes", maxStringLen)
		}
	}
	for i, s := range c.Secrets {
		name("secrets", i, s.Name)
		vp := validation.Index(validation.Join(p, "secrets"), i) + ".valueFrom"
		if s.ValueFrom == "" {
			errs.Add(vp, "is required")
		} else if !secretKeyRE.MatchString(s.ValueFrom) {
			errs.Add(vp, "must be a key of the app-secrets store: 1 to 128 of A-Z a-z 0-9 _ . -")
		}
	}
}

func (h *HealthCheck) normalize(errs validation.Errors, p string) {
	if len(h.Command) == 0 {
		errs.Add(p+".command", "is required when healthCheck is set")
	}
	checkStrings(h.Command, errs, p+".command")
	bound := func(v **int, name string, lo, hi, def int) {
		if *v == nil {
			if def >= 0 {
				*v = ptr(def)
			}
			return
		}
		if **v < lo || **v > hi {
			errs.Addf(p+"."+name, "must be between %d and %d", lo, hi)
		}
	}
	bound(&h.Interval, "interval", 5, 300, DefaultInterval)
	bound(&h.Timeout, "timeout", 2, 60, DefaultTimeout)
	bound(&h.Retries, "retries", 1, 10, DefaultRetries)
	bound(&h.StartPeriod, "startPeriod", 0, 300, -1)
}

// CheckVariables checks a list of plain variables (an application's or
// environment's initial environment[]): names as for containers, unique,
// at most maxListItems. A missing value is an empty one.
func CheckVariables(vars []EnvVar, errs validation.Errors, p string) {
	if len(vars) > maxListItems {
		errs.Addf(p, "must hold at most %d items", maxListItems)
	}
	seen := map[string]int{}
	for i, v := range vars {
		np := validation.Index(p, i) + ".name"
		switch j, dup := seen[v.Name]; {
		case v.Name == "":
			errs.Add(np, "is required")
		case !envNameRE.MatchString(v.Name):
			errs.Add(np, "must match ^[A-Za-z_][A-Za-z0-9_]*$ and be at most 255 characters")
		case dup:
			errs.Addf(np, "must be unique: [%d] has it already", j)
		default:
			seen[v.Name] = i
		}
		if v.Value != nil && len(*v.Value) > maxStringLen {
			errs.Addf(validation.Index(p, i)+".value", "must be at most %d bytes", maxStringLen)
		}
	}
}

func checkStrings(xs []string, errs validation.Errors, p string) {
	if len(xs) > maxListItems {
		errs.Addf(p, "must hold at most %d items", maxListItems)
	}
	for i, x := range xs {
		if len(x) > maxStringLen {
			errs.Addf(validation.Index(p, i), "must be at most %d bytes", maxStringLen)
		}
	}
}

// checkPorts requires ports in range and unique across the task, since
// containers of one awsvpc task share a network namespace.
func (d *Definition) checkPorts(errs validation.Errors, cp string) {
	owner := map[int]string{}
	for i, c := range d.Containers {
		for j, port := range c.ExposedPorts {
			pp := validation.Index(validation.Index(cp, i)+".exposedPorts", j)
			if port < 1 || port > 65535 {
				errs.Add(pp, "must be between 1 and 65535")
				continue
			}
			if o, dup := owner[port]; dup {
				errs.Addf(pp, "must be unique across the task: %s exposes %d already", o, port)
				continue
			}
			owner[port] = validation.Index("containers", i)
		}
	}
}

// checkDependencies requires dependsOn to name other containers, meet the
// ECS condition rules and form no cycle.
func (d *Definition) checkDependencies(names map[string]int, errs validation.Errors, cp string) {
	for i, c := range d.Containers {
		for j, dep := range c.DependsOn {
			dp := validation.Index(validation.Index(cp, i)+".dependsOn", j)
			target, ok := names[dep.ContainerName]
			switch {
			case dep.ContainerName == "":
				errs.Add(dp+".containerName", "is required")
			case !ok:
				errs.Addf(dp+".containerName", "must name a container of this definition; %q is not one", dep.ContainerName)
			case target == i:
				errs.Add(dp+".containerName", "must not name the container itself")
			}
			cond := ConditionStart
			if dep.Condition != nil {
				cond = *dep.Condition
			}
			switch cond {
			case ConditionStart:
			case ConditionHealthy:
				if ok && d.Containers[target].HealthCheck == nil {
					errs.Addf(dp+".condition", "HEALTHY needs a healthCheck on %q", dep.ContainerName)
				}
			case ConditionComplete, ConditionSuccess:
				if ok && target != i && isEssential(d.Containers[target]) {
					errs.Addf(dp+".condition", "%s needs %q to be non-essential (essential: false)", cond, dep.ContainerName)
				}
			default:
				errs.Add(dp+".condition", "must be one of START, HEALTHY, COMPLETE, SUCCESS")
			}
		}
	}
	if cycle := d.dependencyCycle(names); cycle != nil {
		errs.Addf(cp, "dependsOn must not form a cycle: %s", joinCycle(cycle))
	}
}

func isEssential(c Container) bool { return c.Essential == nil || *c.Essential }

// dependencyCycle returns the names along a dependsOn cycle, or nil.
func (d *Definition) dependencyCycle(names map[string]int) []string {
	const (
		unseen = iota
		onPath
		done
	)
	state := make([]int, len(d.Containers))
	var stack []string
	var visit func(i int) []string
	visit = func(i int) []string {
		state[i] = onPath
		stack = append(stack, d.Containers[i].Name)
		for _, dep := range d.Containers[i].DependsOn {
			t, ok := names[dep.ContainerName]
			if !ok || t == i {
				continue
			}
			switch state[t] {
			case onPath:
				start := slices.Index(stack, d.Containers[t].Name)
				return append(slices.Clone(stack[start:]), d.Containers[t].Name)
			case unseen:
				if c := visit(t); c != nil {
					return c
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[i] = done
		return nil
	}
	for i := range d.Containers {
		if state[i] == unseen {
			if c := visit(i); c != nil {
				return c
			}
		}
	}
	return nil
}

func joinCycle(names []string) string {
	out := ""
	for i, n := range names {
		if i > 0 {
			out += " -> "
		}
		out += n
	}
	return out
}

// sizeTask checks that the containers fit the task size and that the size
// is a Fargate one. Where the request left the size out, it picks the
// smallest Fargate size that holds the containers.
func (d *Definition) sizeTask(errs validation.Errors, p string) {
	var needCPU, needMem int
	for _, c := range d.Containers {
		if c.CPU != nil && *c.CPU > 0 {
			needCPU += *c.CPU
		}
		switch {
		case c.Memory != nil && *c.Memory > 0:
			needMem += *c.Memory
		case c.MemoryReservation != nil && *c.MemoryReservation > 0:
			needMem += *c.MemoryReservation
		}
	}
	cpuPath, memPath := validation.Join(p, "taskCpu"), validation.Join(p, "taskMemory")
	fixedCPU, fixedMem := 0, 0
	if d.TaskCPU != nil {
		fixedCPU = *d.TaskCPU
		if _, ok := sizeFor(fixedCPU); !ok {
			errs.Addf(cpuPath, "must be a Fargate CPU size: one of %s", joinInts(fargateCPUs()))
			return
		}
	}
	if d.TaskMemory != nil {
		fixedMem = *d.TaskMemory
		if fixedMem < 512 || fixedMem > 122880 {
			errs.Add(memPath, "must be a Fargate memory size between 512 and 122880 MiB")
			return
		}
	}
	if fixedCPU != 0 && fixedMem != 0 && !ValidFargate(fixedCPU, fixedMem) {
		errs.Addf(memPath, "must be a valid Fargate size for taskCpu %d: %s MiB", fixedCPU, describeMemories(fixedCPU))
		return
	}
	if fixedCPU != 0 && needCPU > fixedCPU {
		errs.Addf(cpuPath, "must hold the containers' cpu: they need %d units", needCPU)
	}
	if fixedMem != 0 && needMem > fixedMem {
		errs.Addf(memPath, "must hold the containers' memory: they need %d MiB", needMem)
	}
	if fixedCPU != 0 && needCPU > fixedCPU || fixedMem != 0 && needMem > fixedMem {
		return
	}
	cpu, mem, ok := smallestFargate(fixedCPU, fixedMem, needCPU, needMem)
	if !ok {
		target := cpuPath
		if fixedCPU != 0 {
			target = memPath
		}
		errs.Add(target, fmt.Sprintf("no Fargate size holds the containers (%d CPU units, %d MiB)", needCPU, needMem))
		return
	}
	d.TaskCPU, d.TaskMemory = ptr(cpu), ptr(mem)
}

func cleanAbsolute(p string) bool {
	return len(p) <= 1024 && path.IsAbs(p) && path.Clean(p) == p && p != "/"
}

// CleanAbsolutePath reports whether p is an absolute path in clean form, other than /.
func CleanAbsolutePath(p string) bool { return cleanAbsolute(p) }

func ptr[T any](v T) *T { return &v }
