package cfruntime

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/securestream/terraform-provider-securestream/internal/cat"
	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

// The known-good vectors of reference A9 (as in internal/cat's tests): the
// key of RFC 8392's examples, two Akamai-minted HS256 tokens (tags 61 and
// 17, kid "akamai_key_hs256"; the first expired in 2025), and RFC 8392
// A.4, the AWS page's own sample (alg 4, HMAC 256/64, an 8-byte tag).
const (
	cwtRFCKey     = "403697de87af64611c1d32a05dab0fe1fcb715a86ab435f1ec99192d79569388"
	cwtAkamai     = "2D3RhEOhAQWhBFBha2FtYWlfa2V5X2hzMjU2U6MEGmfXP_YGGmfXQAsFGmfXQAtYINTT_KlOyhaV6NaSxFXkqJWfBagSkPkem10dysoA-C0w"
	cwtAkamaiIss  = "2D3RhEOhAQWhBFBha2FtYWlfa2V5X2hzMjU2WCijAXgYY29hcDovL2pvbmFzLmV4YW1wbGUuY29tBhpn1JipBRpn1JipWCCX4nQb8SYQoa0SFLxE2Rh35DdTjoA9TzOSy1IP9O1BGQ"
	cwtRFC8392A4  = "d83dd18443a10104a1044c53796d6d65747269633235365850a70175636f61703a2f2f61732e6578616d706c652e636f6d02656572696b77037818636f61703a2f2f6c696768742e6578616d706c652e636f6d041a5612aeb0051a5610d9f0061a5610d9f007420b7148093101ef6d789200"
	cwtStringKey  = "a-string-key-from-the-kvs-of-32-bytes-or-more"
	cwtShowHelper = `function show(v) {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (Buffer.isBuffer(v)) return 'B(' + v.toString('hex') + ')';
  if (v instanceof Uint8Array) return 'U8(' + Buffer.from(v).toString('hex') + ')';
  if (Array.isArray(v)) return '[' + v.map(show).join(',') + ']';
  if (typeof v === 'object') return '{' + Object.keys(v).sort().map(function (k) { return k + ':' + show(v[k]); }).join(',') + '}';
  if (typeof v === 'string') return JSON.stringify(v);
  return typeof v + ' ' + String(v);
}
function caught(f) { try { return 'returned ' + show(f()); } catch (e) { return 'threw ' + e.name + ': ' + e.message; } }
`
)

// sealHex HMACs a COSE_Mac0 built by hand (not by package cat), so that a
// test can write any envelope: tags are the outer tags, innermost last.
func sealHex(t *testing.T, protected []byte, unprotected any, payload, key []byte, tagLen int, tags ...uint64) []byte {
	t.Helper()
	structure, err := cbor.Marshal([]any{"MAC0", protected, []byte{}, payload})
	if err != nil {
		t.Fatal(err)
	}
	h := hmac.New(sha256.New, key)
	h.Write(structure)
	var msg any = []any{protected, unprotected, payload, h.Sum(nil)[:tagLen]}
	for i := len(tags) - 1; i >= 0; i-- {
		msg = cbor.Tag{Number: tags[i], Content: msg}
	}
	raw, err := cbor.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := cbor.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// cwtTokens are the tokens the cases read as T.<name>, base64url.
func cwtTokens(t *testing.T) map[string]string {
	t.Helper()
	rfcKey, _ := hex.DecodeString(cwtRFCKey)
	a4, _ := hex.DecodeString(cwtRFC8392A4)
	b64 := base64.RawURLEncoding.EncodeToString
	p5 := []byte{0xa1, 0x01, 0x05}
	kid := map[int][]byte{4: []byte("k1")}
	claims := mustMarshal(t, map[int]any{4: 2000000000})
	akamai, _ := base64.RawURLEncoding.DecodeString(cwtAkamai)
	tampered := append([]byte(nil), akamai...)
	tampered[len(tampered)-1] ^= 1
	// shapes: negative and text keys, nested maps, a byte string, a tag
	// (catnip's 54), a float, a boolean, null, an array.
	shapes := mustMarshal(t, map[any]any{
		-7: 1, "name": "x", 312: map[int]any{3: map[int]string{1: "/vod/"}}, 7: []byte{0xca, 0xfe},
		311: []any{cbor.Tag{Number: 54, Content: []any{24, []byte{203, 0, 113}}}}, 8: 1.5, 9: true, 10: nil, 3: []string{"a", "b"},
	})
	pad := func(n int) []byte { return mustMarshal(t, map[int]string{1: strings.Repeat("i", n)}) }
	size := func(n int) []byte { return sealHex(t, p5, kid, pad(n), rfcKey, 32, 17) }
	n := 600
	for len(size(n)) < cat.MaxTokenBytes {
		n++
	}
	return map[string]string{
		"akamai":     cwtAkamai,
		"akamaiIss":  cwtAkamaiIss,
		"tampered":   b64(tampered),
		"a4":         b64(a4),
		"a4full":     b64(sealHex(t, []byte{0xa1, 0x01, 0x04}, map[int][]byte{4: []byte("Symmetric256")}, claims, rfcKey, 32, 61, 17)),
		"noTag17":    b64(sealHex(t, p5, kid, claims, rfcKey, 32)),
		"only61":     b64(sealHex(t, p5, kid, claims, rfcKey, 32, 61)),
		"tag18":      b64(sealHex(t, p5, kid, claims, rfcKey, 32, 18)),
		"noAlg":      b64(sealHex(t, []byte{0xa0}, kid, claims, rfcKey, 32, 17)),
		"algString":  b64(sealHex(t, mustMarshal(t, map[int]string{1: "5"}), kid, claims, rfcKey, 32, 17)),
		"tag8":       b64(sealHex(t, p5, kid, claims, rfcKey, 8, 17)),
		"bare17":     b64(sealHex(t, p5, kid, claims, rfcKey, 32, 17)),
		"stringKey":  b64(sealHex(t, p5, kid, claims, []byte(cwtStringKey), 32, 17)),
		"shapes":     b64(sealHex(t, p5, kid, shapes, rfcKey, 32, 17)),
		"collide":    b64(sealHex(t, p5, kid, mustMarshal(t, map[any]any{1: "int", "1": "text"}), rfcKey, 32, 17)),
		"huge":       b64(sealHex(t, p5, kid, mustMarshal(t, map[int]uint64{4: 1 << 60}), rfcKey, 32, 17)),
		"timeTag":    b64(sealHex(t, p5, kid, mustMarshal(t, map[int]any{4: cbor.Tag{Number: 1, Content: 2000000000}}), rfcKey, 32, 17)),
		"dupKey":     b64(sealHex(t, p5, kid, []byte{0xa2, 0x04, 0x01, 0x04, 0x02}, rfcKey, 32, 17)),
		"indefinite": b64(sealHex(t, p5, kid, []byte{0xbf, 0x04, 0x01, 0xff}, rfcKey, 32, 17)),
		"atLimit":    b64(size(n)),
		"overLimit":  b64(size(n + 1)),
	}
}

func cwtCode(t *testing.T, body string) string {
	t.Helper()
	var sb strings.Builder
	sb.WriteString("import cf from 'cloudfront';\nvar T = {")
	for k, v := range cwtTokens(t) {
		fmt.Fprintf(&sb, "%s: Buffer.from('%s', 'base64url'), ", k, v)
	}
	sb.WriteString("};\nvar K = Buffer.from('" + cwtRFCKey + "', 'hex');\n")
	sb.WriteString(cwtShowHelper)
	sb.WriteString("function handler(event) {\n  var out = (function () { " + body + " })();\n  return {statusCode: 200, body: String(out)};\n}")
	return sb.String()
}

type cwtCase struct{ name, body, want string }

// validateCases pin cf.cwt.validateToken: the documented contract, and the
// emulator's choice on each UNVERIFIED point (see cwt.go).
var validateCases = []cwtCase{
	// A valid MAC is all it checks: the Akamai token expired in 2025.
	{"valid, expired (no claim checked)", `return show(cf.cwt.validateToken(T.akamai, {key: K}));`,
		`{payload:{4:number 1742159862,5:number 1742159883,6:number 1742159883},protectedHeaders:{1:number 5},unprotectedHeaders:{4:B(616b616d61695f6b65795f6873323536)}}`},
	{"valid, iss", `return show(cf.cwt.validateToken(T.akamaiIss, {key: K}).payload['1']);`, `"coap://jonas.example.com"`},
	// Claim keys are strings; the AWS examples' cwtObj[exp] reads nothing.
	{"claim keys are strings; the result nests them under payload", `var r = cf.cwt.validateToken(T.akamai, {key: K});
		return Object.keys(r.payload).map(function (k) { return typeof k; }).join(',') + '|' + r[4] + '|' + r.payload[4] + '|' + Object.keys(r).join(',');`,
		"string,string,string|undefined|1742159862|protectedHeaders,unprotectedHeaders,payload"},
	// UNVERIFIED: a byte string (kid, cti) is a Buffer.
	{"a byte string is a Buffer", `var kid = cf.cwt.validateToken(T.akamai, {key: K}).unprotectedHeaders['4']; return Buffer.isBuffer(kid) + '|' + kid.toString();`,
		"true|akamai_key_hs256"},
	// UNVERIFIED: negative keys, nested maps with string keys, a tag's
	// content for the tag, floats, booleans, null, arrays.
	{"shapes", `return show(cf.cwt.validateToken(T.shapes, {key: K}).payload);`,
		`{-7:number 1,10:null,3:["a","b"],311:[[number 24,B(cb0071)]],312:{3:{1:"/vod/"}},7:B(cafe),8:number 1.5,9:boolean true,name:"x"}`},
	{"nested maps read as playon's sample does", `return cf.cwt.validateToken(T.shapes, {key: K}).payload['312']['3']['1'];`, "/vod/"},
	{"the key may be a string", `return show(cf.cwt.validateToken(T.stringKey, {key: '` + cwtStringKey + `'}).payload);`, `{4:number 2000000000}`},
	{"tag 17 without 61", `return show(cf.cwt.validateToken(T.bare17, {key: K}).protectedHeaders);`, `{1:number 5}`},
	{"the largest token (768 bytes, 1024 base64url characters)", `return T.atLimit.length + '|' + typeof cf.cwt.validateToken(T.atLimit, {key: K}).payload['1'];`, "768|string"},
	// Refusals: all throw, an Error for the token, a TypeError for the
	// arguments.
	{"a tampered MAC", `return caught(function () { return cf.cwt.validateToken(T.tampered, {key: K}); });`, "threw Error: the MAC does not match"},
	{"the wrong key", `return caught(function () { return cf.cwt.validateToken(T.akamai, {key: 'wrong'}); });`, "threw Error: the MAC does not match"},
	// UNVERIFIED (test on AWS): the page's own sample, alg 4, is refused.
	{"RFC 8392 A.4, the AWS page's sample (alg 4)", `return caught(function () { return cf.cwt.validateToken(T.a4, {key: K}); });`,
		"threw Error: alg 4; only HS256 (alg 5, HMAC 256/256) is supported"},
	{"alg 4 with a full 32-byte tag", `return caught(function () { return cf.cwt.validateToken(T.a4full, {key: K}); }).split(';')[0];`, "threw Error: alg 4"},
	{"no alg", `return caught(function () { return cf.cwt.validateToken(T.noAlg, {key: K}); }).split(';')[0];`, "threw Error: alg <nil>"},
	{"alg \"5\", a string", `return /^threw Error: alg/.test(caught(function () { return cf.cwt.validateToken(T.algString, {key: K}); }));`, "true"},
	{"an 8-byte tag under alg 5", `return caught(function () { return cf.cwt.validateToken(T.tag8, {key: K}); });`, "threw Error: the MAC does not match"},
	{"no tag 17", `return caught(function () { return cf.cwt.validateToken(T.noTag17, {key: K}); });`, "threw Error: not a tagged CBOR item"},
	{"tag 61 without 17", `return caught(function () { return cf.cwt.validateToken(T.only61, {key: K}); });`, "threw Error: the CWT tag 61 holds no tagged item"},
	{"tag 18 (Sign1)", `return caught(function () { return cf.cwt.validateToken(T.tag18, {key: K}); });`, "threw Error: tag 18; only COSE_Mac0 (tag 17) is supported"},
	{"over 1 KB (769 bytes)", `return T.overLimit.length + '|' + caught(function () { return cf.cwt.validateToken(T.overLimit, {key: K}); });`,
		"769|threw Error: the token is 769 bytes; the limit is 768 (1024 base64url characters)"},
	{"a key both 1 and \"1\"", `return caught(function () { return cf.cwt.validateToken(T.collide, {key: K}); });`,
		`threw Error: payload: the map key "1" appears both as an integer and as text`},
	{"an integer beyond 2^53", `return caught(function () { return cf.cwt.validateToken(T.huge, {key: K}); }).split(' is ')[1];`, "beyond 2^53"},
	{"a time tag", `return caught(function () { return cf.cwt.validateToken(T.timeTag, {key: K}); }).indexOf('threw Error: payload: ');`, "0"},
	{"a duplicate claim key", `return caught(function () { return cf.cwt.validateToken(T.dupKey, {key: K}); }).indexOf('threw Error: payload: ');`, "0"},
	{"an indefinite-length map", `return caught(function () { return cf.cwt.validateToken(T.indefinite, {key: K}); }).indexOf('threw Error: payload: ');`, "0"},
	{"the token as a string", `return caught(function () { return cf.cwt.validateToken(T.akamai.toString('base64url'), {key: K}); });`,
		"threw TypeError: validateToken: the token must be a Buffer"},
	{"the token as a Uint8Array", `return caught(function () { return cf.cwt.validateToken(new Uint8Array(T.akamai), {key: K}); });`,
		"threw TypeError: validateToken: the token must be a Buffer"},
	{"no context", `return caught(function () { return cf.cwt.validateToken(T.akamai); });`, "threw TypeError: validateToken: the context must be an object holding key"},
	{"an empty key", `return caught(function () { return cf.cwt.validateToken(T.akamai, {key: ''}); });`, "threw TypeError: validateToken: key is required and must not be empty"},
	{"a number as the key", `return caught(function () { return cf.cwt.validateToken(T.akamai, {key: 5}); });`, "threw TypeError: validateToken: key must be a string or a Buffer"},
}

// TestCWTValidate runs validateCases in goja and (cross tier) in node's
// stand-in, which decodes with its own CBOR code: both must answer alike.
func TestCWTValidate(t *testing.T) {
	for _, c := range validateCases {
		t.Run(c.name, func(t *testing.T) {
			for engine, r := range engineRuns(t, cwtCode(t, c.body), nil) {
				if r.Outcome != Respond || bodyOf(r) != c.want {
					t.Errorf("%s: %s %q, body\n%s\nwant\n%s", engine, r.Outcome, r.Error, bodyOf(r), c.want)
				}
			}
		})
	}
}

// sealGo is what package cat's SealMac0 writes for m under the RFC key,
// as base64url: generateToken must write the same bytes.
func sealGo(t *testing.T, m cat.Mac0, key []byte, cwtTag bool) string {
	t.Helper()
	raw, err := cat.SealMac0(m, key, cwtTag)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(raw)
}

// TestCWTGenerate pins cf.cwt.generateToken: the documented argument order
// (the examples' order throws, saying so), the CWTObject shape, alg 5 as
// an integer, and the bytes: core deterministic CBOR, equal to what
// package cat's SealMac0 writes for the same values, in goja and node.
func TestCWTGenerate(t *testing.T) {
	rfcKey, _ := hex.DecodeString(cwtRFCKey)
	simple := cat.Mac0{
		Protected:   map[any]any{uint64(1): uint64(5)},
		Unprotected: map[any]any{uint64(4): []byte("k1")},
		Payload:     map[any]any{uint64(1): "iss", uint64(4): uint64(2000000000), int64(-7): int64(-2), "x": []any{1.5, true, nil, []byte{1, 2}}, uint64(312): map[any]any{uint64(3): map[any]any{uint64(1): "/vod/"}}},
	}
	const simpleJS = `{protectedHeaders: {1: 5}, unprotectedHeaders: {4: Buffer.from('k1')},
		payload: {1: 'iss', 4: 2000000000, '-7': -2, x: [1.5, true, null, new Uint8Array([1, 2])], 312: {3: {1: '/vod/'}}, skipped: undefined}}`
	renewed := cat.Mac0{
		Protected:   map[any]any{uint64(1): uint64(5)},
		Unprotected: map[any]any{uint64(4): []byte("akamai_key_hs256")},
		Payload:     map[any]any{uint64(4): uint64(1800000000), uint64(5): uint64(1742159883), uint64(6): uint64(1742159883)},
	}
	cases := []cwtCase{
		{"documented order", `return cf.cwt.generateToken({coseTag: 'MAC0', key: K}, ` + simpleJS + `).toString('base64url');`, sealGo(t, simple, rfcKey, false)},
		{"with the CWT tag", `return cf.cwt.generateToken({coseTag: 'MAC0', key: K, cwtTag: true}, ` + simpleJS + `).toString('base64url');`, sealGo(t, simple, rfcKey, true)},
		{"a string key", `return cf.cwt.generateToken({coseTag: 'MAC0', key: '` + cwtStringKey + `'}, ` + simpleJS + `).toString('base64url');`, sealGo(t, simple, []byte(cwtStringKey), false)},
		{"returns a Buffer that validates", `var tok = cf.cwt.generateToken({coseTag: 'MAC0', key: K}, ` + simpleJS + `);
			return Buffer.isBuffer(tok) + '|' + show(cf.cwt.validateToken(tok, {key: K}).payload);`,
			`true|{-7:number -2,1:"iss",312:{3:{1:"/vod/"}},4:number 2000000000,x:[number 1.5,boolean true,null,B(0102)]}`},
		// The renewal an edge does: validate, move exp, generate.
		{"renewal round trip", `var cwt = cf.cwt.validateToken(T.akamai, {key: K}); cwt.payload['4'] = 1800000000;
			return cf.cwt.generateToken({coseTag: 'MAC0', key: K, cwtTag: true}, cwt).toString('base64url');`, sealGo(t, renewed, rfcKey, true)},
		// Errata: AWS's examples call generateToken(payload, context).
		{"the examples' order throws", `return caught(function () { return cf.cwt.generateToken(` + simpleJS + `, {coseTag: 'MAC0', key: K}); });`,
			"threw TypeError: generateToken(generatorContext, payload): the first argument is a CWTObject, not the context; AWS's examples pass (payload, context), but the documented signature is (generatorContext, payload)"},
		{"the examples' protected/unprotected spelling throws", `return caught(function () { return cf.cwt.generateToken({coseTag: 'MAC0', key: K}, {protected: {1: 5}, unprotected: {}, payload: {4: 1}}); });`,
			"threw TypeError: generateToken: the CWTObject names its headers protectedHeaders and unprotectedHeaders, as validateToken returns them; AWS's example's protected is not read"},
		{"the examples' alg \"5\" throws", `return caught(function () { return cf.cwt.generateToken({coseTag: 'MAC0', key: K}, {protectedHeaders: {1: '5'}, payload: {4: 1}}); }).split(' (')[0];`,
			"threw Error: the protected header must hold alg 5"},
		{"no alg throws", `return caught(function () { return cf.cwt.generateToken({coseTag: 'MAC0', key: K}, {payload: {4: 1}}); }).split(' (')[0];`,
			"threw Error: the protected header must hold alg 5"},
		{"alg 4 throws", `return caught(function () { return cf.cwt.generateToken({coseTag: 'MAC0', key: K}, {protectedHeaders: {1: 4}, payload: {4: 1}}); }).split(' (')[0];`,
			"threw Error: the protected header must hold alg 5"},
		{"no coseTag", `return caught(function () { return cf.cwt.generateToken({key: K}, {protectedHeaders: {1: 5}, payload: {4: 1}}); });`,
			`threw TypeError: generateToken: generatorContext.coseTag is required; only "MAC0" is supported`},
		{"coseTag Sign1", `return caught(function () { return cf.cwt.generateToken({coseTag: 'Sign1', key: K}, {protectedHeaders: {1: 5}, payload: {4: 1}}); });`,
			`threw TypeError: generateToken: coseTag Sign1 is not supported; only "MAC0" is`},
		{"cwtTag not a boolean", `return caught(function () { return cf.cwt.generateToken({coseTag: 'MAC0', key: K, cwtTag: 'yes'}, {protectedHeaders: {1: 5}, payload: {4: 1}}); });`,
			"threw TypeError: generateToken: cwtTag must be a boolean"},
		{"no key", `return caught(function () { return cf.cwt.generateToken({coseTag: 'MAC0'}, {protectedHeaders: {1: 5}, payload: {4: 1}}); });`,
			"threw TypeError: generateToken: key is required and must not be empty"},
		{"no payload", `return caught(function () { return cf.cwt.generateToken({coseTag: 'MAC0', key: K}, {protectedHeaders: {1: 5}}); });`,
			"threw TypeError: generateToken: the CWTObject has no payload"},
		{"a function in the payload", `return caught(function () { return cf.cwt.generateToken({coseTag: 'MAC0', key: K}, {protectedHeaders: {1: 5}, payload: {4: show}}); });`,
			"threw TypeError: generateToken: payload: a function cannot be encoded"},
		{"over 1 KB", `return caught(function () { return cf.cwt.generateToken({coseTag: 'MAC0', key: K}, {protectedHeaders: {1: 5}, payload: {1: 'i'.repeat(800)}}); }).split(';')[0];`,
			"threw Error: the token would be 849 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for engine, r := range engineRuns(t, cwtCode(t, c.body), nil) {
				if r.Outcome != Respond || bodyOf(r) != c.want {
					t.Errorf("%s: %s %q, body\n%s\nwant\n%s", engine, r.Outcome, r.Error, bodyOf(r), c.want)
				}
			}
		})
	}
}

// TestCWTDifferential is the goja ↔ node differential over generated
// tokens: CATs minted by package cat (several claim sets, with and
// without tag 61, under a Buffer key and a string key) and, for each,
// every single-bit flip at a spread of positions and a truncation. Each
// engine validates all of them in one invocation, reading them from the
// key value store as Buffers; the verdicts (the decoded object, or the
// kind of error thrown: the messages of malformed CBOR are each decoder's
// own) must be the same, the unaltered tokens must validate, and a flip in
// the MAC tag and a truncation must throw (a flip elsewhere may validate:
// the unprotected header, the kid, is not under the MAC).
func TestCWTDifferential(t *testing.T) {
	testenv.Node(t) // the cross tier: node is the second engine
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rfcKey, _ := hex.DecodeString(cwtRFCKey)
	claimSets := []cat.Claims{
		{Expires: now.Add(time.Hour)},
		{Issuer: "https://issuer.example.com", Audience: []string{"media.example.com"}, Expires: now.Add(time.Hour), NotBefore: now, IssuedAt: now, ID: []byte("sess-1")},
		{Audience: []string{"a", "b"}, Expires: now.Add(time.Minute), ID: []byte("sess-2"), Methods: []string{"GET", "HEAD"},
			URI:      []cat.URIMatch{{Component: cat.ComponentHost, Type: cat.MatchSuffix, Value: ".example.com"}, {Component: cat.ComponentPath, Type: cat.MatchPrefix, Value: "/vod/"}},
			Networks: []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("2001:db8::/32")}},
	}
	kvs := NewKVS()
	var keys []string
	put := func(raw []byte, keyKind, what string) {
		k := fmt.Sprintf("%s:%d:%s", keyKind, len(keys), what)
		if err := kvs.Put(k, raw); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	originals := 0
	for i, c := range claimSets {
		for _, keyKind := range []string{"buf", "str"} {
			secret := rfcKey
			if keyKind == "str" {
				secret = []byte(cwtStringKey)
			}
			r, err := cat.NewRing(cat.Key{ID: "k1", Secret: secret})
			if err != nil {
				t.Fatal(err)
			}
			tok, err := r.Mint("k1", c, cat.MintOptions{CWTTag: i%2 == 0})
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := base64.RawURLEncoding.DecodeString(tok)
			put(raw, keyKind, "unaltered")
			originals++
			for _, p := range []int{0, 1, 2, 3, 4, 5, 6, 8, 10, len(raw) / 3, len(raw) / 2, len(raw) - 34, len(raw) - 33, len(raw) - 1} {
				for bit := 0; bit < 8; bit += 3 {
					m := append([]byte(nil), raw...)
					m[p] ^= 1 << bit
					what := "flip"
					if p >= len(raw)-32 {
						what = "flip-in-tag"
					}
					put(m, keyKind, what)
				}
			}
			put(raw[:len(raw)-1], keyKind, "truncated")
		}
	}
	code := "import cf from 'cloudfront';\n" + cwtShowHelper + `
var K = Buffer.from('` + cwtRFCKey + `', 'hex');
async function handler(event) {
  var kvs = cf.kvs(), keys = '` + strings.Join(keys, ",") + `'.split(','), out = [];
  for (var i = 0; i < keys.length; i++) {
    var tok = await kvs.get(keys[i], {format: 'bytes'});
    var key = keys[i].indexOf('str:') === 0 ? '` + cwtStringKey + `' : K;
    try { out.push('ok ' + show(cf.cwt.validateToken(tok, {key: key}))); } catch (e) { out.push('threw ' + e.name); }
  }
  return {statusCode: 200, body: out.join('\n')};
}`
	runs := engineRuns(t, code, kvs)
	g, n := runs["goja"], runs["node"]
	if g.Outcome != Respond || n.Outcome != Respond {
		t.Fatalf("goja %s %q, node %s %q", g.Outcome, g.Error, n.Outcome, n.Error)
	}
	gl, nl := strings.Split(bodyOf(g), "\n"), strings.Split(bodyOf(n), "\n")
	if len(gl) != len(keys) || len(nl) != len(keys) {
		t.Fatalf("%d and %d verdicts for %d tokens", len(gl), len(nl), len(keys))
	}
	ok, threw := 0, 0
	for i := range keys {
		if gl[i] != nl[i] {
			t.Errorf("token %s: goja %q, node %q", keys[i], gl[i], nl[i])
		}
		valid := strings.HasPrefix(gl[i], "ok ")
		if valid {
			ok++
		} else {
			threw++
		}
		switch what := keys[i][strings.LastIndex(keys[i], ":")+1:]; {
		case what == "unaltered" && !valid, what != "unaltered" && what != "flip" && valid:
			t.Errorf("token %s: %q", keys[i], gl[i])
		}
	}
	if ok < originals || threw < len(keys)/2 {
		t.Errorf("%d of %d tokens validated (%d unaltered), %d threw", ok, len(keys), originals, threw)
	}
	t.Logf("%d tokens: %d validated, %d threw, in both engines alike", len(keys), ok, threw)
}
