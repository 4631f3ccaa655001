//go:build unix

package proc

import (
	"os"
	"os/exec"
	"syscall"
)

// OwnProcessGroup puts cmd, not yet started, in a process group of its
// own: the terminal's Ctrl-C reaches this program only, which stops cmd
// when it is done with it.
func OwnProcessGroup(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
}

// Interrupt asks the started cmd to stop as Ctrl-C would.
func Interrupt(cmd *exec.Cmd) error { return cmd.Process.Signal(os.Interrupt) }
