package issuer

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/issuer/config"
	"github.com/securestream/terraform-provider-securestream/internal/jwttest"
	"github.com/securestream/terraform-provider-securestream/internal/keyring"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

// testOriginSecret is the origin header's secret the tests configure, and
// originSecretEnv its SECURESTREAM_ORIGIN_SECRET.
const testOriginSecret = "an-origin-secret-of-32-bytes!!!!"

var originSecretEnv = fakeEncrypt([]byte(testOriginSecret), keyring.Context("securestream-issuer", keyring.PurposeOriginSecret))

// L3: CloudFront's origin-facing ranges are shared by every CloudFront
// customer: anyone can make a distribution of their own forward a forged
// CloudFront-Viewer-Address from them. The source CIDRs are no proof
// alone; cloudfront-viewer-address needs the secret origin header.
func TestViewerAddressCIDRsAloneRefused(t *testing.T) {
	env := baseEnv(t)
	env["SECURESTREAM_CLIENT_IP_SOURCE"] = "cloudfront-viewer-address"
	env["SECURESTREAM_CLOUDFRONT_SOURCE_CIDRS"] = "130.176.0.0/16"
	err := loadErr(env)
	if err == nil {
		t.Fatal("cloudfront-viewer-address with source CIDRs alone accepted")
	}
	for _, want := range []string{"SECURESTREAM_CLIENT_IP_SOURCE=cloudfront-viewer-address", "SECURESTREAM_ORIGIN_SECRET_HEADER", "SECURESTREAM_ORIGIN_SECRET", "every CloudFront customer"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}
}

// L3, at request time: an issuer built from a Config that has the source
// CIDRs but no origin secret (made in code, not by config.Load) still
// believes no CloudFront-Viewer-Address: the secret is the proof, the
// CIDRs only narrow it.
func TestViewerAddressNeedsSecretAtRequest(t *testing.T) {
	env := baseEnv(t)
	env["SECURESTREAM_IP_BINDING"] = "exact"
	env["SECURESTREAM_CLIENT_IP_SOURCE"] = "cloudfront-viewer-address"
	env["SECURESTREAM_ORIGIN_SECRET_HEADER"] = "x-origin-verify"
	env["SECURESTREAM_ORIGIN_SECRET"] = originSecretEnv
	env["SECURESTREAM_CLOUDFRONT_SOURCE_CIDRS"] = "198.51.100.0/24" // the recorded event's sourceIp
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	cfg.OriginSecretHeader, cfg.OriginSecretCiphertext = "", ""
	is, err := New(context.Background(), cfg, fakeKMS{})
	if err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	is.Now, is.Log = func() time.Time { return t0 }, &logs
	status, _, body := call(t, is, restEvent(t, "POST", playbackBody("/vod/a/index.m3u8"), map[string]string{"CloudFront-Viewer-Address": "203.0.113.77:443"}))
	if status != 200 {
		t.Fatalf("status %d %v", status, body)
	}
	req := streamkey.Request{Now: t0, Path: "/vod/a/seg1.ts", Host: "media.example.com", ClientIP: "198.51.100.23", UserAgent: "ExoPlayerLib/2.19.1"}
	if r := verifier(t).Verify(str(body["token"]), req); !r.OK() {
		t.Errorf("a source in the CIDRs without the secret: the key is not bound to the source address: %s", r.Reason)
	}
	if !strings.Contains(logs.String(), "viewer_address_unproven") {
		t.Errorf("the log does not note viewer_address_unproven: %s", logs.String())
	}
}

// H3: the cookie form is SameSite=Lax unless configured: a None cookie is
// sent with the cross-site requests any other site's page makes to the
// media host. strict and none are opt-in; anything else is refused.
func TestCookieSameSite(t *testing.T) {
	for _, tc := range []struct{ value, want string }{
		{"", "SameSite=Lax"},
		{"lax", "SameSite=Lax"},
		{"strict", "SameSite=Strict"},
		{"none", "SameSite=None"},
	} {
		env := baseEnv(t)
		if tc.value != "" {
			env["SECURESTREAM_COOKIE_SAMESITE"] = tc.value
		}
		is, _ := newIssuer(t, env)
		status, _, body := call(t, is, restEvent(t, "POST", playbackBody("/vod/a/index.m3u8"), nil))
		if status != 200 {
			t.Fatalf("%q: status %d %v", tc.value, status, body)
		}
		cookie := str(body["cookie"])
		if !strings.HasSuffix(cookie, "; "+tc.want) || strings.Count(cookie, "SameSite=") != 1 {
			t.Errorf("%q: cookie %q, want %s", tc.value, cookie, tc.want)
		}
		if !strings.Contains(cookie, "; Secure;") || !strings.Contains(cookie, "; HttpOnly;") {
			t.Errorf("%q: cookie %q is not Secure and HttpOnly", tc.value, cookie)
		}
	}
	for _, bad := range []string{"None; Domain=evil.example", "off", "NONE!", "relaxed"} {
		env := baseEnv(t)
		env["SECURESTREAM_COOKIE_SAMESITE"] = bad
		if err := loadErr(env); err == nil || !strings.Contains(err.Error(), "SECURESTREAM_COOKIE_SAMESITE") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// H4: with a JWKS, the issuer is required: the identity provider's keys
// sign the tokens of every tenant and application it serves.
func TestJWKSNeedsIssuerConfig(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	env := jwtEnv(t)
	delete(env, "SECURESTREAM_JWT_HS256_KEY")
	delete(env, "SECURESTREAM_JWT_ISSUER")
	env["SECURESTREAM_JWT_JWKS"] = rsaJWKS(rsaKey, "")
	err = loadErr(env)
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
	b64 := base64.RawURLEncoding.EncodeToString
	return fmt.Sprintf(`{"keys":[{"kty":"RSA","kid":"r1","alg":%q,"n":%q,"e":"AQAB"}]}`, alg, b64(k.N.Bytes()))
}

// H4 through the handler: a token of another tenant, a typ that is not a
// bearer JWT and a key used with another algorithm than it declares are
// each answered 401 with WWW-Authenticate, and no token reaches the log.
func TestJWKSTokensRefused(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
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
		env["SECURESTREAM_JWT_JWKS"] = fmt.Sprintf(`{"keys":[{"kty":"RSA","kid":"r1","alg":%q,"n":%q,"e":"AQAB"},{"kty":"RSA","kid":"r2","n":%q,"e":"AQAB"}]}`,
			tc.keyAlg, b64(rsaKey.N.Bytes()), b64(rsaKey.N.Bytes()))
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
