package localstack_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/berth-dev/berth/shared/cloud/sandbox"
)

// TestScalingPoliciesOnTheSandbox: the CPU policy provisioning registers
// shows in GET, a PUT of CPUUtilization updates it rather than adding a
// second, RPS is labelled with the environment's target group, and the
// application's teardown takes the policies with the scalable target.
func TestScalingPoliciesOnTheSandbox(t *testing.T) {
	w := startTwin(t, sandbox.Instant, true)
	const path = "/applications/web/environments/production/scaling-policies"
	if code, _ := w.call(http.MethodPost, "/applications", map[string]any{"appName": "web", "composeDefinition": map[string]any{"containers": nginx("1.27")}}); code != http.StatusCreated {
		t.Fatalf("create: %d", code)
	}
	w.waitFor("/applications/web", "ACTIVE")
	_, env := w.call(http.MethodGet, "/applications/web/environments/production", nil)
	svc, _ := get(env, "service.serviceName").(string)
	if svc == "" {
		t.Fatalf("no service name in %v", env)
	}

	policies := func() []any {
		t.Helper()
		code, out := w.call(http.MethodGet, path, nil)
		if code != http.StatusOK {
			t.Fatalf("GET: %d %v", code, out)
		}
		return out["policies"].([]any)
	}
	got := policies()
	if len(got) != 1 || get(got[0].(map[string]any), "policyName") != svc+"-cpu" || get(got[0].(map[string]any), "targetValue") != 70.0 ||
		get(got[0].(map[string]any), "scaleInCooldownSeconds") != 300.0 || get(got[0].(map[string]any), "scaleOutCooldownSeconds") != 60.0 {
		t.Fatalf("provisioned policies: %v", got)
	}
	if code, out := w.call(http.MethodPut, path, map[string]any{"metric": "CPUUtilization", "targetValue": 50}); code != http.StatusOK || out["policyName"] != svc+"-cpu" {
		t.Fatalf("PUT CPU: %d %v", code, out)
	}
	if got = policies(); len(got) != 1 || get(got[0].(map[string]any), "targetValue") != 50.0 {
		t.Fatalf("after PUT CPU: %v", got)
	}
	code, rps := w.call(http.MethodPut, path, map[string]any{"metric": "RPS", "targetValue": 200})
	if label, _ := rps["resourceLabel"].(string); code != http.StatusOK || !strings.HasPrefix(label, sandbox.LoadBalancer+"/") {
		t.Fatalf("PUT RPS: %d %v", code, rps)
	}
	if got = policies(); len(got) != 2 {
		t.Fatalf("after PUT RPS: %v", got)
	}

	if code, _ := w.call(http.MethodDelete, "/applications/web", nil); code != http.StatusAccepted {
		t.Fatalf("delete: %d", code)
	}
	w.waitFor("/applications/web", "GONE")
	left, err := w.stack.Sandbox.ScalingPolicies().List(t.Context(), svc)
	if err != nil || len(left) != 0 {
		t.Fatalf("policies after teardown: %v, %v", left, err)
	}
}
