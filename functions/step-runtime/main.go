// Command step-runtime is the workflows' runtime step: it creates, checks and
// deletes the runtime group's resources (shared/provision).
package main

import (
	"github.com/berth-dev/berth/shared/cloud/awscloud/awsruntime"
	"github.com/berth-dev/berth/shared/provision"
	"github.com/berth-dev/berth/shared/stepboot"
)

func main() { stepboot.Lambda(provision.RuntimeStep, awsruntime.FromEnv) }
