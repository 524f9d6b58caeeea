package api

import (
	"strconv"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/compose"
	"github.com/berth-dev/berth/shared/registry"
)

// The response bodies, in the Quant Cloud v3 shape. They are separate from
// the records so that the stored shape and the contract can change apart.

type applicationView struct {
	AppName               string               `json:"appName"`
	Organisation          string               `json:"organisation"`
	Status                string               `json:"status"`
	ComposeDefinition     compose.Definition   `json:"composeDefinition"`
	MinCapacity           int                  `json:"minCapacity"`
	MaxCapacity           int                  `json:"maxCapacity"`
	DesiredCount          int                  `json:"desiredCount"`
	RunningCount          int                  `json:"runningCount"`
	Database              *databaseView        `json:"database,omitempty"`
	Filesystem            *filesystemView      `json:"filesystem,omitempty"`
	DeploymentInformation []deploymentView     `json:"deploymentInformation"`
	Environments          []environmentSummary `json:"environments,omitempty"`
	EnvironmentNames      []string             `json:"environmentNames,omitempty"`
	ContainerNames        []string             `json:"containerNames"`
	Environment           []compose.EnvVar     `json:"environment"`
	RepositoryURI         string               `json:"repositoryUri,omitempty"`
	StatusReason          string               `json:"statusReason,omitempty"`
	Progress              *progressView        `json:"progress,omitempty"`
	Cloud                 string               `json:"cloud,omitempty"`
	CreatedAt             time.Time            `json:"createdAt"`
	UpdatedAt             time.Time            `json:"updatedAt"`
}

type databaseView struct {
	Engine                string `json:"engine"`
	InstanceClass         string `json:"instanceClass"`
	StorageGB             int    `json:"storageGb"`
	MultiAZ               bool   `json:"multiAz"`
	RDSInstanceIdentifier string `json:"rdsInstanceIdentifier,omitempty"`
	RDSInstanceEndpoint   string `json:"rdsInstanceEndpoint,omitempty"`
	RDSInstanceEngine     string `json:"rdsInstanceEngine"`
	RDSInstanceStatus     string `json:"rdsInstanceStatus,omitempty"`
	RDSInstancePort       int    `json:"rdsInstancePort,omitempty"`
}

type filesystemView struct {
	Required     bool   `json:"required"`
	MountPath    string `json:"mountPath"`
	FilesystemID string `json:"filesystemId,omitempty"`
}

type deploymentView struct {
	DeploymentID      string    `json:"deploymentId"`
	Environment       string    `json:"environment"`
	TaskDefinitionARN string    `json:"taskDefinitionArn"`
	CreatedAt         time.Time `json:"createdAt"`
	Status            string    `json:"status"`
	ImageTag          string    `json:"imageTag,omitempty"`
}

type environmentSummary struct {
	EnvName          string `json:"envName"`
	Status           string `json:"status"`
	DeploymentStatus string `json:"deploymentStatus,omitempty"`
	RunningCount     int    `json:"runningCount"`
	DesiredCount     int    `json:"desiredCount"`
	MinCapacity      int    `json:"minCapacity"`
	MaxCapacity      int    `json:"maxCapacity"`
	StatusReason     string `json:"statusReason,omitempty"`
}

type environmentView struct {
	environmentSummary
	CloneConfigurationFrom string              `json:"cloneConfigurationFrom,omitempty"`
	ImageSuffix            string              `json:"imageSuffix,omitempty"`
	ComposeDefinition      compose.Definition  `json:"composeDefinition"`
	ContainerNames         []string            `json:"containerNames"`
	Environment            []compose.EnvVar    `json:"environment"`
	MergeEnvironment       bool                `json:"mergeEnvironment"`
	TaskDefinition         *taskDefinitionView `json:"taskDefinition,omitempty"`
	Service                *serviceView        `json:"service,omitempty"`
	LoadBalancer           *loadBalancerView   `json:"loadBalancer,omitempty"`
	SecurityGroup          *securityGroupView  `json:"securityGroup,omitempty"`
	Subnet                 *subnetView         `json:"subnet,omitempty"`
	VPC                    *vpcView            `json:"vpc,omitempty"`
	Volumes                []volumeView        `json:"volumes"`
	Progress               *progressView       `json:"progress,omitempty"`
	Cloud                  string              `json:"cloud,omitempty"`
	Cron                   []struct{}          `json:"cron"`
	// Release serves; Deploying is the deployment running, if any.
	Release                 int       `json:"release,omitempty"`
	Deploying               int       `json:"deploying,omitempty"`
	DeploymentFailureType   string    `json:"deploymentFailureType,omitempty"`
	DeploymentFailureReason string    `json:"deploymentFailureReason,omitempty"`
	CreatedAt               time.Time `json:"createdAt"`
	UpdatedAt               time.Time `json:"updatedAt"`
}

func newApplicationView(a apps.Application, envs []apps.Environment) applicationView {
	v := applicationView{
		AppName: a.Name, Organisation: a.Organisation, Status: string(a.Status),
		ComposeDefinition: a.Compose, MinCapacity: a.MinCapacity, MaxCapacity: a.MaxCapacity,
		DesiredCount: a.MinCapacity, DeploymentInformation: []deploymentView{},
		ContainerNames: containerNames(a.Compose), Environment: variables(a.Variables),
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt,
	}
	if d := a.Database; d != nil {
		out := a.Outputs
		v.Database = &databaseView{Engine: d.Engine, InstanceClass: d.InstanceClass, StorageGB: d.StorageGB, MultiAZ: d.MultiAZ,
			RDSInstanceIdentifier: out[apps.OutDatabaseIdentifier], RDSInstanceEndpoint: out[apps.OutDatabaseEndpoint],
			RDSInstanceEngine: d.Engine, RDSInstanceStatus: out[apps.OutDatabaseStatus]}
		v.Database.RDSInstancePort, _ = strconv.Atoi(out[apps.OutDatabasePort])
	}
	if f := a.Filesystem; f != nil {
		v.Filesystem = &filesystemView{Required: true, MountPath: f.MountPath, FilesystemID: a.Outputs[apps.OutFilesystemID]}
	}
	current := map[string]string{} // task definition ARN → its environment's deployment status
	for _, e := range envs {
		if arn := e.Outputs[apps.OutTaskDefinitionARN]; arn != "" {
			current[arn] = deploymentStatus(e)
		}
	}
	for _, d := range a.Deployments {
		dv := deploymentView(d)
		if s, ok := current[d.TaskDefinitionARN]; ok && s != "" {
			dv.Status = s
		}
		v.DeploymentInformation = append(v.DeploymentInformation, dv)
	}
	for _, e := range envs {
		if e.Name == a.First() {
			v.DesiredCount, v.RunningCount = e.DesiredCount, runningCount(e)
		}
		v.Environments = append(v.Environments, newEnvironmentSummary(e))
		v.EnvironmentNames = append(v.EnvironmentNames, e.Name)
	}
	v.RepositoryURI, v.StatusReason, v.Progress, v.Cloud = a.Outputs[apps.OutRepositoryURI], a.Reason, newProgressView(a.Progress), cloudOf(a.Outputs)
	return v
}

func newEnvironmentSummary(e apps.Environment) environmentSummary {
	status := string(e.Status)
	if e.Stopped && e.Status == apps.StatusActive {
		status = StatusStopped
	}
	return environmentSummary{
		EnvName: e.Name, Status: status, DeploymentStatus: deploymentStatus(e),
		RunningCount: runningCount(e), DesiredCount: e.DesiredCount,
		MinCapacity: e.MinCapacity, MaxCapacity: e.MaxCapacity, StatusReason: e.Reason,
	}
}

func newEnvironmentView(e apps.Environment) environmentView {
	v := environmentView{
		environmentSummary:     newEnvironmentSummary(e),
		CloneConfigurationFrom: e.CloneConfigurationFrom, ImageSuffix: e.ImageSuffix,
		ComposeDefinition: e.Compose, Volumes: []volumeView{}, Cron: []struct{}{},
		ContainerNames: containerNames(e.Compose), Environment: variables(e.Variables), MergeEnvironment: e.MergeEnvironment,
		Progress: newProgressView(e.Progress), Cloud: cloudOf(e.Outputs),
		Release: e.Release, Deploying: e.Deploying,
		DeploymentFailureType: e.FailureType, DeploymentFailureReason: e.FailureReason,
		CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt,
	}
	if e.Release == 0 && e.Status == apps.StatusActive {
		v.Release = 1 // what provisioning deployed
	}
	v.fillResources(e)
	return v
}

func containerNames(d compose.Definition) []string {
	names := []string{}
	for _, c := range d.Containers {
		names = append(names, c.Name)
	}
	return names
}

// variables shows a record's initial variables; none is an empty list.
func variables(vs []compose.EnvVar) []compose.EnvVar {
	if vs == nil {
		return []compose.EnvVar{}
	}
	return vs
}

// ecrLoginView is Quant's getEcrLoginCredentials_200_response: what
// `docker login` takes, and until when it works.
type ecrLoginView struct {
	Username  string    `json:"username"`
	Password  string    `json:"password"`
	ExpiresAt time.Time `json:"expiresAt"`
	Endpoint  string    `json:"endpoint"`
}

func newEcrLoginView(l registry.Login) ecrLoginView {
	return ecrLoginView{Username: l.Username, Password: l.Password, ExpiresAt: l.ExpiresAt.UTC().Truncate(time.Second), Endpoint: l.Endpoint}
}
