package cfruntime

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
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
	// DefaultBudget is how long an invocation may run before it is
	// interrupted as runaway code. goja is far slower than CloudFront's
	// engine, so this is generous; it exists to stop infinite loops.
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
	// Budget interrupts runaway code; zero means DefaultBudget.
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
	evJSON, err := json.Marshal(ev)
	if err != nil {
		res := &Result{}
		res.fail(ExecutionError, "InternalError: the event cannot be encoded: "+err.Error())
		return res
	}
	return f.run(evJSON, ev, opt)
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
	e := newEnv(f.runtime, now, opt.KVS)
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
	timer := time.AfterFunc(budget, func() { e.vm.Interrupt("the function exceeded its compute budget") })
	defer timer.Stop()

	if _, err := e.vm.RunProgram(f.prog); err != nil {
		res.fail(ExecutionError, describe(err))
		return res
	}
	handler, ok := goja.AssertFunction(e.vm.Get("handler"))
	if !ok {
		res.fail(ExecutionError, "TypeError: handler is not a function")
		return res
	}
	parse, _ := goja.AssertFunction(e.vm.Get("JSON").ToObject(e.vm).Get("parse"))
	evVal, err := parse(goja.Undefined(), e.vm.ToValue(string(evJSON)))
	if err != nil {
		res.fail(ExecutionError, describe(err))
		return res
	}
	out, err := handler(goja.Undefined(), evVal)
	if err != nil {
		res.fail(ExecutionError, describe(err))
		return res
	}
	if p, ok := out.Export().(*goja.Promise); ok {
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
	res.validate(e, out, ev)
	return res
}

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
// in the output.
func (r *Result) validate(e *env, out goja.Value, ev *Event) {
	obj, ok := out.(*goja.Object)
	if !ok || goja.IsNull(out) || isArray(e.vm, out) {
		r.fail(ValidationError, "The function must return the request or a response object")
		return
	}
	isResponse := obj.Get("statusCode") != nil
	key := "request"
	if isResponse {
		key = "response"
	}
	wrap := e.vm.NewObject()
	_ = wrap.Set(key, obj)
	stringify, _ := goja.AssertFunction(e.vm.Get("JSON").ToObject(e.vm).Get("stringify"))
	text, err := stringify(goja.Undefined(), wrap)
	if err != nil || goja.IsUndefined(text) {
		r.fail(ValidationError, "The returned object cannot be serialised: "+describe(err))
		return
	}
	r.checkOutput(text.String(), ev)
}

// checkOutput validates FunctionOutput text ({"request": ...} or
// {"response": ...}) and fills in the result.
func (r *Result) checkOutput(output string, ev *Event) {
	r.Output = output
	var raw map[string]map[string]any
	if err := json.Unmarshal([]byte(r.Output), &raw); err != nil || len(raw) != 1 {
		r.fail(ValidationError, "The returned object is not valid")
		return
	}
	key := "request"
	if _, isResponse := raw["response"]; isResponse {
		key = "response"
	}
	if key == "response" {
		if msg := checkResponse(raw[key]); msg != "" {
			r.fail(ValidationError, msg)
			return
		}
		r.Outcome = Respond
		r.Response = &Response{}
		if err := json.Unmarshal(mustJSON(raw[key]), r.Response); err != nil {
			r.fail(ValidationError, "The response is not valid: "+err.Error())
			return
		}
		r.Status = r.Response.StatusCode
		if r.Response.Body != nil && r.Response.Body.Encoding == "" {
			r.Response.Body.Encoding = "text"
		}
		return
	}
	if msg := checkRequest(raw[key], ev); msg != "" {
		r.fail(ValidationError, msg)
		return
	}
	r.Outcome = Continue
	r.Request = &Request{}
	if err := json.Unmarshal(mustJSON(raw[key]), r.Request); err != nil {
		r.fail(ValidationError, "The request is not valid: "+err.Error())
	}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func checkResponse(resp map[string]any) string {
	code, ok := resp["statusCode"].(float64)
	if !ok || code != float64(int(code)) || code < 100 || code > 599 {
		return fmt.Sprintf("statusCode must be an integer HTTP status code, got %v", resp["statusCode"])
	}
	if d, ok := resp["statusDescription"]; ok {
		if _, ok := d.(string); !ok {
			return "statusDescription must be a string"
		}
	}
	if msg := checkFields("headers", resp["headers"], true); msg != "" {
		return msg
	}
	if c, ok := resp["cookies"]; ok {
		cookies, ok := c.(map[string]any)
		if !ok {
			return "cookies must be an object"
		}
		for name, v := range cookies {
			cv, ok := v.(map[string]any)
			if _, isStr := cv["value"].(string); !ok || !isStr {
				return "cookie " + name + " must be an object with a string value"
			}
		}
	}
	switch body := resp["body"].(type) {
	case nil, string:
	case map[string]any:
		data, ok := body["data"].(string)
		if !ok {
			return "body.data must be a string"
		}
		switch body["encoding"] {
		case "text":
		case "base64":
			if _, err := base64.StdEncoding.DecodeString(data); err != nil {
				return "body.data is not valid base64"
			}
		default:
			return "body.encoding must be text or base64"
		}
	default:
		return "body must be a string or an object with encoding and data"
	}
	return ""
}

func checkRequest(req map[string]any, ev *Event) string {
	uri, ok := req["uri"].(string)
	if !ok || !strings.HasPrefix(uri, "/") {
		return "uri must be a string that starts with /"
	}
	if m, _ := req["method"].(string); m != ev.Request.Method {
		return "The function cannot modify the read-only field method"
	}
	for _, name := range []string{"querystring", "cookies"} {
		if msg := checkFields(name, req[name], false); msg != "" {
			return msg
		}
	}
	if msg := checkFields("headers", req["headers"], true); msg != "" {
		return msg
	}
	headers, _ := req["headers"].(map[string]any)
	for _, name := range readOnlyHeaders {
		before, had := ev.Request.Headers[name]
		after, has := headers[name]
		if had != has || (has && !sameField(before, after)) {
			return "The function cannot modify the read-only header " + name
		}
	}
	return ""
}

func sameField(f Field, v any) bool {
	obj, _ := v.(map[string]any)
	val, _ := obj["value"].(string)
	if val != f.Value {
		return false
	}
	mv, _ := obj["multiValue"].([]any)
	if len(mv) == 0 {
		return len(f.MultiValue) <= 1
	}
	if len(mv) != len(f.MultiValue) {
		return false
	}
	for i, x := range mv {
		if s, _ := x.(map[string]any)["value"].(string); s != f.MultiValue[i].Value {
			return false
		}
	}
	return true
}

// checkFields checks the {name: {value, multiValue}} shape.
func checkFields(what string, v any, headers bool) string {
	if v == nil {
		return ""
	}
	fields, ok := v.(map[string]any)
	if !ok {
		return what + " must be an object"
	}
	for name, f := range fields {
		if headers && name != strings.ToLower(name) {
			return "header names must be lower case: " + name
		}
		if headers && isDisallowedHeader(name) {
			return "The function cannot add or read the header " + name
		}
		obj, ok := f.(map[string]any)
		if !ok {
			return what + "." + name + " must be an object with a value"
		}
		if _, ok := obj["value"].(string); !ok {
			if _, hasMV := obj["multiValue"]; !hasMV {
				return what + "." + name + ".value must be a string"
			}
		}
		if mv, ok := obj["multiValue"]; ok {
			list, ok := mv.([]any)
			if !ok {
				return what + "." + name + ".multiValue must be an array"
			}
			for _, x := range list {
				item, ok := x.(map[string]any)
				if _, isStr := item["value"].(string); !ok || !isStr {
					return what + "." + name + ".multiValue items must be objects with a string value"
				}
			}
		}
	}
	return ""
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
