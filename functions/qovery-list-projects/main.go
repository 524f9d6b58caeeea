// Command qovery-list-projects is the Lambda function behind one API route.
package main

import (
	"github.com/berth-dev/berth/shared/api"
	"github.com/berth-dev/berth/shared/boot"
)

func main() { boot.Lambda(api.QoveryListProjectsRoute, boot.Ports{}) }
