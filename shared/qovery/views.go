package qovery

import (
	"crypto/sha1"
	"fmt"
	"strings"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/compose"
	"github.com/berth-dev/berth/shared/deploy"
	"github.com/berth-dev/berth/shared/dialect"
)

// List is Qovery's list shape.
type List[T any] struct {
	Results []T `json:"results"`
}

// Ref is a reference to another object by id.
type Ref struct {
	ID string `json:"id"`
}

// Organization is one of the token's organisations.
type Organization struct {
	ID        string `json:"id"`
	CreatedAt string `json:"created_at"`
	Name      string `json:"name"`
}

// Project is an organisation's one project.
type Project struct {
	ID           string `json:"id"`
	CreatedAt    string `json:"created_at"`
	Name         string `json:"name"`
	Organization Ref    `json:"organization"`
}

// ProjectName is the name of an organisation's one project.
const ProjectName = "default"

// epoch is the creation time of what Berth has no record of: an
// organisation and its project.
var epoch = time.Unix(0, 0).UTC()

// Environment is an environment scope.
type Environment struct {
	ID            string        `json:"id"`
	CreatedAt     string        `json:"created_at"`
	Name          string        `json:"name"`
	Organization  Ref           `json:"organization"`
	Project       Ref           `json:"project"`
	Mode          string        `json:"mode"`
	CloudProvider CloudProvider `json:"cloud_provider"`
	ClusterName   string        `json:"cluster_name"`
}

// CloudProvider is where an environment runs.
type CloudProvider struct {
	Provider string `json:"provider"`
	Cluster  string `json:"cluster"`
}

// Cluster is the name Berth gives its one ECS cluster in views.
const Cluster = "berth-fargate"

// Registry is the registry a container's image comes from.
type Registry struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	URL  string `json:"url"`
	Kind string `json:"kind"`
}

// Container is Qovery's container response.
type Container struct {
	ID                  string          `json:"id"`
	CreatedAt           string          `json:"created_at"`
	UpdatedAt           string          `json:"updated_at"`
	ImageName           string          `json:"image_name"`
	Tag                 string          `json:"tag"`
	Registry            Registry        `json:"registry"`
	RegistryID          string          `json:"registry_id"`
	Environment         Ref             `json:"environment"`
	MaximumCPU          int             `json:"maximum_cpu"`
	MaximumMemory       int             `json:"maximum_memory"`
	MaximumGPU          int             `json:"maximum_gpu"`
	Name                string          `json:"name"`
	Description         string          `json:"description"`
	CPU                 int             `json:"cpu"`
	Memory              int             `json:"memory"`
	GPU                 int             `json:"gpu"`
	MinRunningInstances int             `json:"min_running_instances"`
	MaxRunningInstances int             `json:"max_running_instances"`
	Healthchecks        HealthchecksOut `json:"healthchecks"`
	AutoPreview         bool            `json:"auto_preview"`
	AutoDeploy          bool            `json:"auto_deploy"`
	IconURI             string          `json:"icon_uri"`
	ServiceType         string          `json:"service_type"`
	Storage             []Storage       `json:"storage"`
	Arguments           []string        `json:"arguments"`
	Entrypoint          string          `json:"entrypoint,omitempty"`
	Ports               []PortOut       `json:"ports"`
	AnnotationsGroups   []GroupRef      `json:"annotations_groups"`
	LabelsGroups        []GroupRef      `json:"labels_groups"`
}

// HealthchecksOut shows the ECS health check as the probe it runs.
type HealthchecksOut struct {
	ReadinessProbe *ProbeOut `json:"readiness_probe"`
	LivenessProbe  *ProbeOut `json:"liveness_probe"`
}

// ProbeOut is a probe as Berth runs it: an exec probe of the health
// check's command.
type ProbeOut struct {
	Type                ProbeTypeOut `json:"type"`
	InitialDelaySeconds int          `json:"initial_delay_seconds"`
	PeriodSeconds       int          `json:"period_seconds"`
	TimeoutSeconds      int          `json:"timeout_seconds"`
	SuccessThreshold    int          `json:"success_threshold"`
	FailureThreshold    int          `json:"failure_threshold"`
}

type ProbeTypeOut struct {
	Exec ExecProbe `json:"exec"`
}

// PortOut is one exposed port.
type PortOut struct {
	ID                 string  `json:"id"`
	Name               string  `json:"name"`
	InternalPort       int     `json:"internal_port"`
	ExternalPort       *int    `json:"external_port,omitempty"`
	PubliclyAccessible bool    `json:"publicly_accessible"`
	IsDefault          bool    `json:"is_default"`
	Protocol           string  `json:"protocol"`
	PublicPath         *string `json:"public_path,omitempty"`
	PublicPathRewrite  *string `json:"public_path_rewrite,omitempty"`
}

// Status is Qovery's service status.
type Status struct {
	ID                      string `json:"id"`
	State                   string `json:"state"`
	ServiceDeploymentStatus string `json:"service_deployment_status"`
	LastDeploymentDate      string `json:"last_deployment_date"`
	IsPartLastDeployment    bool   `json:"is_part_last_deployment"`
	Message                 string `json:"message,omitempty"`
}

// OrganizationView is the view of an organisation.
func OrganizationView(org string) Organization {
	return Organization{ID: dialect.OrganisationID(org), CreatedAt: stamp(epoch), Name: org}
}

// ProjectView is the view of an organisation's project.
func ProjectView(org string) Project {
	return Project{ID: dialect.ProjectID(org), CreatedAt: stamp(epoch), Name: ProjectName, Organization: Ref{dialect.OrganisationID(org)}}
}

// EnvironmentView is the view of a scope; mode "" is derived from its name.
func EnvironmentView(s dialect.Scope, mode string) Environment {
	if mode == "" {
		mode = "DEVELOPMENT"
		if s.Name == apps.ProductionEnvironment {
			mode = "PRODUCTION"
		}
	}
	return Environment{
		ID: s.ID(), CreatedAt: stamp(s.CreatedAt), Name: s.Name, Mode: mode,
		Organization: Ref{dialect.OrganisationID(s.Organisation)}, Project: Ref{dialect.ProjectID(s.Organisation)},
		CloudProvider: CloudProvider{Provider: "AWS", Cluster: Cluster}, ClusterName: Cluster,
	}
}

// ContainerView is the view of a workload; echo, when not nil, adds what
// the request that made it sent and Berth does not keep.
func ContainerView(w dialect.Workload, echo *Echo) Container {
	c := w.Container()
	image, tag := splitImage(c, w.App.Name)
	v := Container{
		ID: w.ID(), CreatedAt: stamp(w.Env.CreatedAt), UpdatedAt: stamp(w.Env.UpdatedAt),
		ImageName: image, Tag: tag, Registry: registryOf(image),
		Environment: Ref{w.Scope().ID()}, MaximumCPU: MaxCPU, MaximumMemory: MaxMemory,
		Name: w.Name(), MinRunningInstances: w.Env.MinCapacity, MaxRunningInstances: w.Env.MaxCapacity,
		ServiceType: "CONTAINER", Storage: []Storage{}, Arguments: c.Command,
		AnnotationsGroups: []GroupRef{}, LabelsGroups: []GroupRef{},
	}
	if v.Arguments == nil {
		v.Arguments = []string{}
	}
	if fs := w.App.Filesystem; fs != nil {
		// The application's shared EFS filesystem, in every container; its
		// size is not kept (EFS has none): the create and edit answers
		// echo the size sent, reads show 0.
		v.Storage = []Storage{{ID: ptr(storageID(w)), Type: StorageType, MountPoint: fs.MountPath}}
	}
	v.RegistryID = v.Registry.ID
	if c.CPU != nil {
		v.CPU = *c.CPU * 1000 / 1024
	}
	if c.Memory != nil {
		v.Memory = *c.Memory
	}
	v.Entrypoint = strings.Join(c.EntryPoint, " ")
	if hc := c.HealthCheck; hc != nil && len(hc.Command) > 0 {
		v.Healthchecks.LivenessProbe = probeOut(*hc)
	}
	v.Ports = make([]PortOut, len(c.ExposedPorts))
	for i, p := range c.ExposedPorts {
		v.Ports[i] = PortOut{ID: portID(w, p), Name: fmt.Sprintf("p%d", p), InternalPort: p, IsDefault: i == 0, PubliclyAccessible: i == 0, Protocol: "HTTP"}
		if i == 0 {
			v.Ports[i].ExternalPort = ptr(443)
		}
	}
	if echo != nil {
		v.applyEcho(w, *echo)
	}
	return v
}

func (v *Container) applyEcho(w dialect.Workload, e Echo) {
	v.RegistryID, v.Registry.ID = e.RegistryID, e.RegistryID
	v.Description, v.IconURI = e.Description, e.IconURI
	v.AutoPreview, v.AutoDeploy = e.AutoPreview, e.AutoDeploy
	if e.AnnotationsGroups != nil {
		v.AnnotationsGroups = e.AnnotationsGroups
	}
	if e.LabelsGroups != nil {
		v.LabelsGroups = e.LabelsGroups
	}
	if len(e.Storage) == 1 && len(v.Storage) == 1 && e.Storage[0].MountPoint == v.Storage[0].MountPoint {
		if id := e.Storage[0].ID; id != nil && *id != "" {
			v.Storage[0].ID = id
		}
		v.Storage[0].Size = e.Storage[0].Size
	}
	for i := range v.Ports {
		for _, p := range e.Ports {
			if p.InternalPort == nil || *p.InternalPort != v.Ports[i].InternalPort {
				continue
			}
			out := &v.Ports[i]
			if p.ID != nil && *p.ID != "" {
				out.ID = *p.ID
			}
			if p.Name != nil {
				out.Name = *p.Name
			}
			if p.Protocol != nil {
				out.Protocol = strings.ToUpper(*p.Protocol)
			}
			if p.PubliclyAccessible != nil {
				out.PubliclyAccessible = *p.PubliclyAccessible
			}
			if p.ExternalPort != nil {
				out.ExternalPort = p.ExternalPort
			}
			out.PublicPath, out.PublicPathRewrite = p.PublicPath, p.PublicPathRewrite
		}
	}
}

func probeOut(hc compose.HealthCheck) *ProbeOut {
	cmd := hc.Command[1:]
	if hc.Command[0] == "CMD-SHELL" {
		cmd = []string{"/bin/sh", "-c", strings.Join(hc.Command[1:], " ")}
	}
	deref := func(v *int, def int) int {
		if v == nil {
			return def
		}
		return *v
	}
	return &ProbeOut{
		Type:                ProbeTypeOut{Exec: ExecProbe{Command: cmd}},
		InitialDelaySeconds: deref(hc.StartPeriod, 0), PeriodSeconds: deref(hc.Interval, compose.DefaultInterval),
		TimeoutSeconds: deref(hc.Timeout, compose.DefaultTimeout), SuccessThreshold: 1,
		FailureThreshold: deref(hc.Retries, compose.DefaultRetries),
	}
}

// splitImage is image_name and tag of the container's image; an image of
// the application's own repository is named after the application.
func splitImage(c compose.Container, app string) (string, string) {
	if c.ImageReference == nil {
		return "", ""
	}
	id := c.ImageReference.Identifier
	if c.ImageReference.Type == compose.ImageInternal {
		return app, id
	}
	if i := strings.Index(id, "@"); i >= 0 {
		return id[:i], id[i+1:]
	}
	slash := strings.LastIndex(id, "/")
	if i := strings.LastIndex(id, ":"); i > slash {
		return id[:i], id[i+1:]
	}
	return id, "latest"
}

// registryOf is the registry an image name pulls from.
func registryOf(image string) Registry {
	host := "docker.io"
	if i := strings.Index(image, "/"); i > 0 && strings.ContainsAny(image[:i], ".:") {
		host = image[:i]
	}
	r := Registry{ID: uuidOf("registry\x00" + host), Name: host, URL: "https://" + host, Kind: "GENERIC_CR"}
	switch {
	case host == "docker.io":
		r.Kind, r.URL = "DOCKER_HUB", "https://docker.io"
	case host == "public.ecr.aws":
		r.Kind = "PUBLIC_ECR"
	case strings.Contains(host, ".dkr.ecr.") && strings.HasSuffix(host, ".amazonaws.com"):
		r.Kind = "ECR"
	case host == "ghcr.io":
		r.Kind = "GITHUB_CR"
	}
	return r
}

func portID(w dialect.Workload, port int) string {
	return uuidOf(fmt.Sprintf("port\x00%s\x00%d", w.ID(), port))
}

// storageID is the id reads give the application filesystem's storage.
func storageID(w dialect.Workload) string {
	return uuidOf("storage\x00" + w.ID())
}

// uuidOf is a version 5 style UUID of name, for ids of what Berth has no
// record of (ports, registries).
func uuidOf(name string) string {
	b := sha1.Sum([]byte("qovery\x00" + name))
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// StatusView is Qovery's status of a workload, from its environment's
// status, rollouts and failure, and the action of its running
// deployment, if any (a stop is STOPPING, anything else DEPLOYING).
func StatusView(w dialect.Workload, running deploy.Action) Status {
	e := w.Env
	s := Status{ID: w.ID(), LastDeploymentDate: stamp(e.UpdatedAt), IsPartLastDeployment: true, ServiceDeploymentStatus: "UP_TO_DATE"}
	switch {
	case e.Status == apps.StatusDeleting:
		s.State = "DELETING"
	case e.Status == apps.StatusCreating:
		s.State, s.ServiceDeploymentStatus = "DEPLOYING", "NEVER_DEPLOYED"
	case e.Status == apps.StatusFailed:
		s.State, s.Message = "DEPLOYMENT_ERROR", e.Reason
	case e.Deploying != 0 && running == deploy.ActionStop:
		s.State, s.ServiceDeploymentStatus = "STOPPING", "OUT_OF_DATE"
	case e.Deploying != 0:
		s.State, s.ServiceDeploymentStatus = "DEPLOYING", "OUT_OF_DATE"
	case e.FailureType != "":
		s.State, s.Message = "DEPLOYMENT_ERROR", strings.TrimSpace(e.FailureType+": "+e.FailureReason)
	case e.Stopped:
		s.State = "STOPPED"
	default:
		s.State = "DEPLOYED"
	}
	return s
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
