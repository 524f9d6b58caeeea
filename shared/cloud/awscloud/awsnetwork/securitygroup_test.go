package awsnetwork

import (
	"context"
	"errors"
	"testing"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awstest"
)

var securityGroupSpec = cloud.SecurityGroupSpec{
	Name: "berth-acme-my-app-production-0123456789", Description: "acme/my-app/production service", Ports: []int{80, 8080}, Tags: awstest.Tags,
}

const sgARN = "arn:aws:ec2:eu-west-1:123456789012:security-group/sg-0123"

func TestCreateSecurityGroupRequests(t *testing.T) {
	c, stub := testPart(t)
	stub.On("CreateSecurityGroup", awstest.OK(`<groupId>sg-0123</groupId><securityGroupArn>`+sgARN+`</securityGroupArn>`))
	stub.On("AuthorizeSecurityGroupIngress", awstest.OK(`<return>true</return>`))
	r, err := c.CreateSecurityGroup(context.Background(), securityGroupSpec)
	if err != nil {
		t.Fatal(err)
	}
	awstest.CheckForm(t, stub.Only("CreateSecurityGroup").Form, map[string]string{
		"Action": "CreateSecurityGroup", "Version": "2016-11-15",
		"GroupName": "berth-acme-my-app-production-0123456789", "GroupDescription": "acme/my-app/production service", "VpcId": "vpc-0abc",
		"TagSpecification.1.ResourceType": "security-group",
		"TagSpecification.1.Tag.1.Key":    "berth:application", "TagSpecification.1.Tag.1.Value": "my-app",
		"TagSpecification.1.Tag.2.Key": "berth:managed", "TagSpecification.1.Tag.2.Value": "true",
	})
	ingress := stub.All("AuthorizeSecurityGroupIngress")
	if len(ingress) != 2 {
		t.Fatalf("%d ingress calls, want one per port", len(ingress))
	}
	for i, port := range []string{"80", "8080"} {
		awstest.CheckForm(t, ingress[i].Form, map[string]string{
			"Action": "AuthorizeSecurityGroupIngress", "Version": "2016-11-15", "GroupId": "sg-0123",
			"IpPermissions.1.IpProtocol": "tcp", "IpPermissions.1.FromPort": port, "IpPermissions.1.ToPort": port,
			"IpPermissions.1.Groups.1.GroupId": "sg-alb",
		})
	}
	if r.ID != "sg-0123" || r.State != cloud.StateAvailable || r.Outputs[cloud.OutARN] != sgARN {
		t.Errorf("resource %+v", r)
	}
}

// TestCreateSecurityGroupThatExists finds the group by name in the
// platform VPC, and rules an earlier try added are fine.
func TestCreateSecurityGroupThatExists(t *testing.T) {
	c, stub := testPart(t)
	stub.On("CreateSecurityGroup", awstest.AWSErr("InvalidGroup.Duplicate", "The security group 'berth-acme-my-app-production-0123456789' already exists for VPC 'vpc-0abc'"))
	stub.On("DescribeSecurityGroups", awstest.OK(`<securityGroupInfo><item><groupId>sg-0123</groupId><groupName>berth-acme-my-app-production-0123456789</groupName><vpcId>vpc-0abc</vpcId></item></securityGroupInfo>`))
	stub.On("AuthorizeSecurityGroupIngress", awstest.AWSErr("InvalidPermission.Duplicate", "the specified rule already exists"), awstest.OK(`<return>true</return>`))
	r, err := c.CreateSecurityGroup(context.Background(), securityGroupSpec)
	if err != nil {
		t.Fatal(err)
	}
	awstest.CheckForm(t, stub.Only("DescribeSecurityGroups").Form, map[string]string{
		"Action": "DescribeSecurityGroups", "Version": "2016-11-15",
		"Filter.1.Name": "group-name", "Filter.1.Value.1": "berth-acme-my-app-production-0123456789",
		"Filter.2.Name": "vpc-id", "Filter.2.Value.1": "vpc-0abc",
	})
	if r.ID != "sg-0123" || len(stub.All("AuthorizeSecurityGroupIngress")) != 2 {
		t.Errorf("resource %+v after %v", r, stub.Ops())
	}
}

func TestSecurityGroupIngressRefused(t *testing.T) {
	c, stub := testPart(t)
	stub.On("CreateSecurityGroup", awstest.OK(`<groupId>sg-0123</groupId>`))
	stub.On("AuthorizeSecurityGroupIngress", awstest.AWSErr("RulesPerSecurityGroupLimitExceeded", "The maximum number of rules per security group has been reached."))
	_, err := c.CreateSecurityGroup(context.Background(), securityGroupSpec)
	if !errors.Is(err, cloud.ErrQuota) || err.Error() != "ec2 AuthorizeSecurityGroupIngress: RulesPerSecurityGroupLimitExceeded: The maximum number of rules per security group has been reached." {
		t.Fatalf("error %v", err)
	}
}

func TestSecurityGroupCheck(t *testing.T) {
	c, stub := testPart(t)
	stub.On("DescribeSecurityGroups", awstest.OK(`<securityGroupInfo><item><groupId>sg-0123</groupId></item></securityGroupInfo>`),
		awstest.AWSErr("InvalidGroup.NotFound", "The security group 'sg-0123' does not exist"))
	ref := cloud.Ref{Kind: cloud.KindSecurityGroup, Name: securityGroupSpec.Name, ID: "sg-0123"}
	if r, err := c.Check(context.Background(), ref); err != nil || r.State != cloud.StateAvailable {
		t.Fatalf("check %+v, %v", r, err)
	}
	if got := stub.All("DescribeSecurityGroups")[0].Form.Get("GroupId.1"); got != "sg-0123" {
		t.Errorf("described %q", got)
	}
	if _, err := c.Check(context.Background(), ref); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("check of a missing group: %v", err)
	}
}

func TestDeleteSecurityGroup(t *testing.T) {
	ref := cloud.Ref{Kind: cloud.KindSecurityGroup, Name: securityGroupSpec.Name, ID: "sg-0123"}
	for _, tc := range []struct {
		answer awstest.Reply
		gone   bool
	}{
		{awstest.OK(`<return>true</return>`), true},
		{awstest.AWSErr("InvalidGroup.NotFound", "The security group 'sg-0123' does not exist"), true},
		{awstest.AWSErr("DependencyViolation", "resource sg-0123 has a dependent object"), false},
	} {
		c, stub := testPart(t)
		stub.On("DeleteSecurityGroup", tc.answer)
		gone, err := c.Delete(context.Background(), ref, cloud.DeleteOptions{})
		if err != nil || gone != tc.gone {
			t.Errorf("%s: gone %v, error %v; want gone %v", tc.answer.Code, gone, err, tc.gone)
		}
		awstest.CheckForm(t, stub.Only("DeleteSecurityGroup").Form, map[string]string{"Action": "DeleteSecurityGroup", "Version": "2016-11-15", "GroupId": "sg-0123"})
	}
	t.Run("never created", func(t *testing.T) {
		c, stub := testPart(t)
		stub.On("DescribeSecurityGroups", awstest.OK(`<securityGroupInfo/>`))
		gone, err := c.Delete(context.Background(), cloud.Ref{Kind: cloud.KindSecurityGroup, Name: securityGroupSpec.Name}, cloud.DeleteOptions{})
		if err != nil || !gone || len(stub.All("DeleteSecurityGroup")) != 0 {
			t.Fatalf("gone %v, error %v after %v", gone, err, stub.Ops())
		}
	})
}
