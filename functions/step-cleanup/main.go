// Command step-cleanup is the workflows' step-cleanup Task (shared/provision).
package main

import (
	"github.com/berth-dev/berth/shared/cloud/awscloud/awsall"
	"github.com/berth-dev/berth/shared/provision"
	"github.com/berth-dev/berth/shared/stepboot"
)

func main() { stepboot.Lambda(provision.CleanupStep, awsall.FromEnv) }
