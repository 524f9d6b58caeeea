package provision

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/compose"
)

// Begin checks that the execution still owns its records and writes the
// operation's plan to them, so progress shows every step from the start.
func (s *Steps) Begin(ctx context.Context, in Input) (BeginResult, error) {
	switch in.Workflow {
	case apps.DeployEnvironment:
		_, err := s.beginDeployment(ctx, in)
		return BeginResult{}, err
	case apps.RunJob:
		return s.beginJob(ctx, in)
	}
	r, err := s.load(ctx, in)
	if errors.Is(err, apps.ErrNotFound) {
		return BeginResult{}, fail(ErrStale, "application %q no longer exists", in.Execution.Application)
	}
	if err != nil {
		return BeginResult{}, err
	}
	targets := in.targets(r)
	if len(targets) == 0 {
		return BeginResult{}, fail(ErrStale, "the records of %s were replaced or removed", in.ExecutionName)
	}
	if in.teardown() {
		// A provisioning run still going would create what teardown has
		// already looked for; it sees DELETING at its next step, stops and
		// compensates, and then teardown goes on.
		// A run that stopped beating for HeartbeatTimeout is dead (its
		// engine was stopped or killed before it could record that), and
		// teardown takes over rather than wait for it for ever.
		for _, t := range targets {
			if p := progressOf(r, t); p != nil && p.State == apps.StepRunning &&
				(p.Operation == apps.ProvisionApplication || p.Operation == apps.ProvisionEnvironment) {
				if err := s.takeOver(ctx, t, *p); err != nil {
					return BeginResult{}, err
				}
			}
			// A deployment sees DELETING at its next step, rolls back and
			// frees the environment; until then its revision may still appear.
			if e, ok := r.env(t.Environment); ok && t.Environment != "" && e.Deploying != 0 {
				if err := s.takeOverDeployment(ctx, e); err != nil {
					return BeginResult{}, err
				}
			}
		}
	}
	if in.Workflow == apps.ProvisionEnvironment {
		switch r.app.Status {
		case apps.StatusCreating:
			return BeginResult{}, fail(ErrApplicationNotReady, "application %q is still being created", r.app.Name)
		case apps.StatusFailed, apps.StatusDeleting:
			return BeginResult{}, fail(ErrApplicationFailed, "application %q is %s", r.app.Name, r.app.Status)
		}
	}
	if !in.teardown() && status(r, targets[0]) != apps.StatusCreating {
		return BeginResult{}, fail(ErrCancelled, "%s is %s, not CREATING: nothing to provision", describeTarget(targets[0]), status(r, targets[0]))
	}
	now := s.now()
	for _, t := range targets {
		p := apps.Progress{Operation: in.Workflow, Execution: in.ExecutionName, State: apps.StepRunning, StartedAt: now, HeartbeatAt: now}
		for _, step := range in.plan(r, t) {
			st := apps.StepPending
			if step.skipped {
				st = apps.StepSkipped
			}
			p.Steps = append(p.Steps, apps.StepProgress{Name: string(step.group), State: st})
		}
		empty := ""
		c := apps.Change{Progress: &p, Reason: &empty, Now: now}
		switch {
		case in.Workflow == apps.TeardownApplication && t.Environment != "":
			c.Status = apps.StatusDeleting // the application's environments go with it
		case in.teardown():
			c.IfStatus = apps.StatusDeleting
		default:
			c.IfStatus = apps.StatusCreating // a DELETE since the check above wins
		}
		if err := s.Store.Apply(ctx, t, c); err != nil {
			return BeginResult{}, cloudError("begin", err)
		}
	}
	return BeginResult{}, nil
}

type plannedStep struct {
	group   Group
	skipped bool
}

// plan lists the steps of the operation as target's record shows them.
func (in Input) plan(r records, t apps.Target) []plannedStep {
	switch in.Workflow {
	case apps.ProvisionApplication:
		if t.Environment != "" {
			return []plannedStep{{group: GroupNetwork}, {group: GroupRuntime}, {group: GroupService}}
		}
		return []plannedStep{
			{group: GroupDatabase, skipped: r.app.Database == nil},
			{group: GroupFilesystem, skipped: r.app.Filesystem == nil},
			{group: GroupRepository, skipped: !usesInternalImages(r.app.Compose)},
			{group: GroupNetwork}, {group: GroupRuntime}, {group: GroupService},
		}
	case apps.ProvisionEnvironment:
		return []plannedStep{{group: GroupNetwork}, {group: GroupRuntime}, {group: GroupService}}
	default:
		return []plannedStep{{group: GroupCleanup}}
	}
}

func usesInternalImages(d compose.Definition) bool {
	for _, c := range d.Containers {
		if c.ImageReference != nil && c.ImageReference.Type == compose.ImageInternal {
			return true
		}
	}
	return false
}

// step marks a step of the targets' progress.
func (s *Steps) step(ctx context.Context, targets []apps.Target, g Group, state apps.StepState, detail string) error {
	now := s.now()
	sp := apps.StepProgress{Name: string(g), State: state, Detail: detail}
	if state == apps.StepRunning {
		sp.StartedAt = now
	} else {
		sp.FinishedAt = now
	}
	for _, t := range targets {
		if err := s.Store.Apply(ctx, t, apps.Change{Step: &sp, Now: now}); err != nil {
			return cloudError(string(g), err)
		}
	}
	return nil
}

// record writes a created resource and its outputs to the target at once,
// so compensation can find everything that exists.
func (s *Steps) record(ctx context.Context, t apps.Target, res cloud.Resource, outputs map[string]string) error {
	if err := s.Store.Apply(ctx, t, apps.Change{Add: []cloud.Ref{res.Ref}, Outputs: outputs, Now: s.now()}); err != nil {
		return cloudError("record "+string(res.Kind), err)
	}
	return nil
}

func (s *Steps) owned(ctx context.Context, in Input) (records, []apps.Target, error) {
	r, err := s.load(ctx, in)
	if errors.Is(err, apps.ErrNotFound) {
		return records{}, nil, fail(ErrStale, "application %q no longer exists", in.Execution.Application)
	}
	if err != nil {
		return records{}, nil, err
	}
	targets := in.targets(r)
	if len(targets) == 0 {
		return records{}, nil, fail(ErrStale, "the records of %s were replaced or removed", in.ExecutionName)
	}
	if status(r, targets[0]) == apps.StatusDeleting && !in.teardown() {
		return records{}, nil, fail(ErrCancelled, "a DELETE arrived while provisioning ran; teardown takes over")
	}
	if !in.teardown() {
		if err := s.beat(ctx, in, r, targets); err != nil {
			return records{}, nil, err
		}
	}
	return r, targets, nil
}

func describeTarget(t apps.Target) string {
	if t.Environment != "" {
		return "environment " + t.Environment
	}
	return "application " + t.Application
}

func (in Input) teardown() bool {
	return in.Workflow == apps.TeardownApplication || in.Workflow == apps.TeardownEnvironment
}

// status is the target record's status as loaded.
func status(r records, t apps.Target) apps.Status {
	if t.Environment == "" {
		return r.app.Status
	}
	e, _ := r.env(t.Environment)
	return e.Status
}

// progressOf is the target record's progress as loaded.
func progressOf(r records, t apps.Target) *apps.Progress {
	if t.Environment == "" {
		return r.app.Progress
	}
	e, _ := r.env(t.Environment)
	return e.Progress
}

// stepTargets are the records whose progress shows group's step.
func (in Input) stepTargets(r records, g Group, env apps.Environment) []apps.Target {
	app := in.appTarget(r)
	switch g {
	case GroupDatabase, GroupFilesystem, GroupRepository:
		return []apps.Target{app}
	}
	if in.Workflow == apps.ProvisionApplication {
		return []apps.Target{app, envTarget(env)}
	}
	return []apps.Target{envTarget(env)}
}

// createApp starts creating one of the application's groups (database,
// filesystem, repository) with make, once the execution owns its records.
func (s *Steps) createApp(make func(context.Context, Input, records) (Loop, error)) func(context.Context, Input) (Loop, error) {
	return func(ctx context.Context, in Input) (Loop, error) {
		r, _, err := s.owned(ctx, in)
		if err != nil {
			return Loop{}, err
		}
		return make(ctx, in, r)
	}
}

// createEnv makes one of the environment's groups (network, runtime) with
// make, marking its step running and then succeeded.
func (s *Steps) createEnv(make func(context.Context, records, apps.Environment) error) func(context.Context, Input) (Loop, error) {
	return func(ctx context.Context, in Input) (Loop, error) {
		r, env, targets, err := s.envStep(ctx, in)
		if err != nil {
			return Loop{}, err
		}
		if err := make(ctx, r, env); err != nil {
			return Loop{}, err
		}
		return Loop{Ready: true}, s.step(ctx, targets, in.Group, apps.StepSucceeded, "")
	}
}

// envStep reads the records of an environment group's step and marks it running.
func (s *Steps) envStep(ctx context.Context, in Input) (records, apps.Environment, []apps.Target, error) {
	r, _, err := s.owned(ctx, in)
	if err != nil {
		return records{}, apps.Environment{}, nil, err
	}
	env, err := in.envOf(r)
	if err != nil {
		return records{}, apps.Environment{}, nil, err
	}
	targets := in.stepTargets(r, in.Group, env)
	return r, env, targets, s.step(ctx, targets, in.Group, apps.StepRunning, "")
}

// createDatabase starts creating the application's RDS instance.
func (s *Steps) createDatabase(ctx context.Context, in Input, r records) (Loop, error) {
	app, t := r.app, in.appTarget(r)
	names := t.Names()
	if app.Database == nil {
		return Loop{Ready: true}, nil
	}
	if err := s.step(ctx, []apps.Target{t}, in.Group, apps.StepRunning, "creating the "+app.Database.Engine+" instance"); err != nil {
		return Loop{}, err
	}
	spec := cloud.DatabaseSpec{Identifier: names.Database(), Engine: app.Database.Engine, InstanceClass: app.Database.InstanceClass,
		StorageGB: app.Database.StorageGB, MultiAZ: app.Database.MultiAZ, DatabaseName: names.DatabaseName(), Tags: names.Tags()}
	if spec.Engine == "mysql" {
		spec.EngineVersion = "8.4"
	}
	res, err := s.Cloud.CreateDatabase(ctx, spec)
	if err != nil {
		return Loop{}, cloudError("create database", err)
	}
	if err := s.record(ctx, t, res, map[string]string{apps.OutDatabaseIdentifier: res.ID, apps.OutDatabaseStatus: strings.ToLower(string(res.State)), apps.OutCloud: s.Platform.Cloud}); err != nil {
		return Loop{}, err
	}
	return s.firstLoop(GroupDatabase, res.Expected, false), nil
}

// createFilesystem starts creating the application's EFS filesystem.
func (s *Steps) createFilesystem(ctx context.Context, in Input, r records) (Loop, error) {
	app, t := r.app, in.appTarget(r)
	names := t.Names()
	if app.Filesystem == nil {
		return Loop{Ready: true}, nil
	}
	if err := s.step(ctx, []apps.Target{t}, in.Group, apps.StepRunning, "creating the EFS filesystem"); err != nil {
		return Loop{}, err
	}
	res, err := s.Cloud.CreateFilesystem(ctx, cloud.FilesystemSpec{Name: names.Filesystem(), CreationToken: names.Filesystem(), Tags: names.Tags()})
	if err != nil {
		return Loop{}, cloudError("create filesystem", err)
	}
	if err := s.record(ctx, t, res, map[string]string{apps.OutCloud: s.Platform.Cloud}); err != nil {
		return Loop{}, err
	}
	return s.firstLoop(GroupFilesystem, res.Expected, false), nil
}

// createRepository makes the application's ECR repository, when a
// container uses an internal image.
func (s *Steps) createRepository(ctx context.Context, in Input, r records) (Loop, error) {
	app, t := r.app, in.appTarget(r)
	names := t.Names()
	if !usesInternalImages(app.Compose) {
		return Loop{Ready: true}, nil
	}
	if err := s.step(ctx, []apps.Target{t}, in.Group, apps.StepRunning, "creating the ECR repository"); err != nil {
		return Loop{}, err
	}
	res, err := s.Cloud.CreateRepository(ctx, cloud.RepositorySpec{Name: names.Repository(), Tags: names.Tags()})
	if err != nil {
		return Loop{}, cloudError("create repository", err)
	}
	if err := s.record(ctx, t, res, map[string]string{apps.OutRepositoryURI: res.Outputs[cloud.OutRepositoryURI], apps.OutCloud: s.Platform.Cloud}); err != nil {
		return Loop{}, err
	}
	return Loop{Ready: true}, s.step(ctx, []apps.Target{t}, in.Group, apps.StepSucceeded, "")
}

// entrance is the container and port the load balancer sends traffic to:
// the first exposed port of the first essential container that exposes one.
func entrance(d compose.Definition) (compose.Container, int, bool) {
	for _, c := range d.Containers {
		if (c.Essential == nil || *c.Essential) && len(c.ExposedPorts) > 0 {
			return c, c.ExposedPorts[0], true
		}
	}
	return compose.Container{}, 0, false
}

// createRuntime makes what the containers run with: their log group,
// app-secrets secret and, when the application has a filesystem, their
// access point to it.
func (s *Steps) createRuntime(ctx context.Context, r records, env apps.Environment) error {
	t := envTarget(env)
	names := t.Names()
	tags := names.Tags()
	if !holds(env, cloud.KindScheduleGroup) {
		res, err := s.Cloud.CreateScheduleGroup(ctx, cloud.ScheduleGroupSpec{Name: names.ScheduleGroup(), Tags: tags})
		if err != nil {
			return cloudError("create schedule group", err)
		}
		if err := s.record(ctx, t, res, nil); err != nil {
			return err
		}
	}
	if env.Outputs[apps.OutLogGroup] == "" {
		res, err := s.Cloud.CreateLogGroup(ctx, cloud.LogGroupSpec{Name: names.LogGroup(), RetentionDays: s.Platform.LogRetentionDays, Tags: tags})
		if err != nil {
			return cloudError("create log group", err)
		}
		if err := s.record(ctx, t, res, map[string]string{apps.OutLogGroup: res.ID, apps.OutCloud: s.Platform.Cloud}); err != nil {
			return err
		}
	}
	if env.Outputs[apps.OutSecretsARN] == "" {
		res, err := s.Cloud.CreateSecret(ctx, cloud.SecretSpec{Name: names.Secret(), Description: "app-secrets of " + env.Name + " of " + env.Application, Tags: tags})
		if err != nil {
			return cloudError("create app-secrets secret", err)
		}
		if err := s.record(ctx, t, res, map[string]string{apps.OutSecretsARN: res.ID}); err != nil {
			return err
		}
	}
	app := r.app
	if app.Filesystem == nil || env.Outputs[apps.OutAccessPointID] != "" {
		return nil
	}
	fsID := app.Outputs[apps.OutFilesystemID]
	if fsID == "" {
		return fail(ErrResourceFailed, "the application's filesystem is not available")
	}
	res, err := s.Cloud.CreateAccessPoint(ctx, cloud.AccessPointSpec{Name: names.Resource(), FilesystemID: fsID,
		ClientToken: token(names.Resource(), "access-point"), RootDirectory: "/" + env.Name, Tags: tags})
	if err != nil {
		return cloudError("create EFS access point", err)
	}
	return s.record(ctx, t, res, map[string]string{apps.OutAccessPointID: res.ID, apps.OutFilesystemID: fsID, apps.OutMountPath: app.Filesystem.MountPath})
}

// createNetwork makes the service's security group and, when a container
// takes traffic, its target group and listener rule.
func (s *Steps) createNetwork(ctx context.Context, _ records, env apps.Environment) error {
	t := envTarget(env)
	names := t.Names()
	tags := names.Tags()
	c, port, exposed := entrance(env.Compose)
	var ports []int
	if exposed {
		ports = []int{port}
	}
	if env.Outputs[apps.OutSecurityGroupID] == "" {
		res, err := s.Cloud.CreateSecurityGroup(ctx, cloud.SecurityGroupSpec{Name: names.Resource(), Description: "Berth service " + names.Resource(), Ports: ports, Tags: tags})
		if err != nil {
			return cloudError("create security group", err)
		}
		if err := s.record(ctx, t, res, map[string]string{apps.OutSecurityGroupID: res.ID,
			apps.OutVPC: s.Platform.VPC, apps.OutSubnets: strings.Join(s.Platform.Subnets, ",")}); err != nil {
			return err
		}
	}
	if !exposed {
		return nil
	}
	tgARN := env.Outputs[apps.OutTargetGroupARN]
	if tgARN == "" {
		res, err := s.Cloud.CreateTargetGroup(ctx, cloud.TargetGroupSpec{Name: names.TargetGroup(), Port: port, Tags: tags})
		if err != nil {
			return cloudError("create target group", err)
		}
		if err := s.record(ctx, t, res, map[string]string{apps.OutTargetGroupARN: res.ID}); err != nil {
			return err
		}
		tgARN = res.ID
	}
	if env.Outputs[apps.OutListenerRuleARN] == "" {
		spec := cloud.ListenerRuleSpec{Name: names.Resource(), Host: names.Host(s.Platform.Domain), TargetGroupARN: tgARN, Tags: tags}
		if c.OriginProtection != nil && *c.OriginProtection {
			// The secret is recorded before the rule is made, so a retried
			// step makes the same rule.
			secret := env.Outputs[apps.OutOriginHeaderValue]
			if secret == "" {
				secret = originSecret()
				if err := s.Store.Apply(ctx, t, apps.Change{Outputs: map[string]string{apps.OutOriginHeaderValue: secret}, Now: s.now()}); err != nil {
					return cloudError("record origin header", err)
				}
			}
			spec.OriginHeader = &cloud.Header{Name: apps.OriginHeader, Value: secret}
		}
		res, err := s.Cloud.CreateListenerRule(ctx, spec)
		if err != nil {
			return cloudError("create listener rule", err)
		}
		if err := s.record(ctx, t, res, map[string]string{apps.OutListenerRuleARN: res.ID, apps.OutHost: spec.Host}); err != nil {
			return err
		}
	}
	return nil
}

// originSecret is a new origin header value: 128 random bits, so that it
// cannot be derived from anything else the API or AWS shows.
func originSecret() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

// token is a deterministic client token of at most 32 characters.
func token(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "/")))
	return hex.EncodeToString(sum[:16])
}

func findRef(rs []cloud.Ref, kind cloud.Kind) (cloud.Ref, bool) {
	for _, r := range rs {
		if r.Kind == kind {
			return r, true
		}
	}
	return cloud.Ref{}, false
}

// taskSpec is the task definition of d for env: its database, its view of
// the application's filesystem (the runtime step's access point), its log
// group and secrets.
func (s *Steps) taskSpec(r records, env apps.Environment, d compose.Definition, vars []compose.EnvVar, secrets []apps.SecretVariable) (cloud.TaskSpec, error) {
	app := r.app
	names := envTarget(env).Names()
	tags := names.Tags()
	spec := cloud.TaskSpec{
		Family: names.Resource(), Compose: d, ExecutionRoleARN: s.Platform.ExecutionRoleARN,
		LogGroup: env.Outputs[apps.OutLogGroup], Region: s.Platform.Region,
		RepositoryURI: app.Outputs[apps.OutRepositoryURI], SecretsARN: env.Outputs[apps.OutSecretsARN], Tags: tags,
		Variables: vars,
	}
	for _, sec := range secrets {
		spec.Secrets = append(spec.Secrets, cloud.SecretRef{Name: sec.Name, ValueFrom: sec.ValueFrom})
	}
	if app.Database != nil {
		host, port := app.Outputs[apps.OutDatabaseEndpoint], app.Outputs[apps.OutDatabasePort]
		if host == "" {
			return cloud.TaskSpec{}, fail(ErrResourceFailed, "the application's database is not available")
		}
		p, _ := strconv.Atoi(port)
		spec.Database = &cloud.DatabaseConnection{Host: host, Port: p, Name: apps.Target{Organisation: app.Organisation, Application: app.Name, UID: app.UID}.Names().DatabaseName(), SecretARN: app.Outputs[apps.OutDatabaseSecretARN]}
	}
	if app.Filesystem != nil {
		fsID := app.Outputs[apps.OutFilesystemID]
		if fsID == "" {
			return cloud.TaskSpec{}, fail(ErrResourceFailed, "the application's filesystem is not available")
		}
		apID := env.Outputs[apps.OutAccessPointID]
		if apID == "" {
			return cloud.TaskSpec{}, fail(ErrResourceFailed, "environment %q has no access point to the application's filesystem", env.Name)
		}
		spec.Filesystem = &cloud.FilesystemMount{FilesystemID: fsID, AccessPointID: apID, MountPath: app.Filesystem.MountPath}
		for _, name := range d.EnvironmentVolumes() {
			i := slices.IndexFunc(env.Volumes, func(v apps.Volume) bool { return v.Name == name })
			if i < 0 {
				return cloud.TaskSpec{}, fail(ErrResourceFailed, "volume %q, which a container mounts, no longer exists in environment %q", name, env.Name)
			}
			spec.Volumes = append(spec.Volumes, cloud.VolumeMount{Name: name, FilesystemID: fsID, AccessPointID: env.Volumes[i].AccessPointID})
		}
	}
	return spec, nil
}

// createService registers the environment's task definition and creates
// its ECS service and auto scaling; Check waits for it.
func (s *Steps) createService(ctx context.Context, in Input) (Loop, error) {
	r, env, _, err := s.envStep(ctx, in)
	if err != nil {
		return Loop{}, err
	}
	t := envTarget(env)
	names := t.Names()
	tags := names.Tags()
	spec, err := s.taskSpec(r, env, env.Compose, env.Variables, env.Secrets)
	if err != nil {
		return Loop{}, err
	}
	tdARN := env.Outputs[apps.OutTaskDefinitionARN]
	if _, ok := findRef(env.Resources, cloud.KindTaskDefinition); !ok || tdARN == "" {
		// A registration whose answer was lost (or whose Lambda died before
		// recording it) left a revision of this environment's family that no
		// record holds: take it, rather than register another and orphan it.
		// RegisterTaskDefinition has no client token; the family is the key.
		res, err := s.Cloud.Check(ctx, cloud.Ref{Kind: cloud.KindTaskDefinition, Name: spec.Family})
		if errors.Is(err, cloud.ErrNotFound) || err == nil && res.State != cloud.StateAvailable {
			res, err = s.Cloud.RegisterTaskDefinition(ctx, spec)
		}
		if err != nil {
			return Loop{}, cloudError("register task definition", err)
		}
		if err := s.record(ctx, t, res, map[string]string{apps.OutTaskDefinitionARN: res.ID, apps.OutDeploymentStatus: "IN_PROGRESS"}); err != nil {
			return Loop{}, err
		}
		tdARN = res.ID
		dep := apps.Deployment{DeploymentID: "dep-" + token(res.ID)[:12], Environment: env.Name, TaskDefinitionARN: res.ID,
			CreatedAt: s.now(), Status: "IN_PROGRESS", ImageTag: imageTag(env.Compose)}
		if err := s.Store.Apply(ctx, in.appTarget(r), apps.Change{Deployment: &dep, Now: s.now()}); err != nil {
			return Loop{}, cloudError("record deployment", err)
		}
	}
	svc := cloud.ServiceSpec{Name: names.Resource(), TaskDefinitionARN: tdARN, DesiredCount: env.DesiredCount,
		SecurityGroupID: env.Outputs[apps.OutSecurityGroupID], ClientToken: token(in.ExecutionName, "service"), Tags: tags}
	if c, port, ok := entrance(env.Compose); ok {
		svc.TargetGroupARN, svc.ContainerName, svc.ContainerPort = env.Outputs[apps.OutTargetGroupARN], c.Name, port
	}
	res, err := s.Cloud.CreateService(ctx, svc)
	if err != nil {
		return Loop{}, cloudError("create ECS service", err)
	}
	if err := s.record(ctx, t, res, map[string]string{apps.OutServiceARN: res.ID, apps.OutServiceName: svc.Name, apps.OutCluster: s.Platform.Cluster}); err != nil {
		return Loop{}, err
	}
	return s.firstLoop(GroupService, res.Expected, false), nil
}

// createScaling registers the environment's service with Application
// Auto Scaling, its CPU at 70 %, right after the service is created. It
// answers Ready and marks no step: it is part of the service's.
func (s *Steps) createScaling(ctx context.Context, in Input) (Loop, error) {
	r, _, err := s.owned(ctx, in)
	if err != nil {
		return Loop{}, err
	}
	env, err := in.envOf(r)
	if err != nil {
		return Loop{}, err
	}
	svc := env.Outputs[apps.OutServiceName]
	if svc == "" {
		return Loop{}, fail(ErrResourceFailed, "environment %q has no service to scale", env.Name)
	}
	minC, maxC := env.MinCapacity, env.MaxCapacity
	if env.Stopped {
		// Created stopped: scaling must not start what a start will.
		minC, maxC = 0, 0
	}
	res, err := s.Cloud.RegisterScaling(ctx, cloud.ScalingSpec{ServiceName: svc, Min: minC, Max: maxC, TargetCPUPercent: 70,
		Tags: envTarget(env).Names().Tags()})
	if err != nil {
		return Loop{}, cloudError("register auto scaling", err)
	}
	return Loop{Ready: true}, s.record(ctx, envTarget(env), res, nil)
}

// imageTag is the tag of the first container's image, for the deployment entry.
func imageTag(d compose.Definition) string {
	if len(d.Containers) == 0 || d.Containers[0].ImageReference == nil {
		return ""
	}
	id := d.Containers[0].ImageReference.Identifier
	if i := strings.LastIndex(id, ":"); i >= 0 && !strings.Contains(id[i:], "/") {
		return id[i+1:]
	}
	return id
}

// holds reports whether env has a resource of kind k.
func holds(env apps.Environment, k cloud.Kind) bool {
	for _, ref := range env.Resources {
		if ref.Kind == k {
			return true
		}
	}
	return false
}
