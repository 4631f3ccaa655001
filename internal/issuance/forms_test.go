package issuance

import (
	"strings"
	"testing"
	"time"
)

// H3: the cookie form is SameSite=Lax unless the policy says otherwise
// (MakeForms, as the provider's test keys use it, and MintKey), and it is
// always Secure and HttpOnly: browsers drop a None cookie without Secure.
func TestCookieFormSameSite(t *testing.T) {
	if c := MakeForms("ss1.tok", "https", "media.example.com", "/vod/a/index.m3u8", time.Hour, DefaultChannels()).Cookie; c !=
		"stream_token=ss1.tok; Path=/; Max-Age=3600; Secure; HttpOnly; SameSite=Lax" {
		t.Errorf("MakeForms: %q", c)
	}
	ring := testRing(t)
	pb, rf := CheckPlaybackURL("https://media.example.com/vod/a/index.m3u8", URLRules{Schemes: []string{"https"}, Prefixes: []string{"/"}})
	if rf != nil {
		t.Fatal(rf)
	}
	for mode, want := range map[string]string{"": "SameSite=Lax", "lax": "SameSite=Lax", "strict": "SameSite=Strict", "none": "SameSite=None"} {
		k, err := MintKey(ring, Policy{PatternMode: PatternDirectory, Channels: DefaultChannels(), CookieSameSite: mode}, pb,
			Subject{NotBefore: t0, TTL: time.Minute}, strings.NewReader(strings.Repeat("r", 64)))
		if err != nil {
			t.Fatal(err)
		}
		if c := k.Forms.Cookie; !strings.HasSuffix(c, "; Secure; HttpOnly; "+want) {
			t.Errorf("%q: %q, want ...; Secure; HttpOnly; %s", mode, c, want)
		}
	}
}
