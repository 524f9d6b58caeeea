// Command step-finish is the workflows' step-finish Task (shared/provision). It
// only touches the table, so it links no cloud adapter.
package main

import (
	"github.com/berth-dev/berth/shared/provision"
	"github.com/berth-dev/berth/shared/stepboot"
)

func main() { stepboot.Lambda(provision.FinishStep, nil) }
