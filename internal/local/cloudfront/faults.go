package cloudfront

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/local/faults"
)

// Fault makes calls of a control-plane operation fail or wait, for tests
// of retries and races (faults.Fault: the fault engine the fault proxy
// uses too). Op is the operation's name (UpdateDistribution,
// PublishFunction...), Code a CloudFront error code (PreconditionFailed,
// Throttling, ServiceUnavailable, InternalError...), Match looks in the
// request's path (a function's name, a distribution's id).
type Fault = faults.Fault

// newFaults returns the engine with CloudFront's messages.
func newFaults() *faults.Engine {
	return &faults.Engine{Message: func(code string, n int, op string) string {
		if code == "PreconditionFailed" {
			return preconditionMessage
		}
		return fmt.Sprintf("injected fault: call %d of %s", n, op)
	}}
}

// Inject arms f.
func (s *Server) Inject(f Fault) { s.faults.Inject(f) }

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
func (s *Server) ClearFaults() { s.faults.Disarm() }

// Calls returns how many calls of op the server has received ("*": all).
func (s *Server) Calls(op string) int { return s.faults.Count(op) }

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
