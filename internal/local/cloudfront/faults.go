package cloudfront

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Fault makes calls of a control-plane operation fail or wait, for tests
// of retries and races. Faults are deterministic: they count calls.
type Fault struct {
	// Op is the operation's name (UpdateDistribution, PublishFunction...);
	// "*" is every operation.
	Op string `json:"op"`
	// Nth is the call the fault hits, counted from when it is injected
	// (1: the next call); 0 hits every call.
	Nth int `json:"nth"`
	// Times is how many calls in a row from the Nth are hit; 0 means 1.
	Times int `json:"times"`
	// Code is the CloudFront error code answered (PreconditionFailed,
	// Throttling, ServiceUnavailable, InternalError...); empty: the call
	// only waits Latency and then goes on.
	Code string `json:"code"`
	// Status overrides the code's usual HTTP status.
	Status int `json:"status"`
	// Message is the error's message; empty gives a default.
	Message string `json:"message"`
	// Latency is waited before the call is answered.
	Latency time.Duration `json:"latency"`
	// Lost makes the call take effect before Code is answered instead of
	// its result, as when a response is lost on the way back: the SDK's
	// retry (on a 5xx or Throttling) then meets the change already made.
	Lost bool `json:"lost"`
}

type armedFault struct {
	Fault
	base int // the operation's call count when the fault was injected
}

type faults struct {
	mu    sync.Mutex
	calls map[string]int
	armed []armedFault
}

// Inject arms f.
func (s *Server) Inject(f Fault) {
	fs := &s.faults
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.calls == nil {
		fs.calls = map[string]int{}
	}
	fs.armed = append(fs.armed, armedFault{Fault: f, base: fs.calls[f.Op]})
}

// Fail makes the nth call of op from now (1: the next) fail with the
// CloudFront error code, without taking effect.
func (s *Server) Fail(op string, n int, code string) {
	s.Inject(Fault{Op: op, Nth: n, Code: code})
}

// Lose makes the nth call of op from now take effect and answer the
// CloudFront error code instead of its result (a lost response).
func (s *Server) Lose(op string, n int, code string) {
	s.Inject(Fault{Op: op, Nth: n, Code: code, Lost: true})
}

// Delay makes every call of op wait d.
func (s *Server) Delay(op string, d time.Duration) {
	s.Inject(Fault{Op: op, Latency: d})
}

// ClearFaults disarms every fault.
func (s *Server) ClearFaults() {
	s.faults.mu.Lock()
	s.faults.armed = nil
	s.faults.mu.Unlock()
}

// Calls returns how many calls of op the server has received ("*": all).
func (s *Server) Calls(op string) int {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	return s.faults.calls[op]
}

// apply counts a call of op and applies the faults that hit it: it waits
// their latency and returns the first error, and whether the call is to
// take effect all the same (Lost).
func (fs *faults) apply(ctx context.Context, op string) (hit *apiError, lost bool) {
	fs.mu.Lock()
	if fs.calls == nil {
		fs.calls = map[string]int{}
	}
	fs.calls[op]++
	fs.calls["*"]++
	var wait time.Duration
	for _, f := range fs.armed {
		if f.Op != op && f.Op != "*" {
			continue
		}
		n := fs.calls[f.Op] - f.base
		times := max(f.Times, 1)
		if f.Nth != 0 && (n < f.Nth || n >= f.Nth+times) {
			continue
		}
		wait += f.Latency
		if hit == nil && f.Code != "" {
			msg := f.Message
			if msg == "" {
				msg = fmt.Sprintf("injected fault: call %d of %s", n, op)
				if f.Code == "PreconditionFailed" {
					msg = preconditionMessage
				}
			}
			hit, lost = &apiError{Status: f.Status, Code: f.Code, Message: msg}, f.Lost
		}
	}
	fs.mu.Unlock()
	if wait > 0 {
		select {
		case <-time.After(wait):
		case <-ctx.Done():
		}
	}
	return hit, lost
}

const adminPrefix = "/_local/"

// serveAdmin serves the admin routes: POST /_local/faults with a Fault in
// JSON (latency in nanoseconds) arms it, DELETE /_local/faults disarms
// every fault.
func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != adminPrefix+"faults" {
		http.Error(w, "unknown admin route; POST or DELETE /_local/faults", http.StatusNotFound)
		return
	}
	switch r.Method {
	case http.MethodPost:
		var f Fault
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil || f.Op == "" {
			http.Error(w, fmt.Sprintf("the body must be a fault in JSON with an op, such as "+
				`{"op":"UpdateDistribution","nth":1,"code":"PreconditionFailed"}: %v`, err), http.StatusBadRequest)
			return
		}
		s.Inject(f)
		w.WriteHeader(http.StatusNoContent)
	case http.MethodDelete:
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	default:
		http.Error(w, "use POST or DELETE", http.StatusMethodNotAllowed)
	}
}
