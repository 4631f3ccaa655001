package streamkey

import (
	"testing"
	"time"
)

func TestSafePath(t *testing.T) {
	safe := []string{
		"/", "/a", "/a/", "/vod/movie-42/index.m3u8", "/a/b.c/d..e/...", "/a/.hidden", "/a/..x", "/%C3%BC/%c3%bc",
		"/a;b=c/d", "/a/%2e%2e%2e", "/a/.%2e.", "/~user/a_b-c+d!$&'()*,=:@", "/%25/%41",
		"/%E2%82%AC", "/%F0%9F%8E%AC/x", "/%ED%9F%BF", "/%F4%8F%BF%BF",
		// An escaped '%' followed by what is no escape decodes to no escape.
		"/%25", "/a%25x", "/a%25g0", "/a%252", "/a%25%41",
	}
	unsafe := []string{
		"", "a", "a/b", "//", "//a", "/a//b", "/a/./b", "/a/../b", "/a/.", "/a/..", "/.", "/..",
		"/a/%2e/b", "/a/%2E%2e/b", "/a/.%2e/b", "/a/%2e./b", "/a/..;x/b", "/a/.;/b",
		"/a%2fb", "/a%2Fb", "/a%5cb", "/a\\b", "/a%00b", "/a%0ab", "/a%7fb", "/a%1Fb",
		"/a b", "/a\tb", "/a\x00", "/caf\xc3\xa9", "/a\x7f", "/a%", "/a%4", "/a%zz", "/a%g0",
		// Escapes that are not UTF-8 in its shortest form: an overlong '.' or '/', Latin-1, a stray
		// continuation byte, a character cut short, a surrogate, beyond U+10FFFF.
		"/a/%C0%AE%C0%AE/b", "/a/%c0%ae", "/a/%e0%80%ae/b", "/a%C0%AFb", "/caf%E9", "/a%80", "/a%C3", "/a%C3/b",
		"/a%E2%82", "/a%ED%A0%80", "/a%F4%90%80%80", "/a%F8%88%80%80%80",
		// H2: an escaped '%' followed by two hex digits is an escape once
		// decoded: %252e%252e is ".." to an origin that decodes twice.
		"/a/%252e%252e/b", "/a/%252E%252E/b", "/a/%252e%252e", "/a%252fb", "/a%2541", "/a%25ff", "/%25Ab",
	}
	for _, p := range safe {
		if !SafePath(p) {
			t.Errorf("SafePath(%q) = false, want true", p)
		}
	}
	for _, p := range unsafe {
		if SafePath(p) {
			t.Errorf("SafePath(%q) = true, want false", p)
		}
	}
	long := "/" + string(make([]byte, MaxPathLen))
	if SafePath(long) {
		t.Error("SafePath accepted an over-long path")
	}
}

func TestMatchPath(t *testing.T) {
	for _, tc := range []struct {
		pat, path string
		want      bool
	}{
		{"/vod/a/*", "/vod/a/", true},
		{"/vod/a/*", "/vod/a/x/y.ts", true},
		{"/vod/a/*", "/vod/a", false},
		{"/vod/a/*", "/vod/ab/x", false},
		{"/vod/a*", "/vod/ab/x", true},
		{"/*", "/", true},
		{"/*", "/anything", true},
		{"/vod/a.m3u8", "/vod/a.m3u8", true},
		{"/vod/a.m3u8", "/vod/a.m3u8x", false},
		{"/vod/a.m3u8", "/vod/a.m3u", false},
		{"/vod/%C3%BC/*", "/vod/%c3%bc/x", true},
		{"/vod/%C3%BC/*", "/vod/%C3%bC/x", true},
		{"/vod/%C3%BC/*", "/vod/ü/x", false},
		{"/vod/A/*", "/vod/a/x", false},
		{"/vod/%41/*", "/vod/A/x", false},
		{"/vod/x%2A", "/vod/x%2a", true},
		{"/vod/*", "/vod/*", true},
		{"/vod/a", "/vod/%61", false},
	} {
		pat, err := CanonicalPattern(tc.pat)
		if err != nil {
			t.Fatalf("CanonicalPattern(%q): %v", tc.pat, err)
		}
		if got := MatchPath(pat, tc.path); got != tc.want {
			t.Errorf("MatchPath(%q, %q) = %v, want %v", tc.pat, tc.path, got, tc.want)
		}
	}
}

func TestCanonicalPattern(t *testing.T) {
	for in, want := range map[string]string{
		"/vod/%c3%bc/*": "/vod/%C3%BC/*", "/*": "/*", "/a": "/a", "/a/": "/a/", "/a%2a": "/a%2A",
	} {
		if got, err := CanonicalPattern(in); err != nil || got != want {
			t.Errorf("CanonicalPattern(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "*", "a/*", "/a/*/b", "/a**", "/a/../*", "/a//*", "/a b", "/a%2f*", "/a%", "/a/%252e%252e/*", "/a%2541*", string(make([]byte, MaxPatternLen+1))} {
		if got, err := CanonicalPattern(in); err == nil {
			t.Errorf("CanonicalPattern(%q) = %q, want an error", in, got)
		}
	}
}

func TestNormalizeHost(t *testing.T) {
	for in, want := range map[string]string{
		"Media.Example.COM": "media.example.com", "media.example.com:443": "media.example.com",
		"media.example.com.": "media.example.com", "[2001:db8::1]": "[2001:db8::1]", "[2001:db8::1]:8443": "[2001:db8::1]",
	} {
		if got := NormalizeHost(in); got != want {
			t.Errorf("NormalizeHost(%q) = %q, want %q", in, got, want)
		}
		if validHost(want) && !hostMatches([]byte(want), in) {
			t.Errorf("hostMatches(%q, %q) = false", want, in)
		}
	}
}

// H2: a key is never minted for a path with an escaped '%' before two hex
// digits, whose patterns no request path could then match safely.
func TestMintRefusesEscapedPercent(t *testing.T) {
	ring, err := NewRing(Key{ID: "k1", Secret: []byte("a-secret-key-of-32-bytes-long!!!")})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/vod/%252e%252e/*", "/vod/%252E%252E/admin/index.m3u8", "/vod/a%2541/*"} {
		if tok, err := ring.Mint("k1", Grant{Expires: time.Unix(1_767_229_200, 0), Paths: []string{p}}); err == nil {
			t.Errorf("Mint with path %q: %s, want an error", p, tok)
		}
	}
	if _, err := ring.Mint("k1", Grant{Expires: time.Unix(1_767_229_200, 0), Paths: []string{"/vod/100%25/*"}}); err != nil {
		t.Errorf("Mint with path /vod/100%%25/*: %v", err)
	}
}
