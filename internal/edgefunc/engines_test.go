package edgefunc

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/cfruntime"
	"github.com/securestream/terraform-provider-securestream/internal/issuance"
	"github.com/securestream/terraform-provider-securestream/internal/streamkeytest"
	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

// engines holds one rendered function in the project's runtime (goja)
// and, in the cross-implementation tier, in node, beside the Go model.
type engines struct {
	cfg   Config
	code  []byte
	goja  *cfruntime.Function
	node  *cfruntime.Node // nil unless the cross-implementation tier runs
	model *model
	store *revStore // the associated key value store, nil for none
}

// useStore associates s (nil: none) with the function in every engine and
// in the model.
func (e *engines) useStore(s *revStore) {
	e.store, e.model.store = s, s
}

func newEngines(t testing.TB, cfg Config) *engines {
	t.Helper()
	code, err := Render(cfg)
	if err != nil {
		t.Fatal(err)
	}
	fn, err := cfruntime.Compile("securestream", code, cfruntime.JS20)
	if err != nil {
		t.Fatalf("the rendered function does not compile: %v\n%s", err, code)
	}
	if cfg.Format == issuance.FormatCAT && cfg.Channels == (issuance.Channels{}) {
		cfg.Channels = issuance.DefaultCATChannels() // as Render has it
	}
	e := &engines{cfg: cfg, code: code, goja: fn, model: newModel(cfg)}
	if testenv.CrossOn() {
		testenv.Node(t)
		if e.node, err = cfruntime.StartNode(code, cfruntime.JS20); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(e.node.Close)
	}
	return e
}

// hangGuard is the goja budget of the correctness tests: it only stops a
// runaway loop, so that a test fails rather than hangs. An invocation
// typically takes 0.1 ms and, on a loaded machine, was seen stalled for
// 80 ms; cfruntime.DefaultBudget (250 ms) failed TestDifferential under
// load. Speed is for the benchmarks.
const hangGuard = 10 * time.Second

// run runs ev in every engine there is.
func (e *engines) run(t testing.TB, ev *cfruntime.Event, now time.Time) map[string]*cfruntime.Result {
	t.Helper()
	kvs := e.store.kvs()
	return e.results(t, e.goja.Run(ev, cfruntime.Options{Now: now, Budget: hangGuard, KVS: kvs}),
		func() (*cfruntime.Result, error) { return e.node.RunKVS(ev, now, kvs) })
}

// runJSON runs a raw event (which may be malformed) in every engine there is.
func (e *engines) runJSON(t testing.TB, event []byte, now time.Time) map[string]*cfruntime.Result {
	t.Helper()
	return e.results(t, e.goja.RunJSON(event, cfruntime.Options{Now: now, Budget: hangGuard}),
		func() (*cfruntime.Result, error) { return e.node.RunJSON(event, now) })
}

// results are goja's result and, when the cross-implementation tier runs,
// node's.
func (e *engines) results(t testing.TB, goja *cfruntime.Result, node func() (*cfruntime.Result, error)) map[string]*cfruntime.Result {
	t.Helper()
	out := map[string]*cfruntime.Result{"goja": goja}
	if e.node != nil {
		n, err := node()
		if err != nil {
			t.Fatal(err)
		}
		out["node"] = n
	}
	return out
}

// verdict reduces a result to "allow", the reason code of its log line
// (the header has a coarse one unless DebugReasons is on; check tests it),
// or a description of anything else (which is always a failure).
func verdict(r *cfruntime.Result) string {
	switch {
	case r.Outcome == cfruntime.Continue:
		return "allow"
	case r.Outcome == cfruntime.Respond && r.Status == 204:
		// A CORS preflight the function answered (check tests its headers).
		if len(r.Logs) != 1 || r.Logs[0] != "securestream preflight" {
			return fmt.Sprintf("204 with logs %q", r.Logs)
		}
		return "preflight"
	case r.Outcome == cfruntime.Respond && r.Status == 403:
		if cc, _ := r.Response.Headers.Get("cache-control"); cc != "no-store" {
			return "403 without cache-control: no-store"
		}
		if len(r.Logs) != 1 || !strings.HasPrefix(r.Logs[0], "securestream deny ") {
			return fmt.Sprintf("403 with logs %q", r.Logs)
		}
		return strings.TrimPrefix(r.Logs[0], "securestream deny ")
	}
	return r.Outcome.String() + " " + r.Error
}

func allowOrReason(s string) string {
	if s == "ok" || s == "pass" {
		return "allow"
	}
	return s
}

// check runs ev through the model and both engines and reports every
// disagreement. It returns the model's verdict.
func (e *engines) check(t testing.TB, name string, ev *cfruntime.Event, now time.Time) string {
	t.Helper()
	want, uri := e.model.decide(ev, now)
	want = allowOrReason(want)
	for engine, r := range e.run(t, ev, now) {
		if got := verdict(r); got != want {
			t.Errorf("%s: %s says %q, the Go model %q", name, engine, got, want)
		}
		if r.Outcome == cfruntime.Respond && r.Response != nil && want != "preflight" {
			if hdr, _ := r.Response.Headers.Get("x-stream-key-error"); hdr != e.model.header(want) {
				t.Errorf("%s: %s: x-stream-key-error %q for %s, want %q", name, engine, hdr, want, e.model.header(want))
			}
		}
		// The CORS headers of a generated response: a browser player sees
		// the 403 (and its x-stream-key-error) only with them, and only
		// an allowed origin may.
		if r.Outcome == cfruntime.Respond && r.Response != nil {
			for hdr, v := range e.model.corsHeaders(ev.Request.Headers, want) {
				if got, _ := r.Response.Headers.Get(hdr); got != v {
					t.Errorf("%s: %s: %s %q for %s, want %q", name, engine, hdr, got, want, v)
				}
			}
		}
		for _, l := range r.Logs {
			if strings.Contains(l, "securestream error") {
				t.Errorf("%s: %s: the function caught an error: %s", name, engine, l)
			}
		}
		// A revocation check that failed open says so in the log (and a
		// request never looked up does not).
		if r.Outcome == cfruntime.Continue && e.cfg.Revocation != nil {
			if got := slices.Contains(r.Logs, "securestream "+ReasonRevocationUnavailable); got != e.model.unchecked {
				t.Errorf("%s: %s: logs %q; the model says the revocation check failed open: %v", name, engine, r.Logs, e.model.unchecked)
			}
		}
		if r.Outcome == cfruntime.Continue {
			if r.Request.URI != uri {
				t.Errorf("%s: %s forwards uri %q, want %q", name, engine, r.Request.URI, uri)
			}
			e.checkStripped(t, name+": "+engine, r.Request)
		}
	}
	return want
}

// checkStripped: no token channel may reach the origin.
func (e *engines) checkStripped(t testing.TB, name string, q *cfruntime.Request) {
	t.Helper()
	ch := e.cfg.Channels
	for what, present := range map[string]bool{
		"header " + ch.Header: ch.Header != "" && has(q.Headers, ch.Header),
		"query " + ch.Query:   ch.Query != "" && has(q.Querystring, ch.Query),
		"cookie " + ch.Cookie: ch.Cookie != "" && has(q.Cookies, ch.Cookie),
		"path prefix":         ch.PathPrefix != "" && strings.HasPrefix(q.URI, "/"+ch.PathPrefix+"/ss1."),
		"seed headers":        e.cfg.SeedKeyID != "" && (has(q.Headers, "stream_key") || has(q.Headers, "stream-policy")),
	} {
		if present {
			t.Errorf("%s: the %s reaches the origin", name, what)
		}
	}
}

func has(f cfruntime.Fields, name string) bool {
	_, ok := f[name]
	return ok
}

func testKeys() []Key {
	return []Key{
		{ID: "k2026a", Secret: bytes.Repeat([]byte("a-secret-key-of-32-bytes-long!!!"), 1)},
		{ID: "k2026b", Secret: bytes.Repeat([]byte{0xff, 0x00, 0x7f, 0x80}, 16)},
		{ID: "legacy", Secret: []byte(streamkeytest.SeedSecret)},
	}
}

// newEvent builds a viewer-request event the way CloudFront does.
func newEvent(method, uri, ip string, headers [][2]string, query [][2]string, cookies [][2]string) *cfruntime.Event {
	ev := &cfruntime.Event{
		Version: "1.0",
		Context: cfruntime.EventContext{EventType: "viewer-request", DistributionDomainName: "d111111abcdef8.cloudfront.net"},
		Viewer:  cfruntime.Viewer{IP: ip},
		Request: cfruntime.Request{Method: method, URI: uri, Querystring: cfruntime.Fields{}, Headers: cfruntime.Fields{}, Cookies: cfruntime.Fields{}},
	}
	add := func(f cfruntime.Fields, kv [][2]string) {
		for _, p := range kv {
			v, ok := f[p[0]]
			if !ok {
				f[p[0]] = cfruntime.Field{Value: p[1]}
				continue
			}
			if len(v.MultiValue) == 0 {
				v.MultiValue = []cfruntime.FieldValue{{Value: v.Value}}
			}
			v.MultiValue = append(v.MultiValue, cfruntime.FieldValue{Value: p[1]})
			f[p[0]] = v
		}
	}
	add(ev.Request.Headers, headers)
	add(ev.Request.Querystring, query)
	add(ev.Request.Cookies, cookies)
	return ev
}
