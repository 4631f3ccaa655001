package jwtverify

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"
)

var now = time.Unix(1_767_225_600, 0)

func enc(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Sign makes a token; the tests of other packages use it too.
func sign(alg, kid string, key any, claims map[string]any) string {
	h := map[string]any{"alg": alg, "typ": "JWT"}
	if kid != "" {
		h["kid"] = kid
	}
	in := enc(h) + "." + enc(claims)
	digest := sha256.Sum256([]byte(in))
	var sig []byte
	switch k := key.(type) {
	case []byte:
		m := hmac.New(sha256.New, k)
		m.Write([]byte(in))
		sig = m.Sum(nil)
	case *rsa.PrivateKey:
		sig, _ = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, digest[:])
	case *ecdsa.PrivateKey:
		r, s, _ := ecdsa.Sign(rand.Reader, k, digest[:])
		sig = append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func jwks(rsaKey *rsa.PrivateKey, ecKey *ecdsa.PrivateKey) []byte {
	b64 := func(i *big.Int) string { return base64.RawURLEncoding.EncodeToString(i.Bytes()) }
	doc := fmt.Sprintf(`{"keys":[{"kty":"RSA","kid":"r1","use":"sig","n":%q,"e":%q},{"kty":"EC","kid":"e1","crv":"P-256","x":%q,"y":%q},{"kty":"oct","kid":"ignored","k":"AAAA"}]}`,
		b64(rsaKey.N), b64(big.NewInt(int64(rsaKey.E))), b64(ecKey.X), b64(ecKey.Y))
	return []byte(doc)
}

func TestVerify(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	hsKey := []byte("an-hs256-key-of-at-least-32-bytes!!")
	keys, err := ParseJWKS(jwks(rsaKey, ecKey))
	if err != nil {
		t.Fatal(err)
	}
	v := &Verifier{HS256Key: hsKey, Keys: keys, Issuer: "https://idp.example", Audience: "securestream", Leeway: time.Minute}
	good := map[string]any{"iss": "https://idp.example", "aud": "securestream", "exp": now.Add(time.Hour).Unix(), "sub": "u1"}
	with := func(k string, val any) map[string]any {
		c := map[string]any{}
		for a, b := range good {
			c[a] = b
		}
		if val == nil {
			delete(c, k)
		} else {
			c[k] = val
		}
		return c
	}
	otherRSA, _ := rsa.GenerateKey(rand.Reader, 2048)
	hsFromPub := func() string { // algorithm confusion: HMAC keyed with the public key's modulus
		return sign("HS256", "r1", rsaKey.N.Bytes(), good)
	}
	for _, tc := range []struct {
		name, token string
		ok          bool
	}{
		{"HS256", sign("HS256", "", hsKey, good), true},
		{"RS256", sign("RS256", "r1", rsaKey, good), true},
		{"ES256", sign("ES256", "e1", ecKey, good), true},
		{"aud in a list", sign("RS256", "r1", rsaKey, with("aud", []string{"x", "securestream"})), true},
		{"exp within leeway", sign("HS256", "", hsKey, with("exp", now.Add(-30*time.Second).Unix())), true},
		{"alg none", enc(map[string]any{"alg": "none"}) + "." + enc(good) + ".", false},
		{"alg None", enc(map[string]any{"alg": "None"}) + "." + enc(good) + ".", false},
		{"no alg", enc(map[string]any{}) + "." + enc(good) + ".", false},
		{"HS512", strings.Replace(sign("HS256", "", hsKey, good), enc(map[string]any{"alg": "HS256", "typ": "JWT"}), enc(map[string]any{"alg": "HS512", "typ": "JWT"}), 1), false},
		{"HS256 keyed with the public key", hsFromPub(), false},
		{"RS256 header on an ES key", sign("RS256", "e1", rsaKey, good), false},
		{"ES256 header on an RSA key", sign("ES256", "r1", ecKey, good), false},
		{"other RSA key", sign("RS256", "r1", otherRSA, good), false},
		{"unknown kid", sign("RS256", "r9", rsaKey, good), false},
		{"no kid, several keys", sign("RS256", "", rsaKey, good), false},
		{"wrong HS256 key", sign("HS256", "", []byte("another-key-of-at-least-32-bytes!!!"), good), false},
		{"expired", sign("HS256", "", hsKey, with("exp", now.Add(-2*time.Minute).Unix())), false},
		{"no exp", sign("HS256", "", hsKey, with("exp", nil)), false},
		{"exp as a string", sign("HS256", "", hsKey, with("exp", "9999999999")), false},
		{"not yet valid", sign("HS256", "", hsKey, with("nbf", now.Add(time.Hour).Unix())), false},
		{"wrong issuer", sign("HS256", "", hsKey, with("iss", "https://evil.example")), false},
		{"no issuer", sign("HS256", "", hsKey, with("iss", nil)), false},
		{"wrong audience", sign("HS256", "", hsKey, with("aud", "other")), false},
		{"audience list without ours", sign("HS256", "", hsKey, with("aud", []string{"a", "b"})), false},
		{"two parts", "a.b", false},
		{"garbage", "not a token", false},
		{"empty", "", false},
		{"payload tampered", func() string {
			p := strings.Split(sign("HS256", "", hsKey, good), ".")
			return p[0] + "." + enc(with("sub", "admin")) + "." + p[2]
		}(), false},
		{"huge", strings.Repeat("a", MaxTokenLen+1), false},
		{"payload not an object", func() string {
			h := enc(map[string]any{"alg": "HS256"})
			m := hmac.New(sha256.New, hsKey)
			m.Write([]byte(h + "." + base64.RawURLEncoding.EncodeToString([]byte("[1]"))))
			return h + "." + base64.RawURLEncoding.EncodeToString([]byte("[1]")) + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
		}(), false},
	} {
		claims, err := v.Verify(tc.token, now)
		if tc.ok && (err != nil || claims["sub"] != "u1") {
			t.Errorf("%s: refused: %v", tc.name, err)
		}
		if !tc.ok && err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
		if err != nil && strings.Contains(err.Error(), tc.token) && tc.token != "" {
			t.Errorf("%s: the error message contains the token", tc.name)
		}
	}
	// Without a JWKS, RS256 is refused; without an HS256 key, HS256 is.
	if _, err := (&Verifier{HS256Key: hsKey}).Verify(sign("RS256", "r1", rsaKey, good), now); err == nil {
		t.Error("RS256 accepted without a JWKS")
	}
	if _, err := (&Verifier{Keys: keys}).Verify(sign("HS256", "", hsKey, good), now); err == nil {
		t.Error("HS256 accepted without an HS256 key")
	}
}

func TestParseJWKSRefuses(t *testing.T) {
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	b64 := func(i *big.Int) string { return base64.RawURLEncoding.EncodeToString(i.Bytes()) }
	for name, doc := range map[string]string{
		"not json":      "{",
		"no keys":       `{"keys":[]}`,
		"only oct":      `{"keys":[{"kty":"oct","k":"AAAA"}]}`,
		"small RSA":     fmt.Sprintf(`{"keys":[{"kty":"RSA","kid":"a","n":%q,"e":"AQAB"}]}`, b64(small.N)),
		"P-384":         `{"keys":[{"kty":"EC","kid":"a","crv":"P-384","x":"AAAA","y":"AAAA"}]}`,
		"off the curve": `{"keys":[{"kty":"EC","kid":"a","crv":"P-256","x":"AQ","y":"AQ"}]}`,
	} {
		if _, err := ParseJWKS([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// A token the identity provider issued to another client is refused when
// the accepted client ids are configured: azp first, client_id without it.
func TestClientIDs(t *testing.T) {
	key := []byte("an-hs256-key-of-at-least-32-bytes!!")
	v := &Verifier{HS256Key: key, Audience: "securestream", ClientIDs: []string{"player-web", "player-ios"}}
	base := map[string]any{"aud": "securestream", "exp": now.Add(time.Hour).Unix(), "sub": "u1"}
	with := func(kv ...any) map[string]any {
		c := map[string]any{}
		for k, val := range base {
			c[k] = val
		}
		for i := 0; i < len(kv); i += 2 {
			c[kv[i].(string)] = kv[i+1]
		}
		return c
	}
	for _, tc := range []struct {
		name   string
		claims map[string]any
		ok     bool
	}{
		{"azp listed", with("azp", "player-web"), true},
		{"client_id listed", with("client_id", "player-ios"), true},
		{"azp of another client", with("azp", "attackers-own-app"), false},
		{"client_id of another client", with("client_id", "attackers-own-app"), false},
		{"azp decides over client_id", with("azp", "attackers-own-app", "client_id", "player-web"), false},
		{"no client", with(), false},
		{"azp not a string", with("azp", []string{"player-web"}), false},
		{"empty azp", with("azp", ""), false},
		{"listed client, another audience", with("azp", "player-web", "aud", "attackers-own-app"), false},
	} {
		_, err := v.Verify(sign("HS256", "", key, tc.claims), now)
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	// Without ClientIDs the client is not checked.
	if _, err := (&Verifier{HS256Key: key, Audience: "securestream"}).Verify(sign("HS256", "", key, with("azp", "anyone")), now); err != nil {
		t.Errorf("no client ids configured: %v", err)
	}
}
