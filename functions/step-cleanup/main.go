// Command step-cleanup is the workflows' step-cleanup Task (shared/provision).
package main

import (
	"github.com/berth-dev/berth/shared/boot"
	"github.com/berth-dev/berth/shared/cloud/awscloud"
	"github.com/berth-dev/berth/shared/provision"
)

func main() { boot.Step(provision.StepCleanup, awscloud.FromEnv) }
