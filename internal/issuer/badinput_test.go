package issuer

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
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

// Every hostile or broken request gets the right 4xx, never a 5xx, and
// nothing panics.
func TestBadRequests(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "bad_requests.json"))
	if err != nil {
		t.Fatal(err)
	}
	var corpus struct {
		Cases []struct {
			Name    string            `json:"name"`
			Status  int               `json:"status"`
			Method  string            `json:"method"`
			Mode    string            `json:"mode"`
			Body    *string           `json:"body"`
			Headers map[string]string `json:"headers"`
			Query   map[string]string `json:"query"`
			Event   json.RawMessage   `json:"event"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(b, &corpus); err != nil {
		t.Fatal(err)
	}
	if len(corpus.Cases) < 30 {
		t.Fatalf("the corpus has %d cases; keep at least 30", len(corpus.Cases))
	}
	plain, logs := newIssuer(t, baseEnv(t))
	jwtIssuer, jwtLogs := newIssuer(t, jwtEnv(t))
	tokens := testJWTs()
	for _, c := range corpus.Cases {
		is := plain
		if c.Mode == "jwt" {
			is = jwtIssuer
		}
		ev := c.Event
		if ev == nil {
			var base map[string]any
			_ = json.Unmarshal(readEvent(t, "rest_v1_post.json"), &base)
			base["httpMethod"] = c.Method
			base["multiValueHeaders"] = nil
			base["body"] = nil
			if c.Body != nil {
				base["body"] = *c.Body
			}
			h := base["headers"].(map[string]any)
			for k, v := range c.Headers {
				for name, tok := range tokens {
					v = strings.ReplaceAll(v, "$jwt:"+name, tok)
				}
				h[k] = v
			}
			if c.Query != nil {
				base["queryStringParameters"] = c.Query
			}
			ev, _ = json.Marshal(base)
		}
		res, err := is.Handle(context.Background(), ev)
		switch {
		case c.Status == -1:
			if err == nil {
				t.Errorf("%s: answered %d, want an invocation error", c.Name, res.StatusCode)
			}
		case err != nil:
			t.Errorf("%s: %v", c.Name, err)
		case res.StatusCode != c.Status:
			t.Errorf("%s: status %d, want %d (%s)", c.Name, res.StatusCode, c.Status, res.Body)
		case res.StatusCode >= 400:
			var body map[string]string
			if json.Unmarshal([]byte(res.Body), &body) != nil || body["error"] == "" || body["message"] == "" {
				t.Errorf("%s: the error body is not {error, message}: %s", c.Name, res.Body)
			}
			if res.StatusCode == 401 && res.Headers["www-authenticate"] == "" {
				t.Errorf("%s: a 401 without WWW-Authenticate", c.Name)
			}
		}
	}
	for _, l := range []string{logs.String(), jwtLogs.String()} {
		for _, tok := range tokens {
			if sig := strings.Split(tok, ".")[2]; sig != "" && strings.Contains(l, sig) {
				t.Error("a bearer token reached the log")
			}
		}
		if strings.Contains(l, `"level":"error"`) {
			t.Errorf("an error was logged:\n%s", l)
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
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	b64 := func(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
	env := jwtEnv(t)
	delete(env, "SECURESTREAM_JWT_HS256_KEY")
	env["SECURESTREAM_JWT_JWKS"] = fmt.Sprintf(`{"keys":[{"kty":"RSA","kid":"r1","n":%q,"e":"AQAB"}]}`, b64(rsaKey.N.Bytes()))
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

// An HTTP API with a JWT authorizer leaves its claims in the request
// context; the paths claim is read from there.
func TestHTTPAPIAuthorizerClaims(t *testing.T) {
	env := baseEnv(t)
	env["SECURESTREAM_AUTH"] = "authorizer"
	env["SECURESTREAM_AUTHORIZER_PATHS_CLAIM"] = "custom:paths"
	is, _ := newIssuer(t, env)
	var ev map[string]any
	_ = json.Unmarshal(readEvent(t, "http_v2_post.json"), &ev)
	ev["requestContext"].(map[string]any)["authorizer"] = map[string]any{"jwt": map[string]any{
		"claims": map[string]any{"sub": "u1", "custom:paths": `["/vod/movie-42/"]`}, "scopes": nil}}
	b, _ := json.Marshal(ev)
	if status, _, body := call(t, is, b); status != 200 {
		t.Errorf("status %d %v", status, body)
	}
	ev["requestContext"].(map[string]any)["authorizer"] = map[string]any{"jwt": map[string]any{"claims": map[string]any{"custom:paths": `["/vod/other/"]`}}}
	b, _ = json.Marshal(ev)
	if status, _, _ := call(t, is, b); status != 403 {
		t.Errorf("outside the claim's paths: %d", status)
	}
}
