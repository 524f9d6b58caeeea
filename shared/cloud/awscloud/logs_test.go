package awscloud

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/berth-dev/berth/shared/cloud"
)

var logGroupSpec = cloud.LogGroupSpec{Name: "/berth/acme/my-app/production-0123456789", RetentionDays: 30, Tags: testTags}

func TestCreateLogGroupRequests(t *testing.T) {
	c, stub := testCloud(t)
	stub.on("CreateLogGroup", ok(""))
	stub.on("PutRetentionPolicy", ok(""))
	r, err := c.CreateLogGroup(context.Background(), logGroupSpec)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(stub.ops(), []string{"CreateLogGroup", "PutRetentionPolicy"}) {
		t.Fatalf("calls %v", stub.ops())
	}
	checkJSON(t, stub.only("CreateLogGroup").JSON, `{"logGroupName":"/berth/acme/my-app/production-0123456789","tags":{"berth:application":"my-app","berth:managed":"true"}}`)
	checkJSON(t, stub.only("PutRetentionPolicy").JSON, `{"logGroupName":"/berth/acme/my-app/production-0123456789","retentionInDays":30}`)
	if r.State != cloud.StateAvailable || r.ID != logGroupSpec.Name {
		t.Errorf("resource %+v", r)
	}
}

// TestCreateLogGroupThatExistsStillSetsRetention: an earlier try may
// have stopped between the two calls.
func TestCreateLogGroupThatExistsStillSetsRetention(t *testing.T) {
	c, stub := testCloud(t)
	stub.on("CreateLogGroup", awsErr("ResourceAlreadyExistsException", "The specified log group already exists"))
	stub.on("PutRetentionPolicy", ok(""))
	r, err := c.CreateLogGroup(context.Background(), logGroupSpec)
	if err != nil || r.State != cloud.StateAvailable {
		t.Fatalf("resource %+v, error %v", r, err)
	}
	stub.only("PutRetentionPolicy")
}

func TestLogGroupRetentionRefused(t *testing.T) {
	c, stub := testCloud(t)
	stub.on("CreateLogGroup", ok(""))
	stub.on("PutRetentionPolicy", awsErr("InvalidParameterException", "1 validation error detected: Value '31' at 'retentionInDays' failed to satisfy constraint"))
	spec := logGroupSpec
	spec.RetentionDays = 31
	_, err := c.CreateLogGroup(context.Background(), spec)
	if !errors.Is(err, cloud.ErrInvalid) || err.Error() != "logs PutRetentionPolicy: InvalidParameterException: 1 validation error detected: Value '31' at 'retentionInDays' failed to satisfy constraint" {
		t.Fatalf("error %v", err)
	}
}

func TestLogGroupCheckAndDelete(t *testing.T) {
	ref := cloud.Ref{Kind: cloud.KindLogGroup, Name: logGroupSpec.Name, ID: logGroupSpec.Name}
	c, stub := testCloud(t)
	// A prefix also matches longer names; only the exact one counts.
	stub.on("DescribeLogGroups",
		ok(`{"logGroups":[{"logGroupName":"/berth/acme/my-app/production-0123456789","logGroupArn":"arn:aws:logs:eu-west-1:123456789012:log-group:/berth/acme/my-app/production-0123456789"}]}`),
		ok(`{"logGroups":[{"logGroupName":"/berth/acme/my-app/production-0123456789-old"}]}`))
	stub.on("DeleteLogGroup", ok(""), awsErr("ResourceNotFoundException", "The specified log group does not exist."))
	r, err := c.Check(context.Background(), ref)
	if err != nil || r.State != cloud.StateAvailable || r.Outputs[cloud.OutARN] == "" {
		t.Fatalf("check %+v, %v", r, err)
	}
	checkJSON(t, stub.all("DescribeLogGroups")[0].JSON, `{"logGroupNamePrefix":"/berth/acme/my-app/production-0123456789"}`)
	if _, err := c.Check(context.Background(), ref); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("check of a missing log group: %v", err)
	}
	for i := 0; i < 2; i++ {
		if gone, err := c.Delete(context.Background(), ref, cloud.DeleteOptions{}); err != nil || !gone {
			t.Errorf("delete %d: gone %v, error %v", i, gone, err)
		}
	}
	checkJSON(t, stub.all("DeleteLogGroup")[0].JSON, `{"logGroupName":"/berth/acme/my-app/production-0123456789"}`)
}
