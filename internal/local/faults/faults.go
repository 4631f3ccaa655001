// Package faults is the fault-injection engine of the local stand-ins
// that answer AWS's wire: the fault proxy in front of moto
// (internal/local/faultproxy) and the local CloudFront's control plane
// (internal/local/cloudfront). It arms faults, counts calls per
// operation, and says what the armed faults do to a call: fail it with an
// error code, delay it, hold it. Rendering the error is the caller's:
// each protocol answers it its own way.
//
// Faults count calls, so they are deterministic: Nth counts the calls
// that a fault matches from when it is armed.
package faults

import (
	"bytes"
	"context"
	"maps"
	"net/http"
	"sync"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/pause"
)

// Fault makes calls of an operation fail or wait. The local CloudFront's
// admin route takes one in JSON (latency in nanoseconds).
type Fault struct {
	// Op is the operation, as the stand-in names it ("iam:CreateRole" at
	// the fault proxy, "UpdateDistribution" at the local CloudFront);
	// "*" is every operation.
	Op string `json:"op"`
	// Nth is the call hit, counted from when the fault is armed (1: the
	// next call); 0 hits every call.
	Nth int `json:"nth"`
	// Times is how many calls in a row from the Nth are hit; 0 means 1.
	Times int `json:"times"`
	// Code is the AWS error code answered; empty: the call waits Latency,
	// then goes on.
	Code string `json:"code"`
	// Status overrides the code's usual HTTP status (Status).
	Status int `json:"status"`
	// Message is the error's message; empty gives one naming the call.
	Message string `json:"message"`
	// Latency is waited before the call is answered or goes on.
	Latency time.Duration `json:"latency"`
	// Match, when set, limits the fault to the calls whose subject
	// contains it (the request body at the fault proxy, the request path
	// at the local CloudFront); Nth counts those calls only.
	Match string `json:"match"`
	// Lost makes the call take effect before Code is answered instead of
	// its result, as when a response is lost on the way back: the SDK's
	// retry (on a 5xx or a throttling code) then meets the change already
	// made.
	Lost bool `json:"lost"`

	hold *Held // set by Engine.Hold
}

// HTTPStatus is the status f is answered with: Status, or the code's
// usual one.
func (f *Fault) HTTPStatus() int {
	if f.Status != 0 {
		return f.Status
	}
	return Status(f.Code)
}

// Held is a hold on the calls of an operation (Engine.Hold).
type Held struct {
	arrived, abandoned, released chan struct{}
	arriveOnce, abandonOnce      sync.Once
	releaseOnce                  sync.Once
}

// Arrived is closed when the first held call arrives.
func (h *Held) Arrived() <-chan struct{} { return h.arrived }

// Abandoned is closed when the client of a held call has given up on it
// (its connection closed or its request was cancelled): the call never
// went on.
func (h *Held) Abandoned() <-chan struct{} { return h.abandoned }

// Release lets the held calls, and the later ones, go on.
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

// Engine holds the armed faults and the call counts. The zero value,
// with Message set, is ready to use.
type Engine struct {
	// Message is the message of an injected error whose fault has none:
	// code on call n (of the fault's count) of op.
	Message func(code string, n int, op string) string

	mu     sync.Mutex
	counts map[string]int
	armed  []armed
}

type armed struct {
	Fault
	seen int // the calls the fault matched since it was armed
}

// Inject arms f.
func (e *Engine) Inject(f Fault) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.armed = append(e.armed, armed{Fault: f})
}

// Hold makes every call of op from now wait, unanswered, until the
// returned hold is released or the call's client gives up.
func (e *Engine) Hold(op string) *Held {
	h := &Held{arrived: make(chan struct{}), abandoned: make(chan struct{}), released: make(chan struct{})}
	e.Inject(Fault{Op: op, hold: h})
	return h
}

// Disarm disarms every fault; the counts go on.
func (e *Engine) Disarm() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.armed = nil
}

// Reset disarms every fault and forgets the counts.
func (e *Engine) Reset() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.armed, e.counts = nil, nil
}

// Count returns how many calls of op there were ("*": all).
func (e *Engine) Count(op string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.counts[op]
}

// Counts returns the calls per operation ("*": all of them).
func (e *Engine) Counts() map[string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.counts == nil {
		return map[string]int{}
	}
	return maps.Clone(e.counts)
}

// Hit is what the armed faults do to one call.
type Hit struct {
	// Fault is the first fault with a Code that hit the call, its
	// Message filled in; nil when none did.
	Fault *Fault
	// Latency is the sum of the latencies of every fault that hit it.
	Latency time.Duration
	// Holds are the holds on it.
	Holds []*Held
}

// Record counts a call of op, whose subject is what Fault.Match is
// looked for in, and returns what the armed faults do to it.
func (e *Engine) Record(op string, subject []byte) Hit {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.counts == nil {
		e.counts = map[string]int{}
	}
	e.counts[op]++
	e.counts["*"]++
	var h Hit
	for i := range e.armed {
		a := &e.armed[i]
		if (a.Op != op && a.Op != "*") || (a.Match != "" && !bytes.Contains(subject, []byte(a.Match))) {
			continue
		}
		a.seen++
		n := a.seen
		if a.Nth != 0 && (n < a.Nth || n >= a.Nth+max(a.Times, 1)) {
			continue
		}
		h.Latency += a.Latency
		if a.hold != nil {
			h.Holds = append(h.Holds, a.hold)
		}
		if h.Fault == nil && a.Code != "" {
			f := a.Fault
			if f.Message == "" {
				f.Message = e.Message(f.Code, n, op)
			}
			h.Fault = &f
		}
	}
	return h
}

// Wait holds the call until its holds are released, then waits its
// latency. It reports false when ctx ended first: the client gave up.
func (h Hit) Wait(ctx context.Context) bool {
	for _, held := range h.Holds {
		if !held.wait(ctx) {
			return false
		}
	}
	if h.Latency <= 0 {
		return true
	}
	return pause.For(ctx, h.Latency)
}

// statuses are the usual HTTP statuses of the error codes the stand-ins
// answer, from the services' models (botocore) and their common errors;
// any other code is answered with 400, as most client errors are.
var statuses = map[string]int{
	// Common to the protocols.
	"AccessDenied":       http.StatusForbidden,
	"Throttling":         http.StatusBadRequest,
	"ServiceUnavailable": http.StatusServiceUnavailable,

	// Lambda, API Gateway (REST).
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

	// IAM, STS (query).
	"NoSuchEntity":           http.StatusNotFound,
	"EntityAlreadyExists":    http.StatusConflict,
	"DeleteConflict":         http.StatusConflict,
	"LimitExceeded":          http.StatusConflict,
	"ConcurrentModification": http.StatusConflict,
	"ServiceFailure":         http.StatusInternalServerError,

	// KMS, CloudWatch Logs (JSON) answer 400 for their throttling and
	// client errors, and these for the rest.
	"InternalFailure":             http.StatusInternalServerError,
	"KMSInternalException":        http.StatusInternalServerError,
	"ServiceUnavailableException": http.StatusServiceUnavailable,

	// CloudFront 2020-05-31 (REST-XML).
	"DistributionAlreadyExists":                    http.StatusConflict,
	"DistributionNotDisabled":                      http.StatusConflict,
	"FunctionAlreadyExists":                        http.StatusConflict,
	"FunctionInUse":                                http.StatusConflict,
	"FunctionSizeLimitExceeded":                    http.StatusRequestEntityTooLarge,
	"IllegalUpdate":                                http.StatusBadRequest,
	"InconsistentQuantities":                       http.StatusBadRequest,
	"InternalError":                                http.StatusInternalServerError,
	"InvalidArgument":                              http.StatusBadRequest,
	"InvalidFunctionAssociation":                   http.StatusBadRequest,
	"InvalidIfMatchVersion":                        http.StatusBadRequest,
	"MalformedXML":                                 http.StatusBadRequest,
	"NoSuchDistribution":                           http.StatusNotFound,
	"NoSuchFunctionExists":                         http.StatusNotFound,
	"NoSuchOrigin":                                 http.StatusNotFound,
	"PreconditionFailed":                           http.StatusPreconditionFailed,
	"TestFunctionFailed":                           http.StatusInternalServerError,
	"TooManyFunctions":                             http.StatusBadRequest,
	"UnsupportedOperation":                         http.StatusBadRequest,
	"TooManyDistributionsWithFunctionAssociations": http.StatusBadRequest,
}

// Status returns the usual HTTP status of an AWS error code; 400 for a
// code it does not know.
func Status(code string) int {
	if s, ok := statuses[code]; ok {
		return s
	}
	return http.StatusBadRequest
}

// Discard returns a ResponseWriter for the answer of a Lost call, which
// nobody receives: the client gets the fault instead.
func Discard() http.ResponseWriter { return discard{http.Header{}} }

type discard struct{ h http.Header }

func (d discard) Header() http.Header         { return d.h }
func (d discard) Write(b []byte) (int, error) { return len(b), nil }
func (d discard) WriteHeader(int)             {}
