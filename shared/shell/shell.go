// Package shell is shell access to an environment's running containers,
// as Quant's getSshAccessCredentials gives it: short-lived credentials
// whose session policy allows ECS Exec on that environment's tasks and
// nothing else, and the command a user pastes. shared/shell/awsshell is
// the STS and ECS adapter; shared/cloud/sandbox has the local stack's.
package shell

import (
	"context"
	"errors"
	"time"
)

// Grant asks for credentials: the role Berth assumes, narrowed by Policy.
type Grant struct {
	RoleARN string
	// SessionName names the session in CloudTrail (2 to 64 characters of
	// letters, digits and =,.@-).
	SessionName string
	// Policy is the session policy (IAM JSON): the credentials can do only
	// what both it and the role allow.
	Policy   string
	Duration time.Duration
	// Tags are session tags, for CloudTrail and conditions.
	Tags map[string]string
}

// Credentials are temporary AWS credentials.
type Credentials struct {
	AccessKeyID, SecretAccessKey, SessionToken string
	Expiration                                 time.Time
}

// Access is what shell access needs of the cloud.
type Access interface {
	// Assume issues credentials for g (STS AssumeRole).
	Assume(ctx context.Context, g Grant) (Credentials, error)
	// RunningTasks lists the ARNs of a service's running tasks (ECS ListTasks).
	RunningTasks(ctx context.Context, cluster, service string) ([]string, error)
}

// ErrDenied: the provider refused to issue the credentials.
var ErrDenied = errors.New("credentials refused")
