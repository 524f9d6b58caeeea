// Command validate-compose is the Lambda function behind one API route.
package main

import (
	"github.com/berth-dev/berth/shared/api"
	"github.com/berth-dev/berth/shared/boot"
	"github.com/berth-dev/berth/shared/composefile/composego"
)

func main() { boot.Lambda(api.ValidateComposeRoute, boot.Ports{Compose: composego.Translate}) }
