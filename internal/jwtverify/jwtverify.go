// Package jwtverify checks the bearer JWTs the issuer accepts: HS256 with a
// shared key, or RS256 and ES256 with keys from a JWKS. It refuses "none",
// algorithm confusion (an HMAC token checked with a public key), any
// algorithm the configuration does not name and a JWKS key used with
// another algorithm than the one it declares; it refuses a typ other than
// JWT or at+jwt, and checks exp, nbf, iss (always, with a JWKS), aud and,
// when configured, the client the token was issued to (azp or client_id).
package jwtverify

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/jwks"
)

// MaxTokenLen bounds the tokens accepted.
const MaxTokenLen = 8192

// Verifier checks tokens.
type Verifier struct {
	// HS256Key enables HS256 with this key (at least 32 bytes).
	HS256Key []byte
	// Keys enables RS256 and ES256 with these public keys, by key id. They
	// need Issuer: tokens signed with them are refused without it.
	Keys map[string]jwks.Key
	// Issuer and Audience, when set, must match iss and aud.
	Issuer, Audience string
	// ClientIDs, when set, lists the clients whose tokens are accepted: the
	// token's azp or, in a token without azp, its client_id (as Cognito
	// access tokens carry it) must be one of them.
	ClientIDs []string
	// Leeway is the clock skew allowed on exp and nbf.
	Leeway time.Duration
}

// Error is why a token was refused. Its message never contains the token.
type Error struct{ Reason string }

func (e *Error) Error() string { return "bearer token refused: " + e.Reason }

func refuse(format string, a ...any) error { return &Error{Reason: fmt.Sprintf(format, a...)} }

var b64 = base64.RawURLEncoding.Strict()

// Verify checks token at time now and returns its claims.
func (v *Verifier) Verify(token string, now time.Time) (map[string]any, error) {
	if len(token) > MaxTokenLen {
		return nil, refuse("the token is longer than %d bytes", MaxTokenLen)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, refuse("not a JWT (want header.payload.signature)")
	}
	var header struct {
		Alg  string  `json:"alg"`
		Kid  string  `json:"kid"`
		Typ  *string `json:"typ"`
		Crit []any   `json:"crit"`
	}
	hb, err := b64.DecodeString(parts[0])
	if err != nil || json.Unmarshal(hb, &header) != nil {
		return nil, refuse("the header is not base64url JSON")
	}
	if header.Crit != nil {
		return nil, refuse("critical header parameters are not supported")
	}
	if header.Typ != nil && !bearerType(*header.Typ) {
		// Not echoed: the message goes back to the caller.
		return nil, refuse("the token's typ is not JWT or at+jwt")
	}
	sig, err := b64.DecodeString(parts[2])
	if err != nil {
		return nil, refuse("the signature is not base64url")
	}
	signed := []byte(parts[0] + "." + parts[1])
	digest := sha256.Sum256(signed)
	switch header.Alg {
	case "HS256":
		if len(v.HS256Key) == 0 {
			return nil, refuse("HS256 tokens are not accepted here")
		}
		m := hmac.New(sha256.New, v.HS256Key)
		m.Write(signed)
		if !hmac.Equal(m.Sum(nil), sig) {
			return nil, refuse("bad signature")
		}
	case "RS256", "ES256":
		if v.Issuer == "" && len(v.Keys) > 0 {
			// The JWKS's keys sign for every tenant and application of the
			// identity provider; only iss says the token is from ours.
			return nil, refuse("no issuer is configured for tokens signed with JWKS keys")
		}
		key, err := v.key(header.Kid)
		if err != nil {
			return nil, err
		}
		if key.Alg != "" && key.Alg != header.Alg {
			return nil, refuse("the key %q is for %s tokens only", header.Kid, key.Alg)
		}
		switch k := key.Public.(type) {
		case *rsa.PublicKey:
			if header.Alg != "RS256" || rsa.VerifyPKCS1v15(k, crypto.SHA256, digest[:], sig) != nil {
				return nil, refuse("bad signature")
			}
		case *ecdsa.PublicKey:
			if header.Alg != "ES256" || len(sig) != 64 ||
				!ecdsa.Verify(k, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
				return nil, refuse("bad signature")
			}
		default:
			return nil, refuse("unusable key %q", header.Kid)
		}
	case "", "none", "None", "NONE":
		return nil, refuse("unsigned tokens (alg none) are never accepted")
	default:
		return nil, refuse("algorithm %q is not accepted", header.Alg)
	}

	pb, err := b64.DecodeString(parts[1])
	if err != nil {
		return nil, refuse("the payload is not base64url")
	}
	dec := json.NewDecoder(bytes.NewReader(pb))
	dec.UseNumber()
	var claims map[string]any
	if err := dec.Decode(&claims); err != nil || claims == nil {
		return nil, refuse("the payload is not a JSON object")
	}
	if err := v.checkClaims(claims, now); err != nil {
		return nil, err
	}
	return claims, nil
}

func (v *Verifier) key(kid string) (jwks.Key, error) {
	if len(v.Keys) == 0 {
		return jwks.Key{}, refuse("RS256 and ES256 tokens are not accepted here")
	}
	if kid == "" {
		if len(v.Keys) == 1 {
			for _, k := range v.Keys {
				return k, nil
			}
		}
		return jwks.Key{}, refuse("the token has no kid and the JWKS holds several keys")
	}
	k, ok := v.Keys[kid]
	if !ok {
		return jwks.Key{}, refuse("unknown key id %q", kid)
	}
	return k, nil
}

// bearerType reports whether a typ header names a bearer JWT: JWT (RFC
// 7519 §5.1) or a JWT access token, at+jwt (RFC 9068), as media types are
// compared (RFC 7515 §4.1.9): without case, "application/" optional. Other
// types (logout+jwt, secevent+jwt, dpop+jwt, JOSE) are objects the identity
// provider may sign with the same keys that must not pass for a login.
func bearerType(typ string) bool {
	t := strings.ToLower(typ)
	t = strings.TrimPrefix(t, "application/")
	return t == "jwt" || t == "at+jwt"
}

func (v *Verifier) checkClaims(c map[string]any, now time.Time) error {
	leeway := v.Leeway
	exp, ok := numeric(c["exp"])
	if !ok {
		return refuse("the token has no numeric exp")
	}
	if !now.Before(time.Unix(exp, 0).Add(leeway)) {
		return refuse("the token has expired")
	}
	if nbf, present := c["nbf"]; present {
		n, ok := numeric(nbf)
		if !ok || now.Add(leeway).Before(time.Unix(n, 0)) {
			return refuse("the token is not valid yet")
		}
	}
	if v.Issuer != "" {
		if iss, _ := c["iss"].(string); iss != v.Issuer {
			return refuse("wrong issuer")
		}
	}
	if v.Audience != "" {
		switch aud := c["aud"].(type) {
		case string:
			if aud != v.Audience {
				return refuse("wrong audience")
			}
		case []any:
			found := false
			for _, a := range aud {
				found = found || a == v.Audience
			}
			if !found {
				return refuse("wrong audience")
			}
		default:
			return refuse("the token has no audience")
		}
	}
	if len(v.ClientIDs) > 0 {
		claim := "azp"
		if _, ok := c[claim]; !ok {
			claim = "client_id"
		}
		id, ok := c[claim].(string)
		if !ok {
			return refuse("the token names no client (azp or client_id)")
		}
		if !slices.Contains(v.ClientIDs, id) {
			return refuse("the token was issued to a client this issuer does not accept (%s)", claim)
		}
	}
	return nil
}

func numeric(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	if i, err := n.Int64(); err == nil {
		return i, true
	}
	f, err := n.Float64()
	if err != nil || f > 1e15 || f < -1e15 {
		return 0, false
	}
	return int64(f), true
}
