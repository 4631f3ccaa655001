package cat_test

import (
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/cat"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

// The Go cost of a CAT beside ss1 (BENCHMARKS.md): both minted from one
// grant, as the issuer mints them (cat.GrantClaims), and verified for one
// request. Each pair is a benchmark with a "baseline" sub-benchmark, so
// .ci/benchratio.awk prints the CAT's time as a ratio to ss1's.

// formatsGrant is a segment grant both formats express: a path prefix,
// the host, the client's /24 and a session id.
func formatsGrant(now time.Time) streamkey.Grant {
	return streamkey.Grant{
		Expires:   now.Add(10 * time.Minute),
		NotBefore: now.Add(-time.Minute),
		Paths:     []string{"/vod/movie-42/*"},
		Host:      "media.example.com",
		IPBinding: streamkey.IPSubnet,
		ClientIP:  "203.0.113.7",
		SessionID: "sess-0123456789abcdef",
	}
}

// formatsRings are one key, as the issuer holds it for both formats.
func formatsRings(b *testing.B) (*streamkey.Ring, *cat.Ring) {
	b.Helper()
	secret := []byte("0123456789abcdef0123456789abcdef")
	sr, err := streamkey.NewRing(streamkey.Key{ID: "k1", Secret: secret})
	if err != nil {
		b.Fatal(err)
	}
	cr, err := cat.RingFromStreamkey(sr)
	if err != nil {
		b.Fatal(err)
	}
	return sr, cr
}

func BenchmarkFormatsMint(b *testing.B) {
	sr, cr := formatsRings(b)
	now := time.Now()
	g := formatsGrant(now)
	b.Run("baseline_ss1", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := sr.Mint("k1", g); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cat", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			// GrantClaims is part of the issuer's work for a CAT.
			c, err := cat.GrantClaims(g, now)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := cr.Mint("k1", c, cat.MintOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkFormatsVerify(b *testing.B) {
	sr, cr := formatsRings(b)
	now := time.Now()
	g := formatsGrant(now)
	ss1, err := sr.Mint("k1", g)
	if err != nil {
		b.Fatal(err)
	}
	c, err := cat.GrantClaims(g, now)
	if err != nil {
		b.Fatal(err)
	}
	tok, err := cr.Mint("k1", c, cat.MintOptions{})
	if err != nil {
		b.Fatal(err)
	}
	const path, host, ip = "/vod/movie-42/seg-001.ts", "media.example.com", "203.0.113.7"
	b.Run("baseline_ss1", func(b *testing.B) {
		v := &streamkey.Verifier{Ring: sr}
		req := streamkey.Request{Now: now, Path: path, Host: host, ClientIP: ip}
		b.ReportAllocs()
		for b.Loop() {
			if res := v.Verify(ss1, req); !res.OK() {
				b.Fatal(res.Err())
			}
		}
	})
	b.Run("cat", func(b *testing.B) {
		v := &cat.Verifier{Ring: cr}
		req := cat.Request{Now: now, Scheme: "https", Host: host, Path: path, Method: "GET", ClientIP: ip}
		b.ReportAllocs()
		for b.Loop() {
			if res := v.Verify(tok, req); !res.OK() {
				b.Fatal(res.Err())
			}
		}
	})
}
