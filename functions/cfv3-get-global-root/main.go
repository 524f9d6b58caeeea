// Command cfv3-get-global-root is the Lambda function behind one API route.
package main

import (
	"github.com/berth-dev/berth/shared/api"
	"github.com/berth-dev/berth/shared/boot"
)

func main() { boot.Lambda(api.Cfv3GetGlobalRootRoute, boot.Ports{}) }
