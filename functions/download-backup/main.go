// Command download-backup is the Lambda function behind one API route.
package main

import (
	"github.com/berth-dev/berth/shared/api"
	"github.com/berth-dev/berth/shared/boot"
	"github.com/berth-dev/berth/shared/data/awsartefacts"
)

func main() { boot.Lambda(api.DownloadBackupRoute, boot.Ports{Artefacts: awsartefacts.New}) }
