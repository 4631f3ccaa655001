package cat

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// MaxTokenBytes is MaxTokenLen as bytes of CBOR: the longest raw token
// whose unpadded base64url fits in MaxTokenLen characters. CloudFront's
// cf.cwt takes the raw bytes (a Buffer), and its "1 KB" limit may mean
// them or their base64 (UNVERIFIED); the local cf.cwt applies this one,
// the stricter reading, as Mint does, so that what the emulator accepts
// AWS accepts under either reading, and every token Mint makes fits.
const MaxTokenBytes = MaxTokenLen / 4 * 3

// Mac0 is a COSE_Mac0 message's headers and payload, as generic CBOR
// values: maps are map[any]any with uint64, int64 or string keys, integers
// uint64 or int64, byte strings []byte, text strings string, arrays []any,
// floats float64, and bool and nil. A tag other than 0 to 3 stands for its
// content. It is what CloudFront Functions' cf.cwt reads and writes
// (OpenMac0, SealMac0), which, unlike Verifier, checks the MAC only.
type Mac0 struct {
	Protected, Unprotected, Payload map[any]any
}

// ErrMac0 is the error of every refused message; the wrapped text says why.
var ErrMac0 = errors.New("cat: COSE_Mac0")

func mac0Err(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMac0}, a...)...)
}

// anyMode decodes headers and payload generically, as strictly as decMode:
// duplicate keys, indefinite lengths and invalid UTF-8 are refused.
var anyMode = func() cbor.DecMode {
	o := strictDecoding()
	o.DefaultMapType = reflect.TypeOf(map[any]any(nil))
	o.IntDec = cbor.IntDecConvertNone
	o.UnrecognizedTagToAny = cbor.UnrecognizedTagContentToAny
	return mustDecMode(o)
}()

// OpenMac0 checks raw, the CBOR of [61(]17([protected, unprotected,
// payload, tag])[)], as cf.cwt.validateToken does: at most MaxTokenBytes,
// tag 17 required and 61 optional, the protected header's alg HS256 (5,
// so RFC 8392's HMAC 256/64 example is refused), and the 32-byte tag
// HMAC-SHA256(secret) over the MAC_structure, compared with hmac.Equal.
// Only then are the headers and the payload (a map) decoded; no claim is
// checked. It never panics.
func OpenMac0(raw, secret []byte) (Mac0, error) {
	var m Mac0
	if len(raw) > MaxTokenBytes {
		return m, mac0Err("the token is %d bytes; the limit is %d (%d base64url characters)", len(raw), MaxTokenBytes, MaxTokenLen)
	}
	var t cbor.RawTag
	if major(raw) != majorTag || decMode.Unmarshal(raw, &t) != nil {
		return m, mac0Err("not a tagged CBOR item")
	}
	if t.Number == tagCWT {
		content := t.Content
		if major(content) != majorTag || decMode.Unmarshal(content, &t) != nil {
			return m, mac0Err("the CWT tag 61 holds no tagged item")
		}
	}
	if t.Number != tagMac0 {
		return m, mac0Err("tag %d; only COSE_Mac0 (tag 17) is supported", t.Number)
	}
	var parts []cbor.RawMessage
	if major(t.Content) != majorArray || decMode.Unmarshal(t.Content, &parts) != nil || len(parts) != 4 {
		return m, mac0Err("tag 17 must hold an array of 4 items")
	}
	var protected, payload, tag []byte
	for i, dst := range []*[]byte{&protected, nil, &payload, &tag} {
		if dst != nil && (major(parts[i]) != majorBytes || decMode.Unmarshal(parts[i], dst) != nil) {
			return m, mac0Err("item %d must be a byte string", i)
		}
	}
	var err error
	if m.Protected, err = decodeAnyMap(protected, true); err != nil {
		return Mac0{}, mac0Err("protected header: %v", err)
	}
	if a, ok := m.Protected[uint64(headerAlg)].(uint64); !ok || a != uint64(HS256) {
		return Mac0{}, mac0Err("alg %v; only HS256 (alg 5, HMAC 256/256) is supported", m.Protected[uint64(headerAlg)])
	}
	if major(parts[1]) != majorMap {
		return Mac0{}, mac0Err("the unprotected header must be a map")
	}
	if m.Unprotected, err = decodeAnyMap(parts[1], true); err != nil {
		return Mac0{}, mac0Err("unprotected header: %v", err)
	}
	want, err := mac0Tag(secret, protected, payload)
	if err != nil || !hmac.Equal(want, tag) {
		return Mac0{}, mac0Err("the MAC does not match")
	}
	if m.Payload, err = decodeAnyMap(payload, false); err != nil {
		return Mac0{}, mac0Err("payload: %v", err)
	}
	return m, nil
}

// decodeAnyMap decodes a map generically (empty bytes are an empty map
// where emptyOK, as an empty protected header is encoded).
func decodeAnyMap(b []byte, emptyOK bool) (map[any]any, error) {
	if len(b) == 0 && emptyOK {
		return map[any]any{}, nil
	}
	if major(b) != majorMap {
		return nil, errors.New("not a map")
	}
	var v any
	if err := anyMode.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	m, _ := v.(map[any]any)
	if err := checkAny(m, 0); err != nil {
		return nil, err
	}
	return m, nil
}

// checkAny refuses what Mac0 does not describe: time and bignum tags (0 to
// 3), simple values, and map keys other than integers and text.
func checkAny(v any, depth int) error {
	switch x := v.(type) {
	case map[any]any:
		for k, e := range x {
			switch k.(type) {
			case uint64, int64, string:
			default:
				return fmt.Errorf("a map key of type %T; only integers and text strings are supported", k)
			}
			if err := checkAny(e, depth+1); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range x {
			if err := checkAny(e, depth+1); err != nil {
				return err
			}
		}
	case time.Time, big.Int, *big.Int:
		return errors.New("a time or bignum tag (0 to 3), which is not supported")
	case cbor.SimpleValue:
		return fmt.Errorf("the simple value %d, which is not supported", x)
	}
	return nil
}

// mac0Tag is HMAC-SHA256 over the MAC_structure (RFC 9052 section 6.3).
func mac0Tag(secret, protected, payload []byte) ([]byte, error) {
	structure, err := encMode.Marshal([]any{macContext, protected, []byte{}, payload})
	if err != nil {
		return nil, err
	}
	h := hmac.New(sha256.New, secret)
	h.Write(structure)
	return h.Sum(nil), nil
}

// SealMac0 writes m as 17([protected, unprotected, payload, tag]) (inside
// the CWT tag 61 with cwtTag) in core deterministic CBOR, the tag being
// HMAC-SHA256(secret), as cf.cwt.generateToken does. The protected header
// must name alg HS256 (the integer 5); the token must fit in
// MaxTokenBytes.
func SealMac0(m Mac0, secret []byte, cwtTag bool) ([]byte, error) {
	if a, ok := m.Protected[uint64(headerAlg)]; !ok || !isInt(a, uint64(HS256)) {
		return nil, mac0Err("the protected header must hold alg 5 (HS256) under label 1, not %#v", a)
	}
	for _, part := range []map[any]any{m.Protected, m.Unprotected, m.Payload} {
		if err := checkAny(part, 0); err != nil {
			return nil, mac0Err("%v", err)
		}
	}
	protected, err := encMode.Marshal(m.Protected)
	if err != nil {
		return nil, mac0Err("encoding the protected header: %v", err)
	}
	if m.Payload == nil {
		return nil, mac0Err("no payload")
	}
	payload, err := encMode.Marshal(m.Payload)
	if err != nil {
		return nil, mac0Err("encoding the payload: %v", err)
	}
	unprotected := m.Unprotected
	if unprotected == nil {
		unprotected = map[any]any{}
	}
	tag, err := mac0Tag(secret, protected, payload)
	if err != nil {
		return nil, mac0Err("encoding the MAC structure: %v", err)
	}
	var msg any = cbor.Tag{Number: tagMac0, Content: []any{protected, unprotected, payload, tag}}
	if cwtTag {
		msg = cbor.Tag{Number: tagCWT, Content: msg}
	}
	raw, err := encMode.Marshal(msg)
	if err != nil {
		return nil, mac0Err("encoding the token: %v", err)
	}
	if len(raw) > MaxTokenBytes {
		return nil, mac0Err("the token would be %d bytes; the limit is %d (%d base64url characters)", len(raw), MaxTokenBytes, MaxTokenLen)
	}
	return raw, nil
}

// isInt reports whether v, a generic CBOR integer, is want (>= 0).
func isInt(v any, want uint64) bool {
	x, ok := v.(uint64)
	return ok && x == want
}
