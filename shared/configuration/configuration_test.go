package configuration

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/compose"
	"github.com/berth-dev/berth/shared/deploy"
	"github.com/berth-dev/berth/shared/validation"
)

func TestCheckName(t *testing.T) {
	for name, ok := range map[string]bool{
		"PORT": true, "_x": true, "a1_B2": true, "db_host": true, strings.Repeat("A", 255): true, "BERTHA": true,
		"": false, "1ABC": false, "A=B": false, "A-B": false, "A B": false, "É": false, strings.Repeat("A", 256): false,
		"AWS_REGION": false, "aws_region": false, "Aws_x": false, "BERTH_X": false, "berth_": false, "ECS_AGENT": false, "ecs_x": false,
		"DB_HOST": false, "DB_PORT": false, "DB_NAME": false, "DB_USER": false, "DB_PASSWORD": false,
	} {
		errs := validation.Errors{}
		CheckName(errs, "variables[3].name", name)
		if got := len(errs) == 0; got != ok {
			t.Errorf("%q: accepted %v, want %v (%v)", name, got, ok, errs)
		}
		if !ok && (len(errs) != 1 || errs["variables[3].name"] == nil) {
			t.Errorf("%q: %v names another field", name, errs)
		}
	}
}

// deployStore is a deploy.Store of one application's environments;
// StartDeployment records what it is given.
type deployStore struct {
	app      apps.Application
	envs     []apps.Environment
	startErr error
	started  []started
	abandons int
}

type started struct {
	releases []deploy.Release
	dep      deploy.Deployment
	refs     []cloud.Ref
}

func (s *deployStore) GetApplication(_ context.Context, org, name string) (apps.Application, []apps.Environment, error) {
	if name != s.app.Name {
		return apps.Application{}, nil, apps.NotFound("no application %q", name)
	}
	return s.app, slices.Clone(s.envs), nil
}

func (s *deployStore) GetEnvironment(_ context.Context, org, app, name string) (apps.Environment, error) {
	for _, e := range s.envs {
		if e.Name == name {
			return e, nil
		}
	}
	return apps.Environment{}, apps.NotFound("no environment %q", name)
}

func (s *deployStore) StartDeployment(_ context.Context, env apps.Environment, releases []deploy.Release, dep deploy.Deployment, ifVersion *int64, refs ...cloud.Ref) error {
	if s.startErr != nil {
		return s.startErr
	}
	s.started = append(s.started, started{releases, dep, refs})
	return nil
}

func (s *deployStore) AbandonDeployment(context.Context, apps.Environment, deploy.Deployment, string, time.Time) error {
	s.abandons++
	return nil
}

func (s *deployStore) GetRelease(context.Context, apps.Environment, int) (deploy.Release, error) {
	return deploy.Release{}, apps.ErrNotFound
}

func (s *deployStore) GetDeployment(context.Context, apps.Environment, int) (deploy.Deployment, error) {
	return deploy.Deployment{}, apps.ErrNotFound
}

func (s *deployStore) ListReleases(context.Context, apps.Environment, apps.PageRequest) (apps.Page[deploy.Release], error) {
	return apps.Page[deploy.Release]{}, nil
}

func (s *deployStore) ListDeployments(context.Context, apps.Environment, apps.PageRequest) (apps.Page[deploy.Deployment], error) {
	return apps.Page[deploy.Deployment]{}, nil
}

func (s *deployStore) RequestCancel(context.Context, apps.Environment, int) (deploy.Deployment, error) {
	return deploy.Deployment{}, apps.Conflict("finished")
}

// workflows is an apps.WorkflowStarter that fails with err.
type workflows struct {
	err     error
	started []apps.Execution
}

func (w *workflows) Start(_ context.Context, e apps.Execution) error {
	if w.err != nil {
		return w.err
	}
	w.started = append(w.started, e)
	return nil
}

// secrets is a SecretStore that records its calls.
type secrets struct {
	putErr, deleteErr error
	puts              []SecretWrite
	deletes           []string
}

func (s *secrets) Put(_ context.Context, w SecretWrite) (SecretVersion, error) {
	s.puts = append(s.puts, w)
	if s.putErr != nil {
		return SecretVersion{}, s.putErr
	}
	return SecretVersion{ARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:" + w.ID + "-AbCdEf", VersionID: w.Token}, nil
}

func (s *secrets) Delete(_ context.Context, id string) error {
	s.deletes = append(s.deletes, id)
	return s.deleteErr
}

func str(s string) *string { return &s }

// fixture is a Service on one ACTIVE environment, staging, with a
// variable LEVEL and a secret API_KEY.
type fixture struct {
	store     *deployStore
	workflows *workflows
	secrets   *secrets
	svc       *Service
}

var req = deploy.Request{Organisation: "acme", Application: "shop", Environment: "staging", By: "alice"}

func newFixture() *fixture {
	one := 1
	env := apps.Environment{Organisation: "acme", Application: "shop", Name: "staging", UID: "0123456789abcdef0123456789abcdef", Status: apps.StatusActive,
		Compose:     compose.Definition{Containers: []compose.Container{{Name: "web", ImageReference: &compose.ImageReference{Type: compose.ImageExternal, Identifier: "nginx"}}}, MinCapacity: &one, MaxCapacity: &one},
		MinCapacity: 1, MaxCapacity: 1, DesiredCount: 1, Version: 3,
		Variables: []compose.EnvVar{{Name: "LEVEL", Value: str("debug")}},
		Secrets:   []apps.SecretVariable{{Name: "API_KEY", Version: 2, ValueFrom: "arn:old"}},
	}
	env.Resources = []cloud.Ref{{Kind: cloud.KindSecret, Name: envTarget(env).Names().VariableSecret("API_KEY")}}
	st := &deployStore{app: apps.Application{Organisation: "acme", Name: "shop", Status: apps.StatusActive}, envs: []apps.Environment{env}}
	f := &fixture{store: st, workflows: &workflows{}, secrets: &secrets{}}
	f.svc = NewService(st, deploy.NewService(st, f.workflows), f.secrets)
	f.svc.NewToken = func() string { return strings.Repeat("t", 32) }
	return f
}

// released is the configuration of the release the last deployment started.
func (f *fixture) released(t *testing.T) deploy.Release {
	t.Helper()
	if len(f.store.started) == 0 {
		t.Fatal("no deployment started")
	}
	rels := f.store.started[len(f.store.started)-1].releases
	return rels[len(rels)-1]
}

func names(vars []compose.EnvVar) []string {
	var out []string
	for _, v := range vars {
		out = append(out, v.Name+"="+*v.Value)
	}
	return out
}

func TestReplaceVariables(t *testing.T) {
	many := make([]Variable, MaxVariables+1)
	for i := range many {
		many[i] = Variable{Name: "V" + strconv.Itoa(i), Value: str("x")}
	}
	big := make([]Variable, 9)
	for i := range big {
		big[i] = Variable{Name: "BIG" + strconv.Itoa(i), Value: str(strings.Repeat("x", MaxValueBytes))}
	}
	for _, c := range []struct {
		name string
		vars []Variable
		bad  []string
	}{
		{"missing", nil, []string{"variables"}},
		{"duplicate names", []Variable{{"A", str("1")}, {"B", str("2")}, {"A", str("3")}}, []string{"variables[2].name"}},
		{"a reserved name and a missing value", []Variable{{"AWS_REGION", str("x")}, {"OK", nil}}, []string{"variables[0].name", "variables[1].value"}},
		{"a value too long", []Variable{{"A", str(strings.Repeat("x", MaxValueBytes+1))}}, []string{"variables[0].value"}},
		{"too many", many, []string{"variables"}},
		{"too many bytes together", big, []string{"variables"}},
		{"a secret's name", []Variable{{"API_KEY", str("x")}}, []string{"variables"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture()
			_, _, err := f.svc.ReplaceVariables(context.Background(), req, ReplaceRequest{Variables: c.vars})
			var errs validation.Errors
			if !errors.As(err, &errs) || !slices.Equal(errs.Fields(), c.bad) {
				t.Fatalf("error %v, want one naming %v", err, c.bad)
			}
			if len(f.store.started) != 0 || len(f.workflows.started) != 0 {
				t.Error("a refused change deployed")
			}
		})
	}

	f := newFixture()
	dep, env, err := f.svc.ReplaceVariables(context.Background(), req, ReplaceRequest{Variables: []Variable{{"B", str("2")}, {"A", str("")}}})
	if err != nil {
		t.Fatal(err)
	}
	rel := f.released(t)
	if got := names(rel.Variables); !slices.Equal(got, []string{"B=2", "A="}) || len(rel.Secrets) != 1 || rel.Cause != deploy.CauseVariables {
		t.Errorf("release %v, secrets %v, cause %s", got, rel.Secrets, rel.Cause)
	}
	if dep.Number != 1 || env.Deploying != 1 || len(f.workflows.started) != 1 {
		t.Errorf("deployment %+v, environment deploying %d", dep, env.Deploying)
	}

	f = newFixture()
	if _, _, err := f.svc.ReplaceVariables(context.Background(), req, ReplaceRequest{Variables: []Variable{}}); err != nil || len(f.released(t).Variables) != 0 {
		t.Errorf("[] removes them all: %v", err)
	}
}

func TestSetAndDeleteVariable(t *testing.T) {
	f := newFixture()
	if _, _, err := f.svc.SetVariable(context.Background(), req, "LEVEL", ValueRequest{Value: str("info")}); err != nil {
		t.Fatal(err)
	}
	if got := names(f.released(t).Variables); !slices.Equal(got, []string{"LEVEL=info"}) {
		t.Errorf("changed: %v", got)
	}
	f = newFixture()
	if _, _, err := f.svc.SetVariable(context.Background(), req, "PORT", ValueRequest{Value: str("80")}); err != nil {
		t.Fatal(err)
	}
	if got := names(f.released(t).Variables); !slices.Equal(got, []string{"LEVEL=debug", "PORT=80"}) {
		t.Errorf("added: %v", got)
	}
	for _, c := range []struct {
		name, variable string
		value          *string
		bad            string
	}{
		{"reserved", "ECS_X", str("1"), "name"},
		{"no value", "PORT", nil, "value"},
		{"a secret's name", "API_KEY", str("1"), "value"},
	} {
		f := newFixture()
		_, _, err := f.svc.SetVariable(context.Background(), req, c.variable, ValueRequest{Value: c.value})
		var errs validation.Errors
		if !errors.As(err, &errs) || errs[c.bad] == nil || len(f.store.started) != 0 {
			t.Errorf("%s: %v", c.name, err)
		}
	}

	f = newFixture()
	if _, _, err := f.svc.DeleteVariable(context.Background(), req, "LEVEL"); err != nil || len(f.released(t).Variables) != 0 {
		t.Errorf("delete: %v", err)
	}
	f = newFixture()
	if _, _, err := f.svc.DeleteVariable(context.Background(), req, "NOPE"); !errors.Is(err, apps.ErrNotFound) || len(f.store.started) != 0 {
		t.Errorf("delete a missing one: %v", err)
	}
}

const value = "s3cr3t-value-that-must-not-leak"

// noValue fails the test if err's text holds the secret's value.
func noValue(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), value) {
		t.Errorf("%s: the error holds the value: %v", what, err)
	}
}

func TestSetSecret(t *testing.T) {
	f := newFixture()
	id := envTarget(f.store.envs[0]).Names().VariableSecret("TOKEN")
	if _, _, err := f.svc.SetSecret(context.Background(), req, "TOKEN", ValueRequest{Value: str(value)}); err != nil {
		t.Fatal(err)
	}
	if len(f.secrets.puts) != 1 || f.secrets.puts[0].ID != id || f.secrets.puts[0].Value != value || f.secrets.puts[0].Tags[cloud.TagUID] != f.store.envs[0].UID {
		t.Fatalf("puts %+v", f.secrets.puts)
	}
	rel := f.released(t)
	if i := slices.IndexFunc(rel.Secrets, func(s apps.SecretVariable) bool { return s.Name == "TOKEN" }); i < 0 || rel.Secrets[i].Version != 1 ||
		!strings.HasPrefix(rel.Secrets[i].ValueFrom, "arn:aws:secretsmanager:") || len(rel.Secrets) != 2 {
		t.Errorf("secrets %+v", rel.Secrets)
	}
	if refs := f.store.started[0].refs; len(refs) != 1 || refs[0].Name != id || refs[0].Kind != cloud.KindSecret {
		t.Errorf("refs %+v", refs)
	}
	if strings.Contains(fmt.Sprintf("%+v", f.store.started), value) {
		t.Error("the value reached the records")
	}

	// A new version of one the environment has: no new ref, version 3.
	f = newFixture()
	if _, _, err := f.svc.SetSecret(context.Background(), req, "API_KEY", ValueRequest{Value: str(value)}); err != nil {
		t.Fatal(err)
	}
	if s := f.released(t).Secrets; len(s) != 1 || s[0].Version != 3 || len(f.store.started[0].refs) != 0 {
		t.Errorf("secrets %+v, refs %+v", s, f.store.started[0].refs)
	}
}

func TestSetSecretRefusals(t *testing.T) {
	for _, c := range []struct {
		name, secret string
		value        *string
		setup        func(*fixture)
		check        func(error) bool
		puts         int
	}{
		{name: "too long: refused before any store call", secret: "TOKEN", value: str(strings.Repeat("v", MaxSecretBytes+1)),
			check: func(err error) bool { return fieldIs(err, "value") }},
		{name: "64 KiB exactly is fine", secret: "TOKEN", value: str(strings.Repeat("v", MaxSecretBytes)), check: func(err error) bool { return err == nil }, puts: 1},
		{name: "no value", secret: "TOKEN", check: func(err error) bool { return fieldIs(err, "value") }},
		{name: "reserved name", secret: "BERTH_TOKEN", value: str(value), check: func(err error) bool { return fieldIs(err, "name") }},
		{name: "a variable's name", secret: "LEVEL", value: str(value), check: func(err error) bool { return fieldIs(err, "name") }},
		{name: "not ACTIVE", secret: "TOKEN", value: str(value), setup: func(f *fixture) { f.store.envs[0].Status = apps.StatusCreating },
			check: func(err error) bool { return errors.Is(err, apps.ErrConflict) }},
		{name: "too many secrets", secret: "TOKEN", value: str(value), setup: func(f *fixture) {
			for i := len(f.store.envs[0].Secrets); i < MaxSecrets; i++ {
				f.store.envs[0].Secrets = append(f.store.envs[0].Secrets, apps.SecretVariable{Name: "S" + strconv.Itoa(i)})
			}
		}, check: func(err error) bool { return errors.Is(err, apps.ErrConflict) }},
		{name: "the store fails, quoting the value", secret: "TOKEN", value: str(value), setup: func(f *fixture) {
			f.secrets.putErr = errors.New("ValidationException: bad secret string " + value)
		}, check: func(err error) bool { return errors.Is(err, apps.ErrUnavailable) }, puts: 1},
		{name: "the token was used with another value", secret: "TOKEN", value: str(value), setup: func(f *fixture) {
			f.secrets.putErr = fmt.Errorf("%w: %s", ErrTokenReused, value)
		}, check: func(err error) bool { return errors.Is(err, apps.ErrConflict) }, puts: 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture()
			if c.setup != nil {
				c.setup(f)
			}
			_, _, err := f.svc.SetSecret(context.Background(), req, c.secret, ValueRequest{Value: c.value})
			if !c.check(err) {
				t.Fatalf("error %v", err)
			}
			noValue(t, c.name, err)
			if len(f.secrets.puts) != c.puts || len(f.secrets.deletes) != 0 {
				t.Errorf("%d puts, deletes %v; want %d puts", len(f.secrets.puts), f.secrets.deletes, c.puts)
			}
			if err != nil && len(f.store.started) != 0 {
				t.Error("a refused change deployed")
			}
		})
	}
}

func fieldIs(err error, field string) bool {
	var errs validation.Errors
	return errors.As(err, &errs) && slices.Equal(errs.Fields(), []string{field})
}

func TestSetSecretRemovesTheSecretItCreatedWhenTheDeploymentCannotStart(t *testing.T) {
	for _, c := range []struct {
		name      string
		secret    string
		setup     func(*fixture)
		deletes   int
		deleteErr error
	}{
		{name: "the records refuse the deployment", secret: "TOKEN", setup: func(f *fixture) { f.store.startErr = apps.Conflict("changed meanwhile") }, deletes: 1},
		{name: "the workflow does not start", secret: "TOKEN", setup: func(f *fixture) { f.workflows.err = errors.New("throttled") }, deletes: 1},
		{name: "and the delete fails too", secret: "TOKEN", setup: func(f *fixture) {
			f.store.startErr = apps.Conflict("changed meanwhile")
			f.secrets.deleteErr = errors.New("delete refused")
		}, deletes: 1},
		{name: "a secret the environment had is kept", secret: "API_KEY", setup: func(f *fixture) { f.store.startErr = apps.Conflict("changed meanwhile") }},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture()
			c.setup(f)
			_, _, err := f.svc.SetSecret(context.Background(), req, c.secret, ValueRequest{Value: str(value)})
			if err == nil {
				t.Fatal("accepted")
			}
			noValue(t, c.name, err)
			if len(f.secrets.puts) != 1 || len(f.secrets.deletes) != c.deletes {
				t.Fatalf("puts %d, deletes %v", len(f.secrets.puts), f.secrets.deletes)
			}
			if c.deletes > 0 && f.secrets.deletes[0] != f.secrets.puts[0].ID {
				t.Errorf("deleted %q, want the secret written, %q", f.secrets.deletes[0], f.secrets.puts[0].ID)
			}
			if f.secrets.deleteErr != nil && !strings.Contains(err.Error(), "delete refused") {
				t.Errorf("the failed delete is not told: %v", err)
			}
		})
	}
}

func TestDeleteSecret(t *testing.T) {
	f := newFixture()
	if _, _, err := f.svc.DeleteSecret(context.Background(), req, "API_KEY"); err != nil {
		t.Fatal(err)
	}
	if len(f.released(t).Secrets) != 0 || !slices.Equal(f.secrets.deletes, []string{envTarget(f.store.envs[0]).Names().VariableSecret("API_KEY")}) {
		t.Errorf("secrets %v, deletes %v", f.released(t).Secrets, f.secrets.deletes)
	}

	f = newFixture()
	if _, _, err := f.svc.DeleteSecret(context.Background(), req, "NOPE"); !errors.Is(err, apps.ErrNotFound) || len(f.secrets.deletes) != 0 {
		t.Errorf("a missing one: %v, deletes %v", err, f.secrets.deletes)
	}

	f = newFixture()
	f.secrets.deleteErr = errors.New("throttled")
	if _, _, err := f.svc.DeleteSecret(context.Background(), req, "API_KEY"); !errors.Is(err, apps.ErrUnavailable) || len(f.store.started) != 1 {
		t.Errorf("the value's delete failing: %v", err)
	}

	f = newFixture()
	f.store.startErr = apps.Conflict("changed meanwhile")
	if _, _, err := f.svc.DeleteSecret(context.Background(), req, "API_KEY"); !errors.Is(err, apps.ErrConflict) || len(f.secrets.deletes) != 0 {
		t.Errorf("a refused change deletes nothing: %v, deletes %v", err, f.secrets.deletes)
	}
}
