package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/berth-dev/berth/shared/registry"
)

// RegistryHost is the sandbox's container registry, the host of every
// repository URI it makes, as ECR's is <account>.dkr.ecr.<region>.amazonaws.com.
const RegistryHost = Account + ".dkr.ecr." + Domain

// LoginLifetime is how long a registry login lasts, as ECR's tokens do.
const LoginLifetime = 12 * time.Hour

var _ registry.Credentials = Registry{}

// Registry issues the local stack's registry logins: user AWS, a new
// random password each time, valid for LoginLifetime. No registry
// listens at the endpoint; the login only has ECR's shape.
type Registry struct {
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Credentials implements registry.Credentials.
func (r Registry) Credentials(context.Context) (registry.Login, error) {
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	b := make([]byte, 24)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return registry.Login{
		Username:  "AWS",
		Password:  "sandbox-" + hex.EncodeToString(b),
		ExpiresAt: now().UTC().Add(LoginLifetime),
		Endpoint:  "https://" + RegistryHost,
	}, nil
}
