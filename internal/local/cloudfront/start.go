package cloudfront

import (
	"testing"
)

// Start runs a local CloudFront with cfg on free loopback ports for the
// rest of the test: Endpoint is the SDK's BaseEndpoint, EdgeURL(id) a
// distribution's edge.
func Start(t testing.TB, cfg Config) *Server {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Listen("127.0.0.1:0", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
