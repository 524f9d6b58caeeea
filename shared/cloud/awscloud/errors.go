package awscloud

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/berth-dev/berth/shared/cloud"
)

// awsError is an SDK error said the way users read it, e.g.
// "rds CreateDBInstance: InvalidParameterCombination: ...", and wrapping
// both the port's error kind and the SDK's own error.
type awsError struct {
	msg  string
	kind error // a cloud.Err*, or nil
	err  error
}

func (e *awsError) Error() string { return e.msg }

func (e *awsError) Unwrap() []error {
	if e.kind == nil {
		return []error{e.err}
	}
	return []error{e.kind, e.err}
}

// services shortens the SDK's service ids in messages.
var services = map[string]string{
	"RDS": "rds", "EFS": "efs", "ECR": "ecr", "EC2": "ec2", "Elastic Load Balancing v2": "elbv2",
	"ECS": "ecs", "Application Auto Scaling": "application-autoscaling",
	"Secrets Manager": "secretsmanager", "CloudWatch Logs": "logs", "Scheduler": "scheduler", "S3": "s3",
}

// Fail wraps an SDK error: see awsError.
func Fail(err error) error {
	if err == nil {
		return nil
	}
	prefix := ""
	var op *smithy.OperationError
	if errors.As(err, &op) {
		name := services[op.ServiceID]
		if name == "" {
			name = op.ServiceID
		}
		prefix = name + " " + op.OperationName + ": "
	}
	var invalidParams smithy.InvalidParamsError
	if errors.As(err, &invalidParams) {
		return &awsError{msg: prefix + invalidParams.Error(), kind: cloud.ErrInvalid, err: err}
	}
	var api smithy.APIError
	if !errors.As(err, &api) {
		if op != nil {
			return &awsError{msg: prefix + op.Err.Error(), kind: transient(err), err: err}
		}
		return err
	}
	msg := prefix + api.ErrorCode()
	if m := api.ErrorMessage(); m != "" {
		msg += ": " + m
	}
	kind := kindOf(api.ErrorCode())
	if kind == nil {
		kind = transient(err)
	}
	return &awsError{msg: msg, kind: kind, err: err}
}

// transient is cloud.ErrUnavailable for what the SDK's retryer retries
// and a later call may cure: throttling, a fault on AWS's side (5xx), no
// answer (a reset connection, a timeout, a request that could not be
// sent); nil otherwise. A cancelled context is no fault of AWS's.
func transient(err error) error {
	var (
		api  smithy.APIError
		resp *awshttp.ResponseError
		send *smithyhttp.RequestSendError
		nerr net.Error
	)
	switch {
	case errors.Is(err, context.Canceled):
		return nil
	case retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary,
		errors.As(err, &api) && api.ErrorFault() == smithy.FaultServer,
		errors.As(err, &resp) && resp.HTTPStatusCode() >= 500,
		errors.As(err, &send), errors.As(err, &nerr),
		errors.Is(err, context.DeadlineExceeded):
		return cloud.ErrUnavailable
	}
	return nil
}

// kindOf sorts AWS error codes into the port's error kinds. The codes
// differ by service ("DBInstanceNotFound", "InvalidGroup.NotFound",
// "ResourceNotFoundException"), so it goes by their common parts.
func kindOf(code string) error {
	switch {
	case code == "RequestLimitExceeded" || code == "BandwidthLimitExceeded":
		return nil // EC2's throttling, not a quota: transient's to sort
	case strings.Contains(code, "NotFound") || strings.HasPrefix(code, "NoSuch"):
		return cloud.ErrNotFound
	case strings.Contains(code, "LimitExceeded") || strings.Contains(code, "QuotaExceeded") ||
		strings.HasPrefix(code, "TooMany") && !strings.HasPrefix(code, "TooManyRequests"):
		return cloud.ErrQuota
	case strings.Contains(code, "Validation") || code == "BadRequest" || code == "UnsupportedOperation":
		return cloud.ErrInvalid
	case strings.HasPrefix(code, "Invalid") && !inWrongState(code):
		return cloud.ErrInvalid
	}
	return nil
}

// inWrongState: "InvalidDBInstanceState" and the like pass with time.
func inWrongState(code string) bool {
	code = strings.TrimSuffix(strings.TrimSuffix(code, "Fault"), "Exception")
	return strings.HasSuffix(code, "State")
}

// Code is the AWS error code of err, or "".
func Code(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}

// Message is the AWS error message of err, or "".
func Message(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorMessage()
	}
	return ""
}

// NotFound says a Check found nothing, in the port's terms.
func NotFound(what string) error {
	return fmt.Errorf("%w: %s", cloud.ErrNotFound, what)
}
