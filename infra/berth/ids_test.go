package berth_test

import (
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/berth-dev/berth/infra/berth"
	"github.com/berth-dev/berth/shared/api"
	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/dialect"
	"github.com/berth-dev/berth/shared/provision"
)

// newStackWith runs NewStack over routes with nothing built: a route check
// fails before any function is looked for.
func newStackWith(t *testing.T, routes []api.Route) error {
	t.Helper()
	cfg := berth.DefaultConfig()
	cfg.CodeDir = t.TempDir()
	cfg.StateMachinesDir = filepath.Join(repoRoot, "infra", "testdata", "statemachines")
	_, err := berth.NewStack(awscdk.NewApp(nil), "Ids", &berth.StackProps{Config: cfg, Routes: routes})
	return err
}

// Two routes whose functions would be one construct fail the stack with
// an error naming them, not CDK's "There is already a Construct with
// name ..." panic. The first case is how that panic was met: a dialect
// named qovery whose copy of Quant's list-containers is named
// qovery-list-containers, as Qovery's own route is, in the one nested
// stack QoveryRoutes.
func TestCollidingRouteIDsFailTheStack(t *testing.T) {
	fakeQovery := &dialect.Dialect{Name: "qovery"}
	copyOf := func(rt api.Route, name string, d *dialect.Dialect) api.Route {
		rt.Name, rt.Dialect = name, d
		rt.Pattern = "/copy" + rt.Pattern
		return rt
	}
	cases := map[string]struct {
		routes []api.Route
		want   []string
	}{
		"a dialect's route named as another of its stack": {
			append(api.Routes(), copyOf(api.ListContainersRoute, "qovery-list-containers", fakeQovery)),
			[]string{"route qovery-list-containers", "two routes have this name"},
		},
		"the same name in two stacks": {
			append(api.Routes(), copyOf(api.ListContainersRoute, "list-containers", fakeQovery)),
			[]string{"route list-containers", "two routes have this name"},
		},
		"names that pascal makes one": {
			append(api.Routes(), copyOf(api.ListContainersRoute, "list1-containers", nil), copyOf(api.ListContainersRoute, "list-1containers", nil)),
			[]string{"route list-1containers", "each starting with a letter"},
		},
		"a route named as a construct of the main stack": {
			append(api.Routes(), copyOf(api.ListContainersRoute, "table-name", nil)),
			[]string{"route table-name", "construct id TableName in the main stack", "the stack's own construct TableName"},
		},
		"a route named as a dialect's nested stack": {
			append(api.Routes(), copyOf(api.ListContainersRoute, "qovery-routes", nil)),
			[]string{"route qovery-routes", "construct id QoveryRoutes in the main stack"},
		},
		"a route named as a construct of its nested stack": {
			append(api.Routes(), copyOf(api.ListContainersRoute, "api-invoke-role", fakeQovery)),
			[]string{"route api-invoke-role", "construct id ApiInvokeRole in nested stack QoveryRoutes"},
		},
		"a route named as a step's function": {
			append(api.Routes(), copyOf(api.ListContainersRoute, provision.StepBegin, nil)),
			[]string{"route " + provision.StepBegin, "is not a route's function"},
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			err := newStackWith(t, c.routes)
			for _, w := range c.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Fatalf("error %v, want one saying %q", err, w)
				}
			}
		})
	}
	// Berth's routes pass the check: the stack fails only later, on the
	// functions not built.
	if err := newStackWith(t, nil); err == nil || !strings.Contains(err.Error(), "make build") {
		t.Fatalf("error %v, want only the unbuilt functions'", err)
	}
}

// pascalLike is what a function's construct id can look like (pascal of a
// route name): other ids cannot collide with one.
var pascalLike = regexp.MustCompile(`^[A-Z][A-Za-z0-9]*$`)

// ReservedIDs lists every construct id of the synthesized stacks, main and
// nested, that is not a function's and could be one: a route named after
// one that is not listed would still stop the synthesis.
func TestReservedIDsCoverTheStacks(t *testing.T) {
	s := synth(t)
	functions := map[string]bool{"Authorizer": true, "Reconcile": true}
	for _, rt := range api.Routes() {
		functions[strings.TrimSuffix(berth.FunctionLogicalID(rt.Name), "Function")] = true
	}
	for _, step := range provision.StepNames {
		functions[strings.TrimSuffix(berth.FunctionLogicalID(step), "Function")] = true
	}
	check := func(where, dialectName string, scope constructs.Construct) {
		var dialects []string
		for _, d := range s.Stack.Dialects {
			dialects = append(dialects, d.Name)
		}
		reserved := berth.ReservedIDs(dialectName, apps.Workflows, dialects)
		var unlisted []string
		for _, c := range *scope.Node().Children() {
			id := *c.Node().Id()
			if pascalLike.MatchString(id) && !functions[id] && !slices.Contains(reserved, id) {
				unlisted = append(unlisted, id)
			}
		}
		if len(unlisted) > 0 {
			t.Errorf("%s: construct ids %v are not in berth.ReservedIDs(%q)", where, unlisted, dialectName)
		}
	}
	check("the main stack", "", s.Stack.Stack)
	if len(s.Stack.Dialects) == 0 {
		t.Fatal("no dialect's nested stack to check")
	}
	for _, d := range s.Stack.Dialects {
		check(berth.DialectStackID(d.Name), d.Name, d.NestedStack)
	}
}
