package sandbox

import (
	"context"
	"sort"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/scaling"
)

// LoadBalancer is the full name of the sandbox's shared load balancer, as
// RPS policies' resource labels name it.
const LoadBalancer = "app/berth-sandbox/0000000000000000"

// ScalingPolicies is the sandbox's scaling.Policies: the target-tracking
// policies of its services, in memory. RegisterScaling puts each service's
// CPU policy, as the AWS adapter does, and deleting the scalable target
// deletes its policies. Unlike Application Auto Scaling, a policy may be
// put on a service with no scalable target, so that tests in which no
// workflow runs can use it.
func (s *Sandbox) ScalingPolicies() scaling.Policies { return sandboxPolicies{s} }

type sandboxPolicies struct{ s *Sandbox }

var _ scaling.Policies = sandboxPolicies{}

// List implements scaling.Policies. Fault "ListScalingPolicies" fails it.
func (p sandboxPolicies) List(_ context.Context, service string) ([]scaling.Policy, error) {
	s := p.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call("ListScalingPolicies"); err != nil {
		return nil, err
	}
	out := []scaling.Policy{}
	for _, pol := range s.policies[service] {
		out = append(out, pol)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Put implements scaling.Policies. Fault "PutScalingPolicy" fails it.
func (p sandboxPolicies) Put(_ context.Context, service string, pol scaling.Policy) error {
	s := p.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call("PutScalingPolicy"); err != nil {
		return err
	}
	switch {
	case pol.Name == "":
		return invalid("PutScalingPolicy", "a policy needs a name")
	case (pol.Metric == scaling.RPS) != (pol.ResourceLabel != ""):
		return invalid("PutScalingPolicy", "a resource label goes with ALBRequestCountPerTarget, and only with it")
	}
	s.putPolicy(service, pol)
	return nil
}

// Delete implements scaling.Policies. Fault "DeleteScalingPolicy" fails it.
func (p sandboxPolicies) Delete(_ context.Context, service string, names []string) error {
	s := p.s
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, name := range names {
		if err := s.call("DeleteScalingPolicy"); err != nil {
			return err
		}
		delete(s.policies[service], name) // a missing one is gone already
	}
	return nil
}

// putPolicy stores pol. Callers hold mu.
func (s *Sandbox) putPolicy(service string, pol scaling.Policy) {
	if s.policies == nil {
		s.policies = map[string]map[string]scaling.Policy{}
	}
	if s.policies[service] == nil {
		s.policies[service] = map[string]scaling.Policy{}
	}
	s.policies[service][pol.Name] = pol
}

// registerCPUPolicy is RegisterScaling's policy: the service's CPU at
// spec.TargetCPUPercent, with the default cooldowns.
func (s *Sandbox) registerCPUPolicy(spec cloud.ScalingSpec) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.putPolicy(spec.ServiceName, scaling.Policy{Name: scaling.PolicyName(spec.ServiceName, scaling.CPU), Metric: scaling.CPU,
		TargetValue: spec.TargetCPUPercent, ScaleInCooldown: scaling.DefaultScaleInCooldown, ScaleOutCooldown: scaling.DefaultScaleOutCooldown})
}
