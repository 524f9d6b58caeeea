// Command list-scaling-policies is the Lambda function behind one API route.
package main

import (
	"github.com/berth-dev/berth/shared/api"
	"github.com/berth-dev/berth/shared/boot"
	"github.com/berth-dev/berth/shared/scaling/awsscaling"
)

func main() { boot.Lambda(api.ListScalingPoliciesRoute, boot.Ports{Scaling: awsscaling.New}) }
