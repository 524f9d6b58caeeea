package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/core"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/auth"
	"github.com/berth-dev/berth/shared/dialect"
	"github.com/berth-dev/berth/shared/pattern"
)

// Route is one endpoint. Name is also the folder of its Lambda under
// functions/ and the operationId in the OpenAPI document.
type Route struct {
	Name    string
	Method  string
	Pattern string
	// Starts lists the workflows the route may start, so that its Lambda
	// gets those state machine ARNs, and fails at start-up without them.
	Starts []apps.Workflow
	// Admin routes need the admin role whatever the method.
	Admin bool
	// Secret routes answer with a secret once: an idempotent replay cannot
	// repeat it, since the secret is never stored.
	Secret bool
	// UsageKeys routes issue or withdraw tokens' API Gateway usage plan keys.
	UsageKeys bool
	// Stateless routes store nothing and start nothing, whatever their
	// method: the read role is enough, they write no audit event, an
	// Idempotency-Key is not needed (a repeat gives the same answer), and
	// their function gets no table.
	Stateless bool
	// Registry routes issue container registry logins (Server.Registry).
	Registry bool
	// Compose routes translate docker-compose files (Server.Compose).
	Compose bool
	// Scaling routes read and change scaling policies in Application Auto
	// Scaling (Server.Scaling), at once, as Quant's do.
	Scaling bool
	// Schedules routes keep cron jobs' EventBridge Scheduler schedules
	// (Server.Jobs.Schedules), which start the run-job workflow.
	Schedules bool
	// Logs, Metrics and Shell routes read CloudWatch Logs, CloudWatch
	// metrics, and issue ECS Exec credentials (Server.Logs, .Metrics, .Shell).
	Logs, Metrics, Shell bool
	// Secrets routes write secret values to Secrets Manager
	// (Server.Configuration.Secrets). Their request bodies hold a secret,
	// so an Idempotency-Key's fingerprint leaves the body out.
	Secrets bool
	// Volumes routes create and delete EFS access points
	// (Server.Volumes.AccessPoints).
	Volumes bool
	// Backups routes name the backups bucket (Server.Data.Bucket);
	// Artefacts routes also read or delete its objects
	// (Server.Data.Artefacts).
	Backups, Artefacts bool
	// Writer routes need the write role even for a GET: what they answer
	// gives more than reading does (shell access reads secrets).
	Writer bool
	// Dialect is set on another system's routes (Cloud Foundry, Qovery):
	// their errors take that system's shape, and their organisation comes
	// from the ids in the request, among the token's organisations.
	Dialect *dialect.Dialect
	// Success is the status a mutating route answers when it succeeds: the
	// outcome its audit event carries when written with the change itself.
	Success int
	handler func(*Server, http.ResponseWriter, *http.Request)
	// dialectHandler is a dialect route's handler (handler is nil). It is
	// a plain function value, so that the route's variable is static data
	// the linker drops from a binary that does not name it; a handler made
	// by a call (dialectRoute(h)) would run, and link, in every binary.
	dialectHandler dialect.Handler
}

// serve runs the route's handler.
func (rt Route) serve(s *Server, w http.ResponseWriter, r *http.Request) {
	if rt.dialectHandler != nil {
		dialectRoute(rt.dialectHandler)(s, w, r)
		return
	}
	rt.handler(s, w, r)
}

const (
	orgPath = "/api/v3/organizations/{organisation}"
	envPath = orgPath + "/applications/{application}/environments/{environment}"
	// orgEnvPath is Quant's organisation-level environment path, for commands.
	orgEnvPath = orgPath + "/environments/{environment}"
)

// The endpoints, one variable each, so that a function's main.go names
// its route at compile time and links only that route's handler.
var (
	CreateApplicationRoute = Route{Name: "create-application", Method: http.MethodPost, Pattern: orgPath + "/applications", Starts: []apps.Workflow{apps.ProvisionApplication}, Success: http.StatusCreated, handler: (*Server).createApplication}
	ListApplicationsRoute  = Route{Name: "list-applications", Method: http.MethodGet, Pattern: orgPath + "/applications", handler: (*Server).listApplications}
	// GetEcrLoginRoute's literal segment wins over GetApplicationRoute's
	// {application} (ServeMux and API Gateway both prefer the more specific
	// path), so apps.Reserved keeps ecr-login from naming an application.
	GetEcrLoginRoute              = Route{Name: "get-ecr-login", Method: http.MethodGet, Pattern: orgPath + "/applications/" + apps.EcrLoginSegment, Registry: true, handler: (*Server).getEcrLogin}
	GetApplicationRoute           = Route{Name: "get-application", Method: http.MethodGet, Pattern: orgPath + "/applications/{application}", handler: (*Server).getApplication}
	DeleteApplicationRoute        = Route{Name: "delete-application", Method: http.MethodDelete, Pattern: orgPath + "/applications/{application}", Starts: []apps.Workflow{apps.TeardownApplication}, Success: http.StatusAccepted, handler: (*Server).deleteApplication}
	CreateEnvironmentRoute        = Route{Name: "create-environment", Method: http.MethodPost, Pattern: orgPath + "/applications/{application}/environments", Starts: []apps.Workflow{apps.ProvisionEnvironment}, Success: http.StatusCreated, handler: (*Server).createEnvironment}
	ListEnvironmentsRoute         = Route{Name: "list-environments", Method: http.MethodGet, Pattern: orgPath + "/applications/{application}/environments", handler: (*Server).listEnvironments}
	GetEnvironmentRoute           = Route{Name: "get-environment", Method: http.MethodGet, Pattern: orgPath + "/applications/{application}/environments/{environment}", handler: (*Server).getEnvironment}
	DeleteEnvironmentRoute        = Route{Name: "delete-environment", Method: http.MethodDelete, Pattern: orgPath + "/applications/{application}/environments/{environment}", Starts: []apps.Workflow{apps.TeardownEnvironment}, Success: http.StatusAccepted, handler: (*Server).deleteEnvironment}
	CreateTokenRoute              = Route{Name: "create-token", Method: http.MethodPost, Pattern: orgPath + "/tokens", Admin: true, Secret: true, UsageKeys: true, Success: http.StatusCreated, handler: (*Server).createToken}
	ListTokensRoute               = Route{Name: "list-tokens", Method: http.MethodGet, Pattern: orgPath + "/tokens", Admin: true, handler: (*Server).listTokens}
	RevokeTokenRoute              = Route{Name: "revoke-token", Method: http.MethodDelete, Pattern: orgPath + "/tokens/{token}", Admin: true, UsageKeys: true, Success: http.StatusNoContent, handler: (*Server).revokeToken}
	ListAuditEventsRoute          = Route{Name: "list-audit-events", Method: http.MethodGet, Pattern: orgPath + "/audit-events", Admin: true, handler: (*Server).listAuditEvents}
	UpdateEnvironmentRoute        = Route{Name: "update-environment", Method: http.MethodPut, Pattern: envPath, Starts: []apps.Workflow{apps.DeployEnvironment}, Success: http.StatusAccepted, handler: (*Server).updateEnvironment}
	UpdateEnvironmentStateRoute   = Route{Name: "update-environment-state", Method: http.MethodPut, Pattern: envPath + "/state", Starts: []apps.Workflow{apps.DeployEnvironment}, Success: http.StatusAccepted, handler: (*Server).updateEnvironmentState}
	GetEnvironmentComposeRoute    = Route{Name: "get-environment-compose", Method: http.MethodGet, Pattern: envPath + "/compose", handler: (*Server).getEnvironmentCompose}
	PatchEnvironmentComposeRoute  = Route{Name: "patch-environment-compose", Method: http.MethodPatch, Pattern: envPath + "/compose", Starts: []apps.Workflow{apps.DeployEnvironment}, Success: http.StatusAccepted, handler: (*Server).patchEnvironmentCompose}
	ListContainersRoute           = Route{Name: "list-containers", Method: http.MethodGet, Pattern: envPath + "/containers", handler: (*Server).listContainers}
	UpdateContainerRoute          = Route{Name: "update-container", Method: http.MethodPut, Pattern: envPath + "/containers/{container}", Starts: []apps.Workflow{apps.DeployEnvironment}, Success: http.StatusAccepted, handler: (*Server).updateContainer}
	ListReleasesRoute             = Route{Name: "list-releases", Method: http.MethodGet, Pattern: envPath + "/releases", handler: (*Server).listReleases}
	RollbackReleaseRoute          = Route{Name: "rollback-release", Method: http.MethodPost, Pattern: envPath + "/releases/{release}/rollback", Starts: []apps.Workflow{apps.DeployEnvironment}, Success: http.StatusAccepted, handler: (*Server).rollbackRelease}
	ListDeploymentsRoute          = Route{Name: "list-deployments", Method: http.MethodGet, Pattern: envPath + "/deployments", handler: (*Server).listDeployments}
	CancelDeploymentRoute         = Route{Name: "cancel-deployment", Method: http.MethodDelete, Pattern: envPath + "/deployments/{deployment}", Success: http.StatusAccepted, handler: (*Server).cancelDeployment}
	GetDeploymentRoute            = Route{Name: "get-deployment", Method: http.MethodGet, Pattern: envPath + "/deployments/{deployment}", handler: (*Server).getDeployment}
	GetOperationRoute             = Route{Name: "get-operation", Method: http.MethodGet, Pattern: orgPath + "/operations/{operation}", handler: (*Server).getOperation}
	CancelOperationRoute          = Route{Name: "cancel-operation", Method: http.MethodDelete, Pattern: orgPath + "/operations/{operation}", Success: http.StatusAccepted, handler: (*Server).cancelOperation}
	ListOperationsRoute           = Route{Name: "list-operations", Method: http.MethodGet, Pattern: envPath + "/operations", handler: (*Server).listOperations}
	ListScalingPoliciesRoute      = Route{Name: "list-scaling-policies", Method: http.MethodGet, Pattern: envPath + "/scaling-policies", Scaling: true, handler: (*Server).listScalingPolicies}
	UpsertScalingPolicyRoute      = Route{Name: "upsert-scaling-policy", Method: http.MethodPut, Pattern: envPath + "/scaling-policies", Scaling: true, Success: http.StatusOK, handler: (*Server).upsertScalingPolicy}
	DeleteScalingPolicyRoute      = Route{Name: "delete-scaling-policy", Method: http.MethodDelete, Pattern: envPath + "/scaling-policies", Scaling: true, Success: http.StatusNoContent, handler: (*Server).deleteScalingPolicy}
	ListCommandsRoute             = Route{Name: "list-commands", Method: http.MethodGet, Pattern: orgEnvPath + "/commands", handler: (*Server).listCommands}
	CreateCommandRoute            = Route{Name: "create-command", Method: http.MethodPost, Pattern: orgEnvPath + "/commands", Starts: []apps.Workflow{apps.RunJob}, Success: http.StatusOK, handler: (*Server).createCommand}
	GetCommandRoute               = Route{Name: "get-command", Method: http.MethodGet, Pattern: orgEnvPath + "/commands/{command}", handler: (*Server).getCommand}
	CancelCommandRoute            = Route{Name: "cancel-command", Method: http.MethodDelete, Pattern: orgEnvPath + "/commands/{command}", Success: http.StatusAccepted, handler: (*Server).cancelCommand}
	ListApplicationCommandsRoute  = Route{Name: "list-application-commands", Method: http.MethodGet, Pattern: envPath + "/commands", handler: (*Server).listCommands}
	CreateApplicationCommandRoute = Route{Name: "create-application-command", Method: http.MethodPost, Pattern: envPath + "/commands", Starts: []apps.Workflow{apps.RunJob}, Success: http.StatusOK, handler: (*Server).createCommand}
	GetApplicationCommandRoute    = Route{Name: "get-application-command", Method: http.MethodGet, Pattern: envPath + "/commands/{command}", handler: (*Server).getCommand}
	CancelApplicationCommandRoute = Route{Name: "cancel-application-command", Method: http.MethodDelete, Pattern: envPath + "/commands/{command}", Success: http.StatusAccepted, handler: (*Server).cancelCommand}
	ListCronJobsRoute             = Route{Name: "list-cron-jobs", Method: http.MethodGet, Pattern: envPath + "/cron", handler: (*Server).listCronJobs}
	CreateCronJobRoute            = Route{Name: "create-cron-job", Method: http.MethodPost, Pattern: envPath + "/cron", Schedules: true, Success: http.StatusCreated, handler: (*Server).createCronJob}
	GetCronJobRoute               = Route{Name: "get-cron-job", Method: http.MethodGet, Pattern: envPath + "/cron/{cron}", handler: (*Server).getCronJob}
	UpdateCronJobRoute            = Route{Name: "update-cron-job", Method: http.MethodPatch, Pattern: envPath + "/cron/{cron}", Schedules: true, Success: http.StatusOK, handler: (*Server).updateCronJob}
	DeleteCronJobRoute            = Route{Name: "delete-cron-job", Method: http.MethodDelete, Pattern: envPath + "/cron/{cron}", Schedules: true, Success: http.StatusNoContent, handler: (*Server).deleteCronJob}
	ListCronJobRunsRoute          = Route{Name: "list-cron-job-runs", Method: http.MethodGet, Pattern: envPath + "/cron/{cron}/runs", handler: (*Server).listCronJobRuns}
	GetCronRunRoute               = Route{Name: "get-cron-run", Method: http.MethodGet, Pattern: envPath + "/cron/{cron}/runs/{run}", handler: (*Server).getCronRun}
	GetEnvironmentLogsRoute       = Route{Name: "get-environment-logs", Method: http.MethodGet, Pattern: envPath + "/logs", Logs: true, handler: (*Server).getEnvironmentLogs}
	GetEnvironmentMetricsRoute    = Route{Name: "get-environment-metrics", Method: http.MethodGet, Pattern: envPath + "/metrics", Metrics: true, handler: (*Server).getEnvironmentMetrics}
	GetSshAccessCredentialsRoute  = Route{Name: "get-ssh-access-credentials", Method: http.MethodGet, Pattern: envPath + "/ssh-access", Shell: true, Writer: true, handler: (*Server).getSshAccess}
	ListVariablesRoute            = Route{Name: "list-variables", Method: http.MethodGet, Pattern: envPath + "/variables", handler: (*Server).listVariables}
	ReplaceVariablesRoute         = Route{Name: "replace-variables", Method: http.MethodPut, Pattern: envPath + "/variables", Starts: []apps.Workflow{apps.DeployEnvironment}, Success: http.StatusAccepted, handler: (*Server).replaceVariables}
	SetVariableRoute              = Route{Name: "set-variable", Method: http.MethodPut, Pattern: envPath + "/variables/{variable}", Starts: []apps.Workflow{apps.DeployEnvironment}, Success: http.StatusAccepted, handler: (*Server).setVariable}
	DeleteVariableRoute           = Route{Name: "delete-variable", Method: http.MethodDelete, Pattern: envPath + "/variables/{variable}", Starts: []apps.Workflow{apps.DeployEnvironment}, Success: http.StatusAccepted, handler: (*Server).deleteVariable}
	ListSecretsRoute              = Route{Name: "list-secrets", Method: http.MethodGet, Pattern: envPath + "/secrets", handler: (*Server).listSecrets}
	SetSecretRoute                = Route{Name: "set-secret", Method: http.MethodPut, Pattern: envPath + "/secrets/{secret}", Starts: []apps.Workflow{apps.DeployEnvironment}, Secrets: true, Success: http.StatusAccepted, handler: (*Server).setSecret}
	DeleteSecretRoute             = Route{Name: "delete-secret", Method: http.MethodDelete, Pattern: envPath + "/secrets/{secret}", Starts: []apps.Workflow{apps.DeployEnvironment}, Secrets: true, Success: http.StatusAccepted, handler: (*Server).deleteSecret}
	ListVolumesRoute              = Route{Name: "list-volumes", Method: http.MethodGet, Pattern: envPath + "/volumes", handler: (*Server).listVolumes}
	CreateVolumeRoute             = Route{Name: "create-volume", Method: http.MethodPost, Pattern: envPath + "/volumes", Volumes: true, Success: http.StatusCreated, handler: (*Server).createVolume}
	GetVolumeRoute                = Route{Name: "get-volume", Method: http.MethodGet, Pattern: envPath + "/volumes/{volume}", handler: (*Server).getVolume}
	DeleteVolumeRoute             = Route{Name: "delete-volume", Method: http.MethodDelete, Pattern: envPath + "/volumes/{volume}", Volumes: true, Success: http.StatusNoContent, handler: (*Server).deleteVolume}
	ListBackupsRoute              = Route{Name: "list-backups", Method: http.MethodGet, Pattern: envPath + "/backups/{type}", handler: (*Server).listBackups}
	CreateBackupRoute             = Route{Name: "create-backup", Method: http.MethodPost, Pattern: envPath + "/backups/{type}", Starts: []apps.Workflow{apps.DataOperation}, Backups: true, Success: http.StatusAccepted, handler: (*Server).createBackup}
	DeleteBackupRoute             = Route{Name: "delete-backup", Method: http.MethodDelete, Pattern: envPath + "/backups/{type}/{backupId}", Backups: true, Artefacts: true, Success: http.StatusOK, handler: (*Server).deleteBackup}
	DownloadBackupRoute           = Route{Name: "download-backup", Method: http.MethodGet, Pattern: envPath + "/backups/{type}/{backupId}/download", Backups: true, Artefacts: true, handler: (*Server).downloadBackup}
	RestoreDatabaseRoute          = Route{Name: "restore-database", Method: http.MethodPost, Pattern: envPath + "/backups/{backupId}/restore-database", Starts: []apps.Workflow{apps.DataOperation}, Success: http.StatusAccepted, handler: (*Server).restoreDatabase}
	RestoreFilesystemRoute        = Route{Name: "restore-filesystem", Method: http.MethodPost, Pattern: envPath + "/backups/{backupId}/restore-filesystem", Starts: []apps.Workflow{apps.DataOperation}, Success: http.StatusAccepted, handler: (*Server).restoreFilesystem}
	GetRestoreStatusRoute         = Route{Name: "get-restore-status", Method: http.MethodGet, Pattern: envPath + "/restores/{restoreId}", handler: (*Server).getRestoreStatus}
	ListSyncOperationsRoute       = Route{Name: "list-sync-operations", Method: http.MethodGet, Pattern: envPath + "/sync/{type}", handler: (*Server).listSyncOperations}
	SyncToEnvironmentRoute        = Route{Name: "sync-to-environment", Method: http.MethodPost, Pattern: envPath + "/sync/{type}", Starts: []apps.Workflow{apps.DataOperation}, Backups: true, Success: http.StatusAccepted, handler: (*Server).syncToEnvironment}
	ValidateComposeRoute          = Route{Name: "validate-compose", Method: http.MethodPost, Pattern: orgPath + "/compose/validate", Stateless: true, Compose: true, Success: http.StatusOK, handler: (*Server).validateCompose}
)

// Routes is every endpoint of the API. It is a function, not a variable,
// so that a binary that never calls it links no handler it does not name.
func Routes() []Route {
	return slices.Concat(quantRoutes(), cfv3Routes(), cfv2Routes(), qoveryRoutes())
}

// quantRoutes are Berth's own API, in Quant's shape (docs/openapi.yaml).
func quantRoutes() []Route {
	return []Route{
		CreateApplicationRoute,
		ListApplicationsRoute,
		GetEcrLoginRoute,
		GetApplicationRoute,
		DeleteApplicationRoute,
		CreateEnvironmentRoute,
		ListEnvironmentsRoute,
		GetEnvironmentRoute,
		DeleteEnvironmentRoute,
		CreateTokenRoute,
		ListTokensRoute,
		RevokeTokenRoute,
		ListAuditEventsRoute,
		ValidateComposeRoute,
		UpdateEnvironmentRoute,
		UpdateEnvironmentStateRoute,
		GetEnvironmentComposeRoute,
		PatchEnvironmentComposeRoute,
		ListContainersRoute,
		UpdateContainerRoute,
		ListReleasesRoute,
		RollbackReleaseRoute,
		ListDeploymentsRoute,
		GetDeploymentRoute,
		CancelDeploymentRoute,
		GetOperationRoute,
		CancelOperationRoute,
		ListOperationsRoute,
		ListScalingPoliciesRoute,
		UpsertScalingPolicyRoute,
		DeleteScalingPolicyRoute,
		ListCommandsRoute,
		CreateCommandRoute,
		GetCommandRoute,
		CancelCommandRoute,
		ListApplicationCommandsRoute,
		CreateApplicationCommandRoute,
		GetApplicationCommandRoute,
		CancelApplicationCommandRoute,
		ListCronJobsRoute,
		CreateCronJobRoute,
		GetCronJobRoute,
		UpdateCronJobRoute,
		DeleteCronJobRoute,
		ListCronJobRunsRoute,
		GetCronRunRoute,
		GetEnvironmentLogsRoute,
		GetEnvironmentMetricsRoute,
		GetSshAccessCredentialsRoute,
		ListVariablesRoute,
		ReplaceVariablesRoute,
		SetVariableRoute,
		DeleteVariableRoute,
		ListSecretsRoute,
		SetSecretRoute,
		DeleteSecretRoute,
		ListVolumesRoute,
		CreateVolumeRoute,
		GetVolumeRoute,
		DeleteVolumeRoute,
		ListBackupsRoute,
		DownloadBackupRoute,
		CreateBackupRoute,
		RestoreDatabaseRoute,
		RestoreFilesystemRoute,
		GetRestoreStatusRoute,
		SyncToEnvironmentRoute,
		ListSyncOperationsRoute,
		DeleteBackupRoute,
	}
}

// Needs is the role a token needs for the route.
func (rt Route) Needs() auth.Role {
	if rt.Stateless && !rt.Admin {
		return auth.RoleRead
	}
	if rt.Writer && !rt.Admin {
		return auth.RoleWrite
	}
	return auth.Needs(rt.Method, rt.Admin)
}

// FindRoute returns the route with the given name.
func FindRoute(name string) (Route, error) {
	routes := Routes()
	i := slices.IndexFunc(routes, func(r Route) bool { return r.Name == name })
	if i < 0 {
		return Route{}, fmt.Errorf("no route named %q", name)
	}
	return routes[i], nil
}

// otherMethods are the methods a mounted path answers 405 to when no route
// serves them there. They are named one by one, not caught by a pattern
// without a method: such a pattern on a literal path (applications/ecr-login)
// would conflict in http.ServeMux with a method's pattern on the wildcard
// path beside it (GET applications/{application}). HEAD is not among them:
// a GET pattern, a route's or a 405's, answers HEAD too, and a HEAD
// pattern of its own would conflict with a GET pattern whose path is more
// specific (HEAD backups/{type}/{backupId}, GET
// backups/{backupId}/restore-database).
var otherMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut,
	http.MethodPatch, http.MethodDelete, http.MethodOptions, http.MethodTrace}

// Mount registers routes on mux, each behind the logging and recovery
// middleware. Other methods on a mounted path get a 405 problem.
func (s *Server) Mount(mux *http.ServeMux, log *slog.Logger, routes ...Route) {
	allowed := map[string][]string{}
	dialects := map[string]*dialect.Dialect{}
	for _, rt := range routes {
		mux.Handle(rt.Method+" "+muxPattern(rt.Pattern), withEdge(log, rt.Name, withDialect(rt.Dialect, s.guard(rt, func(w http.ResponseWriter, r *http.Request) { rt.serve(s, w, r) }))))
		allowed[rt.Pattern] = append(allowed[rt.Pattern], rt.Method)
		dialects[rt.Pattern] = rt.Dialect
	}
	for pattern, methods := range allowed {
		allow := strings.Join(methods, ", ")
		h := withEdge(log, "method-not-allowed", withDialect(dialects[pattern], func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			writeProblem(w, r, kindMethod, fmt.Sprintf("%s is not allowed here; use %s.", r.Method, allow), nil)
		}))
		for _, m := range otherMethods {
			if !slices.Contains(methods, m) {
				mux.Handle(m+" "+muxPattern(pattern), h)
			}
		}
	}
}

// muxPattern is a route's path as http.ServeMux reads it: "/" alone (CF's
// global root) is "/{$}", since "/" there would match every path.
func muxPattern(pattern string) string {
	if pattern == "/" {
		return "/{$}"
	}
	return pattern
}

// localAuthorizerRequest is the TOKEN authorizer event API Gateway would
// send for r.
func localAuthorizerRequest(r *http.Request) events.APIGatewayCustomAuthorizerRequest {
	return events.APIGatewayCustomAuthorizerRequest{
		Type:               "TOKEN",
		AuthorizationToken: r.Header.Get("Authorization"),
		MethodArn:          "arn:aws:execute-api:local:000000000000:berth/local/" + r.Method + r.URL.Path,
	}
}

// NoRoute answers paths no route matches.
func NoRoute(log *slog.Logger) http.Handler { return noRoute(log, nil) }

// NoRouteOf is NoRoute for a server of routes (the local stack's, which
// has every route): a path under a dialect's own top segment (/v2, /v3,
// Qovery's /container...) gets that dialect's 404. A function's binary
// uses NoRoute, so that it links no other route's handler: API Gateway
// sends it only its own route's path.
func NoRouteOf(log *slog.Logger, routes []Route) http.Handler {
	return noRoute(log, dialectsByTopSegment(routes))
}

func noRoute(log *slog.Logger, byTop map[string]*dialect.Dialect) http.Handler {
	return withEdge(log, "no-route", func(w http.ResponseWriter, r *http.Request) {
		top, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		withDialect(byTop[top], func(w http.ResponseWriter, r *http.Request) {
			writeProblem(w, r, kindNoRoute, fmt.Sprintf("No route matches %s %s.", r.Method, r.URL.Path), nil)
		})(w, r)
	})
}

// dialectsByTopSegment maps a path's first segment to the dialect whose
// routes alone start with it.
func dialectsByTopSegment(routes []Route) map[string]*dialect.Dialect {
	out, shared := map[string]*dialect.Dialect{}, map[string]bool{}
	for _, rt := range routes {
		top, _, _ := strings.Cut(strings.TrimPrefix(rt.Pattern, "/"), "/")
		if d, ok := out[top]; (ok && d != rt.Dialect) || (!ok && shared[top]) {
			delete(out, top)
			shared[top] = true
			continue
		}
		out[top] = rt.Dialect
	}
	return out
}

// CanonicalPaths answers a path with "//", "." or ".." segments as
// NoRoute does, where http.ServeMux would redirect it with an HTML 307:
// no route has such a path, and a client following the redirect would
// reach a route it did not name.
func CanonicalPaths(log *slog.Logger, next http.Handler) http.Handler {
	noRoute := NoRoute(log)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		clean := path.Clean(p)
		if strings.HasSuffix(p, "/") && clean != "/" {
			clean += "/"
		}
		if p == "" || clean != p {
			noRoute.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

type ctxKey int

const (
	requestIDKey ctxKey = iota
	errorNoteKey
)

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// noteError hands an error to the edge middleware, which logs it once.
func noteError(ctx context.Context, err error) {
	if note, ok := ctx.Value(errorNoteKey).(*error); ok {
		*note = errors.Join(*note, err)
	}
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

// Flush passes a flush on, so that a followed log stream reaches the
// client as it is written (the local server; API Gateway buffers anyway).
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

var _ http.Flusher = (*statusWriter)(nil)

// Unwrap gives http.ResponseController the writer underneath.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// withEdge gives each request an id, turns a panic into a 500 problem, and
// logs one line per request.
func withEdge(log *slog.Logger, route string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := incomingRequestID(r)
		var noted error
		ctx := context.WithValue(context.WithValue(r.Context(), requestIDKey, id), errorNoteKey, &noted)
		r = r.WithContext(ctx)
		w.Header().Set("X-Request-Id", id)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				noted = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
				if sw.status == 0 {
					writeProblem(sw, r, kindInternal, "Something went wrong on our side. Retry later, quoting the requestId if it persists.", nil)
				}
			}
			attrs := []any{
				slog.String("requestId", id), slog.String("route", route),
				slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.Int("status", sw.status), slog.Duration("duration", time.Since(start)),
			}
			if noted != nil {
				log.ErrorContext(ctx, "request failed", append(attrs, slog.String("error", noted.Error()))...)
				return
			}
			log.InfoContext(ctx, "request", attrs...)
		}()
		h(sw, r)
	})
}

// requestIDRE bounds a caller's X-Request-Id: it ends up in logs and audit keys.
var requestIDRE = pattern.New(`^[A-Za-z0-9-]+$`, 1, 128)

// incomingRequestID prefers API Gateway's request id, then the caller's
// X-Request-Id, then a new one.
func incomingRequestID(r *http.Request) string {
	if gw, ok := core.GetAPIGatewayContextFromContext(r.Context()); ok && gw.RequestID != "" {
		return gw.RequestID
	}
	if id := r.Header.Get("X-Request-Id"); requestIDRE.MatchString(id) {
		return id
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}
