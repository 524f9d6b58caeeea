// Package api serves Berth's HTTP API: plain net/http handlers that parse a
// request, call the apps use cases and write JSON. The same handlers run in
// Lambda (through aws-lambda-go-api-proxy) and on the local server.
package api

import (
	"encoding/json"
	"errors"
	"github.com/awslabs/aws-lambda-go-api-proxy/core"
	"net/http"
	"strings"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/audit"
	"github.com/berth-dev/berth/shared/composefile"
	"github.com/berth-dev/berth/shared/configuration"
	"github.com/berth-dev/berth/shared/data"
	"github.com/berth-dev/berth/shared/deploy"
	"github.com/berth-dev/berth/shared/dialect"
	"github.com/berth-dev/berth/shared/idempotency"
	"github.com/berth-dev/berth/shared/jobs"
	"github.com/berth-dev/berth/shared/logs"
	"github.com/berth-dev/berth/shared/metrics"
	"github.com/berth-dev/berth/shared/operations"
	"github.com/berth-dev/berth/shared/registry"
	"github.com/berth-dev/berth/shared/scaling"
	"github.com/berth-dev/berth/shared/shell"
	"github.com/berth-dev/berth/shared/usage"
	"github.com/berth-dev/berth/shared/validation"
	"github.com/berth-dev/berth/shared/volumes"
)

// Server holds what the handlers need.
type Server struct {
	Apps         *apps.Service
	Deploy       *deploy.Service
	Jobs         *jobs.Service
	Operations   *operations.Service
	Tokens       TokenStore
	UsageKeys    usage.Keys
	Audit        audit.Log
	Idempotency  idempotency.Store
	Authenticate Authenticate
	// Registry issues container registry logins; nil but for the routes
	// that do (Route.Registry).
	Registry registry.Credentials
	// Compose translates docker-compose files; nil but for the routes that
	// do (Route.Compose), so that no other function links compose-go.
	Compose composefile.Translator
	// Scaling reads and changes environments' scaling policies; nil but
	// for the routes that do (Route.Scaling).
	Scaling *scaling.Service
	// Logs, Metrics and Shell read logs and metrics and issue shell
	// access; nil but for the routes that do (Route.Logs, .Metrics, .Shell).
	Logs    *logs.Service
	Metrics *metrics.Service
	Shell   *shell.Service
	// Configuration changes variables and secrets; its SecretStore is nil
	// but for the routes that write secrets (Route.Secrets).
	Configuration *configuration.Service
	// Volumes are environments' volumes; its AccessPoints is nil but for
	// the routes that create or delete them (Route.Volumes).
	Volumes *volumes.Service
	// Data runs backups, restores and syncs.
	Data *data.Service
	// Dialects serves the other systems' APIs (Cloud Foundry, Qovery).
	Dialects *dialect.Service
	// FollowWindow bounds a followed log stream; api.FollowWindow when zero.
	FollowWindow time.Duration
	// Limiter throttles tokens; nil where API Gateway's usage plans do it.
	Limiter Limiter
	Now     func() time.Time
	// IdempotencyWait bounds how long a repeat waits for a request in
	// flight; idempotency.WaitInFlight when zero.
	IdempotencyWait time.Duration
}

func (s *Server) createApplication(w http.ResponseWriter, r *http.Request) {
	org, err := pathNames(r, "organisation")
	if err != nil {
		fail(w, r, err)
		return
	}
	var req apps.CreateApplicationRequest
	if err := decodeBody(w, r, &req, FieldsWarn); err != nil {
		fail(w, r, err)
		return
	}
	app, envs, err := s.Apps.CreateApplication(r.Context(), org[0], req)
	if err != nil {
		fail(w, r, err)
		return
	}
	w.Header().Set("Location", publicPath(r, applicationPath(app.Organisation, app.Name)))
	writeJSON(w, http.StatusCreated, newApplicationView(app, envs))
}

func (s *Server) listApplications(w http.ResponseWriter, r *http.Request) {
	org, err := pathNames(r, "organisation")
	if err != nil {
		fail(w, r, err)
		return
	}
	page, err := pageRequest(r, applicationsList)
	if err != nil {
		fail(w, r, err)
		return
	}
	res, err := s.Apps.ListApplications(r.Context(), org[0], page)
	if err != nil {
		fail(w, r, err)
		return
	}
	body := []applicationView{}
	for _, a := range res.Items {
		body = append(body, newApplicationView(a, nil))
	}
	setNextLink(w, r, page, encodeToken(applicationsList, res.Next))
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) getApplication(w http.ResponseWriter, r *http.Request) {
	names, err := pathNames(r, "organisation", "application")
	if err != nil {
		fail(w, r, err)
		return
	}
	app, envs, err := s.Apps.GetApplication(r.Context(), names[0], names[1])
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newApplicationView(app, envs))
}

// getEcrLogin answers a login for Berth's container registry, where the
// organisation pushes its internal images.
func (s *Server) getEcrLogin(w http.ResponseWriter, r *http.Request) {
	if _, err := pathNames(r, "organisation"); err != nil {
		fail(w, r, err)
		return
	}
	if s.Registry == nil {
		fail(w, r, errors.New("get-ecr-login: the server has no registry"))
		return
	}
	login, err := s.Registry.Credentials(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newEcrLoginView(login))
}

func (s *Server) deleteApplication(w http.ResponseWriter, r *http.Request) {
	names, err := pathNames(r, "organisation", "application")
	if err != nil {
		fail(w, r, err)
		return
	}
	app, envs, err := s.Apps.DeleteApplication(r.Context(), names[0], names[1])
	if err != nil {
		fail(w, r, err)
		return
	}
	// Teardown goes on in the background: poll its operation (or the record until 404).
	setOperation(w, r, app.Organisation, operations.Of(apps.TeardownApplication, app.Name, "", app.UID))
	writeJSON(w, http.StatusAccepted, newApplicationView(app, envs))
}

func (s *Server) createEnvironment(w http.ResponseWriter, r *http.Request) {
	names, err := pathNames(r, "organisation", "application")
	if err != nil {
		fail(w, r, err)
		return
	}
	var req apps.CreateEnvironmentRequest
	if err := decodeBody(w, r, &req, FieldsWarn); err != nil {
		fail(w, r, err)
		return
	}
	env, err := s.Apps.CreateEnvironment(r.Context(), names[0], names[1], req)
	if err != nil {
		fail(w, r, err)
		return
	}
	w.Header().Set("Location", publicPath(r, applicationPath(env.Organisation, env.Application)+"/environments/"+env.Name))
	writeJSON(w, http.StatusCreated, newEnvironmentView(env))
}

func (s *Server) listEnvironments(w http.ResponseWriter, r *http.Request) {
	names, err := pathNames(r, "organisation", "application")
	if err != nil {
		fail(w, r, err)
		return
	}
	page, err := pageRequest(r, environmentsList)
	if err != nil {
		fail(w, r, err)
		return
	}
	res, err := s.Apps.ListEnvironments(r.Context(), names[0], names[1], page)
	if err != nil {
		fail(w, r, err)
		return
	}
	body := []environmentSummary{}
	for _, e := range res.Items {
		body = append(body, newEnvironmentSummary(e))
	}
	setNextLink(w, r, page, encodeToken(environmentsList, res.Next))
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) getEnvironment(w http.ResponseWriter, r *http.Request) {
	names, err := pathNames(r, "organisation", "application", "environment")
	if err != nil {
		fail(w, r, err)
		return
	}
	env, err := s.Apps.GetEnvironment(r.Context(), names[0], names[1], names[2])
	if err != nil {
		fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(env.Version))
	writeJSON(w, http.StatusOK, newEnvironmentView(env))
}

func (s *Server) deleteEnvironment(w http.ResponseWriter, r *http.Request) {
	names, err := pathNames(r, "organisation", "application", "environment")
	if err != nil {
		fail(w, r, err)
		return
	}
	env, err := s.Apps.DeleteEnvironment(r.Context(), names[0], names[1], names[2])
	if err != nil {
		fail(w, r, err)
		return
	}
	// Teardown goes on in the background: poll its operation (or the record until 404).
	setOperation(w, r, env.Organisation, operations.Of(apps.TeardownEnvironment, env.Application, env.Name, env.UID))
	writeJSON(w, http.StatusAccepted, newEnvironmentView(env))
}

func applicationPath(org, app string) string {
	return "/api/v3/organizations/" + org + "/applications/" + app
}

func environmentPath(org, app, env string) string {
	return applicationPath(org, app) + "/environments/" + env
}

// publicPath is p as the caller addresses it. Behind an API Gateway stage
// (or a custom domain's base path), the request context's path has a
// prefix that the resource path lacks: /v3/api/v3/... for /api/v3/....
func publicPath(r *http.Request, p string) string {
	if gw, ok := core.GetAPIGatewayContextFromContext(r.Context()); ok && strings.HasSuffix(gw.Path, r.URL.Path) {
		return strings.TrimSuffix(gw.Path, r.URL.Path) + p
	}
	return p
}

// pathNames reads and checks the named path parameters, in order.
func pathNames(r *http.Request, params ...string) ([]string, error) {
	errs := validation.Errors{}
	out := make([]string, len(params))
	for i, p := range params {
		out[i] = r.PathValue(p)
		switch {
		case p == "organisation" && !apps.ValidOrganisation(out[i]):
			errs.Add(p, "must be 1 to 63 characters of a-z, 0-9 and -, starting and ending with a letter or digit")
		case p != "organisation":
			apps.CheckName(errs, p, out[i])
		}
	}
	if len(errs) > 0 {
		return nil, invalid(errs)
	}
	return out, nil
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(body) // the client has gone if this fails; nothing to do
}
