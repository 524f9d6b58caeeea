// Package awsservice adapts an environment's running service to AWS: its
// ECS task definitions and service, their rollouts, and jobs' one-off
// tasks. It is a package of its own so that the step function of its
// resource group links the ECS client and no other (a rollout or a task
// names its container's log stream; reading it is awsruntime's; scaling is
// awsautoscaling's).
package awsservice

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud"
	"github.com/berth-dev/berth/shared/provision"
)

// Part is the service part of the AWS cloud. Build it with New, or set
// the clients directly (tests point them at a stub).
type Part struct {
	Platform awscloud.Platform
	ECS      *ecs.Client
}

var _ cloud.Part = (*Part)(nil)

// New builds the clients from cfg, in the platform's region, each at the
// endpoint its AWS_ENDPOINT_URL_<SERVICE> names when set.
func New(cfg aws.Config, p awscloud.Platform, getenv func(string) string) *Part {
	cfg = awscloud.Config(cfg, p)
	return &Part{
		Platform: p,
		ECS: ecs.NewFromConfig(cfg, func(o *ecs.Options) {
			if e := awscloud.Endpoint(getenv, "ecs"); e != nil {
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
func (c *Part) Kinds() []cloud.Kind {
	return []cloud.Kind{cloud.KindTaskDefinition, cloud.KindService}
}

// Check reports a resource's state; see cloud.Cloud.
func (c *Part) Check(ctx context.Context, ref cloud.Ref) (cloud.Resource, error) {
	switch ref.Kind {
	case cloud.KindTaskDefinition:
		return c.checkTaskDefinition(ctx, ref)
	case cloud.KindService:
		return c.checkService(ctx, ref)
	}
	return cloud.Resource{}, awscloud.UnknownKind(ref.Kind)
}

// Delete deletes a resource or moves its deletion on; see cloud.Cloud.
func (c *Part) Delete(ctx context.Context, ref cloud.Ref, _ cloud.DeleteOptions) (bool, error) {
	switch ref.Kind {
	case cloud.KindTaskDefinition:
		return c.deleteTaskDefinition(ctx, ref)
	case cloud.KindService:
		return c.deleteService(ctx, ref)
	}
	return false, awscloud.UnknownKind(ref.Kind)
}
