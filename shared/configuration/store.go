package configuration

import (
	"context"
	"errors"
)

// SecretWrite is one version of one of an environment's secrets.
type SecretWrite struct {
	// ID is the secret's name in the provider (cloud.Names.VariableSecret).
	ID    string
	Value string
	// Token makes a retried write make no second version (Secrets Manager
	// ClientRequestToken: 32 to 64 characters). The same token with
	// another value fails with ErrTokenReused.
	Token string
	Tags  map[string]string
}

// SecretVersion is a version written.
type SecretVersion struct {
	// ARN is the secret's full ARN; VersionID the version written.
	ARN, VersionID string
}

// ValueFrom is what a container definition's secret names to read this
// version: the whole secret string of that version.
func (v SecretVersion) ValueFrom() string { return v.ARN + ":::" + v.VersionID }

// SecretStore keeps the values of environments' secrets. Values are
// write-only: nothing here reads one back.
type SecretStore interface {
	// Put writes a new version, creating the secret, or restoring one
	// scheduled for deletion, as needed.
	Put(ctx context.Context, w SecretWrite) (SecretVersion, error)
	// Delete schedules the secret's deletion (after the provider's recovery
	// window, so a rollback within it still starts); deleting one that is
	// gone or already scheduled is harmless.
	Delete(ctx context.Context, id string) error
}

// ErrTokenReused: a write's token was used before with another value.
var ErrTokenReused = errors.New("client request token reused with another value")
