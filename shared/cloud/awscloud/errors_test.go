package awscloud

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"

	"github.com/berth-dev/berth/shared/cloud"
)

func TestErrorKinds(t *testing.T) {
	for code, want := range map[string]error{
		"DBInstanceNotFound": cloud.ErrNotFound, "InvalidGroup.NotFound": cloud.ErrNotFound, "ResourceNotFoundException": cloud.ErrNotFound,
		"FileSystemNotFound": cloud.ErrNotFound, "NoSuchEntity": cloud.ErrNotFound,
		"InvalidParameterCombination": cloud.ErrInvalid, "InvalidParameterValue": cloud.ErrInvalid, "InvalidParameterException": cloud.ErrInvalid,
		"InvalidRequestException": cloud.ErrInvalid, "ValidationError": cloud.ErrInvalid, "ValidationException": cloud.ErrInvalid,
		"BadRequest": cloud.ErrInvalid, "InvalidSubnet": cloud.ErrInvalid,
		"InstanceQuotaExceeded": cloud.ErrQuota, "StorageQuotaExceeded": cloud.ErrQuota, "LimitExceededException": cloud.ErrQuota,
		"FileSystemLimitExceeded": cloud.ErrQuota, "TooManyTargetGroups": cloud.ErrQuota, "TooManyRules": cloud.ErrQuota,
		"SecurityGroupLimitExceeded": cloud.ErrQuota,
		// Passing conditions, and the SDK's retryable ones: none of the kinds.
		"InvalidDBInstanceState": nil, "InvalidDBInstanceStateFault": nil, "InvalidVPCNetworkStateFault": nil,
		"Throttling": nil, "ThrottlingException": nil, "TooManyRequestsException": nil, "ClientException": nil, "ServerException": nil,
	} {
		if got := kindOf(code); got != want {
			t.Errorf("%s: %v, want %v", code, got, want)
		}
	}
}

// TestErrorsKeepTheAWSError: the message is the user's failure reason;
// the SDK's error stays reachable.
func TestErrorsKeepTheAWSError(t *testing.T) {
	c, stub := testCloud(t)
	stub.on("CreateDBInstance", awsErr("InvalidParameterCombination", "RDS does not support creating a DB instance with the following combination: DBInstanceClass=db.t2.nano, Engine=mysql."))
	_, err := c.CreateDatabase(context.Background(), databaseSpec)
	if want := "rds CreateDBInstance: InvalidParameterCombination: RDS does not support creating a DB instance with the following combination: DBInstanceClass=db.t2.nano, Engine=mysql."; err == nil || err.Error() != want {
		t.Fatalf("message %q, want %q", err, want)
	}
	var api smithy.APIError
	if !errors.Is(err, cloud.ErrInvalid) || !errors.As(err, &api) || api.ErrorCode() != "InvalidParameterCombination" {
		t.Errorf("error %v does not wrap ErrInvalid and the API error", err)
	}
}

func TestQuotaError(t *testing.T) {
	c, stub := testCloud(t)
	stub.on("CreateFileSystem", reply{Status: 403, Code: "FileSystemLimitExceeded", Msg: "You have reached the maximum number of file systems."})
	_, err := c.CreateFilesystem(context.Background(), filesystemSpec)
	if !errors.Is(err, cloud.ErrQuota) || errors.Is(err, cloud.ErrInvalid) {
		t.Fatalf("error %v, want ErrQuota", err)
	}
}

// TestThrottlingIsNoKind: throttling is the SDK retryer's business; once
// it gives up, the error is none of the port's kinds.
func TestThrottlingIsNoKind(t *testing.T) {
	c, stub := testCloud(t)
	stub.on("DescribeDBInstances", awsErr("Throttling", "Rate exceeded"))
	_, err := c.Check(context.Background(), cloud.Ref{Kind: cloud.KindDatabase, Name: "berth-x"})
	if err == nil || errors.Is(err, cloud.ErrNotFound) || errors.Is(err, cloud.ErrInvalid) || errors.Is(err, cloud.ErrQuota) {
		t.Fatalf("error %v", err)
	}
	if err.Error() != "rds DescribeDBInstances: Throttling: Rate exceeded" {
		t.Errorf("message %q", err)
	}
}

// TestSDKValidationIsInvalid: the SDK's own validation refuses before
// the network, and that is an invalid request.
func TestSDKValidationIsInvalid(t *testing.T) {
	c, stub := testCloud(t)
	spec := richSpec(t)
	spec.Compose.Containers = nil
	_, err := c.RegisterTaskDefinition(context.Background(), spec)
	var invalid smithy.InvalidParamsError
	if !errors.Is(err, cloud.ErrInvalid) || !errors.As(err, &invalid) || len(stub.ops()) != 0 {
		t.Fatalf("error %v after %v", err, stub.ops())
	}
	if !strings.HasPrefix(err.Error(), "ecs RegisterTaskDefinition: ") || !strings.Contains(err.Error(), "ContainerDefinitions") {
		t.Errorf("message %q", err)
	}
}

// TestNetworkErrorIsNamed: an error without an AWS answer still says
// which call failed.
func TestNetworkErrorIsNamed(t *testing.T) {
	srv := httptest.NewServer(nil)
	srv.Close()
	cfg := aws.Config{Retryer: func() aws.Retryer { return aws.NopRetryer{} }}
	c := New(cfg, testPlatform, func(string) string { return srv.URL })
	_, err := c.CreateRepository(context.Background(), cloud.RepositorySpec{Name: "berth/x"})
	if err == nil || !strings.HasPrefix(err.Error(), "ecr CreateRepository: ") {
		t.Fatalf("error %v", err)
	}
}

func TestUnknownKindIsInvalid(t *testing.T) {
	c, _ := testCloud(t)
	ref := cloud.Ref{Kind: "volcano", Name: "x"}
	if _, err := c.Check(context.Background(), ref); !errors.Is(err, cloud.ErrInvalid) {
		t.Errorf("check: %v", err)
	}
	if _, err := c.Delete(context.Background(), ref, cloud.DeleteOptions{}); !errors.Is(err, cloud.ErrInvalid) {
		t.Errorf("delete: %v", err)
	}
}
