package issuer

import (
	"context"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

// BenchmarkHandle measures a warm invocation of the handler on a recorded
// REST event: parsing, checks, minting, the response and the log line.
// The baseline is minting alone, the part the format itself costs.
func BenchmarkHandle(b *testing.B) {
	is, logs := newIssuer(b, baseEnv(b))
	ev := readEvent(b, "rest_v1_post.json")
	b.Run("baseline_mint_only", func(b *testing.B) {
		g := streamkey.Grant{Expires: t0.Add(time.Hour), NotBefore: t0, Paths: []string{"/vod/movie-42/*"}, Host: "media.example.com",
			IPBinding: streamkey.IPSubnet, ClientIP: "198.51.100.23", BindUserAgent: true, UserAgent: "ExoPlayerLib/2.19.1", SessionID: "abcdefghijklmnop"}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := is.ring.Mint("k2025", g); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("rest_v1_event", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			logs.Reset()
			if res, err := is.Handle(context.Background(), ev); err != nil || res.StatusCode != 200 {
				b.Fatal(err, res)
			}
		}
	})
}
