package configuration

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/compose"
	"github.com/berth-dev/berth/shared/deploy"
	"github.com/berth-dev/berth/shared/pattern"
	"github.com/berth-dev/berth/shared/validation"
)

// Limits. A secret's value is bounded by Secrets Manager's 64 KiB; the
// variables by what a task definition holds (every container gets them).
const (
	MaxNameLength    = 255
	MaxVariables     = 100
	MaxValueBytes    = 4096
	MaxSecrets       = 50
	MaxSecretBytes   = 64 * 1024
	maxVariableBytes = 32 * 1024
)

// nameRE is POSIX's portable variable name.
var nameRE = pattern.New(`^[A-Za-z_][A-Za-z0-9_]*$`, 1, MaxNameLength)

// ReservedPrefixes are Berth's and the platform's: ECS and the AWS SDKs
// read AWS_* and ECS_* in the container.
var ReservedPrefixes = []string{"BERTH_", "AWS_", "ECS_"}

// reservedNames are the database variables Berth sets (shared/cloud).
var reservedNames = []string{cloud.EnvDatabaseHost, cloud.EnvDatabasePort, cloud.EnvDatabaseName, cloud.EnvDatabaseUser, cloud.EnvDatabasePassword}

// CheckName adds to errs, under field, why name cannot name a variable or secret.
func CheckName(errs validation.Errors, field, name string) {
	switch {
	case name == "":
		errs.Add(field, "is required")
	case !nameRE.MatchString(name):
		errs.Addf(field, "must be a POSIX variable name: a letter or '_' first, then letters, digits and '_' (no '='), at most %d characters; got %q", MaxNameLength, clip(name))
	case slices.Contains(reservedNames, name):
		errs.Addf(field, "%s is set by Berth from the application's database; choose another name", name)
	default:
		for _, p := range ReservedPrefixes {
			if strings.HasPrefix(strings.ToUpper(name), p) {
				errs.Addf(field, "names starting with %s are reserved for Berth and the platform; got %q", p, name)
			}
		}
	}
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// Variable is a name and value, as the API shows and takes them.
type Variable struct {
	Name  string  `json:"name"`
	Value *string `json:"value"`
}

// ReplaceRequest is the body of PUT .../variables: the whole new set.
type ReplaceRequest struct {
	Variables []Variable `json:"variables"`
}

// ValueRequest is the body of PUT .../variables/{name} and .../secrets/{name}.
type ValueRequest struct {
	Value *string `json:"value"`
}

// Store is what the configuration use cases read.
type Store interface {
	GetEnvironment(ctx context.Context, org, app, name string) (apps.Environment, error)
}

// Service runs the configuration use cases. Every change is a release,
// deployed by Deploy.
type Service struct {
	Store   Store
	Deploy  *deploy.Service
	Secrets SecretStore
	// NewToken makes a secret write's client request token.
	NewToken func() string
}

// NewService wires the use cases; secrets may be nil for routes that keep none.
func NewService(store Store, deployments *deploy.Service, secrets SecretStore) *Service {
	return &Service{Store: store, Deploy: deployments, Secrets: secrets, NewToken: randomToken}
}

func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

// Variables are the environment's variables as its serving release runs them.
func (s *Service) Variables(ctx context.Context, org, app, env string) ([]compose.EnvVar, error) {
	e, err := s.Store.GetEnvironment(ctx, org, app, env)
	if err != nil {
		return nil, err
	}
	return e.Variables, nil
}

// SecretsOf are the environment's secrets, names and versions only.
func (s *Service) SecretsOf(ctx context.Context, org, app, env string) ([]apps.SecretVariable, error) {
	e, err := s.Store.GetEnvironment(ctx, org, app, env)
	if err != nil {
		return nil, err
	}
	return e.Secrets, nil
}

// ReplaceVariables makes the environment's variables exactly body's, and deploys them.
func (s *Service) ReplaceVariables(ctx context.Context, r deploy.Request, body ReplaceRequest) (deploy.Deployment, apps.Environment, error) {
	errs := validation.Errors{}
	if body.Variables == nil {
		errs.Add("variables", "is required: the whole new set, [] for none")
	}
	if len(body.Variables) > MaxVariables {
		errs.Addf("variables", "must hold at most %d items", MaxVariables)
	}
	seen := map[string]int{}
	vars := make([]compose.EnvVar, 0, len(body.Variables))
	for i, v := range body.Variables {
		at := validation.Index("variables", i)
		CheckName(errs, at+".name", v.Name)
		if j, dup := seen[v.Name]; dup && v.Name != "" {
			errs.Addf(at+".name", "must be unique: variables[%d] has it already", j)
		}
		seen[v.Name] = i
		checkValue(errs, at+".value", v.Value)
		vars = append(vars, compose.EnvVar{Name: v.Name, Value: v.Value})
	}
	if err := errs.Err(); err != nil {
		return deploy.Deployment{}, apps.Environment{}, err
	}
	return s.Deploy.Configure(ctx, r, deploy.CauseVariables, func(env apps.Environment) (deploy.Configuration, error) {
		if err := checkFits(vars, env.Secrets, "variables"); err != nil {
			return deploy.Configuration{}, err
		}
		return deploy.Configuration{Variables: vars, Secrets: env.Secrets}, nil
	})
}

// SetVariable sets one variable, adding it or changing its value, and deploys.
func (s *Service) SetVariable(ctx context.Context, r deploy.Request, name string, body ValueRequest) (deploy.Deployment, apps.Environment, error) {
	errs := validation.Errors{}
	CheckName(errs, "name", name)
	checkValue(errs, "value", body.Value)
	if err := errs.Err(); err != nil {
		return deploy.Deployment{}, apps.Environment{}, err
	}
	return s.Deploy.Configure(ctx, r, deploy.CauseVariables, func(env apps.Environment) (deploy.Configuration, error) {
		vars := slices.Clone(env.Variables)
		if i := slices.IndexFunc(vars, func(v compose.EnvVar) bool { return v.Name == name }); i >= 0 {
			vars[i].Value = body.Value
		} else {
			vars = append(vars, compose.EnvVar{Name: name, Value: body.Value})
		}
		if len(vars) > MaxVariables {
			return deploy.Configuration{}, apps.Conflict("environment %q has %d variables, the most it can have", env.Name, MaxVariables)
		}
		if err := checkFits(vars, env.Secrets, "value"); err != nil {
			return deploy.Configuration{}, err
		}
		return deploy.Configuration{Variables: vars, Secrets: env.Secrets}, nil
	})
}

// DeleteVariable removes one variable and deploys.
func (s *Service) DeleteVariable(ctx context.Context, r deploy.Request, name string) (deploy.Deployment, apps.Environment, error) {
	return s.Deploy.Configure(ctx, r, deploy.CauseVariables, func(env apps.Environment) (deploy.Configuration, error) {
		i := slices.IndexFunc(env.Variables, func(v compose.EnvVar) bool { return v.Name == name })
		if i < 0 {
			return deploy.Configuration{}, apps.NotFound("environment %q has no variable %q", env.Name, name)
		}
		return deploy.Configuration{Variables: slices.Delete(slices.Clone(env.Variables), i, i+1), Secrets: env.Secrets}, nil
	})
}

// SetSecret writes a new version of one secret and deploys it. The value
// goes to the SecretStore and nowhere else: not into the records, the
// answer, the audit event or an error.
func (s *Service) SetSecret(ctx context.Context, r deploy.Request, name string, body ValueRequest) (deploy.Deployment, apps.Environment, error) {
	errs := validation.Errors{}
	CheckName(errs, "name", name)
	switch {
	case body.Value == nil:
		errs.Add("value", "is required")
	case len(*body.Value) > MaxSecretBytes:
		errs.Addf("value", "must be at most %d bytes (64 KiB, Secrets Manager's limit); got %d", MaxSecretBytes, len(*body.Value))
	}
	if err := errs.Err(); err != nil {
		return deploy.Deployment{}, apps.Environment{}, err
	}
	var written *cloud.Ref // a secret this change created, undone if the change is refused
	dep, env, err := s.Deploy.Configure(ctx, r, deploy.CauseSecrets, func(env apps.Environment) (deploy.Configuration, error) {
		if slices.ContainsFunc(env.Variables, func(v compose.EnvVar) bool { return v.Name == name }) {
			return deploy.Configuration{}, validation.Errors{"name": {fmt.Sprintf("%s is a variable of environment %q; delete the variable first", name, env.Name)}}
		}
		secrets := slices.Clone(env.Secrets)
		i := slices.IndexFunc(secrets, func(v apps.SecretVariable) bool { return v.Name == name })
		if i < 0 && len(secrets) >= MaxSecrets {
			return deploy.Configuration{}, apps.Conflict("environment %q has %d secrets, the most it can have", env.Name, MaxSecrets)
		}
		id := envTarget(env).Names().VariableSecret(name)
		v, err := s.Secrets.Put(ctx, SecretWrite{ID: id, Value: *body.Value, Token: s.NewToken(), Tags: envTarget(env).Names().Tags()})
		if err != nil {
			return deploy.Configuration{}, secretError(name, *body.Value, err)
		}
		cfg := deploy.Configuration{Variables: env.Variables}
		entry := apps.SecretVariable{Name: name, Version: 1, ValueFrom: v.ValueFrom(), UpdatedAt: time.Now().UTC()}
		if i >= 0 {
			entry.Version = secrets[i].Version + 1
			secrets[i] = entry
		} else {
			secrets = append(secrets, entry)
		}
		cfg.Secrets = secrets
		if !slices.ContainsFunc(env.Resources, func(ref cloud.Ref) bool { return ref.Kind == cloud.KindSecret && ref.Name == id }) {
			ref := cloud.Ref{Kind: cloud.KindSecret, Name: id, ID: v.ARN}
			cfg.Refs, written = append(cfg.Refs, ref), &ref
		}
		return cfg, nil
	})
	if err != nil && written != nil {
		// Recorded nowhere: delete it, on a deadline of its own.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		// By its name, as Put and DeleteSecret name it (written.ID is its ARN).
		if derr := s.Secrets.Delete(cctx, written.Name); derr != nil {
			err = errors.Join(err, fmt.Errorf("and the secret written for it could not be removed: %w", derr))
		}
	}
	return dep, env, err
}

// DeleteSecret removes one secret from the environment, deploys, and
// schedules its value's deletion (Secrets Manager keeps it 7 days).
func (s *Service) DeleteSecret(ctx context.Context, r deploy.Request, name string) (deploy.Deployment, apps.Environment, error) {
	var id string
	dep, env, err := s.Deploy.Configure(ctx, r, deploy.CauseSecrets, func(env apps.Environment) (deploy.Configuration, error) {
		i := slices.IndexFunc(env.Secrets, func(v apps.SecretVariable) bool { return v.Name == name })
		if i < 0 {
			return deploy.Configuration{}, apps.NotFound("environment %q has no secret %q", env.Name, name)
		}
		id = envTarget(env).Names().VariableSecret(name)
		return deploy.Configuration{Variables: env.Variables, Secrets: slices.Delete(slices.Clone(env.Secrets), i, i+1)}, nil
	})
	if err != nil {
		return dep, env, err
	}
	// The tasks still serving read it when they started; teardown deletes
	// it too if this fails, so a failure here is only reported.
	if err := s.Secrets.Delete(ctx, id); err != nil {
		return dep, env, apps.Unavailable(err, "the secret was removed from the environment, but its value could not be deleted yet; repeat the DELETE later")
	}
	return dep, env, nil
}

func envTarget(env apps.Environment) apps.Target {
	return apps.Target{Organisation: env.Organisation, Application: env.Application, Environment: env.Name, UID: env.UID}
}

func checkValue(errs validation.Errors, field string, v *string) {
	switch {
	case v == nil:
		errs.Add(field, "is required (an empty string is a value)")
	case len(*v) > MaxValueBytes:
		errs.Addf(field, "must be at most %d bytes; keep larger values in a secret", MaxValueBytes)
	}
}

// checkFits refuses variables that clash with a secret's name, or that
// together outgrow what a task definition can carry.
func checkFits(vars []compose.EnvVar, secrets []apps.SecretVariable, field string) error {
	total := 0
	for _, v := range vars {
		if slices.ContainsFunc(secrets, func(s apps.SecretVariable) bool { return s.Name == v.Name }) {
			return validation.Errors{field: {fmt.Sprintf("%s is a secret of the environment; a name is a variable or a secret, not both", v.Name)}}
		}
		total += len(v.Name) + len(derefString(v.Value))
	}
	if total > maxVariableBytes {
		return validation.Errors{field: {fmt.Sprintf("the variables would hold %d bytes; at most %d fit in a task definition", total, maxVariableBytes)}}
	}
	return nil
}

func derefString(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// secretError says what went wrong writing a secret, naming it but never
// its value (the provider's message is not passed on as it is: it may
// quote it, so the cause kept for the logs has the value cut out).
func secretError(name, value string, err error) error {
	if errors.Is(err, ErrTokenReused) {
		return apps.Conflict("secret %q was being written by another request; retry", name)
	}
	return apps.Unavailable(redacted{err, value}, "secret %q could not be stored, so nothing changed; retry the request", name)
}

// redacted is an error whose text has value cut out; errors.Is and
// errors.As still see what it wraps.
type redacted struct {
	err   error
	value string
}

func (r redacted) Error() string {
	if r.value == "" {
		return r.err.Error()
	}
	return strings.ReplaceAll(r.err.Error(), r.value, "[secret value]")
}

func (r redacted) Unwrap() error { return r.err }
