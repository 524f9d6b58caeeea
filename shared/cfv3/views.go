package cfv3

import (
	"strings"
	"time"

	"github.com/berth-dev/berth/shared/compose"
	"github.com/berth-dev/berth/shared/dialect"
)

// Metadata is CF v3's labels and annotations: Berth keeps none.
type Metadata struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

func noMetadata() Metadata {
	return Metadata{Labels: map[string]string{}, Annotations: map[string]string{}}
}

// ToOne is a to-one relationship: {"data": {"guid": ...}}, data null when
// there is none.
type ToOne struct {
	Data *GUID `json:"data"`
}

// GUID is a relationship's target.
type GUID struct {
	GUID string `json:"guid"`
}

func toOne(guid string) ToOne { return ToOne{Data: &GUID{GUID: guid}} }

// LifecycleView is an app's lifecycle as CF shows it.
type LifecycleView struct {
	Type string         `json:"type"`
	Data map[string]any `json:"data"`
}

// App is a CF v3 app. It carries today's state and relationships and the
// page's desired_state, total_desired_instances and environment_variables.
type App struct {
	GUID                  string            `json:"guid"`
	Name                  string            `json:"name"`
	State                 string            `json:"state"`
	DesiredState          string            `json:"desired_state"`
	TotalDesiredInstances int               `json:"total_desired_instances"`
	CreatedAt             time.Time         `json:"created_at"`
	UpdatedAt             *time.Time        `json:"updated_at"`
	Lifecycle             LifecycleView     `json:"lifecycle"`
	EnvironmentVariables  map[string]string `json:"environment_variables"`
	Relationships         struct {
		Space ToOne `json:"space"`
	} `json:"relationships"`
	Metadata Metadata        `json:"metadata"`
	Links    map[string]Link `json:"links"`
}

func appPath(guid string) string { return "/v3/apps/" + guid }

func spacePath(guid string) string { return "/v3/spaces/" + guid }

func orgPath(guid string) string { return "/v3/organizations/" + guid }

func processPath(guid string) string { return "/v3/processes/" + guid }

// updated is a record's update time, or null when it never changed.
func updated(created, at time.Time) *time.Time {
	if at.After(created) {
		at = at.UTC()
		return &at
	}
	return nil
}

// lifecycle is the workload's lifecycle: buildpack when its image is the
// placeholder, else docker with its image.
func lifecycle(w dialect.Workload) LifecycleView {
	img := image(w)
	stack, pack, ok := placeholder(img)
	if !ok {
		return LifecycleView{Type: LifecycleDocker, Data: map[string]any{"image": img}}
	}
	packs := []string{}
	var one any
	if pack != "" {
		packs, one = []string{pack}, pack
	}
	return LifecycleView{Type: LifecycleBuildpack, Data: map[string]any{"buildpacks": packs, "buildpack": one, "stack": stack}}
}

func state(started bool) string {
	if started {
		return StateStarted
	}
	return StateStopped
}

// appView is the workload as a CF v3 app.
func appView(w dialect.Workload) App { return appViewAs(w, w.Started()) }

// appViewAs is the workload as a CF v3 app whose desired state is
// started: what an action answers while the deployment it started runs
// (the record's state changes when the deployment ends).
func appViewAs(w dialect.Workload, started bool) App {
	id, space := w.ID(), w.Scope().ID()
	a := App{
		GUID: id, Name: w.Name(), State: state(started), DesiredState: state(started),
		CreatedAt: w.Env.CreatedAt.UTC(), UpdatedAt: updated(w.Env.CreatedAt, w.Env.UpdatedAt),
		Lifecycle: lifecycle(w), EnvironmentVariables: vars(w), Metadata: noMetadata(),
		Links: map[string]Link{
			"self":                  {Href: appPath(id)},
			"space":                 {Href: spacePath(space)},
			"processes":             {Href: appPath(id) + "/processes"},
			"environment_variables": {Href: appPath(id) + "/environment_variables"},
			"start":                 {Href: appPath(id) + "/actions/start", Method: "POST"},
			"stop":                  {Href: appPath(id) + "/actions/stop", Method: "POST"},
			"restart":               {Href: appPath(id) + "/actions/restart", Method: "POST"},
		},
	}
	if started {
		a.TotalDesiredInstances = w.Instances()
	}
	a.Relationships.Space = toOne(space)
	return a
}

func vars(w dialect.Workload) map[string]string {
	out := map[string]string{}
	for _, v := range w.Env.Variables {
		if v.Value != nil {
			out[v.Name] = *v.Value
		}
	}
	return out
}

// Vars is GET /v3/apps/:guid/environment_variables.
type Vars struct {
	Var   map[string]string `json:"var"`
	Links map[string]Link   `json:"links"`
}

func varsView(w dialect.Workload) Vars {
	id := w.ID()
	return Vars{Var: vars(w), Links: map[string]Link{"self": {Href: appPath(id) + "/environment_variables"}, "app": {Href: appPath(id)}}}
}

// HealthCheck is a process's health check.
type HealthCheck struct {
	Type string         `json:"type"`
	Data map[string]any `json:"data"`
}

// Process is a CF v3 process: an app's one, of type web. Its guid is the app's.
type Process struct {
	GUID          string      `json:"guid"`
	Type          string      `json:"type"`
	Command       *string     `json:"command"`
	Instances     int         `json:"instances"`
	MemoryInMB    int         `json:"memory_in_mb"`
	DiskInMB      int         `json:"disk_in_mb"`
	HealthCheck   HealthCheck `json:"health_check"`
	Relationships struct {
		App      ToOne `json:"app"`
		Revision ToOne `json:"revision"`
	} `json:"relationships"`
	Metadata  Metadata        `json:"metadata"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt *time.Time      `json:"updated_at"`
	Links     map[string]Link `json:"links"`
}

// ProcessWeb is the type of an app's one process.
const ProcessWeb = "web"

// processView is the workload's container as a web process: memory is
// the container's, instances the task count, disk Fargate's 20 GiB.
func processView(w dialect.Workload) Process {
	id, space := w.ID(), w.Scope().ID()
	c := w.Container()
	p := Process{
		GUID: id, Type: ProcessWeb, Instances: w.Instances(), MemoryInMB: DefaultMemory, DiskInMB: DiskLimit,
		HealthCheck: healthCheck(c), Metadata: noMetadata(),
		CreatedAt: w.Env.CreatedAt.UTC(), UpdatedAt: updated(w.Env.CreatedAt, w.Env.UpdatedAt),
		Links: map[string]Link{
			"self":  {Href: processPath(id)},
			"scale": {Href: processPath(id) + "/actions/scale", Method: "POST"},
			"app":   {Href: appPath(id)},
			"space": {Href: spacePath(space)},
		},
	}
	if c.Memory != nil {
		p.MemoryInMB = *c.Memory
	}
	p.Command = command(c)
	p.Relationships.App = toOne(id)
	return p
}

// command is the process's command: a shell line as CF writes it, else
// the container's arguments joined.
func command(c compose.Container) *string {
	switch {
	case len(c.Command) == 3 && c.Command[0] == "/bin/sh" && c.Command[1] == "-c":
		return &c.Command[2]
	case len(c.Command) > 0:
		s := strings.Join(c.Command, " ")
		return &s
	}
	return nil
}

// healthCheck is CF's type for the container's: http for a check that
// fetches a local URL, process for another command or a container with no
// port, port otherwise (the load balancer's own check).
func healthCheck(c compose.Container) HealthCheck {
	h := c.HealthCheck
	switch {
	case h != nil && len(h.Command) == 2 && h.Command[0] == "CMD-SHELL" && strings.Contains(h.Command[1], "http://localhost:"):
		_, rest, _ := strings.Cut(h.Command[1], "http://localhost:")
		endpoint := "/"
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			endpoint, _, _ = strings.Cut(rest[i:], " ")
		}
		return HealthCheck{Type: "http", Data: map[string]any{"endpoint": endpoint, "timeout": h.StartPeriod, "invocation_timeout": h.Timeout, "interval": h.Interval}}
	case h != nil:
		return HealthCheck{Type: "process", Data: map[string]any{"timeout": h.StartPeriod, "invocation_timeout": h.Timeout, "interval": h.Interval}}
	case len(c.ExposedPorts) == 0:
		return HealthCheck{Type: "process", Data: map[string]any{"timeout": nil, "invocation_timeout": nil, "interval": nil}}
	}
	return HealthCheck{Type: "port", Data: map[string]any{"timeout": nil, "invocation_timeout": nil, "interval": nil}}
}

// Space is a CF v3 space.
type Space struct {
	GUID          string    `json:"guid"`
	Name          string    `json:"name"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
	Relationships struct {
		Organization ToOne `json:"organization"`
		Quota        ToOne `json:"quota"`
	} `json:"relationships"`
	Metadata Metadata        `json:"metadata"`
	Links    map[string]Link `json:"links"`
}

func spaceView(s dialect.Scope) Space {
	id, org := s.ID(), dialect.OrganisationID(s.Organisation)
	v := Space{GUID: id, Name: s.Name, CreatedAt: s.CreatedAt.UTC(), UpdatedAt: s.CreatedAt.UTC(), Metadata: noMetadata(),
		Links: map[string]Link{"self": {Href: spacePath(id)}, "organization": {Href: orgPath(org)}}}
	v.Relationships.Organization = toOne(org)
	return v
}

// Organization is a CF v3 organization: one of the token's.
type Organization struct {
	GUID          string     `json:"guid"`
	Name          string     `json:"name"`
	Suspended     bool       `json:"suspended"`
	CreatedAt     *time.Time `json:"created_at"`
	UpdatedAt     *time.Time `json:"updated_at"`
	Relationships struct {
		Quota ToOne `json:"quota"`
	} `json:"relationships"`
	Metadata Metadata        `json:"metadata"`
	Links    map[string]Link `json:"links"`
}

func organizationView(org string) Organization {
	id := dialect.OrganisationID(org)
	return Organization{GUID: id, Name: org, Metadata: noMetadata(), Links: map[string]Link{"self": {Href: orgPath(id)}}}
}

// Job is a CF v3 job: an app's deletion.
type Job struct {
	GUID      string          `json:"guid"`
	Operation string          `json:"operation"`
	State     string          `json:"state"`
	CreatedAt *time.Time      `json:"created_at"`
	UpdatedAt *time.Time      `json:"updated_at"`
	Errors    []Error         `json:"errors"`
	Warnings  []any           `json:"warnings"`
	Links     map[string]Link `json:"links"`
}

// Job states.
const (
	JobProcessing = "PROCESSING"
	JobComplete   = "COMPLETE"
	JobFailed     = "FAILED"
)

// Root is GET /v3: the links to CF v3's resources Berth serves.
type Root struct {
	Links map[string]Link `json:"links"`
}

func root() Root {
	return Root{Links: map[string]Link{
		"self": {Href: "/v3"}, "apps": {Href: "/v3/apps"}, "organizations": {Href: "/v3/organizations"},
		"spaces": {Href: "/v3/spaces"},
	}}
}

// API versions the global root announces: the CF API releases whose
// shapes Berth's dialects follow.
const (
	V2Version = "2.164.0"
	V3Version = "3.99.0"
)

// GlobalRoot is GET /: CF's links to its APIs. Berth has no UAA or login
// server (its tokens are its own), so those links are null.
type GlobalRoot struct {
	Links GlobalLinks `json:"links"`
}

// GlobalLinks are the global root's links.
type GlobalLinks struct {
	Self              Link         `json:"self"`
	CloudControllerV2 VersionLink  `json:"cloud_controller_v2"`
	CloudControllerV3 VersionLink  `json:"cloud_controller_v3"`
	Login             *VersionLink `json:"login"`
	UAA               *VersionLink `json:"uaa"`
}

// VersionLink is a link to an API, with its version.
type VersionLink struct {
	Href string            `json:"href"`
	Meta map[string]string `json:"meta"`
}

func globalRoot() GlobalRoot {
	return GlobalRoot{Links: GlobalLinks{
		Self:              Link{Href: "/"},
		CloudControllerV2: VersionLink{Href: "/v2", Meta: map[string]string{"version": V2Version}},
		CloudControllerV3: VersionLink{Href: "/v3", Meta: map[string]string{"version": V3Version}},
	}}
}
