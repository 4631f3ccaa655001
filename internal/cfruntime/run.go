package cfruntime

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"time"

	"github.com/dop251/goja"
)

// Outcome is what CloudFront does with an invocation's result.
type Outcome int

const (
	// Continue: the function returned the request; CloudFront goes on to
	// the cache and origin.
	Continue Outcome = iota
	// Respond: the function returned a response, which goes to the viewer.
	Respond
	// ValidationError: the function returned something CloudFront does not
	// accept; the viewer gets a 502.
	ValidationError
	// ExecutionError: the function threw, ran too long or never settled;
	// the viewer gets a 503.
	ExecutionError
)

func (o Outcome) String() string {
	return [...]string{"continue", "respond", "validation_error", "execution_error"}[o]
}

// Defaults for Options.
const (
	// DefaultBudget is how much CPU time an invocation may use before it
	// is interrupted as runaway code (wall-clock time where per-thread CPU
	// time cannot be read: budget.go). goja is far slower than
	// CloudFront's engine, so this is generous; it exists to stop
	// infinite loops.
	DefaultBudget = 250 * time.Millisecond
	// DefaultUtilizationBase is the time that counts as 100% compute
	// utilization in the estimate.
	DefaultUtilizationBase = time.Millisecond
)

// Options control one invocation.
type Options struct {
	// Now is the frozen time the function sees; zero means time.Now().
	Now time.Time
	// KVS is the key value store associated with the function, if any.
	KVS *KVS
	// Budget interrupts runaway code once it has used that much CPU
	// time; zero means DefaultBudget.
	Budget time.Duration
	// UtilizationBase is the run time reported as 100% utilization; zero
	// means DefaultUtilizationBase.
	UtilizationBase time.Duration
}

// Result is one invocation's outcome.
type Result struct {
	Outcome Outcome
	// Status is the HTTP status the viewer gets when the function answers
	// (Respond) or fails (502, 503); 0 when the request goes on.
	Status int
	// Output is FunctionOutput: {"request": ...} or {"response": ...}.
	Output             string
	Logs               []string
	Error              string
	Duration           time.Duration
	ComputeUtilization int
	// Request is the request as the function returned it (Continue).
	Request *Request
	// Response is the response the function generated (Respond).
	Response *Response
	// OriginCalls are the cf.updateRequestOrigin-style calls made.
	OriginCalls []map[string]any
}

// Run invokes the function's handler with ev, in a fresh global state.
func (f *Function) Run(ev *Event, opt Options) *Result {
	return f.run(nil, ev, opt)
}

// RunJSON invokes the handler with an event given as JSON, which may be
// shaped as CloudFront would never shape it (for robustness tests).
func (f *Function) RunJSON(event []byte, opt Options) *Result {
	return f.run(event, lenientEvent(event), opt)
}

// lenientEvent reads what output validation compares (method and
// headers) from an event of any shape.
func lenientEvent(event []byte) *Event {
	var raw struct {
		Request struct {
			Method  string                     `json:"method"`
			Headers map[string]json.RawMessage `json:"headers"`
		} `json:"request"`
	}
	_ = json.Unmarshal(event, &raw)
	ev := &Event{Request: Request{Method: raw.Request.Method, Headers: Fields{}}}
	for name, v := range raw.Request.Headers {
		var f Field
		if json.Unmarshal(v, &f) == nil {
			ev.Request.Headers[name] = f
		}
	}
	return ev
}

func (f *Function) run(evJSON []byte, ev *Event, opt Options) (res *Result) {
	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	budget := opt.Budget
	if budget <= 0 {
		budget = DefaultBudget
	}
	base := opt.UtilizationBase
	if base <= 0 {
		base = DefaultUtilizationBase
	}
	start := time.Now()
	e := newEnv(f, now, opt.KVS)
	res = &Result{}
	defer func() {
		if p := recover(); p != nil {
			res.fail(ExecutionError, fmt.Sprintf("InternalError: %v", p))
		}
		res.Logs = e.logs
		res.OriginCalls = e.origin
		res.Duration = time.Since(start)
		res.ComputeUtilization = min(100, max(1, int((100*res.Duration+base-1)/base)))
	}()
	// The budget counts the invocation's CPU time (budget.go).
	defer runtime.UnlockOSThread()
	wd := startWatchdog(e.vm, budget)
	defer wd.stop()

	if _, err := e.vm.RunProgram(f.prog); err != nil {
		res.fail(ExecutionError, describe(err))
		return res
	}
	handler, ok := goja.AssertFunction(e.vm.Get("handler"))
	if !ok {
		res.fail(ExecutionError, "TypeError: handler is not a function")
		return res
	}
	var evVal goja.Value
	var err error
	if evJSON == nil {
		evVal = eventValue(e.vm, ev)
	} else {
		parse, _ := goja.AssertFunction(e.vm.Get("JSON").ToObject(e.vm).Get("parse"))
		if evVal, err = parse(goja.Undefined(), e.vm.ToValue(string(evJSON))); err != nil {
			res.fail(ExecutionError, describe(err))
			return res
		}
	}
	out, err := handler(goja.Undefined(), evVal)
	if err != nil {
		res.fail(ExecutionError, describe(err))
		return res
	}
	// An async handler's promise; jobs (promise reactions) have run when
	// the call returned. The type is checked before exporting: exporting
	// a sync handler's result would copy the whole request into Go maps.
	if o, ok := out.(*goja.Object); ok && o.ExportType() == promiseType {
		p, _ := o.Export().(*goja.Promise)
		switch p.State() {
		case goja.PromiseStateFulfilled:
			out = p.Result()
		case goja.PromiseStateRejected:
			res.fail(ExecutionError, "Uncaught (in promise) "+p.Result().String())
			return res
		default:
			res.fail(ExecutionError, "the handler's promise never settled")
			return res
		}
	}
	res.validate(out, ev)
	return res
}

var promiseType = reflect.TypeOf((*goja.Promise)(nil))

func (r *Result) fail(o Outcome, msg string) {
	r.Outcome, r.Error = o, msg
	r.Status = 503
	if o == ValidationError {
		r.Status = 502
	}
	r.Output, r.Request, r.Response = "", nil, nil
}

func describe(err error) string {
	var ie *goja.InterruptedError
	if errors.As(err, &ie) {
		return "ExecutionError: " + fmt.Sprint(ie.Value())
	}
	var ex *goja.Exception
	if errors.As(err, &ex) {
		return ex.Value().String()
	}
	return err.Error()
}

// validate checks the handler's return value as CloudFront does and fills
// in the result; FunctionOutput is the checked request or response.
func (r *Result) validate(out goja.Value, ev *Event) {
	defer func() {
		if p := recover(); p != nil {
			msg, ok := p.(invalid)
			if !ok {
				panic(p)
			}
			r.fail(ValidationError, string(msg))
		}
	}()
	obj, ok := asObject(out)
	if !ok || goja.IsNull(out) {
		r.fail(ValidationError, "The function must return the request or a response object")
		return
	}
	var wrapped any
	if get(obj, "statusCode") != nil {
		r.Outcome, r.Response = Respond, readResponse(obj)
		r.Status = r.Response.StatusCode
		wrapped = map[string]*Response{"response": r.Response}
	} else {
		r.Outcome, r.Request = Continue, readRequest(obj, ev)
		wrapped = map[string]*Request{"request": r.Request}
	}
	b, err := json.Marshal(wrapped)
	if err != nil {
		r.fail(ValidationError, "The result cannot be serialised: "+err.Error())
		return
	}
	r.Output = string(b)
}

// checkOutput validates FunctionOutput text ({"request": ...} or
// {"response": ...}) produced by another engine, with the same checks as
// validate, and fills in the result.
func (r *Result) checkOutput(output string, ev *Event) {
	vm := goja.New()
	parse, _ := goja.AssertFunction(vm.Get("JSON").ToObject(vm).Get("parse"))
	v, err := parse(goja.Undefined(), vm.ToValue(output))
	wrapper, ok := asObject(v)
	if err != nil || !ok {
		r.fail(ValidationError, "The returned object is not valid")
		return
	}
	inner := get(wrapper, "request")
	if inner == nil {
		inner = get(wrapper, "response")
	}
	r.validate(inner, ev)
}

// TestResult is the TestFunction API's answer (API_TestResult).
type TestResult struct {
	FunctionSummary       FunctionSummary `json:"FunctionSummary"`
	ComputeUtilization    string          `json:"ComputeUtilization"`
	FunctionExecutionLogs []string        `json:"FunctionExecutionLogs"`
	FunctionErrorMessage  string          `json:"FunctionErrorMessage"`
	FunctionOutput        string          `json:"FunctionOutput"`
}

// FunctionSummary is the part of API_FunctionSummary a test result carries.
type FunctionSummary struct {
	Name           string         `json:"Name"`
	Status         string         `json:"Status"`
	FunctionConfig FunctionConfig `json:"FunctionConfig"`
}

// FunctionConfig is API_FunctionConfig.
type FunctionConfig struct {
	Comment string  `json:"Comment"`
	Runtime Runtime `json:"Runtime"`
}

// TestResult renders r as TestFunction would.
func (f *Function) TestResult(r *Result) TestResult {
	logs := r.Logs
	if logs == nil {
		logs = []string{}
	}
	return TestResult{
		FunctionSummary:       FunctionSummary{Name: f.name, Status: "UNPUBLISHED", FunctionConfig: FunctionConfig{Runtime: f.runtime}},
		ComputeUtilization:    fmt.Sprint(r.ComputeUtilization),
		FunctionExecutionLogs: logs,
		FunctionErrorMessage:  r.Error,
		FunctionOutput:        r.Output,
	}
}
