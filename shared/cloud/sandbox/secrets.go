package sandbox

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/compose"
	"github.com/berth-dev/berth/shared/configuration"
)

// The sandbox's Secrets Manager: versioned secrets in memory, which a
// task's containers read through their task definition's Secrets.

// MaxSecretSize is the largest secret value Secrets Manager keeps, in bytes.
const MaxSecretSize = 65536

type secret struct {
	id, arn  string
	tags     map[string]string
	versions map[string]*secretVersion
	// order is the version ids, oldest first; the last is AWSCURRENT.
	order []string
	// deletedAt is when a Delete scheduled its deletion; zero when not.
	deletedAt time.Time
}

type secretVersion struct {
	id, value, token string
	created          time.Time
}

var secretName = regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]{1,512}$`)

// Secrets is the sandbox's configuration.SecretStore. Faults
// "PutSecretValue" and "DeleteSecret" fail Put and Delete.
func (s *Sandbox) Secrets() configuration.SecretStore { return sandboxSecrets{s} }

type sandboxSecrets struct{ s *Sandbox }

var _ configuration.SecretStore = sandboxSecrets{}

// Put implements configuration.SecretStore, as CreateSecret,
// RestoreSecret and PutSecretValue do: the token becomes the version's id
// (a new random uuid when there is none), and a token used before answers
// its version when the value is the same.
func (p sandboxSecrets) Put(_ context.Context, w configuration.SecretWrite) (configuration.SecretVersion, error) {
	const op = "PutSecretValue"
	s := p.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call(op); err != nil {
		return configuration.SecretVersion{}, err
	}
	switch {
	case !secretName.MatchString(w.ID):
		return configuration.SecretVersion{}, invalid(op, "ValidationException: secret name %q: 1 to 512 letters, digits and /_+=.@-", w.ID)
	case w.Token != "" && (len(w.Token) < 32 || len(w.Token) > 64):
		return configuration.SecretVersion{}, invalid(op, "ValidationException: ClientRequestToken must be 32 to 64 characters, got %d", len(w.Token))
	case len(w.Value) > MaxSecretSize:
		return configuration.SecretVersion{}, invalid(op, "ValidationException: 1 validation error detected: Value at 'secretString' failed to satisfy constraint: Member must have length less than or equal to %d", MaxSecretSize)
	}
	if s.secrets == nil {
		s.secrets = map[string]*secret{}
	}
	sec := s.secrets[w.ID]
	if sec == nil {
		sec = &secret{id: w.ID, arn: secretARN(w.ID), versions: map[string]*secretVersion{}}
		s.secrets[w.ID] = sec
	}
	sec.deletedAt = time.Time{} // RestoreSecret
	if len(w.Tags) > 0 {
		if sec.tags == nil {
			sec.tags = map[string]string{}
		}
		for k, v := range w.Tags {
			sec.tags[k] = v
		}
	}
	if w.Token != "" {
		if v := sec.versions[w.Token]; v != nil {
			if v.value != w.Value {
				return configuration.SecretVersion{}, fmt.Errorf("sandbox %s: ResourceExistsException: You can't modify an existing version, you can only create a new version: %w", op, configuration.ErrTokenReused)
			}
			return configuration.SecretVersion{ARN: sec.arn, VersionID: v.id}, nil
		}
	}
	id := w.Token
	if id == "" {
		id = uuid()
	}
	sec.versions[id] = &secretVersion{id: id, value: w.Value, token: w.Token, created: s.Now()}
	sec.order = append(sec.order, id)
	return configuration.SecretVersion{ARN: sec.arn, VersionID: id}, nil
}

// Delete implements configuration.SecretStore: the secret is scheduled
// for deletion, and its versions can no longer be read until a Put
// restores it.
func (p sandboxSecrets) Delete(_ context.Context, id string) error {
	s := p.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call("DeleteSecret"); err != nil {
		return err
	}
	if sec := s.secrets[id]; sec != nil && sec.deletedAt.IsZero() {
		sec.deletedAt = s.Now()
	}
	return nil
}

// secretARN is a secret's ARN, with the six characters Secrets Manager
// adds to its name (derived from the name here, so they are stable).
func secretARN(id string) string {
	const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	sum := sha256.Sum256([]byte(id))
	suffix := make([]byte, 6)
	for i := range suffix {
		suffix[i] = letters[int(sum[i])%len(letters)]
	}
	return "arn:aws:secretsmanager:" + Region + ":" + Account + ":secret:" + id + "-" + string(suffix)
}

// uuid is a random version 4 UUID.
func uuid() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// SecretValue is the value of a version of a secret, by its ARN, as a
// task reads it: false when the secret, or that version, does not exist
// or the secret is scheduled for deletion. It is for the sandbox's own use
// and tests; the port's values are write-only.
func (s *Sandbox) SecretValue(arn, versionID string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, err := s.readSecret(arn + ":::" + versionID)
	return v, err == nil
}

// readSecret reads a container definition's secret: "<arn>:::<version
// id>" (or "<arn>" for the current version). Callers hold mu.
func (s *Sandbox) readSecret(valueFrom string) (string, error) {
	arn, version, _ := strings.Cut(valueFrom, ":::")
	for _, sec := range s.secrets {
		if sec.arn != arn && sec.arn[:len(sec.arn)-7] != arn { // a partial ARN names it too
			continue
		}
		if !sec.deletedAt.IsZero() {
			return "", fmt.Errorf("InvalidRequestException: You can't perform this operation on the secret because it was marked for deletion")
		}
		if version == "" && len(sec.order) > 0 {
			version = sec.order[len(sec.order)-1]
		}
		if v := sec.versions[version]; v != nil {
			return v.value, nil
		}
		return "", fmt.Errorf("ResourceNotFoundException: Secrets Manager can't find the specified secret value for VersionId: %s", version)
	}
	return "", fmt.Errorf("ResourceNotFoundException: Secrets Manager can't find the specified secret")
}

// environment is a container's environment when its task starts: the
// environment's variables, then its secrets, read from the store, then
// the container's own variables, which override the same names. A secret
// that cannot be read is ECS's ResourceInitializationError. Callers hold
// mu.
func (s *Sandbox) environment(spec cloud.TaskSpec, c compose.Container) ([]compose.EnvVar, error) {
	var env []compose.EnvVar
	set := func(v compose.EnvVar) {
		for i := range env {
			if env[i].Name == v.Name {
				env[i] = v
				return
			}
		}
		env = append(env, v)
	}
	for _, v := range spec.Variables {
		set(v)
	}
	for _, ref := range spec.Secrets {
		value, err := s.readSecret(ref.ValueFrom)
		if err != nil {
			return nil, fmt.Errorf("ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: failed to fetch secret %s from secrets manager: %v", ref.ValueFrom, err)
		}
		set(compose.EnvVar{Name: ref.Name, Value: &value})
	}
	for _, v := range c.Environment {
		set(v)
	}
	return env, nil
}

// SecretInfo is a secret as GET /_local/sandbox shows it: never a value.
type SecretInfo struct {
	ID       string   `json:"id"`
	ARN      string   `json:"arn"`
	Versions []string `json:"versions"`
	// ScheduledForDeletion is when a Delete scheduled it, if one did.
	ScheduledForDeletion *time.Time `json:"scheduledForDeletion,omitempty"`
}

// SecretList lists the secrets and their version ids, oldest first, and
// never their values. It is a test and make run knob, not part of a port.
func (s *Sandbox) SecretList() []SecretInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []SecretInfo{}
	for _, sec := range s.secrets {
		info := SecretInfo{ID: sec.id, ARN: sec.arn, Versions: append([]string{}, sec.order...)}
		if !sec.deletedAt.IsZero() {
			at := sec.deletedAt
			info.ScheduledForDeletion = &at
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
