package cat

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

func mustB64(t testing.TB, tok string) []byte {
	t.Helper()
	raw, err := b64.DecodeString(tok)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestOpenMac0Vectors: the Akamai tokens open with their key (MAC only:
// the first is expired, which OpenMac0 does not check), with their claims
// decoded generically; RFC 8392 A.4 is refused as alg 4, as are both with
// an altered tag or the wrong key.
func TestOpenMac0Vectors(t *testing.T) {
	m, err := OpenMac0(mustB64(t, akamaiExpired), rfc8392Key)
	if err != nil {
		t.Fatal(err)
	}
	want := Mac0{
		Protected:   map[any]any{uint64(1): uint64(5)},
		Unprotected: map[any]any{uint64(4): []byte("akamai_key_hs256")},
		Payload:     map[any]any{uint64(4): uint64(1742159862), uint64(5): uint64(1742159883), uint64(6): uint64(1742159883)},
	}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("OpenMac0 = %#v\nwant %#v", m, want)
	}
	if m, err = OpenMac0(mustB64(t, akamaiNoExp), rfc8392Key); err != nil || m.Payload[uint64(1)] != "coap://jonas.example.com" {
		t.Fatalf("second token: %#v, %v", m, err)
	}
	a4, _ := hex.DecodeString(rfc8392A4)
	if _, err := OpenMac0(a4, rfc8392Key); !errors.Is(err, ErrMac0) || !strings.Contains(err.Error(), "alg 4") {
		t.Fatalf("A.4: %v; want refused as alg 4", err)
	}
	for _, tok := range []string{akamaiExpired, akamaiNoExp} {
		if _, err := OpenMac0(mustB64(t, flipLastTagByte(t, tok)), rfc8392Key); err == nil || !strings.Contains(err.Error(), "MAC") {
			t.Errorf("altered tag: %v", err)
		}
		if _, err := OpenMac0(mustB64(t, tok), testSecret("other", 32)); err == nil || !strings.Contains(err.Error(), "MAC") {
			t.Errorf("wrong key: %v", err)
		}
	}
}

// TestOpenMac0OpensMint: what Mint writes opens, with and without tag 61,
// and SealMac0 of what OpenMac0 returns is Mint's token byte for byte
// (both write core deterministic CBOR), but for catnip: OpenMac0 keeps a
// tag's content only (catnip's 52/54), so sealing it again drops them.
func TestOpenMac0OpensMint(t *testing.T) {
	r := testRing(t)
	withNets, err := r.Mint("k1", baseClaims(), MintOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := OpenMac0(mustB64(t, withNets), testSecret("k1", 32))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Payload[uint64(311)]; !reflect.DeepEqual(got, []any{[]any{uint64(24), []byte{203, 0, 113}}}) {
		t.Fatalf("catnip = %#v; want its tag 54 dropped", got)
	}
	c := baseClaims()
	c.Networks = nil
	for _, cwt := range []bool{false, true} {
		tok, err := r.Mint("k1", c, MintOptions{CWTTag: cwt})
		if err != nil {
			t.Fatal(err)
		}
		m, err := OpenMac0(mustB64(t, tok), testSecret("k1", 32))
		if err != nil {
			t.Fatalf("cwt %v: %v", cwt, err)
		}
		if cti, _ := m.Payload[uint64(7)].([]byte); !bytes.Equal(cti, []byte("sess-0123456789abcdef")) {
			t.Errorf("cti = %#v", m.Payload[uint64(7)])
		}
		again, err := SealMac0(m, testSecret("k1", 32), cwt)
		if err != nil || b64.EncodeToString(again) != tok {
			t.Fatalf("SealMac0(OpenMac0(Mint)) = %x, %v\nwant %s", again, err, tok)
		}
	}
}

// TestMac0Malformed: no tag 17, another COSE tag, a wrong shape, alg
// missing or not the integer 5, and trailing bytes are refused, before
// the MAC is computed; so is a non-map payload after it.
func TestMac0Malformed(t *testing.T) {
	key := testSecret("k1", 32)
	claims := mustCBOR(t, map[int64]any{4: 2000000000})
	p5 := []byte{0xa1, 0x01, 0x05}
	good := func(protected, payload []byte) []any {
		return []any{protected, map[int64][]byte{4: []byte("k1")}, payload, macOf(key, protected, payload)}
	}
	enc := func(v any) []byte { return mustCBOR(t, v) }
	tag := func(n uint64, v any) []byte { return mustCBOR(t, cbor.Tag{Number: n, Content: v}) }
	for name, raw := range map[string][]byte{
		"no tag 17":       enc(good(p5, claims)),
		"tag 18 (Sign1)":  tag(18, good(p5, claims)),
		"61 without 17":   tag(61, good(p5, claims)),
		"three items":     tag(17, good(p5, claims)[:3]),
		"alg 4":           tag(17, good([]byte{0xa1, 0x01, 0x04}, claims)),
		"alg missing":     tag(17, good([]byte{0xa0}, claims)),
		"empty protected": tag(17, good([]byte{}, claims)),
		"alg \"5\"":       tag(17, good(enc(map[int64]string{1: "5"}), claims)),
		"payload array":   tag(17, good(p5, enc([]int{1}))),
		"trailing byte":   append(tag(17, good(p5, claims)), 0),
	} {
		if _, err := OpenMac0(raw, key); !errors.Is(err, ErrMac0) {
			t.Errorf("%s: %v; want refused", name, err)
		}
	}
	if _, err := OpenMac0(tag(17, good(p5, claims)), key); err != nil {
		t.Fatalf("the well-formed control: %v", err)
	}
}

// TestMac0Limit: a token of exactly MaxTokenBytes (768, i.e. 1024
// base64url characters) opens; one byte more is refused by both SealMac0
// and OpenMac0, and Mint refuses the same claims.
func TestMac0Limit(t *testing.T) {
	key := testSecret("k1", 32)
	seal := func(n int) []byte {
		raw, err := SealMac0(Mac0{
			Protected: map[any]any{uint64(1): uint64(5)}, Unprotected: map[any]any{uint64(4): []byte("k1")},
			Payload: map[any]any{uint64(1): strings.Repeat("i", n)},
		}, key, false)
		if err != nil && n < 600 {
			t.Fatalf("SealMac0 of %d: %v", n, err)
		}
		return raw
	}
	n := 600
	for len(seal(n)) < MaxTokenBytes {
		n++
	}
	raw := seal(n)
	if len(raw) != MaxTokenBytes || b64.EncodedLen(len(raw)) != MaxTokenLen {
		t.Fatalf("%d bytes", len(raw))
	}
	if _, err := OpenMac0(raw, key); err != nil {
		t.Fatalf("a token of the limit: %v", err)
	}
	if seal(n+1) != nil {
		t.Fatal("SealMac0 wrote a token over the limit")
	}
	over := append(append([]byte(nil), raw...), 0) // refused for its length before its trailing byte
	if _, err := OpenMac0(over, key); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("over the limit: %v", err)
	}
}

// TestSealMac0Alg: the protected header must say alg 5, as an integer.
func TestSealMac0Alg(t *testing.T) {
	for name, p := range map[string]map[any]any{
		"missing": {}, "string": {uint64(1): "5"}, "alg 4": {uint64(1): uint64(4)}, "nil": nil,
	} {
		if _, err := SealMac0(Mac0{Protected: p, Payload: map[any]any{uint64(4): uint64(1)}}, []byte("k"), false); !errors.Is(err, ErrMac0) {
			t.Errorf("%s: %v; want refused", name, err)
		}
	}
}

// FuzzOpenMac0: whatever bytes it is fed, OpenMac0 never panics, and what
// it opens seals again (SealMac0) into a token that opens to the same
// values: the generic values it returns are all ones SealMac0 takes.
func FuzzOpenMac0(f *testing.F) {
	key := testSecret("k1", 32)
	r := testRing(f)
	for _, cwt := range []bool{false, true} {
		f.Add(mustB64(f, mint(f, r, "k1", baseClaims(), MintOptions{CWTTag: cwt})))
	}
	f.Add([]byte{0xd1, 0x84, 0x43, 0xa1, 0x01, 0x05, 0xa0, 0x41, 0xa0, 0x40})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := OpenMac0(raw, key)
		if err != nil {
			return
		}
		again, err := SealMac0(m, key, false)
		if err != nil {
			if errors.Is(err, ErrMac0) && strings.Contains(err.Error(), "limit") {
				return // dropped tags or wider encodings can grow a token past the limit
			}
			t.Fatalf("SealMac0 of what OpenMac0 returned: %v", err)
		}
		m2, err := OpenMac0(again, key)
		if err != nil || !reflect.DeepEqual(m, m2) {
			t.Fatalf("resealed: %#v, %v; want %#v", m2, err, m)
		}
	})
}
