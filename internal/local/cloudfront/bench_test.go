package cloudfront

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/cfruntime"
)

// BenchmarkEdgeLoad drives the edge over loopback, with the load
// generator in the same process, and reports requests per second:
//
//	with_function: an honest segment request through the rendered
//	    securestream function to the origin (the edge's whole path);
//	no_function: the same request through a behavior without a function
//	    (edge and origin);
//	function_only: the function alone, in the runtime, on the same event.
//
// The per-request CPU split is with_function's ns/op against the other
// two. The load target is 2,000 requests/s for 60 s without an
// error; about a minute, bounded by the count, on 2 cores:
//
//	go test -run '^$' -bench 'EdgeLoad/with_function' -benchtime 300000x ./internal/local/cloudfront
func BenchmarkEdgeLoad(b *testing.B) {
	st := startStack(b, Config{})
	tok := st.token(b)
	st.origin.light.Store(true)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}}

	load := func(b *testing.B, path string, header http.Header) {
		b.ReportAllocs()
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				req, _ := http.NewRequest("GET", st.edge+path, nil)
				req.Header = header.Clone()
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
	}
	header := http.Header{"X-Stream-Token": {tok}, "User-Agent": {"bench-player/1.0"}}
	b.Run("with_function", func(b *testing.B) { load(b, "/media/1080p/seg_00042.ts", header) })
	b.Run("no_function", func(b *testing.B) { load(b, "/posters/seg_00042.ts", header) })
	b.Run("function_only", func(b *testing.B) {
		s := st.s
		s.mu.RLock()
		live := s.functions["securestream"].Live
		s.mu.RUnlock()
		fn, err := live.compile("securestream")
		if err != nil {
			b.Fatal(err)
		}
		req := httptest.NewRequest("GET", "/media/1080p/seg_00042.ts", nil)
		req.Header = header.Clone()
		ev := cfruntime.NewEvent(req, "127.0.0.1", cfruntime.EventOptions{DistributionID: st.id})
		b.ReportAllocs()
		for b.Loop() {
			if r := fn.Run(ev, cfruntime.Options{}); r.Outcome != cfruntime.Continue {
				b.Fatalf("%v: %s", r.Outcome, r.Error)
			}
		}
	})
}
