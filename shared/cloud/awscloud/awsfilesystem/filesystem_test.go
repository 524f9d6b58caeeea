package awsfilesystem

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awstest"
)

var filesystemSpec = cloud.FilesystemSpec{Name: "berth-my-app-0123456789", CreationToken: "berth-my-app-0123456789", Tags: awstest.Tags}

var filesystemRef = cloud.Ref{Kind: cloud.KindFilesystem, Name: "berth-my-app-0123456789", ID: "fs-0123"}

func filesystemIn(state string) string {
	return `{"FileSystems":[{"FileSystemId":"fs-0123","FileSystemArn":"arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-0123","CreationToken":"berth-my-app-0123456789","LifeCycleState":"` + state + `","NumberOfMountTargets":0,"OwnerId":"123456789012","PerformanceMode":"generalPurpose","SizeInBytes":{"Value":0}}]}`
}

// TestCreateFilesystemRequest checks every field of CreateFileSystem as
// it would reach EFS.
func TestCreateFilesystemRequest(t *testing.T) {
	c, stub := testPart(t)
	stub.On("CreateFileSystem", awstest.Reply{Status: 201, Body: `{"FileSystemId":"fs-0123","FileSystemArn":"arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-0123","CreationToken":"berth-my-app-0123456789","LifeCycleState":"creating"}`})
	r, err := c.CreateFilesystem(context.Background(), filesystemSpec)
	if err != nil {
		t.Fatal(err)
	}
	req := stub.Only("CreateFileSystem")
	if req.Method != "POST" || req.Path != "/2015-02-01/file-systems" {
		t.Errorf("%s %s", req.Method, req.Path)
	}
	awstest.CheckJSON(t, req.JSON, `{
		"CreationToken":"berth-my-app-0123456789","Encrypted":true,
		"PerformanceMode":"generalPurpose","ThroughputMode":"elastic",
		"Tags":[{"Key":"Name","Value":"berth-my-app-0123456789"},{"Key":"berth:application","Value":"my-app"},{"Key":"berth:managed","Value":"true"}]
	}`)
	if r.ID != "fs-0123" || r.State != cloud.StateCreating || r.Expected == 0 {
		t.Errorf("resource %+v", r)
	}
}

func TestCreateFilesystemThatExistsReadsIt(t *testing.T) {
	c, stub := testPart(t)
	stub.On("CreateFileSystem", awstest.Reply{Status: 409, Code: "FileSystemAlreadyExists", Msg: "File system already exists with creation token"})
	stub.On("DescribeFileSystems", awstest.OK(filesystemIn("available")))
	r, err := c.CreateFilesystem(context.Background(), filesystemSpec)
	if err != nil {
		t.Fatal(err)
	}
	if got := stub.Only("DescribeFileSystems").Query.Get("CreationToken"); got != "berth-my-app-0123456789" {
		t.Errorf("described by token %q", got)
	}
	// Available, but its mount targets are Check's business.
	if r.ID != "fs-0123" || r.State != cloud.StateCreating {
		t.Errorf("resource %+v", r)
	}
}

func TestCheckCreatingFilesystemLeavesMountTargets(t *testing.T) {
	c, stub := testPart(t)
	stub.On("DescribeFileSystems", awstest.OK(filesystemIn("creating")))
	r, err := c.Check(context.Background(), filesystemRef)
	if err != nil {
		t.Fatal(err)
	}
	if r.State != cloud.StateCreating || !reflect.DeepEqual(stub.Ops(), []string{"DescribeFileSystems"}) {
		t.Errorf("state %s after %v", r.State, stub.Ops())
	}
	if got := stub.Only("DescribeFileSystems").Query.Get("FileSystemId"); got != "fs-0123" {
		t.Errorf("described %q", got)
	}
}

// TestCheckAvailableFilesystemCreatesMountTargets: one per platform
// subnet, in the filesystem security group; not AVAILABLE yet.
func TestCheckAvailableFilesystemCreatesMountTargets(t *testing.T) {
	c, stub := testPart(t)
	stub.On("DescribeFileSystems", awstest.OK(filesystemIn("available")))
	stub.On("DescribeMountTargets", awstest.OK(`{"MountTargets":[]}`))
	stub.On("CreateMountTarget", awstest.OK(`{"MountTargetId":"fsmt-1","FileSystemId":"fs-0123","SubnetId":"subnet-a","LifeCycleState":"creating","OwnerId":"123456789012"}`))
	r, err := c.Check(context.Background(), filesystemRef)
	if err != nil {
		t.Fatal(err)
	}
	if r.State != cloud.StateCreating {
		t.Errorf("state %s with mount targets just created", r.State)
	}
	if got := stub.Only("DescribeMountTargets").Query.Get("FileSystemId"); got != "fs-0123" {
		t.Errorf("mount targets of %q", got)
	}
	creates := stub.All("CreateMountTarget")
	if len(creates) != 2 {
		t.Fatalf("%d mount targets created, want 2", len(creates))
	}
	awstest.CheckJSON(t, creates[0].JSON, `{"FileSystemId":"fs-0123","SubnetId":"subnet-a","SecurityGroups":["sg-efs"]}`)
	awstest.CheckJSON(t, creates[1].JSON, `{"FileSystemId":"fs-0123","SubnetId":"subnet-b","SecurityGroups":["sg-efs"]}`)
}

func TestCheckFilesystemWaitsForMountTargets(t *testing.T) {
	for _, tc := range []struct {
		name, targets string
		conflict      bool
		want          cloud.State
	}{
		{"all available", `[{"MountTargetId":"fsmt-1","SubnetId":"subnet-a","LifeCycleState":"available"},{"MountTargetId":"fsmt-2","SubnetId":"subnet-b","LifeCycleState":"available"}]`, false, cloud.StateAvailable},
		{"one creating", `[{"MountTargetId":"fsmt-1","SubnetId":"subnet-a","LifeCycleState":"available"},{"MountTargetId":"fsmt-2","SubnetId":"subnet-b","LifeCycleState":"creating"}]`, false, cloud.StateCreating},
		{"one failed", `[{"MountTargetId":"fsmt-1","SubnetId":"subnet-a","LifeCycleState":"error"},{"MountTargetId":"fsmt-2","SubnetId":"subnet-b","LifeCycleState":"available"}]`, false, cloud.StateFailed},
		// subnet-b's zone has a mount target already (in another subnet): a conflict is fine.
		{"zone covered", `[{"MountTargetId":"fsmt-1","SubnetId":"subnet-a","LifeCycleState":"available"},{"MountTargetId":"fsmt-3","SubnetId":"subnet-c","LifeCycleState":"available"}]`, true, cloud.StateAvailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, stub := testPart(t)
			stub.On("DescribeFileSystems", awstest.OK(filesystemIn("available")))
			stub.On("DescribeMountTargets", awstest.OK(`{"MountTargets":`+tc.targets+`}`))
			if tc.conflict {
				stub.On("CreateMountTarget", awstest.Reply{Status: 409, Code: "MountTargetConflict", Msg: "mount target already exists in this AZ"})
			}
			r, err := c.Check(context.Background(), filesystemRef)
			if err != nil {
				t.Fatal(err)
			}
			if r.State != tc.want {
				t.Errorf("state %s, want %s", r.State, tc.want)
			}
			if creates := len(stub.All("CreateMountTarget")); creates != map[bool]int{true: 1}[tc.conflict] {
				t.Errorf("%d mount targets created", creates)
			}
		})
	}
}

func TestCheckMissingFilesystem(t *testing.T) {
	c, stub := testPart(t)
	stub.On("DescribeFileSystems", awstest.Reply{Status: 404, Code: "FileSystemNotFound", Msg: "File system 'fs-0123' does not exist."})
	_, err := c.Check(context.Background(), filesystemRef)
	if !errors.Is(err, cloud.ErrNotFound) || err.Error() != "efs DescribeFileSystems: FileSystemNotFound: File system 'fs-0123' does not exist." {
		t.Fatalf("error %v", err)
	}
}

// TestDeleteFilesystem: the mount targets go first; the filesystem only
// when none is left.
func TestDeleteFilesystem(t *testing.T) {
	t.Run("mount targets first", func(t *testing.T) {
		c, stub := testPart(t)
		stub.On("DescribeFileSystems", awstest.OK(filesystemIn("available")))
		stub.On("DescribeMountTargets", awstest.OK(`{"MountTargets":[{"MountTargetId":"fsmt-1","SubnetId":"subnet-a","LifeCycleState":"available"},{"MountTargetId":"fsmt-2","SubnetId":"subnet-b","LifeCycleState":"deleting"}]}`))
		stub.On("DeleteMountTarget", awstest.Reply{Status: 204})
		gone, err := c.Delete(context.Background(), filesystemRef, cloud.DeleteOptions{})
		if err != nil || gone {
			t.Fatalf("gone %v, error %v", gone, err)
		}
		if req := stub.Only("DeleteMountTarget"); req.Method != "DELETE" || req.Path != "/2015-02-01/mount-targets/fsmt-1" {
			t.Errorf("%s %s", req.Method, req.Path)
		}
		if len(stub.All("DeleteFileSystem")) != 0 {
			t.Error("filesystem deleted before its mount targets")
		}
	})
	t.Run("then the filesystem", func(t *testing.T) {
		c, stub := testPart(t)
		stub.On("DescribeFileSystems", awstest.OK(filesystemIn("available")))
		stub.On("DescribeMountTargets", awstest.OK(`{"MountTargets":[]}`))
		stub.On("DeleteFileSystem", awstest.Reply{Status: 204})
		gone, err := c.Delete(context.Background(), filesystemRef, cloud.DeleteOptions{})
		if err != nil || gone {
			t.Fatalf("gone %v, error %v; want deleting", gone, err)
		}
		if req := stub.Only("DeleteFileSystem"); req.Method != "DELETE" || req.Path != "/2015-02-01/file-systems/fs-0123" {
			t.Errorf("%s %s", req.Method, req.Path)
		}
	})
	t.Run("deleting", func(t *testing.T) {
		c, stub := testPart(t)
		stub.On("DescribeFileSystems", awstest.OK(filesystemIn("deleting")))
		gone, err := c.Delete(context.Background(), filesystemRef, cloud.DeleteOptions{})
		if err != nil || gone || len(stub.Ops()) != 1 {
			t.Fatalf("gone %v, error %v after %v", gone, err, stub.Ops())
		}
	})
	t.Run("gone", func(t *testing.T) {
		c, stub := testPart(t)
		stub.On("DescribeFileSystems", awstest.Reply{Status: 404, Code: "FileSystemNotFound", Msg: "no such file system"})
		gone, err := c.Delete(context.Background(), filesystemRef, cloud.DeleteOptions{})
		if err != nil || !gone {
			t.Fatalf("gone %v, error %v", gone, err)
		}
	})
	t.Run("never created", func(t *testing.T) {
		c, stub := testPart(t)
		stub.On("DescribeFileSystems", awstest.OK(`{"FileSystems":[]}`))
		gone, err := c.Delete(context.Background(), cloud.Ref{Kind: cloud.KindFilesystem, Name: "berth-my-app-0123456789"}, cloud.DeleteOptions{})
		if err != nil || !gone {
			t.Fatalf("gone %v, error %v", gone, err)
		}
		if got := stub.Only("DescribeFileSystems").Query.Get("CreationToken"); got != "berth-my-app-0123456789" {
			t.Errorf("looked up by token %q", got)
		}
	})
	t.Run("in use", func(t *testing.T) {
		c, stub := testPart(t)
		stub.On("DescribeFileSystems", awstest.OK(filesystemIn("available")))
		stub.On("DescribeMountTargets", awstest.OK(`{"MountTargets":[]}`))
		stub.On("DeleteFileSystem", awstest.Reply{Status: 409, Code: "FileSystemInUse", Msg: "in use"})
		gone, err := c.Delete(context.Background(), filesystemRef, cloud.DeleteOptions{})
		if err != nil || gone {
			t.Fatalf("gone %v, error %v", gone, err)
		}
	})
}

func TestQuotaError(t *testing.T) {
	c, stub := testPart(t)
	stub.On("CreateFileSystem", awstest.Reply{Status: 403, Code: "FileSystemLimitExceeded", Msg: "You have reached the maximum number of file systems."})
	_, err := c.CreateFilesystem(context.Background(), filesystemSpec)
	if !errors.Is(err, cloud.ErrQuota) || errors.Is(err, cloud.ErrInvalid) {
		t.Fatalf("error %v, want ErrQuota", err)
	}
}
