// Package localtest starts the local stand-ins for the length of a test:
// each constructor fails the test when its stand-in cannot start (a
// missing tool, with the command that installs it) and stops it when the
// test ends, logging its output if the test failed. It and servetest are
// the only packages under internal/local that import testing, so that the
// local and demo binaries do not link it.
package localtest

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/securestream/terraform-provider-securestream/internal/local/api"
	"github.com/securestream/terraform-provider-securestream/internal/local/cloudfront"
	"github.com/securestream/terraform-provider-securestream/internal/local/emulators"
	"github.com/securestream/terraform-provider-securestream/internal/local/faultproxy"
	"github.com/securestream/terraform-provider-securestream/internal/local/proc"
	"github.com/securestream/terraform-provider-securestream/internal/local/servetest"
)

// FreePort returns a free TCP port on the loopback interface.
func FreePort(t testing.TB) int {
	t.Helper()
	return FreePorts(t, 1)[0]
}

// FreePorts returns n distinct free TCP ports on the loopback interface.
func FreePorts(t testing.TB, n int) []int {
	t.Helper()
	ports, err := proc.FreePorts(n)
	if err != nil {
		t.Fatal(err)
	}
	return ports
}

// StartMoto starts moto_server on a free loopback port.
func StartMoto(t testing.TB) *emulators.Moto {
	t.Helper()
	m, err := emulators.StartMoto(context.Background(), emulators.MotoOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			t.Logf("moto_server output:\n%s", m.Output())
		}
	})
	return m
}

// FindRIE returns the path of a statically linked aws-lambda-rie, and
// fails the test when there is none (emulators.LookRIE).
func FindRIE(t testing.TB) string {
	t.Helper()
	p, err := emulators.LookRIE()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// StartRIE runs command (the function's bootstrap and its arguments)
// under the emulator with env added to the environment.
func StartRIE(t testing.TB, env []string, command ...string) *emulators.RIE {
	t.Helper()
	r, err := emulators.RunRIE(FindRIE(t), env, command...)
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

// Invoke posts an event to the function under r and returns its answer.
func Invoke(t testing.TB, r *emulators.RIE, event []byte) []byte {
	t.Helper()
	out, err := r.Call(context.Background(), event)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// StartCloudFront runs a local CloudFront with cfg on free loopback
// ports: Endpoint is the SDK's BaseEndpoint, EdgeURL(id) a
// distribution's edge. The zero cfg behaves as AWS (changes deploy for
// cloudfront.DefaultDeployDelay, an unchanged publish is refused); a test
// that needs otherwise sets InstantDeploy or LenientPublish, and says why.
func StartCloudFront(t testing.TB, cfg cloudfront.Config) *cloudfront.Server {
	t.Helper()
	s, err := cloudfront.New(cfg)
	return servetest.Listen(t, s, err, func(s *cloudfront.Server) error { return s.Listen("127.0.0.1:0", "127.0.0.1:0") })
}

// StartAPI runs a local API on a free loopback port.
func StartAPI(t testing.TB, opts api.Options) *api.Server {
	t.Helper()
	s, err := api.New(opts)
	return servetest.Listen(t, s, err, func(s *api.Server) error { return s.Listen("127.0.0.1:0") })
}

// StartFaultProxy runs a fault-injecting proxy to target on a free
// loopback port.
func StartFaultProxy(t testing.TB, target string) *faultproxy.Proxy {
	t.Helper()
	p, err := faultproxy.New(target)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// NoCORS checks that moto at endpoint lets no web page read its answers:
// neither a simple request nor a preflight with an Origin gets
// Access-Control-Allow-Origin (moto's global CORS allows every origin).
func NoCORS(t testing.TB, endpoint string) {
	t.Helper()
	for _, method := range []string{http.MethodGet, http.MethodOptions} {
		req, err := http.NewRequest(method, endpoint+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Origin", "http://evil.example")
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "x-amz-target,content-type,authorization")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if v := resp.Header.Get("Access-Control-Allow-Origin"); v != "" {
			t.Errorf("%s with an Origin: moto answers Access-Control-Allow-Origin: %s", method, v)
		}
	}
}

// Silent starts an endpoint that accepts connections and never answers:
// the hang a wrong or broken endpoint causes. It returns its URL.
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
