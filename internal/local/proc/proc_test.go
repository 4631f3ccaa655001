package proc

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestMain makes the test binary its own helper program: with
// PROC_TEST_HELPER set it is the process the tests start.
func TestMain(m *testing.M) {
	switch os.Getenv("PROC_TEST_HELPER") {
	case "":
		os.Exit(m.Run())
	case "fail":
		fmt.Println("helper: cannot start")
		os.Exit(3)
	case "serve":
		l, err := net.Listen("tcp", os.Getenv("PROC_TEST_ADDR"))
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		_ = http.Serve(l, http.NotFoundHandler()) // until interrupted
	case "parent":
		// Starts a "serve" child, says its pid, and waits to be killed.
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "PROC_TEST_HELPER=serve")
		p, err := Start("child", cmd, Options{OwnGroup: os.Getenv("PROC_TEST_OWN_GROUP") != ""})
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		fmt.Printf("child %d\n", p.cmd.Process.Pid)
		select {}
	}
}

func helper(t *testing.T, mode string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append([]string{"PROC_TEST_HELPER=" + mode}, env...)...)
	return cmd
}

func TestWaitFailsWhenTheProcessExits(t *testing.T) {
	p, err := Start("helper", helper(t, "fail"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	addr, err := FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	err = p.WaitTCP(context.Background(), addr, time.Minute)
	if err == nil || !strings.Contains(err.Error(), "exited") || !strings.Contains(err.Error(), "helper: cannot start") {
		t.Errorf("WaitTCP = %v, want an error saying it exited, with its output", err)
	}
}

func TestWaitAndStop(t *testing.T) {
	addr, err := FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	p, err := Start("helper", helper(t, "serve", "PROC_TEST_ADDR="+addr), Options{Output: &out, OwnGroup: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.WaitHTTP(context.Background(), "http://"+addr+"/", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := p.Stop(time.Minute); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	select {
	case <-p.Exited():
	default:
		t.Error("Stop returned before the process exited")
	}
	if p.Output() != "" {
		t.Errorf("Output() = %q, want nothing kept when Options.Output takes it", p.Output())
	}
}

func TestFreePortsAreDistinct(t *testing.T) {
	ports, err := FreePorts(3)
	if err != nil {
		t.Fatal(err)
	}
	if ports[0] == ports[1] || ports[1] == ports[2] || ports[0] == ports[2] {
		t.Errorf("FreePorts(3) = %v, want three distinct ports", ports)
	}
}
