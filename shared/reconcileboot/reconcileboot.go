// Package reconcileboot wires the reconcile Lambda (shared/reconcile): the
// table, every AWS adapter part (its Delete is teardown's), the Tagging
// API inventory and the Step Functions client, from the environment the
// CDK stack sets.
package reconcileboot

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/berth-dev/berth/shared/apps"
	"github.com/berth-dev/berth/shared/awsenv"
	"github.com/berth-dev/berth/shared/boot"
	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awsautoscaling"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awsdatabase"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awsfilesystem"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awsnetwork"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awsrepository"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awsruntime"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awsservice"
	"github.com/berth-dev/berth/shared/reconcile"
	"github.com/berth-dev/berth/shared/reconcile/awsreconcile"
	"github.com/berth-dev/berth/shared/stepboot"
	"github.com/berth-dev/berth/shared/stepfunctions"
	"github.com/berth-dev/berth/shared/store"
)

// EnvGrace overrides reconcile.DefaultGrace (a Go duration, e.g. "45m").
const EnvGrace = "BERTH_RECONCILE_GRACE"

// Workflows are the state machines the reconciler asks about and re-drives.
var Workflows = []apps.Workflow{apps.ProvisionApplication, apps.TeardownApplication, apps.ProvisionEnvironment, apps.TeardownEnvironment}

// Event is the schedule's input: {"dryRun": false}.
type Event struct {
	DryRun bool `json:"dryRun"`
}

// Handler builds the reconcile handler from configuration read through getenv.
func Handler(getenv func(string) string) (func(context.Context, Event) (reconcile.Report, error), error) {
	table := getenv(boot.EnvTableName)
	if table == "" {
		return nil, fmt.Errorf("%s is not set", boot.EnvTableName)
	}
	p, err := stepboot.PlatformFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	plat, err := awscloud.PlatformFromEnv(p, getenv)
	if err != nil {
		return nil, err
	}
	var grace time.Duration
	if s := getenv(EnvGrace); s != "" {
		if grace, err = time.ParseDuration(s); err != nil || grace <= 0 {
			return nil, fmt.Errorf("%s: want a positive duration, e.g. 30m", EnvGrace)
		}
	}
	arns := map[apps.Workflow]string{}
	for _, w := range Workflows {
		if arns[w] = getenv(boot.StateMachineEnv(w)); arns[w] == "" {
			return nil, fmt.Errorf("%s is not set", boot.StateMachineEnv(w))
		}
	}
	cfg := awsenv.Config(getenv)
	parts := cloud.Parts{
		awsdatabase.New(cfg, plat, getenv), awsfilesystem.New(cfg, plat, getenv), awsrepository.New(cfg, plat, getenv),
		awsruntime.New(cfg, plat, getenv), awsnetwork.New(cfg, plat, getenv), awsservice.New(cfg, plat, getenv),
		awsautoscaling.New(cfg, plat, getenv),
	}
	starter := stepfunctions.New(cfg, arns, getenv("AWS_ENDPOINT_URL_SFN")).(stepfunctions.Starter)
	tbl := &store.Table{Client: awsenv.DynamoDB(getenv), Name: table}
	rc := &reconcile.Reconciler{
		Inventory: awsreconcile.New(cfg, getenv("AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API")),
		Records:   tbl, Cloud: parts, Executions: starter, Workflows: starter, Sightings: tbl, Audit: tbl,
		Metrics: os.Stdout, Grace: grace, Now: time.Now,
	}
	return func(ctx context.Context, e Event) (reconcile.Report, error) { return rc.Run(ctx, e.DryRun) }, nil
}

// Lambda serves the reconciler in the Lambda runtime; a failure to start
// is one JSON log line.
func Lambda() {
	h, err := Handler(os.Getenv)
	if err != nil {
		_ = json.NewEncoder(os.Stdout).Encode(map[string]string{"level": "ERROR", "msg": "cannot start", "function": "reconcile", "error": err.Error()})
		os.Exit(1)
	}
	lambda.Start(h)
}
