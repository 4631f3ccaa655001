package streamkey

import (
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// fuzzFixture mints a fixed set of honest tokens. FuzzVerify checks that
// whatever it is fed, Verify never panics and accepts nothing but one of
// these: a token that verifies and was not minted here is a forgery. (The
// seed format's FuzzVerifySeed is in package seed.)
type fuzzFixture struct {
	ver    *Verifier
	minted map[string]bool
	tokens []string
	req    Request
}

func newFuzzFixture(t testing.TB) *fuzzFixture {
	r, err := NewRing(
		Key{ID: "k1", Secret: testSecret("k1", 32), Created: t0},
		Key{ID: "k2", Secret: testSecret("k2", 48), Created: t0.Add(time.Hour)},
		Key{ID: "seed", Secret: []byte("k3y-for-tests-0123456789abcdef0123456789"), Seed: true},
	)
	if err != nil {
		t.Fatal(err)
	}
	fx := &fuzzFixture{ver: &Verifier{Ring: r, Leeway: DefaultLeeway}, minted: map[string]bool{}, req: baseRequest()}
	grants := []func(*Grant){
		func(*Grant) {},
		func(g *Grant) { g.IPBinding = IPExact },
		func(g *Grant) { g.IPBinding, g.BindUserAgent = IPOff, false },
		func(g *Grant) { g.Host, g.SessionID, g.Data, g.NotBefore = "", "", "", time.Time{} },
		func(g *Grant) { g.ClientIP = "2001:db8:1:2::77" },
		func(g *Grant) { g.Paths = []string{"/*"} },
		func(g *Grant) { g.UserAgent = "" },
	}
	for _, kid := range []string{"k1", "k2"} {
		for _, mod := range grants {
			g := baseGrant()
			mod(&g)
			tok := must[string](t)(r.Mint(kid, g))
			fx.minted[tok] = true
			fx.tokens = append(fx.tokens, tok)
		}
	}
	return fx
}

func FuzzVerify(f *testing.F) {
	fx := newFuzzFixture(f)
	q := fx.req
	for _, tok := range fx.tokens {
		f.Add(tok, q.Path, q.Host, q.ClientIP, q.UserAgent, q.Now.Unix())
		f.Add(tok, "/vod/movie-42/%2e%2e/x", q.Host, "2001:db8:1:2::1", q.UserAgent, q.Now.Unix()+3600)
		f.Add(flip(tok, len(tok)/2), q.Path, q.Host, q.ClientIP, "", q.Now.Unix())
	}
	// An ss1 token signed with the seed key must never verify.
	f.Add(signRaw(fx.ver.Ring, "seed", "e=1767229200\np=/*"), q.Path, q.Host, q.ClientIP, q.UserAgent, q.Now.Unix())
	f.Add("ss1.k1..", "/", "", "", "", int64(0))
	f.Add("ss1.k1.ZT0x.", "/", "", "::ffff:1.2.3.4", "", int64(-1))
	f.Fuzz(func(t *testing.T, tok, path, host, ip, ua string, now int64) {
		req := Request{Now: time.Unix(now, 0), Path: path, Host: host, ClientIP: ip, UserAgent: ua}
		res := fx.ver.Verify(tok, req)
		if _, ok := ParseReason(res.Reason.String()); !ok || res.Reason == Missing {
			t.Fatalf("Verify returned reason %d", res.Reason)
		}
		if again := fx.ver.Verify(tok, req); again != res {
			t.Fatalf("Verify is not deterministic: %+v then %+v", res, again)
		}
		if res.Reason == OK && !fx.minted[tok] {
			t.Fatalf("FORGERY: token %q was never minted but verifies for %+v", tok, req)
		}
		if res.Reason != Malformed && res.Reason != UnknownKey && !strings.HasPrefix(tok, Version+"."+res.KeyID+".") {
			t.Fatalf("key id %q is not the token's", res.KeyID)
		}
		if res.KeyID == "seed" && res.Reason != UnknownKey {
			t.Fatalf("an ss1 token naming the seed key got %s, want unknown_kid", res.Reason)
		}
		Inspect(tok) //nolint:errcheck // must not panic
	})
}

// safePathReference states the SafePath rules the slow, obvious way.
func safePathReference(p string) bool {
	if p == "" || p[0] != '/' || len(p) > MaxPathLen {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c < 0x21 || c > 0x7e || c == '\\' {
			return false
		}
		if c == '%' {
			if i+2 >= len(p) {
				return false
			}
			d, err := url.PathUnescape(p[i : i+3])
			if err != nil || d == "/" || d == "\\" || d[0] < 0x20 || d[0] == 0x7f {
				return false
			}
			// "%25" before two hex digits: an escape after one decoding.
			if d == "%" && i+4 < len(p) && strings.ContainsRune(anyCaseHex, rune(p[i+3])) && strings.ContainsRune(anyCaseHex, rune(p[i+4])) {
				return false
			}
		}
	}
	if d, err := url.PathUnescape(p); err != nil || !utf8.ValidString(d) {
		return false
	}
	segs := strings.Split(p[1:], "/")
	for i, s := range segs {
		if s == "" && i != len(segs)-1 {
			return false
		}
		s, _, _ = strings.Cut(s, ";")
		s = strings.ReplaceAll(strings.ReplaceAll(s, "%2e", "."), "%2E", ".")
		if s == "." || s == ".." {
			return false
		}
	}
	return true
}

const anyCaseHex = "0123456789abcdefABCDEF"

func FuzzSafePath(f *testing.F) {
	for _, p := range []string{"/", "/a/../b", "/a/%2E%2e/b", "/a//b", "/a;x/..;/b", "/%2f", "/a%zz", "/a/.", "/a/%252e%252E/b", "/a%25%41"} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if got, want := SafePath(p), safePathReference(p); got != want {
			t.Fatalf("SafePath(%q) = %v, reference says %v", p, got, want)
		}
		if pat, err := CanonicalPattern(p); err == nil && !MatchPath(pat, strings.TrimSuffix(p, "*")) && !strings.HasSuffix(p, "*") {
			t.Fatalf("pattern %q does not match its own path", p)
		}
	})
}

func FuzzParseClaims(f *testing.F) {
	f.Add([]byte("e=1767229200\nn=1767225600\np=/vod/*\nh=media.example.com\ni=s3f\nu=1\ns=x\nd=y"))
	f.Add([]byte("e=1767229200\np=/vod/*\nh=media.example.com."))
	f.Add([]byte("e=1767229200\np=/vod/*\nh=a..b"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rc, err := parseClaims(b)
		if err != nil {
			return
		}
		if rc.exp <= 0 || rc.npaths == 0 || rc.npaths > MaxPatterns {
			t.Fatalf("accepted claims without exp or paths: %q", b)
		}
		if h := string(rc.host); rc.host != nil && (h == "" || h[0] == '.' || h[len(h)-1] == '.' || strings.Contains(h, "..")) {
			t.Fatalf("accepted host %q, which has an empty label", h)
		}
	})
}
