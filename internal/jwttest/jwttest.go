// Package jwttest signs JSON Web Tokens as an identity provider would give
// them to a player, and writes the JWKS it would publish: for the tests
// and for the demo's player, which is why it does not import testing. It
// signs whatever header it is given, a lying or malformed one included,
// and verifies nothing.
package jwttest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
)

// HS256 signs claims with an HMAC key under {"alg":"HS256","typ":"JWT"}.
func HS256(key []byte, claims any) string {
	return Sign(map[string]any{"alg": "HS256", "typ": "JWT"}, claims, key)
}

// Sign signs claims under header with key, whatever header's alg says:
// HMAC-SHA256 for a []byte, RSASSA-PKCS1-v1_5 with SHA-256 for an
// *rsa.PrivateKey, ECDSA P-256 with SHA-256 (r || s) for an
// *ecdsa.PrivateKey.
func Sign(header map[string]any, claims any, key any) string {
	in := Encode(header) + "." + Encode(claims)
	digest := sha256.Sum256([]byte(in))
	var sig []byte
	switch k := key.(type) {
	case []byte:
		m := hmac.New(sha256.New, k)
		m.Write([]byte(in))
		sig = m.Sum(nil)
	case *rsa.PrivateKey:
		var err error
		if sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, digest[:]); err != nil {
			panic(err) // only a key too small for SHA-256 fails
		}
	case *ecdsa.PrivateKey:
		r, s, err := ecdsa.Sign(rand.Reader, k, digest[:])
		if err != nil {
			panic(err)
		}
		sig = append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	default:
		panic(fmt.Sprintf("jwttest: cannot sign with a %T", key))
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// Encode is a header's or a claims set's part of a token: JSON (map keys
// sorted), base64url without padding.
func Encode(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // the callers' maps of strings and numbers always marshal
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
