package awsfilesystem

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/efs"
	"github.com/aws/aws-sdk-go-v2/service/efs/types"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud"
)

// filesystemExpected is how long EFS usually takes to make a filesystem
// and its mount targets available.
const filesystemExpected = 30 * time.Second

// CreateFilesystem creates an encrypted filesystem; Check adds its mount targets.
func (c *Part) CreateFilesystem(ctx context.Context, spec cloud.FilesystemSpec) (cloud.Resource, error) {
	tags := append([]types.Tag{efsTag("Name", spec.Name)}, awscloud.TagList(spec.Tags, efsTag)...)
	out, err := c.EFS.CreateFileSystem(ctx, &efs.CreateFileSystemInput{
		CreationToken:   aws.String(spec.CreationToken),
		Encrypted:       aws.Bool(true),
		PerformanceMode: types.PerformanceModeGeneralPurpose,
		ThroughputMode:  types.ThroughputModeElastic,
		Tags:            tags,
	})
	if awscloud.Code(err) == "FileSystemAlreadyExists" {
		fs, err := c.findFilesystem(ctx, &efs.DescribeFileSystemsInput{CreationToken: aws.String(spec.CreationToken)})
		if err != nil {
			return cloud.Resource{}, err
		}
		return filesystemResource(spec.Name, fs), nil
	}
	if err != nil {
		return cloud.Resource{}, awscloud.Fail(err)
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
func (c *Part) findFilesystem(ctx context.Context, in *efs.DescribeFileSystemsInput) (*types.FileSystemDescription, error) {
	out, err := c.EFS.DescribeFileSystems(ctx, in)
	if err != nil {
		return nil, awscloud.Fail(err)
	}
	if len(out.FileSystems) == 0 {
		return nil, awscloud.NotFound(fmt.Sprintf("efs: no filesystem %s", aws.ToString(in.CreationToken)))
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
func (c *Part) checkFilesystem(ctx context.Context, ref cloud.Ref) (cloud.Resource, error) {
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
			case awscloud.Code(err) != "MountTargetConflict": // a conflict: the subnet's zone has one already
				return cloud.Resource{}, awscloud.Fail(err)
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
func (c *Part) mountTargets(ctx context.Context, id string) (map[string]types.MountTargetDescription, error) {
	targets := map[string]types.MountTargetDescription{}
	in := &efs.DescribeMountTargetsInput{FileSystemId: aws.String(id)}
	for {
		out, err := c.EFS.DescribeMountTargets(ctx, in)
		if err != nil {
			return nil, awscloud.Fail(err)
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
func (c *Part) deleteFilesystem(ctx context.Context, ref cloud.Ref) (bool, error) {
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
			if err != nil && awscloud.Code(err) != "MountTargetNotFound" {
				return false, awscloud.Fail(err)
			}
		}
		return false, nil
	}
	_, err = c.EFS.DeleteFileSystem(ctx, &efs.DeleteFileSystemInput{FileSystemId: aws.String(id)})
	switch awscloud.Code(err) {
	case "FileSystemNotFound":
		return true, nil
	case "FileSystemInUse":
		return false, nil
	}
	return false, awscloud.Fail(err)
}

func efsTag(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }
