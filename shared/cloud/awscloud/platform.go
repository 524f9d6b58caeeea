// Package awscloud holds what the AWS adapters of the cloud port share:
// the Platform, the mapping of AWS errors onto the port's kinds, tag
// lists and the step functions' environment. The adapters themselves are
// its subpackages, one per resource group, so that each step function
// links only its own group's SDK clients (a linked package's init runs on
// every cold start); this package links none.
//
// Retries live at one layer: every client keeps the SDK's standard
// retryer, which retries throttling and transient errors with backoff and
// jitter. The Step Functions definitions that call the adapters do not
// retry throttling again, so a throttled call is retried a bounded number
// of times instead of the product of two retry policies.
package awscloud

import (
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/berth-dev/berth/shared/cloud"
)

// Platform is the shared infrastructure every tenant resource lives in,
// created once per installation (by the CDK app).
type Platform struct {
	Region, Account string
	// Cluster is the ECS cluster the services run on.
	Cluster string
	VPC     string
	// Subnets are the private subnets for tasks, mount targets and databases.
	Subnets []string
	// LoadBalancerSecurityGroup is the shared ALB's group; service groups admit it only.
	LoadBalancerSecurityGroup string
	DatabaseSubnetGroup       string
	DatabaseSecurityGroup     string
	FilesystemSecurityGroup   string
	// ListenerARN is the shared ALB's HTTPS listener the host rules go on.
	ListenerARN string
	// ExecutionRoleARN is used when a task spec names no execution role.
	ExecutionRoleARN string
	// TaskRoleARN is the task role when the compose definition names none:
	// ECS Exec needs the task to have a role allowing ssmmessages. "" leaves
	// such tasks without a role.
	TaskRoleARN string
}

// Config is cfg in the platform's region, when it names one: the
// clients a part builds from it call that region.
func Config(cfg aws.Config, p Platform) aws.Config {
	if p.Region != "" {
		cfg = cfg.Copy()
		cfg.Region = p.Region
	}
	return cfg
}

// UnknownKind is what a part's Check and Delete answer for a kind it does
// not hold: the request cannot succeed there.
func UnknownKind(k cloud.Kind) error {
	return fmt.Errorf("%w: unknown resource kind %q", cloud.ErrInvalid, k)
}

// TagList is t as a service's list of tags, in key order so requests are
// reproducible; tag builds one of that service's tags.
func TagList[T any](t cloud.Tags, tag func(key, value string) T) []T {
	var tags []T
	for _, k := range sortedKeys(t) {
		tags = append(tags, tag(k, t[k]))
	}
	return tags
}

// sortedKeys gives tags in a stable order, so requests are reproducible.
func sortedKeys(t cloud.Tags) []string {
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
