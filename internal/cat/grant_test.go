package cat

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

// grantRing is an ss1 ring with two signing keys and a seed key.
func grantRing(t testing.TB) *streamkey.Ring {
	t.Helper()
	r, err := streamkey.NewRing(
		streamkey.Key{ID: "k1", Secret: testSecret("k1", 32), Created: t0.Add(-48 * time.Hour)},
		streamkey.Key{ID: "k2", Secret: testSecret("k2", 40), Created: t0.Add(-time.Hour)},
		streamkey.Key{ID: "legacy", Secret: testSecret("legacy", 32), Created: t0.Add(-9000 * time.Hour), Seed: true},
	)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func grantCATRing(t testing.TB) *Ring {
	t.Helper()
	r, err := RingFromStreamkey(grantRing(t))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// The ring's signing keys mint CATs under their kid and secret; the seed
// key is not in the CAT ring, and a ring of the seed key alone is refused.
func TestRingFromStreamkey(t *testing.T) {
	cr := grantCATRing(t)
	c := Claims{Expires: t0.Add(time.Hour)}
	for _, kid := range []string{"k1", "k2"} {
		tok, err := cr.Mint(kid, c, MintOptions{})
		if err != nil {
			t.Fatalf("%s: %v", kid, err)
		}
		// A ring built from the same secret by hand verifies it: the
		// secret is the ss1 key's.
		own, _ := NewRing(Key{ID: kid, Secret: testSecret(kid, map[string]int{"k1": 32, "k2": 40}[kid])})
		if r := (&Verifier{Ring: own}).Verify(tok, Request{Now: t0}); !r.OK() {
			t.Errorf("%s: %s", kid, r.Reason)
		}
	}
	if _, err := cr.Mint("legacy", c, MintOptions{}); err == nil {
		t.Error("the seed key minted a CAT")
	}
	seedOnly, err := streamkey.NewRing(streamkey.Key{ID: "legacy", Secret: testSecret("legacy", 32), Seed: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := RingFromStreamkey(seedOnly); err == nil || !strings.Contains(err.Error(), "seed key") {
		t.Errorf("a ring of the seed key alone: %v", err)
	}
}

// Each part of a grant becomes its claim: the claims Verify decodes from
// the minted token are exactly these.
func TestGrantClaims(t *testing.T) {
	base := streamkey.Grant{Expires: t0.Add(time.Hour), NotBefore: t0, Paths: []string{"/vod/a/*"}}
	for _, tc := range []struct {
		name string
		edit func(g *streamkey.Grant)
		want func(c *Claims)
	}{
		{"prefix", func(*streamkey.Grant) {}, func(c *Claims) {}},
		{"exact", func(g *streamkey.Grant) { g.Paths = []string{"/vod/a/index.m3u8"} },
			func(c *Claims) {
				c.URI[0] = URIMatch{Component: ComponentPath, Type: MatchExact, Value: "/vod/a/index.m3u8"}
			}},
		{"escapes upper-cased", func(g *streamkey.Grant) { g.Paths = []string{"/vod/caf%c3%a9/*"} },
			func(c *Claims) { c.URI[0].Value = "/vod/caf%C3%A9/" }},
		{"root", func(g *streamkey.Grant) { g.Paths = []string{"/*"} }, func(c *Claims) { c.URI[0].Value = "/" }},
		{"one pattern covers the others", func(g *streamkey.Grant) { g.Paths = []string{"/vod/a/x.ts", "/vod/*", "/vod/a/*"} },
			func(c *Claims) { c.URI[0].Value = "/vod/" }},
		{"same exact path twice", func(g *streamkey.Grant) { g.Paths = []string{"/vod/a/x.ts", "/vod/a/x.ts"} },
			func(c *Claims) { c.URI[0] = URIMatch{Component: ComponentPath, Type: MatchExact, Value: "/vod/a/x.ts"} }},
		{"host", func(g *streamkey.Grant) { g.Host = "Media.Example.com." },
			func(c *Claims) {
				c.URI = append([]URIMatch{{Component: ComponentHost, Type: MatchExact, Value: "media.example.com"}}, c.URI...)
			}},
		{"ip exact v4", func(g *streamkey.Grant) { g.IPBinding, g.ClientIP = streamkey.IPExact, "198.51.100.23" },
			func(c *Claims) { c.Networks = []netip.Prefix{netip.MustParsePrefix("198.51.100.23/32")} }},
		{"ip exact mapped", func(g *streamkey.Grant) { g.IPBinding, g.ClientIP = streamkey.IPExact, "::ffff:198.51.100.23" },
			func(c *Claims) { c.Networks = []netip.Prefix{netip.MustParsePrefix("198.51.100.23/32")} }},
		{"ip exact v6", func(g *streamkey.Grant) { g.IPBinding, g.ClientIP = streamkey.IPExact, "2001:DB8:1:2::7" },
			func(c *Claims) { c.Networks = []netip.Prefix{netip.MustParsePrefix("2001:db8:1:2::7/128")} }},
		{"ip subnet v4", func(g *streamkey.Grant) { g.IPBinding, g.ClientIP = streamkey.IPSubnet, "198.51.100.23" },
			func(c *Claims) { c.Networks = []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")} }},
		{"ip subnet v6", func(g *streamkey.Grant) { g.IPBinding, g.ClientIP = streamkey.IPSubnet, "2001:db8:1:2:aaaa::7" },
			func(c *Claims) { c.Networks = []netip.Prefix{netip.MustParsePrefix("2001:db8:1:2::/64")} }},
		{"session id", func(g *streamkey.Grant) { g.SessionID = "5lbddw8wAhryuSlg" },
			func(c *Claims) { c.ID = []byte("5lbddw8wAhryuSlg") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := base
			tc.edit(&g)
			want := Claims{Expires: g.Expires, NotBefore: g.NotBefore, IssuedAt: t0.Add(-time.Second),
				URI: []URIMatch{{Component: ComponentPath, Type: MatchPrefix, Value: "/vod/a/"}}}
			tc.want(&want)
			c, err := GrantClaims(g, t0.Add(-time.Second))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(c, want) {
				t.Fatalf("claims\n got %+v\nwant %+v", c, want)
			}
			tok, err := grantCATRing(t).Mint("k1", c, MintOptions{})
			if err != nil {
				t.Fatal(err)
			}
			res := (&Verifier{Ring: grantCATRing(t)}).Verify(tok, Request{Now: t0.Add(time.Minute), Path: "/vod/../x"})
			if res.Reason != Path && res.Reason != Host {
				t.Errorf("a request outside the grant: %s", res.Reason)
			}
			got := res.Claims
			if !reflect.DeepEqual(got.URI, want.URI) || !reflect.DeepEqual(got.Networks, want.Networks) || string(got.ID) != string(want.ID) ||
				!got.Expires.Equal(want.Expires) || !got.NotBefore.Equal(want.NotBefore) || !got.IssuedAt.Equal(want.IssuedAt) {
				t.Errorf("the token says %+v, want %+v", got, want)
			}
		})
	}
}

// What a CAT cannot say is refused, never dropped or widened.
func TestGrantClaimsRefusals(t *testing.T) {
	base := streamkey.Grant{Expires: t0.Add(time.Hour), Paths: []string{"/vod/a/*"}}
	for _, tc := range []struct {
		name, want string
		edit       func(g *streamkey.Grant)
	}{
		{"user agent", "User-Agent", func(g *streamkey.Grant) { g.BindUserAgent, g.UserAgent = true, "ExoPlayer" }},
		{"data", "data", func(g *streamkey.Grant) { g.Data = "x" }},
		{"no path", "no path", func(g *streamkey.Grant) { g.Paths = nil }},
		{"two directories", "cannot be one catu path condition", func(g *streamkey.Grant) { g.Paths = []string{"/vod/a/*", "/vod/b/*"} }},
		{"two files", "cannot be one catu path condition", func(g *streamkey.Grant) { g.Paths = []string{"/vod/a/1.ts", "/vod/a/2.ts"} }},
		{"a file and a directory beside it", "cannot be one catu path condition", func(g *streamkey.Grant) { g.Paths = []string{"/vod/a/*", "/vod/b.m3u8"} }},
		{"bad pattern", "path pattern", func(g *streamkey.Grant) { g.Paths = []string{"/vod/../a"} }},
		{"bad host", "host", func(g *streamkey.Grant) { g.Host = "a..b" }},
		{"bad address", "client IP", func(g *streamkey.Grant) { g.IPBinding, g.ClientIP = streamkey.IPExact, "fe80::1%eth0" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := base
			tc.edit(&g)
			c, err := GrantClaims(g, time.Time{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %+v, %v; want an error about %q", c, err, tc.want)
			}
		})
	}
	if _, err := GrantClaims(streamkey.Grant{Expires: t0, Paths: []string{"/a"}, BindUserAgent: true}, time.Time{}); !errors.Is(err, ErrUserAgentBinding) {
		t.Errorf("user agent: %v, want ErrUserAgentBinding", err)
	}
}

// The CAT of a grant answers every request as the grant's ss1 token does
// (over generated grants and requests); where they may differ at all, the
// CAT is the narrower: ss1 compares a path's hex escapes without regard to
// case, catu byte for byte, so a request path with a lower-case escape may
// pass ss1 and fail the CAT, never the other way round.
func TestGrantClaimsNeverWider(t *testing.T) {
	rnd := rand.New(rand.NewPCG(24, 5007))
	ring := grantRing(t)
	ss1 := &streamkey.Verifier{Ring: ring}
	cv := &Verifier{Ring: grantCATRing(t)}
	pick := func(s ...string) string { return s[rnd.IntN(len(s))] }
	paths := []string{"/", "/vod", "/vod/", "/vod/a", "/vod/a/", "/vod/a/x.ts", "/vod/a/y.ts", "/vod/ab/x.ts", "/vod/b/x.ts",
		"/vod/caf%C3%A9/x.ts", "/vod/caf%c3%a9/x.ts", "/live/x.ts", "/vod/a/../x.ts", "/vod//a/x.ts"}
	patterns := []string{"/*", "/vod/*", "/vod/a/*", "/vod/a*", "/vod/a/x.ts", "/vod/b/*", "/vod/caf%C3%A9/*", "/vod/caf%c3%a9/x.ts", "/live/x.ts"}
	ips := []string{"198.51.100.23", "198.51.100.99", "198.51.101.23", "::ffff:198.51.100.23", "2001:db8:1:2::7", "2001:db8:1:2:ffff::1", "2001:db8:1:3::7", "bogus"}
	hosts := []string{"media.example.com", "MEDIA.example.com.", "media.example.com:8443", "other.example.com", ""}
	var accepted, refused, narrower, skipped int
	for i := 0; i < 3000; i++ {
		g := streamkey.Grant{NotBefore: t0.Add(time.Duration(rnd.IntN(120)-60) * time.Second)}
		g.Expires = g.NotBefore.Add(time.Duration(1+rnd.IntN(7200)) * time.Second)
		for n := 1 + rnd.IntN(3); n > 0; n-- {
			g.Paths = append(g.Paths, pick(patterns...))
		}
		if rnd.IntN(2) == 0 {
			g.Host = pick("media.example.com", "Media.Example.Com")
		}
		g.IPBinding = streamkey.IPBinding(rnd.IntN(3))
		g.ClientIP = pick(ips[:7]...)
		if rnd.IntN(2) == 0 {
			g.SessionID = fmt.Sprintf("s%d", i)
		}
		ssTok, ssErr := ring.Mint(pick("k1", "k2"), g)
		c, err := GrantClaims(g, g.NotBefore)
		if err != nil {
			if ssErr == nil && !strings.Contains(err.Error(), "cannot be one catu path condition") {
				t.Fatalf("grant %+v: ss1 mints, the CAT is refused: %v", g, err)
			}
			skipped++
			continue
		}
		if ssErr != nil {
			t.Fatalf("grant %+v: the CAT mints, ss1 refuses: %v", g, ssErr)
		}
		catTok, err := cv.Ring.Mint("k1", c, MintOptions{})
		if err != nil {
			t.Fatalf("grant %+v: %v", g, err)
		}
		for j := 0; j < 20; j++ {
			now := g.NotBefore.Add(time.Duration(rnd.IntN(int(g.Expires.Sub(g.NotBefore)/time.Second)+240)-120) * time.Second)
			p, ip, h := pick(paths...), pick(ips...), pick(hosts...)
			a := ss1.Verify(ssTok, streamkey.Request{Now: now, Path: p, Host: h, ClientIP: ip}).OK()
			b := cv.Verify(catTok, Request{Now: now, Scheme: "https", Method: "GET", Path: p, Host: h, ClientIP: ip}).OK()
			switch {
			case b && !a:
				t.Fatalf("grant %+v: the CAT accepts what ss1 refuses: %s %s from %s at %s", g, h, p, ip, now)
			case a && !b && hasLowerEscape(p):
				narrower++
			case a != b:
				t.Fatalf("grant %+v: ss1 %v, CAT %v for %s %s from %s at %s", g, a, b, h, p, ip, now)
			case a:
				accepted++
			default:
				refused++
			}
		}
	}
	t.Logf("%d accepted, %d refused, %d narrower, %d grants refused", accepted, refused, narrower, skipped)
	// The generator reaches every outcome, so the test can fail.
	if accepted < 500 || refused < 500 || narrower == 0 || skipped == 0 {
		t.Errorf("the generator is lopsided: %d accepted, %d refused, %d narrower, %d grants refused", accepted, refused, narrower, skipped)
	}
}

func hasLowerEscape(p string) bool {
	for i := 0; i+2 < len(p); i++ {
		if p[i] == '%' && (strings.ContainsRune("abcdef", rune(p[i+1])) || strings.ContainsRune("abcdef", rune(p[i+2]))) {
			return true
		}
	}
	return false
}
