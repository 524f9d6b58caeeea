// Command step-service is the workflows' service step: it creates, checks and
// deletes the service group's resources (shared/provision).
package main

import (
	"github.com/berth-dev/berth/shared/cloud/awscloud/awsservice"
	"github.com/berth-dev/berth/shared/provision"
	"github.com/berth-dev/berth/shared/stepboot"
)

func main() { stepboot.Lambda(provision.ServiceStep, awsservice.FromEnv) }
