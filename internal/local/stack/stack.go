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
	"os"
	"path/filepath"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/local/api"
	"github.com/securestream/terraform-provider-securestream/internal/local/cloudfront"
	"github.com/securestream/terraform-provider-securestream/internal/local/emulators"
)

// Options say what to start and where. An empty address is a free
// loopback port.
type Options struct {
	// MotoAddr is where moto_server listens ("127.0.0.1:5000").
	MotoAddr string
	// WithoutMoto starts no moto_server, and so no local API: the local
	// CloudFront alone.
	WithoutMoto bool
	// MotoOutput receives moto_server's output; nil discards it (or
	// keeps it in MotoLog alone). Its write errors are ignored: a closed
	// terminal or pipe does not stall moto_server.
	MotoOutput io.Writer
	// MotoLog, when set, is a file that receives moto_server's output
	// (its access log and tracebacks), truncated at start, besides
	// MotoOutput.
	MotoLog string

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
	// API configures the local API; its Endpoint is moto's URL, set here,
	// and its KVSEndpoint, when empty, the local CloudFront's.
	API api.Options
}

// ErrNoMoto is Start's error when moto_server is not installed; the
// error that wraps it says how to install it.
var ErrNoMoto = emulators.ErrNoMoto

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
	// StateNote says what state was kept from an earlier run or dropped,
	// and why (moto_server starts empty; see startState).
	StateNote string

	moto      *emulators.Moto
	motoLog   *os.File
	stateLock *os.File
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
	if opts.CloudFront.StateFile != "" {
		// Before anything moves: another stack on the same state must
		// not lose it.
		if s.stateLock, err = lockState(opts.CloudFront.StateFile); err != nil {
			return nil, err
		}
	}
	if !opts.WithoutMoto {
		// Before anything moves: an address another make local holds
		// must not cost that one its state.
		if err := bindable(opts.ControlAddr, opts.EdgeAddr, opts.APIAddr); err != nil {
			return nil, err
		}
		// moto runs in a process group of its own, so that the Ctrl-C
		// meant for this program does not stop it before a terraform
		// destroy that still needs it: Close stops it.
		out := io.Discard // not kept: make local runs for hours
		if opts.MotoOutput != nil {
			out = ignoreErrors{opts.MotoOutput}
		}
		if opts.MotoLog != "" {
			if err := os.MkdirAll(filepath.Dir(opts.MotoLog), 0o700); err != nil {
				return nil, fmt.Errorf("moto_server's log %s: %w", opts.MotoLog, err)
			}
			if s.motoLog, err = os.OpenFile(opts.MotoLog, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600); err != nil {
				return nil, fmt.Errorf("moto_server's log: %w", err)
			}
			out = s.motoLog
			if opts.MotoOutput != nil {
				out = io.MultiWriter(s.motoLog, ignoreErrors{opts.MotoOutput})
			}
		}
		if s.moto, err = emulators.StartMoto(ctx, emulators.MotoOptions{Addr: opts.MotoAddr, Output: out, OwnGroup: true}); err != nil {
			return nil, err
		}
		s.MotoURL = s.moto.Endpoint
	}
	// moto_server started empty: the local CloudFront's state must agree.
	if s.StateNote, err = startState(opts.CloudFront.StateFile, !opts.WithoutMoto, time.Now()); err != nil {
		return nil, err
	}
	cfCfg := opts.CloudFront
	if cfCfg.S3Endpoint == "" {
		cfCfg.S3Endpoint = s.MotoURL // S3 origins are served from moto, as CloudFront serves them from S3
	}
	cf, err := cloudfront.New(cfCfg)
	if err != nil {
		return nil, err
	}
	if err := cf.Listen(cmp.Or(opts.ControlAddr, "127.0.0.1:0"), cmp.Or(opts.EdgeAddr, "127.0.0.1:0")); err != nil {
		_ = cf.Close()
		return nil, err
	}
	s.CloudFront = cf
	if s.MotoURL != "" && !opts.WithoutAPI {
		a, err := api.New(apiOptions(opts.API, s.MotoURL, cf.Endpoint))
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

// apiOptions are the local API's options: moto's endpoint, the local
// CloudFront's as the cloudfront-keyvaluestore endpoint of the functions
// it runs (their revocation store's data plane) unless the options name
// another, and, unless the options name credentials, test/test and this
// process's AWS_ACCESS_KEY_ID as the keys AWS_IAM routes accept (the AWS
// CLI and awscurl sign with the environment's).
func apiOptions(opts api.Options, motoURL, cloudFront string) api.Options {
	opts.Endpoint = motoURL
	if opts.KVSEndpoint == "" {
		opts.KVSEndpoint = cloudFront
	}
	if opts.Credentials == nil {
		opts.Credentials = api.DefaultCredentials(os.Getenv)
	}
	return opts
}

// Close stops the local API (and the functions it runs), the local
// CloudFront and moto_server.
func (s *Stack) Close() error {
	// In this order (Go evaluates the arguments left to right).
	return errors.Join(
		closeOnce(&s.API),
		closeOnce(&s.CloudFront),
		closeOnce(&s.moto),
		closeOnce(&s.motoLog),
		closeOnce(&s.stateLock), // after the CloudFront's last save
	)
}

// closeOnce closes what *p points to, if anything, and clears *p, so that
// a second Close closes nothing twice and returns nil.
func closeOnce[T any, P interface {
	*T
	Close() error
}](p *P) error {
	if *p == nil {
		return nil
	}
	err := (*p).Close()
	*p = nil
	return err
}

// ignoreErrors passes writes on and reports them all written: moto_server
// writes into a pipe that os/exec drains into it, and a failed write (a
// terminal gone, a pipe whose reader exited) would stop the draining and
// leave moto_server blocked on a full pipe.
type ignoreErrors struct{ w io.Writer }

func (w ignoreErrors) Write(p []byte) (int, error) {
	_, _ = w.w.Write(p)
	return len(p), nil
}

// bindable returns an error unless each non-empty address can be listened
// on now.
func bindable(addrs ...string) error {
	for _, a := range addrs {
		if a == "" {
			continue
		}
		l, err := net.Listen("tcp", a)
		if err != nil {
			return err
		}
		_ = l.Close()
	}
	return nil
}
