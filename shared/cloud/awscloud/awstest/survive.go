package awstest

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/berth-dev/berth/shared/cloud/sandbox"
)

// Survive runs run once for each seed from 1 to rounds, each time on a
// new stub with faults at rate (ConfigWithFaults gives cfg), and fails
// the test when a round fails, or when the faults hit fewer than three
// kinds in all: a test that met too few faults proves little. It returns
// the faults summed over the rounds, and logs them.
func Survive(t *testing.T, rate float64, rounds int, run func(s *Stub, cfg aws.Config) error) sandbox.FaultStats {
	t.Helper()
	sum := sandbox.FaultStats{Rate: rate, Injected: map[string]int{}}
	for seed := 1; seed <= rounds; seed++ {
		s := New(t)
		if err := run(s, s.ConfigWithFaults(sandbox.Faults{Rate: rate, Seed: uint64(seed)})); err != nil {
			t.Errorf("seed %d: %v (faults %v)", seed, err, s.FaultLog())
		}
		st := s.FaultStats()
		sum.Calls += st.Calls
		for k, n := range st.Injected {
			sum.Injected[k] += n
		}
	}
	if len(sum.Injected) < 3 {
		t.Errorf("faults hit %d kinds (%v), want 3 or more", len(sum.Injected), sum.Injected)
	}
	t.Logf("%d rounds at rate %.2f: %d attempts, faults %v", rounds, rate, sum.Calls, sum.Injected)
	return sum
}

// SameToken checks that reqs, the attempts of one call, all carry the
// same idempotency token in the JSON field key, and returns how many
// there were.
func SameToken(t *testing.T, reqs []Request, key string) int {
	t.Helper()
	for _, r := range reqs {
		if tok, _ := r.JSON[key].(string); tok == "" || tok != reqs[0].JSON[key] {
			t.Errorf("%s %s = %q, the first attempt's %q", r.Op, key, tok, reqs[0].JSON[key])
		}
	}
	return len(reqs)
}
