package cloud

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// ErrNoPart: the Cloud a function was built with has no part for the call.
// Each step function links only the provider clients of its own group, so
// this is a wiring mistake, never a provider's answer.
var ErrNoPart = errors.New("no part of this function's cloud serves it")

// Part is a piece of a Cloud: the kinds of resource it checks and deletes,
// and whichever of Cloud's other methods it has.
type Part interface {
	Kinds() []Kind
	Check(ctx context.Context, ref Ref) (Resource, error)
	Delete(ctx context.Context, ref Ref, opts DeleteOptions) (gone bool, err error)
}

// Parts is a Cloud made of parts: each call goes to the first part that
// has the method, or that holds the ref's kind, and fails with ErrNoPart
// when none does.
type Parts []Part

var _ Cloud = Parts(nil)

func partWith[T any](ps Parts, op string) (T, error) {
	for _, p := range ps {
		if t, ok := p.(T); ok {
			return t, nil
		}
	}
	var zero T
	return zero, fmt.Errorf("%s: %w", op, ErrNoPart)
}

func (ps Parts) partOf(k Kind, op string) (Part, error) {
	for _, p := range ps {
		if slices.Contains(p.Kinds(), k) {
			return p, nil
		}
	}
	return nil, fmt.Errorf("%s %s: %w", op, k, ErrNoPart)
}

// Check implements Cloud.
func (ps Parts) Check(ctx context.Context, ref Ref) (Resource, error) {
	p, err := ps.partOf(ref.Kind, "Check")
	if err != nil {
		return Resource{}, err
	}
	return p.Check(ctx, ref)
}

// Delete implements Cloud.
func (ps Parts) Delete(ctx context.Context, ref Ref, opts DeleteOptions) (bool, error) {
	p, err := ps.partOf(ref.Kind, "Delete")
	if err != nil {
		return false, err
	}
	return p.Delete(ctx, ref, opts)
}

// CreateDatabase implements Cloud.
func (ps Parts) CreateDatabase(ctx context.Context, spec DatabaseSpec) (Resource, error) {
	p, err := partWith[interface {
		CreateDatabase(context.Context, DatabaseSpec) (Resource, error)
	}](ps, "CreateDatabase")
	if err != nil {
		return Resource{}, err
	}
	return p.CreateDatabase(ctx, spec)
}

// CreateFilesystem implements Cloud.
func (ps Parts) CreateFilesystem(ctx context.Context, spec FilesystemSpec) (Resource, error) {
	p, err := partWith[interface {
		CreateFilesystem(context.Context, FilesystemSpec) (Resource, error)
	}](ps, "CreateFilesystem")
	if err != nil {
		return Resource{}, err
	}
	return p.CreateFilesystem(ctx, spec)
}

// CreateRepository implements Cloud.
func (ps Parts) CreateRepository(ctx context.Context, spec RepositorySpec) (Resource, error) {
	p, err := partWith[interface {
		CreateRepository(context.Context, RepositorySpec) (Resource, error)
	}](ps, "CreateRepository")
	if err != nil {
		return Resource{}, err
	}
	return p.CreateRepository(ctx, spec)
}

// CreateLogGroup implements Cloud.
func (ps Parts) CreateLogGroup(ctx context.Context, spec LogGroupSpec) (Resource, error) {
	p, err := partWith[interface {
		CreateLogGroup(context.Context, LogGroupSpec) (Resource, error)
	}](ps, "CreateLogGroup")
	if err != nil {
		return Resource{}, err
	}
	return p.CreateLogGroup(ctx, spec)
}

// CreateSecret implements Cloud.
func (ps Parts) CreateSecret(ctx context.Context, spec SecretSpec) (Resource, error) {
	p, err := partWith[interface {
		CreateSecret(context.Context, SecretSpec) (Resource, error)
	}](ps, "CreateSecret")
	if err != nil {
		return Resource{}, err
	}
	return p.CreateSecret(ctx, spec)
}

// CreateAccessPoint implements Cloud.
func (ps Parts) CreateAccessPoint(ctx context.Context, spec AccessPointSpec) (Resource, error) {
	p, err := partWith[interface {
		CreateAccessPoint(context.Context, AccessPointSpec) (Resource, error)
	}](ps, "CreateAccessPoint")
	if err != nil {
		return Resource{}, err
	}
	return p.CreateAccessPoint(ctx, spec)
}

// CreateSecurityGroup implements Cloud.
func (ps Parts) CreateSecurityGroup(ctx context.Context, spec SecurityGroupSpec) (Resource, error) {
	p, err := partWith[interface {
		CreateSecurityGroup(context.Context, SecurityGroupSpec) (Resource, error)
	}](ps, "CreateSecurityGroup")
	if err != nil {
		return Resource{}, err
	}
	return p.CreateSecurityGroup(ctx, spec)
}

// CreateTargetGroup implements Cloud.
func (ps Parts) CreateTargetGroup(ctx context.Context, spec TargetGroupSpec) (Resource, error) {
	p, err := partWith[interface {
		CreateTargetGroup(context.Context, TargetGroupSpec) (Resource, error)
	}](ps, "CreateTargetGroup")
	if err != nil {
		return Resource{}, err
	}
	return p.CreateTargetGroup(ctx, spec)
}

// CreateListenerRule implements Cloud.
func (ps Parts) CreateListenerRule(ctx context.Context, spec ListenerRuleSpec) (Resource, error) {
	p, err := partWith[interface {
		CreateListenerRule(context.Context, ListenerRuleSpec) (Resource, error)
	}](ps, "CreateListenerRule")
	if err != nil {
		return Resource{}, err
	}
	return p.CreateListenerRule(ctx, spec)
}

// RegisterTaskDefinition implements Cloud.
func (ps Parts) RegisterTaskDefinition(ctx context.Context, spec TaskSpec) (Resource, error) {
	p, err := partWith[interface {
		RegisterTaskDefinition(context.Context, TaskSpec) (Resource, error)
	}](ps, "RegisterTaskDefinition")
	if err != nil {
		return Resource{}, err
	}
	return p.RegisterTaskDefinition(ctx, spec)
}

// CreateService implements Cloud.
func (ps Parts) CreateService(ctx context.Context, spec ServiceSpec) (Resource, error) {
	p, err := partWith[interface {
		CreateService(context.Context, ServiceSpec) (Resource, error)
	}](ps, "CreateService")
	if err != nil {
		return Resource{}, err
	}
	return p.CreateService(ctx, spec)
}

// RegisterScaling implements Cloud.
func (ps Parts) RegisterScaling(ctx context.Context, spec ScalingSpec) (Resource, error) {
	p, err := partWith[interface {
		RegisterScaling(context.Context, ScalingSpec) (Resource, error)
	}](ps, "RegisterScaling")
	if err != nil {
		return Resource{}, err
	}
	return p.RegisterScaling(ctx, spec)
}

// UpdateService implements Cloud.
func (ps Parts) UpdateService(ctx context.Context, spec ServiceUpdate) (Resource, error) {
	p, err := partWith[interface {
		UpdateService(context.Context, ServiceUpdate) (Resource, error)
	}](ps, "UpdateService")
	if err != nil {
		return Resource{}, err
	}
	return p.UpdateService(ctx, spec)
}

// Rollout implements Cloud.
func (ps Parts) Rollout(ctx context.Context, service, taskDefinitionARN string) (Rollout, error) {
	p, err := partWith[interface {
		Rollout(context.Context, string, string) (Rollout, error)
	}](ps, "Rollout")
	if err != nil {
		return Rollout{}, err
	}
	return p.Rollout(ctx, service, taskDefinitionARN)
}

// LogLines implements Cloud.
func (ps Parts) LogLines(ctx context.Context, group, stream string, limit int) ([]string, error) {
	p, err := partWith[interface {
		LogLines(context.Context, string, string, int) ([]string, error)
	}](ps, "LogLines")
	if err != nil {
		return nil, err
	}
	return p.LogLines(ctx, group, stream, limit)
}

// CreateScheduleGroup implements Cloud.
func (ps Parts) CreateScheduleGroup(ctx context.Context, spec ScheduleGroupSpec) (Resource, error) {
	p, err := partWith[interface {
		CreateScheduleGroup(context.Context, ScheduleGroupSpec) (Resource, error)
	}](ps, "CreateScheduleGroup")
	if err != nil {
		return Resource{}, err
	}
	return p.CreateScheduleGroup(ctx, spec)
}

// RunTask implements Cloud.
func (ps Parts) RunTask(ctx context.Context, spec TaskRun) (Task, error) {
	p, err := partWith[interface {
		RunTask(context.Context, TaskRun) (Task, error)
	}](ps, "RunTask")
	if err != nil {
		return Task{}, err
	}
	return p.RunTask(ctx, spec)
}

// DescribeTask implements Cloud.
func (ps Parts) DescribeTask(ctx context.Context, arn, container string) (Task, error) {
	p, err := partWith[interface {
		DescribeTask(context.Context, string, string) (Task, error)
	}](ps, "DescribeTask")
	if err != nil {
		return Task{}, err
	}
	return p.DescribeTask(ctx, arn, container)
}

// StopTask implements Cloud.
func (ps Parts) StopTask(ctx context.Context, arn, reason string) error {
	p, err := partWith[interface {
		StopTask(context.Context, string, string) error
	}](ps, "StopTask")
	if err != nil {
		return err
	}
	return p.StopTask(ctx, arn, reason)
}
