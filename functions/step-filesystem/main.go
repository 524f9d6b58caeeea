// Command step-filesystem is the workflows' filesystem step: it creates, checks and
// deletes the filesystem group's resources (shared/provision).
package main

import (
	"github.com/berth-dev/berth/shared/cloud/awscloud/awsfilesystem"
	"github.com/berth-dev/berth/shared/provision"
	"github.com/berth-dev/berth/shared/stepboot"
)

func main() { stepboot.Lambda(provision.FilesystemStep, awsfilesystem.FromEnv) }
