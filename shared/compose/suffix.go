package compose

import (
	"fmt"
	"slices"
)

// ApplyImageSuffix points every internal image at the tag
// {containerName}-{suffix}, as Quant does for preview environments
// (nginx-pr-456). External images keep their identifier.
func (d *Definition) ApplyImageSuffix(suffix string) {
	for i := range d.Containers {
		c := &d.Containers[i]
		if c.ImageReference != nil && c.ImageReference.Type == ImageInternal {
			c.ImageReference.Identifier = SuffixedTag(c.Name, suffix)
		}
	}
}

// SuffixedTag is the image tag a suffix gives a container.
func SuffixedTag(container, suffix string) string {
	return fmt.Sprintf("%s-%s", container, suffix)
}

// Clone returns a deep copy of d, so that changing the copy (an override,
// a suffix, defaults) never reaches the definition it came from.
func (d Definition) Clone() Definition {
	out := d
	out.Architecture, out.TaskCPU, out.TaskMemory = clonePtr(d.Architecture), clonePtr(d.TaskCPU), clonePtr(d.TaskMemory)
	out.TaskRoleARN, out.MinCapacity, out.MaxCapacity = clonePtr(d.TaskRoleARN), clonePtr(d.MinCapacity), clonePtr(d.MaxCapacity)
	out.SpotConfiguration = clonePtr(d.SpotConfiguration)
	out.EnableCrossEnvNetworking, out.EnableCrossAppNetworking = clonePtr(d.EnableCrossEnvNetworking), clonePtr(d.EnableCrossAppNetworking)
	if d.Containers != nil {
		out.Containers = make([]Container, len(d.Containers))
		for i, c := range d.Containers {
			out.Containers[i] = c.clone()
		}
	}
	return out
}

func (c Container) clone() Container {
	out := c
	out.ImageReference = clonePtr(c.ImageReference)
	out.CPU, out.Memory, out.MemoryReservation = clonePtr(c.CPU), clonePtr(c.Memory), clonePtr(c.MemoryReservation)
	out.WorkingDirectory, out.User = clonePtr(c.WorkingDirectory), clonePtr(c.User)
	out.Essential, out.ReadonlyRootFilesystem, out.OriginProtection = clonePtr(c.Essential), clonePtr(c.ReadonlyRootFilesystem), clonePtr(c.OriginProtection)
	out.ExposedPorts = slices.Clone(c.ExposedPorts)
	out.Command, out.EntryPoint = slices.Clone(c.Command), slices.Clone(c.EntryPoint)
	out.Secrets = slices.Clone(c.Secrets)
	if o := c.OriginProtectionConfig; o != nil {
		out.OriginProtectionConfig = &OriginProtectionConfig{Enabled: clonePtr(o.Enabled), IPAllow: slices.Clone(o.IPAllow), RedirectHost: clonePtr(o.RedirectHost)}
	}
	if c.MountPoints != nil {
		out.MountPoints = make([]MountPoint, len(c.MountPoints))
		for i, m := range c.MountPoints {
			m.ReadOnly = clonePtr(m.ReadOnly)
			out.MountPoints[i] = m
		}
	}
	if c.Environment != nil {
		out.Environment = make([]EnvVar, len(c.Environment))
		for i, v := range c.Environment {
			v.Value = clonePtr(v.Value)
			out.Environment[i] = v
		}
	}
	if c.HealthCheck != nil {
		h := *c.HealthCheck
		h.Command = slices.Clone(h.Command)
		h.Interval, h.Timeout, h.Retries, h.StartPeriod = clonePtr(h.Interval), clonePtr(h.Timeout), clonePtr(h.Retries), clonePtr(h.StartPeriod)
		out.HealthCheck = &h
	}
	if c.DependsOn != nil {
		out.DependsOn = make([]Dependency, len(c.DependsOn))
		for i, dep := range c.DependsOn {
			dep.Condition = clonePtr(dep.Condition)
			out.DependsOn[i] = dep
		}
	}
	return out
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
