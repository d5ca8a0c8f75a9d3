package proc

import (
	"os/exec"
	"syscall"
)

// dieWithParent: PR_SET_PDEATHSIG, set by the kernel as the process starts.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
