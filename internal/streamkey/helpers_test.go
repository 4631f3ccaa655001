package streamkey

import (
	"bytes"
	"os/exec"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/reporoot"
	"github.com/securestream/terraform-provider-securestream/internal/sharedref"
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

// runNode runs a JavaScript program with node, feeding it stdin, and
// returns its stdout. node is required: a missing node fails the test.
func runNode(t testing.TB, program string, stdin []byte) []byte {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed; these tests cross-check Go against JavaScript. " +
			"Install Node.js 20: apt-get install -y nodejs")
	}
	cmd := exec.Command(node, "-e", program)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node failed: %v\n%s", err, stderr.String())
	}
	return out
}

type seedVector = sharedref.SeedVector

func loadSeedVectors(t testing.TB) []seedVector {
	t.Helper()
	vs, err := sharedref.SeedVectors()
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

// requestPath is the path part of a URL, as CloudFront would put it in
// event.request.uri for a request to that URL.
func requestPath(t testing.TB, rawURL string) string {
	t.Helper()
	_, p, err := URLHostPath(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	return p
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
