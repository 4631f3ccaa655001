// Package jwks reads the signing keys of a JSON Web Key Set (RFC 7517):
// RSA and EC P-256 public keys with the algorithm each declares. It is apart
// from jwtverify so that the issuer's configuration can check a JWKS (and
// the provider can, at plan) without linking the token verifier.
package jwks

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// Key is a public key from a JWKS, with the algorithm it declares ("" for
// none): a key that declares one is used with that algorithm only.
type Key struct {
	Public crypto.PublicKey
	Alg    string
}

// Alg is the algorithm a key type is used with: RS256 for RSA, ES256 for
// EC P-256, "" for any other.
func Alg(pub crypto.PublicKey) string {
	switch pub.(type) {
	case *rsa.PublicKey:
		return "RS256"
	case *ecdsa.PublicKey:
		return "ES256"
	}
	return ""
}

// Usable reports whether the key can verify any token: its declared alg,
// if any, must be the one its type is used with.
func (k Key) Usable() bool { return k.Alg == "" || k.Alg == Alg(k.Public) }

// Parse reads RSA and EC P-256 signing keys from a JWKS document, by key
// id. A key that declares an algorithm other than RS256 (RSA) or ES256 (EC)
// is kept, so that a token naming it gets a clear refusal, but verifies
// nothing; a JWKS with no key that can is refused.
func Parse(doc []byte) (map[string]Key, error) {
	var set struct {
		Keys []struct {
			Kty, Kid, Use, Alg, N, E, Crv, X, Y string
		} `json:"keys"`
	}
	if err := json.Unmarshal(doc, &set); err != nil {
		return nil, fmt.Errorf("jwks: the JWKS is not JSON: %w", err)
	}
	keys := map[string]Key{}
	for i, k := range set.Keys {
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		// dec reads the key's two base64url numbers: n and e, or x and y.
		dec := func(a, b string) (*big.Int, *big.Int, error) {
			var v [2]*big.Int
			for j, s := range []string{a, b} {
				raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
				if err != nil || len(raw) == 0 {
					return nil, nil, fmt.Errorf("jwks: JWKS key %d (%q) has a bad base64url field", i, k.Kid)
				}
				v[j] = new(big.Int).SetBytes(raw)
			}
			return v[0], v[1], nil
		}
		switch k.Kty {
		case "RSA":
			n, e, err := dec(k.N, k.E)
			if err != nil {
				return nil, err
			}
			if n.BitLen() < 2048 || !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31 {
				return nil, fmt.Errorf("jwks: JWKS key %q: RSA keys must have at least 2048 bits and a small exponent", k.Kid)
			}
			keys[k.Kid] = Key{Public: &rsa.PublicKey{N: n, E: int(e.Int64())}, Alg: k.Alg}
		case "EC":
			if k.Crv != "P-256" {
				return nil, fmt.Errorf("jwks: JWKS key %q: only P-256 EC keys are supported", k.Kid)
			}
			x, y, err := dec(k.X, k.Y)
			if err != nil {
				return nil, err
			}
			if len(x.Bytes()) > 32 || len(y.Bytes()) > 32 {
				return nil, fmt.Errorf("jwks: JWKS key %q is not a point on P-256", k.Kid)
			}
			point := append(append([]byte{4}, x.FillBytes(make([]byte, 32))...), y.FillBytes(make([]byte, 32))...)
			pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), point)
			if err != nil {
				return nil, fmt.Errorf("jwks: JWKS key %q is not a point on P-256", k.Kid)
			}
			keys[k.Kid] = Key{Public: pub, Alg: k.Alg}
		default:
			continue
		}
	}
	if len(keys) == 0 {
		return nil, errors.New("jwks: the JWKS holds no RSA or P-256 signing key")
	}
	usable := false
	for _, k := range keys {
		usable = usable || k.Usable()
	}
	if !usable {
		return nil, errors.New("jwks: the JWKS holds no key for RS256 (RSA) or ES256 (EC P-256): each declares another alg")
	}
	return keys, nil
}
