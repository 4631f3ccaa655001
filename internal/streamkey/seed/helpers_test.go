package seed

import (
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

var t0 = time.Unix(1_767_225_600, 0) // 2026-01-01T00:00:00Z

// baseRequest is a segment request a minute after t0.
func baseRequest() streamkey.Request {
	return streamkey.Request{
		Now:       t0.Add(time.Minute),
		Path:      "/vod/movie-42/1080p/seg_00001.ts",
		Host:      "media.example.com",
		ClientIP:  "203.0.113.77",
		UserAgent: "AppleCoreMedia/1.0.0.21A5326a (iPhone; U; CPU OS 17_0 like Mac OS X; en_us)",
	}
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

// mint mints g with the seed key of r, failing t on an error.
func mint(t testing.TB, r *streamkey.Ring, g Grant) Key {
	t.Helper()
	k, err := Mint(r, g)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
