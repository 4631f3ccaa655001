// Package emulators starts the local stand-ins for AWS that the tests run
// against: moto_server (KMS, IAM, STS, Lambda, API Gateway) and AWS's
// Lambda runtime interface emulator. Each runs on a free loopback port for
// the length of a test and is stopped after it. A missing tool fails the
// test with the command that installs it.
package emulators

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/reporoot"
)

// RIEVersion is the runtime interface emulator the project uses.
const RIEVersion = "v0.0.0-20261030222936-bef5c4ba774d"

// RIEInstall is the command that installs it where the tests look.
const RIEInstall = "make tools   (or: GOBIN=$PWD/.tools/bin go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@" + RIEVersion + ")"

// FreePort returns a free TCP port on the loopback interface.
func FreePort(t testing.TB) int {
	t.Helper()
	return FreePorts(t, 1)[0]
}

// FreePorts returns n distinct free TCP ports on the loopback interface:
// each is held until all are chosen, so that two calls cannot hand out
// the same port.
func FreePorts(t testing.TB, n int) []int {
	t.Helper()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		addr, ok := l.Addr().(*net.TCPAddr)
		if !ok {
			t.Fatalf("listener address %v is not TCP", l.Addr())
		}
		ports = append(ports, addr.Port)
	}
	return ports
}

// process runs a command for the rest of the test and keeps its output
// for the failure message.
type process struct {
	cmd *exec.Cmd
	out *lockedBuffer
}

func start(t testing.TB, name string, cmd *exec.Cmd) *process {
	t.Helper()
	p := &process{cmd: cmd, out: &lockedBuffer{}}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", name, p.out.String())
		}
	})
	return p
}

func waitHTTP(t testing.TB, name, url string, p *process) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			return
		}
		if p.cmd.ProcessState != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not answer at %s within 30 s:\n%s", name, url, p.out.String())
}

// Moto is a running moto_server.
type Moto struct{ Endpoint string }

// StartMoto starts moto_server on a free loopback port.
func StartMoto(t testing.TB) *Moto {
	t.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		t.Fatal("moto_server is not installed: install moto 5 with its server extra (pip install 'moto[server]==5.2.1')")
	}
	port := FreePort(t)
	p := start(t, "moto_server", exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port)))
	m := &Moto{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port)}
	waitHTTP(t, "moto_server", m.Endpoint+"/moto-api/", p)
	return m
}

// RIE is a running runtime interface emulator hosting one function.
type RIE struct {
	// URL is where events are POSTed.
	URL  string
	proc *process
}

// Output returns what the emulator and the function wrote so far.
func (r *RIE) Output() string { return r.proc.out.String() }

// Stop ends the emulator and the function now (Cleanup would at the end
// of the test).
func (r *RIE) Stop() {
	_ = r.proc.cmd.Process.Kill()
	_ = r.proc.cmd.Wait()
}

// FindRIE returns the path of aws-lambda-rie, looking in the repository's
// .tools/bin, then GOBIN and GOPATH/bin, then PATH.
func FindRIE(t testing.TB) string {
	t.Helper()
	var candidates []string
	if root, err := reporoot.Find(); err == nil {
		candidates = append(candidates, filepath.Join(root, ".tools", "bin", "aws-lambda-rie"))
	}
	if gobin := os.Getenv("GOBIN"); gobin != "" {
		candidates = append(candidates, filepath.Join(gobin, "aws-lambda-rie"))
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		candidates = append(candidates, filepath.Join(strings.TrimSpace(string(out)), "bin", "aws-lambda-rie"))
	}
	for _, c := range candidates {
		if _, err := os.Stat(c); err == nil {
			return c
		}
	}
	if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
		return p
	}
	t.Fatal("aws-lambda-rie is not installed: " + RIEInstall)
	return ""
}

// StartRIE runs command (the function's bootstrap and its arguments) under
// the emulator with env added to the environment.
func StartRIE(t testing.TB, env []string, command ...string) *RIE {
	t.Helper()
	ports := FreePorts(t, 2)
	port, apiPort := ports[0], ports[1]
	args := append([]string{"--runtime-interface-emulator-address", fmt.Sprintf("127.0.0.1:%d", port),
		"--runtime-api-address", fmt.Sprintf("127.0.0.1:%d", apiPort), "--log-level", "error"}, command...)
	cmd := exec.Command(FindRIE(t), args...)
	cmd.Env = append(os.Environ(), env...)
	r := &RIE{URL: fmt.Sprintf("http://127.0.0.1:%d/2015-03-31/functions/function/invocations", port)}
	r.proc = start(t, "aws-lambda-rie", cmd)
	waitTCP(t, fmt.Sprintf("127.0.0.1:%d", port), r.proc)
	return r
}

func waitTCP(t testing.TB, addr string, p *process) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(time.Millisecond) // fine-grained: cold-start benchmarks time this

	}
	t.Fatalf("nothing listens on %s:\n%s", addr, p.out.String())
}

// Invoke posts an event and returns the function's answer.
func (r *RIE) Invoke(t testing.TB, event []byte) []byte {
	t.Helper()
	resp, err := http.Post(r.URL, "application/json", bytes.NewReader(event))
	if err != nil {
		t.Fatalf("invoking: %v\n%s", err, r.Output())
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return b.Bytes()
}

// Silent starts, for the length of the test, an endpoint that accepts
// connections and never answers: the hang a wrong or broken endpoint
// causes. It returns its URL.
func Silent(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conns := make(chan net.Conn, 64)
	go func() {
		defer close(conns)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns <- c
		}
	}()
	t.Cleanup(func() {
		l.Close()
		for c := range conns {
			c.Close()
		}
	})
	return "http://" + l.Addr().String()
}
