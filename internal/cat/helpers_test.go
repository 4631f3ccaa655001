package cat

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// t0 is the tests' "now": 2026-01-01T00:00:00Z.
var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// testSecret is a deterministic secret of n bytes for key id.
func testSecret(id string, n int) []byte {
	b := make([]byte, 0, n+sha256.Size)
	for i := uint32(0); len(b) < n; i++ {
		var c [4]byte
		binary.BigEndian.PutUint32(c[:], i)
		s := sha256.Sum256(append([]byte("cat-test-secret/"+id+"/"), c[:]...))
		b = append(b, s[:]...)
	}
	return b[:n]
}

func testRing(t testing.TB) *Ring {
	t.Helper()
	r, err := NewRing(Key{ID: "k1", Secret: testSecret("k1", 32)}, Key{ID: "k2", Secret: testSecret("k2", 48), Alg: HS256})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// baseClaims is a realistic segment grant: every implemented claim but
// catr and crit.
func baseClaims() Claims {
	return Claims{
		Issuer:    "https://issuer.example.com",
		Audience:  []string{"media.example.com"},
		Expires:   t0.Add(time.Hour),
		NotBefore: t0.Add(-time.Minute),
		IssuedAt:  t0.Add(-time.Minute),
		ID:        []byte("sess-0123456789abcdef"),
		URI: []URIMatch{
			{Component: ComponentScheme, Type: MatchExact, Value: "https"},
			{Component: ComponentHost, Type: MatchExact, Value: "media.example.com"},
			{Component: ComponentPath, Type: MatchPrefix, Value: "/vod/movie-42/"},
		},
		Methods:  []string{"GET", "HEAD"},
		Networks: []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24")},
	}
}

func baseRequest() Request {
	return Request{Now: t0, Scheme: "https", Host: "media.example.com", Path: "/vod/movie-42/seg-001.ts", Method: "GET", ClientIP: "203.0.113.7"}
}

func baseVerifier(r *Ring) *Verifier {
	return &Verifier{Ring: r, Issuer: "https://issuer.example.com", Audience: "media.example.com"}
}

func mint(t testing.TB, r *Ring, kid string, c Claims, o MintOptions) string {
	t.Helper()
	tok, err := r.Mint(kid, c, o)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func mustCBOR(t testing.TB, v any) []byte {
	t.Helper()
	b, err := encMode.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// bstrHead is the CBOR head of a byte string of n bytes, written out by
// hand so that the tests' MACs do not depend on the encoder under test.
func bstrHead(n int) []byte {
	switch {
	case n < 24:
		return []byte{0x40 | byte(n)}
	case n < 256:
		return []byte{0x58, byte(n)}
	default:
		return []byte{0x59, byte(n >> 8), byte(n)}
	}
}

// macOf is HMAC-SHA256 over RFC 9052's MAC_structure, built by hand:
// 0x84, "MAC0", bstr(protected), an empty bstr (0x40), bstr(payload).
func macOf(secret, protected, payload []byte) []byte {
	s := []byte{0x84, 0x64, 'M', 'A', 'C', '0'}
	s = append(append(s, bstrHead(len(protected))...), protected...)
	s = append(s, 0x40)
	s = append(append(s, bstrHead(len(payload))...), payload...)
	m := hmac.New(sha256.New, secret)
	m.Write(s)
	return m.Sum(nil)
}

// rawToken encodes an envelope the tests build, with a MAC computed by
// macOf, as base64url.
func rawToken(t testing.TB, protected []byte, unprotected any, payload, tag []byte, cwt bool) string {
	t.Helper()
	var msg any = cbor.Tag{Number: tagMac0, Content: []any{protected, unprotected, payload, tag}}
	if cwt {
		msg = cbor.Tag{Number: tagCWT, Content: msg}
	}
	return b64.EncodeToString(mustCBOR(t, msg))
}

// signPayload makes a genuine HS256 token of arbitrary payload bytes
// under the test key kid.
func signPayload(t testing.TB, kid string, payload []byte) string {
	t.Helper()
	p := []byte{0xa1, 0x01, 0x05}
	return rawToken(t, p, map[int64][]byte{4: []byte(kid)}, payload, macOf(testSecret(kid, map[string]int{"k1": 32, "k2": 48}[kid]), p, payload), false)
}

// signClaims signs a claims map (encoded by the CBOR encoder, so that a
// test can write any claim, valid or not).
func signClaims(t testing.TB, claims map[int64]any) string {
	t.Helper()
	return signPayload(t, "k1", mustCBOR(t, claims))
}

var reflectMapAny = reflect.TypeOf(map[any]any(nil))

func reflectDeepEqual(a, b any) bool { return reflect.DeepEqual(a, b) }
