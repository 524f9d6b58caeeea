// Command qovery-redeploy-container is the Lambda function behind one API route.
package main

import (
	"github.com/berth-dev/berth/shared/api"
	"github.com/berth-dev/berth/shared/boot"
	"github.com/berth-dev/berth/shared/stepfunctions"
)

func main() { boot.Lambda(api.QoveryRedeployContainerRoute, boot.Ports{Workflows: stepfunctions.New}) }
