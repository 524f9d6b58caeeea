package api

import (
	"net/http"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/cfv2"
)

// Cloud Foundry v2's routes (docs/dialects/cfv2.yaml).
var (
	Cfv2GetInfoRoute           = Route{Name: "cfv2-get-info", Method: http.MethodGet, Pattern: "/v2/info", Dialect: &cfv2.Dialect, dialectHandler: cfv2.GetInfo}
	Cfv2ListOrganizationsRoute = Route{Name: "cfv2-list-organizations", Method: http.MethodGet, Pattern: "/v2/organizations", Dialect: &cfv2.Dialect, dialectHandler: cfv2.ListOrganizations}
	Cfv2ListSpacesRoute        = Route{Name: "cfv2-list-spaces", Method: http.MethodGet, Pattern: "/v2/spaces", Dialect: &cfv2.Dialect, dialectHandler: cfv2.ListSpaces}
	Cfv2CreateSpaceRoute       = Route{Name: "cfv2-create-space", Method: http.MethodPost, Pattern: "/v2/spaces", Dialect: &cfv2.Dialect, Success: http.StatusCreated, dialectHandler: cfv2.CreateSpace}
	Cfv2CreateAppRoute         = Route{Name: "cfv2-create-app", Method: http.MethodPost, Pattern: "/v2/apps", Dialect: &cfv2.Dialect, Starts: []apps.Workflow{apps.ProvisionApplication, apps.ProvisionEnvironment}, Success: http.StatusCreated, dialectHandler: cfv2.CreateApp}
	Cfv2ListAppsRoute          = Route{Name: "cfv2-list-apps", Method: http.MethodGet, Pattern: "/v2/apps", Dialect: &cfv2.Dialect, dialectHandler: cfv2.ListApps}
	Cfv2GetAppRoute            = Route{Name: "cfv2-get-app", Method: http.MethodGet, Pattern: "/v2/apps/{guid}", Dialect: &cfv2.Dialect, dialectHandler: cfv2.GetApp}
	Cfv2UpdateAppRoute         = Route{Name: "cfv2-update-app", Method: http.MethodPut, Pattern: "/v2/apps/{guid}", Dialect: &cfv2.Dialect, Starts: []apps.Workflow{apps.DeployEnvironment}, Success: http.StatusCreated, dialectHandler: cfv2.UpdateApp}
	Cfv2DeleteAppRoute         = Route{Name: "cfv2-delete-app", Method: http.MethodDelete, Pattern: "/v2/apps/{guid}", Dialect: &cfv2.Dialect, Starts: []apps.Workflow{apps.TeardownApplication, apps.TeardownEnvironment}, Success: http.StatusNoContent, dialectHandler: cfv2.DeleteApp}
	Cfv2GetAppSummaryRoute     = Route{Name: "cfv2-get-app-summary", Method: http.MethodGet, Pattern: "/v2/apps/{guid}/summary", Dialect: &cfv2.Dialect, dialectHandler: cfv2.GetAppSummary}
)

func cfv2Routes() []Route {
	return []Route{
		Cfv2GetInfoRoute, Cfv2ListOrganizationsRoute, Cfv2ListSpacesRoute, Cfv2CreateSpaceRoute,
		Cfv2CreateAppRoute, Cfv2ListAppsRoute, Cfv2GetAppRoute, Cfv2UpdateAppRoute, Cfv2DeleteAppRoute, Cfv2GetAppSummaryRoute,
	}
}
