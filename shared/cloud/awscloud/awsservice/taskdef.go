package awsservice

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud"
	"github.com/berth-dev/berth/shared/compose"
)

// RegisterTaskDefinitionInput maps an environment's task spec, every
// compose field included, onto a Fargate task definition.
func RegisterTaskDefinitionInput(spec cloud.TaskSpec) (*ecs.RegisterTaskDefinitionInput, error) {
	d := spec.Compose
	if d.TaskCPU == nil || d.TaskMemory == nil || d.Architecture == nil {
		return nil, errors.New("task definition: the compose definition is not normalized")
	}
	in := &ecs.RegisterTaskDefinitionInput{
		Family:                  aws.String(spec.Family),
		RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate},
		NetworkMode:             types.NetworkModeAwsvpc,
		Cpu:                     aws.String(strconv.Itoa(*d.TaskCPU)),
		Memory:                  aws.String(strconv.Itoa(*d.TaskMemory)),
		RuntimePlatform: &types.RuntimePlatform{
			CpuArchitecture:       types.CPUArchitecture(*d.Architecture),
			OperatingSystemFamily: types.OSFamilyLinux,
		},
		ExecutionRoleArn: aws.String(spec.ExecutionRoleARN),
		TaskRoleArn:      d.TaskRoleARN,
		Tags:             awscloud.TagList(spec.Tags, ecsTag),
	}
	if fs := spec.Filesystem; fs != nil {
		in.Volumes = append(in.Volumes, efsVolume(compose.DataVolume, fs.FilesystemID, fs.AccessPointID))
	}
	for _, v := range spec.Volumes {
		in.Volumes = append(in.Volumes, efsVolume(v.Name, v.FilesystemID, v.AccessPointID))
	}
	for _, c := range d.Containers {
		def, err := containerDefinition(spec, c)
		if err != nil {
			return nil, fmt.Errorf("task definition: container %q: %w", c.Name, err)
		}
		in.ContainerDefinitions = append(in.ContainerDefinitions, def)
	}
	return in, nil
}

// efsVolume is a volume of an access point, mounted over TLS with the task
// role's IAM identity.
func efsVolume(name, filesystemID, accessPointID string) types.Volume {
	return types.Volume{
		Name: aws.String(name),
		EfsVolumeConfiguration: &types.EFSVolumeConfiguration{
			FileSystemId:        aws.String(filesystemID),
			TransitEncryption:   types.EFSTransitEncryptionEnabled,
			AuthorizationConfig: &types.EFSAuthorizationConfig{AccessPointId: aws.String(accessPointID), Iam: types.EFSAuthorizationConfigIAMEnabled},
		},
	}
}

func containerDefinition(spec cloud.TaskSpec, c compose.Container) (types.ContainerDefinition, error) {
	image, err := imageName(spec, c)
	if err != nil {
		return types.ContainerDefinition{}, err
	}
	def := types.ContainerDefinition{
		Name:                   aws.String(c.Name),
		Image:                  aws.String(image),
		Cpu:                    int32(deref(c.CPU)),
		Memory:                 int32Ptr(c.Memory),
		MemoryReservation:      int32Ptr(c.MemoryReservation),
		Command:                c.Command,
		EntryPoint:             c.EntryPoint,
		WorkingDirectory:       c.WorkingDirectory,
		Essential:              c.Essential,
		ReadonlyRootFilesystem: c.ReadonlyRootFilesystem,
		User:                   c.User,
		LogConfiguration: &types.LogConfiguration{
			LogDriver: types.LogDriverAwslogs,
			Options: map[string]string{
				"awslogs-group": spec.LogGroup, "awslogs-region": spec.Region, "awslogs-stream-prefix": "berth",
			},
		},
	}
	for _, port := range c.ExposedPorts {
		def.PortMappings = append(def.PortMappings, types.PortMapping{ContainerPort: aws.Int32(int32(port)), Protocol: types.TransportProtocolTcp})
	}
	for _, m := range c.MountPoints {
		def.MountPoints = append(def.MountPoints, types.MountPoint{SourceVolume: aws.String(m.SourceVolume), ContainerPath: aws.String(m.ContainerPath), ReadOnly: m.ReadOnly})
	}
	if fs := spec.Filesystem; fs != nil {
		def.MountPoints = append(def.MountPoints, types.MountPoint{SourceVolume: aws.String(compose.DataVolume), ContainerPath: aws.String(fs.MountPath), ReadOnly: aws.Bool(false)})
	}
	taken := map[string]bool{}
	for _, v := range c.Environment {
		def.Environment = append(def.Environment, types.KeyValuePair{Name: aws.String(v.Name), Value: v.Value})
		taken[v.Name] = true
	}
	for _, s := range c.Secrets {
		if spec.SecretsARN == "" {
			return types.ContainerDefinition{}, errors.New("secrets need the environment's app-secrets secret")
		}
		def.Secrets = append(def.Secrets, types.Secret{Name: aws.String(s.Name), ValueFrom: aws.String(jsonKey(spec.SecretsARN, s.ValueFrom))})
		taken[s.Name] = true
	}
	// The environment's variables and secrets (shared/configuration) come
	// next: a container's own setting of a name wins over the
	// environment's, as the environment's wins over the database's below.
	for _, v := range spec.Variables {
		if !taken[v.Name] {
			def.Environment = append(def.Environment, types.KeyValuePair{Name: aws.String(v.Name), Value: v.Value})
			taken[v.Name] = true
		}
	}
	for _, s := range spec.Secrets {
		if !taken[s.Name] {
			def.Secrets = append(def.Secrets, types.Secret{Name: aws.String(s.Name), ValueFrom: aws.String(s.ValueFrom)})
			taken[s.Name] = true
		}
	}
	if db := spec.Database; db != nil {
		add := func(name, value string) {
			if !taken[name] {
				def.Environment = append(def.Environment, types.KeyValuePair{Name: aws.String(name), Value: aws.String(value)})
			}
		}
		add(cloud.EnvDatabaseHost, db.Host)
		add(cloud.EnvDatabasePort, strconv.Itoa(db.Port))
		add(cloud.EnvDatabaseName, db.Name)
		for _, v := range []struct{ name, key string }{{cloud.EnvDatabaseUser, "username"}, {cloud.EnvDatabasePassword, "password"}} {
			if !taken[v.name] {
				def.Secrets = append(def.Secrets, types.Secret{Name: aws.String(v.name), ValueFrom: aws.String(jsonKey(db.SecretARN, v.key))})
			}
		}
	}
	if h := c.HealthCheck; h != nil {
		def.HealthCheck = &types.HealthCheck{
			Command: h.Command, Interval: int32Ptr(h.Interval), Timeout: int32Ptr(h.Timeout),
			Retries: int32Ptr(h.Retries), StartPeriod: int32Ptr(h.StartPeriod),
		}
	}
	for _, dep := range c.DependsOn {
		cond := compose.ConditionStart
		if dep.Condition != nil {
			cond = *dep.Condition
		}
		def.DependsOn = append(def.DependsOn, types.ContainerDependency{ContainerName: aws.String(dep.ContainerName), Condition: types.ContainerCondition(cond)})
	}
	return def, nil
}

func imageName(spec cloud.TaskSpec, c compose.Container) (string, error) {
	if c.ImageReference == nil {
		return "", errors.New("no image")
	}
	if c.ImageReference.Type != compose.ImageInternal {
		return c.ImageReference.Identifier, nil
	}
	if spec.RepositoryURI == "" {
		return "", errors.New("an internal image needs the application's repository")
	}
	return spec.RepositoryURI + ":" + c.ImageReference.Identifier, nil
}

// jsonKey names one JSON key of a Secrets Manager secret, as ECS reads it:
// <secret ARN>:<json key>:<version stage>:<version id>, the last two empty.
func jsonKey(secretARN, key string) string {
	return secretARN + ":" + key + "::"
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

func int32Ptr(p *int) *int32 {
	if p == nil {
		return nil
	}
	return aws.Int32(int32(*p))
}
