//go:build linux

package proc

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// gone reports whether process pid has exited: it does not exist, or is
// a zombie that its new parent has not reaped yet.
func gone(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// pid (comm) state ...: comm may hold spaces and parentheses.
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] == 'Z'
	}
	return false
}

// A started process dies with the program that started it, even when that
// program is killed and runs no cleanup, in a process group of its own
// (as moto_server runs) or not.
func TestChildDiesWithParent(t *testing.T) {
	for _, ownGroup := range []bool{false, true} {
		t.Run(fmt.Sprintf("OwnGroup=%v", ownGroup), func(t *testing.T) {
			env := []string{}
			if ownGroup {
				env = append(env, "PROC_TEST_OWN_GROUP=1")
			}
			addr, err := FreeAddr()
			if err != nil {
				t.Fatal(err)
			}
			parent := helper(t, "parent", append(env, "PROC_TEST_ADDR="+addr)...)
			out, err := parent.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := parent.Start(); err != nil {
				t.Fatal(err)
			}
			var child int
			line, err := bufio.NewReader(out).ReadString('\n')
			if _, serr := fmt.Sscanf(line, "child %d", &child); err != nil || serr != nil {
				_ = parent.Process.Kill()
				t.Fatalf("the parent said %q (%v, %v); want its child's pid", line, err, serr)
			}
			t.Cleanup(func() { _ = syscall.Kill(child, syscall.SIGKILL) })
			waitFor(t, "the child to listen on "+addr, func() bool {
				c, err := net.Dial("tcp", addr)
				if err == nil {
					c.Close()
				}
				return err == nil
			})
			if err := parent.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			_ = parent.Wait()
			waitFor(t, fmt.Sprintf("the child %d to die with its parent", child), func() bool { return gone(child) })
		})
	}
}

// waitFor polls cond until it holds; a minute is a hang guard (what it
// waits for takes well under a second).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
