// Package stack starts the local stand-ins for AWS together, in this
// process: moto_server (KMS, IAM, STS, Lambda, API Gateway), the local
// CloudFront (internal/local/cloudfront: control plane and edge) and the
// local API (internal/local/api: the issuer behind its API Gateway APIs
// and function URLs), on given or free loopback ports. make local
// (internal/local/cmd/local) and make demo (internal/demo) run it.
package stack

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/local/api"
	"github.com/securestream/terraform-provider-securestream/internal/local/cloudfront"
	"github.com/securestream/terraform-provider-securestream/internal/local/emulators"
	"github.com/securestream/terraform-provider-securestream/internal/local/hostcheck"
	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

// Options say what to start and where. An empty address is a free
// loopback port.
type Options struct {
	// MotoAddr is where moto_server listens ("127.0.0.1:5000").
	MotoAddr string
	// WithoutMoto starts no moto_server, and so no local API: the local
	// CloudFront alone.
	WithoutMoto bool
	// MotoOutput receives moto_server's output; nil discards it.
	MotoOutput io.Writer

	// ControlAddr and EdgeAddr are the local CloudFront's control plane
	// and shared edge ("127.0.0.1:4580", "127.0.0.1:4581").
	ControlAddr, EdgeAddr string
	// CloudFront configures the local CloudFront (state file, deploy
	// delay, viewer IP header, ...).
	CloudFront cloudfront.Config

	// APIAddr is where the local API listens ("127.0.0.1:4582").
	APIAddr string
	// WithoutAPI starts no local API.
	WithoutAPI bool
	// API configures the local API; its Endpoint is moto's URL, set here.
	API api.Options
}

// ErrNoMoto is Start's error when moto_server is not installed; the
// error that wraps it says how to install it.
var ErrNoMoto = errors.New("moto_server is not installed")

// Stack is the running stack. Close stops it.
type Stack struct {
	// MotoURL is moto_server's URL, the provider's endpoint; empty
	// WithoutMoto.
	MotoURL string
	// CloudFront is the local CloudFront: Endpoint (the SDK's and the
	// provider's endpoints.cloudfront), EdgeEndpoint and EdgeURL(id).
	CloudFront *cloudfront.Server
	// API is the local API (its URL); nil WithoutAPI or WithoutMoto.
	API *api.Server

	moto *process
}

// Start starts what opts ask for and waits until each answers. On error
// nothing it started is left running.
func Start(ctx context.Context, opts Options) (_ *Stack, err error) {
	s := &Stack{}
	defer func() {
		if err != nil {
			_ = s.Close()
		}
	}()
	if !opts.WithoutMoto {
		if s.moto, s.MotoURL, err = startMoto(ctx, opts.MotoAddr, opts.MotoOutput); err != nil {
			return nil, err
		}
	}
	cf, err := cloudfront.New(opts.CloudFront)
	if err != nil {
		return nil, err
	}
	if err := cf.Listen(cmp.Or(opts.ControlAddr, "127.0.0.1:0"), cmp.Or(opts.EdgeAddr, "127.0.0.1:0")); err != nil {
		_ = cf.Close()
		return nil, err
	}
	s.CloudFront = cf
	if s.MotoURL != "" && !opts.WithoutAPI {
		apiOpts := opts.API
		apiOpts.Endpoint = s.MotoURL
		a, err := api.New(apiOpts)
		if err != nil {
			return nil, err
		}
		if err := a.Listen(cmp.Or(opts.APIAddr, "127.0.0.1:0")); err != nil {
			return nil, err
		}
		s.API = a
	}
	return s, nil
}

// Close stops the local API (and the functions it runs), the local
// CloudFront and moto_server.
func (s *Stack) Close() error {
	var errs []error
	if s.API != nil {
		errs = append(errs, s.API.Close())
		s.API = nil
	}
	if s.CloudFront != nil {
		errs = append(errs, s.CloudFront.Close())
		s.CloudFront = nil
	}
	if s.moto != nil {
		errs = append(errs, s.moto.stop())
		s.moto = nil
	}
	return errors.Join(errs...)
}

// startMoto starts moto_server and serves it on addr (a free loopback
// port when empty) through a proxy that answers loopback Host names only:
// moto answers any Host, so a web page that rebinds its own name to
// 127.0.0.1 could otherwise call it (KMS Decrypt among it) as same-origin.
// moto itself listens on a free loopback port that nothing prints. It
// waits until moto answers. moto runs in a process group of its own, so
// that the Ctrl-C meant for this program does not stop it before a
// terraform destroy that still needs it: Close stops it.
func startMoto(ctx context.Context, addr string, out io.Writer) (_ *process, _ string, err error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, "", fmt.Errorf("%w: %s", ErrNoMoto, testenv.MotoInstall)
	}
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	front, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", fmt.Errorf("moto_server's address %s: %w", addr, err)
	}
	defer func() {
		if err != nil {
			front.Close()
		}
	}()
	inner, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	host, port, err := net.SplitHostPort(inner)
	if err != nil {
		return nil, "", fmt.Errorf("moto_server address %q: %w", inner, err)
	}
	cmd := emulators.MotoCommand(bin, host, port)
	if out == nil {
		out = io.Discard
	}
	cmd.Stdout, cmd.Stderr = out, out
	ownProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		return nil, "", fmt.Errorf("starting moto_server: %w", err)
	}
	p := &process{name: "moto_server", cmd: cmd, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	innerURL := "http://" + inner
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for ready := false; !ready; {
		select {
		case <-p.exited:
			return nil, "", fmt.Errorf("moto_server exited before answering at %s (%v): is the port taken?", inner, p.err)
		case <-ctx.Done():
			_ = p.kill()
			return nil, "", ctx.Err()
		case <-deadline.C:
			_ = p.kill()
			return nil, "", fmt.Errorf("moto_server did not answer at %s within 30 s", inner)
		case <-tick.C:
			if resp, err := http.Get(innerURL + "/moto-api/"); err == nil {
				resp.Body.Close()
				ready = true
			}
		}
	}
	target, _ := url.Parse(innerURL)
	proxy := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(target)
		pr.Out.Host = pr.In.Host // moto sees the Host the client sent, as before
	}}
	p.front = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hostcheck.Loopback(r.Host) {
			http.Error(w, "local moto_server: "+hostcheck.Refused(r.Host, "loopback names (127.0.0.1, localhost, ::1)"), http.StatusForbidden)
			return
		}
		proxy.ServeHTTP(w, r)
	})}
	go func() { _ = p.front.Serve(front) }()
	return p, "http://" + front.Addr().String(), nil
}

// process is a started command whose Wait a goroutine runs: exited is
// closed when it returns, with its error in err.
type process struct {
	name   string
	cmd    *exec.Cmd
	exited chan struct{}
	err    error
	front  *http.Server // the proxy in front of it, if any
}

// stop asks the process to stop (SIGINT), and kills it when it has not
// within 10 s.
func (p *process) stop() error {
	if p.front != nil {
		_ = p.front.Close()
	}
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		return p.kill()
	}
	select {
	case <-p.exited:
		return nil
	case <-time.After(10 * time.Second):
		return p.kill()
	}
}

func (p *process) kill() error {
	err := p.cmd.Process.Kill()
	<-p.exited
	if err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stopping %s: %w", p.name, err)
	}
	return nil
}

// freeAddr returns a loopback address with a port free now.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free loopback port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}
