package seed

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/sharedref"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
	"github.com/securestream/terraform-provider-securestream/internal/streamkeytest"
	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

// Every key the original issuer minted must verify, and minting from the
// same inputs must give the same key, policy and signed text.
func TestSeedVectorsMint(t *testing.T) {
	for _, v := range streamkeytest.SeedVectors(t) {
		t.Run(v.PlaybackURL+"/"+v.ClientIP, func(t *testing.T) {
			k, err := MintWithSecret([]byte(v.Secret), Grant{
				PlaybackURL: v.PlaybackURL, ClientIP: v.ClientIP, UserAgent: v.UserAgent,
				Expires: time.Unix(v.IssuedAt+v.TTLSeconds, 0),
			})
			if err != nil {
				t.Fatal(err)
			}
			msg := string(appendMessage(nil, v.ClientIP, k.Path, k.Hostname, k.Expires, v.UserAgent))
			if msg != v.SignedMessage {
				t.Errorf("signed message\n got %s\nwant %s", msg, v.SignedMessage)
			}
			if k.StreamKey != v.StreamKey {
				t.Errorf("stream_key = %s, want %s", k.StreamKey, v.StreamKey)
			}
			if k.StreamPolicy != v.StreamPolicy {
				t.Errorf("stream_policy = %s, want %s", k.StreamPolicy, v.StreamPolicy)
			}
		})
	}
}

func seedRing(t testing.TB, secret string) *streamkey.Ring {
	t.Helper()
	r, err := streamkey.NewRing(
		streamkey.Key{ID: "seed", Secret: []byte(secret), Seed: true},
		streamkey.Key{ID: "k1", Secret: streamkeytest.Secret("k1", 32)},
	)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func seedRequest(t testing.TB, v sharedref.SeedVector) streamkey.Request {
	host, _, err := URLHostPath(v.PlaybackURL)
	if err != nil {
		t.Fatal(err)
	}
	return streamkey.Request{
		Now:       time.Unix(v.IssuedAt+60, 0),
		Path:      requestPath(t, v.PlaybackURL),
		Host:      host,
		ClientIP:  v.ClientIP,
		UserAgent: v.UserAgent,
	}
}

func TestSeedVectorsVerify(t *testing.T) {
	for _, v := range streamkeytest.SeedVectors(t) {
		t.Run(v.PlaybackURL+"/"+v.ClientIP, func(t *testing.T) {
			ver := &streamkey.Verifier{Ring: seedRing(t, v.Secret)}
			req := seedRequest(t, v)
			check := func(name string, key, policy string, req streamkey.Request, want streamkey.Reason) {
				t.Helper()
				if got := Verify(ver, key, policy, req).Reason; got != want {
					t.Errorf("%s: reason %s, want %s", name, got, want)
				}
			}
			check("manifest", v.StreamKey, v.StreamPolicy, req, streamkey.OK)

			seg := req
			seg.Path = strings.TrimSuffix(req.Path, req.Path[strings.LastIndexByte(req.Path, '/')+1:]) + "seg_00001.ts"
			check("segment beside the manifest", v.StreamKey, v.StreamPolicy, seg, streamkey.OK)

			other := req
			other.Path = "/elsewhere/secret.m3u8"
			if strings.HasSuffix(signedPath(req.Path), "/*") && signedPath(req.Path) == "/*" {
				other.Path = "/a/../b" // "/*" covers every safe path
			}
			check("path outside the signed pattern", v.StreamKey, v.StreamPolicy, other, streamkey.Path)

			traversal := req
			traversal.Path = strings.TrimSuffix(signedPath(req.Path), "*") + "%2e%2e/other/index.m3u8"
			check("encoded traversal", v.StreamKey, v.StreamPolicy, traversal, streamkey.Path)

			upper := req
			upper.Host = strings.ToUpper(req.Host) + ":443"
			check("host with port and capitals", v.StreamKey, v.StreamPolicy, upper, streamkey.OK)

			for name, mod := range map[string]func(*streamkey.Request){
				"other ip":   func(r *streamkey.Request) { r.ClientIP = "198.51.100.200" },
				"other ua":   func(r *streamkey.Request) { r.UserAgent += " " },
				"other host": func(r *streamkey.Request) { r.Host = "evil.example.net" },
			} {
				r := req
				mod(&r)
				check(name, v.StreamKey, v.StreamPolicy, r, streamkey.BadMAC)
			}

			late := req
			late.Now = time.Unix(v.IssuedAt+v.TTLSeconds, 0)
			check("at the expiry second", v.StreamKey, v.StreamPolicy, late, streamkey.OK)
			late.Now = late.Now.Add(time.Second)
			check("after expiry", v.StreamKey, v.StreamPolicy, late, streamkey.Expired)

			early := req
			early.Now = time.Unix(v.IssuedAt-3600, 0)
			check("lifetime beyond the verifier's maximum", v.StreamKey, v.StreamPolicy, early, streamkey.Lifetime)

			// A policy with a later expiry breaks the MAC.
			forged := base64.StdEncoding.EncodeToString(appendPolicy(nil, signedPath(req.Path), v.IssuedAt+v.TTLSeconds+1))
			check("extended expiry", v.StreamKey, forged, req, streamkey.BadMAC)
			widened := base64.StdEncoding.EncodeToString(appendPolicy(nil, "/*", v.IssuedAt+v.TTLSeconds))
			if signedPath(req.Path) != "/*" {
				check("widened path", v.StreamKey, widened, req, streamkey.BadMAC)
			}

			noSeed := &streamkey.Verifier{Ring: streamkeytest.Ring(t)}
			if got := Verify(noSeed, v.StreamKey, v.StreamPolicy, req).Reason; got != streamkey.UnknownKey {
				t.Errorf("ring without a seed key: reason %s, want unknown_kid", got)
			}
		})
	}
}

// The original issuer took client_ip verbatim; the verifier uses the
// canonical form of the viewer address, so a key minted for the canonical
// spelling verifies whatever spelling the edge reports.
func TestSeedClientIPSpellings(t *testing.T) {
	r := seedRing(t, streamkeytest.SeedSecret)
	ver := &streamkey.Verifier{Ring: r}
	k := mint(t, r, Grant{
		PlaybackURL: "https://media.example.com/vod/a/index.m3u8", ClientIP: "2001:db8::1",
		UserAgent: "ua", Expires: time.Unix(1_800_000_000, 0),
	})
	for _, ip := range []string{"2001:db8::1", "2001:0DB8:0:0:0:0:0:1", "2001:db8:0::0:1"} {
		req := streamkey.Request{Now: time.Unix(1_799_990_000, 0), Path: "/vod/a/seg1.ts", Host: "media.example.com", ClientIP: ip, UserAgent: "ua"}
		if got := Verify(ver, k.StreamKey, k.StreamPolicy, req).Reason; got != streamkey.OK {
			t.Errorf("client ip %s: %s", ip, got)
		}
	}
}

func TestSeedMalformed(t *testing.T) {
	v := streamkeytest.SeedVectors(t)[0]
	ver := &streamkey.Verifier{Ring: seedRing(t, v.Secret)}
	req := seedRequest(t, v)
	enc := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	keys := map[string]string{
		"empty":          "",
		"short":          v.StreamKey[:43],
		"no padding":     v.StreamKey[:43] + "A",
		"url alphabet":   strings.NewReplacer("+", "-", "/", "_").Replace(v.StreamKey) + "",
		"space for plus": strings.ReplaceAll(v.StreamKey, "+", " "),
		"too long":       v.StreamKey + "=",
	}
	for name, k := range keys {
		if k == v.StreamKey {
			continue
		}
		if got := Verify(ver, k, v.StreamPolicy, req).Reason; got != streamkey.Malformed {
			t.Errorf("key %s: %s, want malformed", name, got)
		}
	}
	policies := map[string]string{
		"empty":            "",
		"not base64":       "!!!!",
		"bad length":       "eyJ1c",
		"three pads":       strings.TrimRight(v.StreamPolicy, "=") + "===",
		"not json":         enc("not json"),
		"array":            enc(`[1,2]`),
		"null":             enc(`null`),
		"string":           enc(`"x"`),
		"no url":           enc(`{"expires":1767319777}`),
		"no expires":       enc(`{"url":"/a/*"}`),
		"url number":       enc(`{"url":5,"expires":1767319777}`),
		"url null":         enc(`{"url":null,"expires":1767319777}`),
		"url empty":        enc(`{"url":"","expires":1767319777}`),
		"url non-ascii":    enc(`{"url":"/ü/*","expires":1767319777}`),
		"url control":      enc(`{"url":"/a\n/*","expires":1767319777}`),
		"expires string":   enc(`{"url":"/a/*","expires":"1767319777"}`),
		"expires float":    enc(`{"url":"/a/*","expires":1767319777.5}`),
		"expires negative": enc(`{"url":"/a/*","expires":-1}`),
		"expires zero":     enc(`{"url":"/a/*","expires":0}`),
		"expires huge":     enc(`{"url":"/a/*","expires":1e300}`),
		"expires bool":     enc(`{"url":"/a/*","expires":true}`),
		"trailing junk":    enc(`{"url":"/a/*","expires":1}x`),
		"huge":             strings.Repeat("A", maxPolicyLen+4),
	}
	for name, p := range policies {
		if got := Verify(ver, v.StreamKey, p, req).Reason; got != streamkey.Malformed {
			t.Errorf("policy %s: %s, want malformed", name, got)
		}
	}
	// Well-formed variants that JavaScript's JSON.parse accepts reach the MAC.
	for name, p := range map[string]string{
		"unpadded":        strings.TrimRight(v.StreamPolicy, "="),
		"extra member":    enc(`{"url":"/transcoded-out/high/*","expires":1767319777,"x":[1,{"y":null}]}`),
		"duplicate url":   enc(`{"url":"/other/*","url":"/transcoded-out/high/*","expires":1767319777}`),
		"exponent":        enc(`{"url":"/transcoded-out/high/*","expires":1.767319777e9}`),
		"whitespace":      enc(" {\"url\" : \"/transcoded-out/high/*\" ,\n\"expires\":1767319777 } "),
		"escaped url":     enc(`{"url":"\/transcoded-out\/high\/*","expires":1767319777}`),
		"member reversed": enc(`{"expires":1767319777,"url":"/transcoded-out/high/*"}`),
	} {
		if got := Verify(ver, v.StreamKey, p, req).Reason; got != streamkey.OK {
			t.Errorf("policy %s: %s, want ok (same url and expires as the vector)", name, got)
		}
	}
}

// appendJSString must agree with JSON.stringify byte for byte.
func TestJSONStringifyMatchesNode(t *testing.T) {
	inputs := []string{
		"", "plain", `quote " and \ backslash`, "<script>&amp;</script>", "tab\tnl\nret\rbs\bff\f",
		"\x00\x01\x1f\x7f", "U+2028 \u2028 U+2029 \u2029", "Lecteur vidéo ✓ 1.0", "emoji 🎬 😀",
		"\ufeffbom", "'single' `back`", "slash / and </", "invalid \xff\xfe utf8", "\xed\xa0\x80 surrogate bytes",
	}
	for c := 0; c < 0x80; c++ {
		inputs = append(inputs, "c"+string(rune(c)))
	}
	in, _ := json.Marshal(inputs) // Go turns invalid UTF-8 into U+FFFD, as the JS side must see it
	out := testenv.RunNode(t, in, "-e", `
const lines = JSON.parse(require('fs').readFileSync(0, 'utf8'));
process.stdout.write(JSON.stringify(lines.map(s => Buffer.from(JSON.stringify(s), 'utf8').toString('base64'))));
`)
	var want []string
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	for i, s := range inputs {
		got := base64.StdEncoding.EncodeToString(appendJSString(nil, s))
		if got != want[i] {
			g, _ := base64.StdEncoding.DecodeString(got)
			w, _ := base64.StdEncoding.DecodeString(want[i])
			t.Errorf("JSON.stringify(%q):\n got %q\nwant %q", s, g, w)
		}
	}
}

// signedPath keeps the original's String.prototype.replace quirks.
func TestSeedPath(t *testing.T) {
	for in, want := range map[string]string{
		"/transcoded-out/high/index.m3u8": "/transcoded-out/high/*",
		"/index.m3u8":                     "/*",
		"/a/b/":                           "*/a/b/",
		"/x/a/a":                          "/x/*/a",
		"/":                               "*/",
	} {
		if got := signedPath(in); got != want {
			t.Errorf("signedPath(%q) = %q, want %q", in, got, want)
		}
	}
	out := testenv.RunNode(t, nil, "-e", `
for (const p of ["/transcoded-out/high/index.m3u8", "/index.m3u8", "/a/b/", "/x/a/a", "/"]) {
  const m = p.split("/").pop(); console.log(p.replace(m, "*"));
}`)
	want := strings.Fields(string(out))
	for i, p := range []string{"/transcoded-out/high/index.m3u8", "/index.m3u8", "/a/b/", "/x/a/a", "/"} {
		if got := signedPath(p); got != want[i] {
			t.Errorf("signedPath(%q) = %q, node says %q", p, got, want[i])
		}
	}
}

// The original deployment's secret, marked Seed, verifies seed-format keys
// (streamkey's TestSeedKeyIsNoSS1Key: and no ss1 token).
func TestSeedKeyVerifiesSeedFormat(t *testing.T) {
	r := seedRing(t, streamkeytest.SeedSecret)
	ver := &streamkey.Verifier{Ring: r}
	req := baseRequest()
	// Seed-format keys still verify with it.
	sk := mint(t, r, Grant{PlaybackURL: "https://media.example.com/vod/movie-42/index.m3u8",
		ClientIP: req.ClientIP, UserAgent: req.UserAgent, Expires: t0.Add(time.Hour)})
	if got := Verify(ver, sk.StreamKey, sk.StreamPolicy, req); got.Reason != streamkey.OK {
		t.Errorf("seed-format key: %s", got.Reason)
	}
}

// An invalid policy refuses every genuine seed-format key, as it refuses
// every ss1 token (streamkey's TestInvalidPolicyRefuses), rather than
// falling back to some other lifetime.
func TestInvalidPolicyRefuses(t *testing.T) {
	r := seedRing(t, streamkeytest.SeedSecret)
	req := baseRequest()
	sk := mint(t, r, Grant{PlaybackURL: "https://media.example.com/vod/movie-42/index.m3u8",
		ClientIP: req.ClientIP, UserAgent: req.UserAgent, Expires: req.Now.Add(time.Minute)})
	for _, ver := range []*streamkey.Verifier{{Ring: r, MaxLifetime: 500 * time.Millisecond}, {Ring: r, MaxLifetime: time.Hour, Leeway: 1500 * time.Millisecond}} {
		if got := Verify(ver, sk.StreamKey, sk.StreamPolicy, req).Reason; got != streamkey.Lifetime {
			t.Errorf("max lifetime %s, leeway %s: seed %s, want lifetime", ver.MaxLifetime, ver.Leeway, got)
		}
	}
}

// Mint with the ring's seed key and MintWithSecret with the same secret
// give the same key; a ring without a seed key mints none.
func TestMintWithRingOrSecret(t *testing.T) {
	secret := streamkeytest.SeedSecret
	g := Grant{PlaybackURL: "https://media.example.com/vod/a/index.m3u8", ClientIP: "192.0.2.1", UserAgent: "ua", Expires: t0.Add(time.Hour)}
	b, err := MintWithSecret([]byte(secret), g)
	if a := mint(t, seedRing(t, secret), g); err != nil || a != b {
		t.Errorf("Mint gives %+v, MintWithSecret %+v, %v", a, b, err)
	}
	if _, err := Mint(streamkeytest.Ring(t), g); err == nil || !strings.Contains(err.Error(), "no seed key") {
		t.Errorf("Mint without a seed key: %v", err)
	}
	g.PlaybackURL = "ftp://media.example.com/a"
	if _, err := Mint(streamkeytest.Ring(t), g); err == nil || !strings.Contains(err.Error(), "no seed key") {
		t.Errorf("Mint without a seed key, bad URL: %v, want the missing seed key first", err)
	}
}

// The seed format's limits on url and expires are streamkey's limits on
// a path pattern and on times, which this package cannot see.
func TestLimitsMatchStreamkey(t *testing.T) {
	if _, err := streamkey.CanonicalPattern("/" + strings.Repeat("a", maxURLLen-1)); err != nil {
		t.Errorf("a %d-byte pattern: %v", maxURLLen, err)
	}
	if _, err := streamkey.CanonicalPattern("/" + strings.Repeat("a", maxURLLen)); err == nil {
		t.Errorf("streamkey accepts a %d-byte pattern; maxURLLen is %d", maxURLLen+1, maxURLLen)
	}
	r := streamkeytest.Ring(t)
	for exp, ok := range map[int64]bool{maxExpires: true, maxExpires + 1: false} {
		_, err := r.Mint("k2025a", streamkey.Grant{Expires: time.Unix(exp, 0), Paths: []string{"/*"}})
		if (err == nil) != ok {
			t.Errorf("streamkey mints a token expiring at %d: %v; maxExpires is %d", exp, err == nil, int64(maxExpires))
		}
	}
}
