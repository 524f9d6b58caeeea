// Package scaling is an environment's target-tracking scaling policies, as
// Quant's listScalingPolicies, upsertScalingPolicy and deleteScalingPolicy
// show them: the request and its rules, the default cooldowns, the name
// Berth gives each metric's policy, and the port (Policies) through which
// they reach the cloud. shared/scaling/awsscaling is the Application Auto
// Scaling adapter; shared/cloud/sandbox has the local stack's.
package scaling

import (
	"context"
	"errors"
	"strings"
)

// Metric is what a policy tracks.
type Metric string

// The metrics Quant's document names.
const (
	CPU    Metric = "CPUUtilization"
	Memory Metric = "MemoryUtilization"
	// RPS is the load balancer's requests per target
	// (ALBRequestCountPerTarget), so it needs the environment's target group.
	RPS Metric = "RPS"
)

// Metrics are the metrics, in the order the rules name them.
var Metrics = []Metric{CPU, Memory, RPS}

// Default cooldowns, as Quant's document gives them (and as provisioning
// registers the CPU policy): scale out quickly, scale in only once the
// load has stayed down.
const (
	DefaultScaleInCooldown  = 300
	DefaultScaleOutCooldown = 60
)

// Policy is one target-tracking policy of an ECS service.
type Policy struct {
	Name        string
	Metric      Metric
	TargetValue float64
	// Cooldowns in seconds.
	ScaleInCooldown, ScaleOutCooldown int
	// ResourceLabel is, for RPS, the load balancer's and target group's
	// full names: app/<lb>/<id>/targetgroup/<tg>/<id>. Empty otherwise.
	ResourceLabel string
}

// PolicyName is the name Berth gives a service's policy of a metric when
// the request names none: <service>-cpu, <service>-memory or
// <service>-rps. Provisioning registers <service>-cpu (at 70 %), so that a
// PUT of CPUUtilization updates that policy rather than adding a second.
func PolicyName(service string, m Metric) string {
	switch m {
	case CPU:
		return service + "-cpu"
	case Memory:
		return service + "-memory"
	case RPS:
		return service + "-rps"
	}
	return ""
}

// Policies reads and writes the target-tracking policies of a service's
// desired count. Put creates or replaces the named policy; Delete of a
// name that does not exist succeeds.
type Policies interface {
	List(ctx context.Context, service string) ([]Policy, error)
	Put(ctx context.Context, service string, p Policy) error
	Delete(ctx context.Context, service string, names []string) error
}

// ErrUnavailable marks a failure a retry may cure: no answer, throttling,
// a fault on the cloud's side. Any other error from Policies is ours.
var ErrUnavailable = errors.New("scaling policies unavailable")

// LoadBalancerName is the load balancer's full name (app/<name>/<id>), as
// a resource label needs it, from the ARN of the load balancer or of one
// of its listeners.
func LoadBalancerName(arn string) (string, error) {
	res := arnResource(arn)
	res = strings.TrimPrefix(res, "loadbalancer/")
	if rest, ok := strings.CutPrefix(res, "listener/"); ok {
		i := strings.LastIndex(rest, "/")
		if i < 0 {
			return "", errors.New("load balancer name: " + arn + " is not a listener ARN")
		}
		res = rest[:i]
	}
	if strings.Count(res, "/") != 2 {
		return "", errors.New("load balancer name: " + arn + " names no app/<name>/<id>")
	}
	return res, nil
}

// ResourceLabel is an RPS policy's label: the load balancer's full name,
// then the target group's (the resource part of its ARN,
// targetgroup/<name>/<id>).
func ResourceLabel(loadBalancer, targetGroupARN string) (string, error) {
	tg := arnResource(targetGroupARN)
	if loadBalancer == "" || tg == "" {
		return "", errors.New("resource label: a load balancer and a target group ARN are needed")
	}
	return loadBalancer + "/" + tg, nil
}

// arnResource is the part of an ARN after its fifth colon.
func arnResource(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[5]
}
