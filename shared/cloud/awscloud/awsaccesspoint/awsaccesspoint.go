// Package awsaccesspoint creates, checks and deletes EFS access points:
// an environment's own (the runtime step) and its volumes (shared/volumes).
// It is a package of its own so that the volume routes link the EFS client
// and no other AWS client.
package awsaccesspoint

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/efs"
	"github.com/aws/aws-sdk-go-v2/service/efs/types"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud"
)

// Client is the EFS client the access points are made with.
type Client struct {
	EFS *efs.Client
}

// posixID is the user and group the containers' files belong to.
const posixID = 1000

// Create creates an access point, or finds the one an earlier try with the
// same client token created: its root directory, created on first use,
// belongs to the containers' user.
func (c Client) Create(ctx context.Context, spec cloud.AccessPointSpec) (cloud.Resource, error) {
	tags := append([]types.Tag{efsTag("Name", spec.Name)}, awscloud.TagList(spec.Tags, efsTag)...)
	out, err := c.EFS.CreateAccessPoint(ctx, &efs.CreateAccessPointInput{
		ClientToken:  aws.String(spec.ClientToken),
		FileSystemId: aws.String(spec.FilesystemID),
		PosixUser:    &types.PosixUser{Uid: aws.Int64(posixID), Gid: aws.Int64(posixID)},
		RootDirectory: &types.RootDirectory{
			Path:         aws.String(spec.RootDirectory),
			CreationInfo: &types.CreationInfo{OwnerUid: aws.Int64(posixID), OwnerGid: aws.Int64(posixID), Permissions: aws.String("0755")},
		},
		Tags: tags,
	})
	if awscloud.Code(err) == "AccessPointAlreadyExists" {
		return c.find(ctx, spec)
	}
	if err != nil {
		return cloud.Resource{}, awscloud.Fail(err)
	}
	return accessPointResource(spec.Name, out.AccessPointId, out.AccessPointArn, out.LifeCycleState), nil
}

// findAccessPoint finds the access point an earlier try created, by its client token.
func (c Client) find(ctx context.Context, spec cloud.AccessPointSpec) (cloud.Resource, error) {
	in := &efs.DescribeAccessPointsInput{FileSystemId: aws.String(spec.FilesystemID)}
	for {
		out, err := c.EFS.DescribeAccessPoints(ctx, in)
		if err != nil {
			return cloud.Resource{}, awscloud.Fail(err)
		}
		for _, ap := range out.AccessPoints {
			if aws.ToString(ap.ClientToken) == spec.ClientToken {
				return accessPointResource(spec.Name, ap.AccessPointId, ap.AccessPointArn, ap.LifeCycleState), nil
			}
		}
		if aws.ToString(out.NextToken) == "" {
			return cloud.Resource{}, awscloud.NotFound("efs: no access point with client token " + spec.ClientToken)
		}
		in.NextToken = out.NextToken
	}
}

func accessPointResource(name string, id, arn *string, state types.LifeCycleState) cloud.Resource {
	r := cloud.Resource{
		Ref:      cloud.Ref{Kind: cloud.KindAccessPoint, Name: name, ID: aws.ToString(id)},
		State:    cloud.StateCreating,
		Outputs:  map[string]string{cloud.OutARN: aws.ToString(arn)},
		Expected: 5 * time.Second,
	}
	switch state {
	case types.LifeCycleStateAvailable:
		r.State = cloud.StateAvailable
	case types.LifeCycleStateError:
		r.State, r.Reason = cloud.StateFailed, "the access point is in state error"
	case types.LifeCycleStateDeleting, types.LifeCycleStateDeleted:
		r.State = cloud.StateDeleting
	}
	return r
}

// Check reports the access point's state.
func (c Client) Check(ctx context.Context, ref cloud.Ref) (cloud.Resource, error) {
	if ref.ID == "" {
		return cloud.Resource{}, fmt.Errorf("%w: efs: access point %s has no id", cloud.ErrInvalid, ref.Name)
	}
	out, err := c.EFS.DescribeAccessPoints(ctx, &efs.DescribeAccessPointsInput{AccessPointId: aws.String(ref.ID)})
	if err != nil {
		return cloud.Resource{}, awscloud.Fail(err)
	}
	if len(out.AccessPoints) == 0 {
		return cloud.Resource{}, awscloud.NotFound("efs: no access point " + ref.ID)
	}
	ap := out.AccessPoints[0]
	return accessPointResource(ref.Name, ap.AccessPointId, ap.AccessPointArn, ap.LifeCycleState), nil
}

// Delete deletes the access point; one that does not exist is gone.
func (c Client) Delete(ctx context.Context, ref cloud.Ref) (bool, error) {
	if ref.ID == "" {
		return false, fmt.Errorf("%w: efs: access point %s has no id", cloud.ErrInvalid, ref.Name)
	}
	_, err := c.EFS.DeleteAccessPoint(ctx, &efs.DeleteAccessPointInput{AccessPointId: aws.String(ref.ID)})
	if err != nil && awscloud.Code(err) != "AccessPointNotFound" {
		return false, awscloud.Fail(err)
	}
	return true, nil
}

func efsTag(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }
