package cfruntime

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestCloudfrontModuleObject: the cloudfront module and what cf.kvs()
// returns, whose members are made on first use, behave as plain objects
// with those members.
func TestCloudfrontModuleObject(t *testing.T) {
	code := `import cf from 'cloudfront';
function handler(event) {
  var out = [];
  out.push(Object.keys(cf).join(','));
  out.push(String(cf.kvs === cf.kvs) + ',' + ('kvs' in cf) + ',' + cf.hasOwnProperty('edgeLocation') + ',' + ('nope' in cf) + ',' + typeof cf.nope);
  out.push(JSON.stringify(cf.edgeLocation) + ',' + typeof cf.updateRequestOrigin + ',' + typeof cf.toString);
  var k = []; for (var n in cf) k.push(n); out.push(k.join(','));
  var h = cf.kvs();
  out.push(Object.keys(h).join(',') + ',' + (h === cf.kvs()) + ',' + (h.exists === h.exists) + ',' + typeof h.get);
  cf.updateRequestOrigin({domainName: 'o.example.com'});
  delete cf.edgeLocation; cf.extra = 1; cf.kvs = 'replaced';
  out.push(Object.keys(cf).join(',') + ',' + cf.extra + ',' + cf.kvs + ',' + cf.edgeLocation);
  var d = Object.getOwnPropertyDescriptor(cf, 'extra');
  out.push([d.value, d.writable, d.enumerable, d.configurable].join(','));
  return {statusCode: 200, body: out.join('|')};
}`
	r := compile(t, JS20, code).Run(testEvent(), Options{KVS: NewKVS(), Budget: hangGuard})
	want := strings.Join([]string{
		"kvs,edgeLocation,updateRequestOrigin,selectRequestOriginById,createRequestOriginGroup,cwt",
		"true,true,true,false,undefined",
		`{"name":"LCL","serverIp":"127.0.0.1","region":"local"},function,function`,
		"kvs,edgeLocation,updateRequestOrigin,selectRequestOriginById,createRequestOriginGroup,cwt",
		"get,exists,meta,false,true,function",
		"kvs,updateRequestOrigin,selectRequestOriginById,createRequestOriginGroup,cwt,extra,1,replaced,undefined",
		"1,true,true,true",
	}, "|")
	if bodyOf(r) != want {
		t.Fatalf("%s %q:\n got %q\nwant %q", r.Outcome, r.Error, bodyOf(r), want)
	}
	if len(r.OriginCalls) != 1 || r.OriginCalls[0]["op"] != "updateRequestOrigin" {
		t.Fatalf("origin calls %v; want the one updateRequestOrigin", r.OriginCalls)
	}
}

// allocsPerRun is the mean number of allocations of running code.
func allocsPerRun(t *testing.T, code string, kvs *KVS) float64 {
	t.Helper()
	f := compile(t, JS20, code)
	now := time.Unix(1_767_225_600, 0)
	if r := f.Run(testEvent(), Options{Now: now, KVS: kvs, Budget: hangGuard}); r.Outcome != Continue {
		t.Fatalf("%s %q", r.Outcome, r.Error)
	}
	return testing.AllocsPerRun(20, func() { f.Run(testEvent(), Options{Now: now, KVS: kvs, Budget: hangGuard}) })
}

// TestKVSLookupAllocations holds what a store lookup adds to an async
// handler that awaits (goja's Promise and async machinery are the same
// on both sides): importing cloudfront, cf.kvs() and an awaited exists().
// Built eagerly, the module and handle made every member's function
// object on each invocation: 110 allocations here; made on first use, 48.
func TestKVSLookupAllocations(t *testing.T) {
	base := allocsPerRun(t, "async function handler(event) { await 0; return event.request; }", nil)
	lookup := allocsPerRun(t, "import cf from 'cloudfront';\nasync function handler(event) { await cf.kvs().exists('r:s1'); return event.request; }", NewKVS())
	if extra := lookup - base; extra > 70 {
		t.Fatalf("a store lookup costs %.0f allocations (%.0f against %.0f); want at most 70", extra, lookup, base)
	}
}

// TestResultNotExported: the result of a sync handler is read once, as
// an async one's is, not also exported into Go values to see whether it
// is a promise: what a request with more headers adds is the same for
// both.
func TestResultNotExported(t *testing.T) {
	growth := func(code string) float64 {
		few := allocsPerRun(t, code, nil)
		f := compile(t, JS20, code)
		ev := testEvent()
		for i := 0; i < 40; i++ {
			ev.Request.Headers[fmt.Sprintf("x-h%d", i)] = Field{Value: "v"}
		}
		many := testing.AllocsPerRun(20, func() { f.Run(ev, Options{Budget: hangGuard}) })
		return many - few
	}
	sync := growth("function handler(event) { return event.request; }")
	async := growth("async function handler(event) { return event.request; }")
	if sync > async+5 {
		t.Fatalf("40 more headers cost a sync handler %.0f allocations and an async one %.0f; want the same", sync, async)
	}
}
