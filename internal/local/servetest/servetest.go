// Package servetest runs a server for the length of a test. It imports
// none of the local stand-ins, so that their own tests can share it with
// localtest, which they cannot import (localtest imports them).
package servetest

import (
	"io"
	"testing"
)

// Listen fails the test when newErr (what the server's constructor
// returned with s) or listen(s) fails, and closes s when the test ends.
func Listen[S io.Closer](t testing.TB, s S, newErr error, listen func(S) error) S {
	t.Helper()
	if newErr != nil {
		t.Fatal(newErr)
	}
	if err := listen(s); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
