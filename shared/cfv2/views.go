package cfv2

import (
	"slices"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/dialect"
)

// Metadata is CF v2's resource metadata.
type Metadata struct {
	GUID      string     `json:"guid"`
	URL       string     `json:"url"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt *time.Time `json:"updated_at"`
}

// Resource is CF v2's envelope of every resource.
type Resource[T any] struct {
	Metadata Metadata `json:"metadata"`
	Entity   T        `json:"entity"`
}

// List is CF v2's page of resources.
type List[T any] struct {
	TotalResults int           `json:"total_results"`
	TotalPages   int           `json:"total_pages"`
	PrevURL      *string       `json:"prev_url"`
	NextURL      *string       `json:"next_url"`
	Resources    []Resource[T] `json:"resources"`
}

// App is an app's entity.
type App struct {
	Name                    string            `json:"name"`
	Production              bool              `json:"production"`
	SpaceGUID               string            `json:"space_guid"`
	StackGUID               *string           `json:"stack_guid"`
	Buildpack               *string           `json:"buildpack"`
	DetectedBuildpack       *string           `json:"detected_buildpack"`
	EnvironmentJSON         map[string]string `json:"environment_json"`
	Memory                  int               `json:"memory"`
	Instances               int               `json:"instances"`
	DiskQuota               int               `json:"disk_quota"`
	State                   string            `json:"state"`
	Version                 string            `json:"version"`
	Command                 *string           `json:"command"`
	Console                 bool              `json:"console"`
	Debug                   *string           `json:"debug"`
	StagingTaskID           *string           `json:"staging_task_id"`
	PackageState            string            `json:"package_state"`
	HealthCheckType         string            `json:"health_check_type"`
	HealthCheckTimeout      *int              `json:"health_check_timeout"`
	HealthCheckHTTPEndpoint *string           `json:"health_check_http_endpoint"`
	StagingFailedReason     *string           `json:"staging_failed_reason"`
	Diego                   bool              `json:"diego"`
	DockerImage             string            `json:"docker_image"`
	DockerCredentials       *Credentials      `json:"docker_credentials"`
	PackageUpdatedAt        time.Time         `json:"package_updated_at"`
	DetectedStartCommand    string            `json:"detected_start_command"`
	Ports                   []int             `json:"ports"`
	SpaceURL                string            `json:"space_url"`
	EventsURL               string            `json:"events_url"`
	ServiceBindingsURL      string            `json:"service_bindings_url"`
	RoutesURL               string            `json:"routes_url"`
}

func appURL(guid string) string { return "/v2/apps/" + guid }

func spaceURL(guid string) string { return "/v2/spaces/" + guid }

func updated(created, at time.Time) *time.Time {
	if at.After(created) {
		return &at
	}
	return nil
}

// appResource is the workload as a CF v2 app.
func appResource(w dialect.Workload) Resource[App] { return appResourceAs(w, w.Started()) }

// appResourceAs is the workload as a CF v2 app whose state is started or
// not: what a PUT of state answers while the deployment it started runs
// (the record's state changes when the deployment ends).
func appResourceAs(w dialect.Workload, started bool) Resource[App] {
	id, space := w.ID(), w.Scope().ID()
	c := w.Container()
	a := App{
		Name: w.Name(), SpaceGUID: space, EnvironmentJSON: map[string]string{},
		Memory: DefaultMemory, Instances: w.Instances(), DiskQuota: DiskQuota,
		State: StateStopped, Version: dialect.VersionID(id, w.Env.Version), PackageState: "STAGED",
		HealthCheckType: HealthPort, Diego: true, PackageUpdatedAt: w.Env.UpdatedAt, Ports: slices.Clone(c.ExposedPorts),
		SpaceURL: spaceURL(space), EventsURL: appURL(id) + "/events",
		ServiceBindingsURL: appURL(id) + "/service_bindings", RoutesURL: appURL(id) + "/routes",
	}
	if started {
		a.State = StateStarted
	}
	if w.Env.Status == apps.StatusCreating || w.Env.Status == apps.StatusFailed {
		a.PackageState = "PENDING"
		if w.Env.Status == apps.StatusFailed {
			a.PackageState, a.StagingFailedReason = "FAILED", &w.Env.FailureReason
		}
	}
	if c.ImageReference != nil {
		a.DockerImage = c.ImageReference.Identifier
	}
	if c.Memory != nil {
		a.Memory = *c.Memory
	}
	if len(c.Command) == 3 && c.Command[0] == "/bin/sh" && c.Command[1] == "-c" {
		a.Command = &c.Command[2]
	}
	if e, ok := endpointOf(c.HealthCheck); ok {
		a.HealthCheckType, a.HealthCheckHTTPEndpoint, a.HealthCheckTimeout = HealthHTTP, &e, c.HealthCheck.StartPeriod
	}
	for _, v := range w.Env.Variables {
		if v.Value != nil {
			a.EnvironmentJSON[v.Name] = *v.Value
		}
	}
	if a.Ports == nil {
		a.Ports = []int{}
	}
	return Resource[App]{
		Metadata: Metadata{GUID: id, URL: appURL(id), CreatedAt: w.Env.CreatedAt, UpdatedAt: updated(w.Env.CreatedAt, w.Env.UpdatedAt)},
		Entity:   a,
	}
}

// Summary is GET /v2/apps/:guid/summary: the app's entity with its guid,
// running instances, and (empty) routes and services.
type Summary struct {
	GUID string `json:"guid"`
	App
	RunningInstances int   `json:"running_instances"`
	Routes           []any `json:"routes"`
	Services         []any `json:"services"`
	AvailableDomains []any `json:"available_domains"`
}

func summary(w dialect.Workload) Summary {
	r := appResource(w)
	return Summary{GUID: r.Metadata.GUID, App: r.Entity, RunningInstances: w.Env.Running(),
		Routes: []any{}, Services: []any{}, AvailableDomains: []any{}}
}

// Space is a space's entity.
type Space struct {
	Name             string `json:"name"`
	OrganizationGUID string `json:"organization_guid"`
	AppsURL          string `json:"apps_url"`
	OrganizationURL  string `json:"organization_url"`
}

func spaceResource(s dialect.Scope) Resource[Space] {
	id, org := s.ID(), dialect.OrganisationID(s.Organisation)
	return Resource[Space]{
		Metadata: Metadata{GUID: id, URL: spaceURL(id), CreatedAt: s.CreatedAt},
		Entity:   Space{Name: s.Name, OrganizationGUID: org, AppsURL: spaceURL(id) + "/apps", OrganizationURL: "/v2/organizations/" + org},
	}
}

// Organization is an organization's entity.
type Organization struct {
	Name      string `json:"name"`
	Status    string `json:"status"`
	SpacesURL string `json:"spaces_url"`
}

func organizationResource(org string) Resource[Organization] {
	id := dialect.OrganisationID(org)
	return Resource[Organization]{
		Metadata: Metadata{GUID: id, URL: "/v2/organizations/" + id},
		Entity:   Organization{Name: org, Status: "active", SpacesURL: "/v2/organizations/" + id + "/spaces"},
	}
}

// Info is GET /v2/info.
type Info struct {
	Name                  string  `json:"name"`
	Build                 string  `json:"build"`
	Support               string  `json:"support"`
	Version               int     `json:"version"`
	Description           string  `json:"description"`
	APIVersion            string  `json:"api_version"`
	AuthorizationEndpoint string  `json:"authorization_endpoint"`
	TokenEndpoint         string  `json:"token_endpoint"`
	MinCLIVersion         *string `json:"min_cli_version"`
}
