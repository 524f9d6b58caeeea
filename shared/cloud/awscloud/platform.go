// Package awscloud is the AWS adapter of the cloud port, on aws-sdk-go-v2.
//
// Retries live at one layer: every client keeps the SDK's standard
// retryer, which retries throttling and transient errors with backoff and
// jitter. The Step Functions definitions that call this package do not
// retry throttling again, so a throttled call is retried a bounded number
// of times instead of the product of two retry policies.
package awscloud

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/efs"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

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
}

// Cloud implements cloud.Cloud on AWS. Build it with New, or set the
// clients directly (tests point them at stub servers).
type Cloud struct {
	Platform Platform

	RDS     *rds.Client
	EFS     *efs.Client
	ECR     *ecr.Client
	EC2     *ec2.Client
	ELB     *elasticloadbalancingv2.Client
	ECS     *ecs.Client
	Scaling *applicationautoscaling.Client
	Secrets *secretsmanager.Client
	Logs    *cloudwatchlogs.Client
}

var _ cloud.Cloud = (*Cloud)(nil)

// New builds one client per service from cfg. endpoints, when not nil,
// may return a base URL for a service ("rds", "efs", "ecr", "ec2",
// "elasticloadbalancingv2", "ecs", "applicationautoscaling",
// "secretsmanager", "cloudwatchlogs"); empty keeps the AWS endpoint.
func New(cfg aws.Config, p Platform, endpoints func(service string) string) *Cloud {
	if p.Region != "" {
		cfg = cfg.Copy()
		cfg.Region = p.Region
	}
	base := func(service string) *string {
		if endpoints == nil {
			return nil
		}
		if e := endpoints(service); e != "" {
			return aws.String(e)
		}
		return nil
	}
	return &Cloud{
		Platform: p,
		RDS: rds.NewFromConfig(cfg, func(o *rds.Options) {
			if e := base("rds"); e != nil {
				o.BaseEndpoint = e
			}
		}),
		EFS: efs.NewFromConfig(cfg, func(o *efs.Options) {
			if e := base("efs"); e != nil {
				o.BaseEndpoint = e
			}
		}),
		ECR: ecr.NewFromConfig(cfg, func(o *ecr.Options) {
			if e := base("ecr"); e != nil {
				o.BaseEndpoint = e
			}
		}),
		EC2: ec2.NewFromConfig(cfg, func(o *ec2.Options) {
			if e := base("ec2"); e != nil {
				o.BaseEndpoint = e
			}
		}),
		ELB: elasticloadbalancingv2.NewFromConfig(cfg, func(o *elasticloadbalancingv2.Options) {
			if e := base("elasticloadbalancingv2"); e != nil {
				o.BaseEndpoint = e
			}
		}),
		ECS: ecs.NewFromConfig(cfg, func(o *ecs.Options) {
			if e := base("ecs"); e != nil {
				o.BaseEndpoint = e
			}
		}),
		Scaling: applicationautoscaling.NewFromConfig(cfg, func(o *applicationautoscaling.Options) {
			if e := base("applicationautoscaling"); e != nil {
				o.BaseEndpoint = e
			}
		}),
		Secrets: secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) {
			if e := base("secretsmanager"); e != nil {
				o.BaseEndpoint = e
			}
		}),
		Logs: cloudwatchlogs.NewFromConfig(cfg, func(o *cloudwatchlogs.Options) {
			if e := base("cloudwatchlogs"); e != nil {
				o.BaseEndpoint = e
			}
		}),
	}
}

// Check reports a resource's state; see cloud.Cloud.
func (c *Cloud) Check(ctx context.Context, ref cloud.Ref) (cloud.Resource, error) {
	switch ref.Kind {
	case cloud.KindDatabase:
		return c.checkDatabase(ctx, ref)
	case cloud.KindFilesystem:
		return c.checkFilesystem(ctx, ref)
	case cloud.KindRepository:
		return c.checkRepository(ctx, ref)
	case cloud.KindLogGroup:
		return c.checkLogGroup(ctx, ref)
	case cloud.KindSecret:
		return c.checkSecret(ctx, ref)
	case cloud.KindAccessPoint:
		return c.checkAccessPoint(ctx, ref)
	case cloud.KindSecurityGroup:
		return c.checkSecurityGroup(ctx, ref)
	case cloud.KindTargetGroup:
		return c.checkTargetGroup(ctx, ref)
	case cloud.KindListenerRule:
		return c.checkListenerRule(ctx, ref)
	case cloud.KindTaskDefinition:
		return c.checkTaskDefinition(ctx, ref)
	case cloud.KindService:
		return c.checkService(ctx, ref)
	case cloud.KindScaling:
		return c.checkScaling(ctx, ref)
	}
	return cloud.Resource{}, fmt.Errorf("%w: unknown resource kind %q", cloud.ErrInvalid, ref.Kind)
}

// Delete deletes a resource or moves its deletion on; see cloud.Cloud.
func (c *Cloud) Delete(ctx context.Context, ref cloud.Ref, opts cloud.DeleteOptions) (bool, error) {
	switch ref.Kind {
	case cloud.KindDatabase:
		return c.deleteDatabase(ctx, ref, opts)
	case cloud.KindFilesystem:
		return c.deleteFilesystem(ctx, ref)
	case cloud.KindRepository:
		return c.deleteRepository(ctx, ref)
	case cloud.KindLogGroup:
		return c.deleteLogGroup(ctx, ref)
	case cloud.KindSecret:
		return c.deleteSecret(ctx, ref)
	case cloud.KindAccessPoint:
		return c.deleteAccessPoint(ctx, ref)
	case cloud.KindSecurityGroup:
		return c.deleteSecurityGroup(ctx, ref)
	case cloud.KindTargetGroup:
		return c.deleteTargetGroup(ctx, ref)
	case cloud.KindListenerRule:
		return c.deleteListenerRule(ctx, ref)
	case cloud.KindTaskDefinition:
		return c.deleteTaskDefinition(ctx, ref)
	case cloud.KindService:
		return c.deleteService(ctx, ref)
	case cloud.KindScaling:
		return c.deleteScaling(ctx, ref)
	}
	return false, fmt.Errorf("%w: unknown resource kind %q", cloud.ErrInvalid, ref.Kind)
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
