package issuer

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/cat"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

// catVerifier checks CATs as the edge would, with the test ring's keys.
func catVerifier(t testing.TB) *cat.Verifier {
	t.Helper()
	r, err := testDoc().Ring()
	if err != nil {
		t.Fatal(err)
	}
	cr, err := cat.RingFromStreamkey(r)
	if err != nil {
		t.Fatal(err)
	}
	return &cat.Verifier{Ring: cr}
}

func catEnv(t testing.TB) map[string]string {
	env := baseEnv(t)
	env["SECURESTREAM_TOKEN_FORMAT"] = "cat"
	env["SECURESTREAM_BIND_USER_AGENT"] = "false"
	return env
}

// With SECURESTREAM_TOKEN_FORMAT=cat, each front door's answer has the
// ss1 answer's shape, says format cat, and holds a CAT the edge accepts
// where the ss1 key would be accepted and refuses elsewhere, whose cti is
// the session id; no token reaches the log.
func TestIssueCAT(t *testing.T) {
	is, logs := newIssuer(t, catEnv(t))
	ssIs, _ := newIssuer(t, func() map[string]string { e := baseEnv(t); e["SECURESTREAM_BIND_USER_AGENT"] = "false"; return e }())
	for _, tc := range []struct {
		event, ip, segment string
		ttl                time.Duration
	}{
		{"rest_v1_post.json", "198.51.100.23", "/vod/movie-42/720p/seg_1.ts", 30 * time.Minute},
		{"http_v2_post.json", "2001:db8:1:2::7", "/vod/movie-42/1080p/seg_9.ts", time.Hour},
		{"function_url_get.json", "203.0.113.9", "/live/ch1/chunk-1.m4s", 10 * time.Minute},
	} {
		t.Run(tc.event, func(t *testing.T) {
			status, headers, body := call(t, is, readEvent(t, tc.event))
			if status != 200 || headers["cache-control"] != "no-store" {
				t.Fatalf("status %d %v: %v", status, headers, body)
			}
			_, _, ssBody := call(t, ssIs, readEvent(t, tc.event))
			for k := range ssBody {
				if _, ok := body[k]; !ok {
					t.Errorf("the CAT answer has no %q", k)
				}
			}
			if len(body) != len(ssBody) || body["format"] != "cat" || ssBody["format"] != "ss1" {
				t.Errorf("answers\ncat %v\nss1 %v", body, ssBody)
			}
			tok, sid := str(body["token"]), str(body["session_id"])
			if sid == "" || str(body["key_id"]) != "k2025" || int64(body["expires"].(float64)) != t0.Add(tc.ttl).Unix() {
				t.Errorf("answer %v", body)
			}
			ok := func(p, host, ip string) (bool, bool) {
				now := t0.Add(time.Minute)
				c := catVerifier(t).Verify(tok, cat.Request{Now: now, Scheme: "https", Method: "GET", Path: p, Host: host, ClientIP: ip})
				s := verifier(t).Verify(str(ssBody["token"]), streamkey.Request{Now: now, Path: p, Host: host, ClientIP: ip})
				if c.OK() && string(c.Claims.ID) != sid {
					t.Errorf("cti %q, session_id %q", c.Claims.ID, sid)
				}
				return c.OK(), s.OK()
			}
			for _, r := range []struct {
				path, host, ip string
				want           bool
			}{
				{tc.segment, "media.example.com", tc.ip, true},
				{"/vod/movie-43/index.m3u8", "media.example.com", tc.ip, false},
				{tc.segment, "other.example.com", tc.ip, false},
				{tc.segment, "media.example.com", "192.0.2.1", false},
			} {
				c, s := ok(r.path, r.host, r.ip)
				if c != r.want || s != r.want {
					t.Errorf("%s %s from %s: CAT %v, ss1 %v, want %v", r.host, r.path, r.ip, c, s, r.want)
				}
			}
			hdr := body["header"].(map[string]any)
			if hdr["name"] != "cta-common-access-token" || hdr["value"] != tok || str(body["query"]) != "CAT="+tok ||
				!strings.HasPrefix(str(body["cookie"]), "cta-common-access-token="+tok+"; Path=/; Max-Age=") {
				t.Errorf("forms: %v %v %v", hdr, body["query"], body["cookie"])
			}
			u, err := url.Parse(str(body["url"]))
			if err != nil || u.Host != "media.example.com" || u.Query().Get("CAT") != tok || strings.Contains(u.Path, tok) {
				t.Errorf("url %v", body["url"])
			}
		})
	}
	if strings.Contains(logs.String(), "CAT=") || strings.Contains(logs.String(), "secret") {
		t.Errorf("the log holds a token or a secret:\n%s", logs.String())
	}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var l map[string]any
		if json.Unmarshal([]byte(line), &l) != nil || l["outcome"] != "issued" || l["kid"] != "k2025" || l["sid"] == nil {
			t.Errorf("log line %s", line)
		}
		for _, v := range l {
			if s, ok := v.(string); ok && len(s) > 64 {
				t.Errorf("a long value in the log (a token?): %s", s)
			}
		}
	}
}

// The CAT channel names are configurable, and a session continued with
// session_id keeps its id as cti, so that revoking it revokes the CAT.
func TestIssueCATNamesAndSession(t *testing.T) {
	env := catEnv(t)
	env["SECURESTREAM_CAT_HEADER"] = "Common-Access-Token"
	env["SECURESTREAM_CAT_QUERY"] = "cat"
	env["SECURESTREAM_CAT_COOKIE"] = "Common-Access-Token"
	env["SECURESTREAM_PATH_PATTERN"] = "exact"
	is, _ := newIssuer(t, env)
	status, _, body := call(t, is, restEvent(t, "POST", `{"playback_url":"https://media.example.com/vod/a/index.m3u8","session_id":"my-session.1"}`, nil))
	if status != 200 {
		t.Fatalf("status %d: %v", status, body)
	}
	tok := str(body["token"])
	hdr := body["header"].(map[string]any)
	if hdr["name"] != "common-access-token" || str(body["query"]) != "cat="+tok || !strings.HasPrefix(str(body["cookie"]), "Common-Access-Token="+tok+";") {
		t.Errorf("forms %v %v %v", hdr, body["query"], body["cookie"])
	}
	v := catVerifier(t)
	req := cat.Request{Now: t0, Scheme: "https", Method: "GET", Host: "media.example.com", ClientIP: "198.51.100.23", Path: "/vod/a/index.m3u8"}
	res := v.Verify(tok, req)
	if !res.OK() || string(res.Claims.ID) != "my-session.1" || body["session_id"] != "my-session.1" {
		t.Errorf("%s, cti %q, session_id %v", res.Reason, res.Claims.ID, body["session_id"])
	}
	if res.Claims.URI[1] != (cat.URIMatch{Component: cat.ComponentPath, Type: cat.MatchExact, Value: "/vod/a/index.m3u8"}) {
		t.Errorf("catu %+v", res.Claims.URI)
	}
	req.Path = "/vod/a/seg.ts"
	if r := v.Verify(tok, req); r.Reason != cat.Path {
		t.Errorf("exact mode, another file: %s", r.Reason)
	}
}
