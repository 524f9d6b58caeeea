package awscloud

import (
	"testing"

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
		"ConflictException": nil,
	} {
		if got := kindOf(code); got != want {
			t.Errorf("%s: %v, want %v", code, got, want)
		}
	}
}
