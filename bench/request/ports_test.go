package request

import (
	"github.com/berth-dev/berth/shared/apikeys"
	"github.com/berth-dev/berth/shared/configuration/awssecrets"
	"github.com/berth-dev/berth/shared/data/awsartefacts"
	"github.com/berth-dev/berth/shared/ecrlogin"
	"github.com/berth-dev/berth/shared/jobs/awsschedules"
	"github.com/berth-dev/berth/shared/logs/awslogs"
	"github.com/berth-dev/berth/shared/metrics/awsmetrics"
	"github.com/berth-dev/berth/shared/scaling/awsscaling"
	"github.com/berth-dev/berth/shared/shell/awsshell"
	"github.com/berth-dev/berth/shared/stepfunctions"
	"github.com/berth-dev/berth/shared/volumes/awsvolumes"
)

// The ports the functions' mains give boot.Lambda.
var (
	workflowsPort = stepfunctions.New
	usageKeysPort = apikeys.New
	registryPort  = ecrlogin.New
	scalingPort   = awsscaling.New
	schedulesPort = awsschedules.New
	logsPort      = awslogs.New
	metricsPort   = awsmetrics.New
	shellPort     = awsshell.New
	secretsPort   = awssecrets.New
	volumesPort   = awsvolumes.New
	artefactsPort = awsartefacts.New
)
