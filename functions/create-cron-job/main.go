// Command create-cron-job is the Lambda function behind one API route.
package main

import (
	"github.com/berth-dev/berth/shared/api"
	"github.com/berth-dev/berth/shared/boot"
	"github.com/berth-dev/berth/shared/jobs/awsschedules"
)

func main() { boot.Lambda(api.CreateCronJobRoute, boot.Ports{Schedules: awsschedules.New}) }
