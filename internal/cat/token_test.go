package cat

import (
	"bytes"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

func TestMintVerifyRoundTrip(t *testing.T) {
	r := testRing(t)
	cases := map[string]func(*Claims){
		"base":     func(*Claims) {},
		"exp only": func(c *Claims) { *c = Claims{Expires: c.Expires} },
		"two aud":  func(c *Claims) { c.Audience = []string{"other.example.com", "media.example.com"} },
		"ipv6 prefix": func(c *Claims) {
			c.Networks = []netip.Prefix{netip.MustParsePrefix("2001:db8:1:2::/64"), netip.MustParsePrefix("203.0.113.0/24")}
		},
		"addresses": func(c *Claims) {
			c.Networks = []netip.Prefix{netip.MustParsePrefix("198.51.100.1/32"), netip.MustParsePrefix("203.0.113.7/32"), netip.MustParsePrefix("2001:db8::1/128")}
		},
		"odd prefix": func(c *Claims) {
			c.Networks = []netip.Prefix{netip.MustParsePrefix("203.0.112.0/23"), netip.MustParsePrefix("0.0.0.0/0")}
		},
		"all uri": func(c *Claims) {
			c.URI = []URIMatch{
				{ComponentScheme, MatchExact, "https"},
				{ComponentHost, MatchSuffix, ".example.com"},
				{ComponentPath, MatchPrefix, "/vod/"},
				{ComponentPath, MatchSuffix, ".ts"},
				{ComponentExtension, MatchExact, ".ts"},
			}
		},
		"renewal": func(c *Claims) {
			c.Renewal = &Renewal{Type: 2, ExpAdd: 600, Deadline: 60, HeaderName: "CTA-Common-Access-Token", HeaderParams: []string{"x=1"}}
		},
		"renewal cookie": func(c *Claims) {
			c.Renewal = &Renewal{Type: 1, ExpAdd: 1, CookieName: "CAT", CookieParams: []string{"Secure", "HttpOnly"}}
		},
		"renewal redirect": func(c *Claims) { c.Renewal = &Renewal{Type: 3, ExpAdd: 300, Code: 307} },
		"critical":         func(c *Claims) { c.Critical = []int64{keyCatu, keyCatnip, keyExp} },
		"no nbf iat":       func(c *Claims) { c.NotBefore, c.IssuedAt = time.Time{}, time.Time{} },
	}
	for name, mod := range cases {
		for _, cwt := range []bool{false, true} {
			c := baseClaims()
			mod(&c)
			tok := mint(t, r, "k2", c, MintOptions{CWTTag: cwt})
			v := baseVerifier(r)
			v.Renewal = true
			req := baseRequest()
			if c.Issuer == "" {
				v.Issuer, v.Audience = "", ""
			}
			res := v.Verify(tok, req)
			if res.Reason != OK || res.KeyID != "k2" {
				t.Errorf("%s (cwt %v): %s (kid %q)", name, cwt, res.Reason, res.KeyID)
				continue
			}
			if !reflect.DeepEqual(res.Claims, c) {
				t.Errorf("%s (cwt %v): claims\n%+v\nminted\n%+v", name, cwt, res.Claims, c)
			}
			raw, _ := b64.DecodeString(tok)
			if got := bytes.HasPrefix(raw, []byte{0xd8, 0x3d, 0xd1}); got != cwt {
				t.Errorf("%s: token starts %x; CWT tag wanted: %v", name, raw[:3], cwt)
			}
			if again := mint(t, r, "k2", c, MintOptions{CWTTag: cwt}); again != tok {
				t.Errorf("%s: minting twice gave two tokens", name)
			}
		}
	}
}

// TestMintLayout pins the bytes of a minimal token against a MAC and an
// envelope computed here by hand: 17([h'a10105', {4: h'6b31'}, payload,
// HMAC-SHA256]), payload {4: exp, 310: 1} in deterministic order.
func TestMintLayout(t *testing.T) {
	r := testRing(t)
	exp := t0.Add(time.Hour).Unix() // 1767229200 = 0x6955c710
	tok := mint(t, r, "k1", Claims{Expires: time.Unix(exp, 0)}, MintOptions{})
	payload := []byte{0xa2, 0x04, 0x1a, 0x69, 0x55, 0xc7, 0x10, 0x19, 0x01, 0x36, 0x01}
	tag := macOf(testSecret("k1", 32), []byte{0xa1, 0x01, 0x05}, payload)
	want := []byte{0xd1, 0x84, 0x43, 0xa1, 0x01, 0x05, 0xa1, 0x04, 0x42, 'k', '1', 0x4b}
	want = append(append(append(want, payload...), 0x58, 0x20), tag...)
	if got, _ := b64.DecodeString(tok); !bytes.Equal(got, want) {
		t.Fatalf("token\n%x\nwant\n%x", got, want)
	}
	if strings.ContainsAny(tok, "=+/") {
		t.Fatalf("token %q is not unpadded base64url", tok)
	}
}

func TestMintRefuses(t *testing.T) {
	r := testRing(t)
	long := strings.Repeat("a", 700)
	for name, mod := range map[string]func(*Claims){
		"no exp":          func(c *Claims) { c.Expires = time.Time{} },
		"exp before 1970": func(c *Claims) { c.Expires = time.Unix(-1, 0) },
		"exp too far":     func(c *Claims) { c.Expires = time.Unix(maxTime+1, 0) },
		"nbf at exp":      func(c *Claims) { c.NotBefore = c.Expires },
		"empty aud":       func(c *Claims) { c.Audience = []string{} },
		"bad utf8 iss":    func(c *Claims) { c.Issuer = "\xff" },
		"empty cti":       func(c *Claims) { c.ID = []byte{} },
		"long cti":        func(c *Claims) { c.ID = bytes.Repeat([]byte("x"), 65) },
		"empty catu":      func(c *Claims) { c.URI = []URIMatch{} },
		"port component":  func(c *Claims) { c.URI = []URIMatch{{2, MatchExact, "443"}} },
		"contains match":  func(c *Claims) { c.URI = []URIMatch{{ComponentPath, 3, "x"}} },
		"two exact": func(c *Claims) {
			c.URI = []URIMatch{{ComponentPath, MatchExact, "/a"}, {ComponentPath, MatchExact, "/b"}}
		},
		"empty catm":     func(c *Claims) { c.Methods = []string{} },
		"bad method":     func(c *Claims) { c.Methods = []string{"GET POST"} },
		"empty catnip":   func(c *Claims) { c.Networks = []netip.Prefix{} },
		"invalid prefix": func(c *Claims) { c.Networks = []netip.Prefix{{}} },
		"4in6 prefix":    func(c *Claims) { c.Networks = []netip.Prefix{netip.MustParsePrefix("::ffff:203.0.113.7/128")} },
		"renewal type":   func(c *Claims) { c.Renewal = &Renewal{Type: 4, ExpAdd: 60} },
		"renewal expadd": func(c *Claims) { c.Renewal = &Renewal{Type: 2} },
		"crit absent":    func(c *Claims) { c.Critical = []int64{keyCatr} },
		"crit unknown":   func(c *Claims) { c.Critical = []int64{2} },
		"crit empty":     func(c *Claims) { c.Critical = []int64{} },
		"too long":       func(c *Claims) { c.Issuer = long },
	} {
		c := baseClaims()
		mod(&c)
		if tok, err := r.Mint("k1", c, MintOptions{}); err == nil {
			t.Errorf("%s: minted %q", name, tok)
		} else if !strings.HasPrefix(err.Error(), "cat: ") {
			t.Errorf("%s: error %q does not name the package", name, err)
		}
	}
	if _, err := r.Mint("nope", baseClaims(), MintOptions{}); err == nil {
		t.Error("minted with a key not in the ring")
	}
	// The size limit is on the base64url text: a token of just under 1024
	// characters mints, one more byte of claims does not.
	c := Claims{Expires: t0.Add(time.Hour)}
	n := 0
	for ; ; n++ {
		c.Issuer = strings.Repeat("i", n)
		if _, err := r.Mint("k1", c, MintOptions{}); err != nil {
			break
		}
	}
	c.Issuer = strings.Repeat("i", n-1)
	if tok := mint(t, r, "k1", c, MintOptions{}); len(tok) > MaxTokenLen || len(tok) < MaxTokenLen-3 {
		t.Fatalf("the longest token mintable has %d characters", len(tok))
	}
}

func TestNewRingRefuses(t *testing.T) {
	for name, keys := range map[string][]Key{
		"none":         nil,
		"short secret": {{ID: "k1", Secret: make([]byte, 31)}},
		"bad kid":      {{ID: "k 1", Secret: make([]byte, 32)}},
		"long kid":     {{ID: strings.Repeat("k", 33), Secret: make([]byte, 32)}},
		"duplicate":    {{ID: "k1", Secret: make([]byte, 32)}, {ID: "k1", Secret: make([]byte, 40)}},
		"alg 4":        {{ID: "k1", Secret: make([]byte, 32), Alg: 4}},
		"es256":        {{ID: "k1", Secret: make([]byte, 32), Alg: -7}},
	} {
		if _, err := NewRing(keys...); err == nil {
			t.Errorf("%s: NewRing accepted %+v", name, keys)
		}
	}
	secret := testSecret("k1", 32)
	r, err := NewRing(Key{ID: "k1", Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	tok := mint(t, r, "k1", baseClaims(), MintOptions{})
	secret[0] ^= 1 // the ring copied the secret
	if res := baseVerifier(r).Verify(tok, baseRequest()); res.Reason != OK {
		t.Fatalf("after the caller reused its secret: %s", res.Reason)
	}
}

// TestVerifyEnvelope feeds envelopes built by hand, each wrong in one way.
func TestVerifyEnvelope(t *testing.T) {
	r := testRing(t)
	v := &Verifier{Ring: r}
	req := Request{Now: t0}
	payload := mustCBOR(t, map[int64]any{keyExp: t0.Add(time.Hour).Unix()})
	p5 := []byte{0xa1, 0x01, 0x05}
	k1 := map[int64][]byte{4: []byte("k1")}
	sec := testSecret("k1", 32)
	good := macOf(sec, p5, payload)
	env := func(protected []byte, unprotected any, tag []byte) string {
		return rawToken(t, protected, unprotected, payload, tag, false)
	}
	withMAC := func(protected []byte, unprotected any) string {
		return env(protected, unprotected, macOf(sec, protected, payload))
	}
	enc := func(v any) string { return b64.EncodeToString(mustCBOR(t, v)) }
	encRaw := func(b []byte) string { return b64.EncodeToString(b) }
	goodRaw, _ := b64.DecodeString(env(p5, k1, good))
	cases := []struct {
		name string
		tok  string
		want Reason
	}{
		{"good", env(p5, k1, good), OK},
		{"good, kid protected", withMAC(mustCBOR(t, map[int64]any{1: 5, 4: []byte("k1")}), map[int64]any{}), OK},
		{"good, CWT tag", rawToken(t, p5, k1, payload, good, true), OK},
		{"empty", "", Missing},
		{"not base64url", "a+b/", Malformed},
		{"padded", env(p5, k1, good) + "=", Malformed},
		{"newline", env(p5, k1, good)[:10] + "\n" + env(p5, k1, good)[10:], Malformed},
		{"spare bits", env(p5, k1, good)[:len(env(p5, k1, good))-1] + "B", Malformed},
		{"too long", strings.Repeat("A", MaxTokenLen+1), Malformed},
		{"not a tag", enc([]any{p5, k1, payload, good}), Malformed},
		{"tag 16", enc(cbor.Tag{Number: 16, Content: []any{p5, k1, payload, good}}), Malformed},
		{"tag 18 (Sign1)", enc(cbor.Tag{Number: 18, Content: []any{p5, k1, payload, good}}), Malformed},
		{"61 alone", enc(cbor.Tag{Number: 61, Content: []any{p5, k1, payload, good}}), Malformed},
		{"61 61 17", enc(cbor.Tag{Number: 61, Content: cbor.Tag{Number: 61, Content: cbor.Tag{Number: 17, Content: []any{p5, k1, payload, good}}}}), Malformed},
		{"17 around map", enc(cbor.Tag{Number: 17, Content: map[int64]any{1: p5}}), Malformed},
		{"3 parts", enc(cbor.Tag{Number: 17, Content: []any{p5, k1, payload}}), Malformed},
		{"5 parts", enc(cbor.Tag{Number: 17, Content: []any{p5, k1, payload, good, []byte{}}}), Malformed},
		{"protected not bstr", enc(cbor.Tag{Number: 17, Content: []any{map[int64]int64{1: 5}, k1, payload, good}}), Malformed},
		{"payload nil (detached)", enc(cbor.Tag{Number: 17, Content: []any{p5, k1, nil, good}}), Malformed},
		{"payload empty", enc(cbor.Tag{Number: 17, Content: []any{p5, k1, []byte{}, good}}), Malformed},
		{"payload text", enc(cbor.Tag{Number: 17, Content: []any{p5, k1, string(payload), good}}), Malformed},
		{"tag text", enc(cbor.Tag{Number: 17, Content: []any{p5, k1, payload, string(good)}}), Malformed},
		{"unprotected array", enc(cbor.Tag{Number: 17, Content: []any{p5, []any{}, payload, good}}), Malformed},
		{"protected crit", withMAC(mustCBOR(t, map[int64]any{1: 5, 2: []int64{4}}), k1), Malformed},
		{"protected content type", withMAC(mustCBOR(t, map[int64]any{1: 5, 3: 60}), k1), Malformed},
		{"protected trailing byte", withMAC([]byte{0xa1, 0x01, 0x05, 0x00}, k1), Malformed},
		{"protected duplicate alg", withMAC([]byte{0xa2, 0x01, 0x05, 0x01, 0x05}, k1), Malformed},
		{"protected indefinite map", withMAC([]byte{0xbf, 0x01, 0x05, 0xff}, k1), Malformed},
		{"unprotected alg", withMAC(p5, map[int64]any{1: 5, 4: []byte("k1")}), Malformed},
		{"unprotected iv", withMAC(p5, map[int64]any{4: []byte("k1"), 5: []byte{1}}), Malformed},
		{"kid text", withMAC(p5, map[int64]any{4: "k1"}), Malformed},
		{"kid in both", withMAC(mustCBOR(t, map[int64]any{1: 5, 4: []byte("k1")}), k1), Malformed},
		{"no kid", withMAC(p5, map[int64]any{}), UnknownKey},
		{"unknown kid", withMAC(p5, map[int64][]byte{4: []byte("k9")}), UnknownKey},
		{"binary kid", withMAC(p5, map[int64][]byte{4: {0xff, 0x00}}), UnknownKey},
		{"alg 4", withMAC([]byte{0xa1, 0x01, 0x04}, k1), WrongAlg},
		{"alg -7", withMAC([]byte{0xa1, 0x01, 0x26}, k1), WrongAlg},
		{`alg "5"`, withMAC(mustCBOR(t, map[int64]any{1: "5"}), k1), WrongAlg},
		{"no alg", withMAC([]byte{}, k1), WrongAlg},
		{"empty map protected (RFC 9052 wants a zero-length bstr)", withMAC([]byte{0xa0}, k1), Malformed},
		{"alg 5 spelt long", withMAC([]byte{0xa1, 0x01, 0x18, 0x05}, k1), OK},
		{"tag cut to 8 bytes", env(p5, k1, good[:8]), BadMAC},
		{"tag one byte longer", env(p5, k1, append(slices.Clone(good), 0)), BadMAC},
		{"tag of another key", env(p5, k1, macOf(testSecret("k2", 48), p5, payload)), BadMAC},
		{"tag over another protected", env(p5, k1, macOf(sec, []byte{0xa1, 0x01, 0x18, 0x05}, payload)), BadMAC},
		{"trailing byte", encRaw(append(slices.Clone(goodRaw), 0x00)), Malformed},
		{"indefinite array", encRaw(append(append([]byte{0xd1, 0x9f}, goodRaw[2:]...), 0xff)), Malformed},
	}
	for _, c := range cases {
		if got := v.Verify(c.tok, req); got.Reason != c.want {
			t.Errorf("%s: %s, want %s", c.name, got.Reason, c.want)
		}
	}
	if got := (&Verifier{}).Verify(env(p5, k1, good), req).Reason; got != UnknownKey {
		t.Errorf("a verifier without a ring: %s, want unknown_kid", got)
	}
}

// TestVerifyKeyID: the result names the kid only when it is a valid key
// id, so an attacker's bytes never reach a log line.
func TestVerifyKeyID(t *testing.T) {
	r := testRing(t)
	payload := mustCBOR(t, map[int64]any{keyExp: t0.Add(time.Hour).Unix()})
	p5 := []byte{0xa1, 0x01, 0x05}
	for kid, want := range map[string]string{"k1": "k1", "k9": "k9", "k\n1": "", "": ""} {
		tok := rawToken(t, p5, map[int64][]byte{4: []byte(kid)}, payload, macOf(testSecret("k1", 32), p5, payload), false)
		if got := (&Verifier{Ring: r}).Verify(tok, Request{Now: t0}); got.KeyID != want {
			t.Errorf("kid %q: result names %q", kid, got.KeyID)
		}
	}
}

// TestTamper alters every byte of genuine tokens in every way a single
// bit or a whole-byte flip can: none is accepted, none panics, and each
// verdict is a refusal of a kind Verify reports.
func TestTamper(t *testing.T) {
	r := testRing(t)
	v := baseVerifier(r)
	v.Renewal = true
	c := baseClaims()
	c.Renewal = &Renewal{Type: 2, ExpAdd: 60}
	c.Critical = []int64{keyCatu}
	for _, cwt := range []bool{false, true} {
		tok := mint(t, r, "k1", c, MintOptions{CWTTag: cwt})
		if res := v.Verify(tok, baseRequest()); res.Reason != OK {
			t.Fatalf("untouched: %s", res.Reason)
		}
		raw, _ := b64.DecodeString(tok)
		seen := map[Reason]int{}
		for i := range raw {
			for _, x := range []byte{1, 2, 4, 8, 16, 32, 64, 128, 0xff} {
				b := slices.Clone(raw)
				b[i] ^= x
				got := v.Verify(b64.EncodeToString(b), baseRequest()).Reason
				if got == OK || got == Missing || got.String() == "unknown" {
					t.Fatalf("byte %d ^ %#x: %s", i, x, got)
				}
				seen[got]++
			}
		}
		for i := range tok {
			for _, ch := range []byte{'A', '_', '0'} {
				if tok[i] == ch {
					continue
				}
				b := []byte(tok)
				b[i] = ch
				if got := v.Verify(string(b), baseRequest()).Reason; got == OK {
					t.Fatalf("character %d = %c: accepted", i, ch)
				}
			}
		}
		for i := 1; i < len(tok); i++ { // every truncation
			if got := v.Verify(tok[:i], baseRequest()).Reason; got == OK {
				t.Fatalf("truncated to %d: accepted", i)
			}
		}
		t.Logf("cwt %v: %d bytes, verdicts %v", cwt, len(raw), seen)
	}
}

// TestReasonCodes: codes are unique, the ones ss1 has mean the same and
// are spelt the same, and the others are CAT's own.
func TestReasonCodes(t *testing.T) {
	ss1 := map[string]bool{}
	for _, r := range streamkey.Reasons() {
		ss1[r.String()] = true
	}
	catOnly := map[string]bool{"alg": true, "unsupported": true, "iss": true, "aud": true, "scheme": true, "method": true}
	seen := map[string]bool{}
	for _, r := range Reasons() {
		code := r.String()
		if seen[code] || code == "" || code == "unknown" {
			t.Errorf("reason %d has code %q", r, code)
		}
		seen[code] = true
		if ss1[code] == catOnly[code] {
			t.Errorf("code %q: in ss1 %v, listed as CAT's own %v", code, ss1[code], catOnly[code])
		}
	}
	for _, want := range []string{"missing", "malformed", "unknown_kid", "bad_mac", "expired", "not_yet_valid", "lifetime", "path", "host", "ip"} {
		if !seen[want] {
			t.Errorf("no reason %q, which ss1 has", want)
		}
	}
	if Reason(200).String() != "unknown" {
		t.Error("an out-of-range reason has a code")
	}
	res := Result{Reason: BadMAC, KeyID: "k1"}
	if res.OK() || res.Err() == nil || !strings.Contains(res.Err().Error(), "bad_mac (kid k1)") {
		t.Errorf("Err = %v", res.Err())
	}
	if (Result{}).Err() != nil {
		t.Error("an accepted token has an error")
	}
}

// TestVerifyResultClaims: claims come back only from a genuine token whose
// claims decoded without fault, and a zero Request.Now means now.
func TestVerifyResultClaims(t *testing.T) {
	r := testRing(t)
	v := &Verifier{Ring: r}
	exp := t0.Add(time.Hour).Unix()
	bad := signClaims(t, map[int64]any{keyExp: exp, keyIss: "x", 999: 1})
	if res := v.Verify(bad, baseRequest()); res.Reason != Unsupported || !reflect.DeepEqual(res.Claims, Claims{}) {
		t.Errorf("unsupported claim: %s, claims %+v", res.Reason, res.Claims)
	}
	expired := signClaims(t, map[int64]any{keyExp: exp, keyIss: "x"})
	if res := v.Verify(expired, Request{Now: t0.Add(2 * time.Hour)}); res.Reason != Expired || res.Claims.Issuer != "x" {
		t.Errorf("expired: %s, claims %+v", res.Reason, res.Claims)
	}
	fresh := mint(t, r, "k1", Claims{Expires: time.Now().Add(time.Hour)}, MintOptions{})
	if res := v.Verify(fresh, Request{}); res.Reason != OK {
		t.Errorf("a fresh token with Now unset: %s", res.Reason)
	}
	stale := mint(t, r, "k1", Claims{Expires: t0.Add(time.Hour)}, MintOptions{}) // 2026-01-01
	if res := v.Verify(stale, Request{}); res.Reason != Expired {
		t.Errorf("a 2026 token with Now unset: %s", res.Reason)
	}
}
