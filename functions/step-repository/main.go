// Command step-repository is the workflows' repository step: it creates, checks and
// deletes the repository group's resources (shared/provision).
package main

import (
	"github.com/berth-dev/berth/shared/cloud/awscloud/awsrepository"
	"github.com/berth-dev/berth/shared/provision"
	"github.com/berth-dev/berth/shared/stepboot"
)

func main() { stepboot.Lambda(provision.RepositoryStep, awsrepository.FromEnv) }
