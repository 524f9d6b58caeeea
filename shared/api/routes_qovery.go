package api

import (
	"net/http"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/qovery"
)

// Qovery's endpoints (README, "Qovery"): its organization, project,
// environment and container paths, at the root as api.qovery.com has them.
var (
	QoveryListOrganizationsRoute  = Route{Name: "qovery-list-organizations", Method: http.MethodGet, Pattern: "/organization", Dialect: &qovery.Dialect, dialectHandler: qovery.ListOrganizations}
	QoveryListProjectsRoute       = Route{Name: "qovery-list-projects", Method: http.MethodGet, Pattern: "/organization/{organizationId}/project", Dialect: &qovery.Dialect, dialectHandler: qovery.ListProjects}
	QoveryListEnvironmentsRoute   = Route{Name: "qovery-list-environments", Method: http.MethodGet, Pattern: "/project/{projectId}/environment", Dialect: &qovery.Dialect, dialectHandler: qovery.ListEnvironments}
	QoveryCreateEnvironmentRoute  = Route{Name: "qovery-create-environment", Method: http.MethodPost, Pattern: "/project/{projectId}/environment", Dialect: &qovery.Dialect, Success: http.StatusCreated, dialectHandler: qovery.CreateEnvironment}
	QoveryCreateContainerRoute    = Route{Name: "qovery-create-container", Method: http.MethodPost, Pattern: "/environment/{environmentId}/container", Dialect: &qovery.Dialect, Starts: []apps.Workflow{apps.ProvisionApplication, apps.ProvisionEnvironment}, Success: http.StatusCreated, dialectHandler: qovery.CreateContainer}
	QoveryListContainersRoute     = Route{Name: "qovery-list-containers", Method: http.MethodGet, Pattern: "/environment/{environmentId}/container", Dialect: &qovery.Dialect, dialectHandler: qovery.ListContainers}
	QoveryGetContainerRoute       = Route{Name: "qovery-get-container", Method: http.MethodGet, Pattern: "/container/{containerId}", Dialect: &qovery.Dialect, dialectHandler: qovery.GetContainer}
	QoveryEditContainerRoute      = Route{Name: "qovery-edit-container", Method: http.MethodPut, Pattern: "/container/{containerId}", Dialect: &qovery.Dialect, Starts: []apps.Workflow{apps.DeployEnvironment}, Success: http.StatusOK, dialectHandler: qovery.EditContainer}
	QoveryDeleteContainerRoute    = Route{Name: "qovery-delete-container", Method: http.MethodDelete, Pattern: "/container/{containerId}", Dialect: &qovery.Dialect, Starts: []apps.Workflow{apps.TeardownApplication, apps.TeardownEnvironment}, Success: http.StatusNoContent, dialectHandler: qovery.DeleteContainer}
	QoveryDeployContainerRoute    = Route{Name: "qovery-deploy-container", Method: http.MethodPost, Pattern: "/container/{containerId}/deploy", Dialect: &qovery.Dialect, Starts: []apps.Workflow{apps.DeployEnvironment}, Success: http.StatusAccepted, dialectHandler: qovery.DeployContainer}
	QoveryStopContainerRoute      = Route{Name: "qovery-stop-container", Method: http.MethodPost, Pattern: "/container/{containerId}/stop", Dialect: &qovery.Dialect, Starts: []apps.Workflow{apps.DeployEnvironment}, Success: http.StatusAccepted, dialectHandler: qovery.StopContainer}
	QoveryRestartContainerRoute   = Route{Name: "qovery-restart-container", Method: http.MethodPost, Pattern: "/container/{containerId}/restart", Dialect: &qovery.Dialect, Starts: []apps.Workflow{apps.DeployEnvironment}, Success: http.StatusAccepted, dialectHandler: qovery.RedeployContainer}
	QoveryRedeployContainerRoute  = Route{Name: "qovery-redeploy-container", Method: http.MethodPost, Pattern: "/container/{containerId}/redeploy", Dialect: &qovery.Dialect, Starts: []apps.Workflow{apps.DeployEnvironment}, Success: http.StatusAccepted, dialectHandler: qovery.RedeployContainer}
	QoveryGetContainerStatusRoute = Route{Name: "qovery-get-container-status", Method: http.MethodGet, Pattern: "/container/{containerId}/status", Dialect: &qovery.Dialect, dialectHandler: qovery.ContainerStatus}
)

// qoveryRoutes is every Qovery endpoint.
func qoveryRoutes() []Route {
	return []Route{
		QoveryListOrganizationsRoute, QoveryListProjectsRoute, QoveryListEnvironmentsRoute, QoveryCreateEnvironmentRoute,
		QoveryCreateContainerRoute, QoveryListContainersRoute, QoveryGetContainerRoute, QoveryEditContainerRoute,
		QoveryDeleteContainerRoute, QoveryDeployContainerRoute, QoveryStopContainerRoute, QoveryRestartContainerRoute,
		QoveryRedeployContainerRoute, QoveryGetContainerStatusRoute,
	}
}
