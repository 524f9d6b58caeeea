package dynamolocal

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal kills the server when its parent dies, so that an
// interrupted test run leaves no Java process behind.
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
