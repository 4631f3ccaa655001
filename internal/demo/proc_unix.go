//go:build unix

package demo

import (
	"os"
	"os/exec"
	"syscall"
)

// ownProcessGroup keeps the terminal's Ctrl-C from reaching cmd directly:
// the demo gets it, and stops cmd in order (interrupt), then destroys.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// interrupt asks cmd to stop as Ctrl-C would.
func interrupt(cmd *exec.Cmd) error { return cmd.Process.Signal(os.Interrupt) }
