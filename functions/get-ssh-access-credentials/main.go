// Command get-ssh-access-credentials is the Lambda function behind one API route.
package main

import (
	"github.com/berth-dev/berth/shared/api"
	"github.com/berth-dev/berth/shared/boot"
	"github.com/berth-dev/berth/shared/shell/awsshell"
)

func main() { boot.Lambda(api.GetSshAccessCredentialsRoute, boot.Ports{Shell: awsshell.New}) }
