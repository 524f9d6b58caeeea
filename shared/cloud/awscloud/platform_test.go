package awscloud

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// TestNewKeepsTheStandardRetryer: retries live in the SDK clients (and
// nowhere else), so New must not replace or disable them.
func TestNewKeepsTheStandardRetryer(t *testing.T) {
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", "")}
	c := New(cfg, testPlatform, nil)
	for name, o := range map[string]struct {
		retryer  aws.Retryer
		region   string
		endpoint *string
	}{
		"rds": {c.RDS.Options().Retryer, c.RDS.Options().Region, c.RDS.Options().BaseEndpoint},
		"efs": {c.EFS.Options().Retryer, c.EFS.Options().Region, c.EFS.Options().BaseEndpoint},
		"ecr": {c.ECR.Options().Retryer, c.ECR.Options().Region, c.ECR.Options().BaseEndpoint},
		"ec2": {c.EC2.Options().Retryer, c.EC2.Options().Region, c.EC2.Options().BaseEndpoint},
		"elb": {c.ELB.Options().Retryer, c.ELB.Options().Region, c.ELB.Options().BaseEndpoint},
		"ecs": {c.ECS.Options().Retryer, c.ECS.Options().Region, c.ECS.Options().BaseEndpoint},
		"aas": {c.Scaling.Options().Retryer, c.Scaling.Options().Region, c.Scaling.Options().BaseEndpoint},
		"sm":  {c.Secrets.Options().Retryer, c.Secrets.Options().Region, c.Secrets.Options().BaseEndpoint},
		"cwl": {c.Logs.Options().Retryer, c.Logs.Options().Region, c.Logs.Options().BaseEndpoint},
	} {
		if o.retryer == nil || o.retryer.MaxAttempts() != 3 {
			t.Errorf("%s: retryer %T, want the SDK's standard one", name, o.retryer)
		}
		if o.region != "eu-west-1" {
			t.Errorf("%s: region %s, want the platform's", name, o.region)
		}
		if o.endpoint != nil {
			t.Errorf("%s: endpoint %s without an override", name, *o.endpoint)
		}
	}
}

func TestNewOverridesEndpointsPerService(t *testing.T) {
	c := New(aws.Config{Region: "eu-west-1"}, Platform{}, func(service string) string {
		if service == "elasticloadbalancingv2" {
			return "http://localhost:4566"
		}
		return ""
	})
	if got := aws.ToString(c.ELB.Options().BaseEndpoint); got != "http://localhost:4566" {
		t.Errorf("elbv2 endpoint %q", got)
	}
	if c.ECS.Options().BaseEndpoint != nil {
		t.Errorf("ecs endpoint %q, want the AWS one", *c.ECS.Options().BaseEndpoint)
	}
}
