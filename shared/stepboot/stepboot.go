// Package stepboot wires the workflows' step functions: it reads the
// platform from the environment, builds the table and cloud adapters once
// per cold start and hands one step to the Lambda runtime. It is apart
// from boot so that step binaries do not link the API.
package stepboot

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

	"github.com/berth-dev/berth/shared/awsenv"
	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/provision"
	"github.com/berth-dev/berth/shared/store"
)

// Variables the CDK stack sets on the step functions.
const (
	// EnvTableName is the table, as for the API functions.
	EnvTableName        = "BERTH_TABLE_NAME"
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

// Lambda serves one workflow step in the Lambda runtime. newCloud is nil
// for the steps that ask nothing of the cloud, so they do not link its clients.
func Lambda(name string, newCloud CloudPort) {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	h, err := Handler(name, os.Getenv, newCloud)
	if err != nil {
		log.Error("cannot start", slog.String("step", name), slog.String("error", err.Error()))
		os.Exit(1)
	}
	lambda.Start(h)
}

// Handler builds a step's handler from configuration read through getenv.
func Handler(name string, getenv func(string) string, newCloud CloudPort) (any, error) {
	table := getenv(EnvTableName)
	if table == "" {
		return nil, fmt.Errorf("%s is not set", EnvTableName)
	}
	var c cloud.Cloud
	p, err := PlatformFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	if provision.NeedsCloud(name) && newCloud == nil {
		return nil, fmt.Errorf("step %s needs the cloud, but its function was built without a cloud adapter", name)
	}
	if newCloud != nil {
		if c, err = newCloud(awsenv.Config(getenv), p, getenv); err != nil {
			return nil, err
		}
	}
	steps := &provision.Steps{Store: &store.Table{Client: awsenv.DynamoDB(getenv), Name: table}, Cloud: c, Platform: p, Now: time.Now}
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
