// Command step-check is the workflows' step-check Task (shared/provision).
package main

import (
	"github.com/berth-dev/berth/shared/boot"
	"github.com/berth-dev/berth/shared/cloud/awscloud"
	"github.com/berth-dev/berth/shared/provision"
)

func main() { boot.Step(provision.StepCheck, awscloud.FromEnv) }
