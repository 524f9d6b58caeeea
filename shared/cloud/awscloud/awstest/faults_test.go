package awstest_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/efs"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awstest"
	"github.com/berth-dev/berth/shared/cloud/sandbox"
)

const fsID = "fs-0123456789abcdef0"

// createFileSystems makes n calls of EFS's CreateFileSystem, an
// idempotent create (its creation token), on the stub with cfg.
func createFileSystems(s *awstest.Stub, cfg aws.Config, n int) error {
	s.On("CreateFileSystem", awstest.OK(`{"FileSystemId":"`+fsID+`","LifeCycleState":"creating"}`))
	client := efs.NewFromConfig(cfg, func(o *efs.Options) { o.BaseEndpoint = aws.String(s.URL) })
	for range n {
		out, err := client.CreateFileSystem(context.Background(), &efs.CreateFileSystemInput{CreationToken: aws.String("berth-fs-1")})
		if err != nil {
			return awscloud.Fail(err)
		}
		if aws.ToString(out.FileSystemId) != fsID {
			return errors.New("wrong answer: " + aws.ToString(out.FileSystemId))
		}
	}
	return nil
}

// TestFaultsSameSeedSameLog: a seed repeats its faults, call for call.
func TestFaultsSameSeedSameLog(t *testing.T) {
	run := func(seed uint64) []awstest.Fault {
		s := awstest.New(t)
		if err := createFileSystems(s, s.ConfigWithFaults(sandbox.Faults{Rate: 0.3, Seed: seed}), 20); err != nil {
			t.Fatal(err)
		}
		return s.FaultLog()
	}
	first, again, other := run(7), run(7), run(8)
	if len(first) == 0 {
		t.Fatal("no faults injected")
	}
	if !reflect.DeepEqual(first, again) {
		t.Errorf("seed 7 gave\n%v\nthen\n%v", first, again)
	}
	if reflect.DeepEqual(first, other) {
		t.Errorf("seeds 7 and 8 gave the same faults %v", first)
	}
}

// TestFaultsBiteWithoutRetries: the faults that the standard retryer
// cures fail the same calls, from the same seed, when nothing retries.
func TestFaultsBiteWithoutRetries(t *testing.T) {
	s := awstest.New(t)
	if err := createFileSystems(s, s.ConfigWithFaults(sandbox.Faults{Rate: 0.2, Seed: 3}), 20); err != nil {
		t.Fatalf("with retries: %v", err)
	}
	if len(s.FaultLog()) == 0 {
		t.Fatal("no faults injected")
	}
	s = awstest.New(t)
	cfg := s.ConfigWithFaults(sandbox.Faults{Rate: 0.2, Seed: 3})
	cfg.Retryer = func() aws.Retryer { return aws.NopRetryer{} }
	err := createFileSystems(s, cfg, 20)
	if !errors.Is(err, cloud.ErrUnavailable) {
		t.Errorf("without retries: %v, want a fault (unavailable)", err)
	}
}

// TestFaultsRetryWithTheSameToken: every kind of fault is retried, and
// a lost answer's retry reaches the stub again with the same creation
// token, the SDK filling in none of its own.
func TestFaultsRetryWithTheSameToken(t *testing.T) {
	retried := 0
	st := awstest.Survive(t, 0.3, 40, func(s *awstest.Stub, cfg aws.Config) error {
		if err := createFileSystems(s, cfg, 1); err != nil {
			return err
		}
		if awstest.SameToken(t, s.All("CreateFileSystem"), "CreationToken") > 1 {
			retried++
		}
		return nil
	})
	if retried == 0 {
		t.Error("no create reached the stub twice")
	}
	for _, k := range []string{sandbox.FaultThrottling, sandbox.FaultServer, sandbox.FaultReset, sandbox.FaultTimeout, sandbox.FaultLostAnswer} {
		if st.Injected[k] == 0 {
			t.Errorf("no %s faults: %v", k, st.Injected)
		}
	}
}
