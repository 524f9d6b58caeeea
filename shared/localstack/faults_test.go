package localstack_test

import (
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/sandbox"
)

// lifecycle provisions an application with a database and a filesystem
// and a second environment, then deletes both, asserting that each
// converges (ACTIVE, then gone) and nothing is left in the sandbox.
func lifecycle(t *testing.T, w *twin, name string) {
	t.Helper()
	if code, body := w.call(http.MethodPost, "/applications", appBody(t, name)); code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, body)
	}
	if app := w.waitFor("/applications/"+name, "ACTIVE", "FAILED"); app["status"] != "ACTIVE" {
		t.Fatalf("application %v: %v", app["status"], app["statusReason"])
	}
	clone := map[string]any{"envName": "staging", "cloneConfigurationFrom": "production"}
	if code, body := w.call(http.MethodPost, "/applications/"+name+"/environments", clone); code != http.StatusCreated {
		t.Fatalf("clone: %d %v", code, body)
	}
	if env := w.waitFor("/applications/"+name+"/environments/staging", "ACTIVE", "FAILED"); env["status"] != "ACTIVE" {
		t.Fatalf("staging %v: %v", env["status"], env["statusReason"])
	}
	if code, _ := w.call(http.MethodDelete, "/applications/"+name+"/environments/staging", nil); code != http.StatusAccepted {
		t.Fatalf("delete staging: %d", code)
	}
	if env := w.waitFor("/applications/"+name+"/environments/staging", "GONE", "DELETE_FAILED", "FAILED"); env["status"] == "DELETE_FAILED" || env["status"] == "FAILED" {
		t.Fatalf("staging %v: %v", env["status"], env["statusReason"])
	}
	if code, _ := w.call(http.MethodDelete, "/applications/"+name, nil); code != http.StatusAccepted {
		t.Fatalf("delete: %d", code)
	}
	if app := w.waitFor("/applications/"+name, "GONE", "DELETE_FAILED", "FAILED"); app["status"] == "DELETE_FAILED" || app["status"] == "FAILED" {
		t.Fatalf("application %v: %v", app["status"], app["statusReason"])
	}
	if left := w.leftovers(); len(left) != 0 {
		t.Fatalf("the sandbox still holds %v", left)
	}
}

// TestLifecycleConvergesUnderRandomFaults: with 10 % of the sandbox's
// calls failing at random (BERTH_SANDBOX_FAULTS=0.1, a fixed seed), the
// application, its database and filesystem and a second environment still
// reach ACTIVE, and then gone, leaving nothing: the steps' retries and
// idempotent creates absorb throttling, 5xx, resets, timeouts and lost
// answers.
func TestLifecycleConvergesUnderRandomFaults(t *testing.T) {
	clean := startTwin(t, sandbox.Instant, true)
	start := time.Now()
	lifecycle(t, clean, "calm")
	calm := time.Since(start)

	p := sandbox.Instant
	p.Faults = sandbox.Faults{Rate: 0.1, Seed: 42}
	// BERTH_SANDBOX_FAULTS and BERTH_SANDBOX_SEED try other runs, as make run's.
	if v, err := strconv.ParseFloat(os.Getenv("BERTH_SANDBOX_FAULTS"), 64); err == nil {
		p.Faults.Rate = v
	}
	if v, err := strconv.ParseUint(os.Getenv("BERTH_SANDBOX_SEED"), 10, 64); err == nil {
		p.Faults.Seed = v
	}
	w := startTwin(t, p, true)
	start = time.Now()
	lifecycle(t, w, "stormy")
	stormy := time.Since(start)
	st := w.stack.Local.Sandbox.FaultStats()
	injected := 0
	for _, n := range st.Injected {
		injected += n
	}
	if injected == 0 {
		t.Fatalf("no faults injected in %d calls", st.Calls)
	}
	t.Logf("%d faults in %d calls %v: converged in %s, %s without faults", injected, st.Calls, st.Injected,
		stormy.Round(time.Millisecond), calm.Round(time.Millisecond))
}

// TestTeardownAbsorbsEachFault deletes an application (with a database, a
// filesystem and a schedule group) while one delete the teardown makes
// meets a burst of faults of each kind the random faults draw, longer than
// the state machine's Retry for Berth.CloudUnavailable (1 + 6 attempts):
// the teardown still ends with the records gone and nothing left in the
// sandbox. A lost answer is the delete that took effect but reported a
// reset or a timeout, so that its retry finds the resource gone.
func TestTeardownAbsorbsEachFault(t *testing.T) {
	const burst = 8
	base := startTwin(t, sandbox.Instant, true)
	box := base.stack.Local.Sandbox
	kinds := []cloud.Kind{cloud.KindScaling, cloud.KindService, cloud.KindTaskDefinition, cloud.KindListenerRule,
		cloud.KindTargetGroup, cloud.KindSecurityGroup, cloud.KindLogGroup, cloud.KindSecret, cloud.KindAccessPoint,
		cloud.KindScheduleGroup, cloud.KindFilesystem, cloud.KindDatabase, cloud.KindRepository}
	for _, kind := range kinds {
		for _, fault := range []string{sandbox.FaultThrottling, sandbox.FaultServer, sandbox.FaultReset, sandbox.FaultTimeout, sandbox.FaultLostAnswer} {
			t.Run(string(kind)+"/"+fault, func(t *testing.T) {
				w := *base
				w.t = t
				name := "td-" + strings.ToLower(string(kind)+"-"+fault)
				if code, body := w.call(http.MethodPost, "/applications", appBody(t, name)); code != http.StatusCreated {
					t.Fatalf("create: %d %v", code, body)
				}
				if app := w.waitFor("/applications/"+name, "ACTIVE", "FAILED"); app["status"] != "ACTIVE" {
					t.Fatalf("application %v: %v", app["status"], app["statusReason"])
				}
				before := box.FaultStats().Injected[fault]
				op := "Delete:" + string(kind)
				for range burst {
					box.FaultOnce(op, fault)
				}
				t.Cleanup(box.ClearFaults)
				if code, _ := w.call(http.MethodDelete, "/applications/"+name, nil); code != http.StatusAccepted {
					t.Fatalf("delete: %d", code)
				}
				if app := w.waitFor("/applications/"+name, "GONE", "DELETE_FAILED", "FAILED"); app["status"] == "DELETE_FAILED" || app["status"] == "FAILED" {
					t.Fatalf("teardown with a %s on %s: %v: %v", fault, op, app["status"], app["statusReason"])
				}
				if got := box.FaultStats().Injected[fault] - before; got != burst {
					t.Fatalf("%d of the %d faults on %s met a call", got, burst, op)
				}
				if left := w.leftovers(); len(left) != 0 {
					t.Fatalf("the sandbox still holds %v", left)
				}
			})
		}
	}
}
