// Package compose holds the compose definition: the containers and task
// settings of an environment, as the Quant Cloud v3 API spells them, with the
// rules and defaults that make one deployable on ECS Fargate.
package compose

import "slices"

// Definition is a compose definition. Pointer fields are optional in
// requests; Normalize fills every default, so a stored Definition has them all.
type Definition struct {
	Containers   []Container `json:"containers"`
	Architecture *string     `json:"architecture,omitempty"`
	TaskCPU      *int        `json:"taskCpu,omitempty"`
	TaskMemory   *int        `json:"taskMemory,omitempty"`
	TaskRoleARN  *string     `json:"taskRoleArn,omitempty"`
	MinCapacity  *int        `json:"minCapacity,omitempty"`
	MaxCapacity  *int        `json:"maxCapacity,omitempty"`
	// SpotConfiguration asks for Fargate Spot; it is kept and shown but
	// not acted on yet (README, "Fields with no effect yet").
	SpotConfiguration *SpotConfiguration `json:"spotConfiguration,omitempty"`
	// The networking tiers: false, the default, isolates the environment,
	// which is what Berth does. true is kept and shown but not acted on yet.
	EnableCrossEnvNetworking *bool `json:"enableCrossEnvNetworking,omitempty"`
	EnableCrossAppNetworking *bool `json:"enableCrossAppNetworking,omitempty"`
}

// Spot strategies, as Quant names them.
const (
	SpotOff             = "off"
	SpotOnly            = "spot-only"
	SpotMixedSafe       = "mixed-safe"
	SpotMixedAggressive = "mixed-aggressive"
)

// SpotConfiguration is the share of Fargate Spot capacity wanted.
type SpotConfiguration struct {
	Strategy string `json:"strategy"`
}

// OriginProtectionConfig is originProtection's long form. Enabled, true
// when the object is sent, turns origin protection on; IPAllow and
// RedirectHost are kept and shown but not acted on yet.
type OriginProtectionConfig struct {
	Enabled      *bool    `json:"enabled,omitempty"`
	IPAllow      []string `json:"ipAllow,omitempty"`
	RedirectHost *string  `json:"redirectHost,omitempty"`
}

// Container is one container of the task.
type Container struct {
	Name                   string          `json:"name"`
	ImageReference         *ImageReference `json:"imageReference"`
	CPU                    *int            `json:"cpu,omitempty"`
	Memory                 *int            `json:"memory,omitempty"`
	MemoryReservation      *int            `json:"memoryReservation,omitempty"`
	ExposedPorts           []int           `json:"exposedPorts,omitempty"`
	MountPoints            []MountPoint    `json:"mountPoints,omitempty"`
	Environment            []EnvVar        `json:"environment,omitempty"`
	Secrets                []Secret        `json:"secrets,omitempty"`
	HealthCheck            *HealthCheck    `json:"healthCheck,omitempty"`
	DependsOn              []Dependency    `json:"dependsOn,omitempty"`
	Command                []string        `json:"command,omitempty"`
	EntryPoint             []string        `json:"entryPoint,omitempty"`
	WorkingDirectory       *string         `json:"workingDirectory,omitempty"`
	Essential              *bool           `json:"essential,omitempty"`
	ReadonlyRootFilesystem *bool           `json:"readonlyRootFilesystem,omitempty"`
	User                   *string         `json:"user,omitempty"`
	OriginProtection       *bool           `json:"originProtection,omitempty"`
	// OriginProtectionConfig, when sent, decides OriginProtection.
	OriginProtectionConfig *OriginProtectionConfig `json:"originProtectionConfig,omitempty"`
}

// Image types.
const (
	ImageInternal = "internal" // a tag in the application's ECR repository
	ImageExternal = "external" // a full image name from any registry
)

// ImageReference names the image a container runs.
type ImageReference struct {
	Type       string `json:"type"`
	Identifier string `json:"identifier"`
}

// MountPoint mounts a volume into a container.
type MountPoint struct {
	SourceVolume  string `json:"sourceVolume"`
	ContainerPath string `json:"containerPath"`
	ReadOnly      *bool  `json:"readOnly,omitempty"`
}

// EnvVar is a plain environment variable. Value is a pointer so that a
// missing value is told apart from an empty one.
type EnvVar struct {
	Name  string  `json:"name"`
	Value *string `json:"value"`
}

// Secret maps a key of the environment's app-secrets store to a variable.
type Secret struct {
	Name      string `json:"name"`
	ValueFrom string `json:"valueFrom"`
}

// HealthCheck is a container health check; times are in seconds.
type HealthCheck struct {
	Command     []string `json:"command"`
	Interval    *int     `json:"interval,omitempty"`
	Timeout     *int     `json:"timeout,omitempty"`
	Retries     *int     `json:"retries,omitempty"`
	StartPeriod *int     `json:"startPeriod,omitempty"`
}

// Dependency conditions, as ECS names them.
const (
	ConditionStart    = "START"
	ConditionHealthy  = "HEALTHY"
	ConditionComplete = "COMPLETE"
	ConditionSuccess  = "SUCCESS"
)

// Dependency makes a container wait for another one.
type Dependency struct {
	ContainerName string  `json:"containerName"`
	Condition     *string `json:"condition,omitempty"`
}

// Architectures.
const (
	ArchX86 = "X86_64"
	ArchARM = "ARM64"
)

// DataVolume is the volume name of the application's shared filesystem.
const DataVolume = "data"

// EnvironmentVolumes lists, once each and in order of first mount, the
// environment's own volumes (shared/volumes) that d's containers mount:
// every sourceVolume but DataVolume.
func (d Definition) EnvironmentVolumes() []string {
	var out []string
	for _, c := range d.Containers {
		for _, m := range c.MountPoints {
			if m.SourceVolume != DataVolume && !slices.Contains(out, m.SourceVolume) {
				out = append(out, m.SourceVolume)
			}
		}
	}
	return out
}

// MaxContainers is the most containers one task may hold.
const MaxContainers = 10
