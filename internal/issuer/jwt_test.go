package issuer

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/issuer/config"
	"github.com/securestream/terraform-provider-securestream/internal/jwttest"
	"github.com/securestream/terraform-provider-securestream/internal/keyring"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

var jwtKey = []byte("an-hs256-key-of-at-least-32-bytes!!")

func testJWTs() map[string]string {
	good := map[string]any{"iss": "https://idp.example", "aud": "securestream", "exp": t0.Add(time.Hour).Unix(), "sub": "u1", "paths": []string{"/vod/a/"}}
	with := func(k string, v any) map[string]any {
		c := map[string]any{}
		for a, b := range good {
			c[a] = b
		}
		c[k] = v
		return c
	}
	hs := map[string]any{"alg": "HS256", "typ": "JWT"}
	goodTok := jwttest.Sign(hs, good, jwtKey)
	parts := strings.Split(goodTok, ".")
	tampered, _ := json.Marshal(with("paths", []string{"/"}))
	return map[string]string{
		"good":      goodTok,
		"none":      strings.Split(jwttest.Sign(map[string]any{"alg": "none"}, good, jwtKey), ".")[0] + "." + parts[1] + ".",
		"forged":    jwttest.Sign(hs, good, []byte("not-the-key-but-32-bytes-long-too!!")),
		"tampered":  parts[0] + "." + base64.RawURLEncoding.EncodeToString(tampered) + "." + parts[2],
		"expired":   jwttest.Sign(hs, with("exp", t0.Add(-time.Hour).Unix()), jwtKey),
		"wrong_aud": jwttest.Sign(hs, with("aud", "another-service"), jwtKey),
		"wrong_iss": jwttest.Sign(hs, with("iss", "https://evil.example"), jwtKey),
		"future":    jwttest.Sign(hs, with("nbf", t0.Add(time.Hour).Unix()), jwtKey),
		"confused":  jwttest.Sign(map[string]any{"alg": "RS256", "kid": "r1"}, good, jwtKey),
	}
}

func jwtEnv(t testing.TB) map[string]string {
	env := baseEnv(t)
	env["SECURESTREAM_AUTH"] = "jwt"
	env["SECURESTREAM_JWT_ISSUER"] = "https://idp.example"
	env["SECURESTREAM_JWT_AUDIENCE"] = "securestream"
	env["SECURESTREAM_JWT_HS256_KEY"] = fakeEncrypt(jwtKey, keyring.Context("securestream-issuer", keyring.PurposeJWTHS256Key))
	env["SECURESTREAM_JWT_PATHS_CLAIM"] = "paths"
	return env
}

// M2: jwt mode needs an audience, so that a token the identity provider
// issued to another application is refused; the accepted client ids, when
// configured, are checked against azp or client_id.
func TestJWTAudienceAndClients(t *testing.T) {
	env := jwtEnv(t)
	delete(env, "SECURESTREAM_JWT_AUDIENCE")
	if err := loadErr(env); err == nil || !strings.Contains(err.Error(), "SECURESTREAM_JWT_AUDIENCE") {
		t.Errorf("jwt with an issuer but no audience: %v", err)
	}

	env = jwtEnv(t)
	env["SECURESTREAM_JWT_CLIENT_IDS"] = "player-web, player-ios"
	is, _ := newIssuer(t, env)
	for _, tc := range []struct {
		name   string
		extra  map[string]any
		status int
	}{
		{"azp accepted", map[string]any{"azp": "player-web"}, 200},
		{"client_id accepted", map[string]any{"client_id": "player-ios"}, 200},
		{"another client's azp", map[string]any{"azp": "attackers-own-app"}, 401},
		{"another client's client_id", map[string]any{"client_id": "attackers-own-app"}, 401},
		{"azp wins over client_id", map[string]any{"azp": "attackers-own-app", "client_id": "player-web"}, 401},
		{"no client", nil, 401},
		{"another audience", map[string]any{"azp": "player-web", "aud": "attackers-own-app"}, 401},
	} {
		status, h, body := call(t, is, restEvent(t, "POST", playbackBody("/vod/a/index.m3u8"), bearer([]string{"/vod/a/"}, tc.extra)))
		if status != tc.status {
			t.Errorf("%s: %d, want %d (%v)", tc.name, status, tc.status, body)
		}
		if status == 401 && h["www-authenticate"] == "" {
			t.Errorf("%s: 401 without WWW-Authenticate", tc.name)
		}
	}
}

func TestJWTRS256(t *testing.T) {
	env := jwtEnv(t)
	delete(env, "SECURESTREAM_JWT_HS256_KEY")
	env["SECURESTREAM_JWT_JWKS"] = `{"keys":[{"kty":"oct","k":"AAAA"}]}`
	// Refused by config.Load (so at plan in the provider), and by New.
	if err := loadErr(env); err == nil || !strings.Contains(err.Error(), "SECURESTREAM_JWT_JWKS") {
		t.Errorf("a JWKS without signing keys: %v", err)
	}
	cfg, err := config.Load(func(k string) string { return jwtEnv(t)[k] })
	if err != nil {
		t.Fatal(err)
	}
	cfg.JWTJWKS = env["SECURESTREAM_JWT_JWKS"]
	if _, err := New(context.Background(), cfg, fakeKMS{}); err == nil || !strings.Contains(err.Error(), "SECURESTREAM_JWT_JWKS") {
		t.Errorf("a JWKS without signing keys: %v", err)
	}
}

// RS256 through the handler, with the JWKS in configuration, and the
// bindings switched off.
func TestJWTRS256AndUnbound(t *testing.T) {
	rsaKey := newRSAKey(t)
	env := rsaJWTEnv(t, rsaKey)
	env["SECURESTREAM_IP_BINDING"] = "off"
	env["SECURESTREAM_BIND_USER_AGENT"] = "false"
	env["SECURESTREAM_BIND_HOST"] = "false"
	is, _ := newIssuer(t, env)
	claims := map[string]any{"iss": "https://idp.example", "aud": "securestream", "exp": t0.Add(time.Hour).Unix(), "paths": "/vod/a/ /live/"}
	tok := jwttest.Sign(map[string]any{"alg": "RS256", "kid": "r1"}, claims, rsaKey)
	ev := restEvent(t, "POST", `{"playback_url":"https://media.example.com/vod/a/index.m3u8"}`, map[string]string{"Authorization": "Bearer " + tok})
	status, _, body := call(t, is, ev)
	if status != 200 {
		t.Fatalf("status %d %v", status, body)
	}
	_, c, _ := streamkey.Inspect(str(body["token"]))
	if c.IPBinding != streamkey.IPOff || c.UserAgentBound || c.Host != "" {
		t.Errorf("bindings switched off but the key has %s", c)
	}
	ev = restEvent(t, "POST", `{"playback_url":"https://media.example.com/vod/b/index.m3u8"}`, map[string]string{"Authorization": "Bearer " + tok})
	if status, _, _ := call(t, is, ev); status != 403 {
		t.Errorf("a title outside the token's paths: %d", status)
	}
}

// H4: with a JWKS, the issuer is required: the identity provider's keys
// sign the tokens of every tenant and application it serves.
func TestJWKSNeedsIssuerConfig(t *testing.T) {
	rsaKey := newRSAKey(t)
	env := rsaJWTEnv(t, rsaKey)
	delete(env, "SECURESTREAM_JWT_ISSUER")
	err := loadErr(env)
	if err == nil || !strings.Contains(err.Error(), "SECURESTREAM_JWT_ISSUER") || !strings.Contains(err.Error(), "SECURESTREAM_JWT_JWKS") {
		t.Errorf("a JWKS without an issuer: %v", err)
	}
	// An HS256 key is this deployment's own: iss stays optional with it.
	env = jwtEnv(t)
	delete(env, "SECURESTREAM_JWT_ISSUER")
	if err := loadErr(env); err != nil {
		t.Errorf("HS256 without an issuer: %v", err)
	}
	// A JWKS the verifier cannot use fails the configuration (at plan in
	// the provider), not the first cold start.
	env = jwtEnv(t)
	env["SECURESTREAM_JWT_JWKS"] = rsaJWKS(rsaKey, "RS512")
	if err := loadErr(env); err == nil || !strings.Contains(err.Error(), "SECURESTREAM_JWT_JWKS") {
		t.Errorf("a JWKS with no usable key: %v", err)
	}
}

func rsaJWKS(k *rsa.PrivateKey, alg string) string {
	return jwttest.JWKS(jwttest.JWK(k, map[string]string{"kid": "r1", "alg": alg}))
}

// rsaJWTEnv is jwtEnv with a JWKS that holds k as r1 instead of the HS256
// key.
func rsaJWTEnv(t testing.TB, k *rsa.PrivateKey) map[string]string {
	env := jwtEnv(t)
	delete(env, "SECURESTREAM_JWT_HS256_KEY")
	env["SECURESTREAM_JWT_JWKS"] = rsaJWKS(k, "")
	return env
}

func newRSAKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// H4 through the handler: a token of another tenant, a typ that is not a
// bearer JWT and a key used with another algorithm than it declares are
// each answered 401 with WWW-Authenticate, and no token reaches the log.
func TestJWKSTokensRefused(t *testing.T) {
	rsaKey := newRSAKey(t)
	rs256 := func(header, claims map[string]any) string { return jwttest.Sign(header, claims, rsaKey) }
	claims := func(iss string) map[string]any {
		return map[string]any{"iss": iss, "aud": "securestream", "exp": t0.Add(time.Hour).Unix(), "paths": "/vod/a/"}
	}
	for _, tc := range []struct {
		name, keyAlg string
		header       map[string]any
		iss          string
		status       int
	}{
		{"our issuer", "RS256", map[string]any{"alg": "RS256", "kid": "r1", "typ": "JWT"}, "https://idp.example", 200},
		{"an access token", "", map[string]any{"alg": "RS256", "kid": "r1", "typ": "at+jwt"}, "https://idp.example", 200},
		{"another tenant", "RS256", map[string]any{"alg": "RS256", "kid": "r1"}, "https://idp.example/other-tenant", 401},
		{"a logout token", "RS256", map[string]any{"alg": "RS256", "kid": "r1", "typ": "logout+jwt"}, "https://idp.example", 401},
		{"a key for another alg", "PS256", map[string]any{"alg": "RS256", "kid": "r1"}, "https://idp.example", 401},
	} {
		env := jwtEnv(t)
		env["SECURESTREAM_JWT_JWKS"] = jwttest.JWKS(jwttest.JWK(rsaKey, map[string]string{"kid": "r1", "alg": tc.keyAlg}),
			jwttest.JWK(rsaKey, map[string]string{"kid": "r2"}))
		is, logs := newIssuer(t, env)
		tok := rs256(tc.header, claims(tc.iss))
		status, h, body := call(t, is, restEvent(t, "POST", playbackBody("/vod/a/index.m3u8"), map[string]string{"Authorization": "Bearer " + tok}))
		if status != tc.status {
			t.Errorf("%s: status %d, want %d (%v)", tc.name, status, tc.status, body)
		}
		if status == 401 && h["www-authenticate"] == "" {
			t.Errorf("%s: 401 without WWW-Authenticate", tc.name)
		}
		if strings.Contains(logs.String(), strings.Split(tok, ".")[2]) || strings.Contains(fmt.Sprint(body), strings.Split(tok, ".")[2]) {
			t.Errorf("%s: the token reached the log or the answer", tc.name)
		}
	}
}
