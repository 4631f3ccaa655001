package cfruntime

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

// kvsCase is one use of cf.kvs() a function makes, with the body its
// handler answers: the documented contract (DG:functions-custom-methods.html).
type kvsCase struct {
	name string
	body string // the handler's body, with kvs = cf.kvs() in scope
	want string
}

var kvsCases = []kvsCase{
	{"get string (the default)", `return String(await kvs.get('r:s1'));`, "1767225600"},
	{"get format string", `return await kvs.get('greeting', {format: 'string'});`, "héllo"},
	{"get format json", `var v = await kvs.get('cfg', {format: 'json'}); return v.a + '|' + v.b.join(',');`, "1|x,y"},
	{"get format bytes", `var b = await kvs.get('greeting', {format: 'bytes'}); return b.length + '|' + b[1];`, "6|195"},
	{"get of a missing key rejects", `try { await kvs.get('r:none'); return 'resolved'; } catch (e) { return 'rejected|' + (e instanceof Error) + '|' + e.message; }`, "rejected|true|Key r:none not found"},
	{"get of a value that is not JSON as json rejects", `try { await kvs.get('greeting', {format: 'json'}); return 'resolved'; } catch (e) { return 'rejected'; }`, "rejected"},
	{"get with an unknown format rejects", `try { await kvs.get('greeting', {format: 'xml'}); return 'resolved'; } catch (e) { return 'rejected'; }`, "rejected"},
	{"exists", `return (await kvs.exists('r:s1')) + '|' + (await kvs.exists('r:none')) + '|' + typeof (await kvs.exists('cfg'));`, "true|false|boolean"},
	{"exists then get, as the edge check does", `var sid = 's1'; if (await kvs.exists('r:' + sid)) { return String(parseInt(await kvs.get('r:' + sid), 10) > 0); } return 'absent';`, "true"},
	{"meta", `var m = await kvs.meta(); return m.keyCount + '|' + m.creationDateTime + '|' + m.lastUpdatedDateTime;`, "3|2026-01-02T03:04:05.000Z|2026-02-03T04:05:06.000Z"},
	{"the promise is a Promise", `var p = kvs.exists('r:s1'); return String(p instanceof Promise) + '|' + (await p);`, "true|true"},
	{"cf.kvs(id) of the associated store", `return String(await cf.kvs('kvs-id-1').exists('r:s1'));`, "true"},
	{"cf.kvs(id) of another store throws", `try { cf.kvs('other'); return 'returned'; } catch (e) { return 'threw'; }`, "threw"},
}

func kvsCode(body string) string {
	return "import cf from 'cloudfront';\nasync function handler(event) {\n  var kvs = cf.kvs();\n  var out = await (async function () { " + body + " })();\n  return {statusCode: 200, body: String(out)};\n}"
}

func contractStore(t *testing.T) *KVS {
	t.Helper()
	data := map[string][]byte{"r:s1": []byte("1767225600"), "greeting": []byte("héllo"), "cfg": []byte(`{"a":1,"b":["x","y"]}`)}
	return NewKVSFrom("kvs-id-1", data, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC))
}

// engineRuns runs code with kvs in goja and, in the cross tier, in node.
func engineRuns(t *testing.T, code string, kvs *KVS) map[string]*Result {
	t.Helper()
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	out := map[string]*Result{"goja": compile(t, JS20, code).Run(testEvent(), Options{Now: now, KVS: kvs, Budget: hangGuard})}
	if testenv.CrossOn() {
		testenv.Node(t)
		n, err := StartNode([]byte(code), JS20)
		if err != nil {
			t.Fatal(err)
		}
		defer n.Close()
		if out["node"], err = n.RunKVS(testEvent(), now, kvs); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestKVSContract checks every cf.kvs() call the edge function makes
// against the documented contract, in goja and (cross tier) in node.
func TestKVSContract(t *testing.T) {
	for _, c := range kvsCases {
		t.Run(c.name, func(t *testing.T) {
			for engine, r := range engineRuns(t, kvsCode(c.body), contractStore(t)) {
				if r.Outcome != Respond || bodyOf(r) != c.want {
					t.Errorf("%s: %s %q, body %q; want %q", engine, r.Outcome, r.Error, bodyOf(r), c.want)
				}
			}
		})
	}
}

// TestKVSFailReads: a store that cannot be read rejects every read, and
// code that catches it decides; an uncaught rejection is a 503.
func TestKVSFailReads(t *testing.T) {
	cases := []kvsCase{
		{"exists rejects", `try { await kvs.exists('r:s1'); return 'resolved'; } catch (e) { return 'rejected|' + e.message; }`, "rejected|store unavailable"},
		{"get rejects", `try { await kvs.get('r:s1'); return 'resolved'; } catch (e) { return 'rejected|' + e.message; }`, "rejected|store unavailable"},
		{"meta rejects", `try { await kvs.meta(); return 'resolved'; } catch (e) { return 'rejected'; }`, "rejected"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			kvs := contractStore(t)
			kvs.FailReads(errors.New("store unavailable"))
			for engine, r := range engineRuns(t, kvsCode(c.body), kvs) {
				if r.Outcome != Respond || bodyOf(r) != c.want {
					t.Errorf("%s: %s %q, body %q; want %q", engine, r.Outcome, r.Error, bodyOf(r), c.want)
				}
			}
		})
	}
	t.Run("uncaught", func(t *testing.T) {
		kvs := contractStore(t)
		kvs.FailReads(errors.New("store unavailable"))
		for engine, r := range engineRuns(t, kvsCode(`return await kvs.exists('r:s1');`), kvs) {
			if r.Outcome != ExecutionError || r.Status != 503 || !strings.Contains(r.Error, "store unavailable") {
				t.Errorf("%s: %s %d %q; want a 503 execution error naming the failure", engine, r.Outcome, r.Status, r.Error)
			}
		}
	})
	t.Run("cleared", func(t *testing.T) {
		kvs := contractStore(t)
		kvs.FailReads(errors.New("store unavailable"))
		kvs.FailReads(nil)
		for engine, r := range engineRuns(t, kvsCode(`return await kvs.exists('r:s1');`), kvs) {
			if bodyOf(r) != "true" {
				t.Errorf("%s: %s %q, body %q; want true", engine, r.Outcome, r.Error, bodyOf(r))
			}
		}
	})
}

// TestKVSNone: cf.kvs() throws when no store is associated, in both
// engines.
func TestKVSNone(t *testing.T) {
	for engine, r := range engineRuns(t, kvsCode(`return 'ran';`), nil) {
		if r.Outcome != ExecutionError || !strings.Contains(r.Error, "no key value store") {
			t.Errorf("%s: %s %q; want an execution error: no key value store", engine, r.Outcome, r.Error)
		}
	}
}

// TestNodeAsyncNeverSettles: a handler whose promise never settles is an
// execution error in node, as in goja.
func TestNodeAsyncNeverSettles(t *testing.T) {
	code := "async function handler(event) { await new Promise(function () {}); return event.request; }"
	for engine, r := range engineRuns(t, code, nil) {
		if r.Outcome != ExecutionError || !strings.Contains(r.Error, "never settled") {
			t.Errorf("%s: %s %q; want an execution error: never settled", engine, r.Outcome, r.Error)
		}
	}
}

// BenchKVS times an async handler that reads the store, in node (the
// edge benchmark pairs runs with and without a store).
func TestNodeBenchKVS(t *testing.T) {
	testenv.Node(t)
	code := kvsCode(`return await kvs.exists('r:s1');`)
	n, err := StartNode([]byte(code), JS20)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	d, err := n.BenchKVS(testEvent(), time.Now(), 50, contractStore(t))
	if err != nil || d <= 0 {
		t.Fatalf("BenchKVS: %s, %v", d, err)
	}
	if r, err := n.RunKVS(testEvent(), time.Now(), contractStore(t)); err != nil || bodyOf(r) != "true" {
		t.Fatalf("a run after the bench: %v %+v", err, r)
	}
}

// TestNodeBenchPaired: BenchPaired runs the function and the baseline
// loaded beside it in one node, each with its own store: the function
// reads its store (an async handler, awaited), the baseline has none.
func TestNodeBenchPaired(t *testing.T) {
	testenv.Node(t)
	n, err := StartNode([]byte(kvsCode(`return await kvs.exists('r:s1');`)), JS20)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if err := n.LoadBaseline([]byte("function handler(event) { return event.request; }")); err != nil {
		t.Fatal(err)
	}
	base, self, err := n.BenchPaired(testEvent(), time.Now(), 50, nil, contractStore(t))
	if err != nil || base <= 0 || self <= 0 {
		t.Fatalf("BenchPaired: %s, %s, %v", base, self, err)
	}
	// The stores go to their own function: without its store, the
	// function's cf.kvs() throws and the pair fails.
	if _, _, err := n.BenchPaired(testEvent(), time.Now(), 50, contractStore(t), nil); err == nil || !strings.Contains(err.Error(), "no key value store") {
		t.Fatalf("BenchPaired with the store given to the baseline: %v; want the function's error: no key value store", err)
	}
	if r, err := n.RunKVS(testEvent(), time.Now(), contractStore(t)); err != nil || bodyOf(r) != "true" {
		t.Fatalf("a run after the pair: %v %+v", err, r)
	}
}
