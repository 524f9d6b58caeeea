// Package registry is the port through which an organisation's clients get
// short-lived credentials for Berth's container registry, to push the
// images their compose definitions name as internal. shared/ecrlogin is
// the ECR adapter; shared/cloud/sandbox has the local stack's fake.
package registry

import (
	"context"
	"errors"
	"time"
)

// Login is what `docker login` needs: a user name and password for the
// registry at Endpoint, valid until ExpiresAt.
type Login struct {
	Username  string
	Password  string
	ExpiresAt time.Time
	// Endpoint is the registry's URL, e.g.
	// https://123456789012.dkr.ecr.eu-west-1.amazonaws.com.
	Endpoint string
}

// ErrUnavailable marks a failure to reach the registry, or its refusal to
// answer now: the caller may retry. Any other error is a fault of ours.
var ErrUnavailable = errors.New("registry unavailable")

// Credentials issues registry logins.
type Credentials interface {
	Credentials(ctx context.Context) (Login, error)
}
