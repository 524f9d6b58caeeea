// Package awsruntime adapts what an environment's tasks run with to AWS:
// its CloudWatch Logs group (and reading a failed container's or a job's
// lines), its Secrets Manager secret, its EFS access point and its
// EventBridge Scheduler schedule group. It is a package of its own so that
// the step function of its resource group links those four clients and no
// other AWS client.
package awsruntime

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/efs"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud"
	"github.com/berth-dev/berth/shared/provision"
)

// Part is the runtime part of the AWS cloud. Build it with New, or set
// the clients directly (tests point them at a stub).
type Part struct {
	Platform  awscloud.Platform
	Logs      *cloudwatchlogs.Client
	Secrets   *secretsmanager.Client
	EFS       *efs.Client
	Scheduler *scheduler.Client
}

var _ cloud.Part = (*Part)(nil)

// New builds the clients from cfg, in the platform's region, each at the
// endpoint its AWS_ENDPOINT_URL_<SERVICE> names when set.
func New(cfg aws.Config, p awscloud.Platform, getenv func(string) string) *Part {
	cfg = awscloud.Config(cfg, p)
	return &Part{
		Platform: p,
		Logs: cloudwatchlogs.NewFromConfig(cfg, func(o *cloudwatchlogs.Options) {
			if e := awscloud.Endpoint(getenv, "cloudwatchlogs"); e != nil {
				o.BaseEndpoint = e
			}
		}),
		Secrets: secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) {
			if e := awscloud.Endpoint(getenv, "secretsmanager"); e != nil {
				o.BaseEndpoint = e
			}
		}),
		EFS: efs.NewFromConfig(cfg, func(o *efs.Options) {
			if e := awscloud.Endpoint(getenv, "efs"); e != nil {
				o.BaseEndpoint = e
			}
		}),
		Scheduler: scheduler.NewFromConfig(cfg, func(o *scheduler.Options) {
			if e := awscloud.Endpoint(getenv, "scheduler"); e != nil {
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
	return []cloud.Kind{cloud.KindLogGroup, cloud.KindSecret, cloud.KindAccessPoint, cloud.KindScheduleGroup}
}

// Check reports a resource's state; see cloud.Cloud.
func (c *Part) Check(ctx context.Context, ref cloud.Ref) (cloud.Resource, error) {
	switch ref.Kind {
	case cloud.KindLogGroup:
		return c.checkLogGroup(ctx, ref)
	case cloud.KindSecret:
		return c.checkSecret(ctx, ref)
	case cloud.KindAccessPoint:
		return c.accessPoints().Check(ctx, ref)
	case cloud.KindScheduleGroup:
		return c.checkScheduleGroup(ctx, ref)
	}
	return cloud.Resource{}, awscloud.UnknownKind(ref.Kind)
}

// Delete deletes a resource; see cloud.Cloud.
func (c *Part) Delete(ctx context.Context, ref cloud.Ref, _ cloud.DeleteOptions) (bool, error) {
	switch ref.Kind {
	case cloud.KindLogGroup:
		return c.deleteLogGroup(ctx, ref)
	case cloud.KindSecret:
		return c.deleteSecret(ctx, ref)
	case cloud.KindAccessPoint:
		return c.accessPoints().Delete(ctx, ref)
	case cloud.KindScheduleGroup:
		return c.deleteScheduleGroup(ctx, ref)
	}
	return false, awscloud.UnknownKind(ref.Kind)
}
