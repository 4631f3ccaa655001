package issuer

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/jwttest"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey/seed"
)

// bearer returns an Authorization header with an HS256 JWT for jwtEnv
// that entitles the caller to paths (nil: no paths claim).
func bearer(paths []string, extra map[string]any) map[string]string {
	claims := map[string]any{"iss": "https://idp.example", "aud": "securestream", "exp": t0.Add(time.Hour).Unix(), "sub": "u1"}
	if paths != nil {
		claims["paths"] = paths
	}
	for k, v := range extra {
		claims[k] = v
	}
	return map[string]string{"Authorization": "Bearer " + jwttest.Sign(map[string]any{"alg": "HS256", "typ": "JWT"}, claims, jwtKey)}
}

func playbackBody(path string) string {
	return `{"playback_url":"https://media.example.com` + path + `"}`
}

// signedPatterns returns the path patterns a token covers.
func signedPatterns(t *testing.T, tok string) []string {
	t.Helper()
	_, c, err := streamkey.Inspect(tok)
	if err != nil {
		t.Fatalf("Inspect: %v", err)
	}
	return c.Paths
}

// H1: the signed pattern lies inside the matched allowed prefix and the
// caller's entitlement, both compared a directory at a time; a mode whose
// pattern would be wider is refused, never widened.
func TestCoverageNeverWiderThanChecked(t *testing.T) {
	for _, tc := range []struct {
		name     string
		mode     string   // SECURESTREAM_PATH_PATTERN
		prefixes string   // SECURESTREAM_ALLOWED_PATH_PREFIXES
		paths    []string // the JWT's paths claim; nil: no JWT (SECURESTREAM_AUTH=none)
		url      string   // the playback URL's path
		status   int
		want     string // the signed pattern, or words the error message holds
	}{
		// The review's cases: each was 200 with a wider pattern.
		{"prefix mode signs the entitlement, not the allowed prefix", "prefix", "/", []string{"/vod/movie-42/"}, "/vod/movie-42/index.m3u8", 200, "/vod/movie-42/*"},
		{"an entitlement is a directory, not a string start", "directory", "/", []string{"/vod/movie-42"}, "/vod/movie-42.m3u8", 403, "not_entitled"},
		{"an allowed prefix is a directory, not a string start", "directory", "/vod/free", nil, "/vod/free.m3u8", 403, "path_not_allowed"},
		{"directory mode wider than a file entitlement", "directory", "/", []string{"/vod/movie-42/index.m3u8"}, "/vod/movie-42/index.m3u8", 403,
			"directory|/vod/movie-42/*|/vod/movie-42/index.m3u8|exact"},
		{"directory mode wider than a file allowed prefix", "directory", "/vod/movie-42/index.m3u8", nil, "/vod/movie-42/index.m3u8", 403,
			"directory|/vod/movie-42/*|allowed prefix|exact"},
		{"prefix mode wider than a file entitlement", "prefix", "/vod/", []string{"/vod/movie-42/index.m3u8"}, "/vod/movie-42/index.m3u8", 403,
			"prefix|/vod/*|/vod/movie-42/index.m3u8|exact"},
		{"prefix mode cannot cover the directory's own name", "prefix", "/", []string{"/vod/movie-42"}, "/vod/movie-42", 403, "prefix|exact"},

		// What stays allowed.
		{"exact mode for a file entitlement", "exact", "/", []string{"/vod/movie-42/index.m3u8"}, "/vod/movie-42/index.m3u8", 200, "/vod/movie-42/index.m3u8"},
		{"exact mode for the directory's own name", "exact", "/", []string{"/vod/movie-42"}, "/vod/movie-42", 200, "/vod/movie-42"},
		{"an entitlement without a trailing slash covers its directory", "directory", "/", []string{"/vod/movie-42"}, "/vod/movie-42/index.m3u8", 200, "/vod/movie-42/*"},
		{"an allowed prefix without a trailing slash covers its directory", "directory", "/vod/free", nil, "/vod/free/index.m3u8", 200, "/vod/free/*"},
		{"prefix mode with an allowed prefix without a trailing slash", "prefix", "/vod/free", nil, "/vod/free/a/index.m3u8", 200, "/vod/free/*"},
		{"prefix mode without entitlements signs the allowed prefix", "prefix", "/vod/,/live/", nil, "/vod/a/index.m3u8", 200, "/vod/*"},
		{"prefix mode picks the narrowest directory", "prefix", "/", []string{"/vod/", "/vod/movie-42/"}, "/vod/movie-42/hd/index.m3u8", 200, "/vod/movie-42/*"},
		{"prefix mode: the allowed prefix narrower than the entitlement", "prefix", "/vod/movie-42/", []string{"/vod/"}, "/vod/movie-42/index.m3u8", 200, "/vod/movie-42/*"},
		{"directory mode inside any one entitlement", "directory", "/", []string{"/vod/movie-42/index.m3u8", "/vod/"}, "/vod/movie-42/index.m3u8", 200, "/vod/movie-42/*"},
		{"escapes compare case-insensitively", "directory", "/", []string{"/vod/caf%c3%a9/"}, "/vod/caf%C3%A9/index.m3u8", 200, "/vod/caf%C3%A9/*"},
		{"an unsafe entitlement entitles nothing", "directory", "/", []string{"/vod/../"}, "/vod/a/index.m3u8", 403, "not_entitled"},
		{"an entitlement with '*' entitles nothing", "directory", "/", []string{"/vod/*"}, "/vod/a/index.m3u8", 403, "not_entitled"},
		{"a path with '*' is refused", "exact", "/", nil, "/vod/a/index*", 400, "bad_url|'*'"},
		{"a path longer than a pattern may be", "exact", "/", nil, "/vod/" + strings.Repeat("a", 1100) + "/index.m3u8", 400, "bad_url|1024"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := baseEnv(t) // anyone may ask, limited by the allowed prefixes only
			if tc.paths != nil {
				env = jwtEnv(t)
			}
			env["SECURESTREAM_PATH_PATTERN"] = tc.mode
			env["SECURESTREAM_ALLOWED_PATH_PREFIXES"] = tc.prefixes
			is, _ := newIssuer(t, env)
			status, _, body := call(t, is, restEvent(t, "POST", playbackBody(tc.url), bearer(tc.paths, nil)))
			if status != tc.status {
				t.Fatalf("status %d, want %d: %v", status, tc.status, body)
			}
			if status == 200 {
				if got := signedPatterns(t, str(body["token"])); len(got) != 1 || got[0] != tc.want {
					t.Errorf("signed %v, want [%s]", got, tc.want)
				}
				return
			}
			text := str(body["error"]) + " " + str(body["message"])
			for _, w := range strings.Split(tc.want, "|") {
				if !strings.Contains(text, w) {
					t.Errorf("the answer %q does not mention %q", text, w)
				}
			}
		})
	}
}

// The key of the review's prefix-mode case does not open another title.
func TestPrefixModeKeyStaysInTheEntitlement(t *testing.T) {
	env := jwtEnv(t)
	env["SECURESTREAM_PATH_PATTERN"] = "prefix"
	env["SECURESTREAM_ALLOWED_PATH_PREFIXES"] = "/"
	is, _ := newIssuer(t, env)
	status, _, body := call(t, is, restEvent(t, "POST", playbackBody("/vod/movie-42/index.m3u8"), bearer([]string{"/vod/movie-42/"}, nil)))
	if status != 200 {
		t.Fatalf("status %d %v", status, body)
	}
	req := streamkey.Request{Now: t0, Host: "media.example.com", ClientIP: "198.51.100.23", UserAgent: "ExoPlayerLib/2.19.1"}
	for path, ok := range map[string]bool{"/vod/movie-42/1080p/seg1.ts": true, "/vod/premium-99/seg1.ts": false, "/vod/movie-42.m3u8": false} {
		req.Path = path
		if r := verifier(t).Verify(str(body["token"]), req); r.OK() != ok {
			t.Errorf("%s: %s", path, r.Reason)
		}
	}
}

// M1: the seed format always covers the URL's directory; it is handed out
// only when that is no wider than the ss1 key, and the answer says when
// it is left out.
func TestSeedCompatNeverWiderThanKey(t *testing.T) {
	for _, tc := range []struct {
		name, mode, url string
		paths           []string
		seed            bool
	}{
		{"the review's case: exact mode, a directory-like URL", "exact", "/vod/movie-42", []string{"/vod/movie-42"}, false},
		{"exact mode, a manifest", "exact", "/vod/movie-42/index.m3u8", []string{"/vod/movie-42/"}, false},
		{"directory mode", "directory", "/vod/movie-42/index.m3u8", []string{"/vod/movie-42/"}, true},
		{"prefix mode", "prefix", "/vod/movie-42/hd/index.m3u8", []string{"/vod/movie-42/"}, true},
		{"a URL ending in '/' has no usable seed policy", "directory", "/vod/movie-42/", []string{"/vod/movie-42/"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := jwtEnv(t)
			env["SECURESTREAM_SEED_COMPAT"] = "true"
			env["SECURESTREAM_PATH_PATTERN"] = tc.mode
			is, logs := newIssuer(t, env)
			status, _, body := call(t, is, restEvent(t, "POST", playbackBody(tc.url), bearer(tc.paths, nil)))
			if status != 200 {
				t.Fatalf("status %d %v", status, body)
			}
			_, hasSeed := body["stream_key"]
			_, hasPolicy := body["stream_policy"]
			if hasSeed != tc.seed || hasPolicy != tc.seed {
				t.Fatalf("stream_key %v, stream_policy %v, want %v (%v)", hasSeed, hasPolicy, tc.seed, body["seed_omitted"])
			}
			if tc.seed {
				if _, ok := body["seed_omitted"]; ok {
					t.Errorf("seed_omitted with a seed key: %v", body["seed_omitted"])
				}
				req := streamkey.Request{Now: t0, Host: "media.example.com", ClientIP: "198.51.100.23", UserAgent: "ExoPlayerLib/2.19.1", Path: "/vod/premium-99/seg1.ts"}
				if r := seed.Verify(verifier(t), str(body["stream_key"]), str(body["stream_policy"]), req); r.OK() {
					t.Error("the seed key opens another title")
				}
				return
			}
			if !strings.Contains(str(body["seed_omitted"]), "seed") {
				t.Errorf("seed_omitted = %q", body["seed_omitted"])
			}
			var line map[string]any
			if json.Unmarshal(logs.Bytes(), &line) != nil || !strings.Contains(logs.String(), `"seed_omitted"`) {
				t.Errorf("the log does not say the seed key was left out: %s", logs.String())
			}
		})
	}
}

// A host with empty labels or a leading or trailing dot is malformed (the
// token format refuses to bind it): 400 bad_url, not 403 or 500.
func TestHostLabels(t *testing.T) {
	env := baseEnv(t)
	env["SECURESTREAM_ALLOWED_HOSTS"] = "media.example.com,*.example.com"
	is, _ := newIssuer(t, env)
	for _, host := range []string{"media.example.com..", "media.example.com.", ".media.example.com", "media..example.com", "..example.com",
		"med_ia.example.com", "[2001:db8::1]"} {
		status, _, body := call(t, is, restEvent(t, "POST", `{"playback_url":"https://`+host+`/vod/a/index.m3u8"}`, nil))
		if status != 400 || body["error"] != "bad_url" || !strings.Contains(str(body["message"]), "host") {
			t.Errorf("%s: %d %v", host, status, body)
		}
	}
	if status, _, body := call(t, is, restEvent(t, "POST", `{"playback_url":"https://a-b.example.com/vod/a/index.m3u8"}`, nil)); status != 200 {
		t.Errorf("a plain subdomain: %d %v", status, body)
	}
}
