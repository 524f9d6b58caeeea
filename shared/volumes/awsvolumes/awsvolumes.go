// Package awsvolumes is the volume routes' EFS adapter (volumes.AccessPoints).
package awsvolumes

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/efs"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awsaccesspoint"
	"github.com/berth-dev/berth/shared/volumes"
)

// AccessPoints creates and deletes volumes' access points.
type AccessPoints struct {
	Client awsaccesspoint.Client
}

var _ volumes.AccessPoints = AccessPoints{}

// New builds the adapter; endpoint overrides EFS's (empty in AWS).
func New(cfg aws.Config, endpoint string) volumes.AccessPoints {
	return AccessPoints{Client: awsaccesspoint.Client{EFS: efs.NewFromConfig(cfg, func(o *efs.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})}}
}

// CreateAccessPoint implements volumes.AccessPoints.
func (a AccessPoints) CreateAccessPoint(ctx context.Context, spec cloud.AccessPointSpec) (cloud.Resource, error) {
	return a.Client.Create(ctx, spec)
}

// Delete implements volumes.AccessPoints.
func (a AccessPoints) Delete(ctx context.Context, ref cloud.Ref, _ cloud.DeleteOptions) (bool, error) {
	return a.Client.Delete(ctx, ref)
}
