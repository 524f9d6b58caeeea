// Package awssecrets keeps environments' secret variables in AWS Secrets
// Manager: the configuration.SecretStore adapter for AWS. Each secret is
// one Secrets Manager secret whose versions are the values written; a
// container reads one version by ARN and version id. It links the Secrets
// Manager client and no other AWS client.
//
// A value is only ever sent in a request body: no error or log here
// carries one.
package awssecrets

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/berth-dev/berth/shared/configuration"
)

// RecoveryWindowDays is how long a deleted secret can be restored, and so
// how long a rollback to a release that reads it still starts.
const RecoveryWindowDays = 7

var _ configuration.SecretStore = (*Store)(nil)

// Store is configuration.SecretStore on Secrets Manager. Build it with
// New, or set Client directly.
type Store struct {
	Client *secretsmanager.Client
}

// New builds the client from cfg, at endpoint when it is not "" (tests,
// local tools: AWS_ENDPOINT_URL_SECRETS_MANAGER), else at AWS's.
func New(cfg aws.Config, endpoint string) configuration.SecretStore {
	return &Store{Client: secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})}
}

// Put implements configuration.SecretStore. CreateSecret makes the secret
// and its first version in one call; a secret that exists gets a new
// version from PutSecretValue, and one scheduled for deletion is restored
// first. The token makes each call idempotent, so a retried Put that got
// further the first time answers the version it wrote then.
func (s *Store) Put(ctx context.Context, w configuration.SecretWrite) (configuration.SecretVersion, error) {
	in := &secretsmanager.CreateSecretInput{
		Name:               aws.String(w.ID),
		SecretString:       aws.String(w.Value),
		ClientRequestToken: token(w.Token),
		Tags:               tags(w.Tags),
	}
	out, err := s.Client.CreateSecret(ctx, in)
	if err == nil {
		return configuration.SecretVersion{ARN: aws.ToString(out.ARN), VersionID: aws.ToString(out.VersionId)}, nil
	}
	var exists *types.ResourceExistsException
	switch {
	case errors.As(err, &exists):
		// The secret exists (with this token and another value, the
		// PutSecretValue below says so).
		return s.putValue(ctx, w, false)
	case scheduledForDeletion(err):
		return s.putValue(ctx, w, true)
	}
	return configuration.SecretVersion{}, classify("CreateSecret", w.ID, err)
}

// putValue writes a version of an existing secret, restoring it first
// when restore is set or when PutSecretValue finds it scheduled for
// deletion (deleted since CreateSecret looked).
func (s *Store) putValue(ctx context.Context, w configuration.SecretWrite, restore bool) (configuration.SecretVersion, error) {
	for attempt := 0; ; attempt++ {
		if restore {
			if _, err := s.Client.RestoreSecret(ctx, &secretsmanager.RestoreSecretInput{SecretId: aws.String(w.ID)}); err != nil {
				return configuration.SecretVersion{}, classify("RestoreSecret", w.ID, err)
			}
		}
		out, err := s.Client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
			SecretId: aws.String(w.ID), SecretString: aws.String(w.Value), ClientRequestToken: token(w.Token),
		})
		if err == nil {
			return configuration.SecretVersion{ARN: aws.ToString(out.ARN), VersionID: aws.ToString(out.VersionId)}, nil
		}
		var exists *types.ResourceExistsException
		if errors.As(err, &exists) {
			// PutSecretValue's only conflict: this token's version exists
			// with another value.
			return configuration.SecretVersion{}, fmt.Errorf("secretsmanager PutSecretValue %s: %w: %s", w.ID, configuration.ErrTokenReused, exists.ErrorMessage())
		}
		if !restore && attempt == 0 && scheduledForDeletion(err) {
			restore = true
			continue
		}
		return configuration.SecretVersion{}, classify("PutSecretValue", w.ID, err)
	}
}

// Delete implements configuration.SecretStore: DeleteSecret with a
// recovery window. A secret already gone, or already scheduled, is
// deleted.
func (s *Store) Delete(ctx context.Context, id string) error {
	_, err := s.Client.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{
		SecretId: aws.String(id), RecoveryWindowInDays: aws.Int64(RecoveryWindowDays),
	})
	var missing *types.ResourceNotFoundException
	if err == nil || errors.As(err, &missing) || scheduledForDeletion(err) {
		return nil
	}
	return classify("DeleteSecret", id, err)
}

// scheduledForDeletion: Secrets Manager refuses most calls on a secret
// scheduled for deletion with InvalidRequestException, told from its
// other uses only by the message ("scheduled for deletion", "marked for
// deletion").
func scheduledForDeletion(err error) bool {
	var invalid *types.InvalidRequestException
	return errors.As(err, &invalid) && strings.Contains(strings.ToLower(invalid.ErrorMessage()), "deletion")
}

// classify names the call and the secret (never the value), and marks a
// refusal of the client request token as configuration.ErrTokenReused.
func classify(op, id string, err error) error {
	var invalid *types.InvalidRequestException
	if errors.As(err, &invalid) && strings.Contains(strings.ToLower(invalid.ErrorMessage()), "token") {
		return fmt.Errorf("secretsmanager %s %s: %w: %s", op, id, configuration.ErrTokenReused, invalid.ErrorMessage())
	}
	return fmt.Errorf("secretsmanager %s %s: %w", op, id, err)
}

// token is nil for "", so the SDK makes one up (the call is then not
// idempotent across retries of Put, only within the SDK's).
func token(t string) *string {
	if t == "" {
		return nil
	}
	return aws.String(t)
}

// tags are sorted by key, so the same write makes the same request.
func tags(m map[string]string) []types.Tag {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []types.Tag
	for _, k := range keys {
		out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}
