package awscloud_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awstest"
	"github.com/berth-dev/berth/shared/cloud/sandbox"
)

// TestFaultsEveryAttemptUnavailable: when every attempt faults, each
// part's Delete of each kind gives up after the retryer's last attempt
// with cloud.ErrUnavailable, which workflows retry, whatever the last
// fault was and whichever protocol the service speaks.
func TestFaultsEveryAttemptUnavailable(t *testing.T) {
	kinds := map[string]int{}
	for seed := uint64(1); seed <= 5; seed++ {
		parts, stubs := newPartsWith(t, func(s *awstest.Stub) aws.Config {
			s.On(awstest.Any, awstest.OK("")) // a lost answer's, dropped
			return s.ConfigWithFaults(sandbox.Faults{Rate: 1, Seed: seed})
		})
		for _, k := range cloud.Kinds {
			_, err := parts.Delete(context.Background(), cloud.Ref{Kind: k, Name: "berth-acme-my-app-production-0123456789", ID: "id-1"}, cloud.DeleteOptions{})
			if !errors.Is(err, cloud.ErrUnavailable) {
				t.Errorf("seed %d: delete %s: %v, want unavailable", seed, k, err)
			}
		}
		for name, s := range stubs {
			st := s.FaultStats()
			if st.Calls%awstest.MaxAttempts != 0 || st.Calls == 0 {
				t.Errorf("seed %d: %s: %d attempts, want %d a call", seed, name, st.Calls, awstest.MaxAttempts)
			}
			for k, n := range st.Injected {
				kinds[k] += n
			}
		}
	}
	if len(kinds) != 5 {
		t.Errorf("faults %v, want every kind", kinds)
	}
	t.Logf("faults %v", kinds)
}
