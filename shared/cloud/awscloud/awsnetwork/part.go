// Package awsnetwork adapts how traffic reaches a service to AWS: its EC2
// security group, and its ELBv2 target group and rules on the shared
// listener. It is a package of its own so that the step function of its
// resource group links those two clients and no other AWS client.
package awsnetwork

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud"
	"github.com/berth-dev/berth/shared/provision"
)

// Part is the network part of the AWS cloud. Build it with New, or set
// the clients directly (tests point them at a stub).
type Part struct {
	Platform awscloud.Platform
	EC2      *ec2.Client
	ELB      *elb.Client
}

var _ cloud.Part = (*Part)(nil)

// New builds the clients from cfg, in the platform's region, each at the
// endpoint its AWS_ENDPOINT_URL_<SERVICE> names when set.
func New(cfg aws.Config, p awscloud.Platform, getenv func(string) string) *Part {
	cfg = awscloud.Config(cfg, p)
	return &Part{
		Platform: p,
		EC2: ec2.NewFromConfig(cfg, func(o *ec2.Options) {
			if e := awscloud.Endpoint(getenv, "ec2"); e != nil {
				o.BaseEndpoint = e
			}
		}),
		ELB: elb.NewFromConfig(cfg, func(o *elb.Options) {
			if e := awscloud.Endpoint(getenv, "elasticloadbalancingv2"); e != nil {
				o.BaseEndpoint = e
			}
		}),
	}
}

// FromEnv is the part as a step function's cloud: a stepboot.CloudPort.
func FromEnv(cfg aws.Config, p provision.Platform, getenv func(string) string) (cloud.Cloud, error) {
	return awscloud.PartFromEnv(cfg, p, getenv, New)
}

// Kinds implements cloud.Part.
func (c *Part) Kinds() []cloud.Kind {
	return []cloud.Kind{cloud.KindSecurityGroup, cloud.KindTargetGroup, cloud.KindListenerRule}
}

// Check reports a resource's state; see cloud.Cloud.
func (c *Part) Check(ctx context.Context, ref cloud.Ref) (cloud.Resource, error) {
	switch ref.Kind {
	case cloud.KindSecurityGroup:
		return c.checkSecurityGroup(ctx, ref)
	case cloud.KindTargetGroup:
		return c.checkTargetGroup(ctx, ref)
	case cloud.KindListenerRule:
		return c.checkListenerRule(ctx, ref)
	}
	return cloud.Resource{}, awscloud.UnknownKind(ref.Kind)
}

// Delete deletes a resource or moves its deletion on; see cloud.Cloud.
func (c *Part) Delete(ctx context.Context, ref cloud.Ref, _ cloud.DeleteOptions) (bool, error) {
	switch ref.Kind {
	case cloud.KindSecurityGroup:
		return c.deleteSecurityGroup(ctx, ref)
	case cloud.KindTargetGroup:
		return c.deleteTargetGroup(ctx, ref)
	case cloud.KindListenerRule:
		return c.deleteListenerRule(ctx, ref)
	}
	return false, awscloud.UnknownKind(ref.Kind)
}
