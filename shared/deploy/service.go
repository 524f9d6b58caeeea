package deploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/compose"
	"github.com/berth-dev/berth/shared/pattern"
	"github.com/berth-dev/berth/shared/validation"
)

// Store is what the deployment use cases need of the records.
type Store interface {
	GetApplication(ctx context.Context, org, name string) (apps.Application, []apps.Environment, error)
	GetEnvironment(ctx context.Context, org, app, name string) (apps.Environment, error)
	// StartDeployment stores the new releases and the deployment, and
	// marks the environment as deploying it, in one transaction that fails
	// with a Conflict when the environment is not ACTIVE, already deploying
	// or changed meanwhile, and with a PreconditionFailed when ifVersion is
	// set and is not its version.
	// refs are resources made for the change (a secret), recorded with the
	// environment's in the same write.
	StartDeployment(ctx context.Context, env apps.Environment, releases []Release, dep Deployment, ifVersion *int64, refs ...cloud.Ref) error
	// AbandonDeployment marks a deployment that could not be started
	// FAILED and frees the environment.
	AbandonDeployment(ctx context.Context, env apps.Environment, dep Deployment, reason string, now time.Time) error
	GetRelease(ctx context.Context, env apps.Environment, n int) (Release, error)
	GetDeployment(ctx context.Context, env apps.Environment, n int) (Deployment, error)
	// ListReleases and ListDeployments list newest first.
	ListReleases(ctx context.Context, env apps.Environment, page apps.PageRequest) (apps.Page[Release], error)
	ListDeployments(ctx context.Context, env apps.Environment, page apps.PageRequest) (apps.Page[Deployment], error)
	// RequestCancel marks a running deployment for cancelling; a Conflict
	// when it has finished.
	RequestCancel(ctx context.Context, env apps.Environment, n int) (Deployment, error)
}

// NewService runs the use cases on store, starting workflows with workflows.
func NewService(store Store, workflows apps.WorkflowStarter) *Service {
	return &Service{Store: store, Workflows: workflows, Now: time.Now}
}

// Service runs the deployment use cases.
type Service struct {
	Store     Store
	Workflows apps.WorkflowStarter
	Now       func() time.Time
	// SyncInto, when set, describes the sync running into an environment
	// ("" when none): a sync stops its target while it restores, so a
	// change to it waits until the sync has ended (409).
	SyncInto func(ctx context.Context, env apps.Environment, now time.Time) (string, error)
}

// Request names the environment a change is for, who makes it, and the
// version the client last read (If-Match), if it sent one.
type Request struct {
	Organisation, Application, Environment string
	By                                     string
	IfVersion                              *int64
}

// ReplaceRequest is the body of PUT .../environments/{e}.
type ReplaceRequest struct {
	ComposeDefinition *compose.Definition `json:"composeDefinition"`
	MinCapacity       *int                `json:"minCapacity"`
	MaxCapacity       *int                `json:"maxCapacity"`
}

// StateRequest is the body of PUT .../environments/{e}/state.
type StateRequest struct {
	Action   *string `json:"action"`
	ImageTag *string `json:"imageTag"`
}

// imageTagRE is Docker's rule for a tag.
var imageTagRE = pattern.Compile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)

const maxImageTag = 128

// Replace makes a release of a whole new compose definition and deploys it.
func (s *Service) Replace(ctx context.Context, r Request, body ReplaceRequest) (Deployment, apps.Environment, error) {
	errs := validation.Errors{}
	if body.ComposeDefinition == nil {
		errs.Add("composeDefinition", "is required")
	}
	compose.CheckCapacity(body.MinCapacity, body.MaxCapacity, errs, "")
	if err := errs.Err(); err != nil {
		return Deployment{}, apps.Environment{}, err
	}
	return s.change(ctx, r, "composeDefinition", func(app apps.Application, env apps.Environment) (*compose.Definition, error) {
		d := body.ComposeDefinition.Clone()
		d.MinCapacity, d.MaxCapacity = firstSet(body.MinCapacity, d.MinCapacity), firstSet(body.MaxCapacity, d.MaxCapacity)
		return &d, nil
	}, ActionDeploy, CauseReplace)
}

// Patch lays the fields sent over the environment's compose definition
// (containers, when sent, replace the list whole) and deploys the result.
func (s *Service) Patch(ctx context.Context, r Request, body PatchRequest) (Deployment, apps.Environment, error) {
	errs := validation.Errors{}
	compose.CheckCapacity(body.MinCapacity, body.MaxCapacity, errs, "")
	if err := errs.Err(); err != nil {
		return Deployment{}, apps.Environment{}, err
	}
	return s.change(ctx, r, "", func(app apps.Application, env apps.Environment) (*compose.Definition, error) {
		d := env.Compose.Clone()
		apps.OverrideCompose(&d, body.Definition())
		return &d, nil
	}, ActionDeploy, CausePatch)
}

// ChangeState starts, stops or redeploys the environment; a redeploy with
// an imageTag makes a release that runs that tag of every image.
func (s *Service) ChangeState(ctx context.Context, r Request, body StateRequest) (Deployment, apps.Environment, error) {
	errs := validation.Errors{}
	var action Action
	switch {
	case body.Action == nil:
		errs.Add("action", "is required: one of start, stop, redeploy")
	case !slices.Contains(StateActions, Action(*body.Action)):
		errs.Addf("action", "must be one of start, stop, redeploy; got %q", *body.Action)
	default:
		action = Action(*body.Action)
	}
	if body.ImageTag != nil {
		switch {
		case action != ActionRedeploy && action != "":
			errs.Add("imageTag", "is only for action redeploy")
		case len(*body.ImageTag) > maxImageTag || !imageTagRE.MatchString(*body.ImageTag):
			errs.Add("imageTag", "must be a Docker tag: letters, digits, '_', '.' and '-', not starting with '.' or '-', at most 128 characters")
		}
	}
	if err := errs.Err(); err != nil {
		return Deployment{}, apps.Environment{}, err
	}
	if body.ImageTag == nil {
		return s.change(ctx, r, "", nil, action, "")
	}
	return s.change(ctx, r, "imageTag", func(app apps.Application, env apps.Environment) (*compose.Definition, error) {
		d := env.Compose.Clone()
		Retag(&d, *body.ImageTag)
		return &d, nil
	}, ActionRedeploy, CauseRedeploy)
}

// UpdateContainer replaces the named container of the environment's
// definition with c (whose name, when sent, must be the same) and deploys
// the result.
func (s *Service) UpdateContainer(ctx context.Context, r Request, name string, c compose.Container) (Deployment, apps.Environment, error) {
	if c.Name != "" && c.Name != name {
		return Deployment{}, apps.Environment{}, validation.Errors{"name": {fmt.Sprintf("must be the container's name in the path (%q), or left out; rename a container with PATCH compose", name)}}
	}
	c.Name = name
	at := -1
	dep, env, err := s.change(ctx, r, "", func(app apps.Application, env apps.Environment) (*compose.Definition, error) {
		d := env.Compose.Clone()
		at = slices.IndexFunc(d.Containers, func(x compose.Container) bool { return x.Name == name })
		if at < 0 {
			return nil, apps.NotFound("environment %q has no container %q", env.Name, name)
		}
		d.Containers[at] = c
		return &d, nil
	}, ActionDeploy, CauseContainer)
	var errs validation.Errors
	if errors.As(err, &errs) && at >= 0 {
		// The body is the one container: name its fields as sent.
		prefix := validation.Index("containers", at) + "."
		out := validation.Errors{}
		for field, rules := range errs {
			out[strings.TrimPrefix(field, prefix)] = rules
		}
		return dep, env, out
	}
	return dep, env, err
}

// Rollback makes a new release with release n's definition and deploys it.
func (s *Service) Rollback(ctx context.Context, r Request, n int) (Deployment, apps.Environment, error) {
	var rel Release
	return s.changeWith(ctx, r, "release", func(app apps.Application, env apps.Environment) (*compose.Definition, error) {
		if n == max(env.Release, 1) && !env.Stopped {
			return nil, apps.Conflict("release %d is the one serving; nothing to roll back to", n)
		}
		var err error
		if rel, err = s.release(ctx, env, n); err != nil {
			return nil, err
		}
		d := rel.Compose.Clone()
		return &d, nil
	}, func(apps.Environment) (Configuration, error) {
		// The release's configuration comes back with its definition.
		return Configuration{Variables: rel.Variables, Secrets: rel.Secrets}, nil
	}, ActionRollback, CauseRollback)
}

// release is release n of env; release 1 exists before it is stored, as
// what provisioning deployed.
func (s *Service) release(ctx context.Context, env apps.Environment, n int) (Release, error) {
	if n == 1 && env.LastRelease == 0 {
		return firstRelease(env), nil
	}
	rel, err := s.Store.GetRelease(ctx, env, n)
	if errors.Is(err, apps.ErrNotFound) {
		return Release{}, apps.NotFound("environment %q has no release %d", env.Name, n)
	}
	return rel, err
}

// firstRelease is what provisioning deployed, recorded as release 1 when
// the environment first changes.
func firstRelease(env apps.Environment) Release {
	rel := NewRelease(1, env.Compose, CauseCreate, "", env.CreatedAt)
	rel.TaskDefinitionARN = env.Outputs[apps.OutTaskDefinitionARN]
	rel.Variables, rel.Secrets = env.Variables, env.Secrets
	return rel
}

// change checks the environment, makes the release that next returns (nil:
// the serving release is deployed again) and starts its deployment.
//
// at is where the new definition's fields are in the request body, for errors.
func (s *Service) change(ctx context.Context, r Request, at string, next func(apps.Application, apps.Environment) (*compose.Definition, error), action Action, cause string) (Deployment, apps.Environment, error) {
	return s.changeWith(ctx, r, at, next, nil, action, cause)
}

// Configuration is what a configuration change makes of the environment's
// variables and secrets, and the resources it made for them.
type Configuration struct {
	Variables []compose.EnvVar
	Secrets   []apps.SecretVariable
	Refs      []cloud.Ref
}

// Configure makes a release of the serving definition with the
// configuration edit returns, and deploys it. edit runs once the
// environment is known to be deployable, so a refused change writes nothing.
func (s *Service) Configure(ctx context.Context, r Request, cause string, edit func(apps.Environment) (Configuration, error)) (Deployment, apps.Environment, error) {
	return s.changeWith(ctx, r, "", func(_ apps.Application, env apps.Environment) (*compose.Definition, error) {
		d := env.Compose.Clone()
		return &d, nil
	}, edit, ActionDeploy, cause)
}

// Apply makes a release of the definition next returns, with the
// configuration edit returns (nil keeps it), and deploys it: one
// deployment for another dialect's update of image, size and variables.
func (s *Service) Apply(ctx context.Context, r Request, next func(apps.Environment) (*compose.Definition, error), edit func(apps.Environment) (Configuration, error)) (Deployment, apps.Environment, error) {
	return s.changeWith(ctx, r, "", func(_ apps.Application, env apps.Environment) (*compose.Definition, error) {
		return next(env)
	}, edit, ActionDeploy, CauseDialect)
}

func (s *Service) changeWith(ctx context.Context, r Request, at string, next func(apps.Application, apps.Environment) (*compose.Definition, error), edit func(apps.Environment) (Configuration, error), action Action, cause string) (Deployment, apps.Environment, error) {
	app, envs, err := s.Store.GetApplication(ctx, r.Organisation, r.Application)
	if err != nil {
		return Deployment{}, apps.Environment{}, err
	}
	i := slices.IndexFunc(envs, func(e apps.Environment) bool { return e.Name == r.Environment })
	if i < 0 {
		return Deployment{}, apps.Environment{}, apps.NotFound("environment %q does not exist", r.Environment)
	}
	env := envs[i]
	if r.IfVersion != nil && *r.IfVersion != env.Version {
		return Deployment{}, apps.Environment{}, apps.PreconditionFailed("environment %q has changed since version %d (it is at %d); read it again", env.Name, *r.IfVersion, env.Version)
	}
	if app.Status == apps.StatusDeleting {
		return Deployment{}, apps.Environment{}, apps.Conflict("application %q is being deleted", app.Name)
	}
	if err := deployable(env); err != nil {
		return Deployment{}, apps.Environment{}, err
	}
	now := s.Now().UTC()
	if s.SyncInto != nil {
		sync, err := s.SyncInto(ctx, env, now)
		if err != nil {
			return Deployment{}, apps.Environment{}, err
		}
		if sync != "" {
			return Deployment{}, apps.Environment{}, apps.Conflict("environment %q is the target of %s, which stops it while it restores; change it once the sync has ended", env.Name, sync)
		}
	}
	var releases []Release
	serving := max(env.Release, 1)
	if env.LastRelease == 0 {
		releases = append(releases, firstRelease(env))
	}
	release := serving
	if err := checkState(env, action); err != nil {
		return Deployment{}, apps.Environment{}, err
	}
	cfg := Configuration{Variables: env.Variables, Secrets: env.Secrets}
	if next != nil {
		d, err := next(app, env)
		if err != nil {
			return Deployment{}, apps.Environment{}, err
		}
		if env.ImageSuffix != "" && cause != CauseRedeploy && cause != CauseRollback {
			// A preview environment runs its own tags of internal images.
			d.ApplyImageSuffix(env.ImageSuffix)
		}
		errs := validation.Errors{}
		minC, maxC := capacities(*d, env)
		d.Normalize(app.ComposeContextFor(env), errs, at)
		apps.CheckEffectiveCapacity(errs, minC, maxC)
		apps.CheckSpot(errs, *d, env.Name, minC, at)
		if err := errs.Err(); err != nil {
			return Deployment{}, apps.Environment{}, err
		}
		d.MinCapacity, d.MaxCapacity = &minC, &maxC
		if edit != nil {
			if cfg, err = edit(env); err != nil {
				return Deployment{}, apps.Environment{}, err
			}
		}
		release = max(env.LastRelease, 1) + 1
		rel := NewRelease(release, *d, cause, r.By, now)
		rel.Variables, rel.Secrets = cfg.Variables, cfg.Secrets
		releases = append(releases, rel)
	}
	dep := Deployment{Number: env.LastDeployment + 1, Action: action, Release: release, PreviousRelease: serving,
		Status: StatusInProgress, CreatedBy: r.By, CreatedAt: now, DesiredCount: desired(env, action, releases)}
	dep.Execution = ExecutionName(env.UID, dep.Number)
	ifVersion := r.IfVersion
	if ifVersion == nil && len(releases) > 0 && len(releases[len(releases)-1].Compose.EnvironmentVolumes()) > 0 {
		// The volumes it mounts were checked against this version: a
		// volume deleted since must not reach a task definition.
		v := env.Version
		ifVersion = &v
	}
	if err := s.Store.StartDeployment(ctx, env, releases, dep, ifVersion, cfg.Refs...); err != nil {
		return Deployment{}, apps.Environment{}, err
	}
	start := apps.Execution{Workflow: apps.DeployEnvironment, Name: dep.Execution,
		Input: apps.ExecutionInput{Organisation: env.Organisation, Application: env.Application, Environment: env.Name, UID: env.UID, Deployment: dep.Number}}
	if err := s.Workflows.Start(ctx, start); err != nil {
		// On its own deadline: the request's may be what ran out, and an
		// unabandoned deployment would hold the environment.
		abandonCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abandonTimeout)
		defer cancel()
		if abErr := s.Store.AbandonDeployment(abandonCtx, env, dep, "the deployment workflow could not be started", now); abErr != nil {
			return Deployment{}, apps.Environment{}, errors.Join(err, abErr)
		}
		return Deployment{}, apps.Environment{}, apps.Unavailable(err, "the deployment could not be started, so nothing changed; retry the request")
	}
	env.Deploying, env.LastDeployment, env.Version = dep.Number, dep.Number, env.Version+1
	if len(releases) > 0 {
		env.LastRelease = releases[len(releases)-1].Number
		env.Compose = releases[len(releases)-1].Compose
	}
	return dep, env, nil
}

// abandonTimeout bounds undoing a deployment whose workflow did not start.
const abandonTimeout = 5 * time.Second

// deployable refuses a change to an environment that is not ACTIVE or is
// already deploying.
func deployable(env apps.Environment) error {
	switch {
	case env.Status != apps.StatusActive:
		return apps.Conflict("environment %q is %s; only an ACTIVE environment can be changed", env.Name, env.Status)
	case env.Deploying != 0:
		return apps.Conflict("environment %q is running deployment %d; wait for it to finish (GET its deployments)", env.Name, env.Deploying)
	}
	return nil
}

// checkState refuses a start of a running environment and a stop of a stopped one.
func checkState(env apps.Environment, action Action) error {
	switch {
	case action == ActionStart && !env.Stopped:
		return apps.Conflict("environment %q is running; there is nothing to start", env.Name)
	case action == ActionStop && env.Stopped:
		return apps.Conflict("environment %q is already stopped", env.Name)
	}
	return nil
}

// capacities are the scaling bounds a new definition gives the environment.
func capacities(d compose.Definition, env apps.Environment) (int, int) {
	minC, maxC := env.MinCapacity, env.MaxCapacity
	if d.MinCapacity != nil {
		minC = *d.MinCapacity
	}
	if d.MaxCapacity != nil {
		maxC = *d.MaxCapacity
	}
	return minC, maxC
}

// desired is the task count a deployment asks for: none to stop, the
// count before the stop to start, and otherwise the count now, within
// the release's bounds. A change to a stopped environment stays stopped.
func desired(env apps.Environment, action Action, releases []Release) int {
	count := env.DesiredCount
	switch {
	case action == ActionStop:
		return 0
	case action == ActionStart:
		count = env.StoppedCount
	case env.Stopped:
		return 0
	}
	minC, maxC := env.MinCapacity, env.MaxCapacity
	if len(releases) > 0 {
		minC, maxC = capacities(releases[len(releases)-1].Compose, env)
	}
	return min(max(count, minC, 1), max(maxC, 1))
}

func firstSet(a, b *int) *int {
	if a != nil {
		return a
	}
	return b
}

// ReleaseNumber parses a release number from a path.
func ReleaseNumber(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || strconv.Itoa(n) != s {
		return 0, validation.Errors{"release": {fmt.Sprintf("must be a release number (1 or more, no leading zeros); got %q", s)}}
	}
	return n, nil
}

// Environment reads the environment a read is about, with one GetItem.
func (s *Service) Environment(ctx context.Context, org, app, name string) (apps.Environment, error) {
	return s.Store.GetEnvironment(ctx, org, app, name)
}

// Releases lists an environment's releases, newest first; release 1 shows
// before it is stored.
func (s *Service) Releases(ctx context.Context, org, app, name string, page apps.PageRequest) (apps.Page[Release], error) {
	env, err := s.Environment(ctx, org, app, name)
	if err != nil {
		return apps.Page[Release]{}, err
	}
	if env.LastRelease == 0 {
		if env.Status != apps.StatusActive && env.Outputs[apps.OutTaskDefinitionARN] == "" {
			return apps.Page[Release]{}, nil
		}
		return apps.Page[Release]{Items: []Release{firstRelease(env)}}, nil
	}
	return s.Store.ListReleases(ctx, env, page)
}

// Deployments lists an environment's deployments, newest first.
func (s *Service) Deployments(ctx context.Context, org, app, name string, page apps.PageRequest) (apps.Page[Deployment], error) {
	env, err := s.Environment(ctx, org, app, name)
	if err != nil {
		return apps.Page[Deployment]{}, err
	}
	return s.Store.ListDeployments(ctx, env, page)
}

// Deployment reads deployment n of an environment.
func (s *Service) Deployment(ctx context.Context, org, app, name string, n int) (Deployment, error) {
	env, err := s.Environment(ctx, org, app, name)
	if err != nil {
		return Deployment{}, err
	}
	dep, err := s.Store.GetDeployment(ctx, env, n)
	if errors.Is(err, apps.ErrNotFound) {
		return Deployment{}, apps.NotFound("environment %q has no deployment %d", name, n)
	}
	return dep, err
}

// PatchRequest is the body of PATCH .../compose: every field optional.
// Quant's document types taskCpu and taskMemory as strings there and as
// integers elsewhere, so both are accepted.
type PatchRequest struct {
	Architecture             *string                    `json:"architecture"`
	TaskCPU                  *Units                     `json:"taskCpu"`
	TaskMemory               *Units                     `json:"taskMemory"`
	TaskRoleARN              *string                    `json:"taskRoleArn"`
	MinCapacity              *int                       `json:"minCapacity"`
	MaxCapacity              *int                       `json:"maxCapacity"`
	Containers               []compose.Container        `json:"containers"`
	SpotConfiguration        *compose.SpotConfiguration `json:"spotConfiguration"`
	EnableCrossEnvNetworking *bool                      `json:"enableCrossEnvNetworking"`
	EnableCrossAppNetworking *bool                      `json:"enableCrossAppNetworking"`
}

// Definition is the patch as a compose definition of the fields sent.
func (p PatchRequest) Definition() compose.Definition {
	return compose.Definition{Architecture: p.Architecture, TaskCPU: p.TaskCPU.int(), TaskMemory: p.TaskMemory.int(),
		TaskRoleARN: p.TaskRoleARN, MinCapacity: p.MinCapacity, MaxCapacity: p.MaxCapacity, Containers: p.Containers,
		SpotConfiguration: p.SpotConfiguration, EnableCrossEnvNetworking: p.EnableCrossEnvNetworking, EnableCrossAppNetworking: p.EnableCrossAppNetworking}
}

// Units is a CPU or memory figure sent as an integer or as a string holding one.
type Units int

func (u *Units) int() *int {
	if u == nil {
		return nil
	}
	n := int(*u)
	return &n
}

// UnmarshalJSON accepts 512 and "512".
func (u *Units) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(s) >= 2 && s[0] == '"' {
		s = s[1 : len(s)-1]
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("units: %q is not an integer", s)
	}
	*u = Units(n)
	return nil
}

// ShapeRule accepts an integer, or a string holding one.
func (*Units) ShapeRule(doc any) string {
	switch v := doc.(type) {
	case string:
		if _, err := strconv.Atoi(v); err == nil {
			return ""
		}
	case fmt.Stringer: // json.Number
		if _, err := strconv.Atoi(v.String()); err == nil {
			return ""
		}
	}
	return `must be an integer, or a string holding one ("512")`
}

// Cancel asks a running deployment to stop; its workflow rolls back to the
// previous release at its next step.
// uid, when set, must be the environment's: an operation id names the
// environment it was made for, not one re-created under its name.
func (s *Service) Cancel(ctx context.Context, org, app, name string, n int, uid string) (Deployment, apps.Environment, error) {
	env, err := s.Environment(ctx, org, app, name)
	if err != nil {
		return Deployment{}, apps.Environment{}, err
	}
	if uid != "" && env.UID != uid {
		return Deployment{}, apps.Environment{}, apps.NotFound("environment %q has no deployment %d", name, n)
	}
	dep, err := s.Store.RequestCancel(ctx, env, n)
	if errors.Is(err, apps.ErrNotFound) {
		return Deployment{}, apps.Environment{}, apps.NotFound("environment %q has no deployment %d", name, n)
	}
	return dep, env, err
}
