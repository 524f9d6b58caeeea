// Command qovery-create-environment is the Lambda function behind one API route.
package main

import (
	"github.com/berth-dev/berth/shared/api"
	"github.com/berth-dev/berth/shared/boot"
)

func main() { boot.Lambda(api.QoveryCreateEnvironmentRoute, boot.Ports{}) }
