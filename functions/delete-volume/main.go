// Command delete-volume is the Lambda function behind one API route.
package main

import (
	"github.com/berth-dev/berth/shared/api"
	"github.com/berth-dev/berth/shared/boot"
	"github.com/berth-dev/berth/shared/volumes/awsvolumes"
)

func main() { boot.Lambda(api.DeleteVolumeRoute, boot.Ports{Volumes: awsvolumes.New}) }
