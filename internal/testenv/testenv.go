// Package testenv says which tiers of the project's tests run, and finds
// the tools a tier needs (as the Go standard library's internal/testenv
// does for its own tests).
//
// The tiers:
//
//   - Unit tests always run and need Go alone: AWS is an httptest fake,
//     JavaScript runs in the project's goja runtime.
//   - Cross-implementation tests run with SECURESTREAM_CROSS=1: the same
//     checks against node, AWS's Lambda runtime emulator (aws-lambda-rie),
//     moto_server, and the original blog post's code in ../shared.
//   - Acceptance tests run with TF_ACC=1: the provider under Terraform,
//     against moto_server (or LocalStack or AWS).
//
// `make test` switches every tier on. Once a tier is on, a tool it needs
// that is missing fails the test with the command that installs it; it is
// never skipped quietly. The one exception is ../shared, which sits beside
// the checkout on developer machines and in CI but not beside a user's
// clone: a test that needs it is skipped there, and `make test` says in
// one line what was not compared and why (see Shared).
package testenv

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/securestream/terraform-provider-securestream/internal/local/emulators"
	"github.com/securestream/terraform-provider-securestream/internal/reporoot"
	"github.com/securestream/terraform-provider-securestream/internal/sharedref"
)

// CrossVar switches the cross-implementation tier on.
const CrossVar = "SECURESTREAM_CROSS"

// CrossOn reports whether the cross-implementation tier runs.
func CrossOn() bool { return os.Getenv(CrossVar) != "" && os.Getenv(CrossVar) != "0" }

// Cross skips t unless the cross-implementation tier is on.
func Cross(t testing.TB) {
	t.Helper()
	if !CrossOn() {
		t.Skipf("cross-implementation test (node, aws-lambda-rie, moto_server, ../shared): set %s=1 to run it; make test does", CrossVar)
	}
}

// Acceptance skips t unless the acceptance tier is on (TF_ACC, as
// terraform-plugin-testing names it).
func Acceptance(t testing.TB) {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test (Terraform and moto_server): set TF_ACC=1 to run it; make test and make testacc do")
	}
}

// RepoRoot returns the root of the checkout (reporoot.Find), for a test
// that reads the repository's files, and fails t outside a checkout.
func RepoRoot(t testing.TB) string {
	t.Helper()
	root, err := reporoot.Find()
	if err != nil {
		t.Fatalf("this test reads the repository's files: %v", err)
	}
	return root
}

// ReadJSON decodes the JSON file at path into v, failing t, with the
// path, when it cannot.
func ReadJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// Install commands of the tools the tiers use.
const (
	NodeInstall = "apt-get install -y nodejs   (Node.js 20 or later)"
	MotoInstall = emulators.MotoInstall // its home is where moto_server is started
)

// Node returns the path of node. It skips t unless the cross tier is on,
// and fails it, naming the install command, when node is missing.
func Node(t testing.TB) string {
	t.Helper()
	Cross(t)
	p, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not installed, and this cross-implementation test runs the edge function in it: %s", NodeInstall)
	}
	return p
}

// RunNode runs node with args, feeding it stdin, and returns what it
// wrote to stdout; it skips or fails t as Node does, and fails t with
// node's stderr when node fails.
func RunNode(t testing.TB, stdin []byte, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(Node(t), args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// Shared checks that the shared material (the original blog post, the
// seed-format vectors) is there, for a test of the cross tier that needs
// it. Where ../shared is simply absent, as beside a user's clone, the test
// is skipped, saying so; `make test` then prints one line for all of them
// (go run ./internal/sharedref/cmd/sharedcheck), since go test shows no
// skip message of a package that passes. Shared material that is there
// but incomplete, or a SECURESTREAM_SHARED that points nowhere, fails t.
func Shared(t testing.TB) {
	t.Helper()
	Cross(t)
	if err := sharedref.Absent(); err != nil {
		if errors.Is(err, sharedref.ErrAbsent) {
			t.Skipf("not compared: %v", err)
		}
		t.Fatal(err)
	}
	if _, err := sharedref.Path("reference/seed-blog-post.txt"); err != nil {
		t.Fatal(err)
	}
}
