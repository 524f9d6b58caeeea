package berth_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/jsii-runtime-go"

	"github.com/berth-dev/berth/infra/berth"
	"github.com/berth-dev/berth/shared/api"
	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/boot"
	"github.com/berth-dev/berth/shared/cloud/awscloud"
	"github.com/berth-dev/berth/shared/provision"
	"github.com/berth-dev/berth/shared/stepboot"
	"github.com/berth-dev/berth/shared/store"
)

// check runs an assertions.Template check, which panics when it fails.
func check(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Errorf("%s: %v", what, p)
		}
	}()
	f()
}

func assertionsTemplate(t *testing.T) assertions.Template {
	s := synth(t)
	return assertions.Template_FromJSON(&s.Template, nil)
}

func TestResourceCounts(t *testing.T) {
	tpl := assertionsTemplate(t)
	// The main stack's: the other dialects' routes are in nested stacks.
	routes, workflows := len(ownRoutes()), len(apps.Workflows)
	functions := len(functionNames) - (len(api.Routes()) - routes)
	for typ, want := range map[string]int{
		// Berth's functions, and CDK's provider that empties the VPC's
		// default security group.
		"AWS::Lambda::Function":            functions + 1,
		"AWS::ApiGateway::RestApi":         1,
		"AWS::ApiGateway::Stage":           1,
		"AWS::ApiGateway::Method":          routes,
		"AWS::ApiGateway::Authorizer":      1,
		"AWS::Lambda::Permission":          2, // the authorizer's and the reconciler's rule; API Gateway calls routes as ApiInvokeRole
		"AWS::StepFunctions::StateMachine": workflows,
		"AWS::DynamoDB::Table":             1,
		"AWS::Logs::LogGroup":              functions + workflows + 2, // + API access logs, VPC flow logs
		// API 5xx; throttles per group of functions; failed, timed-out and
		// throttled executions, each over (groups of) the workflows.
		"AWS::CloudWatch::Alarm":                    1 + (functions+berth.MetricsPerAlarm-1)/berth.MetricsPerAlarm + 3*((workflows+berth.MetricsPerAlarm-1)/berth.MetricsPerAlarm),
		"AWS::ECS::Cluster":                         1,
		"AWS::ElasticLoadBalancingV2::LoadBalancer": 1,
		"AWS::ElasticLoadBalancingV2::Listener":     1,
		"AWS::EC2::VPC":                             1,
		"AWS::EC2::SecurityGroup":                   4,
		"AWS::RDS::DBSubnetGroup":                   1,
		"AWS::EC2::FlowLog":                         1,
		"AWS::S3::Bucket":                           3, // the ALB's access logs, backups, the site
		// Every role's permissions are inline policies of its own, CDK's
		// grants to state machine, scheduler and flow log roles included.
		"AWS::IAM::Policy": 0,
	} {
		check(t, typ, func() { tpl.ResourceCountIs(jsii.String(typ), jsii.Number(float64(want))) })
	}
}

// Every function is provided.al2023 on arm64: cdk-nag's runtime rule
// skips provided.* runtimes, so this is checked here (and by infra/main.go
// on every synth).
func TestEveryFunctionIsProvidedAL2023OnARM64(t *testing.T) {
	s := synth(t)
	// The dialects' functions are in nested stacks: CheckAssembly reads
	// those templates too.
	for what, s := range map[string]*synthesized{"real dialects": s, "fake dialects": synthDialects(t)} {
		problems, skipped, err := berth.CheckAssembly(s.Dir, s.Template)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Errorf("%s: %s", what, p)
		}
		if len(skipped) != 1 || !strings.HasPrefix(skipped[0], "CustomVpcRestrictDefaultSG") {
			t.Errorf("%s: skipped %v, want only CDK's VPC default security group provider", what, skipped)
		}
	}
	dialects := synthDialects(t)
	checked := 0
	for id, tpl := range dialects.Nested {
		for _, fn := range resources(tpl, "AWS::Lambda::Function") {
			checked++
			if fn.Properties["Runtime"] != berth.FunctionRuntime {
				t.Errorf("%s/%s: runtime %v", id, fn.ID, fn.Properties["Runtime"])
			}
		}
	}
	if checked != len(fakeDialects)*fakeRoutesPerDialect {
		t.Errorf("%d functions in nested stacks, want %d", checked, len(fakeDialects)*fakeRoutesPerDialect)
	}
	for _, name := range functionNames {
		fn := resourceByID(t, s.All, berth.FunctionLogicalID(name))
		if fn.Properties["Runtime"] != "provided.al2023" || !slices.Equal(strs(fn.Properties["Architectures"]), []string{"arm64"}) {
			t.Errorf("%s: %v on %v", name, fn.Properties["Runtime"], fn.Properties["Architectures"])
		}
		logging, _ := fn.Properties["LoggingConfig"].(map[string]any)
		tracing, _ := fn.Properties["TracingConfig"].(map[string]any)
		if logging["LogFormat"] != "JSON" || tracing["Mode"] != "Active" {
			t.Errorf("%s: logging %v, tracing %v; want JSON and Active", name, logging, tracing)
		}
		if _, ok := ref(logging["LogGroup"]); !ok {
			t.Errorf("%s: no log group of its own: %v", name, logging)
		}
		memory, timeout := berth.DefaultFunctionMemoryMB, berth.FunctionTimeout
		if slices.Contains(provision.StepNames, name) {
			memory, timeout = berth.StepFunctionMemoryMB, berth.StepFunctionTimeout
		}
		if name == berth.ReconcileFunction {
			// A pass over every record and tagged resource, every 15 minutes.
			memory, timeout = berth.StepFunctionMemoryMB, berth.ReconcileTimeout
		}
		if rt, err := api.FindRoute(name); err == nil && rt.Logs {
			// ?follow=true holds the request open up to 20 s; API Gateway gives up at 29.
			timeout = berth.FollowFunctionTimeout
		}
		if fn.Properties["MemorySize"] != float64(memory) || fn.Properties["Timeout"] != float64(timeout) {
			t.Errorf("%s: memory %v, timeout %v", name, fn.Properties["MemorySize"], fn.Properties["Timeout"])
		}
	}
	for _, lg := range resources(s.All, "AWS::Logs::LogGroup") {
		if lg.Properties["RetentionInDays"] != float64(s.Config.LogRetentionDays) {
			t.Errorf("log group %s keeps logs %v days, want %d", lg.ID, lg.Properties["RetentionInDays"], s.Config.LogRetentionDays)
		}
	}
}

// resourcePaths maps each API Gateway resource's logical id to its path.
func resourcePaths(t *testing.T, tpl map[string]any) map[string]string {
	parents := map[string]string{}
	parts := map[string]string{}
	for _, r := range resources(tpl, "AWS::ApiGateway::Resource") {
		parts[r.ID], _ = r.Properties["PathPart"].(string)
		if id, ok := ref(r.Properties["ParentId"]); ok {
			parents[r.ID] = id
		} else if _, attr, ok := getAtt(r.Properties["ParentId"]); !ok || attr != "RootResourceId" {
			t.Fatalf("resource %s has parent %v", r.ID, r.Properties["ParentId"])
		}
	}
	paths := map[string]string{}
	var path func(string) string
	path = func(id string) string {
		if p, ok := paths[id]; ok {
			return p
		}
		p := "/" + parts[id]
		if parent, ok := parents[id]; ok {
			p = path(parent) + p
		}
		paths[id] = p
		return p
	}
	for id := range parts {
		path(id)
	}
	return paths
}

func TestEveryRouteIsIntegratedWithItsOwnFunction(t *testing.T) {
	s := synth(t)
	paths := resourcePaths(t, s.Template)
	authorizer := onlyResource(t, s.Template, "AWS::ApiGateway::Authorizer")
	got := map[string]string{} // "GET /path" -> function logical id
	// API Gateway invokes Berth's own routes as one role, allowed exactly
	// them (each dialect's nested stack has its own: TestDialectRoutesAreInTheirNestedStacks).
	var invokeRole string
	for _, r := range resources(s.Template, "AWS::IAM::Role") {
		if strings.Contains(flatten(r.Properties["AssumeRolePolicyDocument"]), "apigateway.amazonaws.com") {
			invokeRole = r.ID
		}
	}
	invokable := map[string]bool{}
	for _, st := range statements(s.All, invokeRole) {
		if !sameStrings(strs(st["Action"]), []string{"lambda:InvokeFunction"}) {
			t.Errorf("the invoke role allows %v, want lambda:InvokeFunction only", st["Action"])
		}
		for _, id := range getAttArns(st["Resource"]) {
			invokable[id] = true
		}
	}
	for _, m := range resources(s.Template, "AWS::ApiGateway::Method") {
		resID, _ := ref(m.Properties["ResourceId"])
		key := fmt.Sprintf("%v %s", m.Properties["HttpMethod"], paths[resID])
		integ, _ := m.Properties["Integration"].(map[string]any)
		if integ["Type"] != "AWS_PROXY" || integ["IntegrationHttpMethod"] != "POST" {
			t.Errorf("%s: integration %v %v, want an AWS_PROXY POST", key, integ["Type"], integ["IntegrationHttpMethod"])
		}
		fns := getAttArns(integ["Uri"])
		if len(fns) != 1 {
			t.Errorf("%s: integration URI names functions %v", key, fns)
			continue
		}
		got[key] = fns[0]
		if role, attr, _ := getAtt(integ["Credentials"]); attr != "Arn" || role != invokeRole {
			t.Errorf("%s: integration credentials %v, want the API's invoke role %s", key, integ["Credentials"], invokeRole)
		}
		if id, _ := ref(m.Properties["AuthorizerId"]); m.Properties["AuthorizationType"] != "CUSTOM" || id != authorizer.ID {
			t.Errorf("%s: authorization %v by %v, want the token authorizer", key, m.Properties["AuthorizationType"], m.Properties["AuthorizerId"])
		}
	}
	want := map[string]string{}
	for _, rt := range ownRoutes() {
		want[rt.Method+" "+rt.Pattern] = berth.FunctionLogicalID(rt.Name)
	}
	wantInvokable := map[string]bool{}
	for _, fn := range want {
		wantInvokable[fn] = true
	}
	if !maps.Equal(invokable, wantInvokable) {
		t.Errorf("the invoke role may call %v, want exactly the route functions %v", slices.Sorted(maps.Keys(invokable)), slices.Sorted(maps.Keys(wantInvokable)))
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s is integrated with %q, want %s", k, got[k], w)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s is not a route", k)
		}
	}
	auth := resourceByID(t, s.Template, authorizer.ID)
	if fns := slices.Compact(getAttArns(auth.Properties["AuthorizerUri"])); len(fns) != 1 || fns[0] != berth.FunctionLogicalID(berth.AuthorizerFunction) ||
		auth.Properties["Type"] != "TOKEN" || auth.Properties["IdentitySource"] != "method.request.header.Authorization" {
		t.Errorf("authorizer %v", auth.Properties)
	}
}

func TestStageThrottlingAccessLogsAndTracing(t *testing.T) {
	tpl := assertionsTemplate(t)
	check(t, "stage", func() {
		tpl.HasResourceProperties(jsii.String("AWS::ApiGateway::Stage"), &map[string]any{
			"StageName":      "v3",
			"TracingEnabled": true,
			"AccessLogSetting": map[string]any{
				"DestinationArn": assertions.Match_AnyValue(),
				"Format":         assertions.Match_StringLikeRegexp(jsii.String(`"requestId":"\$context.requestId"`)),
			},
			// From context given as strings, as `cdk -c` gives them.
			"MethodSettings": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
				"HttpMethod": "*", "ResourcePath": "/*",
				"ThrottlingRateLimit": 250, "ThrottlingBurstLimit": 600, "MetricsEnabled": true,
			})}),
		})
	})
	check(t, "a usage plan throttles each token", func() {
		tpl.HasResourceProperties(jsii.String("AWS::ApiGateway::RestApi"), &map[string]any{"ApiKeySourceType": "AUTHORIZER"})
		tpl.HasResourceProperties(jsii.String("AWS::ApiGateway::UsagePlan"), &map[string]any{
			"Throttle":  map[string]any{"RateLimit": 25, "BurstLimit": 60},
			"ApiStages": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{"Stage": assertions.Match_AnyValue()})}),
		})
		methods := tpl.FindResources(jsii.String("AWS::ApiGateway::Method"), nil)
		if len(*methods) != len(ownRoutes()) {
			t.Errorf("%d methods, want %d", len(*methods), len(ownRoutes()))
		}
		for id, m := range *methods {
			props, _ := (*m)["Properties"].(map[string]any)
			if props["ApiKeyRequired"] != true {
				t.Errorf("method %s does not require the token's API key", id)
			}
		}
	})
	check(t, "a token without an API key (revoked, still cached) is a 401", func() {
		tpl.HasResourceProperties(jsii.String("AWS::ApiGateway::GatewayResponse"), &map[string]any{
			"ResponseType": "INVALID_API_KEY", "StatusCode": "401",
		})
	})
	check(t, "problem responses", func() {
		tpl.HasResourceProperties(jsii.String("AWS::ApiGateway::GatewayResponse"), &map[string]any{
			"ResponseType": "UNAUTHORIZED", "StatusCode": "401",
			"ResponseParameters": assertions.Match_ObjectLike(&map[string]any{
				"gatewayresponse.header.Content-Type": "'application/problem+json'",
			}),
		})
	})
	for _, gr := range resources(synth(t).Template, "AWS::ApiGateway::GatewayResponse") {
		tmpl, _ := gr.Properties["ResponseTemplates"].(map[string]any)
		var problem map[string]any
		if err := json.Unmarshal([]byte(strings.NewReplacer("$context.path", "/p", "$context.requestId", "r").Replace(fmt.Sprint(tmpl["application/json"]))), &problem); err != nil {
			t.Errorf("gateway response %s: template is not JSON: %v", gr.ID, err)
			continue
		}
		if !strings.HasPrefix(fmt.Sprint(problem["type"]), api.ProblemBase) || fmt.Sprint(problem["status"]) != fmt.Sprint(gr.Properties["StatusCode"]) {
			t.Errorf("gateway response %s: %v", gr.ID, problem)
		}
	}
}

func TestTableMatchesTheStore(t *testing.T) {
	tpl := assertionsTemplate(t)
	def := store.TableDefinition("")
	var attrs, keys []any
	for _, a := range def.AttributeDefinitions {
		attrs = append(attrs, map[string]any{"AttributeName": aws.ToString(a.AttributeName), "AttributeType": string(a.AttributeType)})
	}
	for _, k := range def.KeySchema {
		keys = append(keys, map[string]any{"AttributeName": aws.ToString(k.AttributeName), "KeyType": string(k.KeyType)})
	}
	var gsis []any
	for _, g := range def.GlobalSecondaryIndexes {
		var gk []any
		for _, k := range g.KeySchema {
			gk = append(gk, map[string]any{"AttributeName": aws.ToString(k.AttributeName), "KeyType": string(k.KeyType)})
		}
		gsis = append(gsis, map[string]any{
			"IndexName": aws.ToString(g.IndexName), "KeySchema": gk,
			"Projection": map[string]any{"ProjectionType": string(g.Projection.ProjectionType)},
		})
	}
	check(t, "table", func() {
		tpl.HasResource(jsii.String("AWS::DynamoDB::Table"), &map[string]any{
			"DeletionPolicy":      "Retain",
			"UpdateReplacePolicy": "Retain",
			"Properties": map[string]any{
				"BillingMode":                      string(def.BillingMode),
				"AttributeDefinitions":             assertions.Match_ArrayWith(&attrs),
				"KeySchema":                        keys,
				"GlobalSecondaryIndexes":           gsis,
				"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
				"DeletionProtectionEnabled":        true,
				// Items expire by the store's TTL attribute (store/ttl.go).
				"TimeToLiveSpecification": map[string]any{"AttributeName": store.TTLAttribute, "Enabled": true},
				// SSE on, without a key of its own: the AWS managed key.
				"SSESpecification": map[string]any{"SSEEnabled": true},
			},
		})
	})
	table := onlyResource(t, synth(t).Template, "AWS::DynamoDB::Table")
	if got := len(table.Properties["AttributeDefinitions"].([]any)); got != len(attrs) {
		t.Errorf("%d attribute definitions, want %d", got, len(attrs))
	}
}

func TestStateMachinesLogEverythingAndTrace(t *testing.T) {
	s := synth(t)
	for _, w := range apps.Workflows {
		sm := resourceByID(t, s.Template, berth.StateMachineLogicalID(w))
		logging, _ := sm.Properties["LoggingConfiguration"].(map[string]any)
		tracing, _ := sm.Properties["TracingConfiguration"].(map[string]any)
		if logging["Level"] != "ALL" || logging["IncludeExecutionData"] != true {
			t.Errorf("%s: logging %v, want level ALL with execution data", w, logging)
		}
		if dests, _ := logging["Destinations"].([]any); len(dests) != 1 {
			t.Errorf("%s: log destinations %v", w, logging["Destinations"])
		}
		if tracing["Enabled"] != true {
			t.Errorf("%s: tracing %v", w, tracing)
		}
		if sm.Properties["StateMachineType"] != "STANDARD" {
			t.Errorf("%s: type %v", w, sm.Properties["StateMachineType"])
		}
	}
}

var placeholderRE = regexp.MustCompile(`\$\{([A-Za-z][A-Za-z0-9_]*)\}`)

// The definitions are stored with ${Placeholders} and substitutions beside
// them. Substituted, each must be valid JSON, and every function it names
// must be a function of the stack that the state machine may invoke.
func TestSubstitutedDefinitionsAreValidAndNameOnlyExistingFunctions(t *testing.T) {
	s := synth(t)
	lambdas := map[string]bool{}
	for _, fn := range resources(s.Template, "AWS::Lambda::Function") {
		lambdas[fn.ID] = true
	}
	invokedAny := false
	stepOfKey := map[string]string{}
	var stepKeys []string
	for _, step := range provision.StepNames {
		key := berth.FunctionSubstitution(berth.FunctionLogicalID(step))
		if key != provision.SubstitutionKey(step) {
			t.Errorf("the stack names %s %s, the workflows %s", step, key, provision.SubstitutionKey(step))
		}
		stepOfKey[key] = step
		stepKeys = append(stepKeys, key)
	}
	for _, w := range apps.Workflows {
		sm := resourceByID(t, s.Template, berth.StateMachineLogicalID(w))
		def, ok := sm.Properties["DefinitionString"].(string)
		if !ok {
			t.Fatalf("%s: DefinitionString is %T, want the definition itself", w, sm.Properties["DefinitionString"])
		}
		subs, _ := sm.Properties["DefinitionSubstitutions"].(map[string]any)
		fnOf := map[string]string{} // placeholder -> function logical id
		for key, v := range subs {
			if !strings.Contains(def, "${"+key+"}") {
				t.Errorf("%s: substitution %s is not used", w, key)
			}
			for _, id := range getAttArns(v) {
				r := resourceByID(t, s.Template, id)
				if r.Type == "AWS::Lambda::Function" {
					fnOf[key] = id
				}
			}
		}
		// Substitute: functions by a recognisable ARN, other values by a
		// plain string, as CloudFormation would.
		var missing []string
		substituted := placeholderRE.ReplaceAllStringFunc(def, func(m string) string {
			key := placeholderRE.FindStringSubmatch(m)[1]
			if id, ok := fnOf[key]; ok {
				return "arn:aws:lambda:" + testRegion + ":" + testAccount + ":function:" + id
			}
			if _, ok := subs[key]; !ok {
				missing = append(missing, key)
			}
			return "value-of-" + key
		})
		if len(missing) > 0 {
			t.Errorf("%s: placeholders without substitution: %v", w, missing)
		}
		var asl struct {
			StartAt string                    `json:"StartAt"`
			States  map[string]map[string]any `json:"States"`
		}
		if err := json.Unmarshal([]byte(substituted), &asl); err != nil {
			t.Errorf("%s: substituted definition is not JSON: %v", w, err)
			continue
		}
		if _, ok := asl.States[asl.StartAt]; !ok {
			t.Errorf("%s: StartAt %q names no state", w, asl.StartAt)
		}
		roleID, _, _ := getAtt(sm.Properties["RoleArn"])
		invokable := map[string]bool{}
		for _, st := range statementsWith(statements(s.All, roleID), "lambda:InvokeFunction") {
			for _, id := range getAttArns(st["Resource"]) {
				invokable[id] = true
			}
		}
		for name, state := range allStates(asl.States) {
			if state["Type"] != "Task" {
				continue
			}
			resource, _ := state["Resource"].(string)
			// Every Task of the real definitions names a step function
			// directly, by its placeholder, and gives it longer than the
			// function's own timeout.
			raw := rawTaskResource(def, name)
			if m := placeholderRE.FindStringSubmatch(raw); m == nil || m[0] != raw || !slices.Contains(stepKeys, m[1]) {
				t.Errorf("%s: state %s has Resource %q, want ${<Step>FunctionArn} of a step function", w, name, raw)
			} else if fnOf[m[1]] != berth.FunctionLogicalID(stepOfKey[m[1]]) {
				t.Errorf("%s: state %s: %s resolves to %q, want %s", w, name, m[1], fnOf[m[1]], berth.FunctionLogicalID(stepOfKey[m[1]]))
			}
			if secs, _ := state["TimeoutSeconds"].(float64); secs <= berth.StepFunctionTimeout {
				t.Errorf("%s: state %s has TimeoutSeconds %v, want more than the step functions' %d s", w, name, state["TimeoutSeconds"], berth.StepFunctionTimeout)
			}
			target := resource
			if strings.HasPrefix(resource, "arn:aws:states:::lambda:invoke") {
				params, _ := state["Parameters"].(map[string]any)
				if params == nil {
					params, _ = state["Arguments"].(map[string]any)
				}
				target, _ = params["FunctionName"].(string)
			}
			if !strings.HasPrefix(target, "arn:aws:lambda:") {
				continue
			}
			id := target[strings.LastIndex(target, ":")+1:]
			if !lambdas[id] {
				t.Errorf("%s: state %s invokes %s, which is not a function of the stack", w, name, target)
			}
			if !invokable[id] {
				t.Errorf("%s: state %s invokes %s, which the state machine's role may not invoke", w, name, id)
			}
			invokedAny = true
		}
		for id := range invokable {
			if !slices.Contains(mapValues(fnOf), id) {
				t.Errorf("%s: may invoke %s, which its definition does not name", w, id)
			}
		}
	}
	if !invokedAny {
		t.Error("no definition invokes a function: the check above ran on nothing")
	}
}

// allStates lists the states of a definition, those of Parallel branches
// and Map iterators included.
func allStates(states map[string]map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	var walk func(map[string]any)
	walk = func(sts map[string]any) {
		for name, v := range sts {
			st, _ := v.(map[string]any)
			out[name] = st
			branches, _ := st["Branches"].([]any)
			for _, key := range []string{"Iterator", "ItemProcessor"} {
				if it, ok := st[key]; ok {
					branches = append(branches, it)
				}
			}
			for _, b := range branches {
				bm, _ := b.(map[string]any)
				inner, _ := bm["States"].(map[string]any)
				walk(inner)
			}
		}
	}
	top := map[string]any{}
	for k, v := range states {
		top[k] = map[string]any(v)
	}
	walk(top)
	return out
}

// rawTaskResource is the Resource of the named state in the definition as
// stored, before substitution.
func rawTaskResource(def, state string) string {
	var asl struct {
		States map[string]map[string]any `json:"States"`
	}
	if json.Unmarshal([]byte(def), &asl) != nil {
		return ""
	}
	r, _ := allStates(asl.States)[state]["Resource"].(string)
	return r
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func TestNoWildcardActionsOrFullAccessPolicies(t *testing.T) {
	s := synth(t)
	for _, p := range policyDocuments(s.All) {
		for _, m := range p.statements {
			for _, a := range strs(m["Action"]) {
				if a == "*" || strings.HasSuffix(a, ":*") {
					t.Errorf("policy %s grants action %q", p.id, a)
				}
			}
			if m["NotAction"] != nil || m["NotResource"] != nil {
				t.Errorf("policy %s uses NotAction or NotResource: %v", p.id, m)
			}
		}
	}
	for _, r := range resources(s.All, "AWS::IAM::Role") {
		raw, _ := json.Marshal(r.Properties["ManagedPolicyArns"])
		if strings.Contains(string(raw), "FullAccess") {
			t.Errorf("role %s has a FullAccess policy: %s", r.ID, raw)
		}
	}
}

// Each route's function has its own role, with table actions for its kind
// (reads or writes), and may start exactly the workflows the route starts.
func TestEachFunctionHasLeastPrivilege(t *testing.T) {
	s := synth(t)
	table := onlyResource(t, s.Template, "AWS::DynamoDB::Table")
	roles := map[string]string{}
	verify := func(name string, wantActions []string, wantIndex bool, starts []apps.Workflow, usageKeys, registry bool, scalingMethod string) {
		t.Helper()
		fn := resourceByID(t, s.All, berth.FunctionLogicalID(name))
		roleID, _, _ := getAtt(fn.Properties["Role"])
		if other, ok := roles[roleID]; ok {
			t.Errorf("%s shares role %s with %s", name, roleID, other)
		}
		roles[roleID] = name
		sts := statements(s.All, roleID)
		var actions []string
		for _, st := range statementsWith(sts, "dynamodb:") {
			actions = append(actions, strs(st["Action"])...)
			res := getAttArns(st["Resource"])
			for _, id := range res {
				if id != table.ID {
					t.Errorf("%s: DynamoDB actions on %s", name, id)
				}
			}
			raw, _ := json.Marshal(st["Resource"])
			if hasIndex := strings.Contains(string(raw), "/index/"+store.IndexByOrganisation); hasIndex != wantIndex || strings.Contains(string(raw), "/index/*") {
				t.Errorf("%s: DynamoDB resources %s", name, raw)
			}
		}
		if !sameStrings(actions, wantActions) {
			t.Errorf("%s: DynamoDB actions %v, want %v", name, actions, wantActions)
		}
		var started []string
		for _, st := range statementsWith(sts, "states:") {
			if !slices.Equal(strs(st["Action"]), []string{"states:StartExecution"}) {
				t.Errorf("%s: Step Functions actions %v", name, st["Action"])
			}
			if id, ok := ref(st["Resource"]); ok {
				started = append(started, id)
			} else {
				for _, r := range st["Resource"].([]any) {
					id, _ := ref(r)
					started = append(started, id)
				}
			}
		}
		var wantStarted []string
		env, _ := fn.Properties["Environment"].(map[string]any)
		vars, _ := env["Variables"].(map[string]any)
		// A function with no table actions (a stateless route) gets no table name either.
		stateless := len(wantActions) == 0
		wantVars := []string{boot.EnvTableName}
		if stateless {
			wantVars = nil
		}
		for _, w := range starts {
			wantStarted = append(wantStarted, berth.StateMachineLogicalID(w))
			wantVars = append(wantVars, boot.StateMachineEnv(w))
			if id, ok := ref(vars[boot.StateMachineEnv(w)]); !ok || id != berth.StateMachineLogicalID(w) {
				t.Errorf("%s: %s is %v", name, boot.StateMachineEnv(w), vars[boot.StateMachineEnv(w)])
			}
		}
		if !sameStrings(started, wantStarted) {
			t.Errorf("%s: may start %v, want %v", name, started, wantStarted)
		}
		if id, ok := ref(vars[boot.EnvTableName]); !stateless && (!ok || id != table.ID) {
			t.Errorf("%s: %s is %v", name, boot.EnvTableName, vars[boot.EnvTableName])
		}
		var keyActions []string
		for _, st := range statementsWith(sts, "apigateway:") {
			keyActions = append(keyActions, strs(st["Action"])...)
			raw, _ := json.Marshal(st["Resource"])
			if !strings.Contains(string(raw), "/apikeys") && !strings.Contains(string(raw), "/usageplans/") {
				t.Errorf("%s: API Gateway actions on %s", name, raw)
			}
		}
		if usageKeys {
			wantVars = append(wantVars, boot.EnvUsagePlan)
			plan := onlyResource(t, s.Template, "AWS::ApiGateway::UsagePlan")
			if vars[boot.EnvUsagePlan] == nil || vars[boot.EnvUsagePlan] != plan.Properties["UsagePlanName"] {
				t.Errorf("%s: %s is %v, the plan is named %v", name, boot.EnvUsagePlan, vars[boot.EnvUsagePlan], plan.Properties["UsagePlanName"])
			}
			if !sameStrings(keyActions, []string{"apigateway:GET", "apigateway:POST", "apigateway:DELETE"}) {
				t.Errorf("%s: API Gateway actions %v", name, keyActions)
			}
		} else if len(keyActions) > 0 {
			t.Errorf("%s: API Gateway actions %v on a route that issues no keys", name, keyActions)
		}
		var ecrActions []string
		for _, st := range statementsWith(sts, "ecr:") {
			// CDK merges it with X-Ray's statement, also on "*".
			for _, a := range strs(st["Action"]) {
				if strings.HasPrefix(a, "ecr:") {
					ecrActions = append(ecrActions, a)
				}
			}
			if res, _ := st["Resource"].(string); res != "*" {
				t.Errorf("%s: ECR actions on %v, want only ecr:GetAuthorizationToken on *", name, st["Resource"])
			}
		}
		if want := []string{"ecr:GetAuthorizationToken"}; registry && !sameStrings(ecrActions, want) || !registry && len(ecrActions) > 0 {
			t.Errorf("%s: ECR actions %v, registry logins %v", name, ecrActions, registry)
		}
		// Scaling routes: the cluster and listener, DescribeScalingPolicies,
		// and what their method changes, with target tracking's alarms
		// under the prefix.
		var scalingActions, alarmActions []string
		for _, st := range sts {
			for _, a := range strs(st["Action"]) {
				switch {
				case strings.HasPrefix(a, "application-autoscaling:"):
					scalingActions = append(scalingActions, a)
					if st["Resource"] != "*" {
						t.Errorf("%s: %s on %v", name, a, st["Resource"])
					}
				case a == "cloudwatch:GetMetricData":
					// The metrics route's, checked below.
				case a == "cloudwatch:DescribeAlarms":
					alarmActions = append(alarmActions, a)
					if st["Resource"] != "*" {
						t.Errorf("%s: %s on %v", name, a, st["Resource"])
					}
				case strings.HasPrefix(a, "cloudwatch:"):
					alarmActions = append(alarmActions, a)
					raw, _ := json.Marshal(st["Resource"])
					if !strings.Contains(string(raw), ":alarm:TargetTracking-service/") || !strings.Contains(string(raw), "/berth-*") {
						t.Errorf("%s: %s on %s", name, a, raw)
					}
				}
			}
		}
		var wantScaling, wantAlarms []string
		switch scalingMethod {
		case http.MethodGet:
			wantScaling = []string{"application-autoscaling:DescribeScalingPolicies"}
		case http.MethodPut:
			wantScaling = []string{"application-autoscaling:DescribeScalingPolicies", "application-autoscaling:PutScalingPolicy", "application-autoscaling:DeleteScalingPolicy"}
			wantAlarms = []string{"cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms"}
		case http.MethodDelete:
			wantScaling = []string{"application-autoscaling:DescribeScalingPolicies", "application-autoscaling:DeleteScalingPolicy"}
			wantAlarms = []string{"cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms"}
		}
		if !sameStrings(scalingActions, wantScaling) || !sameStrings(alarmActions, wantAlarms) {
			t.Errorf("%s: scaling actions %v and %v, want %v and %v", name, scalingActions, alarmActions, wantScaling, wantAlarms)
		}
		schedules := slices.ContainsFunc(api.Routes(), func(r api.Route) bool { return r.Name == name && r.Schedules })
		if schedules {
			// Cron routes name the run-job machine as their schedules' target, and pass the scheduler role.
			wantVars = append(wantVars, boot.StateMachineEnv(apps.RunJob), boot.EnvSchedulerRoleARN)
			var schedActions []string
			for _, st := range statementsWith(sts, "scheduler:") {
				schedActions = append(schedActions, strs(st["Action"])...)
				if raw, _ := json.Marshal(st["Resource"]); !strings.Contains(string(raw), ":schedule/berth-*/*") {
					t.Errorf("%s: Scheduler actions on %s", name, raw)
				}
			}
			if !sameStrings(schedActions, []string{"scheduler:CreateSchedule", "scheduler:UpdateSchedule", "scheduler:DeleteSchedule"}) {
				t.Errorf("%s: Scheduler actions %v", name, schedActions)
			}
			for _, st := range statementsWith(sts, "iam:") {
				if raw, _ := json.Marshal(st); !strings.Contains(string(raw), "scheduler.amazonaws.com") || !strings.Contains(string(raw), "SchedulerRole") {
					t.Errorf("%s: IAM statement %s", name, raw)
				}
			}
		}
		if scalingMethod != "" {
			wantVars = append(wantVars, boot.EnvClusterARN, boot.EnvListenerARN)
			cluster, listener := getAttArns(vars[boot.EnvClusterARN]), vars[boot.EnvListenerARN]
			if id, ok := ref(listener); len(cluster) != 1 || !ok || !strings.Contains(id, "LoadBalancerHttp") {
				t.Errorf("%s: %s is %v, %s is %v", name, boot.EnvClusterARN, vars[boot.EnvClusterARN], boot.EnvListenerARN, listener)
			}
		}
		// Logs, metrics, shell and secrets routes: exactly their actions,
		// each on its resources.
		observeActions := verifyObservability(t, s, name, sts, vars)
		rt, _ := api.FindRoute(name)
		if rt.Metrics {
			wantVars = append(wantVars, boot.EnvListenerARN)
		}
		if rt.Shell {
			wantVars = append(wantVars, boot.EnvShellRoleARN)
		}
		if rt.Backups {
			// Backups routes name the backups bucket, and no other function does.
			wantVars = append(wantVars, boot.EnvBackupsBucket)
			if id, ok := ref(vars[boot.EnvBackupsBucket]); !ok || !strings.HasPrefix(id, "Backups") || resourceByID(t, s.Template, id).Type != "AWS::S3::Bucket" {
				t.Errorf("%s: %s is %v, want the backups bucket's name", name, boot.EnvBackupsBucket, vars[boot.EnvBackupsBucket])
			}
		}
		if !sameStrings(mapKeys(vars), wantVars) {
			t.Errorf("%s: environment %v, want %v", name, mapKeys(vars), wantVars)
		}
		for _, st := range sts {
			for _, a := range strs(st["Action"]) {
				if slices.Contains(observeActions, a) {
					continue
				}
				if !strings.HasPrefix(a, "dynamodb:") && !strings.HasPrefix(a, "states:") && !(usageKeys && strings.HasPrefix(a, "apigateway:")) && !(registry && a == "ecr:GetAuthorizationToken") &&
					!(scalingMethod != "" && (strings.HasPrefix(a, "application-autoscaling:") || strings.HasPrefix(a, "cloudwatch:"))) &&
					!(schedules && (strings.HasPrefix(a, "scheduler:") || a == "iam:PassRole")) &&
					!slices.Contains([]string{"logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTraceSegments", "xray:PutTelemetryRecords"}, a) {
					t.Errorf("%s: unexpected action %s", name, a)
				}
			}
		}
	}
	read := []string{"dynamodb:GetItem", "dynamodb:Query"}
	write := append(slices.Clone(read), "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem")
	for _, rt := range api.Routes() {
		want, index := write, true
		switch {
		case rt.Stateless:
			want, index = nil, false
		case rt.Method == http.MethodGet:
			want = read
		}
		scalingMethod := ""
		if rt.Scaling {
			scalingMethod = rt.Method
		}
		verify(rt.Name, want, index, rt.Starts, rt.UsageKeys, rt.Registry, scalingMethod)
	}
	verify(berth.AuthorizerFunction, []string{"dynamodb:GetItem", "dynamodb:UpdateItem"}, false, nil, false, false, "")
}

// verifyObservability checks the grants of a Logs, Metrics, Shell,
// Secrets, Volumes or Artefacts route: exactly the actions its adapter calls, each on Berth's
// resources only (and none for any other function). It answers the
// actions it checked.
func verifyObservability(t *testing.T, s *synthesized, name string, sts []map[string]any, vars map[string]any) []string {
	t.Helper()
	rt, _ := api.FindRoute(name) // the authorizer is no route: the zero Route
	p := s.Config.ResourcePrefix
	var want []string
	switch {
	case rt.Logs:
		want = []string{"logs:FilterLogEvents"}
	case rt.Metrics:
		want = []string{"cloudwatch:GetMetricData"}
	case rt.Shell:
		want = []string{"sts:AssumeRole", "ecs:ListTasks"}
	case rt.Secrets && rt.Method == http.MethodPut:
		want = []string{"secretsmanager:CreateSecret", "secretsmanager:TagResource", "secretsmanager:PutSecretValue", "secretsmanager:RestoreSecret", "secretsmanager:DeleteSecret"}
	case rt.Secrets && rt.Method == http.MethodDelete:
		want = []string{"secretsmanager:DeleteSecret"}
	case rt.Secrets:
		t.Errorf("%s: a secrets route this test does not know", name)
	case rt.Volumes && rt.Method == http.MethodPost:
		want = []string{"elasticfilesystem:TagResource", "elasticfilesystem:CreateAccessPoint", "elasticfilesystem:DescribeAccessPoints", "elasticfilesystem:DeleteAccessPoint"}
	case rt.Volumes && rt.Method == http.MethodDelete:
		want = []string{"elasticfilesystem:DeleteAccessPoint"}
	case rt.Volumes:
		t.Errorf("%s: a volumes route this test does not know", name)
	case rt.Artefacts && rt.Method == http.MethodDelete:
		want = []string{"s3:DeleteObject"}
	case rt.Artefacts && rt.Method == http.MethodGet:
		// HeadObject and the presigned GetObject; ListBucket makes a missing object a 404.
		want = []string{"s3:GetObject", "s3:ListBucket"}
	case rt.Artefacts:
		t.Errorf("%s: an artefacts route this test does not know", name)
	}
	var got []string
	for _, st := range sts {
		raw, _ := json.Marshal(st["Resource"])
		res := flatten(st["Resource"])
		cond, _ := json.Marshal(st["Condition"])
		for _, a := range strs(st["Action"]) {
			switch {
			case a == "logs:FilterLogEvents":
				if !strings.HasSuffix(res, ":log-group:/"+p+"/*") {
					t.Errorf("%s: %s on %s, want the log groups /%s/*", name, a, raw, p)
				}
			case a == "cloudwatch:GetMetricData":
				if st["Resource"] != "*" {
					t.Errorf("%s: %s on %s", name, a, raw)
				}
			case strings.HasPrefix(a, "sts:"):
				if a != "sts:AssumeRole" || !strings.HasSuffix(res, ":role/"+s.Config.ShellRoleName()) {
					t.Errorf("%s: %s on %s, want sts:AssumeRole on the shell role %s only", name, a, raw, s.Config.ShellRoleName())
				}
			case strings.HasPrefix(a, "ecs:"):
				if a != "ecs:ListTasks" || st["Resource"] != "*" || !strings.Contains(string(cond), `"ecs:cluster"`) || !strings.Contains(string(cond), "Cluster") {
					t.Errorf("%s: %s on %s with condition %s, want ecs:ListTasks on Berth's cluster", name, a, raw, cond)
				}
			case strings.HasPrefix(a, "secretsmanager:"):
				if !strings.HasSuffix(res, ":secret:"+p+"/*/vars/*") {
					t.Errorf("%s: %s on %s, want the secret variables %s/*/vars/*", name, a, raw, p)
				}
				if (a == "secretsmanager:CreateSecret" || a == "secretsmanager:TagResource") && !strings.Contains(string(cond), `"aws:RequestTag/berth:managed":"true"`) {
					t.Errorf("%s: %s with condition %s, want aws:RequestTag/berth:managed=true", name, a, cond)
				}
			case strings.HasPrefix(a, "elasticfilesystem:"):
				// Only Berth's filesystems and access points: tagged, or tagged as they are made.
				onTagged := strings.Contains(string(cond), `"aws:ResourceTag/berth:managed":"true"`)
				tagging := a == "elasticfilesystem:TagResource" && strings.Contains(string(cond), `"aws:RequestTag/berth:managed":"true"`) && strings.Contains(string(cond), `"elasticfilesystem:CreateAction":"CreateAccessPoint"`)
				if !(onTagged || tagging) || !(strings.HasSuffix(res, ":file-system/*") || strings.HasSuffix(res, ":access-point/*")) {
					t.Errorf("%s: %s on %s with condition %s, want Berth-tagged filesystems and access points only", name, a, raw, cond)
				}
			case strings.HasPrefix(a, "s3:"):
				// Only the backups bucket: its backups/ objects, or itself listed
				// (unconditioned: HeadObject's check of ListBucket for a missing
				// key has no s3:prefix to match).
				objects := strings.HasPrefix(res, "<Backups") && strings.HasSuffix(res, ".Arn>/"+berth.BackupsPrefix+"*")
				listed := a == "s3:ListBucket" && strings.HasPrefix(res, "<Backups") && strings.HasSuffix(res, ".Arn>") && st["Condition"] == nil
				if !(objects && a != "s3:ListBucket" && st["Condition"] == nil) && !listed {
					t.Errorf("%s: %s on %s with condition %s, want the backups bucket's %s objects only", name, a, raw, cond, berth.BackupsPrefix)
				}
			default:
				continue
			}
			got = append(got, a)
		}
	}
	if !sameStrings(got, want) {
		t.Errorf("%s: logs, metrics, shell, secrets, volumes and S3 actions %v, want %v", name, got, want)
	}
	if rt.Metrics {
		if id, ok := ref(vars[boot.EnvListenerARN]); !ok || !strings.Contains(id, "LoadBalancerHttp") {
			t.Errorf("%s: %s is %v, want the listener", name, boot.EnvListenerARN, vars[boot.EnvListenerARN])
		}
	}
	if rt.Shell {
		if id, attr, ok := getAtt(vars[boot.EnvShellRoleARN]); !ok || attr != "Arn" || resourceByID(t, s.Template, id).Properties["RoleName"] != s.Config.ShellRoleName() {
			t.Errorf("%s: %s is %v, want the shell role's ARN", name, boot.EnvShellRoleARN, vars[boot.EnvShellRoleARN])
		}
	}
	return got
}

// The shell role trusts the ssh-access function's role and nothing else,
// for sessions of at most an hour; it may exec into Berth's managed tasks
// on Berth's cluster and find them, nothing more; and no other role may
// assume it.
func TestShellRoleTrustsOnlyTheShellFunction(t *testing.T) {
	s := synth(t)
	var shellRoutes []string
	for _, rt := range api.Routes() {
		if rt.Shell {
			shellRoutes = append(shellRoutes, rt.Name)
		}
	}
	if len(shellRoutes) != 1 {
		t.Fatalf("shell routes %v, want one", shellRoutes)
	}
	fnRole, _, _ := getAtt(resourceByID(t, s.All, berth.FunctionLogicalID(shellRoutes[0])).Properties["Role"])
	var role resource
	for _, r := range resources(s.All, "AWS::IAM::Role") {
		if r.Properties["RoleName"] == s.Config.ShellRoleName() {
			role = r
		}
	}
	if role.ID == "" {
		t.Fatalf("no role named %s", s.Config.ShellRoleName())
	}
	trust, _ := role.Properties["AssumeRolePolicyDocument"].(map[string]any)
	trustSts, _ := trust["Statement"].([]any)
	if len(trustSts) != 1 {
		t.Fatalf("shell role trust %v, want one statement", trust)
	}
	st, _ := trustSts[0].(map[string]any)
	principal, _ := st["Principal"].(map[string]any)
	if id, attr, ok := getAtt(principal["AWS"]); st["Effect"] != "Allow" || !slices.Equal(strs(st["Action"]), []string{"sts:AssumeRole"}) ||
		len(principal) != 1 || !ok || id != fnRole || attr != "Arn" || st["Condition"] != nil {
		t.Errorf("shell role trust %v, want sts:AssumeRole by %s's role %s only", st, shellRoutes[0], fnRole)
	}
	if role.Properties["MaxSessionDuration"] != float64(3600) {
		t.Errorf("shell role max session %v, want 3600 s", role.Properties["MaxSessionDuration"])
	}
	if role.Properties["ManagedPolicyArns"] != nil {
		t.Errorf("shell role has managed policies %v", role.Properties["ManagedPolicyArns"])
	}
	var got []string
	for _, st := range statements(s.All, role.ID) {
		res := flatten(st["Resource"])
		cond, _ := json.Marshal(st["Condition"])
		for _, a := range strs(st["Action"]) {
			got = append(got, a)
			onTasks := strings.Contains(res, ":task/") && strings.HasSuffix(res, "/*")
			switch {
			case a == "ecs:ExecuteCommand" && onTasks:
				if !strings.Contains(string(cond), `"aws:ResourceTag/berth:managed":"true"`) {
					t.Errorf("shell role: %s on %s with condition %s, want berth:managed tasks only", a, res, cond)
				}
			case a == "ecs:ExecuteCommand":
				if !strings.Contains(res, "Cluster") || strings.Contains(res, "*") {
					t.Errorf("shell role: %s on %s, want Berth's cluster", a, res)
				}
			case a == "ecs:DescribeTasks" && onTasks, a == "ecs:ListTasks" && res == "*":
				if !strings.Contains(string(cond), `"ecs:cluster"`) {
					t.Errorf("shell role: %s on %s with condition %s, want Berth's cluster", a, res, cond)
				}
			default:
				t.Errorf("shell role: unexpected %s on %s", a, res)
			}
		}
	}
	if !sameStrings(got, []string{"ecs:ExecuteCommand", "ecs:ExecuteCommand", "ecs:DescribeTasks", "ecs:ListTasks"}) {
		t.Errorf("shell role actions %v", got)
	}
	// Only the shell function's role may assume it.
	for _, p := range policyDocuments(s.All) {
		for _, st := range p.statements {
			for _, a := range strs(st["Action"]) {
				if (a == "sts:AssumeRole" || a == "sts:*") && (p.role != fnRole || !strings.HasSuffix(flatten(st["Resource"]), ":role/"+s.Config.ShellRoleName())) {
					t.Errorf("policy %s allows %s on %s", p.id, a, flatten(st["Resource"]))
				}
			}
		}
	}
}

// Tenants' tasks that name no task role get the default one: ECS Exec's
// channels only, assumed by ECS tasks, named so that it fits the task role
// pattern the service step may pass, and given to the step functions.
func TestDefaultTaskRoleAllowsECSExecOnly(t *testing.T) {
	s := synth(t)
	name := s.Config.DefaultTaskRoleName()
	if ok, _ := path.Match(s.Config.TaskRoleNamePattern(), name); !ok {
		t.Errorf("default task role %s does not fit the task role pattern %s", name, s.Config.TaskRoleNamePattern())
	}
	var role resource
	for _, r := range resources(s.All, "AWS::IAM::Role") {
		if r.Properties["RoleName"] == name {
			role = r
		}
	}
	if role.ID == "" {
		t.Fatalf("no role named %s", name)
	}
	raw, _ := json.Marshal(role.Properties["AssumeRolePolicyDocument"])
	if !strings.Contains(string(raw), `"Service":"ecs-tasks.amazonaws.com"`) || !strings.Contains(string(raw), "aws:SourceAccount") {
		t.Errorf("default task role trust %s, want ECS tasks of this account", raw)
	}
	var got []string
	for _, st := range statements(s.All, role.ID) {
		if st["Resource"] != "*" || st["Condition"] != nil {
			t.Errorf("default task role: %v", st)
		}
		got = append(got, strs(st["Action"])...)
	}
	want := []string{"ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"}
	if !sameStrings(got, want) {
		t.Errorf("default task role actions %v, want %v", got, want)
	}
	for _, step := range provision.StepNames {
		vars, _ := resourceByID(t, s.All, berth.FunctionLogicalID(step)).Properties["Environment"].(map[string]any)["Variables"].(map[string]any)
		if id, attr, ok := getAtt(vars[stepboot.EnvDefaultTaskRoleARN]); !ok || id != role.ID || attr != "Arn" {
			t.Errorf("%s: %s is %v, want the default task role's ARN", step, stepboot.EnvDefaultTaskRoleARN, vars[stepboot.EnvDefaultTaskRoleARN])
		}
	}
}

// The data task role is assumed by ECS tasks of this account, may write
// and read the backups bucket's backups/ objects and nothing else, does
// not fit the task roles tenants may name, and is what the step functions
// hand data tasks.
func TestDataTaskRoleWritesAndReadsBackupsOnly(t *testing.T) {
	s := synth(t)
	name := s.Config.DataTaskRoleName()
	if ok, _ := path.Match(s.Config.TaskRoleNamePattern(), name); ok {
		t.Errorf("data task role %s fits the task role pattern %s: a tenant could name it", name, s.Config.TaskRoleNamePattern())
	}
	var role resource
	for _, r := range resources(s.All, "AWS::IAM::Role") {
		if r.Properties["RoleName"] == name {
			role = r
		}
	}
	if role.ID == "" {
		t.Fatalf("no role named %s", name)
	}
	raw, _ := json.Marshal(role.Properties["AssumeRolePolicyDocument"])
	if !strings.Contains(string(raw), `"Service":"ecs-tasks.amazonaws.com"`) || !strings.Contains(string(raw), "aws:SourceAccount") {
		t.Errorf("data task role trust %s, want ECS tasks of this account", raw)
	}
	if role.Properties["ManagedPolicyArns"] != nil {
		t.Errorf("data task role has managed policies %v", role.Properties["ManagedPolicyArns"])
	}
	var got []string
	for _, st := range statements(s.All, role.ID) {
		res := flatten(st["Resource"])
		if st["Effect"] != "Allow" || st["Condition"] != nil || !strings.HasPrefix(res, "<Backups") || !strings.HasSuffix(res, ".Arn>/"+berth.BackupsPrefix+"*") {
			t.Errorf("data task role: %v, want the backups bucket's %s objects only", st, berth.BackupsPrefix)
		}
		got = append(got, strs(st["Action"])...)
	}
	if want := []string{"s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"}; !sameStrings(got, want) {
		t.Errorf("data task role actions %v, want %v", got, want)
	}
	// No other policy in the template names the role's permissions: only
	// the service step may pass it, to ECS tasks.
	for _, step := range provision.StepNames {
		vars, _ := resourceByID(t, s.All, berth.FunctionLogicalID(step)).Properties["Environment"].(map[string]any)["Variables"].(map[string]any)
		if id, attr, ok := getAtt(vars[stepboot.EnvDataTaskRoleARN]); !ok || id != role.ID || attr != "Arn" {
			t.Errorf("%s: %s is %v, want the data task role's ARN", step, stepboot.EnvDataTaskRoleARN, vars[stepboot.EnvDataTaskRoleARN])
		}
	}
	for _, r := range resources(s.All, "AWS::IAM::Role") {
		for _, st := range statements(s.All, r.ID) {
			if !strings.Contains(flatten(st["Resource"]), "<"+role.ID+".Arn>") && !strings.Contains(fmt.Sprint(st["Resource"]), role.ID) {
				continue
			}
			if r.ID != attID(resourceByID(t, s.All, berth.FunctionLogicalID(provision.StepService)).Properties["Role"]) || !slices.Equal(strs(st["Action"]), []string{"iam:PassRole"}) {
				t.Errorf("role %s: %v names the data task role; only the service step may pass it", r.ID, st)
			}
		}
	}
}

// The deploy-environment workflow's task definitions read secret variables
// (valueFrom "<ARN>:::<version>"), so the task execution role may read
// them; and teardown deletes them as KindSecret resources, so the runtime
// step may describe and delete them.
func TestSecretVariablesAreReadableByTasksAndDeletableByTeardown(t *testing.T) {
	s := synth(t)
	secret := "arn:aws:secretsmanager:" + testRegion + ":" + testAccount + ":secret:" + s.Config.ResourcePrefix + "/acme/my-app/production-0123456789/vars/API_KEY-AbCdEf"
	covers := func(st map[string]any) bool {
		list, ok := st["Resource"].([]any)
		if !ok {
			list = []any{st["Resource"]}
		}
		return slices.ContainsFunc(list, func(r any) bool { return iamMatch(flatten(r), secret) })
	}
	allowed := func(roleID, action string) bool {
		for _, st := range statements(s.All, roleID) {
			if slices.Contains(strs(st["Action"]), action) && st["Condition"] == nil && covers(st) {
				return true
			}
		}
		return false
	}
	var execRole string
	for _, r := range resources(s.All, "AWS::IAM::Role") {
		if strings.Contains(r.ID, "TaskExecutionRole") {
			execRole = r.ID
		}
	}
	if !allowed(execRole, "secretsmanager:GetSecretValue") {
		t.Errorf("the task execution role %q may not read %s", execRole, secret)
	}
	runtimeRole, _, _ := getAtt(resourceByID(t, s.All, berth.FunctionLogicalID(provision.StepRuntime)).Properties["Role"])
	for _, a := range []string{"secretsmanager:DescribeSecret", "secretsmanager:DeleteSecret"} {
		if !allowed(runtimeRole, a) {
			t.Errorf("the runtime step may not %s %s", a, secret)
		}
	}
}

// iamMatch tells whether an IAM resource pattern (flattened, with the
// partition, region and account references) matches arn.
func iamMatch(pattern, arn string) bool {
	pattern = strings.NewReplacer("<Ref:AWS::Partition>", "aws", "<Ref:AWS::Region>", testRegion, "<Ref:AWS::AccountId>", testAccount).Replace(pattern)
	re := "^" + strings.ReplaceAll(regexp.QuoteMeta(pattern), `\*`, ".*") + "$"
	ok, _ := regexp.MatchString(re, arn)
	return ok
}

// CloudFormation takes at most 500 resources in a template; each route
// adds about ten. This says how much room is left.
func TestTemplateStaysUnderCloudFormationsResourceLimit(t *testing.T) {
	s := synth(t)
	n := len(resources(s.Template, ""))
	if n >= 500 {
		t.Errorf("the template has %d resources; CloudFormation takes at most 500", n)
	}
	t.Logf("the template has %d resources (limit 500)", n)
}

// Failed, timed-out and throttled executions are three alarms, each
// summing one Step Functions metric over every workflow's state machine,
// whose description names the workflows and the metric to look at.
func TestWorkflowAlarmsSumEveryStateMachine(t *testing.T) {
	s := synth(t)
	var machines []string
	for _, w := range apps.Workflows {
		machines = append(machines, berth.StateMachineLogicalID(w))
	}
	for id, metric := range map[string]string{
		"WorkflowsFailed": "ExecutionsFailed", "WorkflowsTimedOut": "ExecutionsTimedOut", "WorkflowsThrottled": "ExecutionThrottled",
	} {
		var alarm *resource
		for _, r := range resources(s.Template, "AWS::CloudWatch::Alarm") {
			if strings.HasPrefix(r.ID, "Alarms"+id) {
				alarm = &r
			}
		}
		if alarm == nil {
			t.Errorf("no alarm %s", id)
			continue
		}
		p := alarm.Properties
		if p["Threshold"] != 1.0 || p["EvaluationPeriods"] != 1.0 || p["ComparisonOperator"] != "GreaterThanOrEqualToThreshold" || p["TreatMissingData"] != "notBreaching" {
			t.Errorf("%s: threshold %v over %v periods (%v, missing data %v), want >= 1 in one, missing data not breaching", id, p["Threshold"], p["EvaluationPeriods"], p["ComparisonOperator"], p["TreatMissingData"])
		}
		queries, _ := p["Metrics"].([]any)
		var summed, terms []string
		var expression string
		for _, q := range queries {
			m, _ := q.(map[string]any)
			if e, ok := m["Expression"].(string); ok {
				expression = e
				if m["ReturnData"] == false {
					t.Errorf("%s: the expression does not return data", id)
				}
				continue
			}
			if m["ReturnData"] != false {
				t.Errorf("%s: query %v returns data; only the sum may", id, m["Id"])
			}
			stat, _ := m["MetricStat"].(map[string]any)
			mt, _ := stat["Metric"].(map[string]any)
			if mt["Namespace"] != "AWS/States" || mt["MetricName"] != metric || stat["Stat"] != "Sum" || stat["Period"] != 300.0 {
				t.Errorf("%s: query %v is %v %v %v over %v, want AWS/States %s Sum over 300", id, m["Id"], mt["Namespace"], mt["MetricName"], stat["Stat"], stat["Period"], metric)
			}
			dims, _ := mt["Dimensions"].([]any)
			for _, d := range dims {
				dm, _ := d.(map[string]any)
				if dm["Name"] == "StateMachineArn" {
					if ref, ok := ref(dm["Value"]); ok {
						summed = append(summed, ref)
					}
				}
			}
			terms = append(terms, fmt.Sprintf("FILL(%v, 0)", m["Id"]))
		}
		if !sameStrings(summed, machines) {
			t.Errorf("%s sums %s over %v, want over every state machine %v", id, metric, summed, machines)
		}
		if got := strings.Split(expression, " + "); !sameStrings(got, terms) {
			t.Errorf("%s: expression %q, want the sum of %v", id, expression, terms)
		}
		description, _ := p["AlarmDescription"].(string)
		for _, w := range apps.Workflows {
			if !strings.Contains(description, string(w)) {
				t.Errorf("%s: description %q does not name workflow %s", id, description, w)
			}
		}
		if !strings.Contains(description, metric) {
			t.Errorf("%s: description %q does not name the metric %s", id, description, metric)
		}
	}
}

// Moving a role's DefaultPolicy into the role (inlineDefaultPolicy) must
// leave no DependsOn naming it: CloudFormation refuses a template whose
// DependsOn names a resource it does not have.
func TestEveryDependencyExists(t *testing.T) {
	s := synth(t)
	templates := map[string]map[string]any{"main": s.Template}
	maps.Copy(templates, s.Nested)
	for name, tpl := range templates {
		all, _ := tpl["Resources"].(map[string]any)
		for _, r := range resources(tpl, "") {
			for _, id := range strs(r.Raw["DependsOn"]) {
				if _, ok := all[id]; !ok {
					t.Errorf("%s: %s depends on %s, which the template does not have", name, r.ID, id)
				}
			}
		}
	}
	// A state machine still waits for its role, whose inline policy lets
	// it log, trace and invoke its steps.
	for _, w := range apps.Workflows {
		sm := resourceByID(t, s.Template, berth.StateMachineLogicalID(w))
		role, _, _ := getAtt(sm.Properties["RoleArn"])
		if !slices.Contains(strs(sm.Raw["DependsOn"]), role) {
			t.Errorf("%s depends on %v, want its role %s among them", sm.ID, sm.Raw["DependsOn"], role)
		}
		if len(statementsWith(statements(s.All, role), "lambda:InvokeFunction")) == 0 || len(statementsWith(statements(s.All, role), "logs:CreateLogDelivery")) == 0 {
			t.Errorf("%s: its role %s may not invoke its steps or deliver its logs", sm.ID, role)
		}
	}
}

func mapKeys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestDataPlane(t *testing.T) {
	tpl := assertionsTemplate(t)
	check(t, "cluster", func() {
		tpl.HasResourceProperties(jsii.String("AWS::ECS::Cluster"), &map[string]any{
			"ClusterSettings": []any{map[string]any{"Name": "containerInsights", "Value": "enabled"}},
		})
	})
	check(t, "HTTP listener without a certificate", func() {
		tpl.HasResourceProperties(jsii.String("AWS::ElasticLoadBalancingV2::Listener"), &map[string]any{
			"Port": 80, "Protocol": "HTTP",
			"DefaultActions": []any{assertions.Match_ObjectLike(&map[string]any{"Type": "fixed-response"})},
		})
	})
	check(t, "ALB", func() {
		tpl.HasResourceProperties(jsii.String("AWS::ElasticLoadBalancingV2::LoadBalancer"), &map[string]any{
			"Scheme": "internet-facing",
			"LoadBalancerAttributes": assertions.Match_ArrayWith(&[]any{
				map[string]any{"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"},
				map[string]any{"Key": "access_logs.s3.enabled", "Value": "true"},
			}),
		})
	})
	for port, what := range map[int]string{3306: "MySQL", 5432: "Postgres", 2049: "NFS"} {
		check(t, what+" from tasks only", func() {
			tpl.HasResourceProperties(jsii.String("AWS::EC2::SecurityGroupIngress"), &map[string]any{
				"FromPort": port, "ToPort": port, "IpProtocol": "tcp",
				"SourceSecurityGroupId": assertions.Match_ObjectLike(&map[string]any{
					"Fn::GetAtt": assertions.Match_ArrayWith(&[]any{assertions.Match_StringLikeRegexp(jsii.String("TaskSecurityGroup"))}),
				}),
			})
		})
	}
	// Tenant services have security groups of their own, made at run time:
	// databases and filesystems admit, and the ALB reaches, the task subnets.
	for _, sg := range resources(synth(t).Template, "AWS::EC2::SecurityGroup") {
		rules, _ := sg.Properties["SecurityGroupIngress"].([]any)
		if strings.Contains(sg.ID, "LoadBalancer") {
			rules, _ = sg.Properties["SecurityGroupEgress"].([]any)
		}
		ports := map[float64]int{}
		for _, r := range rules {
			m, _ := r.(map[string]any)
			if cidr, _ := m["CidrIp"].(string); strings.HasPrefix(cidr, "10.") {
				ports[m["FromPort"].(float64)]++
			}
		}
		want := map[string]map[float64]int{
			"DatabaseSecurityGroup": {3306: 2, 5432: 2}, "FilesystemSecurityGroup": {2049: 2}, "LoadBalancerSecurityGroup": {0: 2},
		}
		for name, w := range want {
			if strings.Contains(sg.ID, name) && fmt.Sprint(ports) != fmt.Sprint(w) {
				t.Errorf("%s: rules for the task subnets by port %v, want %v", sg.ID, ports, w)
			}
		}
	}
	check(t, "task execution role", func() {
		tpl.HasResourceProperties(jsii.String("AWS::IAM::Role"), &map[string]any{
			"AssumeRolePolicyDocument": assertions.Match_ObjectLike(&map[string]any{
				"Statement": []any{assertions.Match_ObjectLike(&map[string]any{"Principal": map[string]any{"Service": "ecs-tasks.amazonaws.com"}})},
			}),
		})
	})
}

func TestOutputs(t *testing.T) {
	s := synth(t)
	outputs, _ := s.Template["Outputs"].(map[string]any)
	want := []string{"ApiUrl", "TableName", "UsagePlanName", "LoadBalancerDnsName", "ClusterName", "BackupsBucketName", "SiteBucketName", "SiteUrl", "SiteDistributionId"}
	for _, w := range apps.Workflows {
		want = append(want, berth.StateMachineLogicalID(w)+"Arn")
	}
	if !sameStrings(mapKeys(outputs), want) {
		t.Errorf("outputs %v, want %v", mapKeys(outputs), want)
	}
}

// cdk-nag's AwsSolutions pack finds nothing that is not suppressed with a
// reason next to the resource: no error and no warning of its own (the
// levels are cxapi's upper-case ERROR and WARNING).
func TestCdkNagAwsSolutions(t *testing.T) {
	for what, s := range map[string]*synthesized{"real dialects": synth(t), "fake dialects": synthDialects(t)} {
		var errs, warnings int
		// The main stack's messages hold its nested stacks' too: the CDK
		// collects a stack's metadata down through the stacks nested in it
		// (TestCdkNagFindingsInNestedStacksReachTheStack).
		for _, m := range s.Messages {
			data := fmt.Sprint(m.Entry.Data)
			switch m.Level {
			case cxapi.SynthesisMessageLevel_ERROR:
				errs++
				t.Errorf("%s: %s: %s", what, aws.ToString(m.Id), data)
			case cxapi.SynthesisMessageLevel_WARNING:
				warnings++
				// cdk-nag's warnings are findings to fix or suppress with a
				// reason, as its errors are; the CDK's own (the template's
				// size) are logged.
				if strings.HasPrefix(data, "AwsSolutions-") {
					t.Errorf("%s: warning %s: %s", what, aws.ToString(m.Id), data)
				} else {
					t.Logf("%s: warning %s: %s", what, aws.ToString(m.Id), data)
				}
			}
		}
		t.Logf("%s: cdk-nag: %d errors, %d warnings", what, errs, warnings)
		// Every suppression carries a reason, in every template.
		templates := map[string]map[string]any{"": s.Template}
		maps.Copy(templates, s.Nested)
		for id, tpl := range templates {
			for _, r := range resources(tpl, "") {
				nag, _ := r.Metadata["cdk_nag"].(map[string]any)
				rules, _ := nag["rules_to_suppress"].([]any)
				for _, rule := range rules {
					m, _ := rule.(map[string]any)
					if reason, _ := m["reason"].(string); len(reason) < 20 || !strings.HasPrefix(fmt.Sprint(m["id"]), "AwsSolutions-") {
						t.Errorf("%s: %s%s: suppression %v has no real reason", what, id, r.ID, m)
					}
				}
			}
		}
	}
}

// cdk-nag checks what is in nested stacks, and its findings there are
// among the stack's messages, which TestCdkNagAwsSolutions reads: an
// unencrypted queue without a dead-letter queue in a nested stack is
// an error of the stack.
func TestCdkNagFindingsInNestedStacksReachTheStack(t *testing.T) {
	synth(t) // the jsii kernel in TMPDIR
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(filepath.Join(tmpRoot, "cdk.out.nag")), AnalyticsReporting: jsii.Bool(false)})
	stack := awscdk.NewStack(app, jsii.String("NagProbe"), nil)
	nested := awscdk.NewNestedStack(stack, jsii.String("Inner"), nil)
	awssqs.NewQueue(nested, jsii.String("Queue"), nil)
	berth.AddNagChecks(app)
	artifact := app.Synth(nil).GetStackByName(jsii.String("NagProbe"))
	var found []string
	for _, m := range *artifact.Messages() {
		if m.Level == cxapi.SynthesisMessageLevel_ERROR && strings.Contains(aws.ToString(m.Id), "/Inner/Queue") {
			found = append(found, aws.ToString(m.Id)+": "+fmt.Sprint(m.Entry.Data))
		}
	}
	if len(found) == 0 {
		t.Fatal("cdk-nag's findings on a nested stack's queue are not among the stack's messages")
	}
	t.Logf("%d findings in the nested stack, e.g. %s", len(found), found[0])
}

// flatten renders a template value as text: Fn::Join concatenated, other
// intrinsics as <Ref X> or <X.Attr>.
func flatten(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		if id, ok := ref(x); ok {
			return "<Ref:" + id + ">"
		}
		if id, attr, ok := getAtt(x); ok {
			return "<" + id + "." + attr + ">"
		}
		if j, ok := x["Fn::Join"].([]any); ok && len(j) == 2 {
			sep, _ := j[0].(string)
			parts, _ := j[1].([]any)
			var out []string
			for _, p := range parts {
				out = append(out, flatten(p))
			}
			return strings.Join(out, sep)
		}
	}
	raw, _ := json.Marshal(v)
	return string(raw)
}

// Each step function has its own role: the table for every step; for
// each cloud step only the actions of its group's services, on resources named with the prefix, tagged berth:managed, or
// the platform's own; Describe-style actions on "*"; PassRole to ECS tasks
// only, for the execution role and the task roles.
func TestStepFunctionsHaveLeastPrivilege(t *testing.T) {
	s := synth(t)
	table := onlyResource(t, s.Template, "AWS::DynamoDB::Table")
	p := s.Config.ResourcePrefix
	roles := map[string]string{}
	wantVars := []string{boot.EnvTableName, stepboot.EnvPlatformDomain, stepboot.EnvExecutionRoleARN, stepboot.EnvDefaultTaskRoleARN, stepboot.EnvVPC, stepboot.EnvSubnets,
		stepboot.EnvCluster, stepboot.EnvLogRetentionDays, awscloud.EnvAccount, awscloud.EnvLoadBalancerSecurityGroup,
		awscloud.EnvListenerARN, awscloud.EnvDatabaseSubnetGroup, awscloud.EnvDatabaseSecurityGroup, awscloud.EnvFilesystemSecurityGroup,
		stepboot.EnvDataImage, stepboot.EnvDataTaskRoleARN}
	// Actions on "*": only those that accept nothing else.
	star := []string{"ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeNetworkInterfaces",
		"elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeRules", "elasticloadbalancing:DescribeTags", "ecs:DescribeTaskDefinition",
		"ecs:RegisterTaskDefinition", "ecs:DeregisterTaskDefinition", "cloudwatch:DescribeAlarms",
		"application-autoscaling:RegisterScalableTarget", "application-autoscaling:PutScalingPolicy",
		"application-autoscaling:DescribeScalableTargets", "application-autoscaling:DeregisterScalableTarget", "application-autoscaling:TagResource",
		"xray:PutTraceSegments", "xray:PutTelemetryRecords", "ecs:ListTasks"}
	for _, step := range provision.StepNames {
		fn := resourceByID(t, s.All, berth.FunctionLogicalID(step))
		roleID, _, _ := getAtt(fn.Properties["Role"])
		if other, ok := roles[roleID]; ok {
			t.Errorf("%s shares role %s with %s", step, roleID, other)
		}
		roles[roleID] = step
		env, _ := fn.Properties["Environment"].(map[string]any)
		vars, _ := env["Variables"].(map[string]any)
		if !sameStrings(mapKeys(vars), wantVars) {
			t.Errorf("%s: environment %v, want %v", step, mapKeys(vars), wantVars)
		}
		if id, ok := ref(vars[boot.EnvTableName]); !ok || id != table.ID {
			t.Errorf("%s: %s is %v", step, boot.EnvTableName, vars[boot.EnvTableName])
		}
		if vars[stepboot.EnvPlatformDomain] != s.Config.PlatformDomain || vars[stepboot.EnvLogRetentionDays] != fmt.Sprint(s.Config.TenantLogRetentionDays) {
			t.Errorf("%s: domain %v, tenant log retention %v", step, vars[stepboot.EnvPlatformDomain], vars[stepboot.EnvLogRetentionDays])
		}
		if vars[stepboot.EnvDataImage] != testDataImage {
			t.Errorf("%s: %s is %v, want %s (%s)", step, stepboot.EnvDataImage, vars[stepboot.EnvDataImage], testDataImage, berth.CtxDataImage)
		}
		for k, want := range map[string]string{
			stepboot.EnvCluster: "Cluster", stepboot.EnvExecutionRoleARN: "TaskExecutionRole", stepboot.EnvDefaultTaskRoleARN: "DefaultTaskRole", stepboot.EnvDataTaskRoleARN: "DataTaskRole", stepboot.EnvVPC: "Vpc",
			awscloud.EnvListenerARN: "LoadBalancerHttp", awscloud.EnvDatabaseSubnetGroup: "DatabaseSubnets",
			awscloud.EnvLoadBalancerSecurityGroup: "LoadBalancerSecurityGroup", awscloud.EnvDatabaseSecurityGroup: "DatabaseSecurityGroup",
			awscloud.EnvFilesystemSecurityGroup: "FilesystemSecurityGroup", stepboot.EnvSubnets: "Subnet", awscloud.EnvAccount: testAccount,
		} {
			if got := flatten(vars[k]); !strings.Contains(got, want) {
				t.Errorf("%s: %s is %s, want %s's", step, k, got, want)
			}
		}

		var tableActions []string
		cloudActions := map[string]bool{}
		for _, st := range statements(s.All, roleID) {
			actions := strs(st["Action"])
			resText := flatten(st["Resource"])
			if list, ok := st["Resource"].([]any); ok {
				var parts []string
				for _, r := range list {
					parts = append(parts, flatten(r))
				}
				resText = strings.Join(parts, " ")
			}
			cond, _ := json.Marshal(st["Condition"])
			for _, a := range actions {
				switch {
				case strings.HasPrefix(a, "dynamodb:"):
					tableActions = append(tableActions, a)
					continue
				case a == "logs:CreateLogStream" || a == "logs:PutLogEvents":
					if !strings.Contains(resText, "<"+berth.FunctionLogicalID(step)) && !strings.Contains(resText, pascal(step)+"Logs") {
						if !strings.Contains(resText, "/"+p+"/") {
							t.Errorf("%s: %s on %s", step, a, resText)
						}
					}
					continue
				case strings.HasPrefix(a, "xray:"):
					continue
				}
				cloudActions[a] = true
				for _, r := range strings.Fields(resText) {
					scoped := strings.Contains(r, ":"+p+"-") || strings.Contains(r, "/"+p+"-") || strings.Contains(r, "/"+p+"/") ||
						strings.Contains(r, ":"+p+"/") || strings.Contains(r, "rds!db-") || strings.Contains(r, ":default") || strings.Contains(r, "aws-service-role/") ||
						strings.Contains(r, "<") && !strings.HasSuffix(r, "*") || strings.Contains(r, "listener-rule/<")
					tagged := strings.Contains(string(cond), "aws:ResourceTag/berth:managed") || strings.Contains(string(cond), "aws:RequestTag/berth:managed") ||
						strings.Contains(string(cond), "ec2:Vpc") || strings.Contains(string(cond), "CreateAction") || strings.Contains(string(cond), `"ecs:cluster"`)
					switch {
					case r == "*":
						if !slices.Contains(star, a) {
							t.Errorf("%s: %s on *", step, a)
						}
					// Read-only, and the creation-token lookup names no
					// filesystem; DescribeLogGroups takes log-group:*.
					case a == "logs:DescribeLogGroups" || a == "elasticfilesystem:DescribeFileSystems":
					case !scoped && !tagged:
						t.Errorf("%s: %s on %s with condition %s: neither prefixed nor tag-conditioned", step, a, r, cond)
					}
				}
				if a == "iam:PassRole" && !strings.Contains(string(cond), `"iam:PassedToService":"ecs-tasks.amazonaws.com"`) {
					t.Errorf("%s: iam:PassRole with condition %s", step, cond)
				}
				if a == "iam:PassRole" && !strings.Contains(resText, "TaskExecutionRole") {
					t.Errorf("%s: iam:PassRole on %s, want the task execution role", step, resText)
				}
				if a == "iam:PassRole" && !strings.Contains(resText, ":role/"+s.Config.TaskRoleNamePattern()) {
					t.Errorf("%s: iam:PassRole on %s, want the task roles %s", step, resText, s.Config.TaskRoleNamePattern())
				}
				// The data task role, for the data-operation workflow's tasks; and no other role.
				if a == "iam:PassRole" && !strings.Contains(resText, "<DataTaskRole") {
					t.Errorf("%s: iam:PassRole on %s, want the data task role", step, resText)
				}
				if a == "iam:PassRole" && len(strings.Fields(resText)) != 3 {
					t.Errorf("%s: iam:PassRole on %s, want the execution role, the task roles and the data task role only", step, resText)
				}
			}
		}
		write := []string{"dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem"}
		if !sameStrings(tableActions, write) {
			t.Errorf("%s: table actions %v, want %v", step, tableActions, write)
		}
		switch step {
		case provision.StepBegin, provision.StepFinish:
			if len(cloudActions) > 0 {
				t.Errorf("%s: cloud actions %v; it only uses the table", step, mapKeys(toAny(cloudActions)))
			}
		default:
			// A cloud step acts on its own group's services only, and makes
			// every call its adapter needs to create, check and delete them.
			want := map[string]struct{ services, must []string }{
				provision.StepDatabase: {[]string{"rds:", "secretsmanager:", "iam:CreateServiceLinkedRole"},
					[]string{"rds:CreateDBInstance", "rds:DescribeDBInstances", "rds:DeleteDBInstance", "rds:CreateDBSnapshot"}},
				provision.StepFilesystem: {[]string{"elasticfilesystem:", "ec2:", "iam:CreateServiceLinkedRole"},
					[]string{"elasticfilesystem:CreateFileSystem", "elasticfilesystem:CreateMountTarget", "elasticfilesystem:DeleteFileSystem", "elasticfilesystem:DeleteMountTarget"}},
				provision.StepRepository: {[]string{"ecr:"}, []string{"ecr:CreateRepository", "ecr:DeleteRepository"}},
				provision.StepRuntime: {[]string{"logs:", "secretsmanager:", "elasticfilesystem:", "scheduler:"},
					[]string{"logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:GetLogEvents", "secretsmanager:CreateSecret", "secretsmanager:DeleteSecret",
						"elasticfilesystem:CreateAccessPoint", "elasticfilesystem:DeleteAccessPoint", "scheduler:CreateScheduleGroup", "scheduler:DeleteScheduleGroup"}},
				provision.StepNetwork: {[]string{"ec2:", "elasticloadbalancing:"},
					[]string{"ec2:CreateSecurityGroup", "ec2:DeleteSecurityGroup", "elasticloadbalancing:CreateTargetGroup", "elasticloadbalancing:CreateRule",
						"elasticloadbalancing:DeleteTargetGroup", "elasticloadbalancing:DeleteRule"}},
				provision.StepService: {[]string{"ecs:", "iam:PassRole"},
					[]string{"ecs:RegisterTaskDefinition", "ecs:CreateService", "ecs:UpdateService", "ecs:DeleteService", "ecs:ListTasks", "ecs:DescribeTasks", "iam:PassRole",
						// Jobs' and data operations' tasks: run, followed, stopped, their revisions deregistered.
						"ecs:RunTask", "ecs:StopTask", "ecs:TagResource", "ecs:DeregisterTaskDefinition", "ecs:DescribeTaskDefinition"}},
				provision.StepScaling: {[]string{"application-autoscaling:", "cloudwatch:", "ecs:DescribeServices", "ecs:UpdateService", "iam:CreateServiceLinkedRole"},
					[]string{"application-autoscaling:RegisterScalableTarget", "application-autoscaling:PutScalingPolicy", "application-autoscaling:DeregisterScalableTarget"}},
			}[step]
			if want.services == nil {
				t.Fatalf("%s: a step this test does not know", step)
			}
			for a := range cloudActions {
				if !slices.ContainsFunc(want.services, func(prefix string) bool { return strings.HasPrefix(a, prefix) }) {
					t.Errorf("%s: %s is not an action of its group's services %v", step, a, want.services)
				}
			}
			for _, a := range want.must {
				if !cloudActions[a] {
					t.Errorf("%s: no %s", step, a)
				}
			}
		}
	}
}

func toAny(m map[string]bool) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

func pascal(name string) string {
	var b strings.Builder
	for _, part := range strings.Split(name, "-") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

// The site (make site's bin/site) is five resources: a private bucket read
// only by CloudFront, and a distribution that serves it with the REST API
// under /api/ on the same origin, the token forwarded and nothing cached.
func TestSite(t *testing.T) {
	s := synth(t)
	tpl := assertionsTemplate(t)
	var n int
	for _, r := range resources(s.Template, "") {
		if strings.HasPrefix(r.ID, "Site") {
			n++
		}
	}
	if n != 5 {
		t.Errorf("the site has %d resources, want 5 (bucket, bucket policy, origin access control, cache policy, distribution)", n)
	}
	for typ, want := range map[string]int{"AWS::CloudFront::Distribution": 1, "AWS::CloudFront::OriginAccessControl": 1, "AWS::CloudFront::CachePolicy": 1} {
		check(t, typ, func() { tpl.ResourceCountIs(jsii.String(typ), jsii.Number(float64(want))) })
	}
	check(t, "private bucket", func() {
		tpl.HasResourceProperties(jsii.String("AWS::S3::Bucket"), &map[string]any{
			"PublicAccessBlockConfiguration": map[string]any{"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true},
		})
	})
	check(t, "distribution", func() {
		tpl.HasResourceProperties(jsii.String("AWS::CloudFront::Distribution"), &map[string]any{
			"DistributionConfig": assertions.Match_ObjectLike(&map[string]any{
				"DefaultRootObject":    berth.SiteIndex,
				"DefaultCacheBehavior": assertions.Match_ObjectLike(&map[string]any{"ViewerProtocolPolicy": "redirect-to-https"}),
				"CacheBehaviors": []any{assertions.Match_ObjectLike(&map[string]any{
					"PathPattern":          "/api/*",
					"ViewerProtocolPolicy": "https-only",
					"AllowedMethods":       []any{"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"},
				})},
			}),
		})
	})
	check(t, "the API's cache policy forwards the token and keeps nothing", func() {
		tpl.HasResourceProperties(jsii.String("AWS::CloudFront::CachePolicy"), &map[string]any{
			"CachePolicyConfig": assertions.Match_ObjectLike(&map[string]any{
				"DefaultTTL": 0, "MinTTL": 0, "MaxTTL": 1,
				"ParametersInCacheKeyAndForwardedToOrigin": assertions.Match_ObjectLike(&map[string]any{
					"HeadersConfig": map[string]any{"HeaderBehavior": "whitelist", "Headers": []any{"Authorization"}},
				}),
			}),
		})
	})
	// The /api/* origin is the REST API's stage.
	var origins string
	for _, r := range resources(s.Template, "AWS::CloudFront::Distribution") {
		raw, _ := json.Marshal(r.Properties["DistributionConfig"].(map[string]any)["Origins"])
		origins = string(raw)
	}
	if !strings.Contains(origins, "execute-api") || !strings.Contains(origins, `"OriginPath"`) || !strings.Contains(origins, "ApiDeploymentStage"+s.Config.APIStageName) {
		t.Errorf("origins %s: want the REST API's stage", origins)
	}
}
