package issuance

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

var t0 = time.Unix(1_767_225_600, 0).UTC()

// testRing is the issuer tests' ring: an old key, the newest key (five
// minutes old) and the seed key.
func testRing(t testing.TB) *streamkey.Ring {
	t.Helper()
	ring, err := streamkey.NewRing(
		streamkey.Key{ID: "k2025", Secret: []byte("an-old-key-of-at-least-32-bytes!!!!"), Created: t0.Add(-30 * 24 * time.Hour)},
		streamkey.Key{ID: "k2026", Secret: []byte("the-newest-key-of-at-least-32-bytes!"), Created: t0.Add(-5 * time.Minute)},
		streamkey.Key{ID: "legacy", Secret: []byte("k3y-for-tests-0123456789abcdef0123456789"), Created: t0.Add(-365 * 24 * time.Hour), Seed: true},
	)
	if err != nil {
		t.Fatal(err)
	}
	return ring
}

// The provider's test keys go through MintKey, which applies the same
// rule: it cannot mint a key wider than the prefix it was given.
func TestMintKeyRefusesWiderPattern(t *testing.T) {
	ring := testRing(t)
	s := Subject{ClientIP: "198.51.100.23", UserAgent: "x", NotBefore: t0, TTL: time.Hour}
	pb, rf := CheckPlaybackURL("https://media.example.com/vod/movie-42/index.m3u8", URLRules{Schemes: []string{"https"}, Prefixes: []string{"/vod/movie-42/index.m3u8"}})
	if rf != nil {
		t.Fatal(rf)
	}
	_, err := MintKey(ring, Policy{PatternMode: PatternDirectory}, pb, s, strings.NewReader(strings.Repeat("r", 64)))
	var refusal *Refusal
	if !errors.As(err, &refusal) || refusal.Status != 403 || refusal.Reason != ReasonPatternTooWide {
		t.Errorf("directory mode under a file prefix: %v", err)
	}
	s.Entitled = []string{"/vod/movie-42/"}
	pb.Prefix = "/"
	k, err := MintKey(ring, Policy{PatternMode: PatternPrefix}, pb, s, strings.NewReader(strings.Repeat("r", 64)))
	if err != nil || k.Pattern != "/vod/movie-42/*" {
		t.Errorf("prefix mode with an entitlement: %v %+v", err, k)
	}
	if _, rf := CheckPlaybackURL("https://media.example.com/vod/free.m3u8", URLRules{Schemes: []string{"https"}, Prefixes: []string{"/vod/free"}}); rf == nil || rf.Status != 403 {
		t.Errorf("a string-prefix match on an allowed prefix: %v", rf)
	}
}
