package faults

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func engine() *Engine {
	return &Engine{Message: func(code string, n int, op string) string { return fmt.Sprintf("%s %d %s", code, n, op) }}
}

// codes returns the code each of n calls of op gets ("" when none).
func codes(e *Engine, op string, subject string, n int) []string {
	var out []string
	for range n {
		c := ""
		if f := e.Record(op, []byte(subject)).Fault; f != nil {
			c = f.Code
		}
		out = append(out, c)
	}
	return out
}

func TestWindowCountsFromArming(t *testing.T) {
	e := engine()
	codes(e, "Get", "", 3) // before arming: not in the window
	e.Inject(Fault{Op: "Get", Nth: 2, Times: 2, Code: "Throttling"})
	if got := strings.Join(codes(e, "Get", "", 5), "|"); got != "|Throttling|Throttling||" {
		t.Errorf("calls 1-5 after arming got %s, want the 2nd and 3rd hit", got)
	}
	if got := e.Count("Get"); got != 8 {
		t.Errorf("Count = %d, want 8", got)
	}
}

func TestMatchCountsMatchingCallsOnly(t *testing.T) {
	e := engine()
	e.Inject(Fault{Op: "*", Nth: 2, Code: "DisabledException", Match: "key-a"})
	got := []string{}
	for _, s := range []string{"key-b", "key-a", "key-b", "key-a", "key-a"} {
		got = append(got, codes(e, "Decrypt", s, 1)...)
	}
	if strings.Join(got, "|") != "|||DisabledException|" {
		t.Errorf("got %q, want only the second call with key-a hit", got)
	}
}

func TestFirstCodeWinsLatencyAdds(t *testing.T) {
	e := engine()
	e.Inject(Fault{Op: "Put", Latency: time.Millisecond})
	e.Inject(Fault{Op: "Put", Code: "A", Latency: 2 * time.Millisecond})
	e.Inject(Fault{Op: "Put", Code: "B", Message: "mine"})
	h := e.Record("Put", nil)
	if h.Fault == nil || h.Fault.Code != "A" || h.Fault.Message != "A 1 Put" || h.Latency != 3*time.Millisecond {
		t.Errorf("hit %+v (fault %+v), want A with the default message and 3ms", h, h.Fault)
	}
}

func TestDisarmKeepsCountsResetForgets(t *testing.T) {
	e := engine()
	e.Inject(Fault{Op: "Get", Code: "X"})
	codes(e, "Get", "", 2)
	e.Disarm()
	if got := codes(e, "Get", "", 1); got[0] != "" || e.Count("Get") != 3 || e.Count("*") != 3 {
		t.Errorf("after Disarm: %q, count %d", got, e.Count("Get"))
	}
	e.Reset()
	if len(e.Counts()) != 0 {
		t.Errorf("after Reset: counts %v", e.Counts())
	}
}

func TestHoldWaitsForReleaseOrClient(t *testing.T) {
	e := engine()
	h := e.Hold("Create")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan bool)
	go func() { done <- e.Record("Create", nil).Wait(ctx) }()
	<-h.Arrived()
	cancel()
	if <-done {
		t.Error("Wait = true for a client that gave up")
	}
	<-h.Abandoned()
	h.Release()
	if !e.Record("Create", nil).Wait(context.Background()) {
		t.Error("Wait = false after Release")
	}
}

func TestStatus(t *testing.T) {
	for code, want := range map[string]int{"PreconditionFailed": 412, "TooManyRequestsException": 429, "Throttling": 400, "NoSuchThing": 400} {
		if got := Status(code); got != want {
			t.Errorf("Status(%s) = %d, want %d", code, got, want)
		}
	}
	if f := (Fault{Code: "InternalError", Status: http.StatusBadGateway}); f.HTTPStatus() != 502 {
		t.Errorf("HTTPStatus ignores Status: %d", f.HTTPStatus())
	}
}
