// Command get-environment-metrics is the Lambda function behind one API route.
package main

import (
	"github.com/berth-dev/berth/shared/api"
	"github.com/berth-dev/berth/shared/boot"
	"github.com/berth-dev/berth/shared/metrics/awsmetrics"
)

func main() { boot.Lambda(api.GetEnvironmentMetricsRoute, boot.Ports{Metrics: awsmetrics.New}) }
