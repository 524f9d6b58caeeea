package api

import (
	"strings"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/compose"
)

// What the workflows did, as the API shows it.

type progressView struct {
	Operation  string         `json:"operation"`
	Execution  string         `json:"execution"`
	State      string         `json:"state"`
	Percent    int            `json:"percent"`
	StartedAt  time.Time      `json:"startedAt"`
	FinishedAt *time.Time     `json:"finishedAt,omitempty"`
	Steps      []stepProgress `json:"steps"`
}

type stepProgress struct {
	Name       string     `json:"name"`
	State      string     `json:"state"`
	Detail     string     `json:"detail,omitempty"`
	StartedAt  *time.Time `json:"startedAt,omitempty"`
	FinishedAt *time.Time `json:"finishedAt,omitempty"`
}

func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func newProgressView(p *apps.Progress) *progressView {
	if p == nil {
		return nil
	}
	v := &progressView{Operation: string(p.Operation), Execution: p.Execution, State: string(p.State), Percent: p.Percent(),
		StartedAt: p.StartedAt, FinishedAt: optionalTime(p.FinishedAt), Steps: []stepProgress{}}
	for _, s := range p.Steps {
		v.Steps = append(v.Steps, stepProgress{Name: s.Name, State: string(s.State), Detail: s.Detail,
			StartedAt: optionalTime(s.StartedAt), FinishedAt: optionalTime(s.FinishedAt)})
	}
	return v
}

type taskDefinitionView struct {
	TaskDefinitionARN string `json:"taskDefinitionArn"`
}

type serviceView struct {
	ServiceARN  string `json:"serviceArn"`
	ServiceName string `json:"serviceName"`
	Cluster     string `json:"cluster,omitempty"`
}

type loadBalancerView struct {
	Host            string `json:"host"`
	URL             string `json:"url"`
	TargetGroupARN  string `json:"targetGroupArn,omitempty"`
	ListenerRuleARN string `json:"listenerRuleArn,omitempty"`
	// OriginHeader is what a CDN in front must send, with originProtection.
	OriginHeader *headerView `json:"originHeader,omitempty"`
}

type headerView struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type securityGroupView struct {
	SecurityGroupID string `json:"securityGroupId"`
}

type subnetView struct {
	SubnetIDs []string `json:"subnetIds"`
}

type vpcView struct {
	VPCID string `json:"vpcId"`
}

// volumeView is Quant's Volume, with Berth's own names of the same
// things kept for clients of earlier releases.
type volumeView struct {
	VolumeID         string `json:"volumeId"`
	VolumeName       string `json:"volumeName"`
	Description      string `json:"description"`
	EnvironmentEfsID string `json:"environmentEfsId"`
	CreatedAt        string `json:"createdAt"`
	RootDirectory    string `json:"rootDirectory"`
	AccessPointID    string `json:"accessPointId"`
	AccessPointARN   string `json:"accessPointArn,omitempty"`
	Name             string `json:"name"`
	FilesystemID     string `json:"filesystemId"`
	MountPath        string `json:"mountPath,omitempty"`
}

// newVolumeView is one of an environment's own volumes (shared/volumes)
// on the filesystem fs.
func newVolumeView(fs string, v apps.Volume) volumeView {
	return volumeView{VolumeID: v.Name, VolumeName: v.Name, Description: v.Description, EnvironmentEfsID: fs,
		CreatedAt: v.CreatedAt.UTC().Format(time.RFC3339), RootDirectory: v.RootDirectory, AccessPointID: v.AccessPointID,
		AccessPointARN: v.AccessPointARN, Name: v.Name, FilesystemID: fs}
}

// fillResources fills the environment's cloud details from what
// provisioning recorded; each stays absent until it exists.
func (v *environmentView) fillResources(e apps.Environment) {
	out := e.Outputs
	if arn := out[apps.OutTaskDefinitionARN]; arn != "" {
		v.TaskDefinition = &taskDefinitionView{TaskDefinitionARN: arn}
	}
	if arn := out[apps.OutServiceARN]; arn != "" {
		v.Service = &serviceView{ServiceARN: arn, ServiceName: out[apps.OutServiceName], Cluster: out[apps.OutCluster]}
	}
	if host := out[apps.OutHost]; host != "" {
		v.LoadBalancer = &loadBalancerView{Host: host, URL: "https://" + host, TargetGroupARN: out[apps.OutTargetGroupARN], ListenerRuleARN: out[apps.OutListenerRuleARN]}
		if secret := out[apps.OutOriginHeaderValue]; secret != "" {
			v.LoadBalancer.OriginHeader = &headerView{Name: apps.OriginHeader, Value: secret}
		}
	}
	if id := out[apps.OutSecurityGroupID]; id != "" {
		v.SecurityGroup = &securityGroupView{SecurityGroupID: id}
	}
	if s := out[apps.OutSubnets]; s != "" {
		v.Subnet = &subnetView{SubnetIDs: strings.Split(s, ",")}
	}
	if id := out[apps.OutVPC]; id != "" {
		v.VPC = &vpcView{VPCID: id}
	}
	if ap := out[apps.OutAccessPointID]; ap != "" {
		fs := out[apps.OutFilesystemID]
		v.Volumes = append(v.Volumes, volumeView{VolumeID: compose.DataVolume, VolumeName: compose.DataVolume,
			Description: "The environment's own directory of the application filesystem", EnvironmentEfsID: fs,
			CreatedAt: e.CreatedAt.UTC().Format(time.RFC3339), Name: compose.DataVolume, FilesystemID: fs,
			AccessPointID: ap, RootDirectory: "/" + e.Name, MountPath: out[apps.OutMountPath]})
	}
	for _, vol := range e.Volumes {
		v.Volumes = append(v.Volumes, newVolumeView(out[apps.OutFilesystemID], vol))
	}
}

// runningCount is what the last check of the service saw.
func runningCount(e apps.Environment) int { return e.Running() }

// deploymentStatus is the environment's deployment state as provisioning saw it.
func deploymentStatus(e apps.Environment) string {
	if s := e.Outputs[apps.OutDeploymentStatus]; s != "" {
		return s
	}
	return e.DeploymentStatus
}

// cloudOf says which cloud made a record's resources: "sandbox" locally.
func cloudOf(outputs map[string]string) string { return outputs[apps.OutCloud] }
