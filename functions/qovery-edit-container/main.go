// Command qovery-edit-container is the Lambda function behind one API route.
package main

import (
	"github.com/berth-dev/berth/shared/api"
	"github.com/berth-dev/berth/shared/boot"
	"github.com/berth-dev/berth/shared/stepfunctions"
)

func main() { boot.Lambda(api.QoveryEditContainerRoute, boot.Ports{Workflows: stepfunctions.New}) }
