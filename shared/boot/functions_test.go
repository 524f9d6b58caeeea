package boot_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/berth-dev/berth/shared/api"
	"github.com/berth-dev/berth/shared/provision"
)

// TestEveryRouteHasAFunction: each route needs functions/<route>/main.go
// calling boot.Lambda with its route variable (api.<Name>Route), each workflow step a
// functions/<step>/main.go calling stepboot.Lambda (with the AWS cloud
// adapter only when the step needs the cloud), and every function folder is
// a route, a step, the authorizer or the reconciler.
func TestEveryRouteHasAFunction(t *testing.T) {
	names := map[string]bool{"authorizer": true, "reconcile": true}
	for _, step := range provision.StepNames {
		names[step] = true
		src, err := os.ReadFile(filepath.Join("../../functions", step, "main.go"))
		if err != nil {
			t.Errorf("step %s has no function: %v", step, err)
			continue
		}
		if !strings.Contains(string(src), "stepboot.Lambda(provision.") {
			t.Errorf("functions/%s/main.go does not serve its step", step)
		}
		if want, got := provision.NeedsCloud(step), awsCloudPort.Match(src); want != got {
			t.Errorf("functions/%s/main.go: needs the cloud %v, links the AWS adapter %v", step, want, got)
		}
		// A cloud step links its own group's part only.
		own := "aws" + strings.TrimPrefix(step, "step-") + ".FromEnv"
		if step == provision.StepScaling {
			own = "awsautoscaling.FromEnv" // awsscaling is the scaling-policy API's adapter
		}
		if provision.NeedsCloud(step) && (strings.Count(string(src), ".FromEnv") != 1 || !strings.Contains(string(src), own)) {
			t.Errorf("functions/%s/main.go passes a cloud other than %s alone", step, own)
		}
	}
	for _, r := range api.Routes() {
		names[r.Name] = true
		src, err := os.ReadFile(filepath.Join("../../functions", r.Name, "main.go"))
		if err != nil {
			t.Errorf("route %s has no function: %v", r.Name, err)
			continue
		}
		if !strings.Contains(string(src), "boot.Lambda(api."+routeVar(r.Name)+",") || strings.Contains(string(src), "Routes()") {
			t.Errorf("functions/%s/main.go does not serve route %s through its variable alone", r.Name, r.Name)
		}
		// Each function names the adapters its route needs, and only those,
		// so that it links only the AWS clients it uses.
		if want, got := len(r.Starts) > 0, strings.Contains(string(src), "stepfunctions.New"); want != got {
			t.Errorf("functions/%s/main.go: starts workflows %v, links the starter %v", r.Name, want, got)
		}
		if want, got := r.UsageKeys, strings.Contains(string(src), "apikeys.New"); want != got {
			t.Errorf("functions/%s/main.go: issues API keys %v, links them %v", r.Name, want, got)
		}
		if want, got := r.Compose, strings.Contains(string(src), "composego.Translate"); want != got {
			t.Errorf("functions/%s/main.go: translates compose files %v, links compose-go %v", r.Name, want, got)
		}
		if want, got := r.Registry, strings.Contains(string(src), "ecrlogin.New"); want != got {
			t.Errorf("functions/%s/main.go: issues registry logins %v, links the ECR client %v", r.Name, want, got)
		}
		if want, got := r.Schedules, strings.Contains(string(src), "awsschedules.New"); want != got {
			t.Errorf("functions/%s/main.go: keeps schedules %v, links the EventBridge Scheduler client %v", r.Name, want, got)
		}
		if want, got := r.Scaling, strings.Contains(string(src), "awsscaling.New"); want != got {
			t.Errorf("functions/%s/main.go: changes scaling policies %v, links the Application Auto Scaling client %v", r.Name, want, got)
		}
	}
	dirs, err := os.ReadDir("../../functions")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if !names[d.Name()] {
			t.Errorf("functions/%s serves no route", d.Name())
		}
	}
}

// awsCloudPort is a step function's AWS cloud adapter: the FromEnv of an
// awscloud part (awsdatabase, awsservice, ...) or of awsall.
var awsCloudPort = regexp.MustCompile(`\baws[a-z]*\.FromEnv\b`)

// routeVar is the api package's variable for a route: get-application is
// GetApplicationRoute.
func routeVar(name string) string {
	var b strings.Builder
	for _, w := range strings.Split(name, "-") {
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String() + "Route"
}

// TestOnlyComposeRoutesLinkComposeGo: compose-go compiles a JSON schema at
// init (about 10 ms and 27,000 allocations), so a function that links it
// without serving validate-compose pays that at every cold start. This
// reads each function's dependencies from the go command.
func TestOnlyComposeRoutesLinkComposeGo(t *testing.T) {
	compose := map[string]bool{}
	for _, r := range api.Routes() {
		compose[r.Name] = r.Compose
	}
	dirs, err := os.ReadDir("../../functions")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		deps, err := exec.Command("go", "list", "-deps", "../../functions/"+d.Name()).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", d.Name(), err)
		}
		links := strings.Contains(string(deps), "github.com/compose-spec/compose-go")
		if links != compose[d.Name()] {
			t.Errorf("functions/%s links compose-go %v; it serves compose files %v", d.Name(), links, compose[d.Name()])
		}
	}
}
