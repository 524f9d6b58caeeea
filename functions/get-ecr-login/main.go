// Command get-ecr-login is the Lambda function behind one API route.
package main

import (
	"github.com/berth-dev/berth/shared/api"
	"github.com/berth-dev/berth/shared/boot"
	"github.com/berth-dev/berth/shared/ecrlogin"
)

func main() { boot.Lambda(api.GetEcrLoginRoute, boot.Ports{Registry: ecrlogin.New}) }
