package streamkey

import (
	"bytes"
	"testing"
	"time"
)

// testSecret returns a deterministic secret of n bytes for key id.
func testSecret(id string, n int) []byte {
	return bytes.Repeat([]byte(id+"-secret-"), n/len(id+"-secret-")+1)[:n]
}

func testRing(t testing.TB) *Ring {
	t.Helper()
	r, err := NewRing(
		Key{ID: "k2025a", Secret: testSecret("k2025a", 32), Created: time.Unix(1_700_000_000, 0)},
		Key{ID: "k2025b", Secret: testSecret("k2025b", 64), Created: time.Unix(1_710_000_000, 0)},
	)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}
