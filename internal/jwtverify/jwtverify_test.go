package jwtverify

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"strings"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/jwks"
	"github.com/securestream/terraform-provider-securestream/internal/jwttest"
)

var now = time.Unix(1_767_225_600, 0)

// enc is a token's header or claims part.
func enc(v any) string { return jwttest.Encode(v) }

// sign makes a token with the header {alg, typ JWT, kid when given}.
func sign(alg, kid string, key any, claims map[string]any) string {
	h := map[string]any{"alg": alg, "typ": "JWT"}
	if kid != "" {
		h["kid"] = kid
	}
	return jwttest.Sign(h, claims, key)
}

// testJWKS makes an RSA key and an EC key and parses a JWKS of both (kids
// r1 and e1) beside a symmetric key, which the parser ignores.
func testJWKS(t *testing.T) (*rsa.PrivateKey, *ecdsa.PrivateKey, map[string]jwks.Key) {
	t.Helper()
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	keys, err := jwks.Parse([]byte(jwttest.JWKS(
		jwttest.JWK(rsaKey, map[string]string{"kid": "r1", "use": "sig"}),
		jwttest.JWK(ecKey, map[string]string{"kid": "e1"}),
		map[string]any{"kty": "oct", "kid": "ignored", "k": "AAAA"})))
	if err != nil {
		t.Fatal(err)
	}
	return rsaKey, ecKey, keys
}

func TestVerify(t *testing.T) {
	rsaKey, ecKey, keys := testJWKS(t)
	hsKey := []byte("an-hs256-key-of-at-least-32-bytes!!")
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
		{"payload not an object", jwttest.Sign(map[string]any{"alg": "HS256"}, []int{1}, hsKey), false},
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

// signHeader makes a token with the header h.
func signHeader(h map[string]any, key any, claims map[string]any) string {
	return jwttest.Sign(h, claims, key)
}

// H4: a JWKS usually holds an identity provider's keys, which sign tokens
// for every tenant and application it serves: iss is what says the token
// is from ours, so a verifier with JWKS keys and no issuer accepts nothing,
// and a token without our iss is refused.
func TestJWKSNeedsIssuer(t *testing.T) {
	rsaKey, ecKey, keys := testJWKS(t)
	claims := func(iss any) map[string]any {
		c := map[string]any{"aud": "securestream", "exp": now.Add(time.Hour).Unix(), "sub": "u1"}
		if iss != nil {
			c["iss"] = iss
		}
		return c
	}
	noIssuer := &Verifier{Keys: keys, Audience: "securestream"}
	if _, err := noIssuer.Verify(sign("RS256", "r1", rsaKey, claims("https://any-tenant.idp.example")), now); err == nil {
		t.Error("a JWKS token accepted by a verifier without an issuer")
	}
	if _, err := noIssuer.Verify(sign("ES256", "e1", ecKey, claims(nil)), now); err == nil {
		t.Error("a JWKS token without iss accepted by a verifier without an issuer")
	}
	v := &Verifier{Keys: keys, Issuer: "https://idp.example/tenant-a", Audience: "securestream"}
	for _, tc := range []struct {
		name string
		iss  any
		ok   bool
	}{
		{"our issuer", "https://idp.example/tenant-a", true},
		{"another tenant", "https://idp.example/tenant-b", false},
		{"a prefix of ours", "https://idp.example/tenant", false},
		{"no iss", nil, false},
		{"iss not a string", []string{"https://idp.example/tenant-a"}, false},
	} {
		for _, tok := range []string{sign("RS256", "r1", rsaKey, claims(tc.iss)), sign("ES256", "e1", ecKey, claims(tc.iss))} {
			if _, err := v.Verify(tok, now); (err == nil) != tc.ok {
				t.Errorf("%s: %v", tc.name, err)
			}
		}
	}
}

// H4: typ, when present, must say the token is a JWT (RFC 7519 §5.1) or a
// JWT access token (RFC 9068), compared as media types are: without case
// and with or without "application/". Other JOSE objects an identity
// provider signs with the same keys (logout tokens, security events, DPoP
// proofs) are not bearer tokens and are refused.
func TestTyp(t *testing.T) {
	key := []byte("an-hs256-key-of-at-least-32-bytes!!")
	rsaKey, _, keys := testJWKS(t)
	v := &Verifier{HS256Key: key, Keys: keys, Issuer: "https://idp.example", Audience: "securestream"}
	claims := map[string]any{"iss": "https://idp.example", "aud": "securestream", "exp": now.Add(time.Hour).Unix(), "sub": "u1"}
	for _, tc := range []struct {
		typ any // nil: no typ
		ok  bool
	}{
		{nil, true},
		{"JWT", true},
		{"jwt", true},
		{"application/jwt", true},
		{"Application/JWT", true},
		{"at+jwt", true},
		{"application/at+jwt", true},
		{"AT+JWT", true},
		{"", false},
		{"JOSE", false},
		{"JWS", false},
		{"logout+jwt", false},
		{"secevent+jwt", false},
		{"dpop+jwt", false},
		{"application/logout+jwt", false},
		{"JWT ", false},
		{"application/", false},
		{"text/jwt", false},
		{42, false},
		{[]string{"JWT"}, false},
	} {
		for _, h := range []map[string]any{{"alg": "HS256"}, {"alg": "RS256", "kid": "r1"}} {
			if tc.typ != nil {
				h["typ"] = tc.typ
			}
			signer := any(key)
			if h["alg"] == "RS256" {
				signer = rsaKey
			}
			_, err := v.Verify(signHeader(h, signer, claims), now)
			if (err == nil) != tc.ok {
				t.Errorf("typ %#v, %s: %v", tc.typ, h["alg"], err)
			}
		}
	}
}

// H4: a JWKS key that declares alg is used with that algorithm only
// (RFC 7517 §4.4); a key whose alg the verifier does not support is not
// used at all, and a JWKS with no usable key is refused.
func TestJWKSKeyAlg(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	jwk := func(key any, kid, alg string) map[string]any {
		return jwttest.JWK(key, map[string]string{"kid": kid, "alg": alg})
	}
	doc := jwttest.JWKS(jwk(rsaKey, "rs256", "RS256"), jwk(rsaKey, "rs384", "RS384"), jwk(rsaKey, "ps256", "PS256"),
		jwk(rsaKey, "rsa-says-es256", "ES256"), jwk(rsaKey, "rsa-any", ""), jwk(ecKey, "es256", "ES256"), jwk(ecKey, "ec-says-rs256", "RS256"), jwk(ecKey, "ec-any", ""))
	keys, err := jwks.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	v := &Verifier{Keys: keys, Issuer: "https://idp.example", Audience: "securestream"}
	claims := map[string]any{"iss": "https://idp.example", "aud": "securestream", "exp": now.Add(time.Hour).Unix(), "sub": "u1"}
	for _, tc := range []struct {
		alg, kid string
		ok       bool
	}{
		{"RS256", "rs256", true},
		{"RS256", "rsa-any", true},
		{"ES256", "es256", true},
		{"ES256", "ec-any", true},
		{"RS256", "rs384", false},
		{"RS256", "ps256", false},
		{"RS256", "rsa-says-es256", false},
		{"ES256", "ec-says-rs256", false},
	} {
		var signer any = rsaKey
		if tc.alg == "ES256" {
			signer = ecKey
		}
		_, err := v.Verify(sign(tc.alg, tc.kid, signer, claims), now)
		if (err == nil) != tc.ok {
			t.Errorf("%s with key %s: %v", tc.alg, tc.kid, err)
		}
	}
	// Only keys for algorithms the verifier does not support: nothing to
	// verify with.
	if _, err := jwks.Parse([]byte(jwttest.JWKS(jwk(rsaKey, "rs384", "RS384"), jwk(ecKey, "x", "RS256")))); err == nil {
		t.Error("a JWKS with no key usable with RS256 or ES256 accepted")
	}
}
