// Package proc starts the local stack's helper programs (moto_server,
// aws-lambda-rie, Terraform for the demo): a command with its output
// kept or passed on, in a process group of its own when the terminal's
// Ctrl-C must not reach it, waited for until it answers, and stopped.
// On Linux each dies with the program that started it (the kernel's
// parent-death signal), however that program ends.
package proc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/syncbuf"
)

// Options say how Start runs a command.
type Options struct {
	// Output receives what the command writes; nil keeps it for Output
	// (a failure message) instead.
	Output io.Writer
	// OwnGroup starts the command in a process group of its own, so that
	// the terminal's Ctrl-C reaches only this program, which stops the
	// command when it is done with it (a terraform destroy may still need
	// moto). A test's helper must not use it: a test binary killed by
	// Ctrl-C runs no cleanup, and the helper would outlive it.
	OwnGroup bool
}

// Process is a started command; a goroutine waits for it.
type Process struct {
	name   string
	cmd    *exec.Cmd
	kept   *syncbuf.Buffer // nil when Options.Output took the output
	exited chan struct{}
	err    error // Wait's, once exited is closed
}

// Start starts cmd, named name in errors.
func Start(name string, cmd *exec.Cmd, opts Options) (*Process, error) {
	p := &Process{name: name, cmd: cmd, exited: make(chan struct{})}
	out := opts.Output
	if out == nil {
		p.kept = &syncbuf.Buffer{}
		out = p.kept
	}
	cmd.Stdout, cmd.Stderr = out, out
	if opts.OwnGroup {
		OwnProcessGroup(cmd)
	}
	// However this program ends (a SIGKILL, a SIGPIPE on a closed
	// stdout), what it started does not outlive it, holding a port.
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// Output returns what the process wrote so far, unless Options.Output
// took it.
func (p *Process) Output() string {
	if p.kept == nil {
		return ""
	}
	return p.kept.String()
}

// Exited is closed when the process has exited.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Stop asks the process to stop (an interrupt, as Ctrl-C), and kills it
// when it has not within grace.
func (p *Process) Stop(grace time.Duration) error {
	if err := Interrupt(p.cmd); err != nil {
		return p.Kill()
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.exited:
		return nil
	case <-t.C:
		return p.Kill()
	}
}

// Kill ends the process now, if it is still running, and waits for it.
func (p *Process) Kill() error {
	err := p.cmd.Process.Kill()
	<-p.exited
	if err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stopping %s: %w", p.name, err)
	}
	return nil
}

// WaitHTTP waits until url answers any HTTP response, polling every
// 50 ms for at most within. It fails early when the process exits or ctx
// ends; on a timeout or exit the error holds the kept output.
func (p *Process) WaitHTTP(ctx context.Context, url string, within time.Duration) error {
	return p.waitGet(ctx, url, within, "answer at "+url, func(int) bool { return true })
}

// WaitHTTPOK waits until a GET of url answers 200 OK. Unlike WaitHTTP it
// is not fooled by another server that took the port first and answers
// with an error page (a free port can be taken between the pick and the
// bind by a test running beside this one).
func (p *Process) WaitHTTPOK(ctx context.Context, url string, within time.Duration) error {
	return p.waitGet(ctx, url, within, "answer 200 at "+url, func(status int) bool { return status == http.StatusOK })
}

// waitGet polls a GET of url every 50 ms until it answers with a status
// that ok accepts.
func (p *Process) waitGet(ctx context.Context, url string, within time.Duration, what string, ok func(status int) bool) error {
	return p.wait(ctx, within, 50*time.Millisecond, what, func() bool {
		resp, err := http.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return ok(resp.StatusCode)
	})
}

// WaitTCP waits until something accepts connections on addr, polling
// every millisecond (cold-start benchmarks time this) for at most within.
func (p *Process) WaitTCP(ctx context.Context, addr string, within time.Duration) error {
	return p.wait(ctx, within, time.Millisecond, "listen on "+addr, func() bool {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return false
		}
		c.Close()
		return true
	})
}

func (p *Process) wait(ctx context.Context, within, every time.Duration, what string, ready func() bool) error {
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for !ready() {
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited before it would %s (%v): is the port taken?%s", p.name, what, p.err, p.tail())
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return fmt.Errorf("%s did not %s within %v%s", p.name, what, within, p.tail())
		case <-tick.C:
		}
	}
	return nil
}

// tail is the kept output for an error message.
func (p *Process) tail() string {
	if out := p.Output(); out != "" {
		return ":\n" + out
	}
	return ""
}
