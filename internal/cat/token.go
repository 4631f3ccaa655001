package cat

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"sync"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

// MaxTokenLen is the longest token, in base64url characters (768 bytes of
// CBOR). CloudFront's cf.cwt takes tokens of "at most 1 KB"; whether it
// means the raw CBOR or its base64 is not documented (UNVERIFIED), so the
// stricter reading holds here: a token that fits in 1024 characters fits
// either way, and it is also what travels in the header, query or cookie.
const MaxTokenLen = 1024

// Alg is a COSE algorithm identifier (RFC 9053).
type Alg int64

// HS256 is HMAC-SHA256 with its full 32-byte tag (COSE "HMAC 256/256",
// alg 5): the only algorithm CloudFront Functions' cf.cwt implements, and
// so the only one here. RFC 8392's example uses alg 4 (HMAC 256/64, an
// 8-byte tag): a different algorithm, refused.
const HS256 Alg = 5

// COSE tags and header labels (RFC 9052, RFC 8392).
const (
	tagCWT     = 61
	tagMac0    = 17
	headerAlg  = 1
	headerKid  = 4
	macContext = "MAC0"
)

var b64 = base64.RawURLEncoding.Strict()

// strictDecoding are the rules of every CBOR decoder here: duplicate map
// keys, indefinite lengths, invalid UTF-8 and (by Unmarshal) trailing
// bytes are refused, and nesting and sizes are bounded well above what a
// 768-byte token can hold anyway.
func strictDecoding() cbor.DecOptions {
	return cbor.DecOptions{
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
		IndefLength:      cbor.IndefLengthForbidden,
		MaxNestedLevels:  10,
		MaxArrayElements: 256,
		MaxMapPairs:      256,
		UTF8:             cbor.UTF8RejectInvalid,
	}
}

func mustDecMode(o cbor.DecOptions) cbor.DecMode {
	dm, err := o.DecMode()
	if err != nil {
		panic("cat: CBOR decoder options: " + err.Error())
	}
	return dm
}

// decMode is the one decoder of tokens and claims.
var decMode = mustDecMode(strictDecoding())

// encMode writes RFC 8949 core deterministic encoding, so a claim set has
// one encoding and a minted token is reproducible.
var encMode = func() cbor.EncMode {
	em, err := cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		panic("cat: CBOR encoder options: " + err.Error())
	}
	return em
}()

// Key is one key of a ring.
type Key struct {
	// ID is the kid, as streamkey.ValidKeyID allows (1 to 32 of A-Z a-z
	// 0-9 - _), carried as a byte string in the unprotected header.
	ID string
	// Secret is the HMAC key, at least streamkey.MinSecretBytes long.
	Secret []byte
	// Alg is the algorithm the key is pinned to; 0 means HS256, the only
	// one implemented. A token naming another algorithm is refused even
	// if its MAC would check out under this key: pinning stops an
	// attacker from choosing how the key is used.
	Alg Alg
}

// Ring is a set of keys looked up by kid. It is safe for concurrent use.
type Ring struct {
	keys []*ringKey
}

type ringKey struct {
	Key
	macs sync.Pool // of hash.Hash: HMAC-SHA256 keyed once
}

// NewRing validates keys and builds a ring. Secrets are copied.
func NewRing(keys ...Key) (*Ring, error) {
	if len(keys) == 0 {
		return nil, errors.New("cat: a key ring needs at least one key")
	}
	r := &Ring{}
	for i, k := range keys {
		if err := streamkey.ValidKeyID(k.ID); err != nil {
			return nil, fmt.Errorf("cat: key %d: %w", i, err)
		}
		if r.lookup([]byte(k.ID)) != nil {
			return nil, fmt.Errorf("cat: key id %q appears twice in the ring; key ids must be unique", k.ID)
		}
		if k.Alg == 0 {
			k.Alg = HS256
		}
		if k.Alg != HS256 {
			return nil, fmt.Errorf("cat: key %q is pinned to COSE alg %d; only HS256 (alg 5, HMAC 256/256) is implemented", k.ID, k.Alg)
		}
		if len(k.Secret) < streamkey.MinSecretBytes {
			return nil, fmt.Errorf("cat: key %q has a %d-byte secret; use at least %d random bytes", k.ID, len(k.Secret), streamkey.MinSecretBytes)
		}
		rk := &ringKey{Key: k}
		rk.Secret = append([]byte(nil), k.Secret...)
		rk.macs.New = func() any { return hmac.New(sha256.New, rk.Secret) }
		r.keys = append(r.keys, rk)
	}
	return r, nil
}

// lookup finds a key by kid; rings are small, a scan beats a map.
func (r *Ring) lookup(kid []byte) *ringKey {
	for _, k := range r.keys {
		if k.ID == string(kid) {
			return k
		}
	}
	return nil
}

// mac computes the tag over the MAC_structure (RFC 9052 section 6.3): the
// array of "MAC0", the protected header as the bytes it was sent as, an
// empty byte string (no external data) and the payload bytes.
func (k *ringKey) mac(protected, payload []byte) ([]byte, error) {
	structure, err := encMode.Marshal([]any{macContext, protected, []byte{}, payload})
	if err != nil {
		return nil, err
	}
	h, _ := k.macs.Get().(hash.Hash)
	defer k.macs.Put(h)
	h.Reset()
	h.Write(structure)
	return h.Sum(nil), nil
}

// MintOptions are choices of encoding that do not change what a token says.
type MintOptions struct {
	// CWTTag wraps the token in the CWT tag 61 (RFC 8392 section 6).
	// Verify accepts tokens with and without it; it costs two bytes.
	CWTTag bool
}

// Mint signs a token for c with the key kid: 17([h'A10105' (alg HS256),
// {4: kid}, claims, HMAC-SHA256 tag]), in core deterministic CBOR, as
// unpadded base64url. It refuses claims that are invalid or that make a
// token longer than MaxTokenLen.
func (r *Ring) Mint(kid string, c Claims, o MintOptions) (string, error) {
	k := r.lookup([]byte(kid))
	if k == nil {
		return "", fmt.Errorf("cat: no key %q in the ring", kid)
	}
	claims, err := c.cborMap()
	if err != nil {
		return "", fmt.Errorf("cat: %w", err)
	}
	payload, err := encMode.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("cat: encoding the claims: %w", err)
	}
	protected, err := encMode.Marshal(map[int64]int64{headerAlg: int64(k.Alg)})
	if err != nil {
		return "", fmt.Errorf("cat: encoding the protected header: %w", err)
	}
	tag, err := k.mac(protected, payload)
	if err != nil {
		return "", fmt.Errorf("cat: encoding the MAC structure: %w", err)
	}
	var msg any = cbor.Tag{Number: tagMac0, Content: []any{protected, map[int64][]byte{headerKid: []byte(kid)}, payload, tag}}
	if o.CWTTag {
		msg = cbor.Tag{Number: tagCWT, Content: msg}
	}
	raw, err := encMode.Marshal(msg)
	if err != nil {
		return "", fmt.Errorf("cat: encoding the token: %w", err)
	}
	if n := b64.EncodedLen(len(raw)); n > MaxTokenLen {
		return "", fmt.Errorf("cat: the token takes %d characters; the limit is %d (CloudFront's cf.cwt takes 1 KB): use fewer or shorter claims", n, MaxTokenLen)
	}
	return b64.EncodeToString(raw), nil
}

// Request is what the verifier knows about the HTTP request.
type Request struct {
	// Now is the time to check against; zero means time.Now().
	Now time.Time
	// Scheme is "https" or "http"; Host is the Host header (a port is
	// ignored); Path is the path as received (percent-encoded, no query);
	// Method is the HTTP method; ClientIP is the viewer's address.
	Scheme, Host, Path, Method, ClientIP string
}

// Verifier checks tokens against a ring and a policy.
type Verifier struct {
	Ring *Ring
	// MaxLifetime and Leeway are the time policy, exactly as
	// streamkey.Verifier has them (streamkey.TimeLimits): zero means the
	// default, streamkey.NoLeeway no leeway; leeway applies to nbf and
	// the lifetime bound, never to exp.
	MaxLifetime, Leeway time.Duration
	// Issuer, when set, is the only iss accepted (a token without iss is
	// refused).
	Issuer string
	// Audience, when set, must be in aud (a token without aud is
	// refused). When unset, a token with aud is refused: it was meant for
	// someone who says who they are (RFC 7519 section 4.1.3).
	Audience string
	// Renewal switches catr on. Off, a token carrying catr is refused as
	// unsupported, since its issuer expects a renewal nobody would do.
	Renewal bool
}

// Result is the verdict on a token.
type Result struct {
	Reason Reason
	// KeyID is the token's kid, once the envelope is well-formed and the
	// kid a valid key id (so that no attacker's bytes reach a log).
	KeyID string
	// Claims are set once the MAC has been checked and the claims decoded
	// without fault (malformed and unsupported claims leave them zero).
	Claims Claims
}

// OK reports whether the token was accepted.
func (r Result) OK() bool { return r.Reason == OK }

// Err returns nil for an accepted token, else an error naming the reason.
func (r Result) Err() error {
	if r.Reason == OK {
		return nil
	}
	if r.KeyID != "" {
		return errors.New("common access token refused: " + r.Reason.String() + " (kid " + r.KeyID + ")")
	}
	return errors.New("common access token refused: " + r.Reason.String())
}

// Verify checks token against the request. It never panics, whatever the
// input; checks run in the order the Reason constants describe. The MAC
// is checked before the claims are decoded, so no claim byte an attacker
// chose is parsed unless the key holder wrote it.
func (v *Verifier) Verify(token string, req Request) Result {
	var res Result
	if token == "" {
		res.Reason = Missing
		return res
	}
	env, why := parseEnvelope(token)
	if why != OK {
		res.Reason = why
		return res
	}
	if streamkey.ValidKeyID(string(env.kid)) == nil {
		res.KeyID = string(env.kid)
	}
	if v.Ring == nil {
		res.Reason = UnknownKey
		return res
	}
	k := v.Ring.lookup(env.kid)
	if k == nil {
		res.Reason = UnknownKey
		return res
	}
	if !env.algOK || env.alg != k.Alg {
		res.Reason = WrongAlg
		return res
	}
	want, err := k.mac(env.protected, env.payload)
	if err != nil || !hmac.Equal(want, env.tag) {
		res.Reason = BadMAC
		return res
	}
	c, why := decodeClaims(env.payload, v.Renewal)
	if why != OK {
		res.Reason = why
		return res
	}
	res.Claims = c
	res.Reason = v.check(&res.Claims, req)
	return res
}

// envelope is a parsed token before its MAC is checked.
type envelope struct {
	protected, payload, tag, kid []byte
	alg                          Alg
	algOK                        bool // alg present and an integer
}

// parseEnvelope reads [61(]17([protected, unprotected, payload, tag])[)]
// from unpadded base64url. The protected header may hold alg and kid, the
// unprotected one kid only (alg must be protected, RFC 9052 section 3.1);
// any other header parameter, COSE's crit among them, is refused.
func parseEnvelope(token string) (envelope, Reason) {
	var env envelope
	if len(token) > MaxTokenLen || !isB64URL(token) {
		return env, Malformed
	}
	raw, err := b64.DecodeString(token)
	if err != nil {
		return env, Malformed
	}
	var t cbor.RawTag
	if major(raw) != majorTag || decMode.Unmarshal(raw, &t) != nil {
		return env, Malformed
	}
	if t.Number == tagCWT {
		content := t.Content
		if major(content) != majorTag || decMode.Unmarshal(content, &t) != nil {
			return env, Malformed
		}
	}
	var parts []cbor.RawMessage
	if t.Number != tagMac0 || major(t.Content) != majorArray || decMode.Unmarshal(t.Content, &parts) != nil || len(parts) != 4 {
		return env, Malformed
	}
	for i, dst := range []*[]byte{&env.protected, nil, &env.payload, &env.tag} {
		if dst != nil && (major(parts[i]) != majorBytes || decMode.Unmarshal(parts[i], dst) != nil) {
			return env, Malformed
		}
	}
	if len(env.payload) == 0 {
		return env, Malformed
	}
	var kidP, kidU []byte
	if len(env.protected) > 0 {
		hdr, labels, why := decodeMap(env.protected)
		if why != OK {
			return env, Malformed
		}
		for _, l := range labels {
			switch l {
			case headerAlg:
				var a int64
				if m := major(hdr[l]); (m == majorUint || m == majorNegInt) && decMode.Unmarshal(hdr[l], &a) == nil {
					env.alg, env.algOK = Alg(a), true
				}
			case headerKid:
				if major(hdr[l]) != majorBytes || decMode.Unmarshal(hdr[l], &kidP) != nil {
					return env, Malformed
				}
			default:
				return env, Malformed
			}
		}
	}
	if major(parts[1]) != majorMap {
		return env, Malformed
	}
	if len(parts[1]) > 1 { // {} is a valid, empty unprotected header
		hdr, labels, why := decodeMap(parts[1])
		if why != OK {
			return env, Malformed
		}
		for _, l := range labels {
			if l != headerKid || major(hdr[l]) != majorBytes || decMode.Unmarshal(hdr[l], &kidU) != nil {
				return env, Malformed
			}
		}
	}
	if kidP != nil && kidU != nil {
		return env, Malformed // a label in both buckets (RFC 9052 section 3)
	}
	env.kid = kidU
	if kidP != nil {
		env.kid = kidP
	}
	return env, OK
}

// isB64URL reports whether s is all base64url characters (the decoder
// alone would skip newlines).
func isB64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
