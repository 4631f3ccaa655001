package edgefunc

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/cfruntime"
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
	now = time.Unix(1_767_225_600, 0)
	ev = newEvent("GET", benchSegment, benchIP, [][2]string{{"host", benchHost}, {"user-agent", benchUA}, {"x-stream-token", benchToken(b, cfg, now)}}, nil, nil)
	kvs = cfruntime.NewKVS()
	for i := 0; i < 1000; i++ {
		if err := kvs.Put(RevocationKey(fmt.Sprintf("sess-%d-other", i)), []byte(strconv.FormatInt(now.Unix()+3600, 10))); err != nil {
			b.Fatal(err)
		}
	}
	return ev, now, without, with, kvs
}

// BenchmarkRevocationGoja: time per request in the local runtime (goja)
// with a store associated, paired (benchPairedGoja) with the same request
// through the function without a store (x-baseline is the ratio; the
// issue allows 1.25).
func BenchmarkRevocationGoja(b *testing.B) {
	ev, now, without, with, kvs := revocationBench(b)
	benchPairedGoja(b, [2]pairedFunc{
		{name: "the function without a store", code: without, rt: cfruntime.JS20, ev: ev, opts: cfruntime.Options{Now: now}},
		{name: "the function with a store", code: with, rt: cfruntime.JS20, ev: ev, opts: cfruntime.Options{Now: now, KVS: kvs}},
	})
}

// BenchmarkRevocationNode: the same two in node (V8), paired in one loop
// inside node (benchPairedNode).
func BenchmarkRevocationNode(b *testing.B) {
	testenv.Node(b)
	ev, now, without, with, kvs := revocationBench(b)
	benchPairedNode(b, "the function with a store", without, with, ev, now, kvs)
}
