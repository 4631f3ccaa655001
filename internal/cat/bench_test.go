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
	tok := mint(b, r, "k1", baseClaims(), MintOptions{CWTTag: true})
	v := baseVerifier(r)
	req := baseRequest()
	b.ReportAllocs()
	for b.Loop() {
		if res := v.Verify(tok, req); res.Reason != OK {
			b.Fatal(res.Reason)
		}
	}
}

// BenchmarkCATVerifyForged measures the refusal of an altered token (bad
// MAC): the path an attacker controls; no claim is decoded on it.
func BenchmarkCATVerifyForged(b *testing.B) {
	r := testRing(b)
	tok := mint(b, r, "k1", baseClaims(), MintOptions{CWTTag: true})
	raw, _ := b64.DecodeString(tok)
	raw[len(raw)-1] ^= 1
	tok = b64.EncodeToString(raw)
	v := baseVerifier(r)
	req := baseRequest()
	b.ReportAllocs()
	for b.Loop() {
		if res := v.Verify(tok, req); res.Reason != BadMAC {
			b.Fatal(res.Reason)
		}
	}
}
