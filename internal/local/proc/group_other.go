//go:build !unix

package proc

import "os/exec"

// OwnProcessGroup does nothing where there are no process groups.
func OwnProcessGroup(*exec.Cmd) {}

// Interrupt stops the started cmd; without signals, by killing it.
func Interrupt(cmd *exec.Cmd) error { return cmd.Process.Kill() }
