package localsfn

import (
	"os/exec"
	"syscall"
)

// setProcAttrs puts the server in its own process group, so Close can end
// it with anything it spawned, and kills it when its parent dies, so an
// interrupted test run leaves no Node process behind.
func setProcAttrs(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

func killGroup(cmd *exec.Cmd) {
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}
