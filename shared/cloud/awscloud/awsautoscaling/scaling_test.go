package awsautoscaling

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awstest"
)

const scalableTargetARN = "arn:aws:application-autoscaling:eu-west-1:123456789012:scalable-target/0ec5"

func TestRegisterScalingRequests(t *testing.T) {
	c, stub := testPart(t)
	stub.On("RegisterScalableTarget", awstest.OK(`{"ScalableTargetARN":"`+scalableTargetARN+`"}`))
	stub.On("PutScalingPolicy", awstest.OK(`{"PolicyARN":"arn:aws:autoscaling:eu-west-1:123456789012:scalingPolicy:1"}`))
	r, err := c.RegisterScaling(context.Background(), cloud.ScalingSpec{ServiceName: "berth-acme-my-app-production-0123456789", Min: 1, Max: 4, TargetCPUPercent: 70})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(stub.Ops(), []string{"RegisterScalableTarget", "PutScalingPolicy"}) {
		t.Fatalf("calls %v", stub.Ops())
	}
	awstest.CheckJSON(t, stub.Only("RegisterScalableTarget").JSON, `{
		"ServiceNamespace":"ecs","ResourceId":"service/berth/berth-acme-my-app-production-0123456789",
		"ScalableDimension":"ecs:service:DesiredCount","MinCapacity":1,"MaxCapacity":4
	}`)
	awstest.CheckJSON(t, stub.Only("PutScalingPolicy").JSON, `{
		"PolicyName":"berth-acme-my-app-production-0123456789-cpu","PolicyType":"TargetTrackingScaling",
		"ServiceNamespace":"ecs","ResourceId":"service/berth/berth-acme-my-app-production-0123456789",
		"ScalableDimension":"ecs:service:DesiredCount",
		"TargetTrackingScalingPolicyConfiguration":{"TargetValue":70,
			"PredefinedMetricSpecification":{"PredefinedMetricType":"ECSServiceAverageCPUUtilization"},
			"ScaleOutCooldown":60,"ScaleInCooldown":300}
	}`)
	want := cloud.Resource{
		Ref:   cloud.Ref{Kind: cloud.KindScaling, Name: "berth-acme-my-app-production-0123456789", ID: "service/berth/berth-acme-my-app-production-0123456789"},
		State: cloud.StateAvailable, Outputs: map[string]string{cloud.OutARN: scalableTargetARN},
	}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("resource %+v", r)
	}
}

// TestRegisterScalingBoundsOnlyLeavesThePolicies: without a CPU target (a
// deployment's call), only the bounds change, so a target set through the
// scaling-policy API survives the deployment.
func TestRegisterScalingBoundsOnlyLeavesThePolicies(t *testing.T) {
	c, stub := testPart(t)
	stub.On("RegisterScalableTarget", awstest.OK(`{"ScalableTargetARN":"`+scalableTargetARN+`"}`))
	if _, err := c.RegisterScaling(context.Background(), cloud.ScalingSpec{ServiceName: "berth-acme-my-app-production-0123456789", Min: 0, Max: 0}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(stub.Ops(), []string{"RegisterScalableTarget"}) {
		t.Fatalf("calls %v", stub.Ops())
	}
	awstest.CheckJSON(t, stub.Only("RegisterScalableTarget").JSON, `{
		"ServiceNamespace":"ecs","ResourceId":"service/berth/berth-acme-my-app-production-0123456789",
		"ScalableDimension":"ecs:service:DesiredCount","MinCapacity":0,"MaxCapacity":0
	}`)
}

// TestScalingResourceIDFromClusterARN: the resource id names the cluster, not its ARN.
func TestScalingResourceIDFromClusterARN(t *testing.T) {
	c := &Part{Platform: awscloud.Platform{Cluster: "arn:aws:ecs:eu-west-1:123456789012:cluster/berth"}}
	if got := c.scalingResourceID("svc"); got != "service/berth/svc" {
		t.Errorf("resource id %q", got)
	}
}

func TestScalingCheckAndDelete(t *testing.T) {
	ref := cloud.Ref{Kind: cloud.KindScaling, Name: "berth-acme-my-app-production-0123456789", ID: "service/berth/berth-acme-my-app-production-0123456789"}
	c, stub := testPart(t)
	stub.On("DescribeScalableTargets", awstest.OK(`{"ScalableTargets":[{"ScalableTargetARN":"`+scalableTargetARN+`","ResourceId":"service/berth/berth-acme-my-app-production-0123456789"}]}`),
		awstest.OK(`{"ScalableTargets":[]}`))
	stub.On("DeregisterScalableTarget", awstest.OK(`{}`), awstest.AWSErr("ObjectNotFoundException", "No scalable target registered for service namespace: ecs"))
	if r, err := c.Check(context.Background(), ref); err != nil || r.State != cloud.StateAvailable || r.Outputs[cloud.OutARN] != scalableTargetARN {
		t.Fatalf("check %+v, %v", r, err)
	}
	awstest.CheckJSON(t, stub.All("DescribeScalableTargets")[0].JSON, `{"ServiceNamespace":"ecs","ResourceIds":["service/berth/berth-acme-my-app-production-0123456789"],"ScalableDimension":"ecs:service:DesiredCount"}`)
	if _, err := c.Check(context.Background(), ref); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("check of a missing target: %v", err)
	}
	for i := 0; i < 2; i++ {
		if gone, err := c.Delete(context.Background(), ref, cloud.DeleteOptions{}); err != nil || !gone {
			t.Errorf("delete %d: gone %v, error %v", i, gone, err)
		}
	}
	awstest.CheckJSON(t, stub.All("DeregisterScalableTarget")[0].JSON, `{"ServiceNamespace":"ecs","ResourceId":"service/berth/berth-acme-my-app-production-0123456789","ScalableDimension":"ecs:service:DesiredCount"}`)
}

// TestRegisterScalingTagsTheTarget: a scalable target is registered with
// Berth's tags, so one registered but never recorded can be found.
func TestRegisterScalingTagsTheTarget(t *testing.T) {
	c, stub := testPart(t)
	stub.On("RegisterScalableTarget", awstest.OK(`{"ScalableTargetARN":"`+scalableTargetARN+`"}`))
	tags := cloud.Tags{cloud.ManagedTag: "true", cloud.TagUID: "u1"}
	if _, err := c.RegisterScaling(context.Background(), cloud.ScalingSpec{ServiceName: "berth-x", Min: 1, Max: 2, Tags: tags}); err != nil {
		t.Fatal(err)
	}
	awstest.CheckJSON(t, stub.Only("RegisterScalableTarget").JSON["Tags"], `{"berth:managed":"true","berth:uid":"u1"}`)
}
