//go:build unix

package stack

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup puts cmd in a process group of its own: the terminal's
// Ctrl-C reaches this program, which stops cmd when it is done with it.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}
