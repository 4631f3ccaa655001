// Package streamkeytest holds the stream-key fixtures the tests of several
// packages share: the test ring and its secrets, and the seed-format
// vectors. streamkey's own (internal) tests cannot import it, since it
// imports streamkey; they keep a ring of their own.
package streamkeytest

import (
	"bytes"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/sharedref"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

// SeedSecret is the seed key of the original blog post's vectors
// (sharedref.SeedVectors): keys minted with it can be compared with them.
const SeedSecret = "k3y-for-tests-0123456789abcdef0123456789"

// Secret returns a deterministic secret of n bytes for key id.
func Secret(id string, n int) []byte {
	return bytes.Repeat([]byte(id+"-secret-"), n/len(id+"-secret-")+1)[:n]
}

// Ring is a ring of two ss1 keys and no seed key: k2025a (32 bytes) and
// k2025b (64 bytes, the newer).
func Ring(t testing.TB) *streamkey.Ring {
	t.Helper()
	r, err := streamkey.NewRing(
		streamkey.Key{ID: "k2025a", Secret: Secret("k2025a", 32), Created: time.Unix(1_700_000_000, 0)},
		streamkey.Key{ID: "k2025b", Secret: Secret("k2025b", 64), Created: time.Unix(1_710_000_000, 0)},
	)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// SeedVectors are the seed format's compatibility vectors (the committed
// copy of the original's).
func SeedVectors(t testing.TB) []sharedref.SeedVector {
	t.Helper()
	vs, err := sharedref.SeedVectors()
	if err != nil {
		t.Fatal(err)
	}
	return vs
}
