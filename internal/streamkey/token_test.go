package streamkey

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"
)

var t0 = time.Unix(1_767_225_600, 0) // 2026-01-01T00:00:00Z

func baseGrant() Grant {
	return Grant{
		Expires:       t0.Add(time.Hour),
		NotBefore:     t0,
		Paths:         []string{"/vod/movie-42/*", "/subs/movie-42.vtt"},
		Host:          "Media.Example.com",
		IPBinding:     IPSubnet,
		ClientIP:      "203.0.113.9",
		BindUserAgent: true,
		UserAgent:     "AppleCoreMedia/1.0.0.21A5326a (iPhone; U; CPU OS 17_0 like Mac OS X; en_us)",
		SessionID:     "sess-42",
		Data:          "plan=premium",
	}
}

func baseRequest() Request {
	return Request{
		Now:       t0.Add(time.Minute),
		Path:      "/vod/movie-42/1080p/seg_00001.ts",
		Host:      "media.example.com",
		ClientIP:  "203.0.113.77",
		UserAgent: "AppleCoreMedia/1.0.0.21A5326a (iPhone; U; CPU OS 17_0 like Mac OS X; en_us)",
	}
}

// signRaw signs arbitrary claims text binding neither address nor user
// agent, with crypto/hmac, as an independent check of the construction.
func signRaw(r *Ring, kid, claims string) string {
	k := r.lookup(kid)
	si := Version + "." + kid + "." + b64.EncodeToString([]byte(claims))
	mac := func(msg string) []byte {
		m := hmac.New(sha256.New, k.Secret)
		m.Write([]byte(msg))
		return m.Sum(nil)
	}
	si += "." + b64.EncodeToString(mac(si)[:checkBytes])
	return si + "." + b64.EncodeToString(mac(si+"\n\n"))
}

func TestMintVerifyRoundTrip(t *testing.T) {
	r := testRing(t)
	tok, err := r.Mint("k2025b", baseGrant())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, "ss1.k2025b.") || len(tok) > MaxTokenLen {
		t.Fatalf("token %q has the wrong shape", tok)
	}
	for _, c := range tok {
		if !(isKeyIDChar(byte(c)) || c == '.') {
			t.Fatalf("token contains %q, which is not safe in a header, query, cookie and path segment", c)
		}
	}
	res := (&Verifier{Ring: r}).Verify(tok, baseRequest())
	want := Result{Reason: OK, KeyID: "k2025b", Expires: t0.Add(time.Hour).Unix(), NotBefore: t0.Unix(), SessionID: "sess-42", Data: "plan=premium"}
	if res != want {
		t.Fatalf("Verify = %+v, want %+v", res, want)
	}
	if res.Err() != nil || !res.OK() {
		t.Fatalf("Err() = %v", res.Err())
	}

	// Minting is deterministic: the same grant gives the same token.
	again, _ := r.Mint("k2025b", baseGrant())
	if again != tok {
		t.Fatalf("minting twice gave different tokens")
	}

	kid, c, err := Inspect(tok)
	if err != nil || kid != "k2025b" {
		t.Fatalf("Inspect: %v %q", err, kid)
	}
	if c.Host != "media.example.com" || c.IPBinding != IPSubnet || !c.UserAgentBound || len(c.Paths) != 2 ||
		c.SessionID != "sess-42" || c.Data != "plan=premium" || c.Expires != want.Expires || c.NotBefore != want.NotBefore {
		t.Fatalf("Inspect claims = %s", c)
	}
	// The token carries neither the client IP nor the user agent.
	raw, _ := b64.DecodeString(strings.Split(tok, ".")[2])
	for _, secret := range []string{"203.0.113", "AppleCoreMedia", "iPhone"} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("claims text %q leaks %q", raw, secret)
		}
	}
}

func TestVerifyReasons(t *testing.T) {
	r := testRing(t)
	ver := &Verifier{Ring: r, Leeway: 30 * time.Second, MaxLifetime: 2 * time.Hour}
	good := must[string](t)(r.Mint("k2025a", baseGrant()))
	cases := []struct {
		name  string
		grant func(*Grant)
		req   func(*Request)
		tok   func(string) string
		want  Reason
	}{
		{name: "honest segment", want: OK},
		{name: "honest subtitle (exact path)", req: func(q *Request) { q.Path = "/subs/movie-42.vtt" }, want: OK},
		{name: "exact path does not match a longer path", req: func(q *Request) { q.Path = "/subs/movie-42.vtt2" }, want: Path},
		{name: "empty token", tok: func(string) string { return "" }, want: Malformed},
		{name: "garbage", tok: func(string) string { return "not a token" }, want: Malformed},
		{name: "wrong version", tok: func(s string) string { return "ss2" + s[3:] }, want: Malformed},
		{name: "extra part", tok: func(s string) string { return s + ".x" }, want: Malformed},
		{name: "missing part", tok: func(s string) string { return s[:strings.LastIndexByte(s, '.')] }, want: Malformed},
		{name: "padded signature", tok: func(s string) string { return s + "=" }, want: Malformed},
		{name: "truncated signature", tok: func(s string) string { return s[:len(s)-1] }, want: Malformed},
		{name: "std alphabet", tok: func(s string) string { return s[:len(s)-1] + "+" }, want: Malformed},
		{name: "bad kid characters", tok: func(s string) string { return strings.Replace(s, "k2025a", "k2025/", 1) }, want: Malformed},
		{name: "oversized", tok: func(s string) string { return strings.Replace(s, ".", "."+strings.Repeat("A", MaxTokenLen), 2) }, want: Malformed},
		{name: "unknown kid", tok: func(s string) string { return strings.Replace(s, "k2025a", "k2024z", 1) }, want: UnknownKey},
		{name: "other ring key's id", tok: func(s string) string { return strings.Replace(s, "k2025a", "k2025b", 1) }, want: BadMAC},
		{name: "flipped T3 byte, nothing bound", grant: func(g *Grant) { g.IPBinding, g.BindUserAgent = IPOff, false }, tok: func(s string) string { return flip(s, len(s)-macLen+5) }, want: BadMAC},
		{name: "flipped T3 byte, ip bound", grant: func(g *Grant) { g.BindUserAgent = false }, tok: func(s string) string { return flip(s, len(s)-macLen+5) }, want: BadMAC},
		{name: "flipped T3 byte, ua bound (reads as ua)", tok: func(s string) string { return flip(s, len(s)-macLen+5) }, want: UserAgent},
		{name: "flipped check byte, other ua", tok: func(s string) string { return flip(s, len(s)-macLen-3) }, req: func(q *Request) { q.UserAgent = "x" }, want: BadMAC},
		{name: "ip hint altered", tok: func(s string) string { return editClaims(s, "\ni=s", "\ni=x") }, want: BadMAC},
		{name: "flipped check byte", tok: func(s string) string { return flip(s, len(s)-macLen-3) }, want: BadMAC},
		{name: "non-canonical mac tail", tok: func(s string) string { return s[:len(s)-1] + nonCanonicalTail(s[len(s)-1]) }, want: Malformed},
		{name: "non-canonical mac tail, unknown kid", tok: func(s string) string {
			return strings.Replace(s[:len(s)-1]+nonCanonicalTail(s[len(s)-1]), "k2025a", "k2024z", 1)
		}, want: Malformed},
		{name: "flipped check byte and other ip", tok: func(s string) string { return flip(s, len(s)-macLen-3) }, req: func(q *Request) { q.ClientIP = "192.0.2.1" }, want: BadMAC},
		{name: "extended expiry", tok: func(s string) string { return editClaims(s, "e=1767229200", "e=1767232800") }, want: BadMAC},
		{name: "widened path", tok: func(s string) string { return editClaims(s, "p=/vod/movie-42/*", "p=/vod/*") }, want: BadMAC},
		{name: "ip binding removed", tok: func(s string) string { return editClaims(s, "\ni=s", "") }, req: func(q *Request) { q.ClientIP = "192.0.2.1" }, want: BadMAC},
		{name: "ua binding removed", tok: func(s string) string { return editClaims(s, "\nu=1", "") }, req: func(q *Request) { q.UserAgent = "x" }, want: BadMAC},
		{name: "expired", req: func(q *Request) { q.Now = t0.Add(time.Hour) }, want: Expired},
		{name: "one second before expiry", req: func(q *Request) { q.Now = t0.Add(time.Hour - time.Second) }, want: OK},
		{name: "not yet valid", req: func(q *Request) { q.Now = t0.Add(-31 * time.Second) }, want: NotYetValid},
		{name: "within nbf leeway", req: func(q *Request) { q.Now = t0.Add(-30 * time.Second) }, want: OK},
		{name: "beyond max lifetime", grant: func(g *Grant) { g.Expires = t0.Add(3 * time.Hour) }, want: Lifetime},
		{name: "at max lifetime plus leeway", grant: func(g *Grant) { g.Expires = t0.Add(2*time.Hour + time.Minute + 30*time.Second) }, want: OK},
		{name: "other path", req: func(q *Request) { q.Path = "/vod/movie-43/index.m3u8" }, want: Path},
		{name: "prefix without slash", req: func(q *Request) { q.Path = "/vod/movie-42" }, want: Path},
		{name: "dot-dot escape", req: func(q *Request) { q.Path = "/vod/movie-42/../movie-43/index.m3u8" }, want: Path},
		{name: "encoded dot-dot", req: func(q *Request) { q.Path = "/vod/movie-42/%2E%2e/movie-43/index.m3u8" }, want: Path},
		{name: "encoded slash", req: func(q *Request) { q.Path = "/vod/movie-42/..%2fmovie-43" }, want: Path},
		{name: "double slash", req: func(q *Request) { q.Path = "/vod/movie-42//x.ts" }, want: Path},
		{name: "lower-case escape matches", grant: func(g *Grant) { g.Paths = []string{"/vod/%C3%BC/*"} }, req: func(q *Request) { q.Path = "/vod/%c3%bc/seg.ts" }, want: OK},
		{name: "other host", req: func(q *Request) { q.Host = "evil.example.net" }, want: Host},
		{name: "host with port and capitals", req: func(q *Request) { q.Host = "MEDIA.example.com:443" }, want: OK},
		{name: "missing host", req: func(q *Request) { q.Host = "" }, want: Host},
		{name: "same /24", req: func(q *Request) { q.ClientIP = "203.0.113.254" }, want: OK},
		{name: "other /24", req: func(q *Request) { q.ClientIP = "203.0.114.9" }, want: IP},
		{name: "ipv6 client for ipv4 token", req: func(q *Request) { q.ClientIP = "2001:db8::1" }, want: IP},
		{name: "mapped ipv4 client", req: func(q *Request) { q.ClientIP = "::ffff:203.0.113.9" }, want: OK},
		{name: "unparsable client ip", req: func(q *Request) { q.ClientIP = "203.0.113.009" }, want: IP},
		{name: "missing client ip", req: func(q *Request) { q.ClientIP = "" }, want: IP},
		{name: "exact ip other address", grant: func(g *Grant) { g.IPBinding = IPExact }, want: IP},
		{name: "exact ip same address", grant: func(g *Grant) { g.IPBinding = IPExact }, req: func(q *Request) { q.ClientIP = "203.0.113.9" }, want: OK},
		{name: "ip unbound", grant: func(g *Grant) { g.IPBinding = IPOff }, req: func(q *Request) { q.ClientIP = "garbage" }, want: OK},
		{name: "other user agent", req: func(q *Request) { q.UserAgent = "curl/8.5.0" }, want: UserAgent},
		{name: "missing user agent", req: func(q *Request) { q.UserAgent = "" }, want: UserAgent},
		{name: "user agent unbound", grant: func(g *Grant) { g.BindUserAgent = false }, req: func(q *Request) { q.UserAgent = "x" }, want: OK},
		{name: "no host binding", grant: func(g *Grant) { g.Host = "" }, req: func(q *Request) { q.Host = "anything.example" }, want: OK},
		{name: "no nbf, far ahead of exp", grant: func(g *Grant) { g.NotBefore = time.Time{} }, req: func(q *Request) { q.Now = t0.Add(-2 * time.Hour) }, want: Lifetime},
		{name: "no nbf, within lifetime", grant: func(g *Grant) { g.NotBefore = time.Time{} }, req: func(q *Request) { q.Now = t0.Add(-time.Hour) }, want: OK},
		{name: "check order: expired before path", req: func(q *Request) { q.Now = t0.Add(2 * time.Hour); q.Path = "/x" }, want: Expired},
		{name: "check order: path before host", req: func(q *Request) { q.Path = "/x"; q.Host = "x" }, want: Path},
		{name: "check order: ip before host", req: func(q *Request) { q.Host = "x"; q.ClientIP = "192.0.2.1" }, want: IP},
		{name: "check order: ip before ua", req: func(q *Request) { q.ClientIP = "192.0.2.1"; q.UserAgent = "x" }, want: IP},
		{name: "check order: ua before expiry", req: func(q *Request) { q.UserAgent = "x"; q.Now = t0.Add(2 * time.Hour) }, want: UserAgent},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tok := good
			if tc.grant != nil {
				g := baseGrant()
				tc.grant(&g)
				tok = must[string](t)(r.Mint("k2025a", g))
			}
			if tc.tok != nil {
				tok = tc.tok(tok)
			}
			req := baseRequest()
			if tc.req != nil {
				tc.req(&req)
			}
			res := ver.Verify(tok, req)
			if res.Reason != tc.want {
				t.Fatalf("reason %s, want %s (token %q)", res.Reason, tc.want, tok)
			}
			if tc.want != OK && res.Err() == nil {
				t.Fatal("Err() is nil for a refused token")
			}
		})
	}
}

// editClaims rewrites the claims of a token and keeps its signature.
func editClaims(tok, old, repl string) string {
	parts := strings.Split(tok, ".")
	raw, err := b64.DecodeString(parts[2])
	if err != nil || !strings.Contains(string(raw), old) {
		panic("editClaims: " + old + " not in " + string(raw))
	}
	parts[2] = b64.EncodeToString([]byte(strings.Replace(string(raw), old, repl, 1)))
	return strings.Join(parts, ".")
}

// nonCanonicalTail returns the base64url character that differs from c only
// in the lowest bit, which a 43-character MAC leaves unused.
func nonCanonicalTail(c byte) string {
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	return string(alpha[strings.IndexByte(alpha, c)^1])
}

func flip(s string, i int) string {
	c := s[i]
	r := byte('A')
	if c == 'A' {
		r = 'B'
	}
	return s[:i] + string(r) + s[i+1:]
}

// Genuine tokens (right MAC) whose claims break the rules are malformed:
// the verifier never guesses what an unknown or broken claim meant.
func TestVerifyMalformedClaims(t *testing.T) {
	r := testRing(t)
	ver := &Verifier{Ring: r}
	req := baseRequest()
	req.Path = "/a/x"
	exp := "e=1767226000"
	for name, claims := range map[string]string{
		"empty":             "",
		"no exp":            "p=/a/*",
		"no path":           exp,
		"exp leading zero":  "e=01767226000\np=/a/*",
		"exp sign":          "e=+1767226000\np=/a/*",
		"exp too long":      "e=1767226000000\np=/a/*",
		"exp not a number":  "e=soon\np=/a/*",
		"nbf empty":         exp + "\nn=\np=/a/*",
		"duplicate exp":     exp + "\n" + exp + "\np=/a/*",
		"duplicate host":    exp + "\np=/a/*\nh=a\nh=a",
		"unknown claim":     exp + "\np=/a/*\nz=1",
		"long name":         exp + "\np=/a/*\nex=1",
		"no equals":         exp + "\np=/a/*\nh",
		"trailing newline":  exp + "\np=/a/*\n",
		"blank line":        exp + "\n\np=/a/*",
		"crlf":              exp + "\r\np=/a/*",
		"relative path":     exp + "\np=a/*",
		"path with a space": exp + "\np=/a b/*",
		"path with a NUL":   exp + "\np=/a\x00/*",
		"nine paths":        exp + strings.Repeat("\np=/a/*", 9),
		"upper-case host":   exp + "\np=/a/*\nh=Media.example.com",
		"host with port":    exp + "\np=/a/*\nh=media.example.com:443",
		"bad ip mode":       exp + "\np=/a/*\ni=y00",
		"ip without hint":   exp + "\np=/a/*\ni=x",
		"upper-case hint":   exp + "\np=/a/*\ni=xAB",
		"long ip hint":      exp + "\np=/a/*\ni=x000",
		"bad ua flag":       exp + "\np=/a/*\nu=0",
		"empty ua flag":     exp + "\np=/a/*\nu=",
		"bad session id":    exp + "\np=/a/*\ns=a b",
		"long session id":   exp + "\np=/a/*\ns=" + strings.Repeat("a", MaxSessionIDLen+1),
		"data with control": exp + "\np=/a/*\nd=a\tb",
		"data non-ascii":    exp + "\np=/a/*\nd=caf\xc3\xa9",
	} {
		tok := signRaw(r, "k2025a", claims)
		if got := ver.Verify(tok, req).Reason; got != Malformed {
			t.Errorf("%s: reason %s, want malformed (claims %q)", name, got, claims)
		}
	}
	// Malformed claims are reported before the MAC is checked.
	if got := ver.Verify(flip(signRaw(r, "k2025a", "e=1"), 20), req).Reason; got != Malformed {
		t.Errorf("forged malformed claims: %s, want malformed", got)
	}
	// Claims come in one order; any other is malformed, even when signed.
	for _, claims := range []string{"p=/a/*\ne=1767226000", "e=1767226000\ns=x\np=/a/*", "e=1767226000\np=/a/*\ns=x\np=/b/*",
		"e=1767226000\np=/a/*\nd=x\ns=x", "e=1767226000\nn=1767225000\nn=1767225000\np=/a/*"} {
		if got := ver.Verify(signRaw(r, "k2025a", claims), Request{Now: t0, Path: "/a/x"}).Reason; got != Malformed {
			t.Errorf("claims %q: %s, want malformed", claims, got)
		}
	}
	tok := signRaw(r, "k2025a", "e=1767226000\np=/b/*\np=/a/*\ns=x")
	if res := ver.Verify(tok, Request{Now: t0, Path: "/a/x"}); res.Reason != OK || res.SessionID != "x" {
		t.Errorf("canonical claims: %+v", res)
	}
}

// The same client address written differently binds the same way.
func TestIPSpellingsBindTheSame(t *testing.T) {
	r := testRing(t)
	ver := &Verifier{Ring: r}
	groups := []struct {
		mode      IPBinding
		spellings []string
		others    []string
	}{
		{IPExact, []string{"2001:db8::1", "2001:0db8:0:0:0:0:0:1", "2001:DB8::1", "2001:db8:0::0:1", "2001:0DB8:0000:0000:0000:0000:0000:0001"},
			[]string{"2001:db8::2", "2001:db8::1:0", "192.0.2.1", "2001:db8::1%eth0"}},
		{IPExact, []string{"192.0.2.1", "::ffff:192.0.2.1", "::FFFF:c000:0201", "0:0:0:0:0:ffff:192.0.2.1"},
			[]string{"192.0.2.2", "::192.0.2.1", "192.0.2.01", "192.000.2.1"}},
		{IPSubnet, []string{"2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:0DB8:0001:0002:0:0:0:0"},
			[]string{"2001:db8:1:3::1", "2001:db8::1:2:0:0"}},
		{IPSubnet, []string{"198.51.100.7", "198.51.100.0", "198.51.100.255", "::ffff:198.51.100.99"},
			[]string{"198.51.101.7", "198.50.100.7", "::198.51.100.7"}},
	}
	for _, g := range groups {
		for _, mintIP := range g.spellings {
			gr := baseGrant()
			gr.IPBinding, gr.ClientIP = g.mode, mintIP
			tok := must[string](t)(r.Mint("k2025a", gr))
			for _, reqIP := range g.spellings {
				q := baseRequest()
				q.ClientIP = reqIP
				if got := ver.Verify(tok, q).Reason; got != OK {
					t.Errorf("%s minted for %s, request from %s: %s", g.mode, mintIP, reqIP, got)
				}
			}
			for _, reqIP := range g.others {
				q := baseRequest()
				q.ClientIP = reqIP
				if got := ver.Verify(tok, q).Reason; got != IP {
					t.Errorf("%s minted for %s, request from %s: %s, want ip", g.mode, mintIP, reqIP, got)
				}
			}
		}
	}
	for in, want := range map[string]string{
		"2001:0db8:0:0:0:0:0:1": "2001:db8::1", "::ffff:192.0.2.1": "192.0.2.1", "2001:db8:0:0:1:0:0:1": "2001:db8::1:0:0:1",
		"2001:DB8:0:1:1:1:1:1": "2001:db8:0:1:1:1:1:1", "::": "::", "0:0:0:0:0:0:0:1": "::1",
	} {
		if got, err := CanonicalIP(in); err != nil || got != want {
			t.Errorf("CanonicalIP(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestMintRefuses(t *testing.T) {
	r := testRing(t)
	for name, mod := range map[string]func(*Grant){
		"no expiry":           func(g *Grant) { g.Expires = time.Time{} },
		"expiry before epoch": func(g *Grant) { g.Expires = time.Unix(-5, 0); g.NotBefore = time.Time{} },
		"expiry too far":      func(g *Grant) { g.Expires = time.Unix(maxTime+1, 0) },
		"nbf after exp":       func(g *Grant) { g.NotBefore = g.Expires },
		"no paths":            func(g *Grant) { g.Paths = nil },
		"nine paths":          func(g *Grant) { g.Paths = make([]string, 9) },
		"relative path":       func(g *Grant) { g.Paths = []string{"vod/*"} },
		"star inside":         func(g *Grant) { g.Paths = []string{"/vod/*/x.ts"} },
		"two stars":           func(g *Grant) { g.Paths = []string{"/vod/**"} },
		"dot-dot pattern":     func(g *Grant) { g.Paths = []string{"/vod/../*"} },
		"space in pattern":    func(g *Grant) { g.Paths = []string{"/vod/a b/*"} },
		"host with slash":     func(g *Grant) { g.Host = "a/b" },
		"unicode host":        func(g *Grant) { g.Host = "müller.example" },
		"bad client ip":       func(g *Grant) { g.ClientIP = "not-an-ip" },
		"zoned client ip":     func(g *Grant) { g.ClientIP = "fe80::1%eth0" },
		"bad ip binding":      func(g *Grant) { g.IPBinding = 9 },
		"bad session id":      func(g *Grant) { g.SessionID = "a/b" },
		"bad data":            func(g *Grant) { g.Data = "line\nbreak" },
		"claims too large": func(g *Grant) {
			g.Paths = []string{"/" + strings.Repeat("a", 1000) + "/*", "/" + strings.Repeat("b", 1000) + "/*", "/c/*"}
		},
	} {
		g := baseGrant()
		mod(&g)
		if tok, err := r.Mint("k2025a", g); err == nil {
			t.Errorf("%s: minted %q", name, tok)
		}
	}
	if _, err := r.Mint("nope", baseGrant()); err == nil {
		t.Error("minted with an unknown key id")
	}
}

func TestRing(t *testing.T) {
	good := testSecret("x", 32)
	for name, keys := range map[string][]Key{
		"empty":        nil,
		"short secret": {{ID: "a", Secret: good[:31]}},
		"bad id":       {{ID: "a.b", Secret: good}},
		"empty id":     {{ID: "", Secret: good}},
		"long id":      {{ID: strings.Repeat("a", 33), Secret: good}},
		"duplicate":    {{ID: "a", Secret: good}, {ID: "a", Secret: good}},
		"two seeds":    {{ID: "a", Secret: good, Seed: true}, {ID: "b", Secret: good, Seed: true}},
	} {
		if _, err := NewRing(keys...); err == nil {
			t.Errorf("%s: NewRing accepted it", name)
		}
	}

	base := time.Unix(1_000_000, 0)
	r := must[*Ring](t)(NewRing(
		Key{ID: "new", Secret: good, Created: base.Add(48 * time.Hour)},
		Key{ID: "old", Secret: good, Created: base},
		Key{ID: "mid", Secret: good, Created: base.Add(24 * time.Hour)},
	))
	for _, tc := range []struct {
		now  time.Duration
		want string
	}{
		{0, "old"}, {24*time.Hour + 59*time.Minute, "old"}, {25 * time.Hour, "mid"}, {49 * time.Hour, "new"}, {-time.Hour, "old"},
	} {
		if got := r.SigningKey(base.Add(tc.now), time.Hour); got != tc.want {
			t.Errorf("SigningKey at +%s = %s, want %s", tc.now, got, tc.want)
		}
	}
	// A seed key, however old, never signs new tokens.
	rs := must[*Ring](t)(NewRing(
		Key{ID: "seed", Secret: good, Created: time.Unix(0, 0), Seed: true},
		Key{ID: "fresh", Secret: good, Created: base},
	))
	for _, now := range []time.Duration{0, time.Minute, 2 * time.Hour} {
		if got := rs.SigningKey(base.Add(now), time.Hour); got != "fresh" {
			t.Errorf("with a seed key, SigningKey at +%s = %s, want fresh", now, got)
		}
	}
	if got := must[*Ring](t)(NewRing(Key{ID: "seed", Secret: good, Seed: true})).SigningKey(base, 0); got != "" {
		t.Errorf("a ring of a seed key alone signs with %q", got)
	}
	// The ring copies secrets: changing the caller's slice changes nothing.
	secret := append([]byte(nil), good...)
	r2 := must[*Ring](t)(NewRing(Key{ID: "a", Secret: secret}))
	tok := must[string](t)(r2.Mint("a", Grant{Expires: t0.Add(time.Hour), Paths: []string{"/*"}}))
	secret[0] ^= 1
	if res := (&Verifier{Ring: r2}).Verify(tok, Request{Now: t0, Path: "/x"}); res.Reason != OK {
		t.Errorf("after changing the caller's slice: %s", res.Reason)
	}
	if ks := r2.Keys(); len(ks) != 1 || ks[0].Secret[0] != good[0] {
		t.Error("Keys() does not return the ring's own secret copy")
	}
}

func TestReasonCodes(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Reasons() {
		code := r.String()
		if code == "unknown" || seen[code] {
			t.Errorf("reason %d has code %q", r, code)
		}
		seen[code] = true
		if back, ok := ParseReason(code); !ok || back != r {
			t.Errorf("ParseReason(%q) = %v, %v", code, back, ok)
		}
	}
	if _, ok := ParseReason("nope"); ok {
		t.Error("ParseReason accepted an unknown code")
	}
	if Reason(200).String() != "unknown" {
		t.Error("out-of-range reason has a code")
	}
}

func TestParseIPBinding(t *testing.T) {
	for _, b := range []IPBinding{IPOff, IPExact, IPSubnet} {
		if got, err := ParseIPBinding(b.String()); err != nil || got != b {
			t.Errorf("ParseIPBinding(%q) = %v, %v", b.String(), got, err)
		}
	}
	if _, err := ParseIPBinding("24"); err == nil {
		t.Error("ParseIPBinding accepted 24")
	}
}

// The address hint has 8 bits, so 1 address in 256 outside the binding
// shares the hint. The MAC still refuses it; only the diagnosis differs.
func TestIPHintCollision(t *testing.T) {
	r := testRing(t)
	ver := &Verifier{Ring: r}
	g := baseGrant()
	tok := must[string](t)(r.Mint("k2025a", g))
	want := ipHint([]byte("203.0.113.0/24"))
	var other string
	for i := 0; i < 256*256 && other == ""; i++ {
		ip := fmt.Sprintf("198.%d.%d.1", i/256, i%256)
		if ipHint([]byte(ip[:strings.LastIndexByte(ip, '.')]+".0/24")) == want {
			other = ip
		}
	}
	q := baseRequest()
	q.ClientIP = other
	if got := ver.Verify(tok, q).Reason; got != UserAgent {
		t.Errorf("colliding address with the user agent bound: %s, want ua (documented)", got)
	}
	g.BindUserAgent = false
	tok = must[string](t)(r.Mint("k2025a", g))
	if got := ver.Verify(tok, q).Reason; got != BadMAC {
		t.Errorf("colliding address, user agent unbound: %s, want bad_mac (documented)", got)
	}
}

// Verify allocates only to copy the session id and the data out.
func TestVerifyAllocations(t *testing.T) {
	r := testRing(t)
	ver := &Verifier{Ring: r}
	for _, tc := range []struct {
		name   string
		mod    func(*Grant)
		req    func(*Request)
		allocs float64
	}{
		{"session id and data", func(*Grant) {}, nil, 2},
		{"neither", func(g *Grant) { g.SessionID, g.Data = "", "" }, nil, 0},
		{"ipv6 subnet", func(g *Grant) { g.ClientIP = "2001:db8:1:2::77"; g.SessionID, g.Data = "", "" }, func(q *Request) { q.ClientIP = "2001:db8:1:2::1" }, 0},
		{"refused (bad mac)", func(g *Grant) {}, func(q *Request) { q.ClientIP = "192.0.2.1" }, 0},
	} {
		g := baseGrant()
		tc.mod(&g)
		tok := must[string](t)(r.Mint("k2025a", g))
		req := baseRequest()
		if tc.req != nil {
			tc.req(&req)
		}
		ver.Verify(tok, req) // warm the pool
		if n := testing.AllocsPerRun(200, func() { ver.Verify(tok, req) }); n > tc.allocs {
			t.Errorf("%s: %v allocations per Verify, want at most %v", tc.name, n, tc.allocs)
		}
	}
}
