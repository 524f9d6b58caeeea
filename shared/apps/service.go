package apps

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"slices"
	"time"

	"github.com/berth-dev/berth/shared/compose"
	"github.com/berth-dev/berth/shared/pattern"
	"github.com/berth-dev/berth/shared/validation"
)

// Store keeps application and environment records. Creates are
// conditional: they fail with ErrConflict when the name is taken, and with
// ErrNotFound or ErrConflict when the parent application is missing or
// being deleted.
type Store interface {
	ApplicationStore
	EnvironmentStore
}

// ApplicationStore keeps application records.
type ApplicationStore interface {
	// CreateApplication stores an application with its production environment.
	CreateApplication(ctx context.Context, app Application, production Environment) error
	// RemoveNewApplication undoes CreateApplication, if nothing changed the records since.
	RemoveNewApplication(ctx context.Context, app Application) error
	// GetApplication reads an application and all its environments.
	GetApplication(ctx context.Context, org, name string) (Application, []Environment, error)
	ListApplications(ctx context.Context, org string, page PageRequest) (Page[Application], error)
	// MarkApplicationDeleting sets DELETING and returns the record as updated,
	// or as it was when it was DELETING already.
	MarkApplicationDeleting(ctx context.Context, org, name string, now time.Time) (Application, error)
}

// EnvironmentStore keeps environment records.
type EnvironmentStore interface {
	CreateEnvironment(ctx context.Context, env Environment) error
	RemoveNewEnvironment(ctx context.Context, env Environment) error
	GetEnvironment(ctx context.Context, org, app, name string) (Environment, error)
	ListEnvironments(ctx context.Context, org, app string, page PageRequest) (Page[Environment], error)
	MarkEnvironmentDeleting(ctx context.Context, org, app, name string, now time.Time) (Environment, error)
}

// Service runs the application and environment use cases.
type Service struct {
	Store     Store
	Workflows WorkflowStarter
	Now       func() time.Time
	NewUID    func() string
}

// NewService returns a Service on the wall clock with random UIDs.
func NewService(store Store, workflows WorkflowStarter) *Service {
	return &Service{Store: store, Workflows: workflows, Now: time.Now, NewUID: randomUID}
}

func randomUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

var imageSuffixRE = pattern.Compile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

// CreateApplication validates req, stores the application and its
// production environment, and starts provisioning.
func (s *Service) CreateApplication(ctx context.Context, org string, req CreateApplicationRequest) (Application, []Environment, error) {
	errs := validation.Errors{}
	CheckApplicationName(errs, "appName", req.AppName)
	first := ProductionEnvironment
	if req.FirstEnvironment != "" {
		first = req.FirstEnvironment
		CheckName(errs, "environment", first)
	}
	db := req.Database.database(errs)
	fs := req.Filesystem.filesystem(errs)
	compose.CheckCapacity(req.MinCapacity, req.MaxCapacity, errs, "")
	compose.CheckVariables(req.Environment, errs, "environment")
	app := Application{Organisation: org, Name: req.AppName, Label: req.Label, Database: db, Filesystem: fs, Variables: withValues(req.Environment)}
	if req.ComposeDefinition == nil {
		errs.Add("composeDefinition", "is required")
	} else {
		app.Compose = *req.ComposeDefinition
		app.Compose.Normalize(app.ComposeContext(), errs, "composeDefinition")
	}
	app.MinCapacity = capacity(req.MinCapacity, app.Compose.MinCapacity)
	app.MaxCapacity = capacity(req.MaxCapacity, app.Compose.MaxCapacity)
	CheckEffectiveCapacity(errs, app.MinCapacity, app.MaxCapacity)
	if req.ComposeDefinition != nil {
		CheckSpot(errs, app.Compose, first, app.MinCapacity, "composeDefinition")
	}
	if err := errs.Err(); err != nil {
		return Application{}, nil, err
	}
	app.Compose.MinCapacity, app.Compose.MaxCapacity = &app.MinCapacity, &app.MaxCapacity

	now := s.Now().UTC()
	app.UID, app.Status, app.Version, app.CreatedAt, app.UpdatedAt = s.NewUID(), StatusCreating, 1, now, now
	if first != ProductionEnvironment {
		app.FirstEnvironment = first
	}
	prod := Environment{
		Organisation: org, Application: app.Name, Name: first,
		UID: s.NewUID(), Status: StatusCreating, Compose: app.Compose, Variables: app.Variables,
		MinCapacity: app.MinCapacity, MaxCapacity: app.MaxCapacity, DesiredCount: app.MinCapacity,
		Version: 1, CreatedAt: now, UpdatedAt: now,
	}
	if req.Stopped {
		prod.stopAtCreate()
	}
	if err := s.Store.CreateApplication(ctx, app, prod); err != nil {
		return Application{}, nil, err
	}
	start := Execution{
		Workflow: ProvisionApplication,
		Name:     executionName(ProvisionApplication, app.UID),
		Input:    ExecutionInput{Organisation: org, Application: app.Name, Environment: prod.Name, UID: app.UID},
	}
	if err := s.Workflows.Start(ctx, start); err != nil {
		if rmErr := s.Store.RemoveNewApplication(ctx, app); rmErr != nil {
			return Application{}, nil, errors.Join(err, rmErr)
		}
		return Application{}, nil, unavailable(err, "provisioning could not be started, so nothing was created; retry the request")
	}
	return app, []Environment{prod}, nil
}

// stopAtCreate makes a new environment stopped: provisioning creates its
// service with no task, and a start runs its minimum.
func (e *Environment) stopAtCreate() {
	e.Stopped, e.StoppedCount, e.DesiredCount = true, e.DesiredCount, 0
}

// CheckEffectiveCapacity refuses a minimum above the maximum, once each has passed its own rules.
func CheckEffectiveCapacity(errs validation.Errors, min, max int) {
	if min > max && errs["minCapacity"] == nil && errs["maxCapacity"] == nil &&
		errs["composeDefinition.minCapacity"] == nil && errs["composeDefinition.maxCapacity"] == nil {
		errs.Addf("minCapacity", "must not exceed maxCapacity (%d)", max)
	}
}

// GetApplication reads an application and its environments.
func (s *Service) GetApplication(ctx context.Context, org, name string) (Application, []Environment, error) {
	return s.Store.GetApplication(ctx, org, name)
}

// ListApplications lists an organisation's applications by name.
func (s *Service) ListApplications(ctx context.Context, org string, page PageRequest) (Page[Application], error) {
	return s.Store.ListApplications(ctx, org, page)
}

// DeleteApplication marks the application DELETING and starts its
// teardown. Repeating it is safe: the teardown execution name is fixed.
func (s *Service) DeleteApplication(ctx context.Context, org, name string) (Application, []Environment, error) {
	// The environments are read first so the answer shows what a GET does
	// (their deployment status, their summaries); marking does not change them.
	_, envs, err := s.Store.GetApplication(ctx, org, name)
	if err != nil {
		return Application{}, nil, err
	}
	app, err := s.Store.MarkApplicationDeleting(ctx, org, name, s.Now().UTC())
	if err != nil {
		return Application{}, nil, err
	}
	start := Execution{
		Workflow: TeardownApplication,
		Name:     teardownName(TeardownApplication, app.UID, app.Version),
		Input:    ExecutionInput{Organisation: org, Application: name, UID: app.UID},
	}
	if err := s.Workflows.Start(ctx, start); err != nil {
		return Application{}, nil, unavailable(err, "the application is marked DELETING but its teardown could not be started; repeat the DELETE")
	}
	return app, envs, nil
}

// CreateEnvironment validates req against the application, stores the
// environment and starts provisioning it.
func (s *Service) CreateEnvironment(ctx context.Context, org, appName string, req CreateEnvironmentRequest) (Environment, error) {
	errs := validation.Errors{}
	CheckName(errs, "envName", req.EnvName)
	if req.CloneConfigurationFrom != nil {
		CheckName(errs, "cloneConfigurationFrom", *req.CloneConfigurationFrom)
	}
	if req.SpotConfiguration != nil {
		(&compose.Definition{SpotConfiguration: req.SpotConfiguration}).CheckSpot(errs, "")
	}
	compose.CheckVariables(req.Environment, errs, "environment")
	if req.MergeEnvironment != nil && *req.MergeEnvironment && req.CloneConfigurationFrom == nil {
		errs.Add("mergeEnvironment", "needs cloneConfigurationFrom: it merges environment[] into the clone source's variables")
	}
	if req.ImageSuffix != nil && (len(*req.ImageSuffix) > 63 || !imageSuffixRE.MatchString(*req.ImageSuffix)) {
		errs.Add("imageSuffix", "must match ^[a-z0-9]([a-z0-9-]*[a-z0-9])?$ and be at most 63 characters")
	}
	compose.CheckCapacity(req.MinCapacity, req.MaxCapacity, errs, "")
	if err := errs.Err(); err != nil {
		return Environment{}, err
	}

	app, envs, err := s.Store.GetApplication(ctx, org, appName)
	if err != nil {
		return Environment{}, err
	}
	switch app.Status {
	case StatusDeleting:
		return Environment{}, Conflict("application %q is being deleted", appName)
	case StatusFailed:
		return Environment{}, Conflict("application %q failed to provision (%s); send its create again first", appName, app.Reason)
	}
	if len(envs) >= MaxEnvironments {
		return Environment{}, Conflict("application %q has %d environments, the most it may have; delete one first", appName, MaxEnvironments)
	}
	env := Environment{Organisation: org, Application: appName, Name: req.EnvName}
	for _, e := range envs {
		if e.Name == req.EnvName && !e.Replaceable() {
			return Environment{}, Conflict("environment %q already exists", req.EnvName)
		}
	}

	var baseMin, baseMax *int
	switch {
	case req.CloneConfigurationFrom != nil:
		src, ok := findEnvironment(envs, *req.CloneConfigurationFrom)
		if !ok {
			return Environment{}, NotFound("environment %q to clone from does not exist", *req.CloneConfigurationFrom)
		}
		env.CloneConfigurationFrom = src.Name
		env.Compose = src.Compose.Clone()
		baseMin, baseMax = &src.MinCapacity, &src.MaxCapacity
		if req.ComposeDefinition != nil {
			OverrideCompose(&env.Compose, *req.ComposeDefinition)
		}
		env.Variables = initialVariables(src.Variables, withValues(req.Environment), req.Environment != nil, req.MergeEnvironment != nil && *req.MergeEnvironment)
		env.MergeEnvironment = req.MergeEnvironment != nil && *req.MergeEnvironment
	case req.ComposeDefinition != nil:
		env.Compose = *req.ComposeDefinition
		env.Variables = withValues(req.Environment)
	default:
		// Neither: start from production's definition, as Quant does.
		// Its capacity is not inherited.
		prod, ok := findEnvironment(envs, ProductionEnvironment)
		if !ok {
			prod.Compose = app.Compose
		}
		env.Compose = prod.Compose.Clone()
		env.Compose.MinCapacity, env.Compose.MaxCapacity = nil, nil
		env.Variables = withValues(req.Environment)
	}
	if req.SpotConfiguration != nil {
		env.Compose.SpotConfiguration = req.SpotConfiguration
	}
	if req.ComposeDefinition != nil {
		baseMin, baseMax = firstSet(req.ComposeDefinition.MinCapacity, baseMin), firstSet(req.ComposeDefinition.MaxCapacity, baseMax)
	}
	env.MinCapacity = capacity(req.MinCapacity, baseMin)
	env.MaxCapacity = capacity(req.MaxCapacity, baseMax)

	if req.ImageSuffix != nil {
		env.ImageSuffix = *req.ImageSuffix
		for _, c := range env.Compose.Containers {
			if c.ImageReference != nil && c.ImageReference.Type == compose.ImageInternal &&
				len(compose.SuffixedTag(c.Name, env.ImageSuffix)) > maxImageTagLength {
				errs.Addf("imageSuffix", "makes the tag of container %q longer than %d characters", c.Name, maxImageTagLength)
			}
		}
		env.Compose.ApplyImageSuffix(env.ImageSuffix)
	}
	env.Compose.Normalize(app.ComposeContext(), errs, "composeDefinition")
	CheckEffectiveCapacity(errs, env.MinCapacity, env.MaxCapacity)
	CheckSpot(errs, env.Compose, env.Name, env.MinCapacity, "")
	if err := errs.Err(); err != nil {
		return Environment{}, err
	}
	env.Compose.MinCapacity, env.Compose.MaxCapacity = &env.MinCapacity, &env.MaxCapacity

	now := s.Now().UTC()
	env.UID, env.Status, env.DesiredCount, env.Version, env.CreatedAt, env.UpdatedAt =
		s.NewUID(), StatusCreating, env.MinCapacity, 1, now, now
	if req.Stopped {
		env.stopAtCreate()
	}
	if err := s.Store.CreateEnvironment(ctx, env); err != nil {
		return Environment{}, err
	}
	start := Execution{
		Workflow: ProvisionEnvironment,
		Name:     executionName(ProvisionEnvironment, env.UID),
		Input:    ExecutionInput{Organisation: org, Application: appName, Environment: env.Name, UID: env.UID},
	}
	if err := s.Workflows.Start(ctx, start); err != nil {
		if rmErr := s.Store.RemoveNewEnvironment(ctx, env); rmErr != nil {
			return Environment{}, errors.Join(err, rmErr)
		}
		return Environment{}, unavailable(err, "provisioning could not be started, so nothing was created; retry the request")
	}
	return env, nil
}

// OverrideCompose lays the fields set in o over d. Containers, when sent,
// replace the cloned containers whole, as Quant's compose PATCH does.
func OverrideCompose(d *compose.Definition, o compose.Definition) {
	if o.Containers != nil {
		d.Containers = o.Containers
	}
	if o.Architecture != nil {
		d.Architecture = o.Architecture
	}
	if o.TaskCPU != nil {
		d.TaskCPU = o.TaskCPU
	}
	if o.TaskMemory != nil {
		d.TaskMemory = o.TaskMemory
	}
	if o.TaskRoleARN != nil {
		d.TaskRoleARN = o.TaskRoleARN
	}
	if o.MinCapacity != nil {
		d.MinCapacity = o.MinCapacity
	}
	if o.MaxCapacity != nil {
		d.MaxCapacity = o.MaxCapacity
	}
	if o.SpotConfiguration != nil {
		d.SpotConfiguration = o.SpotConfiguration
	}
	if o.EnableCrossEnvNetworking != nil {
		d.EnableCrossEnvNetworking = o.EnableCrossEnvNetworking
	}
	if o.EnableCrossAppNetworking != nil {
		d.EnableCrossAppNetworking = o.EnableCrossAppNetworking
	}
}

// withValues gives every variable a value: a missing one is empty.
func withValues(vs []compose.EnvVar) []compose.EnvVar {
	var out []compose.EnvVar
	for _, v := range vs {
		if v.Value == nil {
			v.Value = new(string)
		}
		out = append(out, v)
	}
	return out
}

// initialVariables: the request's environment[] replaces the clone
// source's variables, or with merge is laid over them by name; without
// one, the source's are kept.
func initialVariables(source, sent []compose.EnvVar, wasSent, merge bool) []compose.EnvVar {
	if !wasSent {
		return slices.Clone(source)
	}
	if !merge {
		return sent
	}
	out := slices.Clone(source)
	for _, v := range sent {
		if i := slices.IndexFunc(out, func(o compose.EnvVar) bool { return o.Name == v.Name }); i >= 0 {
			out[i] = v
		} else {
			out = append(out, v)
		}
	}
	return out
}

func firstSet(a, b *int) *int {
	if a != nil {
		return a
	}
	return b
}

func findEnvironment(envs []Environment, name string) (Environment, bool) {
	for _, e := range envs {
		if e.Name == name {
			return e, true
		}
	}
	return Environment{}, false
}

// GetEnvironment reads one environment.
func (s *Service) GetEnvironment(ctx context.Context, org, app, name string) (Environment, error) {
	return s.Store.GetEnvironment(ctx, org, app, name)
}

// ListEnvironments lists an application's environments by name.
func (s *Service) ListEnvironments(ctx context.Context, org, app string, page PageRequest) (Page[Environment], error) {
	return s.Store.ListEnvironments(ctx, org, app, page)
}

// DeleteEnvironment marks the environment DELETING and starts its teardown.
// CheckSpot holds the Spot rules of an environment's definition, on create
// and on every deployment: production runs On-Demand only, and a mix of
// Spot and On-Demand needs at least two tasks. Errors are under the
// definition's path p ("composeDefinition" on an application create).
func CheckSpot(errs validation.Errors, d compose.Definition, env string, minCapacity int, p string) {
	if len(errs) > 0 {
		return // the definition or the capacities are wrong already
	}
	switch {
	case env == ProductionEnvironment && d.UsesSpot():
		errs.Add(validation.Join(p, "spotConfiguration.strategy"), "must be off for production, which this definition is: Spot capacity is for other environments")
	case d.MixedSpot() && minCapacity < 2:
		errs.Add(validation.Join(p, "spotConfiguration.strategy"), "mixes Spot and On-Demand tasks, which needs at least two: set minCapacity to 2 or more, or use spot-only")
	}
}

// The first environment (production, unless another dialect named it)
// goes only with its application.
func (s *Service) DeleteEnvironment(ctx context.Context, org, app, name string) (Environment, error) {
	if name == ProductionEnvironment {
		return Environment{}, Conflict("the production environment is deleted with its application: DELETE the application instead")
	}
	if a, _, err := s.Store.GetApplication(ctx, org, app); err == nil && a.First() == name {
		return Environment{}, Conflict("environment %q is the one application %q was created with, and is deleted with it: DELETE the application instead", name, app)
	}
	env, err := s.Store.MarkEnvironmentDeleting(ctx, org, app, name, s.Now().UTC())
	if err != nil {
		return Environment{}, err
	}
	start := Execution{
		Workflow: TeardownEnvironment,
		Name:     teardownName(TeardownEnvironment, env.UID, env.Version),
		Input:    ExecutionInput{Organisation: org, Application: app, Environment: name, UID: env.UID},
	}
	if err := s.Workflows.Start(ctx, start); err != nil {
		return Environment{}, unavailable(err, "the environment is marked DELETING but its teardown could not be started; repeat the DELETE")
	}
	return env, nil
}
