package cfv2

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/dialect"
	"github.com/berth-dev/berth/shared/validation"
)

// GetInfo answers GET /v2/info.
func GetInfo(_ context.Context, _ dialect.Call) (dialect.Reply, error) {
	return dialect.Reply{Status: http.StatusOK, Body: Info{
		Name: "berth", Build: "berth", Support: "https://github.com/berth-dev/berth", Version: 2,
		Description: "Berth, speaking Cloud Foundry's v2 API", APIVersion: APIVersion,
	}}, nil
}

// APIVersion is the CF v2 API version Berth answers as.
const APIVersion = "2.100.0"

// ListOrganizations answers GET /v2/organizations: the token's.
func ListOrganizations(_ context.Context, c dialect.Call) (dialect.Reply, error) {
	q, err := readQuery(c, "name")
	if err != nil {
		return dialect.Reply{}, err
	}
	var out []Resource[Organization]
	for _, org := range c.Organisations {
		if q.match("name", org) {
			out = append(out, organizationResource(org))
		}
	}
	return ok(pageOf(q, "/v2/organizations", out)), nil
}

// ListSpaces answers GET /v2/spaces.
func ListSpaces(ctx context.Context, c dialect.Call) (dialect.Reply, error) {
	q, err := readQuery(c, "name", "organization_guid")
	if err != nil {
		return dialect.Reply{}, err
	}
	var out []Resource[Space]
	for _, org := range c.Organisations {
		if !q.match("organization_guid", dialect.OrganisationID(org)) {
			continue
		}
		scopes, err := c.Service.ListScopes(ctx, org)
		if err != nil {
			return dialect.Reply{}, err
		}
		for _, s := range scopes {
			if q.match("name", s.Name) {
				out = append(out, spaceResource(s))
			}
		}
	}
	return ok(pageOf(q, "/v2/spaces", out)), nil
}

// SpaceRequest is the body of POST /v2/spaces.
type SpaceRequest struct {
	Name             *string `json:"name"`
	OrganizationGUID *string `json:"organization_guid"`
}

// Check is the space's name and organization guid, both required.
func (r SpaceRequest) Check() (name, org string, err error) {
	errs := validation.Errors{}
	if r.Name == nil || *r.Name == "" {
		errs.Add("name", "is required")
	}
	if r.OrganizationGUID == nil || *r.OrganizationGUID == "" {
		errs.Add("organization_guid", "is required: the guid of an organization (GET /v2/organizations)")
	}
	if err := errs.Err(); err != nil {
		return "", "", err
	}
	return *r.Name, *r.OrganizationGUID, nil
}

// CreateSpace answers POST /v2/spaces: a scope, named as Berth names
// environments.
func CreateSpace(ctx context.Context, c dialect.Call) (dialect.Reply, error) {
	var r SpaceRequest
	if err := dialect.Decode(c.Body, &r); err != nil {
		return dialect.Reply{}, err
	}
	name, guid, err := r.Check()
	if err != nil {
		return dialect.Reply{}, err
	}
	org, err := organisation(c, guid)
	if err != nil {
		return dialect.Reply{}, err
	}
	c.Acting(org)
	s, err := c.Service.CreateScope(ctx, org, "name", name)
	if err != nil {
		return dialect.Reply{}, err
	}
	res := spaceResource(s)
	return dialect.Reply{Status: http.StatusCreated, Body: res, Location: res.Metadata.URL}, nil
}

func organisation(c dialect.Call, guid string) (string, error) {
	if i := slices.IndexFunc(c.Organisations, func(o string) bool { return dialect.OrganisationID(o) == guid }); i >= 0 {
		return c.Organisations[i], nil
	}
	return "", notFound("organization", guid)
}

// CreateApp answers POST /v2/apps.
func CreateApp(ctx context.Context, c dialect.Call) (dialect.Reply, error) {
	r, err := DecodeApp(c.Body)
	if err != nil {
		return dialect.Reply{}, err
	}
	spec, err := r.Spec()
	if err != nil {
		return dialect.Reply{}, err
	}
	scope, err := c.Service.FindScope(ctx, c.Organisations, *r.SpaceGUID)
	if errors.Is(err, apps.ErrNotFound) {
		return dialect.Reply{}, notFound("space", *r.SpaceGUID)
	} else if err != nil {
		return dialect.Reply{}, err
	}
	c.Acting(scope.Organisation)
	w, err := c.Service.Create(ctx, scope, spec)
	if err != nil {
		return dialect.Reply{}, err
	}
	res := appResource(w)
	return dialect.Reply{Status: http.StatusCreated, Body: res, Location: res.Metadata.URL}, nil
}

// ListApps answers GET /v2/apps.
func ListApps(ctx context.Context, c dialect.Call) (dialect.Reply, error) {
	q, err := readQuery(c, "name", "space_guid", "organization_guid")
	if err != nil {
		return dialect.Reply{}, err
	}
	var out []Resource[App]
	for _, org := range c.Organisations {
		if !q.match("organization_guid", dialect.OrganisationID(org)) {
			continue
		}
		ws, err := c.Service.Workloads(ctx, org)
		if err != nil {
			return dialect.Reply{}, err
		}
		for _, w := range ws {
			if q.match("name", w.Name()) && q.match("space_guid", w.Scope().ID()) {
				out = append(out, appResource(w))
			}
		}
	}
	return ok(pageOf(q, "/v2/apps", out)), nil
}

// GetApp answers GET /v2/apps/:guid.
func GetApp(ctx context.Context, c dialect.Call) (dialect.Reply, error) {
	w, err := findApp(ctx, c)
	if err != nil {
		return dialect.Reply{}, err
	}
	return ok(appResource(w)), nil
}

// GetAppSummary answers GET /v2/apps/:guid/summary.
func GetAppSummary(ctx context.Context, c dialect.Call) (dialect.Reply, error) {
	w, err := findApp(ctx, c)
	if err != nil {
		return dialect.Reply{}, err
	}
	return ok(summary(w)), nil
}

// UpdateApp answers PUT /v2/apps/:guid: a state change, or a change of
// image, size, command, health check and variables, deployed as one.
func UpdateApp(ctx context.Context, c dialect.Call) (dialect.Reply, error) {
	r, err := DecodeApp(c.Body)
	if err != nil {
		return dialect.Reply{}, err
	}
	w, err := findApp(ctx, c)
	if err != nil {
		return dialect.Reply{}, err
	}
	errs := validation.Errors{}
	if r.Name != nil && *r.Name != w.Name() {
		errs.Addf("name", "cannot change: an app keeps the name it was created with (%q)", w.Name())
	}
	if r.SpaceGUID != nil && *r.SpaceGUID != w.Scope().ID() {
		errs.Add("space_guid", "cannot change: an app stays in its space")
	}
	if err := errs.Err(); err != nil {
		return dialect.Reply{}, err
	}
	ch, err := r.Change()
	if err != nil {
		return dialect.Reply{}, err
	}
	started := w.Started()
	if ch != nil {
		w, err = c.Service.Update(ctx, w, c.By, *ch)
	} else if r.State != nil {
		started = *r.State == StateStarted
		w, err = c.Service.SetState(ctx, w, c.By, started)
	}
	if err != nil {
		return dialect.Reply{}, err
	}
	res := appResourceAs(w, started)
	if ch != nil {
		// The answer is the app as asked for: its task count and variables
		// change on the record when the deployment ends.
		if r.Instances != nil {
			res.Entity.Instances = *r.Instances
		}
		if ch.Variables != nil {
			res.Entity.EnvironmentJSON = map[string]string{}
			for _, v := range *ch.Variables {
				res.Entity.EnvironmentJSON[v.Name] = *v.Value
			}
		}
	}
	return dialect.Reply{Status: http.StatusCreated, Body: res, Location: res.Metadata.URL}, nil
}

// DeleteApp answers DELETE /v2/apps/:guid.
func DeleteApp(ctx context.Context, c dialect.Call) (dialect.Reply, error) {
	w, err := findApp(ctx, c)
	if err != nil {
		return dialect.Reply{}, err
	}
	if err := c.Service.Delete(ctx, w); err != nil {
		return dialect.Reply{}, err
	}
	return dialect.Reply{Status: http.StatusNoContent}, nil
}

func findApp(ctx context.Context, c dialect.Call) (dialect.Workload, error) {
	guid := c.Path("guid")
	w, err := c.Service.FindWorkload(ctx, c.Organisations, guid)
	if errors.Is(err, apps.ErrNotFound) {
		return dialect.Workload{}, notFound("app", guid)
	} else if err != nil {
		return dialect.Workload{}, err
	}
	c.Acting(w.App.Organisation)
	return w, nil
}

// notFound is CF v2's 404 of an app, space or organization.
func notFound(kind, guid string) error {
	slug := map[string]string{"app": SlugAppNotFound, "space": SlugSpaceNotFound, "organization": SlugOrganizationNotFound}[kind]
	return &dialect.Refusal{Status: http.StatusNotFound, Slug: slug, Title: "Not found",
		Detail: "The " + kind + " could not be found: " + guid}
}

func ok(body any) dialect.Reply { return dialect.Reply{Status: http.StatusOK, Body: body} }
