package awsnetwork

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud"
)

// CreateSecurityGroup creates a service's security group in the platform
// VPC, admitting the spec's ports from the load balancer's group only.
// Outbound traffic keeps EC2's default: allowed.
func (c *Part) CreateSecurityGroup(ctx context.Context, spec cloud.SecurityGroupSpec) (cloud.Resource, error) {
	description := spec.Description
	if description == "" {
		description = spec.Name
	}
	tags := awscloud.TagList(spec.Tags, func(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} })
	out, err := c.EC2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName:         aws.String(spec.Name),
		Description:       aws.String(description),
		VpcId:             aws.String(c.Platform.VPC),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeSecurityGroup, Tags: tags}},
	})
	var r cloud.Resource
	switch {
	case awscloud.Code(err) == "InvalidGroup.Duplicate":
		sg, err := c.findSecurityGroup(ctx, spec.Name)
		if err != nil {
			return cloud.Resource{}, err
		}
		if sg == nil {
			return cloud.Resource{}, awscloud.NotFound("ec2: security group " + spec.Name + " exists but cannot be found in " + c.Platform.VPC)
		}
		r = securityGroupResource(spec.Name, sg.GroupId, sg.SecurityGroupArn)
	case err != nil:
		return cloud.Resource{}, awscloud.Fail(err)
	default:
		r = securityGroupResource(spec.Name, out.GroupId, out.SecurityGroupArn)
	}
	// One call per port: a rule an earlier try added fails only its own call.
	for _, port := range spec.Ports {
		_, err := c.EC2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
			GroupId: aws.String(r.ID),
			IpPermissions: []types.IpPermission{{
				IpProtocol: aws.String("tcp"), FromPort: aws.Int32(int32(port)), ToPort: aws.Int32(int32(port)),
				UserIdGroupPairs: []types.UserIdGroupPair{{GroupId: aws.String(c.Platform.LoadBalancerSecurityGroup)}},
			}},
		})
		if err != nil && awscloud.Code(err) != "InvalidPermission.Duplicate" {
			return cloud.Resource{}, awscloud.Fail(err)
		}
	}
	return r, nil
}

func securityGroupResource(name string, id, arn *string) cloud.Resource {
	r := cloud.Resource{Ref: cloud.Ref{Kind: cloud.KindSecurityGroup, Name: name, ID: aws.ToString(id)}, State: cloud.StateAvailable}
	if arn != nil {
		r.Outputs = map[string]string{cloud.OutARN: aws.ToString(arn)}
	}
	return r
}

// findSecurityGroup finds a group by name in the platform VPC; nil when there is none.
func (c *Part) findSecurityGroup(ctx context.Context, name string) (*types.SecurityGroup, error) {
	out, err := c.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{
		{Name: aws.String("group-name"), Values: []string{name}},
		{Name: aws.String("vpc-id"), Values: []string{c.Platform.VPC}},
	}})
	if err != nil {
		return nil, awscloud.Fail(err)
	}
	if len(out.SecurityGroups) == 0 {
		return nil, nil
	}
	return &out.SecurityGroups[0], nil
}

func (c *Part) checkSecurityGroup(ctx context.Context, ref cloud.Ref) (cloud.Resource, error) {
	if ref.ID == "" {
		sg, err := c.findSecurityGroup(ctx, ref.Name)
		if err != nil {
			return cloud.Resource{}, err
		}
		if sg == nil {
			return cloud.Resource{}, awscloud.NotFound("ec2: no security group " + ref.Name)
		}
		return securityGroupResource(ref.Name, sg.GroupId, sg.SecurityGroupArn), nil
	}
	out, err := c.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{ref.ID}})
	if err != nil {
		return cloud.Resource{}, awscloud.Fail(err)
	}
	if len(out.SecurityGroups) == 0 {
		return cloud.Resource{}, awscloud.NotFound("ec2: no security group " + ref.ID)
	}
	sg := out.SecurityGroups[0]
	return securityGroupResource(ref.Name, sg.GroupId, sg.SecurityGroupArn), nil
}

// deleteSecurityGroup is not gone while network interfaces still use the
// group: a deleted service's tasks release theirs only after a while.
func (c *Part) deleteSecurityGroup(ctx context.Context, ref cloud.Ref) (bool, error) {
	id := ref.ID
	if id == "" {
		sg, err := c.findSecurityGroup(ctx, ref.Name)
		if err != nil {
			return false, err
		}
		if sg == nil {
			return true, nil
		}
		id = aws.ToString(sg.GroupId)
	}
	_, err := c.EC2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(id)})
	if err == nil {
		return true, nil
	}
	switch awscloud.Code(err) {
	case "InvalidGroup.NotFound":
		return true, nil
	case "DependencyViolation":
		return false, nil
	}
	return false, awscloud.Fail(err)
}
