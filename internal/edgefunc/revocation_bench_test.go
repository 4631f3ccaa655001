package edgefunc

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/cfruntime"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

// revocationBench is the cost of the revocation check on an honest
// segment request whose key has a session id, minted as in benchCases
// (every binding on): the function without a store (the baseline), and
// the function with a store of 1,000 revocations of other sessions, which
// looks the session up (exists(), false: the common case) before letting
// the request through. It needs nothing outside the repository, so the
// goja benchmark runs in every tier.
func revocationBench(b *testing.B) (ev *cfruntime.Event, now time.Time, without, with []byte, kvs *cfruntime.KVS) {
	cfg := benchConfig(false)
	without, err := Render(cfg)
	if err != nil {
		b.Fatal(err)
	}
	if with, err = Render(benchConfig(true)); err != nil {
		b.Fatal(err)
	}
	const host, ip, ua = "media.example.com", "203.0.113.9", "AppleCoreMedia/1.0.0.21A5326a (iPhone; U; CPU OS 17_0 like Mac OS X; en_us)"
	now = time.Unix(1_767_225_600, 0)
	ring, err := streamkey.NewRing(streamkey.Key{ID: cfg.Keys[0].ID, Secret: cfg.Keys[0].Secret})
	if err != nil {
		b.Fatal(err)
	}
	tok, err := ring.Mint(cfg.Keys[0].ID, streamkey.Grant{Expires: now.Add(time.Hour), NotBefore: now.Add(-time.Minute),
		Paths: []string{"/transcoded-out/high/*"}, Host: host, IPBinding: streamkey.IPSubnet, ClientIP: ip,
		BindUserAgent: true, UserAgent: ua, SessionID: "sess-42"})
	if err != nil {
		b.Fatal(err)
	}
	ev = newEvent("GET", "/transcoded-out/high/1080p/seg_00042.ts", ip, [][2]string{{"host", host}, {"user-agent", ua}, {"x-stream-token", tok}}, nil, nil)
	kvs = cfruntime.NewKVS()
	for i := 0; i < 1000; i++ {
		if err := kvs.Put(RevocationKey(fmt.Sprintf("sess-%d-other", i)), []byte(strconv.FormatInt(now.Unix()+3600, 10))); err != nil {
			b.Fatal(err)
		}
	}
	return ev, now, without, with, kvs
}

// BenchmarkRevocationGoja: time per request in the local runtime (goja)
// with a store associated, paired in one loop with the same request
// through the function without a store (x-baseline is the ratio; the
// issue allows 1.25), as BenchmarkEdgeGoja pairs the function with the
// original one.
func BenchmarkRevocationGoja(b *testing.B) {
	ev, now, without, with, kvs := revocationBench(b)
	var fs [2]*cfruntime.Function
	opts := [2]cfruntime.Options{{Now: now}, {Now: now, KVS: kvs}}
	var allocs [2]float64
	for i, code := range [2][]byte{without, with} {
		f, err := cfruntime.Compile("securestream", code, cfruntime.JS20)
		if err != nil {
			b.Fatal(err)
		}
		if r := f.Run(ev, opts[i]); r.Outcome != cfruntime.Continue || len(r.Logs) != 0 {
			b.Fatalf("function %d refused an honest request or logged: %s %s %q", i, verdict(r), r.Error, r.Logs)
		}
		fs[i] = f
		allocs[i] = testing.AllocsPerRun(50, func() { f.Run(ev, opts[i]) })
	}
	var spent [2]time.Duration
	n := 0
	for b.Loop() {
		first := n & 1 // alternate which runs first
		n++
		for _, i := range [2]int{first, 1 - first} {
			start := time.Now()
			r := fs[i].Run(ev, opts[i])
			spent[i] += time.Since(start)
			if r.Outcome != cfruntime.Continue {
				b.Fatalf("function %d refused an honest request: %s %s", i, verdict(r), r.Error)
			}
		}
	}
	b.ReportMetric(float64(spent[0].Nanoseconds())/float64(n), "baseline-ns/op")
	b.ReportMetric(float64(spent[1].Nanoseconds())/float64(n), "ns/op")
	b.ReportMetric(allocs[0], "baseline-allocs/op")
	b.ReportMetric(allocs[1], "self-allocs/op")
	b.ReportMetric(float64(spent[1])/float64(spent[0]), "x-baseline")
}

// BenchmarkRevocationNode: the same two in node (V8), paired in one loop
// inside node as BenchmarkRevocationGoja pairs them (Node.BenchPaired);
// the function with a store is async, and every invocation of it is
// awaited.
func BenchmarkRevocationNode(b *testing.B) {
	testenv.Node(b)
	ev, now, without, with, kvs := revocationBench(b)
	n, err := cfruntime.StartNode(with, cfruntime.JS20)
	if err != nil {
		b.Fatal(err)
	}
	defer n.Close()
	if err := n.LoadBaseline(without); err != nil {
		b.Fatal(err)
	}
	if r, err := n.RunKVS(ev, now, kvs); err != nil || r.Outcome != cfruntime.Continue || len(r.Logs) != 0 {
		b.Fatalf("the function with a store refused an honest request in node or logged: %v %+v", err, r)
	}
	// One call runs the whole loop inside node, the two alternating b.N
	// times.
	base, self, err := n.BenchPaired(ev, now, b.N, nil, kvs)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(base.Nanoseconds()), "baseline-ns/op")
	b.ReportMetric(float64(self.Nanoseconds()), "ns/op")
	b.ReportMetric(float64(self)/float64(base), "x-baseline")
}
