// Package faultproxy is a reverse proxy for tests, in front of moto_server
// (or any AWS endpoint that does not check signatures against the Host):
// it names the AWS operation of every request, counts calls per
// operation, and fails or delays chosen calls with the error that
// operation's protocol would answer, so that a test can check retries,
// partial failures and "a no-op plan makes no write call".
//
// A test points the SDK (or the provider's endpoint) at Proxy.URL:
//
//	p := faultproxy.Start(t, moto.Endpoint)
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
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Fault makes calls of an operation fail or wait. Faults count calls, so
// they are deterministic.
type Fault struct {
	// Op is the operation, as Operation names it ("iam:CreateRole");
	// "*" is every operation.
	Op string
	// Nth is the call hit, counted from when the fault is armed (1: the
	// next call); 0 hits every call.
	Nth int
	// Times is how many calls in a row from the Nth are hit; 0 means 1.
	Times int
	// Code is the AWS error code answered; empty: the call waits Latency,
	// then goes on to the target.
	Code string
	// Status overrides the code's usual HTTP status (see statuses).
	Status int
	// Message is the error's message; empty gives one naming the call.
	Message string
	// Latency is waited before the call is answered or forwarded.
	Latency time.Duration
	// Match, when set, limits the fault to the calls whose body contains
	// it (a KMS key id, a function name); Nth counts those calls only.
	Match string

	hold *Held // set by Hold
}

// Held is a hold on the calls of an operation (see Proxy.Hold).
type Held struct {
	arrived, abandoned, released chan struct{}
	arriveOnce, abandonOnce      sync.Once
	releaseOnce                  sync.Once
}

// Arrived is closed when the first held call arrives.
func (h *Held) Arrived() <-chan struct{} { return h.arrived }

// Abandoned is closed when the client of a held call has given up on it
// (its connection closed or its request was cancelled): the call was
// never forwarded.
func (h *Held) Abandoned() <-chan struct{} { return h.abandoned }

// Release forwards the held calls, and the later ones, to the target.
func (h *Held) Release() { h.releaseOnce.Do(func() { close(h.released) }) }

// wait holds a call until it is released (true) or its client gives up.
func (h *Held) wait(ctx context.Context) bool {
	h.arriveOnce.Do(func() { close(h.arrived) })
	select {
	case <-h.released:
		return true
	case <-ctx.Done():
		h.abandonOnce.Do(func() { close(h.abandoned) })
		return false
	}
}

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

	mu     sync.Mutex
	counts map[string]int
	calls  []Call
	armed  []armed
	rp     *httputil.ReverseProxy
}

type armed struct {
	Fault
	seen int // the calls the fault matched since it was armed
}

// New returns a proxy to target that is not listening yet; serve it with
// any HTTP server and set URL. Start does both for a test.
func New(target string) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("faultproxy: target %q is not an absolute URL such as http://127.0.0.1:5000", target)
	}
	p := &Proxy{counts: map[string]int{}}
	p.rp = &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(u) }}
	return p, nil
}

// Start runs a proxy to target on a free loopback port until the test
// ends.
func Start(t testing.TB, target string) *Proxy {
	t.Helper()
	p, err := New(target)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// Inject arms f.
func (p *Proxy) Inject(f Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.armed = append(p.armed, armed{Fault: f})
}

// Fail makes the nth call of op from now (1: the next; 0: every call)
// fail with the AWS error code.
func (p *Proxy) Fail(op string, n int, code string) { p.Inject(Fault{Op: op, Nth: n, Code: code}) }

// Delay makes every call of op from now wait d.
func (p *Proxy) Delay(op string, d time.Duration) { p.Inject(Fault{Op: op, Latency: d}) }

// Hold makes every call of op from now wait, unanswered, until the
// returned hold is released or the call's client gives up. A test that
// kills its client in the middle of a call waits for Arrived, kills, and
// may wait for Abandoned, which says the call never reached the target.
func (p *Proxy) Hold(op string) *Held {
	h := &Held{arrived: make(chan struct{}), abandoned: make(chan struct{}), released: make(chan struct{})}
	p.Inject(Fault{Op: op, hold: h})
	return h
}

// Counts returns the calls per operation so far ("*": all of them).
func (p *Proxy) Counts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.counts)
}

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
	p.counts, p.calls, p.armed = map[string]int{}, nil, nil
}

// ServeHTTP names the call, applies the faults that hit it, and forwards
// it unless one of them answers.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "faultproxy: reading the request: "+err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	op, proto := Operation(r, body)
	f, wait, holds := p.record(op, proto, body)
	for _, h := range holds {
		if !h.wait(r.Context()) {
			return
		}
	}
	if wait > 0 {
		select {
		case <-time.After(wait):
		case <-r.Context().Done():
			return
		}
	}
	if f == nil {
		p.rp.ServeHTTP(w, r)
		return
	}
	writeError(w, proto, op, f)
}

// record counts a call and returns the first fault that fails it, if any,
// the latency of all that hit it, and the holds on it.
func (p *Proxy) record(op string, proto Protocol, body []byte) (*Fault, time.Duration, []*Held) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts[op]++
	p.counts["*"]++
	var hit *Fault
	var wait time.Duration
	var holds []*Held
	for i := range p.armed {
		a := &p.armed[i]
		if (a.Op != op && a.Op != "*") || (a.Match != "" && !bytes.Contains(body, []byte(a.Match))) {
			continue
		}
		a.seen++
		n := a.seen
		if a.Nth != 0 && (n < a.Nth || n >= a.Nth+max(a.Times, 1)) {
			continue
		}
		wait += a.Latency
		if a.hold != nil {
			holds = append(holds, a.hold)
		}
		if hit == nil && a.Code != "" {
			f := a.Fault
			if f.Message == "" {
				f.Message = fmt.Sprintf("faultproxy: injected %s on call %d of %s", f.Code, n, op)
			}
			hit = &f
		}
	}
	c := Call{Op: op, Protocol: proto, Write: IsWrite(op)}
	if hit != nil {
		c.Failed = hit.Code
	}
	p.calls = append(p.calls, c)
	return hit, wait, holds
}

// statuses are the usual HTTP statuses of the error codes tests inject;
// any other code is answered with 400, as most client errors are.
var statuses = map[string]int{
	// Lambda, API Gateway (REST)
	"TooManyRequestsException":     http.StatusTooManyRequests,
	"ResourceNotFoundException":    http.StatusNotFound,
	"NotFoundException":            http.StatusNotFound,
	"ResourceConflictException":    http.StatusConflict,
	"ConflictException":            http.StatusConflict,
	"ResourceInUseException":       http.StatusBadRequest,
	"ServiceException":             http.StatusInternalServerError,
	"AccessDeniedException":        http.StatusForbidden,
	"UnauthorizedException":        http.StatusUnauthorized,
	"InternalServerErrorException": http.StatusInternalServerError,
	// IAM, STS (query)
	"NoSuchEntity":           http.StatusNotFound,
	"EntityAlreadyExists":    http.StatusConflict,
	"DeleteConflict":         http.StatusConflict,
	"LimitExceeded":          http.StatusConflict,
	"ConcurrentModification": http.StatusConflict,
	"ServiceFailure":         http.StatusInternalServerError,
	"AccessDenied":           http.StatusForbidden,
	"Throttling":             http.StatusBadRequest,
	// JSON (KMS, CloudWatch Logs) answer 400 for their throttling and
	// client errors, and these for the rest.
	"InternalFailure":             http.StatusInternalServerError,
	"KMSInternalException":        http.StatusInternalServerError,
	"ServiceUnavailable":          http.StatusServiceUnavailable,
	"ServiceUnavailableException": http.StatusServiceUnavailable,
}

// status is the HTTP status f is answered with.
func (f *Fault) status() int {
	if f.Status != 0 {
		return f.Status
	}
	if s, ok := statuses[f.Code]; ok {
		return s
	}
	return http.StatusBadRequest
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
	status := f.status()
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
