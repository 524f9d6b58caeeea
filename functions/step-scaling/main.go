// Command step-scaling is the workflows' scaling step: it registers and
// deletes the service's Application Auto Scaling target, and sets each
// deployment's bounds (shared/provision).
package main

import (
	"github.com/berth-dev/berth/shared/cloud/awscloud/awsautoscaling"
	"github.com/berth-dev/berth/shared/provision"
	"github.com/berth-dev/berth/shared/stepboot"
)

func main() { stepboot.Lambda(provision.ScalingStep, awsautoscaling.FromEnv) }
