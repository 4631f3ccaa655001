//go:build !linux

package proc

import "os/exec"

// dieWithParent does nothing where the kernel has no parent-death signal:
// the program's signal handler stops its children instead.
func dieWithParent(*exec.Cmd) {}
