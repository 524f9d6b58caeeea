package qovery

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/compose"
	"github.com/berth-dev/berth/shared/deploy"
	"github.com/berth-dev/berth/shared/dialect"
	"github.com/berth-dev/berth/shared/validation"
)

func TestRenderIsQoverysErrorShape(t *testing.T) {
	now = func() time.Time { return time.Date(2026, 12, 6, 18, 0, 0, 0, time.UTC) }
	defer func() { now = time.Now }()
	slugs := map[string]int{
		"validation-failed": 400, "malformed-request": 400, "body-too-large": 413, "not-found": 404, "no-such-route": 404,
		"method-not-allowed": 405, "conflict": 409, "precondition-failed": 412, "unavailable": 503, "internal": 500,
		"unauthenticated": 401, "forbidden": 403, "rate-limited": 429, "idempotency-key-reused": 422, "idempotency-key-in-flight": 409,
	}
	for slug, status := range slugs {
		w := httptest.NewRecorder()
		p := dialect.Problem{Status: status, Slug: slug, Title: "t", Detail: "it broke", RequestID: "req-1"}
		if slug == "validation-failed" {
			p.Errors = validation.Errors{"gpu": {"must be 0"}, "cpu": {"must be between 1 and 16000"}}
		}
		render(w, p)
		if w.Code != status || w.Header().Get("Content-Type") != "application/json" {
			t.Errorf("%s: %d %q", slug, w.Code, w.Header().Get("Content-Type"))
		}
		var got map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		if got["status"] != float64(status) || got["error"] != http.StatusText(status) || got["timestamp"] != "2026-12-06T18:00:00Z" ||
			got["type"] != slug || got["request_id"] != "req-1" || got["message"] == "" {
			t.Errorf("%s: body %v", slug, got)
		}
		if slug == "validation-failed" {
			want := []any{map[string]any{"field": "cpu", "message": "must be between 1 and 16000"}, map[string]any{"field": "gpu", "message": "must be 0"}}
			if !reflect.DeepEqual(got["errors"], want) || got["message"] != "Invalid request: cpu must be between 1 and 16000; gpu must be 0" {
				t.Errorf("errors %v, message %v", got["errors"], got["message"])
			}
		} else if _, ok := got["errors"]; ok || got["message"] != "it broke" {
			t.Errorf("%s: %v", slug, got)
		}
	}
}

func workload(t *testing.T) dialect.Workload {
	t.Helper()
	tr, err := DecodeContainer(encode(t, supported(t)))
	if err != nil {
		t.Fatal(err)
	}
	c := tr.Container
	c.Name = "web-api"
	at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	return dialect.Workload{
		App: apps.Application{Organisation: "acme", Name: "web-api", Label: "web_api"},
		Env: apps.Environment{Name: "staging", Status: apps.StatusActive, Compose: compose.Definition{Containers: []compose.Container{c}},
			MinCapacity: 1, MaxCapacity: 3, CreatedAt: at, UpdatedAt: at, Rollouts: apps.Rollouts{Stopped: true}},
	}
}

func TestContainerView(t *testing.T) {
	w := workload(t)
	v := ContainerView(w, nil)
	if v.ID != dialect.WorkloadID("acme", "web-api", "staging") || v.Environment.ID != dialect.ScopeID("acme", "staging") || v.Name != "web_api" ||
		v.ImageName != "nginx" || v.Tag != "1.27" || v.CPU != 1250 || v.Memory != 1024 || v.GPU != 0 || v.MinRunningInstances != 1 || v.MaxRunningInstances != 3 ||
		v.ServiceType != "CONTAINER" || v.Registry.Kind != "DOCKER_HUB" || v.Entrypoint != "/docker-entrypoint.sh" || !reflect.DeepEqual(v.Arguments, []string{"--port=8080"}) ||
		v.CreatedAt != "2026-12-06T10:00:00Z" || len(v.Storage) != 0 || v.MaximumCPU != 16000 {
		t.Errorf("view = %+v", v)
	}
	if len(v.Ports) != 1 || v.Ports[0].InternalPort != 8080 || !v.Ports[0].IsDefault || !v.Ports[0].PubliclyAccessible || v.Ports[0].Protocol != "HTTP" {
		t.Errorf("ports = %+v", v.Ports)
	}
	lp := v.Healthchecks.LivenessProbe
	if lp == nil || lp.Type.Exec.Command[0] != "/bin/sh" || lp.FailureThreshold != 9 || lp.PeriodSeconds != 10 || lp.InitialDelaySeconds != 30 || v.Healthchecks.ReadinessProbe != nil {
		t.Errorf("healthchecks = %+v", v.Healthchecks)
	}
	tr, _ := DecodeContainer(encode(t, supported(t)))
	e := ContainerView(w, &tr.Echo)
	if e.RegistryID != "3c90c3cc-0d44-4b50-8888-8dd25736052b" || e.Registry.ID != e.RegistryID || e.Description != "The web front end" || !e.AutoDeploy ||
		e.Ports[0].ID != "3c90c3cc-0d44-4b50-8888-8dd25736052a" || e.Ports[0].Name != "http" || *e.Ports[0].ExternalPort != 8080 || len(e.LabelsGroups) != 1 {
		t.Errorf("echoed view = %+v", e)
	}
}

func TestRegistryKinds(t *testing.T) {
	for image, kind := range map[string]string{"nginx": "DOCKER_HUB", "library/nginx": "DOCKER_HUB", "public.ecr.aws/a/b": "PUBLIC_ECR",
		"123456789012.dkr.ecr.eu-west-1.amazonaws.com/app": "ECR", "ghcr.io/o/i": "GITHUB_CR", "quay.io/o/i": "GENERIC_CR", "localhost:5000/i": "GENERIC_CR"} {
		if got := registryOf(image); got.Kind != kind {
			t.Errorf("%s: %s, want %s", image, got.Kind, kind)
		}
	}
	c := compose.Container{ImageReference: &compose.ImageReference{Type: compose.ImageExternal, Identifier: "localhost:5000/i"}}
	if i, tag := splitImage(c, "x"); i != "localhost:5000/i" || tag != "latest" {
		t.Errorf("split = %s %s", i, tag)
	}
	c.ImageReference = &compose.ImageReference{Type: compose.ImageInternal, Identifier: "v3"}
	if i, tag := splitImage(c, "app"); i != "app" || tag != "v3" {
		t.Errorf("split = %s %s", i, tag)
	}
}

func TestStatusView(t *testing.T) {
	for want, edit := range map[string]func(e *apps.Environment){
		"DEPLOYED":         func(e *apps.Environment) { e.Stopped = false },
		"STOPPED":          func(e *apps.Environment) {},
		"STOPPING":         func(e *apps.Environment) { e.Stopped, e.Deploying = false, 2 },
		"DEPLOYING":        func(e *apps.Environment) { e.Deploying = 2 }, // a start
		"DELETING":         func(e *apps.Environment) { e.Status = apps.StatusDeleting },
		"DEPLOYMENT_ERROR": func(e *apps.Environment) { e.Stopped, e.FailureType = false, "CircuitBreaker" },
	} {
		w := workload(t)
		edit(&w.Env)
		action := deploy.ActionStart
		if want == "STOPPING" {
			action = deploy.ActionStop
		}
		if got := StatusView(w, action); got.State != want || got.ID != w.ID() || got.LastDeploymentDate != "2026-12-06T10:00:00Z" {
			t.Errorf("%s: %+v", want, got)
		}
	}
	w := workload(t)
	w.Env.Status = apps.StatusCreating
	if got := StatusView(w, ""); got.State != "DEPLOYING" || got.ServiceDeploymentStatus != "NEVER_DEPLOYED" {
		t.Errorf("creating: %+v", got)
	}
	w.Env.Status, w.Env.Reason = apps.StatusFailed, "no capacity"
	if got := StatusView(w, ""); got.State != "DEPLOYMENT_ERROR" || got.Message != "no capacity" {
		t.Errorf("failed: %+v", got)
	}
}

func TestEnvironmentAndProjectViews(t *testing.T) {
	s := dialect.Scope{Organisation: "acme", Name: "production"}
	if v := EnvironmentView(s, ""); v.Mode != "PRODUCTION" || v.Project.ID != dialect.ProjectID("acme") || v.Organization.ID != dialect.OrganisationID("acme") || v.ID != s.ID() {
		t.Errorf("= %+v", v)
	}
	if v := EnvironmentView(dialect.Scope{Organisation: "acme", Name: "qa"}, "STAGING"); v.Mode != "STAGING" {
		t.Errorf("= %+v", v)
	}
	if v := ProjectView("acme"); v.Name != "default" || v.ID != dialect.ProjectID("acme") {
		t.Errorf("= %+v", v)
	}
}
