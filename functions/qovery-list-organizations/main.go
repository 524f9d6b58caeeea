// Command qovery-list-organizations is the Lambda function behind one API route.
package main

import (
	"github.com/berth-dev/berth/shared/api"
	"github.com/berth-dev/berth/shared/boot"
)

func main() { boot.Lambda(api.QoveryListOrganizationsRoute, boot.Ports{}) }
