package cfv3

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/dialect"
)

// GetRoot answers GET /v3.
func GetRoot(_ context.Context, _ dialect.Call) (dialect.Reply, error) {
	return ok(root()), nil
}

// GetGlobalRoot answers GET /, where CF clients find the v2 and v3 APIs.
func GetGlobalRoot(_ context.Context, _ dialect.Call) (dialect.Reply, error) {
	return ok(globalRoot()), nil
}

// ListOrganizations answers GET /v3/organizations: the token's.
func ListOrganizations(_ context.Context, c dialect.Call) (dialect.Reply, error) {
	q, err := readQuery(c, "names", "guids")
	if err != nil {
		return dialect.Reply{}, err
	}
	var out []entry[Organization]
	for _, org := range c.Organisations {
		o := organizationView(org)
		if q.match("names", org) && q.match("guids", o.GUID) {
			out = append(out, entry[Organization]{resource: o, guid: o.GUID, name: org})
		}
	}
	return ok(pageOf(q, "/v3/organizations", out)), nil
}

// ListSpaces answers GET /v3/spaces.
func ListSpaces(ctx context.Context, c dialect.Call) (dialect.Reply, error) {
	q, err := readQuery(c, "names", "guids", "organization_guids")
	if err != nil {
		return dialect.Reply{}, err
	}
	var out []entry[Space]
	for _, org := range c.Organisations {
		if !q.match("organization_guids", dialect.OrganisationID(org)) {
			continue
		}
		scopes, err := c.Service.ListScopes(ctx, org)
		if err != nil {
			return dialect.Reply{}, err
		}
		for _, s := range scopes {
			v := spaceView(s)
			if q.match("names", s.Name) && q.match("guids", v.GUID) {
				out = append(out, entry[Space]{resource: v, guid: v.GUID, name: s.Name, created: s.CreatedAt, updated: s.CreatedAt})
			}
		}
	}
	return ok(pageOf(q, "/v3/spaces", out)), nil
}

// CreateSpace answers POST /v3/spaces: a scope in the organization the
// body names, among the token's.
func CreateSpace(ctx context.Context, c dialect.Call) (dialect.Reply, error) {
	var r SpaceRequest
	if err := dialect.Decode(c.Body, &r); err != nil {
		return dialect.Reply{}, err
	}
	name, guid, err := r.Check()
	if err != nil {
		return dialect.Reply{}, err
	}
	i := slices.IndexFunc(c.Organisations, func(o string) bool { return dialect.OrganisationID(o) == guid })
	if i < 0 {
		return dialect.Reply{}, notFound("Organization", guid)
	}
	org := c.Organisations[i]
	c.Acting(org)
	s, err := c.Service.CreateScope(ctx, org, "name", name)
	if err != nil {
		return dialect.Reply{}, err
	}
	v := spaceView(s)
	return dialect.Reply{Status: http.StatusCreated, Body: v, Location: v.Links["self"].Href}, nil
}

// CreateApp answers POST /v3/apps: a STOPPED app in the space the body
// names.
func CreateApp(ctx context.Context, c dialect.Call) (dialect.Reply, error) {
	r, err := DecodeApp(c.Body)
	if err != nil {
		return dialect.Reply{}, err
	}
	spec, err := r.Spec()
	if err != nil {
		return dialect.Reply{}, err
	}
	scope, err := c.Service.FindScope(ctx, c.Organisations, r.SpaceGUID())
	if errors.Is(err, apps.ErrNotFound) {
		return dialect.Reply{}, notFound("Space", r.SpaceGUID())
	}
	if err != nil {
		return dialect.Reply{}, err
	}
	c.Acting(scope.Organisation)
	w, err := c.Service.Create(ctx, scope, spec)
	if err != nil {
		return dialect.Reply{}, rename(err, specFields(spec))
	}
	v := appView(w)
	return dialect.Reply{Status: http.StatusCreated, Body: v, Location: v.Links["self"].Href}, nil
}

// ListApps answers GET /v3/apps.
func ListApps(ctx context.Context, c dialect.Call) (dialect.Reply, error) {
	q, err := readQuery(c, "names", "guids", "space_guids", "organization_guids")
	if err != nil {
		return dialect.Reply{}, err
	}
	var out []entry[App]
	for _, org := range c.Organisations {
		if !q.match("organization_guids", dialect.OrganisationID(org)) {
			continue
		}
		ws, err := c.Service.Workloads(ctx, org)
		if err != nil {
			return dialect.Reply{}, err
		}
		for _, w := range ws {
			if q.match("names", w.Name()) && q.match("guids", w.ID()) && q.match("space_guids", w.Scope().ID()) {
				out = append(out, entry[App]{resource: appView(w), guid: w.ID(), name: w.Name(), created: w.Env.CreatedAt, updated: w.Env.UpdatedAt})
			}
		}
	}
	return ok(pageOf(q, "/v3/apps", out)), nil
}

// GetApp answers GET /v3/apps/:guid.
func GetApp(ctx context.Context, c dialect.Call) (dialect.Reply, error) {
	w, err := findApp(ctx, c, "guid")
	if err != nil {
		return dialect.Reply{}, err
	}
	return ok(appView(w)), nil
}

// UpdateApp answers PATCH /v3/apps/:guid: a change of lifecycle (a
// buildpack app may take a docker image), deployed as a release.
func UpdateApp(ctx context.Context, c dialect.Call) (dialect.Reply, error) {
	r, err := DecodeApp(c.Body)
	if err != nil {
		return dialect.Reply{}, err
	}
	w, err := findApp(ctx, c, "guid")
	if err != nil {
		return dialect.Reply{}, err
	}
	ch, err := r.Change(w)
	if err != nil {
		return dialect.Reply{}, err
	}
	if ch != nil {
		if w, err = c.Service.Update(ctx, w, c.By, *ch); err != nil {
			return dialect.Reply{}, rename(err, processFields)
		}
	}
	return ok(appView(w)), nil
}

// DeleteApp answers DELETE /v3/apps/:guid: 202, and a job to follow.
func DeleteApp(ctx context.Context, c dialect.Call) (dialect.Reply, error) {
	w, err := findApp(ctx, c, "guid")
	if err != nil {
		return dialect.Reply{}, err
	}
	if err := c.Service.Delete(ctx, w); err != nil {
		return dialect.Reply{}, err
	}
	return dialect.Reply{Status: http.StatusAccepted, Location: "/v3/jobs/" + JobGUID(w)}, nil
}

// StartApp answers POST /v3/apps/:guid/actions/start. A buildpack app
// cannot start: Berth does not stage source.
func StartApp(ctx context.Context, c dialect.Call) (dialect.Reply, error) {
	return setState(ctx, c, true)
}

// StopApp answers POST /v3/apps/:guid/actions/stop.
func StopApp(ctx context.Context, c dialect.Call) (dialect.Reply, error) {
	return setState(ctx, c, false)
}

func setState(ctx context.Context, c dialect.Call, started bool) (dialect.Reply, error) {
	w, err := findApp(ctx, c, "guid")
	if err != nil {
		return dialect.Reply{}, err
	}
	if started {
		if err := startable(w); err != nil {
			return dialect.Reply{}, err
		}
	}
	if w, err = c.Service.SetState(ctx, w, c.By, started); err != nil {
		return dialect.Reply{}, err
	}
	return ok(appViewAs(w, started)), nil
}

// RestartApp answers POST /v3/apps/:guid/actions/restart: a started app's
// tasks roll over on its release; a stopped app starts.
func RestartApp(ctx context.Context, c dialect.Call) (dialect.Reply, error) {
	w, err := findApp(ctx, c, "guid")
	if err != nil {
		return dialect.Reply{}, err
	}
	if err := startable(w); err != nil {
		return dialect.Reply{}, err
	}
	if w.Started() {
		w, err = c.Service.Redeploy(ctx, w, c.By)
	} else {
		w, err = c.Service.SetState(ctx, w, c.By, true)
	}
	if err != nil {
		return dialect.Reply{}, err
	}
	return ok(appViewAs(w, true)), nil
}

// startable refuses to start a buildpack app, saying how to run one.
func startable(w dialect.Workload) error {
	if _, pack, ok := placeholder(image(w)); ok {
		with := ""
		if pack != "" {
			with = " with buildpack " + pack
		}
		return unprocessable("App %s has a buildpack lifecycle%s, and staging apps from source with buildpacks is not supported by Berth, which runs container images. "+
			"Give it an image with PATCH /v3/apps/%s {\"lifecycle\":{\"type\":\"docker\",\"data\":{\"image\":\"<image>\"}}}, "+
			"or create the app with a docker lifecycle: POST /v3/apps {\"name\":...,\"lifecycle\":{\"type\":\"docker\",\"data\":{\"image\":\"<image>\"}},\"relationships\":{\"space\":{\"data\":{\"guid\":...}}}}",
			w.Name(), with, w.ID())
	}
	return nil
}

// GetEnvironmentVariables answers GET /v3/apps/:guid/environment_variables.
func GetEnvironmentVariables(ctx context.Context, c dialect.Call) (dialect.Reply, error) {
	w, err := findApp(ctx, c, "guid")
	if err != nil {
		return dialect.Reply{}, err
	}
	return ok(varsView(w)), nil
}

// UpdateEnvironmentVariables answers PATCH
// /v3/apps/:guid/environment_variables: the sent variables merged over
// the app's, a null deleting one, deployed as a release.
func UpdateEnvironmentVariables(ctx context.Context, c dialect.Call) (dialect.Reply, error) {
	var r VarsRequest
	if err := dialect.Decode(c.Body, &r); err != nil {
		return dialect.Reply{}, err
	}
	w, err := findApp(ctx, c, "guid")
	if err != nil {
		return dialect.Reply{}, err
	}
	vars, err := r.Merge(w.Env.Variables)
	if err != nil {
		return dialect.Reply{}, err
	}
	fields := varFields(vars, map[string]string{}, "environment_variables", "variables", "environment")
	for k, v := range fields {
		fields[k] = "var" + strings.TrimPrefix(v, "environment_variables")
	}
	if w, err = c.Service.Update(ctx, w, c.By, dialect.Change{Variables: &vars, Field: "environment_variables"}); err != nil {
		return dialect.Reply{}, rename(err, fields)
	}
	return ok(varsView(w)), nil
}

// ListProcesses answers GET /v3/apps/:guid/processes: the app's one, web.
func ListProcesses(ctx context.Context, c dialect.Call) (dialect.Reply, error) {
	q, err := readQuery(c, "types")
	if err != nil {
		return dialect.Reply{}, err
	}
	w, err := findApp(ctx, c, "guid")
	if err != nil {
		return dialect.Reply{}, err
	}
	var out []entry[Process]
	if q.match("types", ProcessWeb) {
		p := processView(w)
		out = append(out, entry[Process]{resource: p, guid: p.GUID, name: p.Type, created: w.Env.CreatedAt, updated: w.Env.UpdatedAt})
	}
	return ok(pageOf(q, appPath(w.ID())+"/processes", out)), nil
}

// GetProcess answers GET /v3/processes/:guid: an app's web process has
// the app's guid.
func GetProcess(ctx context.Context, c dialect.Call) (dialect.Reply, error) {
	w, err := findProcess(ctx, c)
	if err != nil {
		return dialect.Reply{}, err
	}
	return ok(processView(w)), nil
}

// ScaleProcess answers POST /v3/processes/:guid/actions/scale.
func ScaleProcess(ctx context.Context, c dialect.Call) (dialect.Reply, error) {
	var r ScaleRequest
	if err := dialect.Decode(c.Body, &r); err != nil {
		return dialect.Reply{}, err
	}
	ch, err := r.Change()
	if err != nil {
		return dialect.Reply{}, err
	}
	w, err := findProcess(ctx, c)
	if err != nil {
		return dialect.Reply{}, err
	}
	if ch != nil {
		if w, err = c.Service.Update(ctx, w, c.By, *ch); err != nil {
			return dialect.Reply{}, rename(err, processFields)
		}
	}
	return dialect.Reply{Status: http.StatusAccepted, Body: processView(w)}, nil
}

func findProcess(ctx context.Context, c dialect.Call) (dialect.Workload, error) {
	w, err := c.Service.FindWorkload(ctx, c.Organisations, c.Path("guid"))
	if errors.Is(err, apps.ErrNotFound) {
		return dialect.Workload{}, notFound("Process", c.Path("guid"))
	}
	if err == nil {
		c.Acting(w.App.Organisation)
	}
	return w, err
}

// JobGUID is the guid of a workload's deletion: its organisation,
// application and environment, so that GET /v3/jobs/:guid reads the
// deletion's progress from the records themselves, with no job record.
func JobGUID(w dialect.Workload) string {
	return "app-delete~" + base64.RawURLEncoding.EncodeToString([]byte(w.App.Organisation+"\x00"+w.App.Name+"\x00"+w.Env.Name))
}

// jobTarget reads a job guid back, if it is one of JobGUID's.
func jobTarget(guid string) (org, app, env string, ok bool) {
	rest, ok := strings.CutPrefix(guid, "app-delete~")
	if !ok {
		return "", "", "", false
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return "", "", "", false
	}
	parts := strings.Split(string(b), "\x00")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[2], true
}

// GetJob answers GET /v3/jobs/:guid: PROCESSING while the app (Berth's
// environment, or application with its first one) is DELETING, COMPLETE
// once it is gone, FAILED when it is there and not being deleted (a
// teardown that failed leaves it so).
func GetJob(ctx context.Context, c dialect.Call) (dialect.Reply, error) {
	guid := c.Path("guid")
	org, app, env, found := jobTarget(guid)
	if !found || !slices.Contains(c.Organisations, org) {
		return dialect.Reply{}, notFound("Job", guid)
	}
	c.Acting(org)
	job := Job{GUID: guid, Operation: "app.delete", State: JobComplete, Errors: []Error{}, Warnings: []any{},
		Links: map[string]Link{"self": {Href: "/v3/jobs/" + guid}}}
	a, envs, err := c.Service.Apps.GetApplication(ctx, org, app)
	if err != nil && !errors.Is(err, apps.ErrNotFound) {
		return dialect.Reply{}, err
	}
	if err == nil {
		if i := slices.IndexFunc(envs, func(e apps.Environment) bool { return e.Name == env }); i >= 0 {
			e := envs[i]
			created, at := e.CreatedAt.UTC(), e.UpdatedAt.UTC()
			job.CreatedAt, job.UpdatedAt = &created, &at
			switch {
			case e.Status == apps.StatusDeleting || a.Status == apps.StatusDeleting:
				job.State = JobProcessing
			default:
				job.State = JobFailed
				job.Errors = []Error{{Code: 10008, Title: "CF-UnprocessableEntity",
					Detail: fmt.Sprintf("The app is not being deleted: environment %q of application %q is %s; delete it again", env, app, e.Status)}}
			}
		}
	}
	return ok(job), nil
}

func findApp(ctx context.Context, c dialect.Call, param string) (dialect.Workload, error) {
	guid := c.Path(param)
	w, err := c.Service.FindWorkload(ctx, c.Organisations, guid)
	if errors.Is(err, apps.ErrNotFound) {
		return dialect.Workload{}, notFound("App", guid)
	}
	if err != nil {
		return dialect.Workload{}, err
	}
	c.Acting(w.App.Organisation)
	return w, nil
}

func notFound(kind, guid string) error {
	return refusal(http.StatusNotFound, "not-found", "Not found", kind+" not found: "+guid)
}

func unprocessable(format string, args ...any) error {
	return refusal(http.StatusUnprocessableEntity, SlugUnprocessable, "Unprocessable entity", sprintf(format, args...))
}

func refusal(status int, slug, title, detail string) error {
	return &dialect.Refusal{Status: status, Slug: slug, Title: title, Detail: detail}
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func ok(body any) dialect.Reply { return dialect.Reply{Status: http.StatusOK, Body: body} }
