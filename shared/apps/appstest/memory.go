// Package appstest provides an in-memory apps.Store for tests and
// benchmarks that exercise the use cases without DynamoDB. The DynamoDB
// store has its own tests against DynamoDB Local.
package appstest

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/berth-dev/berth/shared/apps"
)

// Memory is an in-memory apps.Store with the same conditional semantics as
// the DynamoDB store.
type Memory struct {
	mu   sync.Mutex
	apps map[string]apps.Application
	envs map[string]map[string]apps.Environment
}

var _ apps.Store = (*Memory)(nil)

// NewMemory returns an empty store.
func NewMemory() *Memory {
	return &Memory{apps: map[string]apps.Application{}, envs: map[string]map[string]apps.Environment{}}
}

func appKey(org, name string) string { return org + "/" + name }

// Len returns how many records (applications and environments) are stored.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := len(m.apps)
	for _, e := range m.envs {
		n += len(e)
	}
	return n
}

func (m *Memory) CreateApplication(_ context.Context, app apps.Application, prod apps.Environment) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := appKey(app.Organisation, app.Name)
	if _, ok := m.apps[k]; ok {
		return apps.Conflict("application %q already exists", app.Name)
	}
	m.apps[k] = app
	m.envs[k] = map[string]apps.Environment{prod.Name: prod}
	return nil
}

func (m *Memory) RemoveNewApplication(_ context.Context, app apps.Application) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := appKey(app.Organisation, app.Name)
	delete(m.apps, k)
	delete(m.envs, k)
	return nil
}

func (m *Memory) GetApplication(_ context.Context, org, name string) (apps.Application, []apps.Environment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := appKey(org, name)
	a, ok := m.apps[k]
	if !ok {
		return apps.Application{}, nil, apps.NotFound("application %q does not exist", name)
	}
	return a, sortedEnvs(m.envs[k]), nil
}

func sortedEnvs(envs map[string]apps.Environment) []apps.Environment {
	out := make([]apps.Environment, 0, len(envs))
	for _, e := range envs {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func page[T any](items []T, req apps.PageRequest, name func(T) string) apps.Page[T] {
	var out apps.Page[T]
	for _, it := range items {
		if name(it) <= req.After {
			continue
		}
		if len(out.Items) == req.Limit {
			out.Next = name(out.Items[len(out.Items)-1])
			break
		}
		out.Items = append(out.Items, it)
	}
	return out
}

func (m *Memory) ListApplications(_ context.Context, org string, req apps.PageRequest) (apps.Page[apps.Application], error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var all []apps.Application
	for _, a := range m.apps {
		if a.Organisation == org {
			all = append(all, a)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	return page(all, req, func(a apps.Application) string { return a.Name }), nil
}

func (m *Memory) MarkApplicationDeleting(_ context.Context, org, name string, now time.Time) (apps.Application, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := appKey(org, name)
	a, ok := m.apps[k]
	if !ok {
		return apps.Application{}, apps.NotFound("application %q does not exist", name)
	}
	if a.Status != apps.StatusDeleting {
		a.Status, a.UpdatedAt, a.Version = apps.StatusDeleting, now, a.Version+1
		m.apps[k] = a
	}
	return a, nil
}

func (m *Memory) CreateEnvironment(_ context.Context, env apps.Environment) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := appKey(env.Organisation, env.Application)
	a, ok := m.apps[k]
	switch {
	case !ok:
		return apps.NotFound("application %q does not exist", env.Application)
	case a.Status == apps.StatusDeleting:
		return apps.Conflict("application %q is being deleted", env.Application)
	}
	if _, taken := m.envs[k][env.Name]; taken {
		return apps.Conflict("environment %q already exists", env.Name)
	}
	m.envs[k][env.Name] = env
	return nil
}

func (m *Memory) RemoveNewEnvironment(_ context.Context, env apps.Environment) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.envs[appKey(env.Organisation, env.Application)], env.Name)
	return nil
}

func (m *Memory) GetEnvironment(_ context.Context, org, app, name string) (apps.Environment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.envs[appKey(org, app)][name]
	if !ok {
		return apps.Environment{}, apps.NotFound("environment %q of application %q does not exist", name, app)
	}
	return e, nil
}

func (m *Memory) ListEnvironments(_ context.Context, org, app string, req apps.PageRequest) (apps.Page[apps.Environment], error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	envs, ok := m.envs[appKey(org, app)]
	if !ok {
		return apps.Page[apps.Environment]{}, apps.NotFound("application %q does not exist", app)
	}
	return page(sortedEnvs(envs), req, func(e apps.Environment) string { return e.Name }), nil
}

func (m *Memory) MarkEnvironmentDeleting(_ context.Context, org, app, name string, now time.Time) (apps.Environment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := appKey(org, app)
	e, ok := m.envs[k][name]
	if !ok {
		return apps.Environment{}, apps.NotFound("environment %q of application %q does not exist", name, app)
	}
	if e.Status != apps.StatusDeleting {
		e.Status, e.UpdatedAt, e.Version = apps.StatusDeleting, now, e.Version+1
		m.envs[k][name] = e
	}
	return e, nil
}
