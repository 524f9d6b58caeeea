package awscloud

import (
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/provision"
)

// Variables the CDK stack sets on the step functions for the adapters,
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
	"cloudwatchlogs": "CLOUDWATCH_LOGS", "scheduler": "SCHEDULER",
}

// Endpoint is the base URL set for a service's client ("rds", "efs",
// "ecr", "ec2", "elasticloadbalancingv2", "ecs", "applicationautoscaling",
// "secretsmanager", "cloudwatchlogs", "scheduler") in AWS_ENDPOINT_URL_<SERVICE>, or
// nil to keep the AWS endpoint.
func Endpoint(getenv func(string) string, service string) *string {
	name, ok := endpointEnv[service]
	if getenv == nil || !ok {
		return nil
	}
	if e := getenv("AWS_ENDPOINT_URL_" + name); e != "" {
		return aws.String(e)
	}
	return nil
}

// PlatformFromEnv completes the platform boot read with the adapters'
// variables. Every part needs all of them: the step functions share one
// environment, and a missing one is a deployment mistake to report early.
func PlatformFromEnv(p provision.Platform, getenv func(string) string) (Platform, error) {
	plat := Platform{
		Region: p.Region, Account: getenv(EnvAccount), Cluster: p.Cluster, VPC: p.VPC, Subnets: p.Subnets,
		LoadBalancerSecurityGroup: getenv(EnvLoadBalancerSecurityGroup), ListenerARN: getenv(EnvListenerARN),
		DatabaseSubnetGroup: getenv(EnvDatabaseSubnetGroup), DatabaseSecurityGroup: getenv(EnvDatabaseSecurityGroup),
		FilesystemSecurityGroup: getenv(EnvFilesystemSecurityGroup), ExecutionRoleARN: p.ExecutionRoleARN,
		TaskRoleARN: p.TaskRoleARN,
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
		return Platform{}, fmt.Errorf("not set: %s", strings.Join(missing, ", "))
	}
	return plat, nil
}

// PartFromEnv is a part's FromEnv (a stepboot.CloudPort): the part newPart
// builds on the platform from the environment, as a Cloud.
func PartFromEnv[P cloud.Part](cfg aws.Config, p provision.Platform, getenv func(string) string,
	newPart func(aws.Config, Platform, func(string) string) P) (cloud.Cloud, error) {
	plat, err := PlatformFromEnv(p, getenv)
	if err != nil {
		return nil, err
	}
	return cloud.Parts{newPart(cfg, plat, getenv)}, nil
}
