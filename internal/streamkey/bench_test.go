package streamkey

import (
	"crypto/hmac"
	"crypto/sha256"
	"testing"
)

// The benchmarks use a realistic segment token: two path patterns, host,
// IPv4 /24 and user-agent bindings, a session id. BenchmarkBaselineHMAC is
// the yardstick: one HMAC-SHA256 over the same signed message (the
// message of T3: the transmitted text, the bound /24 and the user agent),
// keyed afresh with hmac.New each time, as a naive verifier would.

func benchFixture(b *testing.B) (*Ring, string, Request) {
	r := testRing(b)
	g := baseGrant()
	g.Data = ""
	tok, err := r.Mint("k2025a", g)
	if err != nil {
		b.Fatal(err)
	}
	return r, tok, baseRequest()
}

func BenchmarkBaselineHMAC(b *testing.B) {
	r, tok, _ := benchFixture(b)
	key := r.lookup("k2025a").Secret
	g := baseGrant()
	msg := []byte(tok[:len(tok)-macLen-1] + "\n203.0.113.0/24\n" + g.UserAgent)
	b.ReportAllocs()
	for b.Loop() {
		m := hmac.New(sha256.New, key)
		m.Write(msg)
		m.Sum(nil)
	}
}

func BenchmarkMint(b *testing.B) {
	r, _, _ := benchFixture(b)
	g := baseGrant()
	g.Data = ""
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Mint("k2025a", g); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	r, tok, req := benchFixture(b)
	v := &Verifier{Ring: r}
	b.ReportAllocs()
	for b.Loop() {
		if res := v.Verify(tok, req); res.Reason != OK {
			b.Fatal(res.Reason)
		}
	}
}

// BenchmarkVerifyForged measures the refusal of a token whose claims were
// altered, the slowest path and the one an attacker controls.
func BenchmarkVerifyForged(b *testing.B) {
	r, tok, req := benchFixture(b)
	tok = editClaims(tok, "e=1767229200", "e=1767232800")
	v := &Verifier{Ring: r}
	b.ReportAllocs()
	for b.Loop() {
		if res := v.Verify(tok, req); res.Reason != BadMAC {
			b.Fatal(res.Reason)
		}
	}
}
