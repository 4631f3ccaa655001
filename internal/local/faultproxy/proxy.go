// Package faultproxy is a reverse proxy for tests, in front of moto_server
// (or any AWS endpoint that does not check signatures against the Host):
// it names the AWS operation of every request, counts calls per
// operation, and fails or delays chosen calls with the error that
// operation's protocol would answer, so that a test can check retries,
// partial failures and "a no-op plan makes no write call".
//
// A test points the SDK (or the provider's endpoint) at Proxy.URL:
//
//	p := localtest.StartFaultProxy(t, moto.Endpoint)
//	p.Fail("lambda:CreateFunctionUrlConfig", 1, "TooManyRequestsException")
//	... apply ...
//	if w := p.Writes(); len(w) > 0 { t.Errorf("a no-op plan wrote: %v", w) }
//
// Hold keeps calls of an operation unanswered until the test releases them
// or their client gives up, so that a test can kill a client in the middle
// of a call (Terraform in the middle of an apply).
//
// Operations are named "service:Operation" (see Operation); IsWrite says
// which may change state.
package faultproxy

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/local/faults"
)

// Fault makes calls of an operation fail or wait (faults.Fault: the
// fault engine the local CloudFront uses too).
type Fault = faults.Fault

// Held is a hold on the calls of an operation (see Proxy.Hold).
type Held = faults.Held

// Call is one request the proxy saw.
type Call struct {
	Op       string
	Protocol Protocol
	Write    bool
	// Failed is the error code injected, "" if the call was forwarded.
	Failed string
}

// Proxy is a running fault-injecting proxy.
type Proxy struct {
	// URL is the proxy's endpoint, to use as the SDK's BaseEndpoint.
	URL string

	mu     sync.Mutex // orders calls as the engine counts them
	faults faults.Engine
	calls  []Call
	rp     *httputil.ReverseProxy
}

// New returns a proxy to target that is not listening yet; serve it with
// any HTTP server and set URL. localtest.StartFaultProxy does both for
// a test.
func New(target string) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("faultproxy: target %q is not an absolute URL such as http://127.0.0.1:5000", target)
	}
	p := &Proxy{faults: faults.Engine{Message: func(code string, n int, op string) string {
		return fmt.Sprintf("faultproxy: injected %s on call %d of %s", code, n, op)
	}}}
	p.rp = &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(u) }}
	return p, nil
}

// Inject arms f.
func (p *Proxy) Inject(f Fault) { p.faults.Inject(f) }

// Fail makes the nth call of op from now (1: the next; 0: every call)
// fail with the AWS error code.
func (p *Proxy) Fail(op string, n int, code string) { p.Inject(Fault{Op: op, Nth: n, Code: code}) }

// Delay makes every call of op from now wait d.
func (p *Proxy) Delay(op string, d time.Duration) { p.Inject(Fault{Op: op, Latency: d}) }

// Hold makes every call of op from now wait, unanswered, until the
// returned hold is released or the call's client gives up. A test that
// kills its client in the middle of a call waits for Arrived, kills, and
// may wait for Abandoned, which says the call never reached the target.
func (p *Proxy) Hold(op string) *Held { return p.faults.Hold(op) }

// Counts returns the calls per operation so far ("*": all of them).
func (p *Proxy) Counts() map[string]int { return p.faults.Counts() }

// Calls returns every call so far, in order.
func (p *Proxy) Calls() []Call {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Call(nil), p.calls...)
}

// Writes returns the operations of the calls that may have changed
// state, in order (see IsWrite).
func (p *Proxy) Writes() []string {
	var ops []string
	for _, c := range p.Calls() {
		if c.Write {
			ops = append(ops, c.Op)
		}
	}
	return ops
}

// Reset forgets the calls and disarms every fault.
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults.Reset()
	p.calls = nil
}

// ServeHTTP names the call, applies the faults that hit it, and forwards
// it unless one of them answers. A Lost fault forwards it, then answers
// the error in place of the target's answer.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "faultproxy: reading the request: "+err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	op, proto := Operation(r, body)
	hit := p.record(op, proto, body)
	if !hit.Wait(r.Context()) {
		return // the client gave up: the call never reaches the target
	}
	f := hit.Fault
	switch {
	case f == nil:
		p.rp.ServeHTTP(w, r)
	case f.Lost:
		p.rp.ServeHTTP(faults.Discard(), r)
		writeError(w, proto, op, f)
	default:
		writeError(w, proto, op, f)
	}
}

// record counts a call and returns what the faults do to it.
func (p *Proxy) record(op string, proto Protocol, body []byte) faults.Hit {
	p.mu.Lock()
	defer p.mu.Unlock()
	hit := p.faults.Record(op, body)
	c := Call{Op: op, Protocol: proto, Write: IsWrite(op)}
	if hit.Fault != nil {
		c.Failed = hit.Fault.Code
	}
	p.calls = append(p.calls, c)
	return hit
}

// queryError is the query protocol's error document.
type queryError struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Error   struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	} `xml:"Error"`
	RequestID string `xml:"RequestId"`
}

// writeError answers f as the protocol does, so that the SDK decodes the
// code and message as it would from AWS.
func writeError(w http.ResponseWriter, proto Protocol, op string, f *Fault) {
	status := f.HTTPStatus()
	w.Header().Set("X-Amzn-Requestid", "faultproxy-"+strconv.Itoa(status))
	switch proto {
	case Query:
		var e queryError
		e.Error.Type, e.Error.Code, e.Error.Message, e.RequestID = "Sender", f.Code, f.Message, "faultproxy"
		if status >= 500 {
			e.Error.Type = "Receiver"
		}
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		_ = xml.NewEncoder(w).Encode(e)
	case JSON, REST:
		ct := "application/x-amz-json-1.1"
		if proto == REST {
			ct = "application/json"
		}
		w.Header().Set("Content-Type", ct)
		w.Header().Set("X-Amzn-Errortype", f.Code)
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": f.Code, "message": f.Message})
	default:
		http.Error(w, fmt.Sprintf("faultproxy: %s (%s: the protocol of %s is unknown)", f.Code, f.Message, op), status)
	}
}
