package edgefunc

import (
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/cfruntime"
	"github.com/securestream/terraform-provider-securestream/internal/issuance"
	"github.com/securestream/terraform-provider-securestream/internal/sharedref"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey/seed"
	"github.com/securestream/terraform-provider-securestream/internal/streamkeytest"
	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

// The per-request benchmarks run an honest segment request through the
// original function of the blog post (the baseline: one HMAC over
// re-serialised JSON, six console.log calls, a RegExp built per request)
// and through this project's function (token parsing, claims, the MAC over
// the transmitted bytes with the viewer's /24 and user agent, path
// canonicality, host), in the same engine and the same run.

type benchCase struct {
	name string
	code []byte
	rt   cfruntime.Runtime
	ev   *cfruntime.Event
	now  time.Time
}

func benchCases(b *testing.B) []benchCase {
	testenv.Shared(b)                    // the original function is the baseline
	v := streamkeytest.SeedVectors(b)[0] // the original issuer's first key
	host, _, _ := seed.URLHostPath(v.PlaybackURL)
	segment := "/transcoded-out/high/1080p/seg_00042.ts"
	now := time.Unix(v.IssuedAt+60, 0)
	seedCode, err := sharedref.SeedCloudFrontFunction(v.Secret)
	if err != nil {
		b.Fatal(err)
	}
	seedEv := newEvent("GET", segment, v.ClientIP, [][2]string{{"host", host}, {"user-agent", v.UserAgent},
		{"stream_key", v.StreamKey}, {"stream_policy", v.StreamPolicy}}, nil, nil)

	cfg := benchConfig(false)
	keys := cfg.Keys
	code, err := Render(cfg)
	if err != nil {
		b.Fatal(err)
	}
	ring, _ := streamkey.NewRing(streamkey.Key{ID: keys[0].ID, Secret: keys[0].Secret})
	tok, err := ring.Mint(keys[0].ID, streamkey.Grant{Expires: now.Add(time.Hour), NotBefore: now.Add(-time.Minute),
		Paths: []string{"/transcoded-out/high/*"}, Host: host, IPBinding: streamkey.IPSubnet, ClientIP: v.ClientIP,
		BindUserAgent: true, UserAgent: v.UserAgent, SessionID: "sess-42"})
	if err != nil {
		b.Fatal(err)
	}
	ourEv := newEvent("GET", segment, v.ClientIP, [][2]string{{"host", host}, {"user-agent", v.UserAgent}, {"x-stream-token", tok}}, nil, nil)
	return []benchCase{
		{"baseline_seed_function", []byte(seedCode), cfruntime.JS10, seedEv, now},
		{"securestream", code, cfruntime.JS20, ourEv, now},
	}
}

// benchConfig is the benchmarks' function: two keys as securestream_secret
// makes them (43 base64url characters), every channel, and a key value
// store when revocation is set.
func benchConfig(revocation bool) Config {
	cfg := Config{Keys: []Key{{ID: "k20261101T000000-a1b2", Secret: []byte("Tq0Xc3n9V2mQ7sK1pL5wR8yB4hD6fJ0gZ2aE9uC7iN3")},
		{ID: "k20261201T000000-c3d4", Secret: []byte("m4Hs8Qe1Wz6Ry3Tk0Vb5Nx9Pc2Lg7Jf4Ud1Ia8Ko6Ep")}}, Channels: issuance.DefaultChannels()}
	if revocation {
		cfg.Revocation = &Revocation{}
	}
	return cfg
}

// BenchmarkEdgeGoja: time per request in the local runtime (goja) of the
// original function (the baseline) and ours, paired (benchPairedGoja).
func BenchmarkEdgeGoja(b *testing.B) {
	cs := benchCases(b)
	var fs [2]pairedFunc
	for i, c := range cs {
		fs[i] = pairedFunc{name: c.name, code: c.code, rt: c.rt, ev: c.ev, opts: cfruntime.Options{Now: c.now}}
	}
	fs[0].mayLog = true // the original function logs six times a request
	benchPairedGoja(b, fs)
}

// pairedFunc is one of the two functions of a paired benchmark, with the
// request it is given and how it is run.
type pairedFunc struct {
	name string
	code []byte
	rt   cfruntime.Runtime
	ev   *cfruntime.Event
	opts cfruntime.Options
	// mayLog lets the function log on the honest request; a function of
	// this project must not.
	mayLog bool
}

// benchPairedGoja times fs[1] against fs[0], its baseline, in goja: the
// two run alternately in one loop, each timed on its own, so that both see
// the same machine (on a shared machine the speed drifts by a fifth within
// seconds, which separate benchmarks would turn into their ratio). It
// reports each one's time and allocations per request, and the ratio
// (x-baseline), under the metric names .ci/benchratio.awk reads.
func benchPairedGoja(b *testing.B, fs [2]pairedFunc) {
	b.Helper()
	var compiled [2]*cfruntime.Function
	var allocs [2]float64
	for i, pf := range fs {
		f, err := cfruntime.Compile(pf.name, pf.code, pf.rt)
		if err != nil {
			b.Fatal(err)
		}
		if r := f.Run(pf.ev, pf.opts); r.Outcome != cfruntime.Continue || (!pf.mayLog && len(r.Logs) != 0) {
			b.Fatalf("%s refused an honest request or logged: %s %s %q", pf.name, verdict(r), r.Error, r.Logs)
		}
		compiled[i] = f
		allocs[i] = testing.AllocsPerRun(50, func() { f.Run(pf.ev, pf.opts) })
	}
	var spent [2]time.Duration
	n := 0
	for b.Loop() {
		first := n & 1 // alternate which runs first
		n++
		for _, i := range [2]int{first, 1 - first} {
			start := time.Now()
			r := compiled[i].Run(fs[i].ev, fs[i].opts)
			spent[i] += time.Since(start)
			if r.Outcome != cfruntime.Continue {
				b.Fatalf("%s refused an honest request: %s %s", fs[i].name, verdict(r), r.Error)
			}
		}
	}
	b.ReportMetric(float64(spent[0].Nanoseconds())/float64(n), "baseline-ns/op")
	b.ReportMetric(float64(spent[1].Nanoseconds())/float64(n), "ns/op")
	b.ReportMetric(allocs[0], "baseline-allocs/op")
	b.ReportMetric(allocs[1], "self-allocs/op") // "allocs/op" is the testing package's own
	b.ReportMetric(float64(spent[1])/float64(spent[0]), "x-baseline")
}

// benchPairedNode times self against baseline in node (V8), both given ev
// (self with the store kvs, nil for none), paired in one loop inside node
// (Node.BenchPaired; an async function is awaited every time). It reports
// the metrics benchPairedGoja does but allocations, which node does not
// count.
func benchPairedNode(b *testing.B, name string, baseline, self []byte, ev *cfruntime.Event, now time.Time, kvs *cfruntime.KVS) {
	b.Helper()
	n, err := cfruntime.StartNode(self, cfruntime.JS20)
	if err != nil {
		b.Fatal(err)
	}
	defer n.Close()
	if err := n.LoadBaseline(baseline); err != nil {
		b.Fatal(err)
	}
	if r, err := n.RunKVS(ev, now, kvs); err != nil || r.Outcome != cfruntime.Continue || len(r.Logs) != 0 {
		b.Fatalf("%s refused an honest request in node or logged: %v %+v", name, err, r)
	}
	base, spent, err := n.BenchPaired(ev, now, b.N, nil, kvs)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(base.Nanoseconds()), "baseline-ns/op")
	b.ReportMetric(float64(spent.Nanoseconds()), "ns/op")
	b.ReportMetric(float64(spent)/float64(base), "x-baseline")
}

// The request of the paired benchmarks of this project's functions: an
// honest segment request from a player.
const (
	benchHost    = "media.example.com"
	benchIP      = "203.0.113.9"
	benchUA      = "AppleCoreMedia/1.0.0.21A5326a (iPhone; U; CPU OS 17_0 like Mac OS X; en_us)"
	benchSegment = "/transcoded-out/high/1080p/seg_00042.ts"
)

// benchToken is an ss1 token for the benchmark request under cfg's first
// key, minted as in benchCases: every binding on, a session id.
func benchToken(b testing.TB, cfg Config, now time.Time) string {
	b.Helper()
	k := cfg.Keys[0]
	ring, err := streamkey.NewRing(streamkey.Key{ID: k.ID, Secret: k.Secret})
	if err != nil {
		b.Fatal(err)
	}
	tok, err := ring.Mint(k.ID, streamkey.Grant{Expires: now.Add(time.Hour), NotBefore: now.Add(-time.Minute),
		Paths: []string{"/transcoded-out/high/*"}, Host: benchHost, IPBinding: streamkey.IPSubnet, ClientIP: benchIP,
		BindUserAgent: true, UserAgent: benchUA, SessionID: "sess-42"})
	if err != nil {
		b.Fatal(err)
	}
	return tok
}

// BenchmarkEdgeNode: time per request in node (V8), measured inside node
// over b.N invocations (the event is parsed and the result serialised each
// time, as at the edge).
func BenchmarkEdgeNode(b *testing.B) {
	testenv.Node(b)
	for _, c := range benchCases(b) {
		n, err := cfruntime.StartNode(c.code, c.rt)
		if err != nil {
			b.Fatal(err)
		}
		if r, err := n.Run(c.ev, c.now); err != nil || r.Outcome != cfruntime.Continue {
			b.Fatalf("%s refused an honest request in node: %v %v", c.name, err, r)
		}
		b.Run(c.name, func(b *testing.B) {
			perOp, err := n.Bench(c.ev, c.now, b.N)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(perOp.Nanoseconds()), "ns/op")
		})
		n.Close()
	}
}
