package dialect

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/compose"
	"github.com/berth-dev/berth/shared/deploy"
	"github.com/berth-dev/berth/shared/validation"
)

// MaxApplications is the most applications of an organisation a dialect's
// listing reads: dialect ids are not indexed, so finding one reads every
// application (README, "Other dialects").
const MaxApplications = 1000

// Service is the one use-case layer under the dialects: it turns their
// requests into Berth's applications, environments and deployments.
type Service struct {
	Apps   *apps.Service
	Deploy *deploy.Service
	Scopes ScopeStore
	Now    func() time.Time
}

// Workload is one application's environment: a CF app, a Qovery container.
type Workload struct {
	App apps.Application
	Env apps.Environment
}

// ID is the workload's dialect id.
func (w Workload) ID() string { return WorkloadID(w.App.Organisation, w.App.Name, w.Env.Name) }

// Name is the name the dialect created it with, else the application's.
func (w Workload) Name() string {
	if w.App.Label != "" {
		return w.App.Label
	}
	return w.App.Name
}

// Scope is the scope (environment name) the workload is in.
func (w Workload) Scope() Scope {
	return Scope{Organisation: w.App.Organisation, Name: w.Env.Name, CreatedAt: w.Env.CreatedAt}
}

// Container is the workload's container: the one named after the
// application, else the first.
func (w Workload) Container() compose.Container {
	cs := w.Env.Compose.Containers
	if i := slices.IndexFunc(cs, func(c compose.Container) bool { return c.Name == w.App.Name }); i >= 0 {
		return cs[i]
	}
	if len(cs) > 0 {
		return cs[0]
	}
	return compose.Container{}
}

// Started says whether the workload runs (or is to run) tasks.
func (w Workload) Started() bool { return !w.Env.Stopped }

// Instances is the task count it asks for: its desired count, or when
// stopped, the count a start restores.
func (w Workload) Instances() int {
	if w.Env.Stopped {
		return w.Env.StoppedCount
	}
	return w.Env.DesiredCount
}

// Spec is what a dialect's create asks for, in Berth's terms.
type Spec struct {
	// Name is the dialect's name; Berth's application name is made from it
	// (ApplicationName).
	Name string
	// Field is the request's path to the name, for errors.
	Field     string
	Container compose.Container
	Variables []compose.EnvVar
	// MinCapacity and MaxCapacity bound the task count; nil takes Berth's defaults.
	MinCapacity, MaxCapacity *int
	Started                  bool
	// MountPath, when set, asks for the application's shared EFS
	// filesystem mounted there (a Qovery storage): a new application is
	// made with it; an existing one must have it there already.
	MountPath string
	// MountField is the request's path to MountPath, for errors.
	MountField string
	// Fields names the dialect's field for a rule Berth's domain found
	// broken: Berth's path, or the part after the container's, to the
	// dialect's ("imageReference" to "docker_image").
	Fields map[string]string
}

// Rename gives the fields of validation errors the dialect's names.
func Rename(err error, fields map[string]string) error {
	var errs validation.Errors
	if !errors.As(err, &errs) || len(fields) == 0 {
		return err
	}
	out := validation.Errors{}
	for k, rules := range errs {
		name := k
		if f, ok := fields[k]; ok {
			name = f
		} else if _, rest, ok := strings.Cut(k, "containers[0]."); ok {
			head, _, _ := strings.Cut(rest, ".")
			if f, ok := fields[head]; ok {
				name = f
			}
		}
		out[name] = append(out[name], rules...)
	}
	return out
}

// ApplicationName is the Berth application name of a dialect's name:
// lower case, with '_' and ' ' as '-' (Cloud Foundry's "my_app" is "my-app").
func ApplicationName(name string) string {
	return strings.NewReplacer("_", "-", " ", "-").Replace(strings.ToLower(name))
}

// CheckScopeName adds the rules of a scope's name (an environment name).
func CheckScopeName(errs validation.Errors, field, name string) {
	apps.CheckName(errs, field, name)
}

// CreateScope records a scope, or returns the one of its name.
func (s *Service) CreateScope(ctx context.Context, org, field, name string) (Scope, error) {
	errs := validation.Errors{}
	CheckScopeName(errs, field, name)
	if err := errs.Err(); err != nil {
		return Scope{}, err
	}
	return s.Scopes.CreateScope(ctx, Scope{Organisation: org, Name: name, CreatedAt: s.now()})
}

// ListScopes is every scope of the organisation, by name: those recorded
// and the names of its environments.
func (s *Service) ListScopes(ctx context.Context, org string) ([]Scope, error) {
	recorded, err := s.Scopes.ListScopes(ctx, org)
	if err != nil {
		return nil, err
	}
	ws, err := s.Workloads(ctx, org)
	if err != nil {
		return nil, err
	}
	byName := map[string]Scope{}
	for _, sc := range recorded {
		byName[sc.Name] = sc
	}
	for _, w := range ws {
		if sc, ok := byName[w.Env.Name]; !ok || w.Env.CreatedAt.Before(sc.CreatedAt) {
			byName[w.Env.Name] = w.Scope()
		}
	}
	out := make([]Scope, 0, len(byName))
	for _, sc := range byName {
		out = append(out, sc)
	}
	slices.SortFunc(out, func(a, b Scope) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// FindScope finds the scope of a dialect id among the organisations'.
func (s *Service) FindScope(ctx context.Context, orgs []string, id string) (Scope, error) {
	for _, org := range orgs {
		scopes, err := s.ListScopes(ctx, org)
		if err != nil {
			return Scope{}, err
		}
		if i := slices.IndexFunc(scopes, func(sc Scope) bool { return sc.ID() == id }); i >= 0 {
			return scopes[i], nil
		}
	}
	return Scope{}, apps.NotFound("no space or environment has id %q in this token's organisations", id)
}

// Workloads is every application environment of the organisation, by
// application then environment name. Environments being deleted are left out.
func (s *Service) Workloads(ctx context.Context, org string) ([]Workload, error) {
	var out []Workload
	page := apps.PageRequest{Limit: 100}
	for read := 0; read < MaxApplications; {
		p, err := s.Apps.ListApplications(ctx, org, page)
		if err != nil {
			return nil, err
		}
		for _, a := range p.Items {
			read++
			if a.Status == apps.StatusDeleting {
				continue
			}
			app, envs, err := s.Apps.GetApplication(ctx, org, a.Name)
			if errors.Is(err, apps.ErrNotFound) {
				continue // deleted since the listing
			}
			if err != nil {
				return nil, err
			}
			for _, e := range envs {
				if e.Status != apps.StatusDeleting {
					out = append(out, Workload{App: app, Env: e})
				}
			}
		}
		if p.Next == "" {
			break
		}
		page.After = p.Next
	}
	return out, nil
}

// WorkloadsIn is the organisation's workloads in a scope.
func (s *Service) WorkloadsIn(ctx context.Context, org, scope string) ([]Workload, error) {
	ws, err := s.Workloads(ctx, org)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(ws, func(w Workload) bool { return w.Env.Name != scope }), nil
}

// FindWorkload finds the workload of a dialect id among the organisations'.
func (s *Service) FindWorkload(ctx context.Context, orgs []string, id string) (Workload, error) {
	for _, org := range orgs {
		ws, err := s.Workloads(ctx, org)
		if err != nil {
			return Workload{}, err
		}
		if i := slices.IndexFunc(ws, func(w Workload) bool { return w.ID() == id }); i >= 0 {
			return ws[i], nil
		}
	}
	return Workload{}, apps.NotFound("no app or container has id %q in this token's organisations", id)
}

// Create makes the workload: a new application whose first environment is
// the scope's, or, when the application exists, a new environment of it.
func (s *Service) Create(ctx context.Context, scope Scope, spec Spec) (Workload, error) {
	org, name := scope.Organisation, ApplicationName(spec.Name)
	errs := validation.Errors{}
	apps.CheckApplicationName(errs, spec.Field, name)
	if err := errs.Err(); err != nil {
		return Workload{}, err
	}
	spec.Container.Name = name
	def := compose.Definition{Containers: []compose.Container{spec.Container}, MinCapacity: spec.MinCapacity, MaxCapacity: spec.MaxCapacity}
	label := ""
	if spec.Name != name {
		label = spec.Name
	}
	existing, _, err := s.Apps.GetApplication(ctx, org, name)
	switch {
	case errors.Is(err, apps.ErrNotFound):
		var fs *apps.FilesystemRequest
		if spec.MountPath != "" {
			fs = &apps.FilesystemRequest{Required: ptr(true), MountPath: ptr(spec.MountPath)}
		}
		app, envs, err := s.Apps.CreateApplication(ctx, org, apps.CreateApplicationRequest{
			AppName: name, ComposeDefinition: &def, Environment: spec.Variables, Filesystem: fs,
			FirstEnvironment: scope.Name, Stopped: !spec.Started, Label: label,
		})
		if err != nil {
			return Workload{}, Rename(err, spec.Fields)
		}
		return Workload{App: app, Env: envs[0]}, nil
	case err != nil:
		return Workload{}, err
	}
	if err := CheckMount(existing, spec.MountPath, spec.MountField); err != nil {
		return Workload{}, err
	}
	env, err := s.Apps.CreateEnvironment(ctx, org, name, apps.CreateEnvironmentRequest{
		EnvName: scope.Name, ComposeDefinition: &def, Environment: spec.Variables, Stopped: !spec.Started,
	})
	if err != nil {
		return Workload{}, Rename(err, spec.Fields)
	}
	app, _, err := s.Apps.GetApplication(ctx, org, name)
	if err != nil {
		return Workload{}, err
	}
	return Workload{App: app, Env: env}, nil
}

// CheckMount refuses a filesystem mount path (field, in the request) that
// the application does not have: its shared EFS filesystem is made with
// it, at one path, and cannot be added or moved later. "" asks for none,
// and keeps what it has.
func CheckMount(app apps.Application, mountPath, field string) error {
	switch {
	case mountPath == "":
		return nil
	case app.Filesystem == nil:
		return apps.Conflict("%s: application %q was created without a shared filesystem, and one cannot be added to it; "+
			"leave the storage out, or create the container under another name", field, app.Name)
	case app.Filesystem.MountPath != mountPath:
		return apps.Conflict("%s: application %q's shared filesystem is mounted at %s, in every container, and cannot be moved; "+
			"give that mount point", field, app.Name, app.Filesystem.MountPath)
	}
	return nil
}

// Change is a dialect's update of a workload's definition and variables,
// deployed as one release.
type Change struct {
	// Edit changes the workload's container (and the definition around
	// it, for capacity); nil keeps them.
	Edit func(d *compose.Definition, c *compose.Container) error
	// Variables replace the environment's variables; nil keeps them.
	Variables *[]compose.EnvVar
	// Field is the request's path to the variables, for errors.
	Field string
	// Fields renames Berth's fields in errors, as Spec.Fields does.
	Fields map[string]string
}

// Update deploys a change of the workload.
func (s *Service) Update(ctx context.Context, w Workload, by string, ch Change) (Workload, error) {
	if ch.Variables != nil {
		errs := validation.Errors{}
		compose.CheckVariables(*ch.Variables, errs, ch.Field)
		if err := errs.Err(); err != nil {
			return Workload{}, err
		}
	}
	next := func(env apps.Environment) (*compose.Definition, error) {
		d := env.Compose.Clone()
		if ch.Edit == nil {
			return &d, nil
		}
		i := slices.IndexFunc(d.Containers, func(c compose.Container) bool { return c.Name == w.App.Name })
		if i < 0 {
			i = 0
		}
		if len(d.Containers) == 0 {
			return nil, apps.Conflict("environment %q has no container to change", env.Name)
		}
		if err := ch.Edit(&d, &d.Containers[i]); err != nil {
			return nil, err
		}
		return &d, nil
	}
	edit := func(env apps.Environment) (deploy.Configuration, error) {
		cfg := deploy.Configuration{Variables: env.Variables, Secrets: env.Secrets}
		if ch.Variables != nil {
			cfg.Variables = *ch.Variables
		}
		return cfg, nil
	}
	_, env, err := s.Deploy.Apply(ctx, w.request(by), next, edit)
	if err != nil {
		return Workload{}, Rename(err, ch.Fields)
	}
	return Workload{App: w.App, Env: env}, nil
}

// SetState starts or stops the workload; a start of a running one, or a
// stop of a stopped one, changes nothing.
func (s *Service) SetState(ctx context.Context, w Workload, by string, started bool) (Workload, error) {
	if started == w.Started() {
		return w, nil
	}
	action := string(deploy.ActionStop)
	if started {
		action = string(deploy.ActionStart)
	}
	return s.changeState(ctx, w, by, action)
}

// Redeploy rolls the workload's tasks over on its serving release.
func (s *Service) Redeploy(ctx context.Context, w Workload, by string) (Workload, error) {
	return s.changeState(ctx, w, by, string(deploy.ActionRedeploy))
}

func (s *Service) changeState(ctx context.Context, w Workload, by, action string) (Workload, error) {
	if w.Env.Status == apps.StatusCreating {
		return Workload{}, apps.Conflict("%q is still being created (environment %q of application %q); change its state once it is ready", w.Name(), w.Env.Name, w.App.Name)
	}
	_, env, err := s.Deploy.ChangeState(ctx, w.request(by), deploy.StateRequest{Action: &action})
	if err != nil {
		return Workload{}, err
	}
	return Workload{App: w.App, Env: env}, nil
}

// Delete tears the workload down: its environment, or the whole
// application when it is the application's first environment, which goes
// only with it, once the application's other environments are gone.
func (s *Service) Delete(ctx context.Context, w Workload) error {
	if w.Env.Name == w.App.First() {
		_, envs, err := s.Apps.GetApplication(ctx, w.App.Organisation, w.App.Name)
		if err != nil {
			return err
		}
		var others []string
		for _, e := range envs {
			if e.Name != w.Env.Name && e.Status != apps.StatusDeleting {
				others = append(others, e.Name)
			}
		}
		if len(others) > 0 {
			return apps.Conflict("%q is application %q's first environment, which goes only with the application; delete it from %s first",
				w.Name(), w.App.Name, strings.Join(others, ", "))
		}
		_, _, err = s.Apps.DeleteApplication(ctx, w.App.Organisation, w.App.Name)
		return err
	}
	_, err := s.Apps.DeleteEnvironment(ctx, w.App.Organisation, w.App.Name, w.Env.Name)
	return err
}

func (w Workload) request(by string) deploy.Request {
	return deploy.Request{Organisation: w.App.Organisation, Application: w.App.Name, Environment: w.Env.Name, By: by}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func ptr[T any](v T) *T { return &v }
