// Package stepboot wires the workflows' step functions: it reads the
// platform from the environment, builds the table and cloud adapters once
// per cold start and hands one step to the Lambda runtime. It is apart
// from boot so that step binaries do not link the API.
package stepboot

import (
	"encoding/json"
	"fmt"
	"os"
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
	// EnvDefaultTaskRoleARN is the task role of tenants' tasks whose compose
	// definition names none (ECS Exec needs one); optional.
	EnvDefaultTaskRoleARN = "BERTH_DEFAULT_TASK_ROLE_ARN"
	EnvVPC                = "BERTH_VPC_ID"
	EnvSubnets            = "BERTH_TASK_SUBNET_IDS" // comma-separated
	EnvCluster            = "BERTH_CLUSTER_ARN"
	EnvLogRetentionDays   = "BERTH_TENANT_LOG_RETENTION_DAYS"
	// EnvHeartbeatTimeout is provision.Platform.HeartbeatTimeout, a Go
	// duration ("15m"); optional, and for the local stack too (berth-local).
	EnvHeartbeatTimeout = "BERTH_HEARTBEAT_TIMEOUT"
	// EnvDataImage is the image of data tasks (images/berth-data).
	EnvDataImage = "BERTH_DATA_IMAGE"
	// EnvDataTaskRoleARN is data tasks' task role, which may use the
	// backups bucket.
	EnvDataTaskRoleARN = "BERTH_DATA_TASK_ROLE_ARN"
)

// CloudPort builds the cloud adapter of the step functions from the
// Lambda's AWS configuration, the platform and its environment.
type CloudPort func(cfg aws.Config, p provision.Platform, getenv func(string) string) (cloud.Cloud, error)

// Lambda serves one workflow step in the Lambda runtime. newCloud is nil
// for the steps that ask nothing of the cloud, so they do not link its
// clients. A failure to start is one JSON log line, as Lambda's JSON log
// format expects, without linking log/slog into every step.
func Lambda(step provision.Step, newCloud CloudPort) {
	h, err := StepHandler(step, os.Getenv, newCloud)
	if err != nil {
		_ = json.NewEncoder(os.Stdout).Encode(map[string]string{"level": "ERROR", "msg": "cannot start", "step": step.Name, "error": err.Error()})
		os.Exit(1)
	}
	lambda.Start(h)
}

// Handler builds the named step's handler from configuration read through getenv.
func Handler(name string, getenv func(string) string, newCloud CloudPort) (any, error) {
	step, err := provision.FindStep(name)
	if err != nil {
		return nil, err
	}
	return StepHandler(step, getenv, newCloud)
}

// StepHandler is Handler for a step the caller holds: a step's main.go goes
// this way, so that its binary links no other step's code.
func StepHandler(step provision.Step, getenv func(string) string, newCloud CloudPort) (any, error) {
	table := getenv(EnvTableName)
	if table == "" {
		return nil, fmt.Errorf("%s is not set", EnvTableName)
	}
	var c cloud.Cloud
	p, err := PlatformFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	if provision.NeedsCloud(step.Name) && newCloud == nil {
		return nil, fmt.Errorf("step %s needs the cloud, but its function was built without a cloud adapter", step.Name)
	}
	if newCloud != nil {
		if c, err = newCloud(awsenv.Config(getenv), p, getenv); err != nil {
			return nil, err
		}
	}
	tbl := &store.Table{Client: awsenv.DynamoDB(getenv), Name: table}
	steps := &provision.Steps{Store: tbl, Rollouts: tbl, Jobs: tbl, Data: tbl, Cloud: c, Platform: p, Now: time.Now}
	return step.Handler(steps), nil
}

// PlatformFromEnv reads what the steps need to know of the platform.
func PlatformFromEnv(getenv func(string) string) (provision.Platform, error) {
	p := provision.Platform{
		Cloud: "aws", Region: getenv("AWS_REGION"), Domain: getenv(EnvPlatformDomain),
		ExecutionRoleARN: getenv(EnvExecutionRoleARN), TaskRoleARN: getenv(EnvDefaultTaskRoleARN), VPC: getenv(EnvVPC), Cluster: getenv(EnvCluster),
		LogRetentionDays: 30, CleanupWait: 30 * time.Second, DataImage: getenv(EnvDataImage),
		DataTaskRoleARN: getenv(EnvDataTaskRoleARN),
	}
	if s := getenv(EnvSubnets); s != "" {
		p.Subnets = strings.Split(s, ",")
	}
	var err error
	if s := getenv(EnvLogRetentionDays); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return provision.Platform{}, fmt.Errorf("%s: %w", EnvLogRetentionDays, err)
		}
		p.LogRetentionDays = n
	}
	if p.HeartbeatTimeout, err = HeartbeatTimeout(getenv); err != nil {
		return provision.Platform{}, err
	}
	var missing []string
	for _, name := range []string{EnvCluster, EnvPlatformDomain, EnvExecutionRoleARN, EnvSubnets, EnvVPC} { // sorted, as reported
		if getenv(name) == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return provision.Platform{}, fmt.Errorf("not set: %s", strings.Join(missing, ", "))
	}
	return p, nil
}

// HeartbeatTimeout reads EnvHeartbeatTimeout: how long a run may go
// without a heartbeat before teardown takes over
// (provision.DefaultHeartbeatTimeout when unset).
func HeartbeatTimeout(getenv func(string) string) (time.Duration, error) {
	v := getenv(EnvHeartbeatTimeout)
	if v == "" {
		return provision.DefaultHeartbeatTimeout, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s=%q: want a positive Go duration, such as 15m or 2s", EnvHeartbeatTimeout, v)
	}
	return d, nil
}
