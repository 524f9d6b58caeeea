// Command get-environment-logs is the Lambda function behind one API route.
package main

import (
	"github.com/berth-dev/berth/shared/api"
	"github.com/berth-dev/berth/shared/boot"
	"github.com/berth-dev/berth/shared/logs/awslogs"
)

func main() { boot.Lambda(api.GetEnvironmentLogsRoute, boot.Ports{Logs: awslogs.New}) }
