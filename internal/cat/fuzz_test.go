package cat

import (
	"net/netip"
	"slices"
	"testing"
	"time"
)

// FuzzVerify: whatever it is fed, Verify never panics, gives the same
// verdict twice, reports a reason of its own, and accepts nothing whose
// (kid, payload) was not minted here. The envelope outside the MAC (tags,
// the kid bucket, how long a length is spelt) may vary without changing
// what a token says, so acceptance is judged on what the MAC covers.
func FuzzVerify(f *testing.F) {
	r := testRing(f)
	v := baseVerifier(r)
	v.Renewal = true
	minted := map[string]bool{}
	var seeds []string
	mods := []func(*Claims){
		func(*Claims) {},
		func(c *Claims) { c.Renewal = &Renewal{Type: 2, ExpAdd: 60}; c.Critical = []int64{keyCatr} },
		func(c *Claims) { c.Networks = []netip.Prefix{netip.MustParsePrefix("2001:db8::/32")} },
		func(c *Claims) { c.URI, c.Methods = nil, nil },
	}
	for _, kid := range []string{"k1", "k2"} {
		for _, mod := range mods {
			for _, cwt := range []bool{false, true} {
				c := baseClaims()
				mod(&c)
				tok := mint(f, r, kid, c, MintOptions{CWTTag: cwt})
				env, _ := parseEnvelope(tok)
				minted[kid+"\x00"+string(env.payload)] = true
				seeds = append(seeds, tok)
			}
		}
	}
	q := baseRequest()
	for _, tok := range seeds {
		f.Add(tok, q.Scheme, q.Host, q.Path, q.Method, q.ClientIP, q.Now.Unix())
	}
	f.Add(seeds[0], "http", "MEDIA.example.com:80", "/vod/movie-42/../x", "POST", "2001:db8::1", q.Now.Unix()+7200)
	f.Add(akamaiExpired, "", "", "", "", "", int64(1742159861))
	f.Add(signClaims(f, map[int64]any{keyExp: q.Now.Unix() + 60, keyCatu: map[int64]any{3: map[int64]any{1: "/"}}}), "https", "h", "/a", "GET", "::1", q.Now.Unix())
	f.Add("2D3R", "", "", "/", "", "", int64(0))
	f.Add("", "", "", "", "", "", int64(-1))
	f.Fuzz(func(t *testing.T, tok, scheme, host, path, method, ip string, now int64) {
		req := Request{Now: time.Unix(now, 0), Scheme: scheme, Host: host, Path: path, Method: method, ClientIP: ip}
		res := v.Verify(tok, req)
		if res.Reason.String() == "unknown" || (res.Reason == Missing) != (tok == "") {
			t.Fatalf("Verify returned reason %d", res.Reason)
		}
		again := v.Verify(tok, req)
		if again.Reason != res.Reason || again.KeyID != res.KeyID {
			t.Fatalf("Verify is not deterministic: %v then %v", res.Reason, again.Reason)
		}
		if res.Reason == OK {
			env, why := parseEnvelope(tok)
			if why != OK || !minted[string(env.kid)+"\x00"+string(env.payload)] {
				t.Fatalf("FORGERY: token %q was never minted but verifies for %+v", tok, req)
			}
		}
	})
}

// FuzzDecodeClaims feeds the claims decoder payloads directly, as
// FuzzVerify cannot past the MAC: it never panics, gives the same verdict
// twice and a claims reason, and a payload it reads becomes malformed
// once its first key is put under a tag (which the edge refuses, and the
// CBOR decoder alone would pass over).
func FuzzDecodeClaims(f *testing.F) {
	exp := t0.Add(time.Hour).Unix()
	for _, m := range []map[int64]any{
		{keyExp: exp},
		{keyExp: exp, keyCatu: map[int64]map[int64]string{3: {1: "/vod/"}}},
		{keyExp: exp, keyCatr: map[int64]any{0: 2, 1: 60}, keyCrit: []int64{keyCatr}},
		{-1: 1, keyExp: exp},
	} {
		f.Add(mustCBOR(f, m))
	}
	f.Add([]byte{0xa0})
	f.Add([]byte{0xb8, 0x01, 0x04, 0x1a, 0x69, 0x55, 0xc7, 0x10})
	f.Add([]byte{0xa1, 0xd9, 0x03, 0xe8, 0x04, 0x1a, 0x69, 0x55, 0xc7, 0x10})
	f.Fuzz(func(t *testing.T, payload []byte) {
		_, why := decodeClaims(payload, true)
		if _, again := decodeClaims(payload, true); again != why {
			t.Fatalf("not deterministic: %s then %s", why, again)
		}
		if why != OK && why != Malformed && why != Unsupported {
			t.Fatalf("reason %s is no claims reason", why)
		}
		if why != OK || len(payload) < 2 {
			return // {} has no key to tag
		}
		head := 1
		if ai := payload[0] & 31; ai >= 24 {
			head += 1 << (ai - 24)
		}
		tagged := append(append(slices.Clip(payload[:head]), 0xd9, 0x03, 0xe8), payload[head:]...) // tag 1000
		if _, why := decodeClaims(tagged, true); why != Malformed {
			t.Fatalf("% x read, but with its first key tagged it is %s, not malformed", payload, why)
		}
	})
}
