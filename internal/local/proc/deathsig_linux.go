//go:build linux

package proc

import (
	"os/exec"
	"syscall"
)

// dieWithParent has the kernel kill cmd, not yet started, when this
// process dies, however it dies (SIGKILL included, when no handler of
// this program runs). Linux sends it when the thread that started cmd
// exits; the Go runtime ends a thread only when a goroutine locked to it
// (runtime.LockOSThread) returns still locked, which nothing here does.
func dieWithParent(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}
