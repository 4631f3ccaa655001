package edgefunc

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/securestream/terraform-provider-securestream/internal/cat"
	"github.com/securestream/terraform-provider-securestream/internal/cfruntime"
	"github.com/securestream/terraform-provider-securestream/internal/issuance"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey/seed"
	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

// catVectors are package cat's known-good vectors (its testdata), which
// hold at the edge as in Go.
type catVectors struct {
	KeyHex        string `json:"key_hex"`
	AkamaiKid     string `json:"akamai_kid"`
	AkamaiExpired string `json:"akamai_expired"`
	AkamaiExp     int64  `json:"akamai_expired_exp"`
	AkamaiNoExp   string `json:"akamai_no_exp"`
	AkamaiNoExpAt int64  `json:"akamai_no_exp_iat"`
	A4Kid         string `json:"rfc8392_a4_kid"`
	A4Hex         string `json:"rfc8392_a4_hex"`
}

func loadCATVectors(t testing.TB) (catVectors, []byte) {
	t.Helper()
	var v catVectors
	testenv.ReadJSON(t, filepath.Join("..", "cat", "testdata", "vectors.json"), &v)
	key, err := hex.DecodeString(v.KeyHex)
	if err != nil {
		t.Fatal(err)
	}
	return v, key
}

var b64url = base64.RawURLEncoding

// catEvent is a GET of uri from ip with tok in the default CAT header,
// over https as CloudFront tells the function.
func catEvent(uri, ip, tok string, more ...[2]string) *cfruntime.Event {
	h := append([][2]string{{"host", "media.example.com"}, {"cloudfront-forwarded-proto", "https"},
		{issuance.DefaultCATChannels().Header, tok}}, more...)
	return newEvent("GET", uri, ip, h, nil, nil)
}

// TestCATVectors: the Akamai-minted HS256 tokens have a valid MAC at the
// edge and are refused as expired (the one without exp as lifetime, as
// package cat refuses it), the first accepted a second before its exp;
// with their MAC altered they are bad_mac; RFC 8392 A.4 (alg 4) is alg.
func TestCATVectors(t *testing.T) {
	v, key := loadCATVectors(t)
	cfg := Config{Format: issuance.FormatCAT, Keys: []Key{{ID: v.AkamaiKid, Secret: key}, {ID: v.A4Kid, Secret: key}}}
	e := newEngines(t, cfg)
	a4, err := hex.DecodeString(v.A4Hex)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(tok string) string {
		raw, _ := b64url.DecodeString(tok)
		raw[len(raw)-1] ^= 1
		return b64url.EncodeToString(raw)
	}
	now := time.Unix(1_767_225_600, 0)
	for _, c := range []struct {
		name, tok string
		now       time.Time
		want      string
	}{
		{"akamai expired", v.AkamaiExpired, now, "expired"},
		{"akamai expired, at exp", v.AkamaiExpired, time.Unix(v.AkamaiExp, 0), "expired"},
		{"akamai, a second before exp", v.AkamaiExpired, time.Unix(v.AkamaiExp-1, 0), "allow"},
		{"akamai expired, MAC altered", flip(v.AkamaiExpired), now, "bad_mac"},
		{"akamai without exp", v.AkamaiNoExp, now, "lifetime"},
		{"akamai without exp, at issue", v.AkamaiNoExp, time.Unix(v.AkamaiNoExpAt, 0), "lifetime"},
		{"akamai without exp, MAC altered", flip(v.AkamaiNoExp), now, "bad_mac"},
		{"RFC 8392 A.4", b64url.EncodeToString(a4), time.Unix(1444000000, 0), "alg"},
	} {
		if got := e.check(t, c.name, catEvent("/vod/movie-1/seg_00001.ts", "203.0.113.9", c.tok), c.now); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

// sealCAT makes a COSE_Mac0 of any protected header, unprotected header
// and payload bytes, HMAC-SHA256 over the MAC_structure with secret (nil:
// a tag of 32 zero bytes), as a key holder (or a forger) could.
func sealCAT(secret, protected []byte, unprotected any, payload []byte, cwtTag bool) string {
	structure, err := cbor.Marshal([]any{"MAC0", protected, []byte{}, payload})
	if err != nil {
		panic(err)
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write(structure)
	tag := mac.Sum(nil)
	if secret == nil {
		tag = make([]byte, 32)
	}
	var msg any = cbor.Tag{Number: 17, Content: []any{protected, unprotected, payload, tag}}
	if cwtTag {
		msg = cbor.Tag{Number: 61, Content: msg}
	}
	raw, err := cbor.Marshal(msg)
	if err != nil {
		panic(err)
	}
	return b64url.EncodeToString(raw)
}

func mustCBOR(v any) []byte {
	em, err := cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		panic(err)
	}
	b, err := em.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// hs256 is the protected header {1: 5}.
var hs256 = []byte{0xa1, 0x01, 0x05}

// catConfigs are the CAT differential test's configurations: the default
// channels; seed compatibility, precise reasons and a lifetime of 6 h; and
// channels of its own with an allowed-origins list and no leeway.
func catConfigs() []Config {
	keys := testKeys()
	base := Config{Format: issuance.FormatCAT, Keys: keys[:2], Exempt: []string{"/favicon.ico"}}
	withSeed := base
	withSeed.Keys, withSeed.SeedKeyID = keys, "legacy"
	withSeed.DebugReasons, withSeed.MaxLifetime, withSeed.Leeway = true, 6*time.Hour, 30*time.Second
	own := base
	own.Channels = issuance.Channels{Header: "x-cat", Query: "token", Cookie: "cat"}
	own.CORSOrigins, own.Leeway = []string{"https://player.example.com"}, NoLeeway
	return []Config{base, withSeed, own}
}

// catGen generates CATs and requests for the differential test.
type catGen struct {
	rng      *rand.Rand
	ring     *cat.Ring // the edge keys and one no edge has
	seedRing *streamkey.Ring
	secret   map[string][]byte
}

func newCATGen(t testing.TB, seed uint64) *catGen {
	keys := testKeys()
	g := &catGen{rng: rand.New(rand.NewPCG(seed, 24)), secret: map[string][]byte{}}
	var ck []cat.Key
	for _, k := range []Key{keys[0], keys[1], {ID: "k2025z", Secret: []byte("a-key-that-no-edge-function-has!")}, {ID: "legacy", Secret: keys[2].Secret}} {
		ck = append(ck, cat.Key{ID: k.ID, Secret: k.Secret})
		g.secret[k.ID] = k.Secret
	}
	var err error
	if g.ring, err = cat.NewRing(ck...); err != nil {
		t.Fatal(err)
	}
	_, g.seedRing = differentialRings(t)
	return g
}

func (g *catGen) pick(xs ...string) string { return xs[g.rng.IntN(len(xs))] }
func (g *catGen) one(n int) bool           { return g.rng.IntN(n) == 0 }

// claims draws a claim set for a viewer at client, for /vod/<title>/.
func (g *catGen) claims(now time.Time, title string, client netip.Addr) cat.Claims {
	c := cat.Claims{Expires: now.Add(time.Duration(60+g.rng.IntN(7200)) * time.Second)}
	if g.one(2) {
		c.NotBefore = now.Add(-time.Duration(g.rng.IntN(60)) * time.Second)
	}
	if g.one(2) {
		c.IssuedAt = now.Add(-time.Duration(g.rng.IntN(60)) * time.Second)
	}
	if g.one(3) {
		c.Issuer = g.pick("https://issuer.example.com", "securestream")
	}
	if g.one(20) {
		c.Audience = [][]string{{"cdn"}, {"cdn", "player"}}[g.rng.IntN(2)]
	}
	switch g.rng.IntN(4) {
	case 0:
		c.ID = []byte(fmt.Sprintf("s%d", g.rng.IntN(1e6)))
	case 1:
		c.ID = []byte{0xff, byte(g.rng.IntN(256)), 0x00} // not a session id: never looked up
	}
	if !g.one(4) {
		var u []cat.URIMatch
		if g.one(2) {
			u = append(u, cat.URIMatch{Component: cat.ComponentScheme, Type: cat.MatchType(g.rng.IntN(2)), Value: g.pick("https", "HTTPS", "http")})
		}
		if g.one(2) {
			typ := cat.MatchType(g.rng.IntN(3))
			val := map[cat.MatchType]string{cat.MatchExact: g.pick("media.example.com", "MEDIA.example.COM"), cat.MatchPrefix: "media.", cat.MatchSuffix: ".example.com"}[typ]
			u = append(u, cat.URIMatch{Component: cat.ComponentHost, Type: typ, Value: val})
		}
		switch g.rng.IntN(3) {
		case 0:
			u = append(u, cat.URIMatch{Component: cat.ComponentPath, Type: cat.MatchPrefix, Value: "/vod/" + title + "/"})
		case 1:
			u = append(u, cat.URIMatch{Component: cat.ComponentPath, Type: cat.MatchPrefix, Value: "/vod/" + title + "/"},
				cat.URIMatch{Component: cat.ComponentPath, Type: cat.MatchSuffix, Value: ".ts"})
		}
		if g.one(3) {
			u = append(u, cat.URIMatch{Component: cat.ComponentExtension, Type: cat.MatchExact, Value: g.pick(".ts", ".m3u8", "")})
		}
		if len(u) > 0 {
			c.URI = u
		}
	}
	if g.one(3) {
		c.Methods = [][]string{{"GET", "HEAD"}, {"GET"}, {"POST"}}[g.rng.IntN(3)]
	}
	if g.one(2) {
		bits := []int{32, 24, 16, 0}
		if client.Is6() {
			bits = []int{128, 64, 56, 48, 0}
		}
		p, _ := client.Prefix(bits[g.rng.IntN(len(bits))])
		c.Networks = []netip.Prefix{p}
		if g.one(3) {
			c.Networks = append([]netip.Prefix{netip.MustParsePrefix(g.pick("198.51.100.0/24", "2001:db8:ffff::/48", "192.0.2.7/32"))}, p)
		}
	}
	if g.one(6) {
		c.Critical = []int64{4}
		if c.URI != nil && g.one(2) {
			c.Critical = append(c.Critical, 312)
		}
	}
	return c
}

// oddToken is a genuine token (the key holder's MAC) with claims or an
// envelope package cat does not mint: unknown claims, crit, catr, bad
// types, floats, tags, text and tagged keys, truncated prefixes, alg 4,
// kid in the protected header, an empty claims map, duplicate keys.
func (g *catGen) oddToken(kid string, now time.Time) (string, string) {
	secret := g.secret[kid]
	exp := uint64(now.Add(time.Hour).Unix())
	payload := map[any]any{uint64(4): exp}
	seal := func(p map[any]any) string {
		raw, err := cat.SealMac0(cat.Mac0{Protected: map[any]any{uint64(1): uint64(5)}, Unprotected: map[any]any{uint64(4): []byte(kid)}, Payload: p}, secret, g.one(2))
		if err != nil {
			panic(err)
		}
		return b64url.EncodeToString(raw)
	}
	unprot := map[int64][]byte{4: []byte(kid)}
	switch k := g.rng.IntN(23); k {
	case 0:
		payload[uint64(2)] = "sub"
		return "unknown claim", seal(payload)
	case 1:
		payload[uint64(323)] = map[any]any{uint64(0): uint64(2), uint64(1): uint64(60)}
		return "catr", seal(payload)
	case 2:
		payload[uint64(45)] = []any{[]uint64{4, 5, 2, 45, 323}[g.rng.IntN(5)]}
		return "crit", seal(payload)
	case 3:
		payload[uint64(4)] = float64(exp)
		return "float exp", seal(payload)
	case 4:
		payload[uint64(310)] = uint64(g.rng.IntN(3))
		return "catv", seal(payload)
	case 5:
		payload[uint64(311)] = []any{cbor.Tag{Number: 52, Content: []any{uint64(24), []byte{203, 0, 113}}}}
		return "truncated prefix", seal(payload)
	case 6:
		payload[uint64(311)] = []any{cbor.Tag{Number: []uint64{52, 54}[g.rng.IntN(2)], Content: []byte{203, 0, 113, 9}}}
		return "catnip tag and size", seal(payload)
	case 7:
		payload[uint64(311)] = []any{uint64(64496)}
		return "catnip AS number", seal(payload)
	case 8:
		payload[uint64(312)] = map[any]any{uint64(g.rng.IntN(10)): map[any]any{uint64(g.rng.IntN(5)): "/vod/"}}
		return "catu component and match", seal(payload)
	case 9:
		payload["4"] = exp
		delete(payload, uint64(4))
		return "text key", seal(payload)
	case 10:
		payload[uint64(1)] = cbor.Tag{Number: 32, Content: "https://issuer.example.com"}
		return "tagged iss", seal(payload)
	case 11:
		payload[uint64(7)] = []byte{}
		return "empty cti", seal(payload)
	case 12:
		payload[uint64(313)] = []any{"GET", g.pick("G T", "", "HEAD")}
		return "catm", seal(payload)
	case 13:
		payload[uint64(3)] = g.pick("x", "")
		return "aud", seal(payload)
	case 14:
		return "empty claims", seal(map[any]any{})
	case 15:
		return "alg 4", sealCAT(secret, []byte{0xa1, 0x01, 0x04}, unprot, mustCBOR(payload), g.one(2))
	case 16:
		return "kid protected", sealCAT(secret, mustCBOR(map[int64]any{1: 5, 4: []byte(kid)}), map[int64]any{}, mustCBOR(payload), g.one(2))
	case 17:
		return "kid twice", sealCAT(secret, mustCBOR(map[int64]any{1: 5, 4: []byte(kid)}), unprot, mustCBOR(payload), false)
	case 18:
		// Duplicate claim keys: a4 04 1a.. 04 1a.. (two exp).
		p := append([]byte{0xa2}, append(mustCBOR(uint64(4)), mustCBOR(exp)...)...)
		p = append(p, append(mustCBOR(uint64(4)), mustCBOR(exp+1)...)...)
		return "duplicate claim", sealCAT(secret, hs256, unprot, p, false)
	case 19:
		payload[uint64(5)] = -int64(g.rng.IntN(5)) - 1
		return "negative nbf", seal(payload)
	case 20:
		return "no alg", sealCAT(secret, []byte{}, unprot, mustCBOR(payload), false)
	case 21:
		// A key under a tag, in the claims map or in catu's: malformed
		// in Go and at the edge alike.
		tagged := func(k uint64) cbor.Tag { return cbor.Tag{Number: []uint64{1000, 32, 55799}[g.rng.IntN(3)], Content: k} }
		if g.one(2) {
			delete(payload, uint64(4))
			payload[tagged(4)] = exp
		} else {
			payload[uint64(312)] = map[any]any{uint64(3): map[any]any{tagged(1): "/vod/"}}
			if g.one(2) {
				payload[uint64(312)] = map[any]any{tagged(3): map[any]any{uint64(1): "/vod/"}}
			}
		}
		return "tagged key", sealCAT(secret, hs256, unprot, mustCBOR(payload), g.one(2))
	default:
		payload[uint64(311)] = []any{cbor.Tag{Number: 54, Content: []any{uint64(g.rng.IntN(130)), []byte{0x20, 0x01, 0x0d, 0xb8}}}}
		return "IPv6 prefix", seal(payload)
	}
}

// request draws a request for a token: honest, or with one mutation of
// the token or the request.
func (g *catGen) request(cfg Config, t0 time.Time) generated {
	now := t0.Add(time.Duration(g.rng.IntN(86400)) * time.Second).Add(time.Duration(g.rng.IntN(1000)) * time.Millisecond)
	title := fmt.Sprintf("movie-%d", g.rng.IntN(20))
	path := fmt.Sprintf("/vod/%s/%s/seg_%05d.%s", title, g.pick("1080p", "audio"), g.rng.IntN(2000), g.pick("ts", "ts", "m3u8"))
	var client netip.Addr
	if g.one(2) {
		client = netip.AddrFrom4([4]byte{203, 0, byte(g.rng.IntN(3)), byte(g.rng.IntN(256))})
	} else {
		client = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, byte(g.rng.IntN(2)), 0, byte(g.rng.IntN(2)), 0, 0, 0, byte(g.rng.IntN(2)), 0, 0, byte(g.rng.IntN(256)), byte(g.rng.IntN(256))})
	}
	c := g.claims(now, title, client)
	kid := g.pick("k2026a", "k2026a", "k2026b", "k2026b", "k2025z", "legacy") // legacy: the seed secret, never a CAT key
	tok, err := g.ring.Mint(kid, c, cat.MintOptions{CWTTag: g.one(2)})
	if err != nil {
		panic(err)
	}
	ip, host, method, proto := spellIP(g.rng, client), "media.example.com", "GET", "https"
	kind := "honest"
	var extra [][2]string
	switch g.rng.IntN(17) {
	case 0, 1:
	case 2:
		kind, now = "expired", c.Expires.Add(time.Duration(g.rng.IntN(100))*time.Second)
	case 3:
		if !c.NotBefore.IsZero() {
			kind, now = "early", c.NotBefore.Add(-time.Duration(g.rng.IntN(90))*time.Second)
		}
	case 4:
		kind, now = "lifetime", c.Expires.Add(-cfg.MaxLifetime-time.Duration(g.rng.IntN(86400))*time.Second)
	case 5, 6:
		kind = "bit flip"
		raw, _ := b64url.DecodeString(tok)
		raw[g.rng.IntN(len(raw))] ^= 1 << g.rng.IntN(8)
		tok = b64url.EncodeToString(raw)
	case 7:
		kind = "truncated or extended"
		raw, _ := b64url.DecodeString(tok)
		if g.one(2) {
			raw = raw[:g.rng.IntN(len(raw))]
		} else {
			raw = append(raw, byte(g.rng.IntN(256)))
		}
		tok = b64url.EncodeToString(raw)
	case 8:
		kind = "garbage"
		tok = g.pick("", "A", "AA", tok+"=", tok[:len(tok)-1], strings.Repeat("A", 1025+g.rng.IntN(100)), tok+".", "2D3R", "ss1.k2026a.x.y.z", tok+"\n")
	case 9:
		kind = "path"
		path = g.pick("/vod/movie-99/index.m3u8", "/vod/"+title+"/../x.ts", "/vod/"+title+"/%2e%2e/x.ts", "/vod/"+title+"//x.ts",
			"/vod/"+title+"/a%2fb.ts", "/vod/"+title, "/VOD/"+title+"/x.ts", "/vod/"+title+"/x.tar.ts", "/vod/"+title+"/noext", "/vod/"+title+"/.ts")
	case 10:
		kind = "host"
		host = g.pick("evil.example.net", "MEDIA.EXAMPLE.COM:443", "media.example.com.", "", "[2001:db8::1]:443", "media.example.com:x", "médiä.example.com")
	case 11:
		kind = "scheme"
		proto = g.pick("http", "HTTPS", "", "none")
	case 12:
		kind, method = "method", g.pick("HEAD", "POST", "get", "OPTIONS")
	case 13:
		kind = "address"
		ip = g.pick("198.51.100.7", "203.0.9.1", "2001:db8:ffff::1", "::1", "not-an-ip", "", "fe80::1%eth0", "::ffff:203.0.0.1", "2001:db8:1:1::1")
	case 14:
		// A seed-format key (seed compatibility works in CAT mode too),
		// sometimes beside a CAT, which wins.
		kind = "seed"
		sk, err := seed.Mint(g.seedRing, seed.Grant{PlaybackURL: "https://media.example.com/vod/" + title + "/index.m3u8",
			ClientIP: client.String(), UserAgent: "ExoPlayerLib/2.19.1", Expires: now.Add(time.Duration(g.rng.IntN(7200)) * time.Second)})
		if err != nil {
			panic(err)
		}
		key := sk.StreamKey
		if g.one(4) {
			key = key[:10] + "A" + key[11:]
		}
		extra = [][2]string{{g.pick("stream_key", "stream-key"), key}, {g.pick("stream_policy", "stream-policy"), sk.StreamPolicy}}
		if g.one(5) {
			extra = append(extra, [2]string{"stream-key", key})
		}
		if !g.one(4) {
			tok = ""
		}
	default:
		kind, tok = g.oddToken(g.pick("k2026a", "k2026b"), now)
		kind = "odd: " + kind
	}
	headers := [][2]string{{"user-agent", "ExoPlayerLib/2.19.1"}}
	if host != "" {
		headers = append(headers, [2]string{"host", host})
	}
	if proto != "none" {
		headers = append(headers, [2]string{"cloudfront-forwarded-proto", proto})
	}
	headers = append(headers, extra...)
	var query, cookies [][2]string
	ch := cfg.Channels
	switch g.rng.IntN(4) {
	case 3:
		if kind != "seed" {
			headers = append(headers, [2]string{ch.Header, tok})
		}
	case 0:
		headers = append(headers, [2]string{ch.Header, tok})
	case 1:
		query = [][2]string{{ch.Query, tok}}
	default:
		cookies = [][2]string{{ch.Cookie, tok}}
	}
	return generated{kind: kind, ev: newEvent(method, path, ip, headers, query, cookies), now: now}
}

// differentialCATs is how many generated requests TestCATDifferential
// runs: every kind many times, in a few seconds with node.
const differentialCATs = 3000

// TestCATDifferential runs generated CATs (every claim, with and without
// tag 61, bit flips, truncation, keys the edge lacks, alg 4, unknown and
// critical claims, odd encodings) on generated requests (paths, hosts,
// schemes, methods, IPv4 and IPv6 addresses, times) through package cat's
// Verifier (the Go model), the rendered function in goja and in node: the
// reasons must be the same, but for the differences the model writes out
// (see verifyCAT and TestCATDifferences).
func TestCATDifferential(t *testing.T) {
	var es []*engines
	for _, cfg := range catConfigs() {
		es = append(es, newEngines(t, cfg))
	}
	g := newCATGen(t, 2026)
	t0 := time.Unix(1_767_225_600, 0)
	counts, kinds := map[string]int{}, map[string]int{}
	for i := 0; i < differentialCATs; i++ {
		e := es[g.rng.IntN(len(es))]
		r := g.request(e.cfg, t0)
		kinds[r.kind]++
		counts[e.check(t, fmt.Sprintf("#%d %s", i, r.kind), r.ev, r.now)]++
		if t.Failed() && i > 50 {
			t.Fatalf("stopping after the first failures (request #%d)", i)
		}
	}
	t.Logf("%d requests; verdicts %v", differentialCATs, sorted(counts))
	t.Logf("kinds %v", sorted(kinds))
	for _, r := range cat.Reasons() {
		if r != cat.OK && r != cat.Issuer && counts[r.String()] == 0 {
			t.Errorf("no generated request was refused as %s", r)
		}
	}
	if counts["allow"] == 0 {
		t.Error("no generated request was allowed")
	}
	// Once a difference (Go read the key under the tag), now agreement.
	if kinds["odd: tagged key"] == 0 {
		t.Error("no generated CAT had a tagged claim key")
	}
}

// TestCATDifferences pins where the function and package cat's Verifier
// may differ, each time with the function the narrower; TestCATDifferential
// allows exactly these (the model writes them out).
func TestCATDifferences(t *testing.T) {
	keys := testKeys()
	cfg := Config{Format: issuance.FormatCAT, Keys: keys[:1], DebugReasons: true}
	e := newEngines(t, cfg)
	ring, err := cat.NewRing(cat.Key{ID: keys[0].ID, Secret: keys[0].Secret})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_767_225_600, 0)
	exp := now.Add(time.Hour)
	unprot := map[int64][]byte{4: []byte(keys[0].ID)}
	mint := func(c cat.Claims) string {
		c.Expires = exp
		tok, err := ring.Mint(keys[0].ID, c, cat.MintOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	// Two exp claims: a payload cf.cwt will not represent (it throws, as
	// for a bad MAC).
	dup := append(append(append([]byte{0xa2}, mustCBOR(uint64(4))...), mustCBOR(uint64(exp.Unix()))...), append(mustCBOR(uint64(4)), mustCBOR(uint64(exp.Unix()+1))...)...)
	v := &cat.Verifier{Ring: ring}
	for _, c := range []struct {
		name      string
		tok       string
		ev        *cfruntime.Event
		goReq     cat.Request
		go_, edge string
	}{
		{"duplicate claim key: cf.cwt throws", sealCAT(keys[0].Secret, hs256, unprot, dup, false),
			catEvent("/vod/x.ts", "203.0.113.9", ""), cat.Request{Scheme: "https", Host: "media.example.com", Path: "/vod/x.ts", Method: "GET", ClientIP: "203.0.113.9"},
			"malformed", "bad_mac"},
		{"no CloudFront-Forwarded-Proto: a scheme condition refuses, even prefix \"\"",
			mint(cat.Claims{URI: []cat.URIMatch{{Component: cat.ComponentScheme, Type: cat.MatchPrefix, Value: ""}}}),
			newEvent("GET", "/vod/x.ts", "203.0.113.9", [][2]string{{"host", "media.example.com"}}, nil, nil),
			cat.Request{Host: "media.example.com", Path: "/vod/x.ts", Method: "GET", ClientIP: "203.0.113.9"}, "ok", "scheme"},
		{"host in ASCII lower case only (Go folds É)",
			mint(cat.Claims{URI: []cat.URIMatch{{Component: cat.ComponentHost, Type: cat.MatchExact, Value: "MÉDIA.example.com"}}}),
			newEvent("GET", "/vod/x.ts", "203.0.113.9", [][2]string{{"host", "média.example.com"}}, nil, nil),
			cat.Request{Host: "média.example.com", Path: "/vod/x.ts", Method: "GET", ClientIP: "203.0.113.9"}, "ok", "host"},
	} {
		req := c.goReq
		req.Now = now
		got := v.Verify(c.tok, req).Reason.String()
		if got != c.go_ {
			t.Errorf("%s: Go says %s, want %s", c.name, got, c.go_)
		}
		t.Logf("%s: Go %s, the function %s", c.name, got, c.edge)
		ev := c.ev
		ev.Request.Headers[issuance.DefaultCATChannels().Header] = cfruntime.Field{Value: c.tok}
		for engine, r := range e.run(t, ev, now) {
			if verdict(r) != c.edge {
				t.Errorf("%s: %s says %s, want %s", c.name, engine, verdict(r), c.edge)
			}
		}
	}
}

// TestCATRevocation: the revocation check keys a CAT on its cti, when that
// is a session id, exactly as an ss1 token on its s claim, in both fail
// modes.
func TestCATRevocation(t *testing.T) {
	keys := testKeys()
	now := time.Unix(1_767_225_600, 250_000_000)
	sec := now.Unix()
	ring, err := cat.NewRing(cat.Key{ID: keys[0].ID, Secret: keys[0].Secret})
	if err != nil {
		t.Fatal(err)
	}
	mint := func(cti []byte, expires time.Time) (string, *cfruntime.Event) {
		tok, err := ring.Mint(keys[0].ID, cat.Claims{Expires: expires, ID: cti,
			URI: []cat.URIMatch{{Component: cat.ComponentPath, Type: cat.MatchPrefix, Value: "/vod/movie-1/"}}}, cat.MintOptions{CWTTag: true})
		if err != nil {
			t.Fatal(err)
		}
		return tok, catEvent("/vod/movie-1/seg_00001.ts", "203.0.113.9", tok)
	}
	for _, closed := range []bool{false, true} {
		cfg := Config{Format: issuance.FormatCAT, Keys: keys[:2], Revocation: &Revocation{FailClosed: closed}}
		e := newEngines(t, cfg)
		unavailable := "allow"
		if closed {
			unavailable = ReasonRevocationUnavailable
		}
		revoked := newRevStore(t, map[string]string{"r:sess-1": strconv.FormatInt(sec+3600, 10)})
		for _, c := range []struct {
			name    string
			cti     []byte
			expires time.Time
			store   *revStore
			want    string
			logged  bool
		}{
			{"revoked", []byte("sess-1"), now.Add(time.Hour), revoked, ReasonRevoked, false},
			{"revoked until the next second", []byte("sess-1"), now.Add(time.Hour), newRevStore(t, map[string]string{"r:sess-1": strconv.FormatInt(sec+1, 10)}), ReasonRevoked, false},
			{"entry expired", []byte("sess-1"), now.Add(time.Hour), newRevStore(t, map[string]string{"r:sess-1": strconv.FormatInt(sec, 10)}), "allow", false},
			{"another session", []byte("sess-2"), now.Add(time.Hour), revoked, "allow", false},
			{"64-character cti", []byte(strings.Repeat("a.b_c~d-", 8)), now.Add(time.Hour),
				newRevStore(t, map[string]string{"r:" + strings.Repeat("a.b_c~d-", 8): strconv.FormatInt(sec+60, 10)}), ReasonRevoked, false},
			// A cti that is no session id (bytes, or characters a session
			// id has not) is not looked up, nor a CAT without one.
			{"binary cti, failing store", []byte{0xff, 0x00}, now.Add(time.Hour), failingStore(t), "allow", false},
			{"cti with a space, failing store", []byte("sess 1"), now.Add(time.Hour), failingStore(t), "allow", false},
			{"no cti, no store", nil, now.Add(time.Hour), absentStore(), "allow", false},
			{"revoked but expired", []byte("sess-1"), now.Add(-time.Second), revoked, "expired", false},
			{"store cannot be read", []byte("sess-1"), now.Add(time.Hour), failingStore(t), unavailable, !closed},
			{"no store associated", []byte("sess-1"), now.Add(time.Hour), absentStore(), unavailable, !closed},
			{"malformed value", []byte("sess-1"), now.Add(time.Hour), newRevStore(t, map[string]string{"r:sess-1": "soon"}), unavailable, !closed},
		} {
			tok, ev := mint(c.cti, c.expires)
			e.useStore(c.store)
			checkRevocation(t, e, fmt.Sprintf("closed=%v %s", closed, c.name), tok, ev, now, c.want, c.logged)
		}
	}
}

// CAT mode is chosen by Format; an unknown format and a path-prefix
// channel are refused, and no channels means the CAT validators' names.
func TestCATRender(t *testing.T) {
	keys := testKeys()[:1]
	if _, err := Render(Config{Format: "jwt", Keys: keys}); err == nil || !strings.Contains(err.Error(), `"jwt"`) {
		t.Errorf("unknown format: %v", err)
	}
	if _, err := Render(Config{Format: issuance.FormatCAT, Keys: keys, Channels: issuance.DefaultChannels()}); err == nil ||
		!strings.Contains(err.Error(), "path-prefix") {
		t.Errorf("CAT with a path prefix: %v", err)
	}
	code, err := Render(Config{Format: issuance.FormatCAT, Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`tk(h,"cta-common-access-token",t)`, `tk(q.querystring,"CAT",t)`, `tk(q.cookies,"cta-common-access-token",t)`,
		"import cf from'cloudfront'\n", "cf.cwt.validateToken("} {
		if !strings.Contains(string(code), want) {
			t.Errorf("the CAT-mode code has no %s", want)
		}
	}
	ss1, err := Render(Config{Format: issuance.FormatSS1, Keys: keys, Channels: issuance.DefaultChannels()})
	if err != nil {
		t.Fatal(err)
	}
	def, _ := Render(Config{Keys: keys, Channels: issuance.DefaultChannels()})
	if string(ss1) != string(def) || strings.Contains(string(ss1), "cwt") {
		t.Error("Format ss1 is not the default, or its code mentions cwt")
	}
	// Every channel strips the token before the origin.
	e := newEngines(t, Config{Format: issuance.FormatCAT, Keys: keys})
	ring, _ := cat.NewRing(cat.Key{ID: keys[0].ID, Secret: keys[0].Secret})
	now := time.Unix(1_767_225_600, 0)
	tok, _ := ring.Mint(keys[0].ID, cat.Claims{Expires: now.Add(time.Hour)}, cat.MintOptions{})
	ch := issuance.DefaultCATChannels()
	hdr := [][2]string{{"host", "media.example.com"}}
	for name, ev := range map[string]*cfruntime.Event{
		"header": newEvent("GET", "/vod/x.ts", "192.0.2.1", append(hdr, [2]string{ch.Header, tok}), [][2]string{{"x", "1"}}, nil),
		"query":  newEvent("GET", "/vod/x.ts", "192.0.2.1", hdr, [][2]string{{ch.Query, tok}, {"x", "1"}}, nil),
		"cookie": newEvent("GET", "/vod/x.ts", "192.0.2.1", hdr, [][2]string{{"x", "1"}}, [][2]string{{ch.Cookie, tok}}),
	} {
		if got := e.check(t, name, ev, now); got != "allow" {
			t.Errorf("%s: %s", name, got)
		}
	}
}

// fullCATRing is the largest CAT-mode configuration: fullRing's (eight
// keys with 32-character ids, the seed key, exempt paths, three origins)
// without the path prefix, with a store failing closed and every switch.
func fullCATRing() Config {
	cfg := fullRing()
	cfg.Format, cfg.Channels = issuance.FormatCAT, issuance.Channels{}
	cfg.Revocation = &Revocation{FailClosed: true}
	cfg.DebugReasons = true
	return cfg
}

// The CAT-mode function with a full ring and every option fits under
// CloudFront's limit, with a margin.
func TestCATSize(t *testing.T) {
	// The full ring with every option was 9,894 bytes when written: the
	// budget leaves it about 100 bytes to grow, and CloudFront 240 more.
	const budget = 10000
	for name, cfg := range map[string]Config{"full ring": fullCATRing(), "2 keys": {Format: issuance.FormatCAT, Keys: keysN(2, 8)}} {
		code, err := Render(cfg)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Logf("CAT mode, %s: %d bytes", name, len(code))
		if len(code) > budget {
			t.Errorf("CAT mode, %s: %d bytes, over %d", name, len(code), budget)
		}
		if _, err := cfruntime.Compile("f", code, cfruntime.JS20); err != nil {
			t.Errorf("%s: does not compile: %v", name, err)
		}
	}
}

// The edge function guide has the CAT mode: every reason package cat
// gives, and why renewal is not done at the edge.
func TestGuideCAT(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "templates", "guides", "edge-function.md"))
	if err != nil {
		t.Fatal(err)
	}
	guide := string(b)
	for _, r := range cat.Reasons() {
		if r != cat.OK && r != cat.Issuer && !strings.Contains(guide, "`"+r.String()+"`") {
			t.Errorf("the edge function guide does not name the CAT reason %s", r)
		}
	}
	for _, want := range []string{"## Common Access Tokens (CAT mode)", "Renewal (`catr`) is not done at the edge", "`CloudFront-Forwarded-Proto`"} {
		if !strings.Contains(guide, want) {
			t.Errorf("the edge function guide has no %q", want)
		}
	}
}
