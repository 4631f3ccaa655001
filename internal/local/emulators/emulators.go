// Package emulators starts the local stand-ins for AWS that the tests run
// against: moto_server (KMS, IAM, STS, Lambda, API Gateway) and AWS's
// Lambda runtime interface emulator. Each runs on a free loopback port for
// the length of a test and is stopped after it. A missing tool fails the
// test with the command that installs it. RunRIE starts the emulator
// outside a test, for the local API (internal/local/api).
package emulators

import (
	"bytes"
	"cmp"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/reporoot"
)

// RIEVersion is the runtime interface emulator the project uses.
const RIEVersion = "v0.0.0-20261030222936-bef5c4ba774d"

// RIEDir is where `make tools` installs it, under the repository's root:
// built static (CGO_ENABLED=0), in a directory of its version and build,
// so that an older, dynamically linked .tools/bin/aws-lambda-rie is not
// taken for it.
const RIEDir = ".tools/aws-lambda-rie-" + RIEVersion + "-static"

// RIEInstall is the command that installs it where the tests look.
const RIEInstall = "make tools   (or: CGO_ENABLED=0 GOBIN=$PWD/" + RIEDir + " go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@" + RIEVersion + ")"

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
	ports, err := freePorts(n)
	if err != nil {
		t.Fatal(err)
	}
	return ports
}

func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free loopback port: %w", err)
		}
		defer l.Close()
		addr, ok := l.Addr().(*net.TCPAddr)
		if !ok {
			return nil, fmt.Errorf("listener address %v is not TCP", l.Addr())
		}
		ports = append(ports, addr.Port)
	}
	return ports, nil
}

// process runs a command for the rest of the test and keeps its output
// for the failure message.
type process struct {
	cmd *exec.Cmd
	out *lockedBuffer
}

func start(t testing.TB, name string, cmd *exec.Cmd) *process {
	t.Helper()
	p, err := launch(name, cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("%s output:\n%s", name, p.out.String())
		}
	})
	return p
}

// launch starts cmd, collecting its output.
func launch(name string, cmd *exec.Cmd) (*process, error) {
	p := &process{cmd: cmd, out: &lockedBuffer{}}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	return p, nil
}

// stop ends the process if it is still running.
func (p *process) stop() {
	if p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
	}
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
	p := start(t, "moto_server", MotoCommand(bin, "127.0.0.1", fmt.Sprint(port)))
	m := &Moto{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port)}
	waitHTTP(t, "moto_server", m.Endpoint+"/moto-api/", p)
	return m
}

// MotoCommand is moto_server at bin listening on host:port, with its
// global CORS off: on, it answers every Origin with
// Access-Control-Allow-Origin, preflights included, so that any web page
// the developer opens could call moto (KMS Decrypt among it) and read the
// answers.
func MotoCommand(bin, host, port string) *exec.Cmd {
	cmd := exec.Command(bin, "-H", host, "-p", port)
	// moto reads any non-empty value as true.
	cmd.Env = append(os.Environ(), "MOTO_DISABLE_GLOBAL_CORS=true")
	return cmd
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
func (r *RIE) Stop() { r.proc.stop() }

// LookRIE returns the path of a statically linked aws-lambda-rie, looking
// in the repository's RIEDir, then GOBIN and GOPATH/bin, then PATH, or an
// error with the command that installs it. A dynamically linked one is
// passed over, and is the error when there is no other (CheckStatic).
func LookRIE() (string, error) {
	var candidates []string
	if root, err := reporoot.Find(); err == nil {
		candidates = append(candidates, filepath.Join(root, filepath.FromSlash(RIEDir), "aws-lambda-rie"))
	}
	if gobin := os.Getenv("GOBIN"); gobin != "" {
		candidates = append(candidates, filepath.Join(gobin, "aws-lambda-rie"))
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		candidates = append(candidates, filepath.Join(strings.TrimSpace(string(out)), "bin", "aws-lambda-rie"))
	}
	if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
		candidates = append(candidates, p)
	}
	var refused error
	for _, c := range candidates {
		if _, err := os.Stat(c); err != nil {
			continue
		}
		if err := CheckStatic(c); err != nil {
			refused = cmp.Or(refused, err)
			continue
		}
		return c, nil
	}
	if refused != nil {
		return "", refused
	}
	return "", errors.New("aws-lambda-rie is not installed: " + RIEInstall)
}

// CheckStatic returns an error, saying how to get a static build, unless
// the executable at path is linked statically. A dynamically linked one
// asks for the dynamic loader (PT_INTERP) or shared libraries
// (DT_NEEDED), and the loader runs whatever LD_PRELOAD names in any
// environment it is started with.
func CheckStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("aws-lambda-rie at %s: %w; the local API runs only a statically linked Linux build: %s", path, err, RIEInstall)
	}
	defer f.Close()
	dynamic := slices.ContainsFunc(f.Progs, func(p *elf.Prog) bool { return p.Type == elf.PT_INTERP })
	if libs, err := f.ImportedLibraries(); err == nil && len(libs) > 0 {
		dynamic = true
	}
	if dynamic {
		return fmt.Errorf("aws-lambda-rie at %s is dynamically linked, so a loader variable (LD_PRELOAD) in its environment would run code in it; "+
			"build it static: %s", path, RIEInstall)
	}
	return nil
}

// FindRIE is LookRIE for a test, which it fails when the emulator is missing.
func FindRIE(t testing.TB) string {
	t.Helper()
	p, err := LookRIE()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// StartRIE runs command (the function's bootstrap and its arguments) under
// the emulator with env added to the environment, for the rest of the test.
func StartRIE(t testing.TB, env []string, command ...string) *RIE {
	t.Helper()
	r, err := RunRIE(FindRIE(t), env, command...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		r.Stop()
		if t.Failed() {
			t.Logf("aws-lambda-rie output:\n%s", r.Output())
		}
	})
	return r
}

// RunRIE runs command under the emulator at path rie, with env added to
// the environment, until Stop; the local API keeps its functions warm
// with it.
func RunRIE(rie string, env []string, command ...string) (*RIE, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	args := append([]string{"--runtime-interface-emulator-address", fmt.Sprintf("127.0.0.1:%d", ports[0]),
		"--runtime-api-address", fmt.Sprintf("127.0.0.1:%d", ports[1]), "--log-level", "error"}, command...)
	cmd := exec.Command(rie, args...)
	cmd.Env = append(os.Environ(), env...)
	r := &RIE{URL: fmt.Sprintf("http://127.0.0.1:%d/2015-03-31/functions/function/invocations", ports[0])}
	if r.proc, err = launch("aws-lambda-rie", cmd); err != nil {
		return nil, err
	}
	if err := waitTCP(fmt.Sprintf("127.0.0.1:%d", ports[0]), r.proc); err != nil {
		r.Stop()
		return nil, err
	}
	return r, nil
}

func waitTCP(addr string, p *process) error {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(time.Millisecond) // fine-grained: cold-start benchmarks time this
	}
	return fmt.Errorf("aws-lambda-rie: nothing listens on %s after 15 s:\n%s", addr, p.out.String())
}

// Invoke posts an event and returns the function's answer.
func (r *RIE) Invoke(t testing.TB, event []byte) []byte {
	t.Helper()
	out, err := r.Call(context.Background(), event)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Call posts an event and returns the function's answer.
func (r *RIE) Call(ctx context.Context, event []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, bytes.NewReader(event))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("invoking the function under aws-lambda-rie: %w\n%s", err, r.Output())
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
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
