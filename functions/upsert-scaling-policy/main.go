// Command upsert-scaling-policy is the Lambda function behind one API route.
package main

import (
	"github.com/berth-dev/berth/shared/api"
	"github.com/berth-dev/berth/shared/boot"
	"github.com/berth-dev/berth/shared/scaling/awsscaling"
)

func main() { boot.Lambda(api.UpsertScalingPolicyRoute, boot.Ports{Scaling: awsscaling.New}) }
