package berth_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"

	"github.com/berth-dev/berth/infra/berth"
	"github.com/berth-dev/berth/shared/api"
	"github.com/berth-dev/berth/shared/dialect"
	"github.com/berth-dev/berth/shared/provision"
)

// The infra tests synthesize the stack once per package (jsii runs the CDK
// in a Node.js child process, which takes seconds) and share the result.

const (
	testAccount = "123456789012"
	testRegion  = "eu-west-1"
	testStack   = "BerthTest"
	// testDataImage is the data tasks' image the tests synthesize with.
	testDataImage = testAccount + ".dkr.ecr." + testRegion + ".amazonaws.com/berth/berth-data:1.0"
)

var (
	repoRoot string
	// functionNames are every function the stack deploys: one per route,
	// the authorizer, and the workflows' step functions.
	functionNames []string
)

// childEnv marks the test process that TestMain starts.
const childEnv = "BERTH_INFRA_TEST_CHILD"

// TestMain runs the tests in a child process with Node.js 22 first on PATH
// and in JSII_NODE, and TMPDIR in a directory of its own. jsii resolves
// the node binary while the awscdk packages initialise, before TestMain
// runs, so the environment must be right when the process starts; and
// jsii extracts its kernel under TMPDIR, which the parent removes (the
// child cannot call jsii.Close, which races under -race in
// jsii-runtime-go 1.119).
func TestMain(m *testing.M) {
	root, err := findRepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "infra tests:", err)
		os.Exit(1)
	}
	repoRoot = root
	for _, rt := range api.Routes() {
		functionNames = append(functionNames, rt.Name)
	}
	functionNames = append(functionNames, berth.AuthorizerFunction)
	functionNames = append(functionNames, provision.StepNames...)
	functionNames = append(functionNames, berth.ReconcileFunction)
	if os.Getenv(childEnv) != "" {
		code := m.Run()
		if tmpRoot != "" {
			os.RemoveAll(tmpRoot)
		}
		os.Exit(code)
	}
	code := runChild()
	// The awscdk packages set up a jsii kernel (a temporary directory, no
	// process yet) in this process too; closing it removes the directory.
	jsii.Close()
	os.Exit(code)
}

func runChild() int {
	node, err := node22()
	if err != nil {
		fmt.Fprintln(os.Stderr, "infra tests:", err)
		return 1
	}
	tmp, err := os.MkdirTemp("", "berth-infra-jsii-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "infra tests:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(),
		childEnv+"=1",
		"PATH="+filepath.Dir(node)+string(os.PathListSeparator)+os.Getenv("PATH"),
		"JSII_NODE="+node,
		"TMPDIR="+tmp,
	)
	if err := cmd.Run(); err != nil {
		if exit, ok := err.(*exec.ExitError); ok {
			return exit.ExitCode()
		}
		fmt.Fprintln(os.Stderr, "infra tests:", err)
		return 1
	}
	return 0
}

func findRepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// node22 finds a Node.js 22 or later for jsii: the node on PATH if it is
// new enough, else the one `make infra-tools` installs. Without either,
// the tests fail: they must not pass by running nothing.
func node22() (string, error) {
	if path, err := exec.LookPath("node"); err == nil {
		if major, err := nodeMajor(path); err == nil && major >= 22 {
			return path, nil
		}
	}
	arch := "x64"
	if runtime.GOARCH == "arm64" {
		arch = "arm64"
	}
	node := filepath.Join(repoRoot, ".berth", "tools", "node_modules", "node-linux-"+arch, "bin", "node")
	if major, err := nodeMajor(node); err != nil || major < 22 {
		return "", fmt.Errorf("the CDK tests need Node.js >= 22 for jsii; the node on PATH is older or missing, and %s is not there: run `make infra-tools` (or `make test`, which runs it)", node)
	}
	return node, nil
}

func nodeMajor(node string) (int, error) {
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		return 0, err
	}
	v := strings.TrimPrefix(strings.TrimSpace(string(out)), "v")
	major, _, _ := strings.Cut(v, ".")
	return strconv.Atoi(major)
}

// buildFunctions builds every function as `make build` does, into
// dir/<name>/bootstrap, for goarch on linux.
func buildFunctions(dir, goarch string) error {
	pkgs := make([]string, len(functionNames))
	for i, name := range functionNames {
		pkgs[i] = "./functions/" + name
	}
	out := filepath.Join(dir, ".out")
	args := append([]string{"build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", out + string(filepath.Separator)}, pkgs...)
	cmd := exec.Command("go", args...)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", strings.Join(pkgs, " "), err, b)
	}
	for _, name := range functionNames {
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			return err
		}
		if err := os.Rename(filepath.Join(out, name), filepath.Join(dir, name, "bootstrap")); err != nil {
			return err
		}
	}
	return os.Remove(out)
}

// synthesized is the stack synthesized once for the package.
type synthesized struct {
	// Template is the CloudFormation template.
	Template map[string]any
	// All is Template with its nested stacks' resources (withNested).
	All map[string]any
	// Dir is the cloud assembly directory (cdk.out).
	Dir string
	// Messages are the stack's annotations, cdk-nag's findings among them.
	Messages []*cxapi.SynthesisMessage
	Stack    *berth.Stack
	Config   berth.Config
	// Nested are the templates of the stacks nested in Template, by their
	// logical id (one per dialect: Cfv2Routes...).
	Nested map[string]map[string]any
	// Sizes are the templates' sizes in bytes: "" the main one's.
	Sizes map[string]int
}

var (
	synthOnce   sync.Once
	synthResult *synthesized
	synthErr    error
	tmpRoot     string
)

// synth synthesizes the stack, with cdk-nag, the first time it is called.
func synth(t *testing.T) *synthesized {
	t.Helper()
	synthOnce.Do(func() { synthResult, synthErr = doSynth() })
	if synthErr != nil {
		t.Fatal(synthErr)
	}
	return synthResult
}

func doSynth() (*synthesized, error) {
	var err error
	if tmpRoot, err = os.MkdirTemp("", "berth-infra-test-"); err != nil {
		return nil, err
	}
	if err := buildFunctions(filepath.Join(tmpRoot, "bin"), "arm64"); err != nil {
		return nil, err
	}
	return synthesize(filepath.Join(tmpRoot, "cdk.out"), nil)
}

// synthesize synthesizes the stack, with cdk-nag, into outDir, with the
// functions doSynth built; routes nil is api.Routes().
func synthesize(outDir string, routes []api.Route) (*synthesized, error) {
	codeDir := filepath.Join(tmpRoot, "bin")
	// The same context `cdk synth` passes: cdk.json's feature flags, plus
	// settings given as strings, as `cdk synth -c key=value` gives them.
	ctx, err := cdkJSONContext()
	if err != nil {
		return nil, err
	}
	// What the CLI adds: construct paths and asset paths in the template's
	// metadata (SAM reads aws:asset:path to find each function's code).
	ctx["aws:cdk:enable-path-metadata"] = true
	ctx["aws:cdk:enable-asset-metadata"] = true
	ctx[berth.CtxStackName] = testStack
	ctx[berth.CtxCodeDir] = codeDir
	// The repository's real definitions, as `make synth` uses them.
	ctx[berth.CtxStateMachinesDir] = filepath.Join(repoRoot, "statemachines")
	ctx[berth.CtxAPIThrottleRate] = "250"
	ctx[berth.CtxAPIThrottleBurst] = "600"
	ctx[berth.CtxTokenThrottleRate] = "25"
	ctx[berth.CtxTokenThrottleBurst] = "60"
	ctx[berth.CtxPlatformDomain] = "apps.example.com"
	ctx[berth.CtxBackupRetentionDays] = backupRetentionDays
	ctx[berth.CtxDataImage] = testDataImage
	app := awscdk.NewApp(&awscdk.AppProps{
		Outdir:             jsii.String(outDir),
		Context:            &ctx,
		AnalyticsReporting: jsii.Bool(false),
	})
	cfg, err := berth.ConfigFromContext(app.Node())
	if err != nil {
		return nil, err
	}
	stack, err := berth.NewStack(app, cfg.StackName, &berth.StackProps{
		StackProps: awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String(testAccount), Region: jsii.String(testRegion)}},
		Config:     cfg,
		Routes:     routes,
	})
	if err != nil {
		return nil, err
	}
	berth.AddNagChecks(app)
	assembly := app.Synth(nil)
	artifact := assembly.GetStackByName(jsii.String(testStack))
	raw, err := os.ReadFile(*artifact.TemplateFullPath())
	if err != nil {
		return nil, err
	}
	s := &synthesized{Dir: outDir, Stack: stack, Config: cfg, Sizes: map[string]int{"": len(raw)}}
	if err := json.Unmarshal(raw, &s.Template); err != nil {
		return nil, err
	}
	if s.Nested, err = berth.NestedTemplates(outDir, s.Template); err != nil {
		return nil, err
	}
	if s.All, err = withNested(s.Template, s.Nested); err != nil {
		return nil, err
	}
	for id := range s.Nested {
		res, _ := s.Template["Resources"].(map[string]any)
		md, _ := res[id].(map[string]any)["Metadata"].(map[string]any)
		info, err := os.Stat(filepath.Join(outDir, fmt.Sprint(md["aws:asset:path"])))
		if err != nil {
			return nil, err
		}
		s.Sizes[id] = int(info.Size())
	}
	if msgs := artifact.Messages(); msgs != nil {
		s.Messages = *msgs
	}
	return s, nil
}

// Fake routes of other dialects: real routes copied, renamed and moved
// under each dialect's path, each with the function of the route it
// copies (a hard link to its bootstrap). Qovery's lie under /api, which
// Berth's own routes start with, so that a path shared with the main
// stack is imported rather than made twice.
var fakeDialects = []struct{ name, prefix string }{
	{"cfv2", "/v2/x"}, {"cfv3", "/v3/x"}, {"qovery", "/api/qovery/x"},
}

// fakeRoutesPerDialect is how many routes each fake dialect has.
const fakeRoutesPerDialect = 15

// fakeOriginal maps a fake route's name to the real route it copies.
var fakeOriginal = map[string]string{}

// fakeDialectRoutes are fakeRoutesPerDialect routes per fake dialect,
// spread over Berth's own routes (the shell route aside: one function only
// may issue shell access), after those routes: the real dialects' routes
// are not among them, so each fake dialect's are all of its routes.
func fakeDialectRoutes() ([]api.Route, error) {
	var real []api.Route
	for _, rt := range ownRoutes() {
		if !rt.Shell {
			real = append(real, rt)
		}
	}
	routes := ownRoutes()
	codeDir := filepath.Join(tmpRoot, "bin")
	for k, d := range fakeDialects {
		dl := &dialect.Dialect{Name: d.name}
		for j := range fakeRoutesPerDialect {
			rt := real[(j*len(real)/fakeRoutesPerDialect+k)%len(real)]
			fake := rt
			fake.Name, fake.Pattern, fake.Dialect = d.name+"-fake-"+rt.Name, d.prefix+rt.Pattern, dl
			fakeOriginal[fake.Name] = rt.Name
			if err := os.MkdirAll(filepath.Join(codeDir, fake.Name), 0o755); err != nil {
				return nil, err
			}
			if err := os.Link(filepath.Join(codeDir, rt.Name, "bootstrap"), filepath.Join(codeDir, fake.Name, "bootstrap")); err != nil && !os.IsExist(err) {
				return nil, err
			}
			routes = append(routes, fake)
		}
	}
	return routes, nil
}

var (
	dialectsOnce   sync.Once
	dialectsResult *synthesized
	dialectsErr    error
)

// synthDialects synthesizes, once, the stack with Berth's own routes and
// the fake dialects' routes, into a cloud assembly of its own.
func synthDialects(t *testing.T) *synthesized {
	t.Helper()
	synth(t) // builds the functions
	dialectsOnce.Do(func() {
		routes, err := fakeDialectRoutes()
		if err != nil {
			dialectsErr = err
			return
		}
		dialectsResult, dialectsErr = synthesize(filepath.Join(tmpRoot, "cdk.out.dialects"), routes)
	})
	if dialectsErr != nil {
		t.Fatal(dialectsErr)
	}
	return dialectsResult
}

// ownRoutes are Berth's own routes: the main stack's. The other
// dialects' are in nested stacks.
func ownRoutes() []api.Route {
	var own []api.Route
	for _, rt := range api.Routes() {
		if rt.Dialect == nil {
			own = append(own, rt)
		}
	}
	return own
}

// dialectRoutes are api.Routes()'s other dialects' routes, by dialect.
func dialectRoutes() map[string][]api.Route {
	out := map[string][]api.Route{}
	for _, rt := range api.Routes() {
		if rt.Dialect != nil {
			out[rt.Dialect.Name] = append(out[rt.Dialect.Name], rt)
		}
	}
	return out
}

// cdkJSONContext is the context block of the repository's cdk.json.
func cdkJSONContext() (map[string]any, error) {
	raw, err := os.ReadFile(filepath.Join(repoRoot, "cdk.json"))
	if err != nil {
		return nil, err
	}
	var cdk struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(raw, &cdk); err != nil {
		return nil, fmt.Errorf("cdk.json: %w", err)
	}
	if cdk.Context == nil {
		cdk.Context = map[string]any{}
	}
	return cdk.Context, nil
}
