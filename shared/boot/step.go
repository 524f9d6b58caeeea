package boot

import (
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/provision"
	"github.com/berth-dev/berth/shared/store"
)

// Platform variables the CDK stack sets on the step functions.
const (
	EnvPlatformDomain   = "BERTH_PLATFORM_DOMAIN"
	EnvExecutionRoleARN = "BERTH_TASK_EXECUTION_ROLE_ARN"
	EnvVPC              = "BERTH_VPC_ID"
	EnvSubnets          = "BERTH_TASK_SUBNET_IDS" // comma-separated
	EnvCluster          = "BERTH_CLUSTER_ARN"
	EnvLogRetentionDays = "BERTH_TENANT_LOG_RETENTION_DAYS"
)

// CloudPort builds the cloud adapter of the step functions from the
// Lambda's AWS configuration, the platform and its environment.
type CloudPort func(cfg aws.Config, p provision.Platform, getenv func(string) string) (cloud.Cloud, error)

// Step serves one workflow step in the Lambda runtime.
func Step(name string, newCloud CloudPort) {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	h, err := StepHandler(name, os.Getenv, newCloud)
	if err != nil {
		log.Error("cannot start", slog.String("step", name), slog.String("error", err.Error()))
		os.Exit(1)
	}
	lambda.Start(h)
}

// StepHandler builds a step's handler from configuration read through getenv.
func StepHandler(name string, getenv func(string) string, newCloud CloudPort) (any, error) {
	table := getenv(EnvTableName)
	if table == "" {
		return nil, fmt.Errorf("%s is not set", EnvTableName)
	}
	p, err := PlatformFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	cfg := awsConfig(getenv)
	c, err := newCloud(cfg, p, getenv)
	if err != nil {
		return nil, err
	}
	steps := &provision.Steps{Store: &store.Table{Client: dynamoDB(getenv), Name: table}, Cloud: c, Platform: p, Now: time.Now}
	return steps.Handler(name)
}

// PlatformFromEnv reads what the steps need to know of the platform.
func PlatformFromEnv(getenv func(string) string) (provision.Platform, error) {
	p := provision.Platform{
		Cloud: "aws", Region: getenv("AWS_REGION"), Domain: getenv(EnvPlatformDomain),
		ExecutionRoleARN: getenv(EnvExecutionRoleARN), VPC: getenv(EnvVPC), Cluster: getenv(EnvCluster),
		LogRetentionDays: 30, CleanupWait: 30 * time.Second,
	}
	if s := getenv(EnvSubnets); s != "" {
		p.Subnets = strings.Split(s, ",")
	}
	if s := getenv(EnvLogRetentionDays); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return provision.Platform{}, fmt.Errorf("%s: %w", EnvLogRetentionDays, err)
		}
		p.LogRetentionDays = n
	}
	var missing []string
	for name, v := range map[string]string{EnvPlatformDomain: p.Domain, EnvExecutionRoleARN: p.ExecutionRoleARN, EnvVPC: p.VPC, EnvCluster: p.Cluster, EnvSubnets: getenv(EnvSubnets)} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return provision.Platform{}, fmt.Errorf("not set: %s", strings.Join(missing, ", "))
	}
	return p, nil
}
