package awsruntime

import (
	"context"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awsaccesspoint"
)

// CreateAccessPoint creates an environment's access point.
func (c *Part) CreateAccessPoint(ctx context.Context, spec cloud.AccessPointSpec) (cloud.Resource, error) {
	return c.accessPoints().Create(ctx, spec)
}

func (c *Part) accessPoints() awsaccesspoint.Client { return awsaccesspoint.Client{EFS: c.EFS} }
