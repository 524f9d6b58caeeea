package sandbox_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/sandbox"
	"github.com/berth-dev/berth/shared/scaling"
)

// TestScalingPolicies: RegisterScaling puts the service's CPU policy, as
// the AWS adapter does; Put replaces by name; Delete of a missing name is
// no error; deregistering the target deletes its policies.
func TestScalingPolicies(t *testing.T) {
	ctx := context.Background()
	s := sandbox.New(sandbox.Instant)
	p := s.ScalingPolicies()
	if _, err := s.RegisterScaling(ctx, cloud.ScalingSpec{ServiceName: "svc", Min: 1, Max: 2, TargetCPUPercent: 70}); err != nil {
		t.Fatal(err)
	}
	cpu := scaling.Policy{Name: "svc-cpu", Metric: scaling.CPU, TargetValue: 70, ScaleInCooldown: 300, ScaleOutCooldown: 60}
	if got, err := p.List(ctx, "svc"); err != nil || !reflect.DeepEqual(got, []scaling.Policy{cpu}) {
		t.Fatalf("after RegisterScaling: %+v, %v", got, err)
	}
	cpu.TargetValue = 50
	mem := scaling.Policy{Name: "svc-memory", Metric: scaling.Memory, TargetValue: 80}
	for _, pol := range []scaling.Policy{cpu, mem} {
		if err := p.Put(ctx, "svc", pol); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Put(ctx, "svc", scaling.Policy{Name: "svc-rps", Metric: scaling.RPS, TargetValue: 1}); err == nil {
		t.Error("an RPS policy without a resource label was put")
	}
	if got, _ := p.List(ctx, "svc"); !reflect.DeepEqual(got, []scaling.Policy{cpu, mem}) {
		t.Fatalf("after Put: %+v", got)
	}
	if err := p.Delete(ctx, "svc", []string{"svc-memory", "missing"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := p.List(ctx, "svc"); !reflect.DeepEqual(got, []scaling.Policy{cpu}) {
		t.Fatalf("after Delete: %+v", got)
	}
	if _, err := s.Delete(ctx, cloud.Ref{Kind: cloud.KindScaling, Name: "svc"}, cloud.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := p.List(ctx, "svc"); len(got) != 0 {
		t.Fatalf("after deregistering: %+v", got)
	}
}
