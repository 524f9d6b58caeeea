package composego

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/berth-dev/berth/shared/compose"
	"github.com/berth-dev/berth/shared/composefile"
)

// realistic is a two-service file: a web app built here and a database.
const realistic = `
services:
  web:
    build: .
    image: shop:2.1
    ports: ["8080:80"]
    environment:
      APP_ENV: production
      DB_HOST: db
    healthcheck:
      test: ["CMD-SHELL", "curl -f http://localhost/ || exit 1"]
      interval: 30s
      timeout: 5s
      retries: 3
      start_period: 20s
    depends_on:
      db:
        condition: service_healthy
    deploy:
      resources:
        limits: {cpus: "0.5", memory: 512M}
    user: "1000"
    working_dir: /app
    read_only: true
  db:
    image: postgres:16
    environment:
      - POSTGRES_PASSWORD=${PGPASS:-change-me}
    ports: ["5432"]
    healthcheck:
      test: pg_isready -U postgres
      interval: 10s
`

func translate(t *testing.T, src string, opts composefile.Options) (composefile.Result, *composefile.Error) {
	t.Helper()
	res, err := Translate(context.Background(), []byte(src), opts)
	if err == nil {
		return res, nil
	}
	var cerr *composefile.Error
	if !errors.As(err, &cerr) {
		t.Fatalf("error %v is not an *composefile.Error", err)
	}
	return res, cerr
}

func container(t *testing.T, d compose.Definition, name string) compose.Container {
	t.Helper()
	i := slices.IndexFunc(d.Containers, func(c compose.Container) bool { return c.Name == name })
	if i < 0 {
		t.Fatalf("no container %s in %+v", name, d)
	}
	return d.Containers[i]
}

func TestTranslate(t *testing.T) {
	cases := map[string]struct {
		src    string
		opts   composefile.Options
		check  func(t *testing.T, r composefile.Result)
		errors map[string]string // field -> part of its rule
		syntax string            // part of the syntax reason
	}{
		"two services": {src: realistic, check: func(t *testing.T, r composefile.Result) {
			web, db := container(t, r.Definition, "web"), container(t, r.Definition, "db")
			if *web.ImageReference != (compose.ImageReference{Type: compose.ImageInternal, Identifier: "2.1"}) {
				t.Errorf("web image %+v", *web.ImageReference)
			}
			if *db.ImageReference != (compose.ImageReference{Type: compose.ImageExternal, Identifier: "postgres:16"}) {
				t.Errorf("db image %+v", *db.ImageReference)
			}
			if !slices.Equal(web.ExposedPorts, []int{80}) || !slices.Equal(db.ExposedPorts, []int{5432}) {
				t.Errorf("ports %v %v", web.ExposedPorts, db.ExposedPorts)
			}
			h := web.HealthCheck
			if h == nil || *h.Interval != 30 || *h.Timeout != 5 || *h.Retries != 3 || *h.StartPeriod != 20 || h.Command[0] != "CMD-SHELL" {
				t.Errorf("web health check %+v", h)
			}
			if db.HealthCheck == nil || !slices.Equal(db.HealthCheck.Command, []string{"CMD-SHELL", "pg_isready -U postgres"}) {
				t.Errorf("db health check %+v", db.HealthCheck)
			}
			if len(web.DependsOn) != 1 || web.DependsOn[0].ContainerName != "db" || *web.DependsOn[0].Condition != compose.ConditionHealthy {
				t.Errorf("web dependsOn %+v", web.DependsOn)
			}
			if *web.CPU != 512 || *web.Memory != 512 || *web.User != "1000" || *web.WorkingDirectory != "/app" || !*web.ReadonlyRootFilesystem {
				t.Errorf("web settings %+v", web)
			}
			if len(web.Environment) != 2 || web.Environment[0].Name != "APP_ENV" || *web.Environment[1].Value != "db" {
				t.Errorf("web environment %+v", web.Environment)
			}
			if *db.Environment[0].Value != "change-me" {
				t.Errorf("db environment %+v", db.Environment)
			}
			if r.Definition.TaskCPU != nil || web.Essential != nil {
				t.Error("defaults were filled in; the translation should leave them to Berth")
			}
			wantWarnings(t, r, "services.web: ports: published port 8080", "services.web: build is not run", "PGPASS")
		}},
		"image suffix on internal images only": {src: realistic, opts: composefile.Options{ImageSuffix: "pr-456"}, check: func(t *testing.T, r composefile.Result) {
			if got := container(t, r.Definition, "web").ImageReference.Identifier; got != "web-pr-456" {
				t.Errorf("internal tag %q", got)
			}
			if got := container(t, r.Definition, "db").ImageReference.Identifier; got != "postgres:16" {
				t.Errorf("external image %q", got)
			}
		}},
		"untranslatable service named": {
			src: "services:\n  ok:\n    image: nginx\n  bad:\n    image: nginx\n    privileged: true\n    cap_add: [NET_ADMIN]\n    network_mode: host\n    volumes: [\"/srv:/srv\"]\n  nobuild:\n    build: .\n",
			errors: map[string]string{
				"services.bad.privileged":   "privileged",
				"services.bad.cap_add":      "cannot be translated",
				"services.bad.network_mode": "host cannot be translated",
				"services.bad.volumes[0]":   "bind mount",
				"services.nobuild.build":    "without image",
			},
		},
		"rules of the compose definition, by service": {
			src: "services:\n  web:\n    image: nginx\n    healthcheck:\n      test: [\"CMD\", \"true\"]\n      interval: 1s\n      retries: 20\n    working_dir: app\n    depends_on:\n      worker:\n        condition: service_healthy\n  worker:\n    image: busybox\n",
			errors: map[string]string{
				"services.web.healthcheck.interval": "between 5 and 300",
				"services.web.healthcheck.retries":  "between 1 and 10",
				"services.web.working_dir":          "absolute",
				"services.web.depends_on.worker":    "HEALTHY needs a healthCheck",
			},
		},
		"completion makes the dependency non-essential": {
			src: "services:\n  web:\n    image: nginx\n    depends_on:\n      migrate:\n        condition: service_completed_successfully\n  migrate:\n    image: app-migrate\n",
			check: func(t *testing.T, r composefile.Result) {
				if e := container(t, r.Definition, "migrate").Essential; e == nil || *e {
					t.Errorf("migrate essential %v", e)
				}
			},
		},
		"ignored attributes warn": {
			src: "services:\n  web:\n    image: nginx\n    restart: always\n    labels: {a: b}\n    privileged: false\nnetworks:\n  front: {}\n",
			check: func(t *testing.T, r composefile.Result) {
				wantWarnings(t, r, "services.web: restart is ignored", "services.web: labels is ignored", "networks is ignored")
				for _, w := range r.Warnings {
					if strings.Contains(w, "privileged") {
						t.Errorf("privileged: false warned: %s", w)
					}
				}
			},
		},
		"invalid YAML":         {src: "services:\n  web:\n    image: [nginx\n", syntax: "compose.yaml"},
		"not a compose file":   {src: "services:\n  web:\n    imag: nginx\n", syntax: "imag"},
		"no services":          {src: "name: x\nservices: {}\n", errors: map[string]string{"services": "at least one container"}},
		"empty":                {src: "  \n", syntax: "empty"},
		"top level not a map":  {src: "- a\n- b\n", syntax: ""},
		"undefined dependency": {src: "services:\n  web:\n    image: nginx\n    depends_on: [db]\n", syntax: "db"},
		"include refused":      {src: "include: [other.yaml]\nservices:\n  web:\n    image: nginx\n", errors: map[string]string{"include": "no other files"}},
		"extends refused": {
			src:    "services:\n  base:\n    image: nginx\n  web:\n    extends: {service: base}\n    image: nginx\n",
			errors: map[string]string{"services.web.extends": "cannot be translated"},
		},
		"too large": {src: "services: {}\n" + strings.Repeat("#", composefile.MaxBytes), syntax: "larger than"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			res, err := translate(t, tc.src, tc.opts)
			switch {
			case tc.check != nil:
				if err != nil {
					t.Fatalf("error %v %v", err, err.Fields)
				}
				tc.check(t, res)
			case tc.errors != nil:
				if err == nil || err.Syntax != "" {
					t.Fatalf("error %#v, want field errors", err)
				}
				for field, part := range tc.errors {
					if !strings.Contains(strings.Join(err.Fields[field], "; "), part) {
						t.Errorf("%s: %v, want a rule with %q (all: %v)", field, err.Fields[field], part, err.Fields)
					}
				}
			default:
				if err == nil || err.Syntax == "" || !strings.Contains(err.Syntax, tc.syntax) {
					t.Fatalf("error %#v, want a syntax error with %q", err, tc.syntax)
				}
			}
		})
	}
}

func wantWarnings(t *testing.T, r composefile.Result, parts ...string) {
	t.Helper()
	all := strings.Join(r.Warnings, "\n")
	for _, p := range parts {
		if !strings.Contains(all, p) {
			t.Errorf("no warning with %q in:\n%s", p, all)
		}
	}
}

// TestReadsNoFiles: env files, extends and include files, label files and
// host paths that exist are never read, nor the process environment.
func TestReadsNoFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	envFile := write("app.env", "LEAKED_FROM_FILE=yes\n")
	labels := write("labels", "leaked=yes\n")
	write(".env", "LEAKED_DOTENV=yes\n")
	t.Chdir(dir)
	t.Setenv("BERTH_TEST_SECRET", "leaked-from-process")
	src := "services:\n  web:\n    image: nginx\n    env_file: [" + envFile + ", app.env, missing.env]\n    label_file: " + labels +
		"\n    environment:\n      FROM_HOST: ${BERTH_TEST_SECRET}\n      PATH_VAR:\n"
	res, err := translate(t, src, composefile.Options{})
	if err != nil {
		t.Fatalf("%v %v", err, err.Fields)
	}
	out, _ := json.Marshal(res)
	if strings.Contains(string(out), "leaked") || strings.Contains(string(out), "LEAKED") {
		t.Fatalf("a file or the process environment was read: %s", out)
	}
	wantWarnings(t, res, "env_file is not read", "BERTH_TEST_SECRET is not set", "PATH_VAR is left out")
}
