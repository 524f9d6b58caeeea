package awscloud

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/efs"
	"github.com/aws/aws-sdk-go-v2/service/efs/types"

	"github.com/berth-dev/berth/shared/cloud"
)

// filesystemExpected is how long EFS usually takes to make a filesystem
// and its mount targets available.
const filesystemExpected = 30 * time.Second

// posixID is the user and group the containers' files belong to.
const posixID = 1000

// CreateFilesystem creates an encrypted filesystem; Check adds its mount targets.
func (c *Cloud) CreateFilesystem(ctx context.Context, spec cloud.FilesystemSpec) (cloud.Resource, error) {
	tags := efsTags(spec.Tags)
	tags = append([]types.Tag{{Key: aws.String("Name"), Value: aws.String(spec.Name)}}, tags...)
	out, err := c.EFS.CreateFileSystem(ctx, &efs.CreateFileSystemInput{
		CreationToken:   aws.String(spec.CreationToken),
		Encrypted:       aws.Bool(true),
		PerformanceMode: types.PerformanceModeGeneralPurpose,
		ThroughputMode:  types.ThroughputModeElastic,
		Tags:            tags,
	})
	if code(err) == "FileSystemAlreadyExists" {
		fs, err := c.findFilesystem(ctx, &efs.DescribeFileSystemsInput{CreationToken: aws.String(spec.CreationToken)})
		if err != nil {
			return cloud.Resource{}, err
		}
		return filesystemResource(spec.Name, fs), nil
	}
	if err != nil {
		return cloud.Resource{}, fail(err)
	}
	return filesystemResource(spec.Name, &types.FileSystemDescription{
		FileSystemId: out.FileSystemId, FileSystemArn: out.FileSystemArn, LifeCycleState: out.LifeCycleState,
	}), nil
}

// filesystemResource: a filesystem is never AVAILABLE before Check has
// seen its mount targets.
func filesystemResource(name string, fs *types.FileSystemDescription) cloud.Resource {
	r := cloud.Resource{
		Ref:      cloud.Ref{Kind: cloud.KindFilesystem, Name: name, ID: aws.ToString(fs.FileSystemId)},
		State:    cloud.StateCreating,
		Outputs:  map[string]string{},
		Expected: filesystemExpected,
	}
	if arn := aws.ToString(fs.FileSystemArn); arn != "" {
		r.Outputs[cloud.OutARN] = arn
	}
	switch fs.LifeCycleState {
	case types.LifeCycleStateError:
		r.State, r.Reason = cloud.StateFailed, "the filesystem is in state error"
	case types.LifeCycleStateDeleting, types.LifeCycleStateDeleted:
		r.State = cloud.StateDeleting
	}
	return r
}

// findFilesystem describes one filesystem; ref names carry the creation token.
func (c *Cloud) findFilesystem(ctx context.Context, in *efs.DescribeFileSystemsInput) (*types.FileSystemDescription, error) {
	out, err := c.EFS.DescribeFileSystems(ctx, in)
	if err != nil {
		return nil, fail(err)
	}
	if len(out.FileSystems) == 0 {
		return nil, notFound(fmt.Sprintf("efs: no filesystem %s", aws.ToString(in.CreationToken)))
	}
	return &out.FileSystems[0], nil
}

func filesystemQuery(ref cloud.Ref) *efs.DescribeFileSystemsInput {
	if ref.ID != "" {
		return &efs.DescribeFileSystemsInput{FileSystemId: aws.String(ref.ID)}
	}
	return &efs.DescribeFileSystemsInput{CreationToken: aws.String(ref.Name)}
}

// checkFilesystem reports the filesystem and, once it is available,
// creates a mount target in every platform subnet that lacks one.
func (c *Cloud) checkFilesystem(ctx context.Context, ref cloud.Ref) (cloud.Resource, error) {
	fs, err := c.findFilesystem(ctx, filesystemQuery(ref))
	if err != nil {
		return cloud.Resource{}, err
	}
	r := filesystemResource(ref.Name, fs)
	if fs.LifeCycleState != types.LifeCycleStateAvailable {
		return r, nil
	}
	targets, err := c.mountTargets(ctx, r.ID)
	if err != nil {
		return cloud.Resource{}, err
	}
	ready := true
	for _, subnet := range c.Platform.Subnets {
		mt, ok := targets[subnet]
		if !ok {
			_, err := c.EFS.CreateMountTarget(ctx, &efs.CreateMountTargetInput{
				FileSystemId: aws.String(r.ID), SubnetId: aws.String(subnet),
				SecurityGroups: []string{c.Platform.FilesystemSecurityGroup},
			})
			switch {
			case err == nil: // created just now
				ready = false
			case code(err) != "MountTargetConflict": // a conflict: the subnet's zone has one already
				return cloud.Resource{}, fail(err)
			}
			continue
		}
		switch mt.LifeCycleState {
		case types.LifeCycleStateAvailable:
		case types.LifeCycleStateError:
			r.State, r.Reason = cloud.StateFailed, "the mount target in "+subnet+" is in state error"
			return r, nil
		default:
			ready = false
		}
	}
	for _, mt := range targets {
		ready = ready && mt.LifeCycleState == types.LifeCycleStateAvailable
	}
	if ready {
		r.State = cloud.StateAvailable
	}
	return r, nil
}

// mountTargets are a filesystem's mount targets by subnet.
func (c *Cloud) mountTargets(ctx context.Context, id string) (map[string]types.MountTargetDescription, error) {
	targets := map[string]types.MountTargetDescription{}
	in := &efs.DescribeMountTargetsInput{FileSystemId: aws.String(id)}
	for {
		out, err := c.EFS.DescribeMountTargets(ctx, in)
		if err != nil {
			return nil, fail(err)
		}
		for _, mt := range out.MountTargets {
			targets[aws.ToString(mt.SubnetId)] = mt
		}
		if aws.ToString(out.NextMarker) == "" {
			return targets, nil
		}
		in.Marker = out.NextMarker
	}
}

// deleteFilesystem deletes the mount targets first and the filesystem
// once none is left.
func (c *Cloud) deleteFilesystem(ctx context.Context, ref cloud.Ref) (bool, error) {
	fs, err := c.findFilesystem(ctx, filesystemQuery(ref))
	switch {
	case errors.Is(err, cloud.ErrNotFound):
		return true, nil
	case err != nil:
		return false, err
	case fs.LifeCycleState == types.LifeCycleStateDeleted:
		return true, nil
	case fs.LifeCycleState == types.LifeCycleStateDeleting:
		return false, nil
	}
	id := aws.ToString(fs.FileSystemId)
	targets, err := c.mountTargets(ctx, id)
	if err != nil {
		return false, err
	}
	if len(targets) > 0 {
		for _, mt := range targets {
			if mt.LifeCycleState == types.LifeCycleStateDeleting || mt.LifeCycleState == types.LifeCycleStateDeleted {
				continue
			}
			_, err := c.EFS.DeleteMountTarget(ctx, &efs.DeleteMountTargetInput{MountTargetId: mt.MountTargetId})
			if err != nil && code(err) != "MountTargetNotFound" {
				return false, fail(err)
			}
		}
		return false, nil
	}
	_, err = c.EFS.DeleteFileSystem(ctx, &efs.DeleteFileSystemInput{FileSystemId: aws.String(id)})
	switch code(err) {
	case "FileSystemNotFound":
		return true, nil
	case "FileSystemInUse":
		return false, nil
	}
	return false, fail(err)
}

// CreateAccessPoint creates an environment's access point: its root
// directory, created on first use, belongs to the containers' user.
func (c *Cloud) CreateAccessPoint(ctx context.Context, spec cloud.AccessPointSpec) (cloud.Resource, error) {
	tags := append([]types.Tag{{Key: aws.String("Name"), Value: aws.String(spec.Name)}}, efsTags(spec.Tags)...)
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
	if code(err) == "AccessPointAlreadyExists" {
		return c.findAccessPoint(ctx, spec)
	}
	if err != nil {
		return cloud.Resource{}, fail(err)
	}
	return accessPointResource(spec.Name, out.AccessPointId, out.AccessPointArn, out.LifeCycleState), nil
}

// findAccessPoint finds the access point an earlier try created, by its client token.
func (c *Cloud) findAccessPoint(ctx context.Context, spec cloud.AccessPointSpec) (cloud.Resource, error) {
	in := &efs.DescribeAccessPointsInput{FileSystemId: aws.String(spec.FilesystemID)}
	for {
		out, err := c.EFS.DescribeAccessPoints(ctx, in)
		if err != nil {
			return cloud.Resource{}, fail(err)
		}
		for _, ap := range out.AccessPoints {
			if aws.ToString(ap.ClientToken) == spec.ClientToken {
				return accessPointResource(spec.Name, ap.AccessPointId, ap.AccessPointArn, ap.LifeCycleState), nil
			}
		}
		if aws.ToString(out.NextToken) == "" {
			return cloud.Resource{}, notFound("efs: no access point with client token " + spec.ClientToken)
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

func (c *Cloud) checkAccessPoint(ctx context.Context, ref cloud.Ref) (cloud.Resource, error) {
	if ref.ID == "" {
		return cloud.Resource{}, fmt.Errorf("%w: efs: access point %s has no id", cloud.ErrInvalid, ref.Name)
	}
	out, err := c.EFS.DescribeAccessPoints(ctx, &efs.DescribeAccessPointsInput{AccessPointId: aws.String(ref.ID)})
	if err != nil {
		return cloud.Resource{}, fail(err)
	}
	if len(out.AccessPoints) == 0 {
		return cloud.Resource{}, notFound("efs: no access point " + ref.ID)
	}
	ap := out.AccessPoints[0]
	return accessPointResource(ref.Name, ap.AccessPointId, ap.AccessPointArn, ap.LifeCycleState), nil
}

func (c *Cloud) deleteAccessPoint(ctx context.Context, ref cloud.Ref) (bool, error) {
	if ref.ID == "" {
		return false, fmt.Errorf("%w: efs: access point %s has no id", cloud.ErrInvalid, ref.Name)
	}
	_, err := c.EFS.DeleteAccessPoint(ctx, &efs.DeleteAccessPointInput{AccessPointId: aws.String(ref.ID)})
	if err != nil && code(err) != "AccessPointNotFound" {
		return false, fail(err)
	}
	return true, nil
}

func efsTags(t cloud.Tags) []types.Tag {
	var tags []types.Tag
	for _, k := range sortedKeys(t) {
		tags = append(tags, types.Tag{Key: aws.String(k), Value: aws.String(t[k])})
	}
	return tags
}
