package sandbox_test

import (
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/sandbox"
	"github.com/berth-dev/berth/shared/compose"
	"github.com/berth-dev/berth/shared/scaling"
)

// faulty is an instant sandbox with random faults.
func faulty(rate float64, seed uint64) *sandbox.Sandbox {
	p := sandbox.Instant
	p.Faults = sandbox.Faults{Rate: rate, Seed: seed}
	s, _ := newBox(p)
	return s
}

// outcomes makes the same n calls on s and says how each went.
func outcomes(s *sandbox.Sandbox, n int) []string {
	var out []string
	for i := range n {
		_, err := s.CreateSecret(ctx, cloud.SecretSpec{Name: fmt.Sprintf("berth-secret-%d", i%7), Tags: tags})
		var f *sandbox.FaultError
		switch {
		case errors.As(err, &f):
			out = append(out, f.Kind)
		case err != nil:
			out = append(out, err.Error())
		default:
			out = append(out, "ok")
		}
	}
	return out
}

func TestSameSeedSameFaults(t *testing.T) {
	a, b := outcomes(faulty(0.3, 42), 200), outcomes(faulty(0.3, 42), 200)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("seed 42 twice:\n%v\n%v", a, b)
	}
	if c := outcomes(faulty(0.3, 43), 200); fmt.Sprint(a) == fmt.Sprint(c) {
		t.Fatal("seeds 42 and 43 gave the same faults")
	}
	kinds := map[string]int{}
	for _, o := range a {
		kinds[o]++
	}
	for _, k := range []string{"ok", sandbox.FaultThrottling, sandbox.FaultServer, sandbox.FaultReset, sandbox.FaultTimeout, sandbox.FaultLostAnswer} {
		if kinds[k] == 0 {
			t.Errorf("200 calls at 30 %%: no %s (%v)", k, kinds)
		}
	}
	if f := kinds["ok"]; f < 110 || f > 170 {
		t.Errorf("%d of 200 calls succeeded at a 30 %% fault rate", f)
	}
}

func TestFaultRateZeroAndOne(t *testing.T) {
	for _, o := range outcomes(faulty(0, 1), 100) {
		if o != "ok" {
			t.Fatalf("rate 0: %s", o)
		}
	}
	s := faulty(1, 1)
	for _, o := range outcomes(s, 100) {
		if o == "ok" {
			t.Fatal("rate 1: a call succeeded")
		}
	}
	if _, err := s.Check(ctx, cloud.Ref{Kind: cloud.KindSecret, Name: "berth-secret-0"}); !sandbox.IsFault(err) {
		t.Fatalf("rate 1, Check: %v", err)
	}
	if _, err := s.ScalingPolicies().List(ctx, "svc"); !errors.Is(err, scaling.ErrUnavailable) {
		t.Fatalf("rate 1, a scaling policy call: %v, want scaling.ErrUnavailable", err)
	}
	st := s.FaultStats()
	total := 0
	for _, n := range st.Injected {
		total += n
	}
	if st.Rate != 1 || st.Seed != 1 || st.Calls != 102 || total != 102 {
		t.Fatalf("stats %+v", st)
	}
}

// TestFaultsAreWhatAWSAdaptersReturn: every fault is cloud.ErrUnavailable
// over the provider's error: an AWS error code, or the transport's.
func TestFaultsAreWhatAWSAdaptersReturn(t *testing.T) {
	s := faulty(1, 7)
	seen := map[string]bool{}
	for i := range 200 {
		_, err := s.CreateRepository(ctx, cloud.RepositorySpec{Name: fmt.Sprintf("r%d", i)})
		var f *sandbox.FaultError
		if !errors.As(err, &f) || !errors.Is(err, cloud.ErrUnavailable) || errors.Is(err, cloud.ErrInvalid) {
			t.Fatalf("%v: not an unavailable fault", err)
		}
		var op *net.OpError
		switch {
		case f.Kind == sandbox.FaultReset && !errors.Is(err, syscall.ECONNRESET),
			f.Kind == sandbox.FaultTimeout && !(errors.As(err, &op) && op.Timeout()),
			f.Kind == sandbox.FaultLostAnswer && !errors.As(err, &op):
			t.Errorf("%s: %v", f.Kind, err)
		}
		seen[err.Error()] = true
	}
	for _, want := range []string{"sandbox CreateRepository: ThrottlingException: Rate exceeded",
		"sandbox CreateRepository: ServiceUnavailable: Service is unavailable, please try again later",
		"sandbox CreateRepository: read tcp: read: connection reset by peer"} {
		if !seen[want] {
			t.Errorf("never saw %q in %v", want, seen)
		}
	}
}

// TestNoFaultHasEffectButALostAnswer: a fault leaves the sandbox as it
// was, except a lost answer, whose resource is created (or whose deletion
// starts), so that the retry finds it.
func TestNoFaultHasEffectButALostAnswer(t *testing.T) {
	s := faulty(0.5, 3)
	lost, before := 0, 0
	for i := range 300 {
		name := fmt.Sprintf("berth-lg-%d", i)
		_, err := s.CreateLogGroup(ctx, cloud.LogGroupSpec{Name: name, Tags: tags})
		var f *sandbox.FaultError
		errors.As(err, &f)
		s.SetFaults(sandbox.Faults{Rate: 0}) // look without faults
		_, exists := s.Check(ctx, cloud.Ref{Kind: cloud.KindLogGroup, Name: name})
		switch {
		case err == nil && exists != nil:
			t.Fatalf("%s: created, then not found: %v", name, exists)
		case f != nil && f.Lost:
			lost++
			if exists != nil {
				t.Fatalf("%s: a lost answer left nothing: %v", name, exists)
			}
			// The retry returns what the lost call created.
			if res, err := s.CreateLogGroup(ctx, cloud.LogGroupSpec{Name: name, Tags: tags}); err != nil || res.Name != name {
				t.Fatalf("retry after a lost answer: %+v, %v", res, err)
			}
		case f != nil:
			before++
			if !errors.Is(exists, cloud.ErrNotFound) {
				t.Fatalf("%s: a %s fault created it: %v", name, f.Kind, exists)
			}
		}
		s.SetFaults(sandbox.Faults{Rate: 0.5, Seed: uint64(i)})
	}
	if lost == 0 || before == 0 {
		t.Fatalf("%d lost answers, %d faults before the call", lost, before)
	}

	// A delete's lost answer: the deletion goes on.
	s.SetFaults(sandbox.Faults{})
	existing := s.Resources()
	created := len(existing)
	s.SetFaults(sandbox.Faults{Rate: 1, Seed: 1})
	deleted := 0
	for _, res := range existing {
		_, err := s.Delete(ctx, res.Ref, cloud.DeleteOptions{})
		var f *sandbox.FaultError
		if !errors.As(err, &f) {
			t.Fatalf("rate 1: %v", err)
		}
		if f.Lost {
			deleted++
		}
	}
	s.SetFaults(sandbox.Faults{})
	if left := len(s.Resources()); deleted == 0 || left != created-deleted {
		t.Fatalf("%d lost delete answers, %d log groups left of %d", deleted, left, created)
	}
}

// TestTaskDefinitionFamilyFindsALostRegistration: a registration whose
// answer was lost is found by its family, as ECS's DescribeTaskDefinition
// finds a family's latest revision, so the step adopts it instead of
// registering another.
func TestTaskDefinitionFamilyFindsALostRegistration(t *testing.T) {
	s := faulty(0, 0)
	family := cloud.Ref{Kind: cloud.KindTaskDefinition, Name: "berth-acme-shop-production-0123456789"}
	if _, err := s.Check(ctx, family); !errors.Is(err, cloud.ErrNotFound) {
		t.Fatalf("an empty family: %v", err)
	}
	spec := cloud.TaskSpec{Family: family.Name, Tags: tags, Compose: compose.Definition{Containers: []compose.Container{
		{Name: "web", ImageReference: &compose.ImageReference{Type: compose.ImageExternal, Identifier: "nginx:1"}}}}}
	for seed := uint64(0); ; seed++ {
		s.SetFaults(sandbox.Faults{Rate: 1, Seed: seed})
		_, err := s.RegisterTaskDefinition(ctx, spec)
		var f *sandbox.FaultError
		if errors.As(err, &f) && f.Lost {
			break
		}
	}
	s.SetFaults(sandbox.Faults{})
	got, err := s.Check(ctx, family)
	if err != nil || got.Name != family.Name+":1" || got.State != cloud.StateAvailable {
		t.Fatalf("the family after a lost registration: %+v, %v", got, err)
	}
}
