package awscloud

import (
	"context"
	"errors"
	"net"
	"net/http"
	"syscall"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

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
		"SecurityGroupLimitExceeded": cloud.ErrQuota, "ServiceQuotaExceededException": cloud.ErrQuota,
		// Passing conditions, and the SDK's retryable ones: none of the kinds.
		"InvalidDBInstanceState": nil, "InvalidDBInstanceStateFault": nil, "InvalidVPCNetworkStateFault": nil,
		"Throttling": nil, "ThrottlingException": nil, "TooManyRequestsException": nil, "ClientException": nil, "ServerException": nil,
		"ConflictException": nil, "RequestLimitExceeded": nil, "BandwidthLimitExceeded": nil,
	} {
		if got := kindOf(code); got != want {
			t.Errorf("%s: %v, want %v", code, got, want)
		}
	}
}

// TestTransientFailuresAreUnavailable: what the SDK's retryer gave up on
// (throttling, 5xx, no answer) is cloud.ErrUnavailable, which workflows
// retry; a client error is not.
func TestTransientFailuresAreUnavailable(t *testing.T) {
	opErr := func(err error) error {
		return &smithy.OperationError{ServiceID: "ECS", OperationName: "CreateService", Err: err}
	}
	respErr := func(status int, err error) error {
		return &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: err}}
	}
	for name, tc := range map[string]struct {
		err  error
		want bool
	}{
		"throttling":     {opErr(respErr(400, &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"})), true},
		"ec2 throttling": {opErr(respErr(503, &smithy.GenericAPIError{Code: "RequestLimitExceeded", Message: "Request limit exceeded."})), true},
		"503":            {opErr(respErr(503, &smithy.GenericAPIError{Code: "ServiceUnavailable", Fault: smithy.FaultServer})), true},
		"500":            {opErr(respErr(500, &smithy.GenericAPIError{Code: "InternalFailure"})), true},
		"reset":          {opErr(&smithyhttp.RequestSendError{Err: &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}}), true},
		"timeout":        {opErr(context.DeadlineExceeded), true},
		"invalid":        {opErr(respErr(400, &smithy.GenericAPIError{Code: "InvalidParameterException"})), false},
		"cancelled":      {opErr(context.Canceled), false},
		"client error":   {opErr(respErr(400, &smithy.GenericAPIError{Code: "ClientException"})), false},
	} {
		err := Fail(tc.err)
		if got := errors.Is(err, cloud.ErrUnavailable); got != tc.want {
			t.Errorf("%s: %v is unavailable: %v, want %v", name, err, got, tc.want)
		}
		if errors.Is(err, cloud.ErrInvalid) && tc.want {
			t.Errorf("%s: %v is also invalid", name, err)
		}
	}
}
