//go:build linux

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"

	"github.com/securestream/terraform-provider-securestream/internal/local/api"
	"github.com/securestream/terraform-provider-securestream/internal/local/emulators"
	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

// hangGuard bounds each wait: what it waits for takes seconds.
const hangGuard = 2 * time.Minute

// buildLocal builds this command, once per test.
func buildLocal(t *testing.T) string {
	t.Helper()
	testenv.Cross(t)
	if _, err := exec.LookPath("moto_server"); err != nil {
		t.Fatal("moto_server is not installed: " + testenv.MotoInstall)
	}
	bin := filepath.Join(t.TempDir(), "local")
	build := exec.Command("go", "build", "-o", bin, "./internal/local/cmd/local")
	build.Dir = testenv.RepoRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// running is the command started with its stdout and stderr into one
// pipe, as under `make local 2>&1 | tee log`.
type running struct {
	cmd                      *exec.Cmd
	dir                      string
	state, motoLog, endpoint string
	read                     *os.File // the pipe's reading end: tee
	mu                       sync.Mutex
	out                      strings.Builder
	exited                   chan struct{}
}

func startLocal(t *testing.T, bin, dir string) *running {
	t.Helper()
	r := &running{dir: dir, state: filepath.Join(dir, "cloudfront.json"), motoLog: filepath.Join(dir, "moto.log"),
		endpoint: filepath.Join(dir, "endpoints.json"), exited: make(chan struct{})}
	read, write, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.read = read
	r.cmd = exec.Command(bin, "-free-ports", "-state", r.state, "-moto-log", r.motoLog, "-endpoints", r.endpoint)
	r.cmd.Stdout, r.cmd.Stderr = write, write
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	write.Close()
	go func() {
		b := make([]byte, 4096)
		for {
			n, err := read.Read(b)
			r.mu.Lock()
			r.out.Write(b[:n])
			r.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	go func() {
		_ = r.cmd.Wait()
		close(r.exited)
	}()
	t.Cleanup(func() {
		_ = r.cmd.Process.Kill()
		<-r.exited
		if t.Failed() {
			t.Logf("its output:\n%s", r.output())
		}
	})
	return r
}

func (r *running) output() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out.String()
}

// waitFor polls cond until it holds or the hang guard passes.
func waitFor(t *testing.T, r *running, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(hangGuard)
	for !cond() {
		select {
		case <-r.exited:
			if !cond() {
				t.Fatalf("the command exited (%v) while waiting for %s", r.cmd.ProcessState, what)
			}
			return
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", hangGuard, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type endpointsFile struct {
	PID                         int
	Moto, CloudFront, Edge, API string
	Issuers                     []api.Entry
	Distributions               map[string]string
}

// endpoints waits for the endpoints file and reads it.
func (r *running) endpoints(t *testing.T, ok func(endpointsFile) bool) endpointsFile {
	t.Helper()
	var e endpointsFile
	waitFor(t, r, "the endpoints in "+r.endpoint, func() bool {
		b, err := os.ReadFile(r.endpoint)
		return err == nil && json.Unmarshal(b, &e) == nil && ok(e)
	})
	return e
}

// children returns the pids of pid's child processes whose command line
// contains name.
func children(t *testing.T, pid int, name string) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", child))
		if err != nil {
			continue
		}
		s := string(stat)
		i := strings.LastIndexByte(s, ')')
		var state byte
		var ppid int
		if i < 0 || len(s) < i+2 {
			continue
		}
		if _, err := fmt.Sscanf(s[i+2:], "%c %d", &state, &ppid); err != nil || ppid != pid {
			continue
		}
		if cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", child)); err == nil && strings.Contains(string(cmdline), name) {
			out = append(out, child)
		}
	}
	return out
}

// gone reports whether pid has exited (a zombie not reaped yet has).
func gone(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] == 'Z'
}

// motoPID waits for the moto_server make local started.
func (r *running) motoPID(t *testing.T) int {
	t.Helper()
	var pids []int
	waitFor(t, r, "moto_server among the command's children", func() bool {
		pids = children(t, r.cmd.Process.Pid, "moto_server")
		return len(pids) == 1
	})
	return pids[0]
}

// make local on free ports, with its output into a pipe: it says where
// each part listens in the endpoints file and each issuer's local URL as it
// appears; moto_server's access log goes to its log file, not the output.
// Then the pipe's reader goes (tee ended by the same Ctrl-C) and SIGINT
// comes: it stops moto_server and exits 0, and the endpoints file goes.
func TestLocalQuietEndpointsAndCleanCtrlCUnderAPipe(t *testing.T) {
	bin := buildLocal(t)
	r := startLocal(t, bin, t.TempDir())
	e := r.endpoints(t, func(e endpointsFile) bool { return e.API != "" })
	for name, u := range map[string]string{"moto": e.Moto, "cloudfront": e.CloudFront, "edge": e.Edge, "api": e.API} {
		if !strings.HasPrefix(u, "http://127.0.0.1:") || strings.HasSuffix(u, ":5000") || strings.HasSuffix(u, ":4580") ||
			strings.HasSuffix(u, ":4581") || strings.HasSuffix(u, ":4582") {
			t.Errorf("%s at %q; want a free loopback port (-free-ports), not the default", name, u)
		}
	}
	if e.PID != r.cmd.Process.Pid {
		t.Errorf("pid %d in the endpoints, want %d", e.PID, r.cmd.Process.Pid)
	}
	moto := r.motoPID(t)
	if !strings.Contains(r.output(), "state: none from an earlier run") {
		t.Errorf("the output does not say what state was kept")
	}

	// An issuer appears (as Terraform would make its HTTP API in moto).
	ctx := context.Background()
	v2 := apigatewayv2.NewFromConfig(emulators.SDKConfig(e.Moto))
	a, err := v2.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("player-keys"), ProtocolType: "HTTP",
		Tags: map[string]string{api.IssuerTag: "player-keys"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v2.CreateStage(ctx, &apigatewayv2.CreateStageInput{ApiId: a.ApiId, StageName: aws.String("$default")}); err != nil {
		t.Fatal(err)
	}
	line := "issuer player-keys → " + e.API + "/" + aws.ToString(a.ApiId) + "/"
	waitFor(t, r, "the line "+line, func() bool { return strings.Contains(r.output(), line) })
	e = r.endpoints(t, func(e endpointsFile) bool { return len(e.Issuers) == 1 })
	if e.Issuers[0].URL != e.API+"/"+aws.ToString(a.ApiId)+"/" || !e.Issuers[0].Issuer {
		t.Errorf("issuers in the endpoints file: %+v", e.Issuers)
	}

	// moto's access log: in its file, not in the output.
	waitFor(t, r, "moto's access log line for CreateApi in "+r.motoLog, func() bool {
		b, _ := os.ReadFile(r.motoLog)
		return strings.Contains(string(b), "POST /v2/apis HTTP/1.1")
	})
	if out := r.output(); strings.Contains(out, "/v2/apis") || strings.Contains(out, "HTTP/1.1\" 200") {
		t.Errorf("moto's access log is in the output:\n%s", out)
	}

	// tee goes first, then Ctrl-C.
	r.read.Close()
	if err := r.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-r.exited:
	case <-time.After(hangGuard):
		t.Fatal("the command did not exit after SIGINT")
	}
	if code := r.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("after SIGINT with its output pipe closed: %v; want exit status 0", r.cmd.ProcessState)
	}
	if !gone(moto) {
		t.Errorf("moto_server (pid %d) outlived the command", moto)
	}
	if _, err := os.Stat(r.endpoint); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the endpoints file outlived the command: %v", err)
	}
}

// make local killed outright (no handler runs): what it started dies with
// it, and frees moto_server's port.
func TestLocalKilledTakesItsChildren(t *testing.T) {
	bin := buildLocal(t)
	r := startLocal(t, bin, t.TempDir())
	r.endpoints(t, func(e endpointsFile) bool { return e.Moto != "" })
	moto := r.motoPID(t)
	if err := r.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-r.exited
	deadline := time.Now().Add(hangGuard)
	for !gone(moto) {
		if time.Now().After(deadline) {
			t.Fatalf("moto_server (pid %d) outlived the command, killed, by %v", moto, hangGuard)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
