package awsartefacts_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awstest"
	"github.com/berth-dev/berth/shared/cloud/sandbox"
	"github.com/berth-dev/berth/shared/data/awsartefacts"
)

// TestFaultsSurvived: throttling (SlowDown), 5xx, resets, timeouts and
// lost answers are retried by the SDK's standard retryer, so Stat and
// Delete give the right answers; a lost DeleteObject answer's retry
// finds the key gone and still succeeds.
func TestFaultsSurvived(t *testing.T) {
	ctx := context.Background()
	objects, _, endpoint := sandboxS3(t)
	round := 0
	awstest.Survive(t, 0.3, 30, func(_ *awstest.Stub, cfg aws.Config) error {
		round++
		key := fmt.Sprintf("backups/acme/my-app/production/files/bk-%d.tar.gz", round)
		putFile(t, objects, key, make([]byte, round))
		store := awsartefacts.New(cfg, bucket, endpoint)
		if size, exists, err := store.Stat(ctx, key); err != nil || !exists || size != int64(round) {
			return fmt.Errorf("Stat = %d, %v, %v; want %d, true, nil", size, exists, err, round)
		}
		for range 2 {
			if err := store.Delete(ctx, key); err != nil {
				return err
			}
		}
		if _, exists, err := store.Stat(ctx, key); err != nil || exists {
			return fmt.Errorf("Stat after Delete = %v, %v; want false, nil", exists, err)
		}
		return nil
	})
}

// TestFaultsEveryAttemptUnavailable: when every attempt faults, Stat and
// Delete give up after the retryer's last attempt with
// cloud.ErrUnavailable, which callers retry.
func TestFaultsEveryAttemptUnavailable(t *testing.T) {
	ctx := context.Background()
	_, _, endpoint := sandboxS3(t)
	for seed := uint64(1); seed <= 5; seed++ {
		s := awstest.New(t)
		store := awsartefacts.New(s.ConfigWithFaults(sandbox.Faults{Rate: 1, Seed: seed}), bucket, endpoint)
		if _, _, err := store.Stat(ctx, key); !errors.Is(err, cloud.ErrUnavailable) || !strings.HasPrefix(err.Error(), "s3 HeadObject: ") {
			t.Errorf("seed %d: Stat: %v, want unavailable, said as s3 HeadObject: ...", seed, err)
		}
		if err := store.Delete(ctx, key); !errors.Is(err, cloud.ErrUnavailable) {
			t.Errorf("seed %d: Delete: %v, want unavailable", seed, err)
		}
		if st := s.FaultStats(); st.Calls != 2*awstest.MaxAttempts {
			t.Errorf("seed %d: %d attempts, want %d", seed, st.Calls, 2*awstest.MaxAttempts)
		}
	}
}
