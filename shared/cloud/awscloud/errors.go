package awscloud

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/smithy-go"

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
	"Secrets Manager": "secretsmanager", "CloudWatch Logs": "logs", "Scheduler": "scheduler",
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
			return &awsError{msg: prefix + op.Err.Error(), err: err}
		}
		return err
	}
	msg := prefix + api.ErrorCode()
	if m := api.ErrorMessage(); m != "" {
		msg += ": " + m
	}
	return &awsError{msg: msg, kind: kindOf(api.ErrorCode()), err: err}
}

// kindOf sorts AWS error codes into the port's error kinds. The codes
// differ by service ("DBInstanceNotFound", "InvalidGroup.NotFound",
// "ResourceNotFoundException"), so it goes by their common parts.
func kindOf(code string) error {
	switch {
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
