package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/cloud/sandbox"
	"github.com/berth-dev/berth/shared/store"
)

const targetGroupARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/berth-my-app-pr-456/73e2d6bc24d8a067"

// scalingOrg seeds an organisation whose pr-456 is ACTIVE, and returns its
// scaling-policies path and ECS service name. withTargetGroup records the
// target group provisioning makes when a container exposes a port.
func scalingOrg(t *testing.T, withTargetGroup bool) (string, string) {
	t.Helper()
	org := uniqueOrg(t)
	seedOrg(t, org)
	ctx := context.Background()
	tbl := &store.Table{Client: stack.Client, Name: stack.Table}
	env, err := tbl.GetEnvironment(ctx, org, "my-app", "pr-456")
	if err != nil {
		t.Fatal(err)
	}
	if withTargetGroup {
		target := apps.Target{Organisation: org, Application: "my-app", Environment: "pr-456", UID: env.UID}
		if err := tbl.Apply(ctx, target, apps.Change{Outputs: map[string]string{apps.OutTargetGroupARN: targetGroupARN}, Now: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	return orgPath(org) + "/applications/my-app/environments/pr-456/scaling-policies", env.Outputs[apps.OutServiceName]
}

type policyView struct {
	Metric                  string  `json:"metric"`
	TargetValue             float64 `json:"targetValue"`
	ScaleInCooldownSeconds  int     `json:"scaleInCooldownSeconds"`
	ScaleOutCooldownSeconds int     `json:"scaleOutCooldownSeconds"`
	PolicyName              string  `json:"policyName"`
	ResourceLabel           *string `json:"resourceLabel"`
}

func listPolicies(t *testing.T, path, query string) []policyView {
	t.Helper()
	res := call(t, http.MethodGet, path+query, nil)
	mustStatus(t, res, http.StatusOK)
	var out struct {
		Policies []policyView `json:"policies"`
	}
	if err := json.Unmarshal(res.Body, &out); err != nil {
		t.Fatal(err)
	}
	if out.Policies == nil {
		t.Fatalf("policies is not an array: %s", res.Body)
	}
	return out.Policies
}

func names(ps []policyView) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, p.PolicyName+"="+p.Metric)
	}
	return out
}

func putPolicy(t *testing.T, path, query string, body any) policyView {
	t.Helper()
	res := call(t, http.MethodPut, path+query, body)
	mustStatus(t, res, http.StatusOK)
	var p policyView
	if err := json.Unmarshal(res.Body, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestScalingPolicyValidation: each rule gets a 400 naming its field, and
// changes no policy.
func TestScalingPolicyValidation(t *testing.T) {
	path, svc := scalingOrg(t, true)
	noTG, _ := scalingOrg(t, false)
	putPolicy(t, path, "", map[string]any{"metric": "CPUUtilization", "targetValue": 70})
	cases := map[string]struct {
		method, path, query string
		body                any
		field               string
	}{
		"metric missing":             {body: map[string]any{"targetValue": 50}, field: "metric"},
		"metric unknown":             {body: map[string]any{"metric": "GPUUtilization", "targetValue": 50}, field: "metric"},
		"metric not a string":        {body: map[string]any{"metric": 1, "targetValue": 50}, field: "metric"},
		"targetValue missing":        {body: map[string]any{"metric": "CPUUtilization"}, field: "targetValue"},
		"targetValue zero":           {body: map[string]any{"metric": "CPUUtilization", "targetValue": 0}, field: "targetValue"},
		"targetValue negative":       {body: map[string]any{"metric": "RPS", "targetValue": -1}, field: "targetValue"},
		"targetValue a string":       {body: map[string]any{"metric": "CPUUtilization", "targetValue": "50"}, field: "targetValue"},
		"cpu over 100":               {body: map[string]any{"metric": "CPUUtilization", "targetValue": 100.5}, field: "targetValue"},
		"memory over 100":            {body: map[string]any{"metric": "MemoryUtilization", "targetValue": 101}, field: "targetValue"},
		"rps over 100000":            {body: map[string]any{"metric": "RPS", "targetValue": 100001}, field: "targetValue"},
		"scale-in negative":          {body: map[string]any{"metric": "CPUUtilization", "targetValue": 50, "scaleInCooldownSeconds": -1}, field: "scaleInCooldownSeconds"},
		"scale-in over an hour":      {body: map[string]any{"metric": "CPUUtilization", "targetValue": 50, "scaleInCooldownSeconds": 3601}, field: "scaleInCooldownSeconds"},
		"scale-in fractional":        {body: map[string]any{"metric": "CPUUtilization", "targetValue": 50, "scaleInCooldownSeconds": 1.5}, field: "scaleInCooldownSeconds"},
		"scale-out over an hour":     {body: map[string]any{"metric": "CPUUtilization", "targetValue": 50, "scaleOutCooldownSeconds": 3601}, field: "scaleOutCooldownSeconds"},
		"policyName with a space":    {query: "?policyName=" + url.QueryEscape("my policy"), body: map[string]any{"metric": "CPUUtilization", "targetValue": 50}, field: "policyName"},
		"policyName empty":           {query: "?policyName=", body: map[string]any{"metric": "CPUUtilization", "targetValue": 50}, field: "policyName"},
		"policyName too long":        {query: "?policyName=" + strings.Repeat("a", 256), body: map[string]any{"metric": "CPUUtilization", "targetValue": 50}, field: "policyName"},
		"policyName of another":      {query: "?policyName=" + svc + "-memory", body: map[string]any{"metric": "CPUUtilization", "targetValue": 50}, field: "policyName"},
		"rps without a target group": {path: noTG, body: map[string]any{"metric": "RPS", "targetValue": 100}, field: "metric"},
		"list by unknown metric":     {method: http.MethodGet, query: "?metric=GPUUtilization", field: "metric"},
		"list by a bad name":         {method: http.MethodGet, query: "?policyName=a/b", field: "policyName"},
		"delete by unknown metric":   {method: http.MethodDelete, query: "?metric=cpu", field: "metric"},
		"delete by a bad name":       {method: http.MethodDelete, query: "?policyName=a:b", field: "policyName"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			method, p := tc.method, tc.path
			if method == "" {
				method = http.MethodPut
			}
			if p == "" {
				p = path
			}
			before := listPolicies(t, p, "")
			res := call(t, method, p+tc.query, tc.body)
			mustStatus(t, res, http.StatusBadRequest)
			if errs := res.fieldErrors(t); len(errs) != 1 || errs[tc.field] == nil {
				t.Errorf("errors %v, want one for %s", errs, tc.field)
			}
			if after := listPolicies(t, p, ""); !reflect.DeepEqual(after, before) {
				t.Errorf("policies changed: %v, then %v", names(before), names(after))
			}
		})
	}
}

// TestScalingPolicyUpsert: a PUT of a metric replaces that metric's
// policy, whatever its name; cooldowns default to 300 and 60; RPS carries
// the load balancer's and target group's resource label.
func TestScalingPolicyUpsert(t *testing.T) {
	path, svc := scalingOrg(t, true)
	if got := listPolicies(t, path, ""); len(got) != 0 {
		t.Fatalf("policies before any PUT (no workflow ran): %v", names(got))
	}
	p := putPolicy(t, path, "", map[string]any{"metric": "CPUUtilization", "targetValue": 60})
	want := policyView{Metric: "CPUUtilization", TargetValue: 60, ScaleInCooldownSeconds: 300, ScaleOutCooldownSeconds: 60, PolicyName: svc + "-cpu"}
	if !reflect.DeepEqual(p, want) {
		t.Fatalf("policy %+v, want %+v", p, want)
	}
	p = putPolicy(t, path, "", map[string]any{"metric": "CPUUtilization", "targetValue": 65.5, "scaleInCooldownSeconds": 0, "scaleOutCooldownSeconds": 3600})
	want = policyView{Metric: "CPUUtilization", TargetValue: 65.5, ScaleInCooldownSeconds: 0, ScaleOutCooldownSeconds: 3600, PolicyName: svc + "-cpu"}
	if got := listPolicies(t, path, ""); !reflect.DeepEqual(got, []policyView{want}) || !reflect.DeepEqual(p, want) {
		t.Fatalf("after a second CPU PUT: %+v", got)
	}
	putPolicy(t, path, "?policyName=mem.custom_1", map[string]any{"metric": "MemoryUtilization", "targetValue": 80})
	if got := names(listPolicies(t, path, "")); !reflect.DeepEqual(got, []string{svc + "-cpu=CPUUtilization", "mem.custom_1=MemoryUtilization"}) {
		t.Fatalf("after a named memory PUT: %v", got)
	}
	// The same metric under Berth's name replaces the named policy.
	putPolicy(t, path, "", map[string]any{"metric": "MemoryUtilization", "targetValue": 75})
	if got := names(listPolicies(t, path, "")); !reflect.DeepEqual(got, []string{svc + "-cpu=CPUUtilization", svc + "-memory=MemoryUtilization"}) {
		t.Fatalf("after a memory PUT: %v", got)
	}
	// The given name replaces the policy of that name.
	putPolicy(t, path, "?policyName="+svc+"-memory", map[string]any{"metric": "MemoryUtilization", "targetValue": 70})
	if got := listPolicies(t, path, "?metric=MemoryUtilization"); len(got) != 1 || got[0].TargetValue != 70 {
		t.Fatalf("after a PUT by name: %+v", got)
	}
	rps := putPolicy(t, path, "", map[string]any{"metric": "RPS", "targetValue": 1000})
	label := sandbox.LoadBalancer + "/targetgroup/berth-my-app-pr-456/73e2d6bc24d8a067"
	if rps.PolicyName != svc+"-rps" || rps.ResourceLabel == nil || *rps.ResourceLabel != label {
		t.Fatalf("RPS policy %+v, want label %s", rps, label)
	}
	if got := listPolicies(t, path, "?metric=RPS"); len(got) != 1 || !reflect.DeepEqual(got[0], rps) {
		t.Fatalf("RPS listed as %+v", got)
	}
}

// TestScalingPolicyListAndDelete: filters pick the policies matching every
// one given; DELETE by metric, by name, then all; nothing matching is 204.
func TestScalingPolicyListAndDelete(t *testing.T) {
	path, svc := scalingOrg(t, true)
	putPolicy(t, path, "", map[string]any{"metric": "CPUUtilization", "targetValue": 60})
	putPolicy(t, path, "", map[string]any{"metric": "MemoryUtilization", "targetValue": 70})
	putPolicy(t, path, "?policyName=rps", map[string]any{"metric": "RPS", "targetValue": 500})
	for query, want := range map[string][]string{
		"":                                      {svc + "-cpu=CPUUtilization", svc + "-memory=MemoryUtilization", "rps=RPS"},
		"?metric=CPUUtilization":                {svc + "-cpu=CPUUtilization"},
		"?policyName=rps":                       {"rps=RPS"},
		"?metric=RPS&policyName=rps":            {"rps=RPS"},
		"?metric=CPUUtilization&policyName=rps": {},
		"?policyName=nothing":                   {},
	} {
		if got := names(listPolicies(t, path, query)); !reflect.DeepEqual(got, want) {
			t.Errorf("list%s: %v, want %v", query, got, want)
		}
	}
	steps := []struct {
		query string
		left  []string
	}{
		{"?metric=MemoryUtilization", []string{svc + "-cpu=CPUUtilization", "rps=RPS"}},
		{"?metric=MemoryUtilization", []string{svc + "-cpu=CPUUtilization", "rps=RPS"}}, // again: nothing left to delete
		{"?policyName=rps", []string{svc + "-cpu=CPUUtilization"}},
		{"?metric=RPS&policyName=" + svc + "-cpu", []string{svc + "-cpu=CPUUtilization"}}, // both must match
		{"", []string{}},
		{"", []string{}},
	}
	for _, s := range steps {
		res := call(t, http.MethodDelete, path+s.query, nil)
		mustStatus(t, res, http.StatusNoContent)
		if len(res.Body) != 0 {
			t.Errorf("204 with a body: %s", res.Body)
		}
		if got := names(listPolicies(t, path, "")); !reflect.DeepEqual(got, s.left) {
			t.Fatalf("after DELETE%s: %v, want %v", s.query, got, s.left)
		}
	}
}

// TestScalingPolicyEnvironmentState: a missing environment is 404, one
// that is not ACTIVE is 409, on each route.
func TestScalingPolicyEnvironmentState(t *testing.T) {
	path, _ := scalingOrg(t, false)
	org := strings.Split(strings.TrimPrefix(path, "/api/v3/organizations/"), "/")[0]
	body := map[string]any{"envName": "pr-789", "cloneConfigurationFrom": "production", "imageSuffix": "pr-789", "minCapacity": 1, "maxCapacity": 1}
	mustStatus(t, call(t, http.MethodPost, orgPath(org)+"/applications/my-app/environments", body), http.StatusCreated)
	creating := orgPath(org) + "/applications/my-app/environments/pr-789/scaling-policies"
	missing := orgPath(org) + "/applications/my-app/environments/nope/scaling-policies"
	noApp := orgPath(org) + "/applications/no-app/environments/production/scaling-policies"
	put := map[string]any{"metric": "CPUUtilization", "targetValue": 50}
	for _, c := range []struct {
		path   string
		status int
	}{{missing, http.StatusNotFound}, {noApp, http.StatusNotFound}, {creating, http.StatusConflict}} {
		for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
			var b any
			if m == http.MethodPut {
				b = put
			}
			mustStatus(t, call(t, m, c.path, b), c.status)
		}
	}
}
