package awsruntime

import (
	"context"
	"errors"
	"testing"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awstest"
)

var accessPointSpec = cloud.AccessPointSpec{
	Name: "berth-acme-my-app-production-0123456789", FilesystemID: "fs-0123",
	ClientToken: "berth-acme-my-app-production-01234", RootDirectory: "/production", Tags: awstest.Tags,
}

func TestCreateAccessPointRequest(t *testing.T) {
	c, stub := testPart(t)
	stub.On("CreateAccessPoint", awstest.OK(`{"AccessPointId":"fsap-0456","AccessPointArn":"arn:aws:elasticfilesystem:eu-west-1:123456789012:access-point/fsap-0456","LifeCycleState":"creating"}`))
	r, err := c.CreateAccessPoint(context.Background(), accessPointSpec)
	if err != nil {
		t.Fatal(err)
	}
	req := stub.Only("CreateAccessPoint")
	if req.Method != "POST" || req.Path != "/2015-02-01/access-points" {
		t.Errorf("%s %s", req.Method, req.Path)
	}
	awstest.CheckJSON(t, req.JSON, `{
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
	c, stub := testPart(t)
	stub.On("CreateAccessPoint", awstest.Reply{Status: 409, Code: "AccessPointAlreadyExists", Msg: "exists"})
	stub.On("DescribeAccessPoints", awstest.OK(`{"AccessPoints":[
		{"AccessPointId":"fsap-other","ClientToken":"another","LifeCycleState":"available"},
		{"AccessPointId":"fsap-0456","ClientToken":"berth-acme-my-app-production-01234","LifeCycleState":"available"}]}`))
	r, err := c.CreateAccessPoint(context.Background(), accessPointSpec)
	if err != nil {
		t.Fatal(err)
	}
	if got := stub.Only("DescribeAccessPoints").Query.Get("FileSystemId"); got != "fs-0123" {
		t.Errorf("listed the access points of %q", got)
	}
	if r.ID != "fsap-0456" || r.State != cloud.StateAvailable {
		t.Errorf("resource %+v", r)
	}
}

func TestAccessPointCheckAndDelete(t *testing.T) {
	ref := cloud.Ref{Kind: cloud.KindAccessPoint, Name: accessPointSpec.Name, ID: "fsap-0456"}
	c, stub := testPart(t)
	stub.On("DescribeAccessPoints", awstest.OK(`{"AccessPoints":[{"AccessPointId":"fsap-0456","LifeCycleState":"available"}]}`),
		awstest.Reply{Status: 404, Code: "AccessPointNotFound", Msg: "no such access point"})
	stub.On("DeleteAccessPoint", awstest.Reply{Status: 204}, awstest.Reply{Status: 404, Code: "AccessPointNotFound", Msg: "no such access point"},
		awstest.AWSErr("InternalServerError", "oops"))
	r, err := c.Check(context.Background(), ref)
	if err != nil || r.State != cloud.StateAvailable {
		t.Fatalf("check %+v, %v", r, err)
	}
	if got := stub.All("DescribeAccessPoints")[0].Query.Get("AccessPointId"); got != "fsap-0456" {
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
	if req := stub.All("DeleteAccessPoint")[0]; req.Method != "DELETE" || req.Path != "/2015-02-01/access-points/fsap-0456" {
		t.Errorf("%s %s", req.Method, req.Path)
	}
	if gone, err := c.Delete(context.Background(), ref, cloud.DeleteOptions{}); err == nil || gone {
		t.Errorf("a failed delete: gone %v, error %v", gone, err)
	}
}
