// Package awsscaling keeps an ECS service's target-tracking scaling
// policies in Application Auto Scaling: the scaling.Policies adapter for
// AWS. Its function is the only API function that links that client.
package awsscaling

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/berth-dev/berth/shared/scaling"
)

var _ scaling.Policies = (*Policies)(nil)

// Policies are the policies on ECS services' desired counts in one cluster.
type Policies struct {
	Client *applicationautoscaling.Client
	// Cluster is the ECS cluster's name or ARN.
	Cluster string
}

// metricTypes map Quant's metrics to Application Auto Scaling's.
var metricTypes = map[scaling.Metric]types.MetricType{
	scaling.CPU:    types.MetricTypeECSServiceAverageCPUUtilization,
	scaling.Memory: types.MetricTypeECSServiceAverageMemoryUtilization,
	scaling.RPS:    types.MetricTypeALBRequestCountPerTarget,
}

// List implements scaling.Policies: the target-tracking policies on the
// service's desired count. Policies on other metrics (a customized one,
// or a step policy made outside Berth) are not shown.
func (a *Policies) List(ctx context.Context, service string) ([]scaling.Policy, error) {
	pages := applicationautoscaling.NewDescribeScalingPoliciesPaginator(a.Client, &applicationautoscaling.DescribeScalingPoliciesInput{
		ServiceNamespace: types.ServiceNamespaceEcs, ResourceId: aws.String(a.resourceID(service)), ScalableDimension: types.ScalableDimensionECSServiceDesiredCount,
	})
	out := []scaling.Policy{}
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, classify("DescribeScalingPolicies", err)
		}
		for _, p := range page.ScalingPolicies {
			if pol, ok := policy(p); ok {
				out = append(out, pol)
			}
		}
	}
	return out, nil
}

func policy(p types.ScalingPolicy) (scaling.Policy, bool) {
	c := p.TargetTrackingScalingPolicyConfiguration
	if p.PolicyType != types.PolicyTypeTargetTrackingScaling || c == nil || c.PredefinedMetricSpecification == nil {
		return scaling.Policy{}, false
	}
	for m, t := range metricTypes {
		if t == c.PredefinedMetricSpecification.PredefinedMetricType {
			return scaling.Policy{Name: aws.ToString(p.PolicyName), Metric: m, TargetValue: aws.ToFloat64(c.TargetValue),
				ScaleInCooldown: int(aws.ToInt32(c.ScaleInCooldown)), ScaleOutCooldown: int(aws.ToInt32(c.ScaleOutCooldown)),
				ResourceLabel: aws.ToString(c.PredefinedMetricSpecification.ResourceLabel)}, true
		}
	}
	return scaling.Policy{}, false
}

// Put implements scaling.Policies with PutScalingPolicy, an upsert by name.
func (a *Policies) Put(ctx context.Context, service string, p scaling.Policy) error {
	t, ok := metricTypes[p.Metric]
	if !ok {
		return fmt.Errorf("put scaling policy %q: unknown metric %q", p.Name, p.Metric)
	}
	spec := &types.PredefinedMetricSpecification{PredefinedMetricType: t}
	if p.ResourceLabel != "" {
		spec.ResourceLabel = aws.String(p.ResourceLabel)
	}
	_, err := a.Client.PutScalingPolicy(ctx, &applicationautoscaling.PutScalingPolicyInput{
		PolicyName:        aws.String(p.Name),
		PolicyType:        types.PolicyTypeTargetTrackingScaling,
		ServiceNamespace:  types.ServiceNamespaceEcs,
		ResourceId:        aws.String(a.resourceID(service)),
		ScalableDimension: types.ScalableDimensionECSServiceDesiredCount,
		TargetTrackingScalingPolicyConfiguration: &types.TargetTrackingScalingPolicyConfiguration{
			TargetValue:                   aws.Float64(p.TargetValue),
			PredefinedMetricSpecification: spec,
			ScaleInCooldown:               aws.Int32(int32(p.ScaleInCooldown)),
			ScaleOutCooldown:              aws.Int32(int32(p.ScaleOutCooldown)),
		},
	})
	if err != nil {
		return classify("PutScalingPolicy "+p.Name, err)
	}
	return nil
}

// Delete implements scaling.Policies: one DeleteScalingPolicy per name; a
// policy already gone (ObjectNotFoundException) is deleted.
func (a *Policies) Delete(ctx context.Context, service string, names []string) error {
	for _, name := range names {
		_, err := a.Client.DeleteScalingPolicy(ctx, &applicationautoscaling.DeleteScalingPolicyInput{
			PolicyName: aws.String(name), ServiceNamespace: types.ServiceNamespaceEcs,
			ResourceId: aws.String(a.resourceID(service)), ScalableDimension: types.ScalableDimensionECSServiceDesiredCount,
		})
		var missing *types.ObjectNotFoundException
		if err != nil && !errors.As(err, &missing) {
			return classify("DeleteScalingPolicy "+name, err)
		}
	}
	return nil
}

// resourceID is service/<cluster name>/<service name>.
func (a *Policies) resourceID(service string) string {
	cluster := a.Cluster
	if i := strings.LastIndex(cluster, "/"); i >= 0 { // an ARN
		cluster = cluster[i+1:]
	}
	return "service/" + cluster + "/" + service
}

// classify marks the failures a retry may cure (no answer, throttling, a
// fault on AWS's side, a concurrent update) as scaling.ErrUnavailable.
func classify(op string, err error) error {
	var (
		api        smithy.APIError
		resp       *awshttp.ResponseError
		send       *smithyhttp.RequestSendError
		concurrent *types.ConcurrentUpdateException
	)
	switch {
	case retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary,
		errors.As(err, &concurrent),
		errors.As(err, &api) && api.ErrorFault() == smithy.FaultServer,
		errors.As(err, &resp) && resp.HTTPStatusCode() >= 500,
		errors.As(err, &send):
		return fmt.Errorf("application-autoscaling %s: %w: %w", op, scaling.ErrUnavailable, err)
	}
	return fmt.Errorf("application-autoscaling %s: %w", op, err)
}

// New builds the adapter from the Lambda's AWS configuration, for the
// cluster named by its ARN; endpoint overrides Application Auto Scaling's
// (empty in AWS). It is the boot.Ports Scaling constructor.
func New(cfg aws.Config, cluster, endpoint string) scaling.Policies {
	return &Policies{Cluster: cluster, Client: applicationautoscaling.NewFromConfig(cfg, func(o *applicationautoscaling.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})}
}
