package api_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berth-dev/berth/shared/api"
	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/auth"
	"github.com/berth-dev/berth/shared/cfv3"
	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/deploy"
	"github.com/berth-dev/berth/shared/deploy/deploytest"
	"github.com/berth-dev/berth/shared/dialect"
	"github.com/berth-dev/berth/shared/jobs"
	"github.com/berth-dev/berth/shared/localstack"
	"github.com/berth-dev/berth/shared/operations"
	"github.com/berth-dev/berth/shared/store"
	"github.com/berth-dev/berth/shared/volumes"
	"github.com/berth-dev/berth/shared/workflow"
)

// callAs sends a request with the given Authorization header ("" for none).
func callAs(t *testing.T, authorization, method, path string, body any, headers ...string) response {
	t.Helper()
	return call(t, method, path, body, append([]string{"Authorization", authorization}, headers...)...)
}

func bearer(token string) string { return "Bearer " + token }

// tokenID is the id part of a token string.
func tokenID(t *testing.T, token string) string {
	t.Helper()
	id, _, ok := auth.Parse(token)
	if !ok {
		t.Fatalf("not a token: %q", token)
	}
	return id
}

// routeRequest builds a request for a route on org, against the fixtures
// of seedOrg. Creates use a fresh name n so they can repeat.
func routeRequest(t *testing.T, r api.Route, org string, n int) (path string, body any) {
	t.Helper()
	path = strings.NewReplacer(
		"{organisation}", org, "{application}", "my-app", "{environment}", "pr-456",
		"{token}", tokenID(t, tokenFor(t, org, auth.RoleRead)), "{release}", "1", "{deployment}", "1", "{container}", "web",
		"{command}", deploytest.CommandRunID, "{cron}", "nightly", "{run}", deploytest.CronRunID,
		"{variable}", "APP_MODE", "{secret}", "API_KEY", "{volume}", "uploads",
		"{type}", "database", "{backupId}", deploytest.DatabaseBackupID, "{restoreId}", deploytest.RestoreID,
	).Replace(r.Pattern)
	switch r.Name {
	case "create-application":
		b := seed(t, "create-application.json")
		b["appName"] = "app-" + strconv.Itoa(n)
		body = b
	case "create-environment":
		b := seed(t, "create-environment.json")
		b["envName"] = "env-" + strconv.Itoa(n)
		body = b
	case "create-token":
		body = map[string]any{"role": "read"}
	case "validate-compose":
		body = map[string]any{"compose": "services:\n  web:\n    image: nginx:1.27\n    ports: [\"80\"]\n"}
	case "update-environment":
		body = map[string]any{"composeDefinition": map[string]any{"containers": []any{map[string]any{"name": "web",
			"imageReference": map[string]any{"type": "external", "identifier": "nginx:1.27"}}}}}
	case "update-environment-state":
		body = map[string]any{"action": "redeploy"}
	case "patch-environment-compose":
		body = map[string]any{"taskCpu": "512", "taskMemory": "1024"}
	case "update-container":
		body = map[string]any{"name": "web", "imageReference": map[string]any{"type": "external", "identifier": "nginx:1.27"}}
	case "cancel-deployment":
		// The last change's deployment, which runs until the next route's.
		path = strings.TrimSuffix(path, "/1") + "/" + strconv.Itoa(lastDeployment(t, org).LastDeployment)
	case "get-operation", "cancel-operation":
		env := lastDeployment(t, org)
		path = strings.Replace(path, "{operation}", operations.OfDeployment(env, env.LastDeployment).String(), 1)
	case "upsert-scaling-policy":
		body = map[string]any{"metric": "MemoryUtilization", "targetValue": 75}
	case "create-command", "create-application-command":
		body = map[string]any{"command": "echo hello"}
	case "create-cron-job":
		body = map[string]any{"name": "job-" + strconv.Itoa(n), "scheduleExpression": "rate(1 hour)", "command": []string{"true"}}
	case "update-cron-job":
		body = map[string]any{"isEnabled": false}
	case "replace-variables":
		body = map[string]any{"variables": []any{map[string]any{"name": "APP_MODE", "value": "matrix"}, map[string]any{"name": "LOG_LEVEL", "value": "info"}}}
	case "set-variable":
		body = map[string]any{"value": "debug"}
	case "set-secret":
		body = map[string]any{"value": "matrix-secret-value"}
	case "get-ssh-access-credentials":
		runningService(t, org)
	case "create-volume":
		body = map[string]any{"volumeName": "vol-" + strconv.Itoa(n)}
	case "delete-volume":
		finishDeployment(t, org) // a running deployment may mount it
	case "create-backup", "restore-database":
		freeData(t, org)
		body = map[string]any{"backupId": deploytest.DatabaseBackupID, "acknowledgeDataloss": true, "description": "matrix"}
		if r.Name == "create-backup" {
			body = map[string]any{"description": "matrix"}
		}
	case "restore-filesystem":
		freeData(t, org)
		path = strings.Replace(path, deploytest.DatabaseBackupID, deploytest.FilesystemBackupID, 1)
		body = map[string]any{"backupId": deploytest.FilesystemBackupID, "acknowledgeDataloss": true}
	case "delete-backup":
		freeData(t, org) // a sync holds the backup's environment until it ends
	case "sync-to-environment", "list-sync-operations":
		// A database sync is refused (environments share the database).
		path = strings.Replace(path, "/sync/database", "/sync/filesystem", 1)
		if r.Name == "sync-to-environment" {
			finishDeployment(t, org) // a sync into an environment deploying is refused
			freeData(t, org)
			body = map[string]any{"sourceEnvironment": apps.ProductionEnvironment}
		}
	}
	if r.Dialect != nil && r.Dialect.Name == "cfv3" {
		return cfv3Request(t, r, org, n, path)
	}
	if r.Dialect != nil && r.Dialect.Name == "cfv2" {
		return cfv2Request(t, r, org, n, path)
	}
	if r.Dialect != nil && r.Dialect.Name == "qovery" {
		return qoveryRequest(t, r, org, n, path)
	}
	return path, body
}

// qoveryRequest builds a Qovery request on org: pr-456 is its environment,
// my-app's pr-456 its container; creates go in an environment of their
// own, and a delete acts on a container of its own, created for it.
func qoveryRequest(t *testing.T, r api.Route, org string, n int, path string) (string, any) {
	t.Helper()
	// Qovery's ids: pr-456 is an environment, my-app's pr-456 a container.
	path = strings.NewReplacer(
		"{organizationId}", dialect.OrganisationID(org), "{projectId}", dialect.ProjectID(org),
		"{environmentId}", dialect.ScopeID(org, "pr-456"), "{containerId}", dialect.WorkloadID(org, "my-app", "pr-456"),
	).Replace(path)
	qoveryContainer := map[string]any{"name": "qc-" + strconv.Itoa(n), "registry_id": "r-1", "image_name": "nginx", "tag": "1.27",
		"ports": []any{map[string]any{"internal_port": 80}}}
	var body any
	switch r.Name {
	case "qovery-create-environment":
		body = map[string]any{"name": "qenv"}
	case "qovery-create-container":
		// In qenv, which qovery-create-environment made: another pr-456
		// would make pr-456's organisation-level command paths ambiguous.
		path = "/environment/" + dialect.ScopeID(org, "qenv") + "/container"
		body = qoveryContainer
	case "qovery-edit-container":
		qoveryContainer["name"] = "my-app"
		body = qoveryContainer
	case "qovery-delete-container":
		// A container of its own: the teardowns before it take my-app.
		path = "/container/" + dialect.WorkloadID(org, "qd", "qenv")
		qoveryContainer["name"] = "qd"
		admin := bearer(tokenFor(t, org, auth.RoleAdmin))
		mustStatus(t, callAs(t, admin, http.MethodPost, "/project/"+dialect.ProjectID(org)+"/environment", map[string]any{"name": "qenv"}), http.StatusCreated)
		res := callAs(t, admin, http.MethodPost, "/environment/"+dialect.ScopeID(org, "qenv")+"/container", qoveryContainer)
		if res.Status != http.StatusCreated && res.Status != http.StatusConflict {
			t.Fatalf("the container to delete: %d %s", res.Status, res.Body)
		}
	}
	return path, body
}

// withoutAudit leaves audit events and idempotency records out of a
// table dump: a dialect's refused request writes them in the token's own
// organisation, where its ids were looked for.
func withoutAudit(dump string) string {
	var out []string
	for _, l := range strings.Split(dump, "\n") {
		if !strings.Contains(l, `"kind":"audit"`) && !strings.Contains(l, `"kind":"idempotency"`) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// cfv3Request builds a Cloud Foundry v3 request on org's my-app pr-456
// (its guid), its space pr-456 and its organization; a delete acts on an
// app of its own, created for it.
func cfv3Request(t *testing.T, r api.Route, org string, n int, path string) (string, any) {
	t.Helper()
	guid := dialect.WorkloadID(org, "my-app", "pr-456")
	// New apps go in a space of their own: one named pr-456 would make
	// the organisation-level pr-456 of Quant's command routes ambiguous.
	if _, err := stack.Server.Dialects.CreateScope(context.Background(), org, "name", "cf-matrix"); err != nil {
		t.Fatal(err)
	}
	space := map[string]any{"data": map[string]any{"guid": dialect.ScopeID(org, "cf-matrix")}}
	var body any
	switch r.Name {
	case "cfv3-create-space":
		body = map[string]any{"name": "space-" + strconv.Itoa(n), "relationships": map[string]any{"organization": map[string]any{"data": map[string]any{"guid": dialect.OrganisationID(org)}}}}
	case "cfv3-create-app":
		body = map[string]any{"name": "cf-app-" + strconv.Itoa(n), "lifecycle": map[string]any{"type": "docker", "data": map[string]any{"image": "nginx:1.27"}}, "relationships": map[string]any{"space": space}}
	case "cfv3-update-app":
		body = map[string]any{"lifecycle": map[string]any{"type": "docker", "data": map[string]any{"image": "nginx:1.27"}}}
	case "cfv3-update-environment-variables":
		body = map[string]any{"var": map[string]any{"CF_MATRIX": "1", "GONE": nil}}
	case "cfv3-scale-process":
		body = map[string]any{"instances": 1, "memory_in_mb": 512}
	case "cfv3-get-job":
		guid = cfv3.JobGUID(dialect.Workload{App: apps.Application{Organisation: org, Name: "my-app"}, Env: apps.Environment{Name: "pr-456"}})
	case "cfv3-delete-app":
		name := "cf-gone-" + strconv.Itoa(int(cfv3Seq.Add(1)))
		res := callAs(t, bearer(tokenFor(t, org, auth.RoleAdmin)), http.MethodPost, "/v3/apps", map[string]any{"name": name,
			"lifecycle": map[string]any{"type": "docker", "data": map[string]any{"image": "nginx:1.27"}}, "relationships": map[string]any{"space": space}})
		mustStatus(t, res, http.StatusCreated)
		guid = res.json(t)["guid"].(string)
		if err := deploytest.Activate(context.Background(), &store.Table{Client: stack.Client, Name: stack.Table}, org, name, "cf-matrix"); err != nil {
			t.Fatal(err)
		}
	}
	return strings.Replace(path, "{guid}", guid, 1), body
}

var cfv3Seq atomic.Int64

// cfv2Request builds a Cloud Foundry v2 request on org's my-app pr-456
// (its guid) and its organization; new apps go in the space cf-matrix, as
// CF v3's; a delete acts on an app of its own, created for it.
func cfv2Request(t *testing.T, r api.Route, org string, n int, path string) (string, any) {
	t.Helper()
	guid := dialect.WorkloadID(org, "my-app", "pr-456")
	if _, err := stack.Server.Dialects.CreateScope(context.Background(), org, "name", "cf-matrix"); err != nil {
		t.Fatal(err)
	}
	space := dialect.ScopeID(org, "cf-matrix")
	var body any
	switch r.Name {
	case "cfv2-create-space":
		body = map[string]any{"name": "space2-" + strconv.Itoa(n), "organization_guid": dialect.OrganisationID(org)}
	case "cfv2-create-app":
		body = map[string]any{"name": "cf2-app-" + strconv.Itoa(n), "space_guid": space, "docker_image": "nginx:1.27"}
	case "cfv2-update-app":
		body = map[string]any{"state": "STOPPED"}
	case "cfv2-delete-app":
		name := "cf2-gone-" + strconv.Itoa(int(cfv3Seq.Add(1)))
		res := callAs(t, "bearer "+tokenFor(t, org, auth.RoleAdmin), http.MethodPost, "/v2/apps", map[string]any{"name": name, "space_guid": space, "docker_image": "nginx:1.27"})
		mustStatus(t, res, http.StatusCreated)
		guid = res.json(t)["metadata"].(map[string]any)["guid"].(string)
		if err := deploytest.Activate(context.Background(), &store.Table{Client: stack.Client, Name: stack.Table}, org, name, "cf-matrix"); err != nil {
			t.Fatal(err)
		}
	}
	return strings.Replace(path, "{guid}", guid, 1), body
}

// dialectTenant checks A's answer on B for a dialect's route: its lists
// and links answer with none of B's, its ids are not found, in its shape.
// A role too weak for the route is refused first, whatever the ids: the
// 403 says nothing of B.
func dialectTenant(t *testing.T, r api.Route, role auth.Role, orgB string, res response) {
	t.Helper()
	if !role.Covers(r.Needs()) {
		mustStatus(t, res, http.StatusForbidden)
		return
	}
	if r.Method == http.MethodGet && !strings.Contains(r.Pattern, "{") {
		mustStatus(t, res, http.StatusOK)
		if strings.Contains(string(res.Body), orgB) || strings.Contains(string(res.Body), dialect.OrganisationID(orgB)) {
			t.Fatalf("A's list shows B's: %s", res.Body)
		}
		return
	}
	mustStatus(t, res, http.StatusNotFound)
	var inShape bool
	switch r.Dialect.Name {
	case "cfv3":
		inShape = strings.Contains(string(res.Body), `"errors":[`)
	case "cfv2":
		inShape = strings.Contains(string(res.Body), `"error_code":"CF-`) // {code,description,error_code}
	case "qovery":
		inShape = strings.HasPrefix(string(res.Body), `{"status":404,"error":"Not Found",`)
	}
	if !inShape {
		t.Fatalf("not the dialect's shape: %s", res.Body)
	}
}

// recordsOf is the table's lines of org: A's refused requests on B's ids
// write A's audit events, never B's records.
func recordsOf(t *testing.T, org string) string {
	t.Helper()
	var out []string
	for _, l := range strings.Split(tableDump(t), "\n") {
		if strings.Contains(l, org) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// freeData ends pr-456's data operations and frees it, and production, as
// their workflows would: no workflow runs here.
func freeData(t *testing.T, org string) {
	t.Helper()
	tbl := &store.Table{Client: stack.Client, Name: stack.Table}
	for _, env := range []string{"pr-456", apps.ProductionEnvironment} {
		if err := deploytest.FreeData(context.Background(), tbl, org, "my-app", env); err != nil {
			t.Fatal(err)
		}
	}
}

// runningService gives pr-456 a service with a running task in the
// sandbox, as provisioning would, for shell access to find.
func runningService(t *testing.T, org string) {
	t.Helper()
	ctx := context.Background()
	env, err := (&store.Table{Client: stack.Client, Name: stack.Table}).GetEnvironment(ctx, org, "my-app", "pr-456")
	if err != nil {
		t.Fatal(err)
	}
	name := env.Outputs[apps.OutServiceName]
	if tasks, err := stack.Sandbox.Access().RunningTasks(ctx, "", name); err == nil && len(tasks) > 0 {
		return
	}
	tags := cloud.Tags{cloud.TagUID: env.UID}
	td, err := stack.Sandbox.RegisterTaskDefinition(ctx, cloud.TaskSpec{Family: name, Compose: env.Compose, Tags: tags,
		Filesystem: &cloud.FilesystemMount{FilesystemID: env.Outputs[apps.OutFilesystemID], AccessPointID: env.Outputs[apps.OutAccessPointID], MountPath: "/data/shared"}})
	if err != nil {
		t.Fatal(err)
	}
	sg, err := stack.Sandbox.CreateSecurityGroup(ctx, cloud.SecurityGroupSpec{Name: name, Tags: tags})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stack.Sandbox.CreateService(ctx, cloud.ServiceSpec{Name: name, TaskDefinitionARN: td.ID, DesiredCount: 1, SecurityGroupID: sg.ID, Tags: tags}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if tasks, _ := stack.Sandbox.Access().RunningTasks(ctx, "", name); len(tasks) > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sandbox service %s never ran a task", name)
		}
	}
}

// lastDeployment reads pr-456, whose LastDeployment is its newest.
func lastDeployment(t *testing.T, org string) apps.Environment {
	t.Helper()
	env, err := (&store.Table{Client: stack.Client, Name: stack.Table}).GetEnvironment(context.Background(), org, "my-app", "pr-456")
	if err != nil || env.LastDeployment == 0 {
		t.Fatalf("pr-456 of %s has no deployment: %v", org, err)
	}
	return env
}

// seedOrg gives org an application with a pr-456 environment.
func seedOrg(t *testing.T, org string) {
	t.Helper()
	mustStatus(t, call(t, http.MethodPost, orgPath(org)+"/applications", seed(t, "create-application.json")), http.StatusCreated)
	mustStatus(t, call(t, http.MethodPost, orgPath(org)+"/applications/my-app/environments", seed(t, "create-environment.json")), http.StatusCreated)
	deployable(t, org)
	jobsReady(t, org)
	volumeReady(t, org)
	backupsReady(t, org)
}

// backupsReady gives org's pr-456 the backups and restore the data routes
// read, download, restore and delete, with their artefacts in the local
// S3, and an ACTIVE production to sync from.
func backupsReady(t *testing.T, org string) {
	t.Helper()
	ctx := context.Background()
	tbl := &store.Table{Client: stack.Client, Name: stack.Table}
	seeded, err := deploytest.SeedBackups(ctx, tbl, localstack.LocalBackupsBucket, org, "my-app", "pr-456")
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range seeded {
		path := filepath.Join(stack.Sandbox.ObjectsDir(), localstack.LocalBackupsBucket, filepath.FromSlash(b.Key))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("matrix artefact"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := deploytest.Activate(ctx, tbl, org, "my-app", apps.ProductionEnvironment); err != nil {
		t.Fatal(err)
	}
}

// volumeReady gives org's pr-456 its filesystem (in the record and the
// sandbox) and the volume "uploads", which no container mounts.
func volumeReady(t *testing.T, org string) {
	t.Helper()
	ctx := context.Background()
	tbl := &store.Table{Client: stack.Client, Name: stack.Table}
	env := lastDeployment(t, org)
	fs, err := stack.Sandbox.CreateFilesystem(ctx, cloud.FilesystemSpec{CreationToken: "matrix-" + org, Tags: cloud.Tags{cloud.ManagedTag: "true"}})
	if err != nil {
		t.Fatal(err)
	}
	target := apps.Target{Organisation: org, Application: "my-app", Environment: "pr-456", UID: env.UID}
	if err := tbl.Apply(ctx, target, apps.Change{Outputs: map[string]string{apps.OutFilesystemID: fs.ID}}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := stack.Server.Volumes.Create(ctx, volumes.Target{Organisation: org, Application: "my-app", Environment: "pr-456"},
		volumes.Request{VolumeName: ptr("uploads")}); err != nil {
		t.Fatal(err)
	}
}

// jobsReady gives org's pr-456 what the job routes act on: its schedule
// group (in the record and the sandbox), a PENDING command, and the cron
// job "nightly" with its schedule and a run.
func jobsReady(t *testing.T, org string) {
	t.Helper()
	ctx := context.Background()
	tbl := &store.Table{Client: stack.Client, Name: stack.Table}
	if err := deploytest.SeedJobs(ctx, tbl, org, "my-app", "pr-456"); err != nil {
		t.Fatal(err)
	}
	env := lastDeployment(t, org)
	group := apps.Target{Organisation: org, Application: "my-app", Environment: "pr-456", UID: env.UID}.Names().ScheduleGroup()
	if _, err := stack.Sandbox.CreateScheduleGroup(ctx, cloud.ScheduleGroupSpec{Name: group}); err != nil {
		t.Fatal(err)
	}
	if _, err := stack.Server.Jobs.CreateCron(ctx, jobs.Request{Organisation: org, Application: "my-app", Environment: "pr-456"},
		jobs.CronRequest{Name: ptr("nightly"), ScheduleExpression: ptr("cron(0 3 * * ? *)"), Command: &[]string{"true"}}); err != nil {
		t.Fatal(err)
	}
}

// deployable makes org's pr-456 ACTIVE with a finished deployment 1 of a
// release 2, as the workflows would (none run here), so that every
// deployment route has something to act on.
func deployable(t *testing.T, org string) {
	t.Helper()
	ctx := context.Background()
	tbl := &store.Table{Client: stack.Client, Name: stack.Table}
	finishDeployment(t, org) // makes it ACTIVE
	svc := deploy.NewService(tbl, &workflow.Recorder{})
	if _, _, err := svc.ChangeState(ctx, deploy.Request{Organisation: org, Application: "my-app", Environment: "pr-456"}, deploy.StateRequest{Action: ptr("redeploy"), ImageTag: ptr("2")}); err != nil {
		t.Fatal(err)
	}
	finishDeployment(t, org)
}

// finishDeployment ends pr-456's running deployment, if any, as its workflow would.
func finishDeployment(t *testing.T, org string) {
	t.Helper()
	if _, err := deploytest.Settle(context.Background(), &store.Table{Client: stack.Client, Name: stack.Table}, org, "my-app", "pr-456"); err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }

// readsFirst orders routes reads first and deletes last, teardowns last of all.
func readsFirst() []api.Route {
	routes := slices.Clone(api.Routes())
	slices.SortStableFunc(routes, func(a, b api.Route) int {
		rank := func(r api.Route) int {
			switch r.Method {
			case http.MethodGet:
				return 0
			case http.MethodPost:
				return 1
			case http.MethodDelete:
				switch {
				case r.Name == "cancel-deployment" || r.Name == "cancel-operation":
					return 3 // while the last change's deployment runs
				case slices.Contains(r.Starts, apps.TeardownApplication) || slices.Contains(r.Starts, apps.TeardownEnvironment):
					return 5 // a teardown takes what the other deletes act on
				}
				return 4
			}
			return 2
		}
		return rank(a) - rank(b)
	})
	return routes
}

// TestTenantMatrix: organisation A's tokens, whatever their role, get 404
// on every route of organisation B and change nothing; on its own
// organisation each role gets what it may do, and 403 otherwise.
func TestTenantMatrix(t *testing.T) {
	orgA, orgB := uniqueOrg(t)+"-a", uniqueOrg(t)+"-b"
	seedOrg(t, orgB)
	for _, role := range auth.Roles {
		tokA := tokenFor(t, orgA, role)
		for i, r := range readsFirst() {
			t.Run("A "+string(role)+" on B "+r.Name, func(t *testing.T) {
				path, body := routeRequest(t, r, orgB, i)
				if r.Dialect != nil {
					// A dialect's ids resolve among the token's own
					// organisations: B's are not found there, and the
					// refusal's audit event is A's.
					before, beforeB := withoutAudit(tableDump(t)), recordsOf(t, orgB)
					dialectTenant(t, r, role, orgB, callAs(t, bearer(tokA), r.Method, path, body, "Idempotency-Key", "matrix-"+r.Name))
					if recordsOf(t, orgB) != beforeB {
						t.Fatal("a refused request changed B's records")
					}
					if withoutAudit(tableDump(t)) != before {
						t.Fatal("a refused request changed the table")
					}
					return
				}
				before := tableDump(t)
				res := callAs(t, bearer(tokA), r.Method, path, body, "Idempotency-Key", "matrix-"+r.Name)
				mustStatus(t, res, http.StatusNotFound)
				// The same answer whether or not B has the resource.
				if res.json(t)["detail"] != "No such organisation, or this token may not act on it." {
					t.Fatalf("the 404 says more than that: %s", res.Body)
				}
				if tableDump(t) != before {
					t.Fatal("a refused request changed the table")
				}
			})
		}
	}
	for _, role := range auth.Roles {
		org := uniqueOrg(t) + "-" + string(role)
		seedOrg(t, org)
		tok := tokenFor(t, org, role)
		for i, r := range readsFirst() {
			t.Run(string(role)+" on own "+r.Name, func(t *testing.T) {
				if slices.Contains(r.Starts, apps.DeployEnvironment) {
					finishDeployment(t, org) // one deployment at a time
					freeData(t, org)         // and none while a sync runs into the environment
				}
				path, body := routeRequest(t, r, org, i)
				before := tableDump(t)
				res := callAs(t, bearer(tok), r.Method, path, body)
				if role.Covers(r.Needs()) {
					if res.Status < 200 || res.Status > 299 {
						t.Fatalf("status %d, want 2xx: %s", res.Status, res.Body)
					}
					return
				}
				mustStatus(t, res, http.StatusForbidden)
				if tableDump(t) != before {
					t.Fatal("a refused request changed the table")
				}
			})
		}
	}
}

func TestUnauthenticated(t *testing.T) {
	org := uniqueOrg(t)
	seedOrg(t, org)
	live := tokenFor(t, org, auth.RoleAdmin)
	expired, id, secret := auth.NewSecret()
	past := time.Now().Add(-time.Minute)
	tbl := &store.Table{Client: stack.Client, Name: stack.Table}
	if err := tbl.CreateToken(context.Background(), auth.Token{ID: id, SecretHash: auth.HashSecret(secret), Organisations: []string{org},
		Role: auth.RoleAdmin, ExpiresAt: &past, CreatedAt: past.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	unknown, _, _ := auth.NewSecret()
	liveID := tokenID(t, live)
	cases := map[string]string{
		"no header":       "",
		"not bearer":      "Basic " + live,
		"not a token":     "Bearer hello",
		"unknown token":   bearer(unknown),
		"wrong secret":    bearer("berth_" + liveID + "_" + strings.Repeat("0", 64)),
		"expired token":   bearer(expired),
		"token truncated": bearer(live[:len(live)-1]),
	}
	for name, authorization := range cases {
		t.Run(name, func(t *testing.T) {
			for _, r := range api.Routes() {
				path, body := routeRequest(t, r, org, 0)
				before := tableDump(t)
				res := callAs(t, authorization, r.Method, path, body, "Idempotency-Key", "unauth-"+r.Name)
				mustStatus(t, res, http.StatusUnauthorized)
				if !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
					t.Fatalf("%s: no WWW-Authenticate: Bearer", r.Name)
				}
				if tableDump(t) != before {
					t.Fatalf("%s: a 401 changed the table", r.Name)
				}
			}
		})
	}
}

// TestTokenLifecycle creates a token through the API, uses it, lists it
// without its secret, and revokes it.
func TestTokenLifecycle(t *testing.T) {
	org := uniqueOrg(t)
	seedOrg(t, org)
	res := call(t, http.MethodPost, orgPath(org)+"/tokens", map[string]any{"role": "read", "description": "dashboard"})
	mustStatus(t, res, http.StatusCreated)
	created := res.json(t)
	token, id := created["token"].(string), created["tokenId"].(string)
	if tokenID(t, token) != id || created["role"] != "read" || !slices.Equal(toStrings(created["organisations"]), []string{org}) {
		t.Fatalf("created %s", res.Body)
	}

	mustStatus(t, callAs(t, bearer(token), http.MethodGet, orgPath(org)+"/applications/my-app", nil), http.StatusOK)
	mustStatus(t, callAs(t, bearer(token), http.MethodDelete, orgPath(org)+"/applications/my-app", nil), http.StatusForbidden)

	list := call(t, http.MethodGet, orgPath(org)+"/tokens", nil)
	mustStatus(t, list, http.StatusOK)
	if strings.Contains(string(list.Body), token[len(token)-64:]) || strings.Contains(string(list.Body), "secret") {
		t.Fatalf("the token list shows a secret: %s", list.Body)
	}
	var listed map[string]any
	for _, tok := range list.json(t)["tokens"].([]any) {
		if obj(tok)["tokenId"] == id {
			listed = obj(tok)
		}
	}
	if listed == nil || listed["lastUsedAt"] == nil || listed["description"] != "dashboard" {
		t.Fatalf("token %s listed as %v", id, listed)
	}

	mustStatus(t, call(t, http.MethodDelete, orgPath(org)+"/tokens/"+id, nil), http.StatusNoContent)
	mustStatus(t, callAs(t, bearer(token), http.MethodGet, orgPath(org)+"/applications/my-app", nil), http.StatusUnauthorized)
	mustStatus(t, call(t, http.MethodDelete, orgPath(org)+"/tokens/"+id, nil), http.StatusNotFound)

	// A token cannot reach past its creator's organisations.
	res = call(t, http.MethodPost, orgPath(org)+"/tokens", map[string]any{"role": "admin", "organisations": []string{org, "someone-else"}})
	mustStatus(t, res, http.StatusBadRequest)
	if _, ok := res.fieldErrors(t)["organisations[1]"]; !ok {
		t.Fatalf("errors do not name organisations[1]: %s", res.Body)
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func TestIdempotencyKeyReplays(t *testing.T) {
	org := uniqueOrg(t)
	body := seed(t, "create-application.json")
	first := call(t, http.MethodPost, orgPath(org)+"/applications", body, "Idempotency-Key", "create-my-app-1")
	mustStatus(t, first, http.StatusCreated)
	before := itemCount(t)
	again := call(t, http.MethodPost, orgPath(org)+"/applications", body, "Idempotency-Key", "create-my-app-1")
	mustStatus(t, again, http.StatusCreated)
	if !bytes.Equal(first.Body, again.Body) || again.Header.Get("Idempotent-Replayed") != "true" || again.Header.Get("Location") != first.Header.Get("Location") {
		t.Fatalf("the replay differs:\n%s\n%s", first.Body, again.Body)
	}
	if itemCount(t) != before {
		t.Fatal("the replay had an effect")
	}

	body["maxCapacity"] = 3
	res := call(t, http.MethodPost, orgPath(org)+"/applications", body, "Idempotency-Key", "create-my-app-1")
	mustStatus(t, res, http.StatusUnprocessableEntity)

	// A 4xx is the request's answer too, and replays as such.
	bad := map[string]any{"appName": "Bad_Name"}
	r1 := call(t, http.MethodPost, orgPath(org)+"/applications", bad, "Idempotency-Key", "bad-1")
	r2 := call(t, http.MethodPost, orgPath(org)+"/applications", bad, "Idempotency-Key", "bad-1")
	mustStatus(t, r2, http.StatusBadRequest)
	if !bytes.Equal(r1.Body, r2.Body) {
		t.Fatal("a replayed 400 differs")
	}

	res = call(t, http.MethodPost, orgPath(org)+"/applications", bad, "Idempotency-Key", "has space")
	mustStatus(t, res, http.StatusBadRequest)
	if _, ok := res.fieldErrors(t)["Idempotency-Key"]; !ok {
		t.Fatalf("errors do not name Idempotency-Key: %s", res.Body)
	}

	// Keys are per organisation, and DELETE takes them too.
	mustStatus(t, call(t, http.MethodPost, orgPath(org+"-x")+"/applications", seed(t, "create-application.json"), "Idempotency-Key", "create-my-app-1"), http.StatusCreated)
	d1 := call(t, http.MethodDelete, orgPath(org)+"/applications/my-app", nil, "Idempotency-Key", "del-1")
	d2 := call(t, http.MethodDelete, orgPath(org)+"/applications/my-app", nil, "Idempotency-Key", "del-1")
	mustStatus(t, d2, http.StatusAccepted)
	if !bytes.Equal(d1.Body, d2.Body) || d2.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatal("a replayed DELETE differs")
	}
}

// TestConcurrentRequestsWithOneKey: 50 at once make one application, and
// all get the same answer.
func TestConcurrentRequestsWithOneKey(t *testing.T) {
	org := uniqueOrg(t)
	body := seed(t, "create-application.json")
	tokenFor(t, org, auth.RoleAdmin)
	const n = 50
	results := make([]response, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			results[i] = call(t, http.MethodPost, orgPath(org)+"/applications", body, "Idempotency-Key", "one-key")
		})
	}
	wg.Wait()
	for i, r := range results {
		if r.Status != http.StatusCreated || !bytes.Equal(r.Body, results[0].Body) {
			t.Fatalf("response %d: %d %s\nwant: %d %s", i, r.Status, r.Body, results[0].Status, results[0].Body)
		}
	}
	list := call(t, http.MethodGet, orgPath(org)+"/applications", nil).array(t)
	if n := len(list); n != 1 {
		t.Fatalf("%d applications, want 1", n)
	}
}

func TestConcurrentCreatesWithoutKey(t *testing.T) {
	org := uniqueOrg(t)
	tokenFor(t, org, auth.RoleAdmin)
	const n = 50
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			statuses[i] = call(t, http.MethodPost, orgPath(org)+"/applications", seed(t, "create-application.json")).Status
		})
	}
	wg.Wait()
	if c := countOf(statuses, http.StatusCreated); c != 1 || countOf(statuses, http.StatusConflict) != n-1 {
		t.Fatalf("statuses %v: want one 201 and %d 409", statuses, n-1)
	}
}

func countOf(xs []int, x int) int {
	n := 0
	for _, v := range xs {
		if v == x {
			n++
		}
	}
	return n
}

func TestAuditEvents(t *testing.T) {
	org := uniqueOrg(t)
	seedOrg(t, org)
	mustStatus(t, call(t, http.MethodPost, orgPath(org)+"/applications", map[string]any{"appName": "X"}), http.StatusBadRequest)
	mustStatus(t, call(t, http.MethodDelete, orgPath(org)+"/applications/my-app", nil), http.StatusAccepted)
	// Reads are not audited; refused requests from other organisations are not either.
	call(t, http.MethodGet, orgPath(org)+"/applications", nil)
	callAs(t, bearer(tokenFor(t, org+"-other", auth.RoleAdmin)), http.MethodDelete, orgPath(org)+"/applications/my-app", nil)

	var events []map[string]any
	next := ""
	for {
		path := orgPath(org) + "/audit-events?limit=2"
		if next != "" {
			path += "&nextToken=" + next
		}
		res := call(t, http.MethodGet, path, nil)
		mustStatus(t, res, http.StatusOK)
		for _, e := range res.json(t)["auditEvents"].([]any) {
			events = append(events, obj(e))
		}
		if next, _ = res.json(t)["nextToken"].(string); next == "" {
			break
		}
	}
	var got []string
	for _, e := range events {
		got = append(got, fmt.Sprintf("%s %v", e["action"], e["outcome"]))
		if e["tokenId"] != tokenID(t, tokenFor(t, org, auth.RoleAdmin)) || e["organisation"] != org || e["time"] == nil || e["requestId"] == "" {
			t.Fatalf("event %v", e)
		}
	}
	want := []string{"delete-application 202", "create-application 400", "create-environment 201", "create-application 201"}
	if !slices.Equal(got, want) {
		t.Fatalf("audit events %v, want newest first %v", got, want)
	}
}

// TestSecretsStayOut: no token secret reaches a log line, and none but
// the create-token response shows one.
func TestSecretsStayOut(t *testing.T) {
	org := uniqueOrg(t)
	seedOrg(t, org)
	admin := tokenFor(t, org, auth.RoleAdmin)
	res := call(t, http.MethodPost, orgPath(org)+"/tokens", map[string]any{"role": "write"})
	mustStatus(t, res, http.StatusCreated)
	minted := res.json(t)["token"].(string)
	var bodies []string
	for _, r := range readsFirst() {
		path, body := routeRequest(t, r, org, 20)
		bodies = append(bodies, string(callAs(t, bearer(minted), r.Method, path, body).Body))
		bodies = append(bodies, string(callAs(t, bearer(minted+"x"), r.Method, path, body).Body))
	}
	for _, secret := range []string{admin[len(admin)-64:], minted[len(minted)-64:]} {
		if strings.Contains(logs.String(), secret) {
			t.Fatal("a token secret reached the logs")
		}
		for _, b := range bodies {
			if strings.Contains(b, secret) {
				t.Fatalf("a token secret reached a response: %s", b)
			}
		}
	}
	if !strings.Contains(logs.String(), `"route":"create-token"`) {
		t.Fatal("the logs were not captured; the check above proves nothing")
	}
}

// TestCreateTokenIdempotentlyKeepsNoSecret: a token created with a key is
// not replayed, because that would mean storing its secret.
func TestCreateTokenIdempotentlyKeepsNoSecret(t *testing.T) {
	org := uniqueOrg(t)
	body := map[string]any{"role": "read"}
	first := call(t, http.MethodPost, orgPath(org)+"/tokens", body, "Idempotency-Key", "tok-1")
	mustStatus(t, first, http.StatusCreated)
	secret := first.json(t)["token"].(string)
	again := call(t, http.MethodPost, orgPath(org)+"/tokens", body, "Idempotency-Key", "tok-1")
	mustStatus(t, again, http.StatusConflict)
	if again.Header.Get("Location") != first.Header.Get("Location") || !strings.Contains(string(again.Body), "secret-not-kept") {
		t.Fatalf("replay: %s %s", again.Header.Get("Location"), again.Body)
	}
	dump := tableDump(t)
	if !strings.Contains(dump, first.json(t)["tokenId"].(string)) {
		t.Fatal("the dump does not show the token; the check below proves nothing")
	}
	if strings.Contains(dump, secret[len(secret)-64:]) {
		t.Fatal("the table holds the token's secret")
	}
}

// TestKeysBelongToTheirToken: two tokens of one organisation using the
// same key do not see each other's responses.
func TestKeysBelongToTheirToken(t *testing.T) {
	org := uniqueOrg(t)
	body := seed(t, "create-application.json")
	first := call(t, http.MethodPost, orgPath(org)+"/applications", body, "Idempotency-Key", "shared-key")
	mustStatus(t, first, http.StatusCreated)
	other := callAs(t, bearer(tokenFor(t, org, auth.RoleWrite)), http.MethodPost, orgPath(org)+"/applications", body, "Idempotency-Key", "shared-key")
	mustStatus(t, other, http.StatusConflict) // its own attempt: the name is taken
	if other.Header.Get("Idempotent-Replayed") != "" {
		t.Fatal("another token's response was replayed")
	}
}

// TestConcurrentRevokesOneWins: the revoke is a conditional write, so of
// revokes racing on one token exactly one answers 204, the others 404, and
// the audit log says so.
func TestConcurrentRevokesOneWins(t *testing.T) {
	org := uniqueOrg(t)
	res := call(t, http.MethodPost, orgPath(org)+"/tokens", map[string]any{"role": "read"})
	mustStatus(t, res, http.StatusCreated)
	id := res.json(t)["tokenId"].(string)
	const n = 8
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes <- call(t, http.MethodDelete, orgPath(org)+"/tokens/"+id, nil).Status
		}()
	}
	wg.Wait()
	close(codes)
	count := map[int]int{}
	for c := range codes {
		count[c]++
	}
	if count[http.StatusNoContent] != 1 || count[http.StatusNotFound] != n-1 {
		t.Fatalf("statuses %v, want one 204 and %d 404s", count, n-1)
	}
	events := auditOutcomes(t, org)
	if slices.Index(events, "revoke-token 204") < 0 || len(events) != n+1 {
		t.Fatalf("audit events %v, want the create and %d revokes, one of them 204", events, n)
	}
}

// TestTokensAcrossOrganisations: a caller sees and revokes only within
// the organisations it may act on.
func TestTokensAcrossOrganisations(t *testing.T) {
	orgA, orgB := uniqueOrg(t)+"-a", uniqueOrg(t)+"-b"
	tbl := &store.Table{Client: stack.Client, Name: stack.Table}
	_, id, secret := auth.NewSecret()
	both := auth.Token{ID: id, SecretHash: auth.HashSecret(secret), Organisations: []string{orgA, orgB}, Role: auth.RoleRead, CreatedAt: time.Now()}
	if err := tbl.CreateToken(context.Background(), both); err != nil {
		t.Fatal(err)
	}
	list := call(t, http.MethodGet, orgPath(orgA)+"/tokens", nil)
	if strings.Contains(string(list.Body), orgB) {
		t.Fatalf("A's admin sees B's name: %s", list.Body)
	}
	mustStatus(t, call(t, http.MethodDelete, orgPath(orgA)+"/tokens/"+id, nil), http.StatusForbidden)
	if _, err := tbl.GetToken(context.Background(), id); err != nil {
		t.Fatalf("a refused revoke removed the token: %v", err)
	}
}

// TestTouchReachesEveryMembership: a token's last use shows in the token
// list of each of its organisations (one Query, no read of the token),
// and a touch that comes after a revoke brings nothing back.
func TestTouchReachesEveryMembership(t *testing.T) {
	ctx := context.Background()
	orgA, orgB := uniqueOrg(t)+"-a", uniqueOrg(t)+"-b"
	tbl := &store.Table{Client: stack.Client, Name: stack.Table}
	_, id, secret := auth.NewSecret()
	both := auth.Token{ID: id, SecretHash: auth.HashSecret(secret), Organisations: []string{orgA, orgB}, Role: auth.RoleRead, CreatedAt: time.Now()}
	if err := tbl.CreateToken(ctx, both); err != nil {
		t.Fatal(err)
	}
	used := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	if err := tbl.TouchToken(ctx, both, used); err != nil {
		t.Fatal(err)
	}
	for _, org := range []string{orgA, orgB} {
		page, err := tbl.ListTokens(ctx, org, apps.PageRequest{Limit: 10})
		if err != nil || len(page.Items) != 1 || page.Items[0].LastUsedAt == nil || !page.Items[0].LastUsedAt.Equal(used) {
			t.Fatalf("%s lists %+v (%v), want token %s last used at %s", org, page.Items, err, id, used)
		}
	}
	// Within the minute a second touch changes nothing.
	if err := tbl.TouchToken(ctx, both, used.Add(30*time.Second)); err != nil {
		t.Fatal(err)
	}
	if page, _ := tbl.ListTokens(ctx, orgA, apps.PageRequest{Limit: 10}); len(page.Items) != 1 || !page.Items[0].LastUsedAt.Equal(used) {
		t.Fatalf("a touch within the minute moved the time: %+v", page.Items)
	}

	if err := tbl.RevokeToken(ctx, both); err != nil {
		t.Fatal(err)
	}
	if err := tbl.TouchToken(ctx, both, used.Add(2*time.Minute)); err != nil {
		t.Fatalf("a touch of a revoked token: %v, want nil (advisory)", err)
	}
	if _, err := tbl.GetToken(ctx, id); !errors.Is(err, auth.ErrNoToken) {
		t.Fatalf("after revoke and touch, GetToken: %v, want auth.ErrNoToken", err)
	}
	for _, org := range []string{orgA, orgB} {
		if page, err := tbl.ListTokens(ctx, org, apps.PageRequest{Limit: 10}); err != nil || len(page.Items) != 0 {
			t.Fatalf("after revoke and touch, %s lists %+v (%v): the touch brought a membership back", org, page.Items, err)
		}
	}
}

// failingKeys fails to issue or withdraw usage plan keys.
type failingKeys struct{}

func (failingKeys) Issue(context.Context, string) error    { return errors.New("API Gateway is down") }
func (failingKeys) Withdraw(context.Context, string) error { return errors.New("API Gateway is down") }

// TestUsageKeyFailures: a token whose usage plan key cannot be issued is
// not created, and one whose key cannot be withdrawn is not revoked.
func TestUsageKeyFailures(t *testing.T) {
	org := uniqueOrg(t)
	res := call(t, http.MethodPost, orgPath(org)+"/tokens", map[string]any{"role": "read"})
	mustStatus(t, res, http.StatusCreated)
	kept := res.json(t)
	before := tableCount(t)

	saved := stack.Server.UsageKeys
	stack.Server.UsageKeys = failingKeys{}
	defer func() { stack.Server.UsageKeys = saved }()

	res = call(t, http.MethodPost, orgPath(org)+"/tokens", map[string]any{"role": "read"})
	mustStatus(t, res, http.StatusServiceUnavailable)
	if after := tableCount(t); after != before+1 { // the create's audit event only
		t.Fatalf("table went from %d to %d items; want only the audit event added", before, after)
	}
	mustStatus(t, call(t, http.MethodDelete, orgPath(org)+"/tokens/"+kept["tokenId"].(string), nil), http.StatusServiceUnavailable)
	mustStatus(t, callAs(t, bearer(kept["token"].(string)), http.MethodGet, orgPath(org)+"/applications", nil), http.StatusOK)
}
