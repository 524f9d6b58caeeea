package awscloud

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/berth-dev/berth/shared/cloud"
)

var filesystemSpec = cloud.FilesystemSpec{Name: "berth-my-app-0123456789", CreationToken: "berth-my-app-0123456789", Tags: testTags}

var filesystemRef = cloud.Ref{Kind: cloud.KindFilesystem, Name: "berth-my-app-0123456789", ID: "fs-0123"}

func filesystemIn(state string) string {
	return `{"FileSystems":[{"FileSystemId":"fs-0123","FileSystemArn":"arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-0123","CreationToken":"berth-my-app-0123456789","LifeCycleState":"` + state + `","NumberOfMountTargets":0,"OwnerId":"123456789012","PerformanceMode":"generalPurpose","SizeInBytes":{"Value":0}}]}`
}

// TestCreateFilesystemRequest checks every field of CreateFileSystem as
// it would reach EFS.
func TestCreateFilesystemRequest(t *testing.T) {
	c, stub := testCloud(t)
	stub.on("CreateFileSystem", reply{Status: 201, Body: `{"FileSystemId":"fs-0123","FileSystemArn":"arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-0123","CreationToken":"berth-my-app-0123456789","LifeCycleState":"creating"}`})
	r, err := c.CreateFilesystem(context.Background(), filesystemSpec)
	if err != nil {
		t.Fatal(err)
	}
	req := stub.only("CreateFileSystem")
	if req.Method != "POST" || req.Path != "/2015-02-01/file-systems" {
		t.Errorf("%s %s", req.Method, req.Path)
	}
	checkJSON(t, req.JSON, `{
		"CreationToken":"berth-my-app-0123456789","Encrypted":true,
		"PerformanceMode":"generalPurpose","ThroughputMode":"elastic",
		"Tags":[{"Key":"Name","Value":"berth-my-app-0123456789"},{"Key":"berth:application","Value":"my-app"},{"Key":"berth:managed","Value":"true"}]
	}`)
	if r.ID != "fs-0123" || r.State != cloud.StateCreating || r.Expected == 0 {
		t.Errorf("resource %+v", r)
	}
}

func TestCreateFilesystemThatExistsReadsIt(t *testing.T) {
	c, stub := testCloud(t)
	stub.on("CreateFileSystem", reply{Status: 409, Code: "FileSystemAlreadyExists", Msg: "File system already exists with creation token"})
	stub.on("DescribeFileSystems", ok(filesystemIn("available")))
	r, err := c.CreateFilesystem(context.Background(), filesystemSpec)
	if err != nil {
		t.Fatal(err)
	}
	if got := stub.only("DescribeFileSystems").Query.Get("CreationToken"); got != "berth-my-app-0123456789" {
		t.Errorf("described by token %q", got)
	}
	// Available, but its mount targets are Check's business.
	if r.ID != "fs-0123" || r.State != cloud.StateCreating {
		t.Errorf("resource %+v", r)
	}
}

func TestCheckCreatingFilesystemLeavesMountTargets(t *testing.T) {
	c, stub := testCloud(t)
	stub.on("DescribeFileSystems", ok(filesystemIn("creating")))
	r, err := c.Check(context.Background(), filesystemRef)
	if err != nil {
		t.Fatal(err)
	}
	if r.State != cloud.StateCreating || !reflect.DeepEqual(stub.ops(), []string{"DescribeFileSystems"}) {
		t.Errorf("state %s after %v", r.State, stub.ops())
	}
	if got := stub.only("DescribeFileSystems").Query.Get("FileSystemId"); got != "fs-0123" {
		t.Errorf("described %q", got)
	}
}

// TestCheckAvailableFilesystemCreatesMountTargets: one per platform
// subnet, in the filesystem security group; not AVAILABLE yet.
func TestCheckAvailableFilesystemCreatesMountTargets(t *testing.T) {
	c, stub := testCloud(t)
	stub.on("DescribeFileSystems", ok(filesystemIn("available")))
	stub.on("DescribeMountTargets", ok(`{"MountTargets":[]}`))
	stub.on("CreateMountTarget", ok(`{"MountTargetId":"fsmt-1","FileSystemId":"fs-0123","SubnetId":"subnet-a","LifeCycleState":"creating","OwnerId":"123456789012"}`))
	r, err := c.Check(context.Background(), filesystemRef)
	if err != nil {
		t.Fatal(err)
	}
	if r.State != cloud.StateCreating {
		t.Errorf("state %s with mount targets just created", r.State)
	}
	if got := stub.only("DescribeMountTargets").Query.Get("FileSystemId"); got != "fs-0123" {
		t.Errorf("mount targets of %q", got)
	}
	creates := stub.all("CreateMountTarget")
	if len(creates) != 2 {
		t.Fatalf("%d mount targets created, want 2", len(creates))
	}
	checkJSON(t, creates[0].JSON, `{"FileSystemId":"fs-0123","SubnetId":"subnet-a","SecurityGroups":["sg-efs"]}`)
	checkJSON(t, creates[1].JSON, `{"FileSystemId":"fs-0123","SubnetId":"subnet-b","SecurityGroups":["sg-efs"]}`)
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
			c, stub := testCloud(t)
			stub.on("DescribeFileSystems", ok(filesystemIn("available")))
			stub.on("DescribeMountTargets", ok(`{"MountTargets":`+tc.targets+`}`))
			if tc.conflict {
				stub.on("CreateMountTarget", reply{Status: 409, Code: "MountTargetConflict", Msg: "mount target already exists in this AZ"})
			}
			r, err := c.Check(context.Background(), filesystemRef)
			if err != nil {
				t.Fatal(err)
			}
			if r.State != tc.want {
				t.Errorf("state %s, want %s", r.State, tc.want)
			}
			if creates := len(stub.all("CreateMountTarget")); creates != map[bool]int{true: 1}[tc.conflict] {
				t.Errorf("%d mount targets created", creates)
			}
		})
	}
}

func TestCheckMissingFilesystem(t *testing.T) {
	c, stub := testCloud(t)
	stub.on("DescribeFileSystems", reply{Status: 404, Code: "FileSystemNotFound", Msg: "File system 'fs-0123' does not exist."})
	_, err := c.Check(context.Background(), filesystemRef)
	if !errors.Is(err, cloud.ErrNotFound) || err.Error() != "efs DescribeFileSystems: FileSystemNotFound: File system 'fs-0123' does not exist." {
		t.Fatalf("error %v", err)
	}
}

// TestDeleteFilesystem: the mount targets go first; the filesystem only
// when none is left.
func TestDeleteFilesystem(t *testing.T) {
	t.Run("mount targets first", func(t *testing.T) {
		c, stub := testCloud(t)
		stub.on("DescribeFileSystems", ok(filesystemIn("available")))
		stub.on("DescribeMountTargets", ok(`{"MountTargets":[{"MountTargetId":"fsmt-1","SubnetId":"subnet-a","LifeCycleState":"available"},{"MountTargetId":"fsmt-2","SubnetId":"subnet-b","LifeCycleState":"deleting"}]}`))
		stub.on("DeleteMountTarget", reply{Status: 204})
		gone, err := c.Delete(context.Background(), filesystemRef, cloud.DeleteOptions{})
		if err != nil || gone {
			t.Fatalf("gone %v, error %v", gone, err)
		}
		if req := stub.only("DeleteMountTarget"); req.Method != "DELETE" || req.Path != "/2015-02-01/mount-targets/fsmt-1" {
			t.Errorf("%s %s", req.Method, req.Path)
		}
		if len(stub.all("DeleteFileSystem")) != 0 {
			t.Error("filesystem deleted before its mount targets")
		}
	})
	t.Run("then the filesystem", func(t *testing.T) {
		c, stub := testCloud(t)
		stub.on("DescribeFileSystems", ok(filesystemIn("available")))
		stub.on("DescribeMountTargets", ok(`{"MountTargets":[]}`))
		stub.on("DeleteFileSystem", reply{Status: 204})
		gone, err := c.Delete(context.Background(), filesystemRef, cloud.DeleteOptions{})
		if err != nil || gone {
			t.Fatalf("gone %v, error %v; want deleting", gone, err)
		}
		if req := stub.only("DeleteFileSystem"); req.Method != "DELETE" || req.Path != "/2015-02-01/file-systems/fs-0123" {
			t.Errorf("%s %s", req.Method, req.Path)
		}
	})
	t.Run("deleting", func(t *testing.T) {
		c, stub := testCloud(t)
		stub.on("DescribeFileSystems", ok(filesystemIn("deleting")))
		gone, err := c.Delete(context.Background(), filesystemRef, cloud.DeleteOptions{})
		if err != nil || gone || len(stub.ops()) != 1 {
			t.Fatalf("gone %v, error %v after %v", gone, err, stub.ops())
		}
	})
	t.Run("gone", func(t *testing.T) {
		c, stub := testCloud(t)
		stub.on("DescribeFileSystems", reply{Status: 404, Code: "FileSystemNotFound", Msg: "no such file system"})
		gone, err := c.Delete(context.Background(), filesystemRef, cloud.DeleteOptions{})
		if err != nil || !gone {
			t.Fatalf("gone %v, error %v", gone, err)
		}
	})
	t.Run("never created", func(t *testing.T) {
		c, stub := testCloud(t)
		stub.on("DescribeFileSystems", ok(`{"FileSystems":[]}`))
		gone, err := c.Delete(context.Background(), cloud.Ref{Kind: cloud.KindFilesystem, Name: "berth-my-app-0123456789"}, cloud.DeleteOptions{})
		if err != nil || !gone {
			t.Fatalf("gone %v, error %v", gone, err)
		}
		if got := stub.only("DescribeFileSystems").Query.Get("CreationToken"); got != "berth-my-app-0123456789" {
			t.Errorf("looked up by token %q", got)
		}
	})
	t.Run("in use", func(t *testing.T) {
		c, stub := testCloud(t)
		stub.on("DescribeFileSystems", ok(filesystemIn("available")))
		stub.on("DescribeMountTargets", ok(`{"MountTargets":[]}`))
		stub.on("DeleteFileSystem", reply{Status: 409, Code: "FileSystemInUse", Msg: "in use"})
		gone, err := c.Delete(context.Background(), filesystemRef, cloud.DeleteOptions{})
		if err != nil || gone {
			t.Fatalf("gone %v, error %v", gone, err)
		}
	})
}

var accessPointSpec = cloud.AccessPointSpec{
	Name: "berth-acme-my-app-production-0123456789", FilesystemID: "fs-0123",
	ClientToken: "berth-acme-my-app-production-01234", RootDirectory: "/production", Tags: testTags,
}

func TestCreateAccessPointRequest(t *testing.T) {
	c, stub := testCloud(t)
	stub.on("CreateAccessPoint", ok(`{"AccessPointId":"fsap-0456","AccessPointArn":"arn:aws:elasticfilesystem:eu-west-1:123456789012:access-point/fsap-0456","LifeCycleState":"creating"}`))
	r, err := c.CreateAccessPoint(context.Background(), accessPointSpec)
	if err != nil {
		t.Fatal(err)
	}
	req := stub.only("CreateAccessPoint")
	if req.Method != "POST" || req.Path != "/2015-02-01/access-points" {
		t.Errorf("%s %s", req.Method, req.Path)
	}
	checkJSON(t, req.JSON, `{
		"ClientToken":"berth-acme-my-app-production-01234","FileSystemId":"fs-0123",
		"PosixUser":{"Uid":1000,"Gid":1000},
		"RootDirectory":{"Path":"/production","CreationInfo":{"OwnerUid":1000,"OwnerGid":1000,"Permissions":"0755"}},
		"Tags":[{"Key":"Name","Value":"berth-acme-my-app-production-0123456789"},{"Key":"berth:application","Value":"my-app"},{"Key":"berth:managed","Value":"true"}]
	}`)
	if r.ID != "fsap-0456" || r.State != cloud.StateCreating || r.Outputs[cloud.OutARN] == "" {
		t.Errorf("resource %+v", r)
	}
}

func TestCreateAccessPointThatExistsFindsItByToken(t *testing.T) {
	c, stub := testCloud(t)
	stub.on("CreateAccessPoint", reply{Status: 409, Code: "AccessPointAlreadyExists", Msg: "exists"})
	stub.on("DescribeAccessPoints", ok(`{"AccessPoints":[
		{"AccessPointId":"fsap-other","ClientToken":"another","LifeCycleState":"available"},
		{"AccessPointId":"fsap-0456","ClientToken":"berth-acme-my-app-production-01234","LifeCycleState":"available"}]}`))
	r, err := c.CreateAccessPoint(context.Background(), accessPointSpec)
	if err != nil {
		t.Fatal(err)
	}
	if got := stub.only("DescribeAccessPoints").Query.Get("FileSystemId"); got != "fs-0123" {
		t.Errorf("listed the access points of %q", got)
	}
	if r.ID != "fsap-0456" || r.State != cloud.StateAvailable {
		t.Errorf("resource %+v", r)
	}
}

func TestAccessPointCheckAndDelete(t *testing.T) {
	ref := cloud.Ref{Kind: cloud.KindAccessPoint, Name: accessPointSpec.Name, ID: "fsap-0456"}
	c, stub := testCloud(t)
	stub.on("DescribeAccessPoints", ok(`{"AccessPoints":[{"AccessPointId":"fsap-0456","LifeCycleState":"available"}]}`),
		reply{Status: 404, Code: "AccessPointNotFound", Msg: "no such access point"})
	stub.on("DeleteAccessPoint", reply{Status: 204}, reply{Status: 404, Code: "AccessPointNotFound", Msg: "no such access point"},
		awsErr("InternalServerError", "oops"))
	r, err := c.Check(context.Background(), ref)
	if err != nil || r.State != cloud.StateAvailable {
		t.Fatalf("check %+v, %v", r, err)
	}
	if got := stub.all("DescribeAccessPoints")[0].Query.Get("AccessPointId"); got != "fsap-0456" {
		t.Errorf("described %q", got)
	}
	if _, err := c.Check(context.Background(), ref); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("check of a missing access point: %v", err)
	}
	for i, want := range []bool{true, true} {
		if gone, err := c.Delete(context.Background(), ref, cloud.DeleteOptions{}); err != nil || gone != want {
			t.Errorf("delete %d: gone %v, error %v", i, gone, err)
		}
	}
	if req := stub.all("DeleteAccessPoint")[0]; req.Method != "DELETE" || req.Path != "/2015-02-01/access-points/fsap-0456" {
		t.Errorf("%s %s", req.Method, req.Path)
	}
	if gone, err := c.Delete(context.Background(), ref, cloud.DeleteOptions{}); err == nil || gone {
		t.Errorf("a failed delete: gone %v, error %v", gone, err)
	}
}
