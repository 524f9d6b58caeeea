// Command berth is Berth's command line (shared/cli): applications,
// environments, deployments, commands, logs and configuration, with the
// background work's steps shown live. `make cli` builds it as one static
// binary.
package main

import (
	"os"

	"github.com/berth-dev/berth/shared/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:])) }
