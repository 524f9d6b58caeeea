package berth_test

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/berth-dev/berth/infra/berth"
	"github.com/berth-dev/berth/shared/api"
)

// Resource budgets. CloudFormation takes at most 500 resources in a
// template. The main stack keeps 10 of them spare for what an update
// needs on its own (a replaced deployment, an alarm more for a group of
// functions more); a dialect's nested stack keeps 50, for routes added to
// a dialect before a new nested stack is due (about four resources each:
// function, role, log group, method, and a resource per new path part).
const (
	mainResourceBudget   = 490
	nestedResourceBudget = 450
	// templateSizeBudget is under CloudFormation's 1 MB for a template
	// given by S3 URL (cdk deploy uploads it; nested stacks are too).
	templateSizeBudget = 1_000_000
)

// stackIDs are the logical ids of the nested stacks of the dialects of
// routes, by dialect.
func stackIDs(routes map[string][]api.Route) map[string]string {
	ids := map[string]string{}
	for name := range routes {
		ids[name] = berth.DialectStackID(name)
	}
	return ids
}

// fakeRoutes are synthDialects' fake dialects' routes, by dialect.
func fakeRoutes(s *synthesized) map[string][]api.Route {
	out := map[string][]api.Route{}
	for _, d := range s.Stack.Dialects {
		out[d.Name] = d.Routes
	}
	return out
}

// Every dialect Berth speaks (api.Routes()'s routes with a Dialect) has a
// nested stack, which holds all of its routes, and nothing else does.
func TestEachDialectHasANestedStackOfAllItsRoutes(t *testing.T) {
	s := synth(t)
	want := dialectRoutes()
	if len(want) == 0 {
		t.Fatal("api.Routes() has no other dialect's routes")
	}
	if !sameStrings(slices.Collect(maps.Keys(s.Nested)), slices.Collect(maps.Values(stackIDs(want)))) {
		t.Errorf("nested templates %v, want %v", slices.Collect(maps.Keys(s.Nested)), slices.Collect(maps.Values(stackIDs(want))))
	}
	for _, d := range s.Stack.Dialects {
		var got, wantNames []string
		for _, rt := range d.Routes {
			got = append(got, rt.Name)
		}
		for _, rt := range want[d.Name] {
			wantNames = append(wantNames, rt.Name)
		}
		if !sameStrings(got, wantNames) {
			t.Errorf("dialect %s: routes %v, want %v", d.Name, got, wantNames)
		}
	}
}

// Each dialect's routes are in a nested stack of their own, with their
// functions, roles, log groups, methods and the role API Gateway invokes
// them as; none of it is in the main stack, which keeps Berth's own. So
// for the real dialects, and for the fake ones that fill nested stacks
// as a new dialect would.
func TestDialectRoutesAreInTheirNestedStacks(t *testing.T) {
	real := synth(t)
	fake := synthDialects(t)
	for what, c := range map[string]struct {
		s      *synthesized
		routes map[string][]api.Route
	}{"real": {real, dialectRoutes()}, "fake": {fake, fakeRoutes(fake)}} {
		t.Run(what, func(t *testing.T) { checkNestedStacks(t, c.s, c.routes) })
	}
	for name, routes := range fakeRoutes(fake) {
		if len(routes) != fakeRoutesPerDialect {
			t.Errorf("fake dialect %s: %d routes, want %d", name, len(routes), fakeRoutesPerDialect)
		}
	}
}

func checkNestedStacks(t *testing.T, s *synthesized, byDialect map[string][]api.Route) {
	ids := stackIDs(byDialect)
	if got := resources(s.Template, "AWS::CloudFormation::Stack"); len(got) != len(ids) {
		t.Fatalf("%d nested stacks, want %d", len(got), len(ids))
	}
	if !sameStrings(slices.Collect(maps.Keys(s.Nested)), slices.Collect(maps.Values(ids))) {
		t.Fatalf("nested templates %v, want %v", slices.Collect(maps.Keys(s.Nested)), slices.Collect(maps.Values(ids)))
	}
	own := ownRoutes()
	mainMethods := resources(s.Template, "AWS::ApiGateway::Method")
	if len(mainMethods) != len(own) {
		t.Errorf("the main stack has %d methods, want %d (Berth's own routes)", len(mainMethods), len(own))
	}
	mainAuthorizer := onlyResource(t, s.Template, "AWS::ApiGateway::Authorizer")
	for name, id := range ids {
		routes := byDialect[name]
		nested := s.Nested[id]
		if n := len(resources(nested, "AWS::CloudFormation::Stack")); n != 0 {
			t.Errorf("%s: %d stacks nested in it", id, n)
		}
		// Its own invoke role, allowed exactly its functions.
		var invokeRole string
		for _, r := range resources(nested, "AWS::IAM::Role") {
			if strings.Contains(flatten(r.Properties["AssumeRolePolicyDocument"]), "apigateway.amazonaws.com") {
				invokeRole = r.ID
			}
		}
		invokable := map[string]bool{}
		for _, st := range statements(nested, invokeRole) {
			for _, fn := range getAttArns(st["Resource"]) {
				invokable[fn] = true
			}
		}
		want := map[string]bool{}
		for _, rt := range routes {
			fn := berth.FunctionLogicalID(rt.Name)
			want[fn] = true
			resourceByID(t, nested, fn)
			if _, ok := s.Template["Resources"].(map[string]any)[fn]; ok {
				t.Errorf("%s: function %s is in the main stack too", id, fn)
			}
			if rt.Dialect == nil || rt.Dialect.Name != name {
				t.Errorf("%s: route %s of dialect %v", id, rt.Name, rt.Dialect)
			}
		}
		if !maps.Equal(invokable, want) {
			t.Errorf("%s: the invoke role %q may call %v, want exactly %v", id, invokeRole, slices.Sorted(maps.Keys(invokable)), slices.Sorted(maps.Keys(want)))
		}
		if n := len(resources(nested, "AWS::Lambda::Function")); n != len(routes) {
			t.Errorf("%s: %d functions, want %d", id, n, len(routes))
		}
		// Each method integrates its route's function, as the invoke role,
		// behind the main stack's authorizer, on the main stack's API: both
		// come in as the nested stack's parameters.
		params := nestedParameters(t, s, id)
		methods := resources(nested, "AWS::ApiGateway::Method")
		if len(methods) != len(routes) {
			t.Errorf("%s: %d methods, want %d", id, len(methods), len(routes))
		}
		gotOps := map[string]string{}
		for _, m := range methods {
			integ, _ := m.Properties["Integration"].(map[string]any)
			fns := getAttArns(integ["Uri"])
			op, _ := m.Properties["OperationName"].(string)
			if len(fns) != 1 {
				t.Errorf("%s: %s integrates %v", id, op, fns)
				continue
			}
			gotOps[op] = fns[0]
			if role, _, _ := getAtt(integ["Credentials"]); role != invokeRole {
				t.Errorf("%s: %s is invoked as %v, want %s", id, op, integ["Credentials"], invokeRole)
			}
			if p, _ := ref(m.Properties["AuthorizerId"]); !strings.Contains(flatten(params[p]), mainAuthorizer.ID) || m.Properties["AuthorizationType"] != "CUSTOM" || m.Properties["ApiKeyRequired"] != true {
				t.Errorf("%s: %s is authorized by %v (%v), want the main stack's %s", id, op, m.Properties["AuthorizerId"], params[p], mainAuthorizer.ID)
			}
			if p, _ := ref(m.Properties["RestApiId"]); !strings.Contains(flatten(params[p]), "<Ref:"+onlyResource(t, s.Template, "AWS::ApiGateway::RestApi").ID+">") {
				t.Errorf("%s: %s is on API %v (%v), want the main stack's", id, op, m.Properties["RestApiId"], params[p])
			}
		}
		for _, rt := range routes {
			if gotOps[rt.Name] != berth.FunctionLogicalID(rt.Name) {
				t.Errorf("%s: %s is integrated with %q", id, rt.Name, gotOps[rt.Name])
			}
		}
		// Its resources are the paths under its prefix; a path shared with
		// the main stack (Qovery's /api) is the main stack's, imported.
		// Its top resources hang off the API's root or off that resource.
		var top []string
		for _, r := range resources(nested, "AWS::ApiGateway::Resource") {
			p, _ := ref(r.Properties["ParentId"])
			if _, ok := params[p]; !ok {
				continue
			}
			parent := flatten(params[p])
			top = append(top, parent+" "+pathPart(r))
		}
		var wantTop []string
		for _, rt := range routes {
			if rt.Pattern == "/" {
				continue // a method on the API's root, which has no resource to make
			}
			var top string
			if part, ok := strings.CutPrefix(rt.Pattern, "/api/"); ok {
				top = "<Ref:" + mainAPIResource(t, s.Template) + "> " + strings.Split(part, "/")[0]
			} else {
				top = "<" + onlyResource(t, s.Template, "AWS::ApiGateway::RestApi").ID + ".RootResourceId> " + strings.Split(rt.Pattern, "/")[1]
			}
			if !slices.Contains(wantTop, top) {
				wantTop = append(wantTop, top)
			}
		}
		if !sameStrings(top, wantTop) {
			t.Errorf("%s: its top resources are %v, want %v", id, top, wantTop)
		}
	}
}

func pathPart(r resource) string {
	s, _ := r.Properties["PathPart"].(string)
	return s
}

// mainAPIResource is the logical id of the main stack's /api resource.
func mainAPIResource(t *testing.T, tpl map[string]any) string {
	t.Helper()
	for _, r := range resources(tpl, "AWS::ApiGateway::Resource") {
		if _, attr, ok := getAtt(r.Properties["ParentId"]); ok && attr == "RootResourceId" && r.Properties["PathPart"] == "api" {
			return r.ID
		}
	}
	t.Fatal("the main stack has no /api resource")
	return ""
}

// nestedParameters are the values the main stack gives a nested stack's
// parameters.
func nestedParameters(t *testing.T, s *synthesized, id string) map[string]any {
	t.Helper()
	params, _ := resourceByID(t, s.Template, id).Properties["Parameters"].(map[string]any)
	return params
}

// A dialect route's function gets what the route it copies gets in the
// main stack (grantRoute is shared): the same actions, and the same
// environment variables.
func TestDialectFunctionsHaveTheirRoutesGrants(t *testing.T) {
	s := synthDialects(t)
	checked := 0
	for _, d := range s.Stack.Dialects {
		nested := s.Nested[berth.DialectStackID(d.Name)]
		for _, rt := range d.Routes {
			orig := fakeOriginal[rt.Name]
			fake, real := resourceByID(t, nested, berth.FunctionLogicalID(rt.Name)), resourceByID(t, s.Template, berth.FunctionLogicalID(orig))
			fakeRole, _, _ := getAtt(fake.Properties["Role"])
			realRole, _, _ := getAtt(real.Properties["Role"])
			if got, want := actionsOf(statements(nested, fakeRole)), actionsOf(statements(s.Template, realRole)); !sameStrings(got, want) {
				t.Errorf("%s: actions %v, want %s's %v", rt.Name, got, orig, want)
			}
			env := func(r resource) []string {
				e, _ := r.Properties["Environment"].(map[string]any)
				v, _ := e["Variables"].(map[string]any)
				return slices.Collect(maps.Keys(v))
			}
			if !sameStrings(env(fake), env(real)) {
				t.Errorf("%s: environment %v, want %s's %v", rt.Name, env(fake), orig, env(real))
			}
			checked++
		}
	}
	if checked != len(fakeDialects)*fakeRoutesPerDialect {
		t.Errorf("checked %d functions", checked)
	}
}

func actionsOf(sts []map[string]any) []string {
	var out []string
	for _, st := range sts {
		out = append(out, strs(st["Action"])...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// CloudFormation's limits, per template: the main stack's and each
// nested stack's resources within their budgets, and every template under
// 1 MB. With Berth's own routes only, and with the fake dialects.
func TestStacksStayWithinTheirBudgets(t *testing.T) {
	for what, s := range map[string]*synthesized{"real dialects": synth(t), "fake dialects": synthDialects(t)} {
		n := len(resources(s.Template, ""))
		if n > mainResourceBudget {
			t.Errorf("%s: the main stack has %d resources; budget %d (CloudFormation's limit is 500)", what, n, mainResourceBudget)
		}
		t.Logf("%s: the main stack has %d resources (budget %d), its template %d bytes", what, n, mainResourceBudget, s.Sizes[""])
		for _, id := range slices.Sorted(maps.Keys(s.Nested)) {
			n := len(resources(s.Nested[id], ""))
			if n > nestedResourceBudget {
				t.Errorf("%s: nested stack %s has %d resources; budget %d", what, id, n, nestedResourceBudget)
			}
			params, _ := s.Nested[id]["Parameters"].(map[string]any)
			outputs, _ := s.Nested[id]["Outputs"].(map[string]any)
			t.Logf("%s: nested stack %s has %d resources (budget %d), %d parameters, %d outputs; its template %d bytes", what, id, n, nestedResourceBudget, len(params), len(outputs), s.Sizes[id])
		}
		for id, size := range s.Sizes {
			if size > templateSizeBudget {
				t.Errorf("%s: template %q is %d bytes; budget %d", what, id, size, templateSizeBudget)
			}
		}
	}
}

// The dialects' methods are on the main stack's API, whose deployment is
// the main stack's: it waits for every nested stack (so for their
// methods) as it waits for the main stack's methods, and it is a new
// deployment when the set of dialect routes changes. The stage is the
// one it always was.
func TestDeploymentWaitsForTheDialectStacks(t *testing.T) {
	own, s := synth(t), synthDialects(t)
	deployment := onlyResource(t, s.Template, "AWS::ApiGateway::Deployment")
	deps := strs(deployment.Raw["DependsOn"])
	for _, id := range stackIDs(fakeRoutes(s)) {
		if !slices.Contains(deps, id) {
			t.Errorf("the deployment %s depends on %v, want the nested stack %s among them", deployment.ID, deps, id)
		}
	}
	for _, m := range resources(s.Template, "AWS::ApiGateway::Method") {
		if !slices.Contains(deps, m.ID) {
			t.Errorf("the deployment %s does not depend on the method %s", deployment.ID, m.ID)
		}
	}
	stage := onlyResource(t, s.Template, "AWS::ApiGateway::Stage")
	if id, _ := ref(stage.Properties["DeploymentId"]); id != deployment.ID {
		t.Errorf("the stage deploys %v, want %s", stage.Properties["DeploymentId"], deployment.ID)
	}
	ownStage, ownDeployment := onlyResource(t, own.Template, "AWS::ApiGateway::Stage"), onlyResource(t, own.Template, "AWS::ApiGateway::Deployment")
	if stage.ID != ownStage.ID || stage.Properties["StageName"] != ownStage.Properties["StageName"] {
		t.Errorf("stage %s %v, want %s %v as with the real dialects", stage.ID, stage.Properties["StageName"], ownStage.ID, ownStage.Properties["StageName"])
	}
	if deployment.ID == ownDeployment.ID {
		t.Errorf("the deployment is %s with the real and the fake dialects' routes: changing them would not deploy them", deployment.ID)
	}
	t.Logf("deployment %s (with the real dialects %s), stage %s", deployment.ID, ownDeployment.ID, stage.ID)
}
