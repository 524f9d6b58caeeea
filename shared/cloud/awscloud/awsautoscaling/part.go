// Package awsautoscaling adapts an environment's service scaling to AWS:
// its Application Auto Scaling target and CPU policy. It is a package of
// its own so that the step function that registers it links that client
// alone, and the service step links ECS alone.
package awsautoscaling

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud"
	"github.com/berth-dev/berth/shared/provision"
)

// Part is the scaling part of the AWS cloud. Build it with New, or set the
// client directly (tests point it at a stub).
type Part struct {
	Platform awscloud.Platform
	Scaling  *applicationautoscaling.Client
}

var _ cloud.Part = (*Part)(nil)

// New builds the client from cfg, in the platform's region, at the
// endpoint AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING names when set.
func New(cfg aws.Config, p awscloud.Platform, getenv func(string) string) *Part {
	cfg = awscloud.Config(cfg, p)
	return &Part{
		Platform: p,
		Scaling: applicationautoscaling.NewFromConfig(cfg, func(o *applicationautoscaling.Options) {
			if e := awscloud.Endpoint(getenv, "applicationautoscaling"); e != nil {
				o.BaseEndpoint = e
			}
		}),
	}
}

// FromEnv is the part as a step function's cloud: a stepboot.CloudPort.
func FromEnv(cfg aws.Config, p provision.Platform, getenv func(string) string) (cloud.Cloud, error) {
	return awscloud.PartFromEnv(cfg, p, getenv, New)
}

// Kinds implements cloud.Part.
func (c *Part) Kinds() []cloud.Kind { return []cloud.Kind{cloud.KindScaling} }

// Check reports a resource's state; see cloud.Cloud.
func (c *Part) Check(ctx context.Context, ref cloud.Ref) (cloud.Resource, error) {
	if ref.Kind == cloud.KindScaling {
		return c.checkScaling(ctx, ref)
	}
	return cloud.Resource{}, awscloud.UnknownKind(ref.Kind)
}

// Delete deletes a resource; see cloud.Cloud.
func (c *Part) Delete(ctx context.Context, ref cloud.Ref, _ cloud.DeleteOptions) (bool, error) {
	if ref.Kind == cloud.KindScaling {
		return c.deleteScaling(ctx, ref)
	}
	return false, awscloud.UnknownKind(ref.Kind)
}
