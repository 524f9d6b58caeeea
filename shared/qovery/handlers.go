package qovery

import (
	"context"
	"net/http"
	"strings"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/compose"
	"github.com/berth-dev/berth/shared/deploy"
	"github.com/berth-dev/berth/shared/dialect"
	"github.com/berth-dev/berth/shared/validation"
)

// ListOrganizations answers GET /organization: the token's organisations.
func ListOrganizations(_ context.Context, c dialect.Call) (dialect.Reply, error) {
	out := List[Organization]{Results: []Organization{}}
	for _, org := range c.Organisations {
		out.Results = append(out.Results, OrganizationView(org))
	}
	return dialect.Reply{Status: http.StatusOK, Body: out}, nil
}

// ListProjects answers GET /organization/{organizationId}/project: its one project.
func ListProjects(_ context.Context, c dialect.Call) (dialect.Reply, error) {
	org, err := organisation(c, "organizationId", dialect.OrganisationID, "organization")
	if err != nil {
		return dialect.Reply{}, err
	}
	return dialect.Reply{Status: http.StatusOK, Body: List[Project]{Results: []Project{ProjectView(org)}}}, nil
}

// ListEnvironments answers GET /project/{projectId}/environment.
func ListEnvironments(ctx context.Context, c dialect.Call) (dialect.Reply, error) {
	org, err := organisation(c, "projectId", dialect.ProjectID, "project")
	if err != nil {
		return dialect.Reply{}, err
	}
	scopes, err := c.Service.ListScopes(ctx, org)
	if err != nil {
		return dialect.Reply{}, err
	}
	out := List[Environment]{Results: []Environment{}}
	for _, s := range scopes {
		out.Results = append(out.Results, EnvironmentView(s, ""))
	}
	return dialect.Reply{Status: http.StatusOK, Body: out}, nil
}

// CreateEnvironment answers POST /project/{projectId}/environment: it
// records an environment scope.
func CreateEnvironment(ctx context.Context, c dialect.Call) (dialect.Reply, error) {
	org, err := organisation(c, "projectId", dialect.ProjectID, "project")
	if err != nil {
		return dialect.Reply{}, err
	}
	req, err := DecodeEnvironment(c.Body)
	if err != nil {
		return dialect.Reply{}, err
	}
	s, err := c.Service.CreateScope(ctx, org, "name", *req.Name)
	if err != nil {
		return dialect.Reply{}, err
	}
	mode := ""
	if req.Mode != nil {
		mode = *req.Mode
	}
	return dialect.Reply{Status: http.StatusCreated, Body: EnvironmentView(s, mode)}, nil
}

// mountField is the request's path to the storage's mount point.
var mountField = validation.Index("storage", 0) + ".mount_point"

// CreateContainer answers POST /environment/{environmentId}/container. The
// container is created, not deployed: POST its deploy to start it.
func CreateContainer(ctx context.Context, c dialect.Call) (dialect.Reply, error) {
	scope, err := findScope(ctx, c)
	if err != nil {
		return dialect.Reply{}, err
	}
	t, err := DecodeContainer(c.Body)
	if err != nil {
		return dialect.Reply{}, err
	}
	w, err := c.Service.Create(ctx, scope, dialect.Spec{
		Name: t.Name, Field: "name", Container: t.Container, MinCapacity: ptr(t.Min), MaxCapacity: ptr(t.Max),
		MountPath: t.MountPath, MountField: mountField,
	})
	if err != nil {
		return dialect.Reply{}, err
	}
	return dialect.Reply{Status: http.StatusCreated, Body: ContainerView(w, &t.Echo)}, nil
}

// ListContainers answers GET /environment/{environmentId}/container.
func ListContainers(ctx context.Context, c dialect.Call) (dialect.Reply, error) {
	scope, err := findScope(ctx, c)
	if err != nil {
		return dialect.Reply{}, err
	}
	ws, err := c.Service.WorkloadsIn(ctx, scope.Organisation, scope.Name)
	if err != nil {
		return dialect.Reply{}, err
	}
	out := List[Container]{Results: []Container{}}
	for _, w := range ws {
		out.Results = append(out.Results, ContainerView(w, nil))
	}
	return dialect.Reply{Status: http.StatusOK, Body: out}, nil
}

// GetContainer answers GET /container/{containerId}.
func GetContainer(ctx context.Context, c dialect.Call) (dialect.Reply, error) {
	w, err := findContainer(ctx, c)
	if err != nil {
		return dialect.Reply{}, err
	}
	return dialect.Reply{Status: http.StatusOK, Body: ContainerView(w, nil)}, nil
}

// EditContainer answers PUT /container/{containerId}: the whole
// container as a create sends it, deployed as one release.
func EditContainer(ctx context.Context, c dialect.Call) (dialect.Reply, error) {
	w, err := findContainer(ctx, c)
	if err != nil {
		return dialect.Reply{}, err
	}
	t, err := DecodeContainer(c.Body)
	if err != nil {
		return dialect.Reply{}, err
	}
	if !strings.EqualFold(t.Name, w.Name()) && dialect.ApplicationName(t.Name) != w.App.Name {
		return dialect.Reply{}, validation.Errors{"name": {"cannot change: a container keeps the name it was created with (" + w.Name() + ")"}}
	}
	// The storage is the application's filesystem: an edit may name it as
	// it is, or leave it out; it stays either way.
	if err := dialect.CheckMount(w.App, t.MountPath, mountField); err != nil {
		return dialect.Reply{}, err
	}
	w, err = c.Service.Update(ctx, w, c.By, dialect.Change{Edit: t.edit})
	if err != nil {
		return dialect.Reply{}, err
	}
	return dialect.Reply{Status: http.StatusOK, Body: ContainerView(w, &t.Echo)}, nil
}

// edit sets what the request maps to on the container and its
// definition, keeping the rest (variables, secrets, mounts); the task
// is sized again.
func (t Translated) edit(d *compose.Definition, c *compose.Container) error {
	c.ImageReference = t.Container.ImageReference
	c.CPU, c.Memory = t.Container.CPU, t.Container.Memory
	c.ExposedPorts = t.Container.ExposedPorts
	c.HealthCheck = t.Container.HealthCheck
	c.Command, c.EntryPoint = t.Container.Command, t.Container.EntryPoint
	d.TaskCPU, d.TaskMemory = nil, nil
	d.MinCapacity, d.MaxCapacity = ptr(t.Min), ptr(t.Max)
	return nil
}

// DeleteContainer answers DELETE /container/{containerId}.
func DeleteContainer(ctx context.Context, c dialect.Call) (dialect.Reply, error) {
	w, err := findContainer(ctx, c)
	if err != nil {
		return dialect.Reply{}, err
	}
	if err := c.Service.Delete(ctx, w); err != nil {
		return dialect.Reply{}, err
	}
	return dialect.Reply{Status: http.StatusNoContent}, nil
}

// DeployContainer answers POST /container/{containerId}/deploy: a start
// when stopped, else a redeploy.
func DeployContainer(ctx context.Context, c dialect.Call) (dialect.Reply, error) {
	return changeState(ctx, c, func(w dialect.Workload) (dialect.Workload, error) {
		if !w.Started() {
			return c.Service.SetState(ctx, w, c.By, true)
		}
		return c.Service.Redeploy(ctx, w, c.By)
	})
}

// StopContainer answers POST /container/{containerId}/stop.
func StopContainer(ctx context.Context, c dialect.Call) (dialect.Reply, error) {
	return changeState(ctx, c, func(w dialect.Workload) (dialect.Workload, error) {
		return c.Service.SetState(ctx, w, c.By, false)
	})
}

// RedeployContainer answers POST /container/{containerId}/redeploy and
// /restart: as deploy, the tasks roll over on the serving release, or
// start when stopped.
func RedeployContainer(ctx context.Context, c dialect.Call) (dialect.Reply, error) {
	return DeployContainer(ctx, c)
}

// ContainerStatus answers GET /container/{containerId}/status.
func ContainerStatus(ctx context.Context, c dialect.Call) (dialect.Reply, error) {
	w, err := findContainer(ctx, c)
	if err != nil {
		return dialect.Reply{}, err
	}
	return dialect.Reply{Status: http.StatusOK, Body: StatusView(w, running(ctx, c, w))}, nil
}

// running is the action of the workload's running deployment, "" when
// none runs or it cannot be read.
func running(ctx context.Context, c dialect.Call, w dialect.Workload) deploy.Action {
	if w.Env.Deploying == 0 {
		return ""
	}
	d, err := c.Service.Deploy.Deployment(ctx, w.App.Organisation, w.App.Name, w.Env.Name, w.Env.Deploying)
	if err != nil {
		return ""
	}
	return d.Action
}

func changeState(ctx context.Context, c dialect.Call, change func(dialect.Workload) (dialect.Workload, error)) (dialect.Reply, error) {
	w, err := findContainer(ctx, c)
	if err != nil {
		return dialect.Reply{}, err
	}
	w, err = change(w)
	if err != nil {
		return dialect.Reply{}, err
	}
	return dialect.Reply{Status: http.StatusAccepted, Body: StatusView(w, running(ctx, c, w))}, nil
}

// organisation finds the token's organisation whose id (of kind) is the
// path parameter's.
func organisation(c dialect.Call, param string, id func(string) string, kind string) (string, error) {
	v := c.Path(param)
	if err := CheckID(param, v); err != nil {
		return "", err
	}
	for _, org := range c.Organisations {
		if strings.EqualFold(id(org), v) {
			c.Acting(org)
			return org, nil
		}
	}
	return "", apps.NotFound("no %s has id %q in this token's organisations", kind, v)
}

func findScope(ctx context.Context, c dialect.Call) (dialect.Scope, error) {
	id := c.Path("environmentId")
	if err := CheckID("environmentId", id); err != nil {
		return dialect.Scope{}, err
	}
	s, err := c.Service.FindScope(ctx, c.Organisations, strings.ToLower(id))
	if err != nil {
		return dialect.Scope{}, err
	}
	c.Acting(s.Organisation)
	return s, nil
}

func findContainer(ctx context.Context, c dialect.Call) (dialect.Workload, error) {
	id := c.Path("containerId")
	if err := CheckID("containerId", id); err != nil {
		return dialect.Workload{}, err
	}
	w, err := c.Service.FindWorkload(ctx, c.Organisations, strings.ToLower(id))
	if err != nil {
		return dialect.Workload{}, err
	}
	c.Acting(w.App.Organisation)
	return w, nil
}
