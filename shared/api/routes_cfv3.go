package api

import (
	"net/http"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/cfv3"
)

// Cloud Foundry v3's routes (docs/dialects/cfv3.yaml).
var (
	Cfv3GetGlobalRootRoute              = Route{Name: "cfv3-get-global-root", Method: http.MethodGet, Pattern: "/", Dialect: &cfv3.Dialect, dialectHandler: cfv3.GetGlobalRoot}
	Cfv3GetRootRoute                    = Route{Name: "cfv3-get-root", Method: http.MethodGet, Pattern: "/v3", Dialect: &cfv3.Dialect, dialectHandler: cfv3.GetRoot}
	Cfv3ListOrganizationsRoute          = Route{Name: "cfv3-list-organizations", Method: http.MethodGet, Pattern: "/v3/organizations", Dialect: &cfv3.Dialect, dialectHandler: cfv3.ListOrganizations}
	Cfv3ListSpacesRoute                 = Route{Name: "cfv3-list-spaces", Method: http.MethodGet, Pattern: "/v3/spaces", Dialect: &cfv3.Dialect, dialectHandler: cfv3.ListSpaces}
	Cfv3CreateSpaceRoute                = Route{Name: "cfv3-create-space", Method: http.MethodPost, Pattern: "/v3/spaces", Dialect: &cfv3.Dialect, Success: http.StatusCreated, dialectHandler: cfv3.CreateSpace}
	Cfv3CreateAppRoute                  = Route{Name: "cfv3-create-app", Method: http.MethodPost, Pattern: "/v3/apps", Dialect: &cfv3.Dialect, Starts: []apps.Workflow{apps.ProvisionApplication, apps.ProvisionEnvironment}, Success: http.StatusCreated, dialectHandler: cfv3.CreateApp}
	Cfv3ListAppsRoute                   = Route{Name: "cfv3-list-apps", Method: http.MethodGet, Pattern: "/v3/apps", Dialect: &cfv3.Dialect, dialectHandler: cfv3.ListApps}
	Cfv3GetAppRoute                     = Route{Name: "cfv3-get-app", Method: http.MethodGet, Pattern: "/v3/apps/{guid}", Dialect: &cfv3.Dialect, dialectHandler: cfv3.GetApp}
	Cfv3UpdateAppRoute                  = Route{Name: "cfv3-update-app", Method: http.MethodPatch, Pattern: "/v3/apps/{guid}", Dialect: &cfv3.Dialect, Starts: []apps.Workflow{apps.DeployEnvironment}, Success: http.StatusOK, dialectHandler: cfv3.UpdateApp}
	Cfv3DeleteAppRoute                  = Route{Name: "cfv3-delete-app", Method: http.MethodDelete, Pattern: "/v3/apps/{guid}", Dialect: &cfv3.Dialect, Starts: []apps.Workflow{apps.TeardownApplication, apps.TeardownEnvironment}, Success: http.StatusAccepted, dialectHandler: cfv3.DeleteApp}
	Cfv3StartAppRoute                   = Route{Name: "cfv3-start-app", Method: http.MethodPost, Pattern: "/v3/apps/{guid}/actions/start", Dialect: &cfv3.Dialect, Starts: []apps.Workflow{apps.DeployEnvironment}, Success: http.StatusOK, dialectHandler: cfv3.StartApp}
	Cfv3StopAppRoute                    = Route{Name: "cfv3-stop-app", Method: http.MethodPost, Pattern: "/v3/apps/{guid}/actions/stop", Dialect: &cfv3.Dialect, Starts: []apps.Workflow{apps.DeployEnvironment}, Success: http.StatusOK, dialectHandler: cfv3.StopApp}
	Cfv3RestartAppRoute                 = Route{Name: "cfv3-restart-app", Method: http.MethodPost, Pattern: "/v3/apps/{guid}/actions/restart", Dialect: &cfv3.Dialect, Starts: []apps.Workflow{apps.DeployEnvironment}, Success: http.StatusOK, dialectHandler: cfv3.RestartApp}
	Cfv3GetEnvironmentVariablesRoute    = Route{Name: "cfv3-get-environment-variables", Method: http.MethodGet, Pattern: "/v3/apps/{guid}/environment_variables", Dialect: &cfv3.Dialect, dialectHandler: cfv3.GetEnvironmentVariables}
	Cfv3UpdateEnvironmentVariablesRoute = Route{Name: "cfv3-update-environment-variables", Method: http.MethodPatch, Pattern: "/v3/apps/{guid}/environment_variables", Dialect: &cfv3.Dialect, Starts: []apps.Workflow{apps.DeployEnvironment}, Success: http.StatusOK, dialectHandler: cfv3.UpdateEnvironmentVariables}
	Cfv3ListProcessesRoute              = Route{Name: "cfv3-list-processes", Method: http.MethodGet, Pattern: "/v3/apps/{guid}/processes", Dialect: &cfv3.Dialect, dialectHandler: cfv3.ListProcesses}
	Cfv3GetProcessRoute                 = Route{Name: "cfv3-get-process", Method: http.MethodGet, Pattern: "/v3/processes/{guid}", Dialect: &cfv3.Dialect, dialectHandler: cfv3.GetProcess}
	Cfv3ScaleProcessRoute               = Route{Name: "cfv3-scale-process", Method: http.MethodPost, Pattern: "/v3/processes/{guid}/actions/scale", Dialect: &cfv3.Dialect, Starts: []apps.Workflow{apps.DeployEnvironment}, Success: http.StatusAccepted, dialectHandler: cfv3.ScaleProcess}
	Cfv3GetJobRoute                     = Route{Name: "cfv3-get-job", Method: http.MethodGet, Pattern: "/v3/jobs/{guid}", Dialect: &cfv3.Dialect, dialectHandler: cfv3.GetJob}
)

func cfv3Routes() []Route {
	return []Route{
		Cfv3GetGlobalRootRoute, Cfv3GetRootRoute, Cfv3ListOrganizationsRoute, Cfv3ListSpacesRoute, Cfv3CreateSpaceRoute,
		Cfv3CreateAppRoute, Cfv3ListAppsRoute, Cfv3GetAppRoute, Cfv3UpdateAppRoute, Cfv3DeleteAppRoute,
		Cfv3StartAppRoute, Cfv3StopAppRoute, Cfv3RestartAppRoute,
		Cfv3GetEnvironmentVariablesRoute, Cfv3UpdateEnvironmentVariablesRoute,
		Cfv3ListProcessesRoute, Cfv3GetProcessRoute, Cfv3ScaleProcessRoute, Cfv3GetJobRoute,
	}
}
