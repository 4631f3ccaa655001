package cfruntime

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/cflimits"
)

func compile(t *testing.T, rt Runtime, code string) *Function {
	t.Helper()
	f, err := Compile("test", []byte(code), rt)
	if err != nil {
		t.Fatalf("compile: %v\n%s", err, code)
	}
	return f
}

func testEvent() *Event {
	r := httptest.NewRequest("GET", "/vod/a/index.m3u8?x=1&y=2&y=3", nil)
	r.Host = "media.example.com"
	r.Header.Set("User-Agent", "test/1.0")
	r.Header.Add("Accept", "a")
	r.Header.Add("Accept", "b")
	r.Header.Add("Cookie", "a=1; b=2")
	r.Header.Add("Cookie", "a=3")
	r.Header.Set("X-Amz-Cf-Id", "hidden")
	r.Header.Set("Connection", "keep-alive")
	return NewEvent(r, "203.0.113.9", EventOptions{DistributionDomainName: "d111111abcdef8.cloudfront.net"})
}

// hangGuard is the budget of tests that are not about the budget: it only
// stops a runaway loop, so that a test fails rather than hangs. A handler
// here runs in well under a millisecond, but a loaded machine can stall
// one beyond DefaultBudget.
const hangGuard = 10 * time.Second

// run compiles handler code (the body of function handler(event)) and
// runs it once.
func run(t *testing.T, rt Runtime, body string) *Result {
	t.Helper()
	return compile(t, rt, "function handler(event) {\n"+body+"\n}").Run(testEvent(), Options{Now: time.Unix(1_767_225_600, 0), Budget: hangGuard})
}

func TestEventShape(t *testing.T) {
	ev := testEvent()
	q := ev.Request
	if q.Method != "GET" || q.URI != "/vod/a/index.m3u8" || ev.Viewer.IP != "203.0.113.9" || ev.Context.EventType != "viewer-request" {
		t.Fatalf("event %+v", ev)
	}
	if v, _ := q.Headers.Get("host"); v != "media.example.com" {
		t.Errorf("host header %q", v)
	}
	if a := q.Headers["accept"]; a.Value != "a" || len(a.MultiValue) != 2 || a.MultiValue[1].Value != "b" {
		t.Errorf("repeated header: %+v", a)
	}
	if ua := q.Headers["user-agent"]; ua.MultiValue != nil {
		t.Errorf("a single header has multiValue: %+v", ua)
	}
	if _, ok := q.Headers["cookie"]; ok {
		t.Error("Cookie is in headers; CloudFront moves it to cookies")
	}
	if a := q.Cookies["a"]; a.Value != "1" || len(a.MultiValue) != 2 || q.Cookies["b"].Value != "2" {
		t.Errorf("cookies: %+v", q.Cookies)
	}
	if y := q.Querystring["y"]; y.Value != "2" || len(y.MultiValue) != 2 || q.Querystring["x"].Value != "1" {
		t.Errorf("querystring: %+v", q.Querystring)
	}
	for _, h := range []string{"x-amz-cf-id", "connection"} {
		if _, ok := q.Headers[h]; ok {
			t.Errorf("disallowed header %s is visible", h)
		}
	}
	r := httptest.NewRequest("GET", "/a%2Fb/%C3%A9", nil)
	r.Header.Set("stream_key", "k")
	if ev := NewEvent(r, "", EventOptions{DropUnderscoreHeaders: true}); ev.Request.URI != "/a%2Fb/%C3%A9" || has(ev.Request.Headers, "stream_key") {
		t.Errorf("raw URI or underscore header: %+v", ev.Request)
	}
}

func has(f Fields, n string) bool { _, ok := f[n]; return ok }

// What CloudFront lacks fails as it does there.
func TestRestrictions(t *testing.T) {
	for _, tc := range []struct{ name, code, want string }{
		{"eval", "eval('1'); return event.request;", "ReferenceError: eval is not defined"},
		{"Function constructor", "new Function('return 1')(); return event.request;", "Function constructor is not supported"},
		{"Function via a prototype", "(function () {}).constructor('return 1')(); return event.request;", "Function constructor is not supported"},
		{"AsyncFunction constructor", "(async function () {}).constructor('return 1'); return event.request;", "AsyncFunction constructor is not supported"},
		{"setTimeout", "setTimeout(function () {}, 1); return event.request;", "setTimeout is not defined"},
		{"Map", "new Map(); return event.request;", "Map is not defined"},
		{"Set", "new Set(); return event.request;", "Set is not defined"},
		{"WeakMap", "new WeakMap(); return event.request;", "WeakMap is not defined"},
		{"Proxy", "new Proxy({}, {}); return event.request;", "Proxy is not defined"},
		{"Reflect", "Reflect.ownKeys({}); return event.request;", "Reflect is not defined"},
		{"process", "process.env; return event.request;", "process is not defined"},
		{"fetch", "fetch('http://example.com'); return event.request;", "fetch is not defined"},
		{"XMLHttpRequest", "new XMLHttpRequest(); return event.request;", "XMLHttpRequest is not defined"},
		{"require fs", "require('fs'); return event.request;", "Cannot find module 'fs'"},
		{"Array.prototype.at", "[1].at(0); return event.request;", "'at'"},
		{"Object.fromEntries", "Object.fromEntries([]); return event.request;", "'fromEntries'"},
		{"console.log with commas", "console.log('a', 'b'); return event.request;", "console.log takes one argument"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, JS20, tc.code)
			if r.Outcome != ExecutionError || r.Status != 503 || !strings.Contains(r.Error, tc.want) {
				t.Fatalf("outcome %s %d %q, want a 503 with %q", r.Outcome, r.Status, r.Error, tc.want)
			}
		})
	}
}

func TestDateIsFrozen(t *testing.T) {
	r := run(t, JS20, `var a = Date.now(); for (var i = 0; i < 200000; i++) {} 
		return {statusCode: 200, body: a + ' ' + Date.now() + ' ' + new Date().toISOString()};`)
	if r.Outcome != Respond || r.Response.Body == nil || r.Response.Body.Data != "1767225600000 1767225600000 2026-01-01T00:00:00.000Z" {
		t.Fatalf("%+v %+v", r, r.Response)
	}
}

func TestOutcomes(t *testing.T) {
	for _, tc := range []struct {
		name, code string
		outcome    Outcome
		status     int
	}{
		{"request goes on", "return event.request;", Continue, 0},
		{"generated response", "return {statusCode: 403, statusDescription: 'Forbidden'};", Respond, 403},
		{"response with base64 body", "return {statusCode: 200, body: {encoding: 'base64', data: 'aGk='}};", Respond, 200},
		{"status as a string", "return {statusCode: '403'};", ValidationError, 502},
		{"status not integer", "return {statusCode: 403.5};", ValidationError, 502},
		{"status out of range", "return {statusCode: 99};", ValidationError, 502},
		{"bad base64 body", "return {statusCode: 200, body: {encoding: 'base64', data: '***'}};", ValidationError, 502},
		{"bad body encoding", "return {statusCode: 200, body: {encoding: 'gzip', data: ''}};", ValidationError, 502},
		{"header value not a string", "return {statusCode: 200, headers: {a: {value: 5}}};", ValidationError, 502},
		{"header without object", "return {statusCode: 200, headers: {a: 'x'}};", ValidationError, 502},
		{"upper-case header name", "return {statusCode: 200, headers: {'X-A': {value: 'x'}}};", ValidationError, 502},
		{"disallowed header added", "event.request.headers['x-amz-cf-id'] = {value: 'x'}; return event.request;", ValidationError, 502},
		{"host changed", "event.request.headers.host.value = 'evil.example'; return event.request;", ValidationError, 502},
		{"host removed", "delete event.request.headers.host; return event.request;", ValidationError, 502},
		{"method changed", "event.request.method = 'POST'; return event.request;", ValidationError, 502},
		{"uri without slash", "event.request.uri = 'x'; return event.request;", ValidationError, 502},
		{"nothing returned", "", ValidationError, 502},
		{"a string returned", "return 'ok';", ValidationError, 502},
		{"thrown error", "throw new Error('boom');", ExecutionError, 503},
		{"runaway loop", "while (true) {}", ExecutionError, 503},
		{"rejected promise", "return Promise.reject(new Error('no'));", ExecutionError, 503},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := compile(t, JS20, "function handler(event) {\n"+tc.code+"\n}")
			// The runaway loop's budget is short: its interrupt is what is
			// tested. The others only need a hang guard.
			budget := hangGuard
			if tc.name == "runaway loop" {
				budget = 50 * time.Millisecond
			}
			r := f.Run(testEvent(), Options{Budget: budget})
			if r.Outcome != tc.outcome || r.Status != tc.status {
				t.Fatalf("outcome %s %d (%s), want %s %d", r.Outcome, r.Status, r.Error, tc.outcome, tc.status)
			}
			if (tc.outcome == ExecutionError || tc.outcome == ValidationError) && r.Error == "" {
				t.Fatal("a failed invocation has no FunctionErrorMessage")
			}
		})
	}
}

func TestCompileRefuses(t *testing.T) {
	handler := "function handler(event) { return event.request; }\n"
	for _, tc := range []struct {
		name string
		rt   Runtime
		code string
		want string
	}{
		{"over 10 KB", JS20, handler + "//" + strings.Repeat("x", cflimits.FunctionCodeSize), "FunctionSizeLimitExceeded"},
		{"byte order mark", JS20, "\ufeff" + handler, "byte order mark"},
		{"export", JS20, "export " + handler, "export statements"},
		{"syntax error", JS20, handler + "var = ;", "syntax error"},
		{"no handler", JS20, "function other() {}", "no top-level function named handler"},
		{"let in 1.0", JS10, "function handler(event) { let x = 1; return event.request; }", "let declarations"},
		{"const in 1.0", JS10, "function handler(event) { const x = 1; return event.request; }", "const declarations"},
		{"async in 1.0", JS10, "async function handler(event) { return event.request; }", "async functions"},
		{"class", JS20, handler + "class A {}", "classes"},
		{"for of", JS20, "function handler(event) { for (var x of []) {} return event.request; }", "for...of"},
		{"destructuring", JS20, "function handler(event) { var {request} = event; return request; }", "destructuring"},
		{"import of another module", JS20, "import fs from 'fs';\n" + handler, "syntax error"},
		{"unknown runtime", Runtime("nodejs20.x"), handler, "InvalidArgument"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile("f", []byte(tc.code), tc.rt)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	_, err := Compile("f", []byte(handler+"//"+strings.Repeat("x", cflimits.FunctionCodeSize)), JS20)
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversized code: %v is not ErrTooLarge", err)
	}
	exact := handler + "//" + strings.Repeat("x", cflimits.FunctionCodeSize-len(handler)-2)
	if _, err := Compile("f", []byte(exact), JS20); err != nil {
		t.Errorf("code of exactly %d bytes was refused: %v", len(exact), err)
	}
}

func TestModules20(t *testing.T) {
	code := `import crypto from 'crypto';
import qs from 'querystring';
function handler(event) {
  var out = [];
  out.push(crypto.createHash('sha256').update('abc').digest('hex'));
  out.push(crypto.createHash('md5').update('abc').digest('base64'));
  out.push(crypto.createHash('sha1').update(Buffer.from('abc')).digest('base64url'));
  out.push(crypto.createHmac('sha256', 'key').update('msg').digest('hex'));
  out.push(crypto.createHmac('sha256', Buffer.from('6b6579', 'hex')).update('msg').digest().toString('hex'));
  out.push(Buffer.from('héllo').toString('base64'), Buffer.from('aGk', 'base64url').toString());
  out.push(Buffer.from([1, 2, 255]).toString('hex'), Buffer.alloc(3, 'ab').toString(), Buffer.concat([Buffer.from('a'), Buffer.from('b')]).toString());
  out.push(String(Buffer.byteLength('é')), String(Buffer.isBuffer(Buffer.alloc(1))), String(Buffer.isEncoding('latin1')));
  var b = Buffer.alloc(8); b.writeUInt32BE(0xdeadbeef, 0); b.writeInt16LE(-2, 4);
  out.push(b.toString('hex'), String(b.readUInt32BE(0)), String(b.readInt16LE(4)), String(b.equals(Buffer.from(b))));
  out.push(atob('aGk='), btoa('hi'), new TextDecoder().decode(new TextEncoder().encode('✓')));
  out.push(JSON.stringify(qs.parse('a=1&b=2&a=3&c=%20x+y')), qs.stringify({a: [1, 2], b: 'x y'}), qs.escape('a b/'), qs.unescape('%41%zz'));
  out.push(typeof require('crypto').createHmac, typeof String.bytesFrom);
  return {statusCode: 200, body: out.join('|')};
}`
	r := compile(t, JS20, code).Run(testEvent(), Options{Budget: hangGuard})
	want := strings.Join([]string{
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "kAFQmDzST7DWlj99KOF/cg==", "qZk-NkcGgWq6PiVxeFDCbJzQ2J0",
		"2d93cbc1be167bcb1637a4a23cbff01a7878f0c50ee833954ea5221bb1b8c628", "2d93cbc1be167bcb1637a4a23cbff01a7878f0c50ee833954ea5221bb1b8c628",
		"aMOpbGxv", "hi", "0102ff", "aba", "ab", "2", "true", "false", "deadbeeffeff0000", "3735928559", "-2", "true",
		"hi", "aGk=", "✓", `{"a":["1","3"],"b":"2","c":" x y"}`, "a=1&a=2&b=x%20y", "a%20b%2F", "A%zz", "function", "undefined",
	}, "|")
	if r.Outcome != Respond || r.Response.Body.Data != want {
		t.Fatalf("%s %s\n got %s\nwant %s", r.Outcome, r.Error, bodyOf(r), want)
	}
}

func bodyOf(r *Result) string {
	if r.Response == nil || r.Response.Body == nil {
		return ""
	}
	return r.Response.Body.Data
}

func TestRuntime10(t *testing.T) {
	code := `function handler(event) {
  var crypto = require('crypto');
  var s = String.bytesFrom('aGk=', 'base64');
  var d = crypto.createHash('sha256').update('abc').digest();
  var u = 'é'.toUTF8();
  return {statusCode: 200, body: [s, String.bytesFrom('6869', 'hex'), d.length, u.length, u.fromUTF8(), 'é'.toBytes() === null, '\u0100'.toBytes() === null, typeof Buffer, typeof atob].join('|')};
}`
	r := compile(t, JS10, code).Run(testEvent(), Options{Budget: hangGuard})
	if want := "hi|hi|32|2|é|false|true|undefined|undefined"; bodyOf(r) != want {
		t.Fatalf("%s %s: got %q want %q", r.Outcome, r.Error, bodyOf(r), want)
	}
}

func TestAsyncAndKVS(t *testing.T) {
	kvs := NewKVS()
	if err := kvs.Put("greeting", []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if err := kvs.Put("cfg", []byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := kvs.Put(strings.Repeat("k", MaxKVSKeyBytes+1), nil); err == nil {
		t.Error("an over-long key was stored")
	}
	if err := kvs.Put("big", make([]byte, MaxKVSValueBytes+1)); err == nil {
		t.Error("an over-long value was stored")
	}
	code := `import cf from 'cloudfront';
async function handler(event) {
  var kvs = cf.kvs();
  var g = await kvs.get('greeting');
  var c = await kvs.get('cfg', {format: 'json'});
  var missing;
  try { await kvs.get('nope'); } catch (e) { missing = 'rejected'; }
  var meta = await kvs.meta();
  return {statusCode: 200, body: [g, c.a, missing, await kvs.exists('cfg'), await kvs.exists('nope'), meta.keyCount].join('|')};
}`
	f := compile(t, JS20, code)
	r := f.Run(testEvent(), Options{KVS: kvs, Budget: hangGuard})
	if want := "hello|1|rejected|true|false|2"; bodyOf(r) != want {
		t.Fatalf("%s %s: got %q want %q", r.Outcome, r.Error, bodyOf(r), want)
	}
	if r := f.Run(testEvent(), Options{Budget: hangGuard}); r.Outcome != ExecutionError || !strings.Contains(r.Error, "no key value store") {
		t.Fatalf("without a store: %s %q", r.Outcome, r.Error)
	}
}

// Every invocation starts from a fresh global state.
func TestFreshGlobals(t *testing.T) {
	f := compile(t, JS20, "var n = 0;\nfunction handler(event) { n++; globalThis.leak = (globalThis.leak || 0) + 1; return {statusCode: 200, body: n + ',' + leak}; }")
	for i := 0; i < 3; i++ {
		if r := f.Run(testEvent(), Options{Budget: hangGuard}); bodyOf(r) != "1,1" {
			t.Fatalf("invocation %d saw %q", i, bodyOf(r))
		}
	}
}

func TestLogsAndTestResult(t *testing.T) {
	f := compile(t, JS20, "function handler(event) { console.log('a ' + event.request.uri); for (var i = 0; i < 2000; i++) console.log('0123456789'); return event.request; }")
	r := f.Run(testEvent(), Options{Budget: hangGuard})
	size := 0
	for _, l := range r.Logs {
		size += len(l)
	}
	if r.Logs[0] != "a /vod/a/index.m3u8" || size > maxLogBytes {
		t.Fatalf("logs start %q and hold %d bytes", r.Logs[0], size)
	}
	tr := f.TestResult(r)
	if tr.FunctionErrorMessage != "" || !strings.HasPrefix(tr.FunctionOutput, `{"request":{`) || tr.ComputeUtilization == "" || tr.FunctionSummary.FunctionConfig.Runtime != JS20 {
		t.Fatalf("%+v", tr)
	}
}
