// Command step-network is the workflows' network step: it creates, checks and
// deletes the network group's resources (shared/provision).
package main

import (
	"github.com/berth-dev/berth/shared/cloud/awscloud/awsnetwork"
	"github.com/berth-dev/berth/shared/provision"
	"github.com/berth-dev/berth/shared/stepboot"
)

func main() { stepboot.Lambda(provision.NetworkStep, awsnetwork.FromEnv) }
