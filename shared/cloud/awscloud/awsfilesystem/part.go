// Package awsfilesystem adapts the cloud port's filesystems, with their
// mount targets, to EFS. It is a package of its own so that the step
// function of its resource group links the EFS client and no other AWS
// client.
package awsfilesystem

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/efs"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud"
	"github.com/berth-dev/berth/shared/provision"
)

// Part is the filesystem part of the AWS cloud. Build it with New, or set
// the client directly (tests point it at a stub).
type Part struct {
	Platform awscloud.Platform
	EFS      *efs.Client
}

var _ cloud.Part = (*Part)(nil)

// New builds the client from cfg, in the platform's region, at the
// endpoint AWS_ENDPOINT_URL_EFS names when set.
func New(cfg aws.Config, p awscloud.Platform, getenv func(string) string) *Part {
	cfg = awscloud.Config(cfg, p)
	return &Part{
		Platform: p,
		EFS: efs.NewFromConfig(cfg, func(o *efs.Options) {
			if e := awscloud.Endpoint(getenv, "efs"); e != nil {
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
func (c *Part) Kinds() []cloud.Kind { return []cloud.Kind{cloud.KindFilesystem} }

// Check reports a resource's state; see cloud.Cloud.
func (c *Part) Check(ctx context.Context, ref cloud.Ref) (cloud.Resource, error) {
	if ref.Kind != cloud.KindFilesystem {
		return cloud.Resource{}, awscloud.UnknownKind(ref.Kind)
	}
	return c.checkFilesystem(ctx, ref)
}

// Delete deletes a resource or moves its deletion on; see cloud.Cloud.
func (c *Part) Delete(ctx context.Context, ref cloud.Ref, _ cloud.DeleteOptions) (bool, error) {
	if ref.Kind != cloud.KindFilesystem {
		return false, awscloud.UnknownKind(ref.Kind)
	}
	return c.deleteFilesystem(ctx, ref)
}
