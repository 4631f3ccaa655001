//go:build !unix

package demo

import "os/exec"

// ownProcessGroup does nothing where there are no process groups.
func ownProcessGroup(*exec.Cmd) {}

// interrupt stops cmd; without signals, by killing it.
func interrupt(cmd *exec.Cmd) error { return cmd.Process.Kill() }
