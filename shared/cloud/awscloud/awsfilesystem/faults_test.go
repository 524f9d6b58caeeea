package awsfilesystem

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awstest"
)

// TestFaultsCreateAndDelete: with 30 % of attempts faulting, the SDK's
// retryer carries a filesystem's create and delete through, and a create
// whose answer was lost is sent again with the same creation token.
func TestFaultsCreateAndDelete(t *testing.T) {
	resent := 0
	awstest.Survive(t, 0.3, 30, func(s *awstest.Stub, cfg aws.Config) error {
		c := New(cfg, awstest.Platform, s.Getenv)
		s.On("CreateFileSystem", awstest.Reply{Status: 201, Body: `{"FileSystemId":"fs-0123","CreationToken":"berth-my-app-0123456789","LifeCycleState":"creating"}`})
		s.On("DescribeFileSystems", awstest.OK(filesystemIn("available")))
		s.On("DescribeMountTargets", awstest.OK(`{"MountTargets":[]}`))
		s.On("DeleteFileSystem", awstest.Reply{Status: 204})
		r, err := c.CreateFilesystem(context.Background(), filesystemSpec)
		if err != nil {
			return err
		}
		if r.ID != "fs-0123" || r.State != cloud.StateCreating {
			return fmt.Errorf("created %+v", r)
		}
		if awstest.SameToken(t, s.All("CreateFileSystem"), "CreationToken") > 1 {
			resent++
		}
		if gone, err := c.Delete(context.Background(), filesystemRef, cloud.DeleteOptions{}); err != nil || gone {
			return fmt.Errorf("delete: gone %v, %v; want deleting", gone, err)
		}
		if n := len(s.All("DeleteFileSystem")); n == 0 {
			return fmt.Errorf("no DeleteFileSystem in %v", s.Ops())
		}
		return nil
	})
	if resent == 0 {
		t.Error("no create was sent twice")
	}
}
