package awsautoscaling

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud"
)

// Cooldowns: scale out quickly, scale in only once the load has stayed down.
const (
	scaleOutCooldown = 60
	scaleInCooldown  = 300
)

// RegisterScaling registers the service's desired count with Application
// Auto Scaling and, with a target, tracks its average CPU. Both calls are upserts.
func (c *Part) RegisterScaling(ctx context.Context, spec cloud.ScalingSpec) (cloud.Resource, error) {
	id := c.scalingResourceID(spec.ServiceName)
	target, err := c.Scaling.RegisterScalableTarget(ctx, &applicationautoscaling.RegisterScalableTargetInput{
		ServiceNamespace:  types.ServiceNamespaceEcs,
		ResourceId:        aws.String(id),
		ScalableDimension: types.ScalableDimensionECSServiceDesiredCount,
		MinCapacity:       aws.Int32(int32(spec.Min)),
		MaxCapacity:       aws.Int32(int32(spec.Max)),
		Tags:              tagMap(spec.Tags),
	})
	if err != nil {
		return cloud.Resource{}, awscloud.Fail(err)
	}
	res := cloud.Resource{
		Ref:     cloud.Ref{Kind: cloud.KindScaling, Name: spec.ServiceName, ID: id},
		State:   cloud.StateAvailable,
		Outputs: map[string]string{cloud.OutARN: aws.ToString(target.ScalableTargetARN)},
	}
	if spec.TargetCPUPercent == 0 {
		return res, nil // the bounds only
	}
	_, err = c.Scaling.PutScalingPolicy(ctx, &applicationautoscaling.PutScalingPolicyInput{
		PolicyName:        aws.String(spec.ServiceName + "-cpu"),
		ServiceNamespace:  types.ServiceNamespaceEcs,
		ResourceId:        aws.String(id),
		ScalableDimension: types.ScalableDimensionECSServiceDesiredCount,
		PolicyType:        types.PolicyTypeTargetTrackingScaling,
		TargetTrackingScalingPolicyConfiguration: &types.TargetTrackingScalingPolicyConfiguration{
			TargetValue:                   aws.Float64(spec.TargetCPUPercent),
			PredefinedMetricSpecification: &types.PredefinedMetricSpecification{PredefinedMetricType: types.MetricTypeECSServiceAverageCPUUtilization},
			ScaleOutCooldown:              aws.Int32(scaleOutCooldown),
			ScaleInCooldown:               aws.Int32(scaleInCooldown),
		},
	})
	if err != nil {
		return cloud.Resource{}, awscloud.Fail(err)
	}
	return res, nil
}

// scalingResourceID is service/<cluster name>/<service name>.
func (c *Part) scalingResourceID(service string) string {
	cluster := c.Platform.Cluster
	if i := strings.LastIndex(cluster, "/"); i >= 0 { // an ARN
		cluster = cluster[i+1:]
	}
	return "service/" + cluster + "/" + service
}

func (c *Part) scalingID(ref cloud.Ref) string {
	if ref.ID != "" {
		return ref.ID
	}
	return c.scalingResourceID(ref.Name)
}

func (c *Part) checkScaling(ctx context.Context, ref cloud.Ref) (cloud.Resource, error) {
	id := c.scalingID(ref)
	out, err := c.Scaling.DescribeScalableTargets(ctx, &applicationautoscaling.DescribeScalableTargetsInput{
		ServiceNamespace: types.ServiceNamespaceEcs, ResourceIds: []string{id}, ScalableDimension: types.ScalableDimensionECSServiceDesiredCount,
	})
	if err != nil {
		return cloud.Resource{}, awscloud.Fail(err)
	}
	if len(out.ScalableTargets) == 0 {
		return cloud.Resource{}, awscloud.NotFound("application-autoscaling: no scalable target " + id)
	}
	return cloud.Resource{
		Ref:     cloud.Ref{Kind: cloud.KindScaling, Name: ref.Name, ID: id},
		State:   cloud.StateAvailable,
		Outputs: map[string]string{cloud.OutARN: aws.ToString(out.ScalableTargets[0].ScalableTargetARN)},
	}, nil
}

// deleteScaling deregisters the target, which deletes its policies too.
func (c *Part) deleteScaling(ctx context.Context, ref cloud.Ref) (bool, error) {
	_, err := c.Scaling.DeregisterScalableTarget(ctx, &applicationautoscaling.DeregisterScalableTargetInput{
		ServiceNamespace: types.ServiceNamespaceEcs, ResourceId: aws.String(c.scalingID(ref)), ScalableDimension: types.ScalableDimensionECSServiceDesiredCount,
	})
	if err != nil && awscloud.Code(err) != "ObjectNotFoundException" {
		return false, awscloud.Fail(err)
	}
	return true, nil
}

// tagMap is t as Application Auto Scaling's tag map; nil when there are none.
func tagMap(t cloud.Tags) map[string]string {
	if len(t) == 0 {
		return nil
	}
	out := make(map[string]string, len(t))
	for k, v := range t {
		out[k] = v
	}
	return out
}
