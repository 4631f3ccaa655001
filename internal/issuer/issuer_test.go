package issuer

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/issuer/config"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey/seed"
	"github.com/securestream/terraform-provider-securestream/internal/streamkeytest"
)

func verifier(t testing.TB) *streamkey.Verifier {
	r, err := testDoc().Ring()
	if err != nil {
		t.Fatal(err)
	}
	return &streamkey.Verifier{Ring: r}
}

// The recorded events of the three front doors each get a key that the
// edge accepts for the manifest's directory, from the right address.
func TestIssueRecordedEvents(t *testing.T) {
	is, logs := newIssuer(t, baseEnv(t))
	for _, tc := range []struct {
		event, ip, ua, host, segment string
		ttl                          time.Duration
	}{
		{"rest_v1_post.json", "198.51.100.23", "ExoPlayerLib/2.19.1", "media.example.com", "/vod/movie-42/720p/seg_1.ts", 30 * time.Minute},
		{"http_v2_post.json", "2001:db8:1:2::7", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
			"media.example.com", "/vod/movie-42/1080p/seg_9.ts", time.Hour},
		{"function_url_get.json", "203.0.113.9", "AppleCoreMedia/1.0.0.21A5326a (iPhone; U; CPU OS 17_0 like Mac OS X; en_us)",
			"media.example.com", "/live/ch1/chunk-1.m4s", 10 * time.Minute},
	} {
		t.Run(tc.event, func(t *testing.T) {
			status, headers, body := call(t, is, readEvent(t, tc.event))
			if status != 200 {
				t.Fatalf("status %d: %v", status, body)
			}
			if headers["cache-control"] != "no-store" || headers["content-type"] != "application/json" {
				t.Errorf("headers %v", headers)
			}
			tok := str(body["token"])
			res := verifier(t).Verify(tok, streamkey.Request{Now: t0.Add(time.Minute), Path: tc.segment, Host: tc.host, ClientIP: tc.ip, UserAgent: tc.ua})
			if !res.OK() {
				t.Fatalf("the edge refuses the key: %s", res.Reason)
			}
			if other := verifier(t).Verify(tok, streamkey.Request{Now: t0.Add(time.Minute), Path: "/vod/movie-43/index.m3u8", Host: tc.host, ClientIP: tc.ip, UserAgent: tc.ua}); other.Reason != streamkey.Path {
				t.Errorf("another title: %s", other.Reason)
			}
			if int64(body["expires"].(float64)) != t0.Add(tc.ttl).Unix() || str(body["expires_at"]) != t0.Add(tc.ttl).Format(time.RFC3339) {
				t.Errorf("expires %v %v, want %s", body["expires"], body["expires_at"], t0.Add(tc.ttl))
			}
			if str(body["key_id"]) != "k2025" {
				t.Errorf("signed with %v; the newest key is not yet active", body["key_id"])
			}
			hdr := body["header"].(map[string]any)
			if hdr["name"] != "x-stream-token" || hdr["value"] != tok || str(body["query"]) != "stream_token="+tok {
				t.Errorf("forms: %v %v", hdr, body["query"])
			}
			u, err := url.Parse(str(body["url"]))
			if err != nil || !strings.HasPrefix(u.EscapedPath(), "/t/"+tok+"/") || u.Host != "media.example.com" {
				t.Errorf("url %v", body["url"])
			}
			if !strings.HasPrefix(str(body["cookie"]), "stream_token="+tok+"; Path=/; Max-Age=") {
				t.Errorf("cookie %v", body["cookie"])
			}
			if _, ok := body["stream_key"]; ok {
				t.Error("seed keys returned without seed compatibility")
			}
		})
	}
	if strings.Contains(logs.String(), "ss1.") || strings.Contains(logs.String(), "secret") {
		t.Errorf("the log holds a token or a secret:\n%s", logs.String())
	}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var l map[string]any
		if json.Unmarshal([]byte(line), &l) != nil || l["outcome"] != "issued" || l["reason"] != "issued" || l["request_id"] == "" ||
			l["kid"] != "k2025" || l["latency_ms"] == nil || l["sid"] == nil {
			t.Errorf("log line %s", line)
		}
	}
}

// X-Forwarded-For is the client's to write: it is ignored unless trusted
// proxies are configured, and then only their own entries are skipped.
func TestClientAddress(t *testing.T) {
	ev := restEvent(t, "POST", `{"playback_url":"https://media.example.com/vod/a/index.m3u8"}`, map[string]string{
		"X-Forwarded-For": "6.6.6.6, 192.0.2.10, 10.0.0.5", "CloudFront-Viewer-Address": "2001:db8::9:51234", "X-Origin-Verify": testOriginSecret})
	check := func(env map[string]string, wantIP string) {
		t.Helper()
		is, _ := newIssuer(t, env)
		status, _, body := call(t, is, ev)
		if status != 200 {
			t.Fatalf("status %d %v", status, body)
		}
		req := streamkey.Request{Now: t0, Path: "/vod/a/x.ts", Host: "media.example.com", ClientIP: wantIP, UserAgent: "ExoPlayerLib/2.19.1"}
		if r := verifier(t).Verify(str(body["token"]), req); !r.OK() {
			t.Errorf("bound to another address than %s: %s", wantIP, r.Reason)
		}
	}
	env := baseEnv(t)
	env["SECURESTREAM_IP_BINDING"] = "exact"
	check(env, "198.51.100.23") // the request context, not the header
	env["SECURESTREAM_CLIENT_IP_SOURCE"] = "cloudfront-viewer-address"
	env["SECURESTREAM_ORIGIN_SECRET_HEADER"] = "x-origin-verify" // the event carries it
	env["SECURESTREAM_ORIGIN_SECRET"] = originSecretEnv
	env["SECURESTREAM_CLOUDFRONT_SOURCE_CIDRS"] = "198.51.100.0/24" // the recorded event's sourceIp
	check(env, "2001:db8::9")
	delete(env, "SECURESTREAM_CLOUDFRONT_SOURCE_CIDRS")
	delete(env, "SECURESTREAM_ORIGIN_SECRET_HEADER")
	delete(env, "SECURESTREAM_ORIGIN_SECRET")
	env["SECURESTREAM_CLIENT_IP_SOURCE"] = "x-forwarded-for"
	env["SECURESTREAM_TRUSTED_PROXIES"] = "198.51.100.0/24, 10.0.0.0/8"
	check(env, "192.0.2.10")
}

func TestEntitlementAndTTL(t *testing.T) {
	is, _ := newIssuer(t, baseEnv(t))
	for _, tc := range []struct {
		body   string
		status int
		ttl    time.Duration
	}{
		{`{"playback_url":"https://media.example.com/vod/a/index.m3u8"}`, 200, time.Hour},
		{`{"playback_url":"https://media.example.com/vod/a/index.m3u8","ttl_seconds":60}`, 200, time.Minute},
		{`{"playback_url":"https://media.example.com/vod/a/index.m3u8","ttl_seconds":999999}`, 200, 24 * time.Hour},
		{`{"playback_url":"https://MEDIA.example.com:443/vod/a/index.m3u8"}`, 200, time.Hour},
		{`{"playback_url":"https://cdn.example.net/vod/a/index.m3u8"}`, 403, 0},
		{`{"playback_url":"https://media.example.com/private/a/index.m3u8"}`, 403, 0},
		{`{"playback_url":"http://media.example.com/vod/a/index.m3u8"}`, 400, 0},
		{`{"playback_url":"https://media.example.com/vod/a/index.m3u8","ttl_seconds":0}`, 400, 0},
	} {
		status, _, body := call(t, is, restEvent(t, "POST", tc.body, nil))
		if status != tc.status {
			t.Errorf("%s: status %d, want %d (%v)", tc.body, status, tc.status, body)
			continue
		}
		if status == 200 && int64(body["expires"].(float64)) != t0.Add(tc.ttl).Unix() {
			t.Errorf("%s: ttl %v, want %s", tc.body, int64(body["expires"].(float64))-t0.Unix(), tc.ttl)
		}
	}
}

func TestPathPatternModes(t *testing.T) {
	for mode, want := range map[string][2]string{
		"directory": {"/vod/a/b/seg.ts", "/vod/a/c.ts"},
		"exact":     {"/vod/a/b/index.m3u8", "/vod/a/b/seg.ts"},
		"prefix":    {"/vod/zzz/seg.ts", "/live/x.ts"},
	} {
		env := baseEnv(t)
		env["SECURESTREAM_PATH_PATTERN"] = mode
		is, _ := newIssuer(t, env)
		_, _, body := call(t, is, restEvent(t, "POST", `{"playback_url":"https://media.example.com/vod/a/b/index.m3u8"}`, nil))
		req := streamkey.Request{Now: t0, Host: "media.example.com", ClientIP: "198.51.100.23", UserAgent: "ExoPlayerLib/2.19.1"}
		req.Path = want[0]
		if r := verifier(t).Verify(str(body["token"]), req); !r.OK() {
			t.Errorf("%s: %s refused: %s", mode, want[0], r.Reason)
		}
		req.Path = want[1]
		if r := verifier(t).Verify(str(body["token"]), req); r.Reason != streamkey.Path {
			t.Errorf("%s: %s: %s, want path", mode, want[1], r.Reason)
		}
	}
}

func TestKeyActivation(t *testing.T) {
	is, _ := newIssuer(t, baseEnv(t))
	ev := restEvent(t, "POST", `{"playback_url":"https://media.example.com/vod/a/index.m3u8"}`, nil)
	_, _, body := call(t, is, ev)
	if body["key_id"] != "k2025" {
		t.Errorf("before the activation delay: %v", body["key_id"])
	}
	is.Now = func() time.Time { return t0.Add(5 * time.Minute) }
	_, _, body = call(t, is, ev)
	if body["key_id"] != "k2026" {
		t.Errorf("after the activation delay: %v", body["key_id"])
	}
}

// Seed compatibility returns the original's stream_key and stream_policy,
// and the original body ({"playback_url"} only) keeps working.
func TestSeedCompat(t *testing.T) {
	env := baseEnv(t)
	env["SECURESTREAM_SEED_COMPAT"] = "true"
	is, _ := newIssuer(t, env)
	_, _, body := call(t, is, restEvent(t, "POST", `{"playback_url":"https://media.example.com/vod/a/index.m3u8"}`, nil))
	want, err := seed.MintWithSecret([]byte(streamkeytest.SeedSecret), seed.Grant{
		PlaybackURL: "https://media.example.com/vod/a/index.m3u8", ClientIP: "198.51.100.23", UserAgent: "ExoPlayerLib/2.19.1", Expires: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if body["stream_key"] != want.StreamKey || body["stream_policy"] != want.StreamPolicy {
		t.Errorf("seed key %v %v, want %s %s", body["stream_key"], body["stream_policy"], want.StreamKey, want.StreamPolicy)
	}
	doc := testDoc()
	doc.Keys = doc.Keys[:2]
	pt, _ := doc.Marshal()
	env["SECURESTREAM_KEYRING"] = fakeEncrypt(pt, map[string]string{"LambdaFunctionName": "securestream-issuer", "Purpose": "key-ring"})
	cfg, _ := config.Load(func(k string) string { return env[k] })
	if _, err := New(context.Background(), cfg, fakeKMS{}); err == nil || !strings.Contains(err.Error(), "SECURESTREAM_SEED_COMPAT") {
		t.Errorf("seed compatibility without a seed key: %v", err)
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

func TestCORS(t *testing.T) {
	is, _ := newIssuer(t, baseEnv(t))
	status, h, _ := call(t, is, restEvent(t, "OPTIONS", "", map[string]string{"Origin": "https://player.example.com"}))
	if status != 204 || h["access-control-allow-origin"] != "https://player.example.com" || !strings.Contains(h["access-control-allow-methods"], "POST") ||
		!strings.Contains(h["access-control-allow-headers"], "authorization") {
		t.Errorf("preflight: %d %v", status, h)
	}
	_, h, _ = call(t, is, restEvent(t, "POST", `{"playback_url":"https://media.example.com/vod/a/i.m3u8"}`, map[string]string{"Origin": "https://player.example.com"}))
	if h["access-control-allow-origin"] != "https://player.example.com" || h["vary"] != "Origin" {
		t.Errorf("allowed origin: %v", h)
	}
	_, h, _ = call(t, is, restEvent(t, "POST", `{"playback_url":"https://media.example.com/vod/a/i.m3u8"}`, map[string]string{"Origin": "https://evil.example"}))
	if _, ok := h["access-control-allow-origin"]; ok {
		t.Errorf("other origin allowed: %v", h)
	}
}

// authorizerIssuer is an issuer that leaves authentication to API
// Gateway and reads the titles from the authorizer's pathsClaim.
func authorizerIssuer(t *testing.T, pathsClaim string) *Issuer {
	env := baseEnv(t)
	env["SECURESTREAM_AUTH"] = "authorizer"
	env["SECURESTREAM_AUTHORIZER_PATHS_CLAIM"] = pathsClaim
	is, _ := newIssuer(t, env)
	return is
}

func TestAuthorizerMode(t *testing.T) {
	is := authorizerIssuer(t, "paths")
	if status, _, body := call(t, is, readEvent(t, "rest_v1_authorizer.json")); status != 200 {
		t.Errorf("authorised: %d %v", status, body)
	}
	ev := strings.Replace(string(readEvent(t, "rest_v1_authorizer.json")), "/vod/movie-42/index.m3u8", "/vod/movie-43/index.m3u8", 1)
	if status, _, _ := call(t, is, []byte(ev)); status != 403 {
		t.Errorf("title outside the authorizer's paths: %d", status)
	}
	if status, _, _ := call(t, is, readEvent(t, "rest_v1_post.json")); status != 401 {
		t.Errorf("no authorizer ran: %d", status)
	}
}

// An HTTP API with a JWT authorizer leaves its claims in the request
// context; the paths claim is read from there.
func TestHTTPAPIAuthorizerClaims(t *testing.T) {
	is := authorizerIssuer(t, "custom:paths")
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

func TestConfigErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		set  map[string]string
		want string
	}{
		"no key ring":         {map[string]string{"SECURESTREAM_KEYRING": ""}, "SECURESTREAM_KEYRING"},
		"no auth":             {map[string]string{"SECURESTREAM_AUTH": ""}, "SECURESTREAM_AUTH"},
		"bad auth":            {map[string]string{"SECURESTREAM_AUTH": "open"}, "SECURESTREAM_AUTH"},
		"no hosts":            {map[string]string{"SECURESTREAM_ALLOWED_HOSTS": ""}, "SECURESTREAM_ALLOWED_HOSTS"},
		"host with scheme":    {map[string]string{"SECURESTREAM_ALLOWED_HOSTS": "https://media.example.com"}, "SECURESTREAM_ALLOWED_HOSTS"},
		"bad ttl":             {map[string]string{"SECURESTREAM_MAX_TTL": "a while"}, "SECURESTREAM_MAX_TTL"},
		"default over max":    {map[string]string{"SECURESTREAM_DEFAULT_TTL": "2h", "SECURESTREAM_MAX_TTL": "1h"}, "SECURESTREAM_DEFAULT_TTL"},
		"bad binding":         {map[string]string{"SECURESTREAM_IP_BINDING": "24"}, "SECURESTREAM_IP_BINDING"},
		"bad bool":            {map[string]string{"SECURESTREAM_BIND_USER_AGENT": "maybe"}, "SECURESTREAM_BIND_USER_AGENT"},
		"xff without proxies": {map[string]string{"SECURESTREAM_CLIENT_IP_SOURCE": "x-forwarded-for"}, "SECURESTREAM_TRUSTED_PROXIES"},
		"bad proxy":           {map[string]string{"SECURESTREAM_CLIENT_IP_SOURCE": "x-forwarded-for", "SECURESTREAM_TRUSTED_PROXIES": "10.0.0.0"}, "SECURESTREAM_TRUSTED_PROXIES"},
		"jwt without keys":    {map[string]string{"SECURESTREAM_AUTH": "jwt", "SECURESTREAM_JWT_ISSUER": "x"}, "SECURESTREAM_JWT_HS256_KEY"},
		"bad prefix":          {map[string]string{"SECURESTREAM_ALLOWED_PATH_PREFIXES": "/a/../b/"}, "SECURESTREAM_ALLOWED_PATH_PREFIXES"},
		"ftp scheme":          {map[string]string{"SECURESTREAM_ALLOWED_SCHEMES": "ftp"}, "SECURESTREAM_ALLOWED_SCHEMES"},
		"bad header name":     {map[string]string{"SECURESTREAM_TOKEN_HEADER": "x token"}, "SECURESTREAM_TOKEN_HEADER"},
		"no function name":    {map[string]string{"AWS_LAMBDA_FUNCTION_NAME": ""}, "AWS_LAMBDA_FUNCTION_NAME"},
		"cat binding the UA":  {map[string]string{"SECURESTREAM_TOKEN_FORMAT": "cat"}, "no User-Agent claim"},
	} {
		env := baseEnv(t)
		for k, v := range tc.set {
			env[k] = v
		}
		_, err := config.Load(func(k string) string { return env[k] })
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error naming %s", name, err, tc.want)
		}
	}
}

func TestNewErrors(t *testing.T) {
	env := baseEnv(t)
	cfg, _ := config.Load(func(k string) string { return env[k] })
	if _, err := New(context.Background(), cfg, fakeKMS{err: errors.New("AccessDeniedException")}); err == nil ||
		!strings.Contains(err.Error(), "kms:Decrypt") || !strings.Contains(err.Error(), "SECURESTREAM_KEYRING") {
		t.Errorf("KMS failure: %v", err)
	}
	cfg.FunctionName = "another-function"
	if _, err := New(context.Background(), cfg, fakeKMS{}); err == nil || !strings.Contains(err.Error(), "LambdaFunctionName=another-function") {
		t.Errorf("wrong encryption context: %v", err)
	}
	cfg.FunctionName = "securestream-issuer"
	cfg.KeyringCiphertext = fakeEncrypt([]byte(`{"version":1,"keys":[]}`), map[string]string{"LambdaFunctionName": "securestream-issuer", "Purpose": "key-ring"})
	if _, err := New(context.Background(), cfg, fakeKMS{}); err == nil || !strings.Contains(err.Error(), "no key") {
		t.Errorf("empty ring: %v", err)
	}
}
