package streamkey

import (
	"bytes"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/reporoot"
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

// repoRoot finds the directory holding go.mod.
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := reporoot.Find()
	if err != nil {
		t.Fatal(err)
	}
	return root
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
