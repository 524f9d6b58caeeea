package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/getkin/kin-openapi/openapi3"

	"github.com/berth-dev/berth/shared/auth"
	"github.com/berth-dev/berth/shared/cloud/sandbox"
	"github.com/berth-dev/berth/shared/localstack"
	"github.com/berth-dev/berth/shared/store"
	"github.com/berth-dev/berth/web"
)

// chromium is Debian's chromium, which `make browser-deps` installs;
// BERTH_CHROMIUM points elsewhere.
func chromium(t *testing.T) string {
	path := os.Getenv("BERTH_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if fi, err := os.Stat(path); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		// Not a skip: without a browser, /docs and /console are untested.
		t.Fatalf("no Chromium at %s (%v): run `make browser-deps` (apt-get install chromium) or set BERTH_CHROMIUM", path, err)
	}
	return path
}

// browser starts a headless Chromium with a fresh profile.
func browser(t *testing.T) context.Context {
	t.Helper()
	profile := t.TempDir() // removed after the browser stops
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath(chromium(t)), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile), chromedp.WindowSize(1280, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx
}

// watchExceptions collects the page's uncaught exceptions.
func watchExceptions(t *testing.T, ctx context.Context) func() []string {
	t.Helper()
	var mu sync.Mutex
	var seen []string
	var console []string
	t.Cleanup(func() {
		if t.Failed() {
			mu.Lock()
			defer mu.Unlock()
			t.Logf("the browser's console:\n%s", strings.Join(console, "\n"))
		}
	})
	if err := chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			mu.Lock()
			defer mu.Unlock()
			var args []string
			for _, a := range e.Args {
				args = append(args, string(a.Value)+a.Description)
			}
			console = append(console, string(e.Type)+": "+strings.Join(args, " "))
		case *cdplog.EventEntryAdded:
			mu.Lock()
			defer mu.Unlock()
			console = append(console, string(e.Entry.Level)+": "+e.Entry.Text+" "+e.Entry.URL)
		}
		if e, ok := ev.(*runtime.EventExceptionThrown); ok {
			mu.Lock()
			defer mu.Unlock()
			d := e.ExceptionDetails
			text := d.Text
			if d.Exception != nil {
				text += " " + d.Exception.Description
			}
			seen = append(seen, fmt.Sprintf("%s (%s:%d)", text, d.URL, d.LineNumber+1))
		}
	}); err != nil {
		t.Fatal(err)
	}
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(seen)
	}
}

// screenshot saves the page to $BERTH_SCREENSHOTS/name.png when that
// folder is set, to look at what a test saw.
func screenshot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("BERTH_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
	}
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
	}
}

// site builds the site from this repository, as `make site` does.
func site(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := web.Build("..", dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// waitJS evaluates expr (a string-valued expression) until ok accepts its
// value, and returns it; the test fails at the timeout.
func waitJS(t *testing.T, ctx context.Context, what, expr string, timeout time.Duration, ok func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err == nil && ok(got) {
			return got
		}
		if time.Now().After(deadline) {
			page, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
			t.Fatalf("%s: still %q (%v) after %s; the page:\n%s", what, got, err, timeout, page)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestDocsListsEveryOperation: /docs renders docs/openapi.yaml with the
// bundled renderer, every operation with its operationId and summary.
func TestDocsListsEveryOperation(t *testing.T) {
	spec, err := openapi3.NewLoader().LoadFromFile("../" + web.SpecPath)
	if err != nil {
		t.Fatal(err)
	}
	var wantIDs, wantSummaries []string
	for _, item := range spec.Paths.Map() {
		for _, op := range item.Operations() {
			wantIDs = append(wantIDs, op.OperationID)
			wantSummaries = append(wantSummaries, op.Summary)
		}
	}
	slices.Sort(wantIDs)
	slices.Sort(wantSummaries)
	if len(wantIDs) < 50 {
		t.Fatalf("read only %d operations from the specification", len(wantIDs))
	}

	api := httptest.NewServer(web.Handler(site(t), nil))
	defer api.Close()
	ctx := browser(t)
	exceptions := watchExceptions(t, ctx)
	if err := chromedp.Do(ctx, chromedp.Navigate(api.URL+"/docs")); err != nil {
		t.Fatal(err)
	}
	count := fmt.Sprint(len(wantIDs))
	waitJS(t, ctx, "operations rendered", `String(document.querySelectorAll(".opblock").length)`, 60*time.Second, func(s string) bool { return s == count })
	gotIDs, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll(".opblock-summary-operation-id")].map(e => e.textContent.trim())`))
	if err != nil {
		t.Fatal(err)
	}
	gotSummaries, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll(".opblock-summary-description")].map(e => e.textContent.trim())`))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(gotIDs)
	slices.Sort(gotSummaries)
	if !slices.Equal(gotIDs, wantIDs) {
		t.Errorf("operationIds on /docs:\n%v\nwant\n%v", gotIDs, wantIDs)
	}
	if !slices.Equal(gotSummaries, wantSummaries) {
		t.Errorf("summaries on /docs:\n%v\nwant\n%v", gotSummaries, wantSummaries)
	}
	screenshot(t, ctx, "docs")
	if e := exceptions(); len(e) > 0 {
		t.Errorf("uncaught exceptions on /docs: %v", e)
	}
}

// TestConsoleCreatesAnApplication: on /console, a user signs in with a
// token, creates an application from a docker-compose file through the
// form, and watches it, its production environment and its provisioning's
// steps reach ACTIVE and SUCCEEDED, then sees its release and its logs.
func TestConsoleCreatesAnApplication(t *testing.T) {
	ctx := context.Background()
	stack, err := localstack.Start(ctx, localstack.Config{Table: "berth-console", RunWorkflows: true, Sandbox: sandbox.New(sandbox.Fast),
		Log: slog.New(slog.NewJSONHandler(io.Discard, nil)), CacheDecisions: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stack.Close() })
	token, id, secret := auth.NewSecret()
	rec := auth.Token{ID: id, SecretHash: auth.HashSecret(secret), Organisations: []string{"acme"}, Role: auth.RoleAdmin, CreatedAt: time.Now().UTC()}
	if err := (&store.Table{Client: stack.Client, Name: stack.Table}).CreateToken(ctx, rec); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.Handler(site(t), stack.Handler))
	defer srv.Close()

	b := browser(t)
	exceptions := watchExceptions(t, b)
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		tctx, cancel := context.WithTimeout(b, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(tctx, actions...); err != nil {
			text, _ := chromedp.Run(b, chromedp.Evaluate[string](`document.body.innerText`))
			t.Logf("the page:\n%s", text)
			t.Fatalf("%s: %v", what, err)
		}
	}

	// A wrong token is refused and not kept.
	run("open the console", chromedp.Navigate(srv.URL+"/console"), chromedp.WaitVisible(chromedp.CSS("#login-form")))
	run("sign in with a wrong token",
		chromedp.SendKeys(chromedp.CSS(`#login-form input[name=org]`), "acme"),
		chromedp.SendKeys(chromedp.CSS(`#login-form input[name=token]`), "brt_wrong"),
		chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)))
	waitJS(t, b, "the refusal", `document.querySelector("#login-error").textContent`, 10*time.Second,
		func(s string) bool { return strings.HasPrefix(s, "Sign-in failed") })

	run("sign in",
		chromedp.SetValue(chromedp.CSS(`#login-form input[name=token]`), token),
		chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#main")))
	// The sign-in outlives a reload (local storage).
	run("reload", chromedp.Reload())
	run("signed in after the reload", chromedp.WaitVisible(chromedp.CSS("#main")), chromedp.WaitVisible(chromedp.CSS("#apps-empty")))

	const compose = `services:
  web:
    image: nginx:1.27
    ports: ["8080:80"]
    environment:
      GREETING: hello
    depends_on: [cache]
  cache:
    image: redis:7
`
	run("fill in the form",
		chromedp.SetValue(chromedp.CSS(`#create-form input[name=appName]`), "shop"),
		chromedp.SetValue(chromedp.CSS(`#create-form textarea[name=compose]`), compose),
		chromedp.Click(chromedp.CSS(`#validate`)))
	warnings := waitJS(t, b, "validation", `document.querySelector("#create-result").textContent`, 10*time.Second,
		func(s string) bool { return strings.HasPrefix(s, "Valid") || strings.HasPrefix(s, "Invalid") })
	if !strings.HasPrefix(warnings, "Valid: containers cache, web.") || !strings.Contains(warnings, "published port 8080") {
		t.Fatalf("validation shows %q; want both containers and the warning on the published port 8080", warnings)
	}
	run("create", chromedp.Click(chromedp.CSS(`#create-form button[type=submit]`)))
	created := waitJS(t, b, "creation", `document.querySelector("#create-result [data-result]")?.textContent || ""`, 10*time.Second,
		func(s string) bool { return strings.HasPrefix(s, "Created") || strings.HasPrefix(s, "Not created") })
	if !strings.HasPrefix(created, "Created shop (CREATING)") {
		t.Fatalf("the form answered %q", created)
	}

	// The application, then its environment and its provisioning, reach the
	// end; on the way, the console shows the provisioning's steps as they run.
	progress := `(document.querySelector('li.app[data-app="shop"] > .status')?.textContent || "") + " " +
		[...document.querySelectorAll('#operations .op[data-operation="provision-application"] .step')].map(s => s.dataset.step + "=" + s.dataset.state).join(" ")`
	var seen []string
	last := waitJS(t, b, "shop's status", progress, 120*time.Second, func(s string) bool {
		if strings.TrimSpace(s) != "" && (len(seen) == 0 || seen[len(seen)-1] != s) {
			seen = append(seen, s)
		}
		return strings.HasPrefix(s, "FAILED") || strings.Contains(s, "=FAILED") || (strings.HasPrefix(s, "ACTIVE") && strings.HasSuffix(s, "service=SUCCEEDED"))
	})
	t.Logf("shop in the console:\n%s", strings.Join(seen, "\n"))
	if want := "ACTIVE database=SKIPPED filesystem=SKIPPED repository=SKIPPED network=SUCCEEDED runtime=SUCCEEDED service=SUCCEEDED"; last != want {
		t.Fatalf("shop ended %q, want %q", last, want)
	}
	if !strings.HasPrefix(seen[0], "CREATING") || !slices.ContainsFunc(seen, func(s string) bool { return strings.Contains(s, "=RUNNING") || strings.Contains(s, "=PENDING") }) {
		t.Errorf("the console showed shop first as %q and never with a step to come; want CREATING, then the steps as they run", seen[0])
	}
	waitJS(t, b, "production's status", `document.querySelector('li.env[data-env="shop/production"] > .status')?.textContent || ""`, 30*time.Second,
		func(s string) bool { return s == "ACTIVE" })
	waitJS(t, b, "the provisioning", `document.querySelector('#operations .op[data-operation="provision-application"]')?.dataset.status || ""`, 30*time.Second,
		func(s string) bool { return s == "SUCCEEDED" })
	waitJS(t, b, "the environment's summary", `document.querySelector("#env-status")?.dataset.status || ""`, 10*time.Second,
		func(s string) bool { return s == "ACTIVE" })
	waitJS(t, b, "release 1", `document.querySelector("#releases tbody tr td")?.textContent || ""`, 10*time.Second,
		func(s string) bool { return s == "1" })
	waitJS(t, b, "the log tail", `document.querySelector("#logs").textContent`, 30*time.Second,
		func(s string) bool { return strings.Contains(s, " web ") || strings.Contains(s, " cache ") })
	screenshot(t, b, "console")
	if e := exceptions(); len(e) > 0 {
		t.Errorf("uncaught exceptions on /console: %v", e)
	}
}
