package seed

import (
	"testing"

	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
	"github.com/securestream/terraform-provider-securestream/internal/streamkeytest"
)

// BenchmarkVerifySeed verifies a key of the original issuer; make bench
// compares it with streamkey's BenchmarkBaselineHMAC.
func BenchmarkVerifySeed(b *testing.B) {
	vs := streamkeytest.SeedVectors(b)
	v := vs[0]
	ver := &streamkey.Verifier{Ring: seedRing(b, v.Secret)}
	req := seedRequest(b, v)
	b.ReportAllocs()
	for b.Loop() {
		if res := Verify(ver, v.StreamKey, v.StreamPolicy, req); res.Reason != streamkey.OK {
			b.Fatal(res.Reason)
		}
	}
}
