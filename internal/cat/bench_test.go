package cat

import "testing"

// The benchmarks use the realistic segment grant of baseClaims (every
// implemented claim but catr and crit), HS256, with the CWT tag. They are
// named CAT...: make bench's summary keys benchmarks by name, and
// streamkey's have the plain names.

func BenchmarkCATMint(b *testing.B) {
	r := testRing(b)
	c := baseClaims()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Mint("k1", c, MintOptions{CWTTag: true}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCATVerify(b *testing.B) {
	r := testRing(b)
	benchVerify(b, r, mint(b, r, "k1", baseClaims(), MintOptions{CWTTag: true}), OK)
}

// BenchmarkCATVerifyForged measures the refusal of an altered token (bad
// MAC): the path an attacker controls; no claim is decoded on it.
func BenchmarkCATVerifyForged(b *testing.B) {
	r := testRing(b)
	raw := mustB64(b, mint(b, r, "k1", baseClaims(), MintOptions{CWTTag: true}))
	raw[len(raw)-1] ^= 1
	benchVerify(b, r, b64.EncodeToString(raw), BadMAC)
}

// benchVerify measures the verification of tok for baseRequest, which
// must give want.
func benchVerify(b *testing.B, r *Ring, tok string, want Reason) {
	b.Helper()
	v := baseVerifier(r)
	req := baseRequest()
	b.ReportAllocs()
	for b.Loop() {
		if res := v.Verify(tok, req); res.Reason != want {
			b.Fatal(res.Reason)
		}
	}
}
