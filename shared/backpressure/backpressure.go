// Package backpressure recognises the AWS errors that mean "not now":
// throttling and concurrency limits, which a retry a few seconds later
// may get past. The API answers them 503 with Retry-After (see
// shared/api's fail and docs/errors.md), never 500: the request was
// sound, AWS pushed back.
//
// The SDK's own retryer has retried them already (with backoff) when they
// arrive here; they come wrapped (smithy.OperationError, the retryer's
// MaxAttemptsError, the store's fmt.Errorf), so Is reads the smithy API
// error code anywhere in the chain.
package backpressure

import (
	"errors"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// RetryAfterSeconds is the Retry-After the API sends with a 503: fixed, a
// few seconds, long enough for DynamoDB's adaptive capacity or a running
// execution to make room. Clients add their own jitter.
const RetryAfterSeconds = 5

// codes are the error codes that mean back off and retry.
var codes = map[string]bool{
	// DynamoDB.
	"ProvisionedThroughputExceededException": true, // a partition's or on-demand table's throughput
	"ThrottlingException":                    true, // control plane, and Step Functions' API rate
	"RequestLimitExceeded":                   true, // the account's throughput quota
	// A write met an item a transaction is changing: the same request a
	// moment later succeeds or fails its own condition cleanly.
	"TransactionConflictException":   true,
	"TransactionInProgressException": true,
	// Step Functions: the state machine's open executions are at the
	// quota; they finish and make room.
	"ExecutionLimitExceeded": true,
	// The SDK's throttle codes of other services the API calls (less
	// LimitExceededException, which some services use for hard quotas).
	"Throttling":                true,
	"ThrottledException":        true,
	"RequestThrottledException": true,
	"TooManyRequestsException":  true,
	"RequestThrottled":          true,
	"SlowDown":                  true,
	"BandwidthLimitExceeded":    true,
	"PriorRequestNotComplete":   true,
}

// cancellationCodes are the reasons of a cancelled transaction that are
// throttling or a conflict, not a failed condition.
var cancellationCodes = map[string]bool{
	"ThrottlingError": true, "ProvisionedThroughputExceeded": true, "TransactionConflict": true,
}

// Is reports whether err is AWS pushing back: throttling, a request or
// execution limit, or a transaction conflict.
func Is(err error) bool {
	if err == nil {
		return false
	}
	var cancelled *types.TransactionCanceledException
	if errors.As(err, &cancelled) {
		// Cancelled only by throttling or conflicts, with no condition
		// failed: the same request may succeed.
		pushedBack := false
		for _, r := range cancelled.CancellationReasons {
			code := ""
			if r.Code != nil {
				code = *r.Code
			}
			switch {
			case cancellationCodes[code]:
				pushedBack = true
			case code == "" || code == "None":
			default:
				return false
			}
		}
		return pushedBack
	}
	var api smithy.APIError
	return errors.As(err, &api) && codes[api.ErrorCode()]
}
