// Command step-database is the workflows' database step: it creates, checks and
// deletes the database group's resources (shared/provision).
package main

import (
	"github.com/berth-dev/berth/shared/cloud/awscloud/awsdatabase"
	"github.com/berth-dev/berth/shared/provision"
	"github.com/berth-dev/berth/shared/stepboot"
)

func main() { stepboot.Lambda(provision.DatabaseStep, awsdatabase.FromEnv) }
