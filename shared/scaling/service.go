package scaling

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/pattern"
	"github.com/berth-dev/berth/shared/validation"
)

// Environments reads environment records.
type Environments interface {
	GetEnvironment(ctx context.Context, org, app, name string) (apps.Environment, error)
}

// Service runs the scaling policy use cases. They act at once, as Quant's
// do: no workflow, no record of their own (the cloud holds the policies).
type Service struct {
	Environments Environments
	Policies     Policies
	// LoadBalancer is the shared load balancer's full name
	// (app/<name>/<id>), for RPS policies' resource labels.
	LoadBalancer string
}

// Bounds of the request's numbers.
const (
	MaxPercent      = 100
	MaxRequests     = 100000
	MaxCooldown     = 3600
	MaxPolicyName   = 255
	policyNameRules = "must be 1 to 255 characters of A-Z, a-z, 0-9, '_', '.' and '-'"
)

// policyNameRE is the rule for a name the client gives: Application Auto
// Scaling takes up to 256 characters without ':' or '/'; Berth keeps to
// characters that need no escaping in a query or a log line.
var policyNameRE = pattern.New(`^[A-Za-z0-9_.-]+$`, 1, MaxPolicyName)

// Request is the body of PUT .../scaling-policies (SetScalingPolicyRequest).
type Request struct {
	Metric                  *string  `json:"metric"`
	TargetValue             *float64 `json:"targetValue"`
	ScaleInCooldownSeconds  *int     `json:"scaleInCooldownSeconds"`
	ScaleOutCooldownSeconds *int     `json:"scaleOutCooldownSeconds"`
}

// Filter picks policies by metric, name, or both; the zero Filter picks all.
type Filter struct {
	Metric     *string
	PolicyName *string
}

// Target names the environment a request is about.
type Target struct {
	Organisation, Application, Environment string
}

// List is the environment's policies that match f, by name.
func (s *Service) List(ctx context.Context, t Target, f Filter) ([]Policy, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	_, service, err := s.environment(ctx, t)
	if err != nil {
		return nil, err
	}
	all, err := s.list(ctx, service)
	if err != nil {
		return nil, err
	}
	return f.pick(all), nil
}

// Put creates or replaces a policy: the one named name (or, when name is
// empty, the one Berth names for the metric), and any other policy of the
// same metric, so that one policy tracks each metric.
func (s *Service) Put(ctx context.Context, t Target, name *string, r Request) (Policy, error) {
	errs := validation.Errors{}
	p := r.check(errs)
	if name != nil {
		checkPolicyName(errs, *name)
	}
	if err := errs.Err(); err != nil {
		return Policy{}, err
	}
	env, service, err := s.environment(ctx, t)
	if err != nil {
		return Policy{}, err
	}
	p.Name = PolicyName(service, p.Metric)
	if name != nil {
		p.Name = *name
		for _, m := range Metrics {
			if m != p.Metric && *name == PolicyName(service, m) {
				return Policy{}, validation.Errors{"policyName": {fmt.Sprintf("is the name Berth gives the %s policy; name a %s policy otherwise", m, p.Metric)}}
			}
		}
	}
	if p.Metric == RPS {
		tg := env.Outputs[apps.OutTargetGroupARN]
		if tg == "" {
			return Policy{}, validation.Errors{"metric": {fmt.Sprintf("RPS needs the environment's load balancer target group, and environment %q has none (no container exposes a port)", t.Environment)}}
		}
		if p.ResourceLabel, err = ResourceLabel(s.LoadBalancer, tg); err != nil {
			return Policy{}, fmt.Errorf("environment %q: %w", t.Environment, err)
		}
	}
	before, err := s.list(ctx, service)
	if err != nil {
		return Policy{}, err
	}
	if err := s.Policies.Put(ctx, service, p); err != nil {
		return Policy{}, s.cloudError("put the scaling policy", err)
	}
	var others []string
	for _, q := range before {
		if q.Metric == p.Metric && q.Name != p.Name {
			others = append(others, q.Name)
		}
	}
	if len(others) > 0 {
		if err := s.Policies.Delete(ctx, service, others); err != nil {
			return Policy{}, s.cloudError("delete the policies it replaces", err)
		}
	}
	return p, nil
}

// Delete deletes the environment's policies that match f: all of them
// when f is the zero Filter. Nothing matching is no error.
func (s *Service) Delete(ctx context.Context, t Target, f Filter) error {
	if err := f.check(); err != nil {
		return err
	}
	_, service, err := s.environment(ctx, t)
	if err != nil {
		return err
	}
	all, err := s.list(ctx, service)
	if err != nil {
		return err
	}
	var names []string
	for _, p := range f.pick(all) {
		names = append(names, p.Name)
	}
	if len(names) == 0 {
		return nil
	}
	if err := s.Policies.Delete(ctx, service, names); err != nil {
		return s.cloudError("delete scaling policies", err)
	}
	return nil
}

// environment reads the environment, which must be ACTIVE, and its ECS
// service's name.
func (s *Service) environment(ctx context.Context, t Target) (apps.Environment, string, error) {
	env, err := s.Environments.GetEnvironment(ctx, t.Organisation, t.Application, t.Environment)
	if err != nil {
		return apps.Environment{}, "", err
	}
	if env.Status != apps.StatusActive {
		return apps.Environment{}, "", apps.Conflict("environment %q is %s; its scaling policies can be read and changed once it is ACTIVE", env.Name, env.Status)
	}
	service := env.Outputs[apps.OutServiceName]
	if service == "" {
		return apps.Environment{}, "", fmt.Errorf("environment %q is ACTIVE but its record names no ECS service", env.Name)
	}
	return env, service, nil
}

func (s *Service) list(ctx context.Context, service string) ([]Policy, error) {
	all, err := s.Policies.List(ctx, service)
	if err != nil {
		return nil, s.cloudError("list scaling policies", err)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	return all, nil
}

func (s *Service) cloudError(what string, err error) error {
	if errors.Is(err, ErrUnavailable) {
		return apps.Unavailable(err, "Application Auto Scaling did not answer, so the policies may not have changed; retry the request")
	}
	return fmt.Errorf("%s: %w", what, err)
}

// check applies the request's rules and returns the policy it asks for,
// with the default cooldowns filled in.
func (r Request) check(errs validation.Errors) Policy {
	p := Policy{ScaleInCooldown: DefaultScaleInCooldown, ScaleOutCooldown: DefaultScaleOutCooldown}
	switch {
	case r.Metric == nil:
		errs.Add("metric", "is required: "+metricRule)
	case !slices.Contains(Metrics, Metric(*r.Metric)):
		errs.Addf("metric", "%s; got %q", metricRule, *r.Metric)
	default:
		p.Metric = Metric(*r.Metric)
	}
	switch v := r.TargetValue; {
	case v == nil:
		errs.Add("targetValue", "is required")
	case *v <= 0:
		errs.Add("targetValue", "must be more than 0")
	case (p.Metric == CPU || p.Metric == Memory) && *v > MaxPercent:
		errs.Add("targetValue", "is a percentage for "+string(p.Metric)+": more than 0, at most 100")
	case p.Metric == RPS && *v > MaxRequests:
		errs.Add("targetValue", "is requests per target for RPS: more than 0, at most 100000")
	default:
		p.TargetValue = *v
	}
	for _, c := range []struct {
		field string
		v     *int
		into  *int
	}{{"scaleInCooldownSeconds", r.ScaleInCooldownSeconds, &p.ScaleInCooldown}, {"scaleOutCooldownSeconds", r.ScaleOutCooldownSeconds, &p.ScaleOutCooldown}} {
		switch {
		case c.v == nil:
		case *c.v < 0 || *c.v > MaxCooldown:
			errs.Addf(c.field, "must be 0 to %d seconds; got %d", MaxCooldown, *c.v)
		default:
			*c.into = *c.v
		}
	}
	return p
}

var metricRule = "must be one of " + strings.Join([]string{string(CPU), string(Memory), string(RPS)}, ", ")

func checkPolicyName(errs validation.Errors, name string) {
	if !policyNameRE.MatchString(name) {
		errs.Add("policyName", policyNameRules)
	}
}

func (f Filter) check() error {
	errs := validation.Errors{}
	if f.Metric != nil && !slices.Contains(Metrics, Metric(*f.Metric)) {
		errs.Addf("metric", "%s; got %q", metricRule, *f.Metric)
	}
	if f.PolicyName != nil {
		checkPolicyName(errs, *f.PolicyName)
	}
	return errs.Err()
}

func (f Filter) pick(all []Policy) []Policy {
	out := []Policy{}
	for _, p := range all {
		if (f.Metric == nil || string(p.Metric) == *f.Metric) && (f.PolicyName == nil || p.Name == *f.PolicyName) {
			out = append(out, p)
		}
	}
	return out
}
