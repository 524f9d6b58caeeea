package awscloud

import (
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/provision"
)

// Variables the CDK stack sets on the step functions for this adapter,
// beyond those boot reads into provision.Platform.
const (
	EnvAccount                   = "BERTH_ACCOUNT_ID"
	EnvLoadBalancerSecurityGroup = "BERTH_ALB_SECURITY_GROUP_ID"
	EnvListenerARN               = "BERTH_LISTENER_ARN"
	EnvDatabaseSubnetGroup       = "BERTH_DB_SUBNET_GROUP"
	EnvDatabaseSecurityGroup     = "BERTH_DB_SECURITY_GROUP_ID"
	EnvFilesystemSecurityGroup   = "BERTH_EFS_SECURITY_GROUP_ID"
)

// endpointEnv is the SDK's per-service endpoint variable for each client,
// e.g. AWS_ENDPOINT_URL_RDS, so tests and local tools can point a client elsewhere.
var endpointEnv = map[string]string{
	"rds": "RDS", "efs": "EFS", "ecr": "ECR", "ec2": "EC2", "elasticloadbalancingv2": "ELASTIC_LOAD_BALANCING_V2",
	"ecs": "ECS", "applicationautoscaling": "APPLICATION_AUTO_SCALING", "secretsmanager": "SECRETS_MANAGER",
	"cloudwatchlogs": "CLOUDWATCH_LOGS",
}

// FromEnv builds the adapter for a step function; it is the step
// functions' stepboot.CloudPort.
func FromEnv(cfg aws.Config, p provision.Platform, getenv func(string) string) (cloud.Cloud, error) {
	plat := Platform{
		Region: p.Region, Account: getenv(EnvAccount), Cluster: p.Cluster, VPC: p.VPC, Subnets: p.Subnets,
		LoadBalancerSecurityGroup: getenv(EnvLoadBalancerSecurityGroup), ListenerARN: getenv(EnvListenerARN),
		DatabaseSubnetGroup: getenv(EnvDatabaseSubnetGroup), DatabaseSecurityGroup: getenv(EnvDatabaseSecurityGroup),
		FilesystemSecurityGroup: getenv(EnvFilesystemSecurityGroup), ExecutionRoleARN: p.ExecutionRoleARN,
	}
	var missing []string
	for name, v := range map[string]string{EnvAccount: plat.Account, EnvLoadBalancerSecurityGroup: plat.LoadBalancerSecurityGroup,
		EnvListenerARN: plat.ListenerARN, EnvDatabaseSubnetGroup: plat.DatabaseSubnetGroup,
		EnvDatabaseSecurityGroup: plat.DatabaseSecurityGroup, EnvFilesystemSecurityGroup: plat.FilesystemSecurityGroup} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("not set: %s", strings.Join(missing, ", "))
	}
	return New(cfg, plat, func(service string) string { return getenv("AWS_ENDPOINT_URL_" + endpointEnv[service]) }), nil
}
