package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/shared/auth"
	"github.com/berth-dev/berth/shared/cli"
	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/sandbox"
	"github.com/berth-dev/berth/shared/localstack"
	"github.com/berth-dev/berth/shared/store"
)

// The tests drive the CLI against the real local stack: the API's
// handlers over HTTP, DynamoDB Local, local Step Functions running the
// real state machines, and the sandbox cloud.

type env struct {
	url, token string
	stack      *localstack.Stack
}

var (
	stackOnce sync.Once
	shared    *env
	stackErr  error
	sfnLog    bytes.Buffer
)

// profile is the sandbox's: instant, but a service takes a little while
// to come up, so that a wait sees steps running before they succeed.
func profile() sandbox.Profile {
	p := sandbox.Instant
	p.Name = "cli"
	p.Create = map[cloud.Kind]time.Duration{cloud.KindService: 600 * time.Millisecond}
	p.Second = 10 * time.Millisecond
	return p
}

// stack starts one local stack for the package's tests, with a token for
// the organisation acme.
func stack(t *testing.T) *env {
	t.Helper()
	stackOnce.Do(func() {
		ctx := context.Background()
		st, err := localstack.Start(ctx, localstack.Config{Table: "berth-cli", RunWorkflows: true, NoWaits: true,
			Sandbox: sandbox.New(profile()), Log: slog.New(slog.NewJSONHandler(io.Discard, nil)), WorkflowLog: &syncWriter{w: &sfnLog}})
		if err != nil {
			stackErr = err
			return
		}
		srv := httptest.NewServer(st.Handler)
		tok, id, secret := auth.NewSecret()
		rec := auth.Token{ID: id, SecretHash: auth.HashSecret(secret), Organisations: []string{"acme", "solo"}, Role: auth.RoleAdmin, CreatedAt: time.Now().UTC()}
		if err := (&store.Table{Client: st.Client, Name: st.Table}).CreateToken(ctx, rec); err != nil {
			stackErr = err
			return
		}
		shared = &env{url: srv.URL, token: tok, stack: st}
	})
	if stackErr != nil {
		t.Fatal(stackErr)
	}
	return shared
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		if code != 0 {
			fmt.Fprintf(os.Stderr, "local Step Functions log:\n%s\n", sfnLog.String())
		}
		_ = shared.stack.Close()
	}
	os.Exit(code)
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// result is one run of the CLI.
type result struct {
	code           int
	stdout, stderr string
	took           time.Duration
}

// berth runs the CLI in process with the environment vars (and nothing
// of the test process's environment), talking HTTP to the stack.
func berth(t *testing.T, vars map[string]string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code := cli.Run(ctx, args, cli.IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut,
		Getenv: func(k string) string { return vars[k] }, Poll: 50 * time.Millisecond})
	r := result{code: code, stdout: out.String(), stderr: errOut.String(), took: time.Since(start)}
	t.Logf("berth %s: exit %d in %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.took.Round(time.Millisecond), r.stdout, r.stderr)
	return r
}

// loggedIn is the environment of a user who gives the settings through
// BERTH_URL, BERTH_ORG and BERTH_TOKEN, with an empty config folder.
func (e *env) loggedIn(t *testing.T) map[string]string {
	return e.loggedInTo(t, "acme")
}

// loggedInTo is loggedIn to another organisation.
func (e *env) loggedInTo(t *testing.T, org string) map[string]string {
	return map[string]string{"BERTH_URL": e.url, "BERTH_ORG": org, "BERTH_TOKEN": e.token, "BERTH_CONFIG_DIR": t.TempDir()}
}

// get reads a resource from the API directly, not through the CLI.
func (e *env) get(t *testing.T, path string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.url+"/api/v3/organizations/acme"+path, nil)
	req.Header.Set("Authorization", "Bearer "+e.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

// createApp creates an application from the test compose file through
// the CLI and fails the test unless it ends ACTIVE.
func (e *env) createApp(t *testing.T, name string) result {
	t.Helper()
	r := berth(t, e.loggedIn(t), "apps", "create", name, "-f", "testdata/docker-compose.yml")
	if r.code != 0 {
		t.Fatalf("apps create %s: exit %d", name, r.code)
	}
	return r
}

func TestLoginWritesProfile(t *testing.T) {
	e := stack(t)
	home := t.TempDir()
	// No BERTH_* settings: the config folder is XDG_CONFIG_HOME/berth.
	vars := map[string]string{"HOME": home, "XDG_CONFIG_HOME": filepath.Join(home, "xdg")}
	file := filepath.Join(home, "xdg", "berth", "config.json")

	// A token the API refuses is not saved.
	r := berth(t, vars, "login", "--url", e.url, "--org", "acme", "--token", "berth_0000000000000000_"+strings.Repeat("0", 64), "--profile", "ci")
	if r.code != 1 || !strings.Contains(r.stderr, "401") {
		t.Fatalf("login with a bad token: exit %d, want 1 with the API's 401", r.code)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Fatalf("a refused login wrote %s (%v)", file, err)
	}

	r = berth(t, vars, "login", "--url", e.url, "--org", "acme", "--token", e.token, "--profile", "ci")
	if r.code != 0 || !strings.Contains(r.stdout, `profile "ci"`) {
		t.Fatalf("login: exit %d", r.code)
	}
	info, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600: it holds a token", file, info.Mode().Perm())
	}
	raw, _ := os.ReadFile(file)
	var cfg struct {
		Current  string `json:"current"`
		Profiles map[string]struct{ URL, Organisation, Token string }
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	if p := cfg.Profiles["ci"]; cfg.Current != "ci" || p.URL != e.url || p.Organisation != "acme" || p.Token != e.token {
		t.Fatalf("config.json holds %s", raw)
	}

	// The saved profile is what later commands use, with no flags.
	if r := berth(t, vars, "apps", "list", "-o", "json"); r.code != 0 {
		t.Fatalf("apps list with the saved profile: exit %d", r.code)
	}
	// BERTH_TOKEN wins over the profile's token, and a profile named by
	// BERTH_PROFILE must exist.
	bad := map[string]string{"HOME": home, "XDG_CONFIG_HOME": vars["XDG_CONFIG_HOME"], "BERTH_TOKEN": "berth_1111111111111111_" + strings.Repeat("1", 64)}
	if r := berth(t, bad, "apps", "list"); r.code != 1 || !strings.Contains(r.stderr, "401") {
		t.Fatalf("BERTH_TOKEN did not replace the profile's token: exit %d", r.code)
	}
	missing := map[string]string{"HOME": home, "XDG_CONFIG_HOME": vars["XDG_CONFIG_HOME"], "BERTH_PROFILE": "staging"}
	if r := berth(t, missing, "apps", "list"); r.code != 1 || !strings.Contains(r.stderr, `no profile "staging"`) {
		t.Fatalf("an unknown BERTH_PROFILE: exit %d", r.code)
	}
}

func TestAppsCreateFromComposeShowsProgressUntilActive(t *testing.T) {
	e := stack(t)
	r := e.createApp(t, "shop")
	if !strings.Contains(r.stdout, "application shop: ACTIVE") {
		t.Errorf("stdout does not end ACTIVE")
	}
	// In a pipe the steps come as plain lines, as they change: the service
	// step is seen running before it succeeds.
	for _, want := range []string{"Creating application shop", "status CREATING", "step repository SKIPPED", "step network    SUCCEEDED", "step service    RUNNING", "step service    SUCCEEDED", "status ACTIVE", "done"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("progress lacks %q", want)
		}
	}
	if strings.Contains(r.stderr, "\x1b[") {
		t.Errorf("progress in a pipe holds terminal escapes")
	}
	if i, j := strings.Index(r.stderr, "step service    RUNNING"), strings.Index(r.stderr, "step service    SUCCEEDED"); i < 0 || j < i {
		t.Errorf("service RUNNING (at %d) is not shown before SUCCEEDED (at %d)", i, j)
	}
	// The application runs what the compose file said, as the API translated it.
	code, app := e.get(t, "/applications/shop")
	if code != http.StatusOK || app["status"] != "ACTIVE" {
		t.Fatalf("GET shop: %d %v", code, app["status"])
	}
	containers, _ := app["composeDefinition"].(map[string]any)["containers"].([]any)
	if len(containers) != 1 || containers[0].(map[string]any)["name"] != "web" {
		t.Fatalf("containers %v, want the compose file's web", containers)
	}

	// apps list --output json is the API's array.
	r = berth(t, e.loggedIn(t), "apps", "list", "--output", "json")
	var list []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || r.code != 0 {
		t.Fatalf("apps list --output json: exit %d, %v", r.code, err)
	}
	found := false
	for _, a := range list {
		found = found || a["appName"] == "shop" && a["status"] == "ACTIVE"
	}
	if !found {
		t.Errorf("apps list --output json lacks shop ACTIVE: %v", list)
	}
	// apps get --output json is the application.
	r = berth(t, e.loggedIn(t), "apps", "get", "shop", "-o", "json")
	var got map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || got["appName"] != "shop" {
		t.Fatalf("apps get -o json: %v %v", err, got["appName"])
	}
	// And the text table names it.
	if r := berth(t, e.loggedIn(t), "apps", "list"); !strings.Contains(r.stdout, "NAME") || !strings.Contains(r.stdout, "shop") {
		t.Errorf("apps list table lacks shop")
	}
}

func TestValidationErrorExitsNonZeroShowingTheField(t *testing.T) {
	e := stack(t)
	r := berth(t, e.loggedIn(t), "apps", "create", "rooted", "-f", "testdata/privileged.yml")
	if r.code == 0 {
		t.Fatal("a privileged compose file was accepted")
	}
	for _, want := range []string{"422", "services.web.privileged", "compose-invalid"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	if code, _ := e.get(t, "/applications/rooted"); code != http.StatusNotFound {
		t.Errorf("GET rooted: %d, want 404: nothing is created from a refused file", code)
	}
	// A body field the API refuses is shown under its path.
	r = berth(t, e.loggedIn(t), "apps", "create", "shop2", "-f", "testdata/docker-compose.yml", "--min", "5", "--max", "2")
	if r.code != 1 || !strings.Contains(r.stderr, "400") || !strings.Contains(r.stderr, "minCapacity") {
		t.Errorf("min over max: exit %d, want 1 naming minCapacity", r.code)
	}
	// With --output json the problem is JSON on stderr.
	r = berth(t, e.loggedIn(t), "apps", "create", "rooted", "-f", "testdata/privileged.yml", "-o", "json")
	var p struct {
		Status int                 `json:"status"`
		Errors map[string][]string `json:"errors"`
	}
	if err := json.Unmarshal([]byte(r.stderr), &p); err != nil || r.code != 1 || p.Status != 422 || len(p.Errors["services.web.privileged"]) == 0 {
		t.Errorf("-o json problem: exit %d, %v, %+v", r.code, err, p)
	}
}

func TestNoWaitReturnsAtOnceThenDeleteWaits(t *testing.T) {
	e := stack(t)
	r := berth(t, e.loggedIn(t), "apps", "create", "quick", "-f", "testdata/docker-compose.yml", "--no-wait")
	if r.code != 0 || !strings.Contains(r.stdout, "application quick: CREATING") {
		t.Fatalf("--no-wait: exit %d, want the application CREATING", r.code)
	}
	if strings.Contains(r.stdout, "ACTIVE") || strings.Contains(r.stderr, "step ") {
		t.Fatalf("--no-wait waited: it showed steps or ACTIVE")
	}
	// It is still provisioning: the service takes longer than --no-wait did.
	if code, app := e.get(t, "/applications/quick"); code != http.StatusOK || app["status"] != "CREATING" {
		t.Fatalf("GET quick right after --no-wait: %d %v, want CREATING", code, app["status"])
	}
	// Deleting while CREATING is accepted; the CLI follows the teardown
	// operation until the application is gone.
	r = berth(t, e.loggedIn(t), "apps", "delete", "quick")
	if r.code != 0 || !strings.Contains(r.stdout, "application quick deleted: SUCCEEDED") || !strings.Contains(r.stderr, "step cleanup") {
		t.Fatalf("apps delete: exit %d", r.code)
	}
	if code, _ := e.get(t, "/applications/quick"); code != http.StatusNotFound {
		t.Fatalf("GET quick after delete: %d, want 404", code)
	}
}

func TestRunExitsWithTheRemoteExitCode(t *testing.T) {
	e := stack(t)
	e.createApp(t, "jobs")
	vars := e.loggedIn(t)
	r := berth(t, vars, "run", "--app", "jobs", "--", "exit", "3")
	if r.code != 3 {
		t.Fatalf("berth run -- exit 3: exit %d, want 3", r.code)
	}
	// Without --app, on Quant's organisation-level path (in an
	// organisation where one application has production); words are quoted.
	solo := e.loggedInTo(t, "solo")
	if r := berth(t, solo, "apps", "create", "only", "-f", "testdata/docker-compose.yml"); r.code != 0 {
		t.Fatalf("apps create only: exit %d", r.code)
	}
	r = berth(t, solo, "run", "--", "echo", "hello world")
	if r.code != 0 || strings.TrimSpace(r.stdout) != "hello world" {
		t.Fatalf("berth run -- echo 'hello world': exit %d, stdout %q", r.code, r.stdout)
	}
	r = berth(t, vars, "run", "--app", "jobs", "--", "echo about to fail; exit 7")
	if r.code != 7 || strings.TrimSpace(r.stdout) != "about to fail" {
		t.Fatalf("a script: exit %d, stdout %q", r.code, r.stdout)
	}
	// --output json prints the command as the API has it.
	r = berth(t, vars, "run", "--app", "jobs", "-o", "json", "--", "exit", "4")
	var cmd map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &cmd); err != nil || r.code != 4 || cmd["exitCode"] != 4.0 || cmd["status"] != "FAILED" {
		t.Fatalf("run -o json: exit %d, %v %v", r.code, err, cmd)
	}

	// The built binary, as a user runs it, exits 3 as a process.
	bin := filepath.Join(t.TempDir(), "berth")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	proc := exec.Command(bin, "run", "--app", "jobs", "--", "exit", "3")
	proc.Env = []string{"BERTH_URL=" + e.url, "BERTH_ORG=acme", "BERTH_TOKEN=" + e.token, "BERTH_CONFIG_DIR=" + t.TempDir(), "NO_COLOR=1"}
	out, err := proc.CombinedOutput()
	if code := proc.ProcessState.ExitCode(); code != 3 {
		t.Fatalf("%s run -- exit 3: exit %d (%v)\n%s", bin, code, err, out)
	}
}

func TestDeployStopStartVarsLogsAndOps(t *testing.T) {
	e := stack(t)
	e.createApp(t, "blog")
	vars := e.loggedIn(t)
	vars["BERTH_APP"] = "blog"

	r := berth(t, vars, "deploy", "--image-tag", "v2")
	if r.code != 0 || !strings.Contains(r.stdout, "deployment of blog/production: SUCCEEDED") || !strings.Contains(r.stderr, "step rollout") {
		t.Fatalf("deploy --image-tag v2: exit %d", r.code)
	}
	_, prod := e.get(t, "/applications/blog/environments/production")
	def, _ := json.Marshal(prod["composeDefinition"])
	if !strings.Contains(string(def), "v2") {
		t.Errorf("production runs %s, want the tag v2", def)
	}

	if r := berth(t, vars, "stop"); r.code != 0 {
		t.Fatalf("stop: exit %d", r.code)
	}
	if _, env := e.get(t, "/applications/blog/environments/production"); env["status"] != "STOPPED" {
		t.Fatalf("after stop: %v, want STOPPED", env["status"])
	}
	if r := berth(t, vars, "start"); r.code != 0 {
		t.Fatalf("start: exit %d", r.code)
	}
	if _, env := e.get(t, "/applications/blog/environments/production"); env["status"] != "ACTIVE" {
		t.Fatalf("after start: %v, want ACTIVE", env["status"])
	}

	// A variable is a deployment; a command then sees it.
	if r := berth(t, vars, "vars", "set", "GREETING=hello"); r.code != 0 {
		t.Fatalf("vars set: exit %d", r.code)
	}
	if r := berth(t, vars, "vars", "list"); !strings.Contains(r.stdout, "GREETING=hello") {
		t.Errorf("vars list lacks GREETING=hello")
	}
	if r := berth(t, vars, "run", "--", "printenv", "GREETING"); r.code != 0 || strings.TrimSpace(r.stdout) != "hello" {
		t.Errorf("printenv GREETING: exit %d, %q", r.code, r.stdout)
	}

	// The logs hold the container's start.
	r = berth(t, vars, "logs", "--since", "1h", "--container", "web")
	if r.code != 0 || !strings.Contains(r.stdout, "Starting container web") {
		t.Errorf("logs: exit %d, no start line", r.code)
	}

	// ops list names the deployments; ops watch follows one to its end.
	r = berth(t, vars, "ops", "list", "-o", "json")
	var ops []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &ops); err != nil || len(ops) == 0 {
		t.Fatalf("ops list -o json: %v %d", err, len(ops))
	}
	id, _ := ops[0]["id"].(string)
	r = berth(t, vars, "ops", "watch", id)
	if r.code != 0 || !strings.Contains(r.stdout, "operation "+id+": SUCCEEDED") {
		t.Fatalf("ops watch %s: exit %d", id, r.code)
	}
	if r := berth(t, vars, "ops", "watch", "not-an-operation"); r.code != 1 || !strings.Contains(r.stderr, "operation") {
		t.Errorf("ops watch of a malformed id: exit %d", r.code)
	}
}

func TestCronSecretsAndBackups(t *testing.T) {
	e := stack(t)
	e.createApp(t, "tasks")
	vars := e.loggedIn(t)
	vars["BERTH_APP"] = "tasks"

	if r := berth(t, vars, "cron", "create", "tick", "--schedule", "rate(1 minute)", "--", "echo", "tick"); r.code != 0 {
		t.Fatalf("cron create: exit %d", r.code)
	}
	if r := berth(t, vars, "cron", "list"); !strings.Contains(r.stdout, "tick") || !strings.Contains(r.stdout, "rate(1 minute)") {
		t.Errorf("cron list lacks tick")
	}
	if r := berth(t, vars, "cron", "delete", "tick"); r.code != 0 {
		t.Errorf("cron delete: exit %d", r.code)
	}

	// A secret's value comes from stdin and is never printed back.
	var out, errOut bytes.Buffer
	code := cli.Run(context.Background(), []string{"secrets", "set", "API_TOKEN"}, cli.IO{Stdin: strings.NewReader("s3cr3t\n"), Stdout: &out, Stderr: &errOut,
		Getenv: func(k string) string { return vars[k] }, Poll: 50 * time.Millisecond})
	if code != 0 {
		t.Fatalf("secrets set: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	r := berth(t, vars, "secrets", "list")
	if !strings.Contains(r.stdout, "API_TOKEN") || strings.Contains(r.stdout, "s3cr3t") {
		t.Errorf("secrets list: %q", r.stdout)
	}
	if r := berth(t, vars, "run", "--", "printenv", "API_TOKEN"); strings.TrimSpace(r.stdout) != "s3cr3t" {
		t.Errorf("the container does not see the secret: %q", r.stdout)
	}

	// Backups: listed (none yet); a database backup of an application
	// without a database is refused with the API's reason; a wrong type is
	// a usage error.
	r = berth(t, vars, "backups", "list", "database")
	if r.code != 0 || !strings.Contains(r.stdout, "ID") {
		t.Errorf("backups list: exit %d, %q", r.code, r.stdout)
	}
	if r := berth(t, vars, "backups", "create", "database"); r.code != 1 || !strings.Contains(r.stderr, "has no database") {
		t.Errorf("backups create database of an application without one: exit %d, %q, want 1 with the API's reason", r.code, r.stderr)
	}
	if r := berth(t, vars, "backups", "list", "tape"); r.code != 2 {
		t.Errorf("backups list tape: exit %d, want 2 (usage)", r.code)
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	for _, args := range [][]string{{"apps", "create"}, {"no-such-command"}, {"apps", "list", "--output", "yaml"}, {"deploy", "--app", "x"}} {
		r := berth(t, map[string]string{"BERTH_CONFIG_DIR": t.TempDir()}, args...)
		if r.code != 2 {
			t.Errorf("berth %v: exit %d, want 2", args, r.code)
		}
	}
}

// TestTerminalShowsLiveStepsAndFollowsNoColor runs apps create as on a
// terminal: the steps are redrawn in place with a spinner, in colour
// unless NO_COLOR is set.
func TestTerminalShowsLiveStepsAndFollowsNoColor(t *testing.T) {
	e := stack(t)
	onTerminal := func(vars map[string]string, args ...string) result {
		var out, errOut bytes.Buffer
		code := cli.Run(context.Background(), args, cli.IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut,
			Getenv: func(k string) string { return vars[k] }, Poll: 50 * time.Millisecond, Terminal: func(io.Writer) bool { return true }})
		t.Logf("berth %s on a terminal: exit %d\nstderr: %q", strings.Join(args, " "), code, errOut.String())
		return result{code: code, stdout: out.String(), stderr: errOut.String()}
	}
	spun := func(s string) bool {
		for _, f := range []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"} {
			if strings.Contains(s, f) {
				return true
			}
		}
		return false
	}
	r := onTerminal(e.loggedIn(t), "apps", "create", "tty", "-f", "testdata/docker-compose.yml")
	if r.code != 0 || !strings.Contains(r.stderr, "\x1b[32m✓\x1b[0m service") || !strings.Contains(r.stderr, "\x1b[2K") || !spun(r.stderr) {
		t.Fatalf("on a terminal: exit %d; want a spinner, redraws and a green tick for service", r.code)
	}
	if strings.Contains(r.stderr, "[  0.0s]") {
		t.Error("on a terminal the plain lines were printed")
	}
	// CI prints plain lines even on a terminal.
	ci := e.loggedIn(t)
	ci["CI"] = "true"
	r = onTerminal(ci, "run", "--app", "tty", "--", "echo", "hi")
	if !strings.Contains(r.stderr, "step command    SUCCEEDED") {
		t.Errorf("with CI set: no plain step lines")
	}
	noColour := e.loggedIn(t)
	noColour["NO_COLOR"] = "1"
	// (The final frame may have no steps: once teardown removes the
	// records, the operation answers SUCCEEDED without them.)
	r = onTerminal(noColour, "apps", "delete", "tty")
	if r.code != 0 || !strings.Contains(r.stderr, "Deleting application tty SUCCEEDED") || strings.Contains(r.stderr, "\x1b[32m") || strings.Contains(r.stderr, "\x1b[1m") {
		t.Fatalf("with NO_COLOR: exit %d; want the outcome drawn and no colour", r.code)
	}
}

func TestEnvironmentsAndFollowingLogs(t *testing.T) {
	e := stack(t)
	e.createApp(t, "envs")
	vars := e.loggedIn(t)
	r := berth(t, vars, "env", "create", "staging", "--app", "envs")
	if r.code != 0 || !strings.Contains(r.stdout, "environment envs/staging: ACTIVE") || !strings.Contains(r.stderr, "step service    SUCCEEDED") {
		t.Fatalf("env create: exit %d", r.code)
	}
	r = berth(t, vars, "env", "list", "--app", "envs", "-o", "json")
	var envs []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &envs); err != nil || len(envs) != 2 {
		t.Fatalf("env list -o json: %v, %d environments, want production and staging", err, len(envs))
	}
	if r := berth(t, vars, "env", "get", "staging", "--app", "envs"); !strings.Contains(r.stdout, "status       ACTIVE") {
		t.Errorf("env get: not ACTIVE")
	}

	// --follow prints the lines there are, then goes on until interrupted;
	// an interrupt ends it with 0.
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	code := cli.Run(ctx, []string{"logs", "--app", "envs", "--env", "staging", "--follow", "--since", "1h"}, cli.IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut,
		Getenv: func(k string) string { return vars[k] }, Poll: 50 * time.Millisecond})
	if code != 0 || !strings.Contains(out.String(), "Starting container web") {
		t.Fatalf("logs --follow: exit %d\n%s%s", code, out.String(), errOut.String())
	}

	r = berth(t, vars, "env", "delete", "staging", "--app", "envs")
	if r.code != 0 || !strings.Contains(r.stdout, "environment envs/staging deleted: SUCCEEDED") {
		t.Fatalf("env delete: exit %d", r.code)
	}
	if code, _ := e.get(t, "/applications/envs/environments/staging"); code != http.StatusNotFound {
		t.Fatalf("staging after delete: %d", code)
	}
	if r := berth(t, vars, "env", "get", "staging", "--app", "envs"); r.code != 1 || !strings.Contains(r.stderr, "404") {
		t.Errorf("env get of a deleted environment: exit %d, want 1 with the API's 404", r.code)
	}
}

func TestFailedDeploymentExitsOneWithTheReason(t *testing.T) {
	e := stack(t)
	e.createApp(t, "broken")
	vars := e.loggedIn(t)
	r := berth(t, vars, "deploy", "--app", "broken", "-f", "testdata/crashloop.yml")
	if r.code != 1 {
		t.Fatalf("deploying a crashlooping image: exit %d, want 1", r.code)
	}
	if !strings.Contains(r.stderr, "step rollout    FAILED") || !strings.Contains(r.stderr, "deployment of broken/production: FAILED: ") {
		t.Errorf("stderr does not show the failed step and the reason")
	}
	// The reason printed is the operation's error.
	r = berth(t, vars, "ops", "list", "--app", "broken", "-o", "json")
	var ops []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &ops); err != nil || len(ops) == 0 || ops[0]["status"] != "FAILED" {
		t.Fatalf("ops list: %v %v", err, ops)
	}
	if reason, _ := ops[0]["error"].(string); reason == "" || !strings.Contains(r.stderr+berth(t, vars, "ops", "watch", ops[0]["id"].(string)).stderr, reason) {
		t.Errorf("ops watch of the failed deployment does not print its error %q", reason)
	}
}
