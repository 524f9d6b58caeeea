// Command step-check is the workflows' step-check Task (shared/provision).
package main

import (
	"github.com/berth-dev/berth/shared/cloud/awscloud/awsall"
	"github.com/berth-dev/berth/shared/provision"
	"github.com/berth-dev/berth/shared/stepboot"
)

func main() { stepboot.Lambda(provision.CheckStep, awsall.FromEnv) }
