package edgefunc

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/cfruntime"
	"github.com/securestream/terraform-provider-securestream/internal/issuance"
	"github.com/securestream/terraform-provider-securestream/internal/sharedref"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey/seed"
	"github.com/securestream/terraform-provider-securestream/internal/streamkeytest"
	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

func keysN(n, idLen int) []Key {
	var ks []Key
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("k%0*d", idLen-1, i)
		ks = append(ks, Key{ID: id, Secret: bytes.Repeat([]byte{byte(i + 1)}, 32)})
	}
	return ks
}

func TestRenderSize(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		max  int
	}{
		// The budget for two keys: 5,248 bytes before the function answered
		// CORS preflights itself (M1), about 240 more since.
		{"2 keys, all channels", Config{Keys: keysN(2, 8), Channels: issuance.DefaultChannels()}, 5504},
		{"2 keys with 32-character ids, all channels, report-only", Config{Keys: keysN(2, 32), Channels: issuance.DefaultChannels(), ReportOnly: true}, 5504},
		{"2 keys, all channels, two CORS origins", Config{Keys: keysN(2, 8), Channels: issuance.DefaultChannels(),
			CORSOrigins: []string{"https://player.example.com", "https://www.example.com"}}, 5760}, // 5,504 and the list
		{"8 keys, all channels, seed, exempt paths", Config{Keys: keysN(8, 32), SeedKeyID: fmt.Sprintf("k%031d", 0), Channels: issuance.DefaultChannels(),
			Exempt: []string{"/favicon.ico", "/posters/*", "/robots.txt"}, CORSOrigins: []string{"https://player.example.com", "https://www.example.com",
				"http://localhost:3000"}}, MaxSize},
		// With a key value store (issue 23), either fail mode: the full ring
		// still fits.
		{"8 keys, all channels, seed, exempt paths, a store failing open", withRevocation(fullRing(), false), MaxSize},
		{"8 keys, all channels, seed, exempt paths, a store failing closed", withRevocation(fullRing(), true), MaxSize},
	} {
		code, err := Render(tc.cfg)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		t.Logf("%s: %d bytes", tc.name, len(code))
		if len(code) > tc.max {
			t.Errorf("%s: %d bytes, over %d", tc.name, len(code), tc.max)
		}
		if bytes.HasPrefix(code, []byte("\xef\xbb\xbf")) || bytes.Contains(code, []byte("export ")) {
			t.Errorf("%s: the code has a BOM or an export", tc.name)
		}
		if _, err := cfruntime.Compile("f", code, cfruntime.JS20); err != nil {
			t.Errorf("%s: does not compile in the cloudfront-js-2.0 runtime: %v", tc.name, err)
		}
	}
	// Past the hard limit the renderer refuses, with a clear error.
	huge := Config{Keys: keysN(8, 32), Channels: issuance.DefaultChannels()}
	for i := 0; i < 10; i++ {
		huge.Exempt = append(huge.Exempt, "/"+strings.Repeat(fmt.Sprint(i), 1000)+"/*")
	}
	if _, err := Render(huge); err == nil || !strings.Contains(err.Error(), "10240") {
		t.Errorf("oversized function: %v", err)
	}
}

func TestRenderRefuses(t *testing.T) {
	ok := Config{Keys: keysN(2, 4), Channels: issuance.DefaultChannels()}
	for name, mod := range map[string]func(*Config){
		"no keys":            func(c *Config) { c.Keys = nil },
		"nine keys":          func(c *Config) { c.Keys = keysN(9, 4) },
		"short secret":       func(c *Config) { c.Keys[0].Secret = c.Keys[0].Secret[:31] },
		"bad key id":         func(c *Config) { c.Keys[0].ID = "a b" },
		"duplicate key id":   func(c *Config) { c.Keys[1].ID = c.Keys[0].ID },
		"unknown seed key":   func(c *Config) { c.SeedKeyID = "nope" },
		"no channel":         func(c *Config) { c.Channels = issuance.Channels{} },
		"header with _":      func(c *Config) { c.Channels.Header = "stream_token" },
		"query with space":   func(c *Config) { c.Channels.Query = "a b" },
		"cookie with ;":      func(c *Config) { c.Channels.Cookie = "a;b" },
		"prefix with slash":  func(c *Config) { c.Channels.PathPrefix = "a/b" },
		"negative lifetime":  func(c *Config) { c.MaxLifetime = -time.Second },
		"leeway of a day":    func(c *Config) { c.Leeway = 24 * time.Hour },
		"unsafe exempt path": func(c *Config) { c.Exempt = []string{"/a/../*"} },
	} {
		c := ok
		c.Keys = append([]Key(nil), ok.Keys...)
		mod(&c)
		if _, err := Render(c); err == nil {
			t.Errorf("%s: rendered", name)
		}
	}
	// A header name in upper case is lowered, as every channel name rule
	// (issuance.Channels) says: header names are case-insensitive.
	c := ok
	c.Channels.Header = "X-Token"
	if code, err := Render(c); err != nil || !strings.Contains(string(code), `h["x-token"]`) {
		t.Errorf("header upper case: %v", err)
	}
}

// The token leaves the request whatever channel it came in, and the
// forwarded request is otherwise untouched.
func TestChannelsStripToken(t *testing.T) {
	e := newEngines(t, Config{Keys: testKeys()[:1], Channels: issuance.DefaultChannels()})
	ring, _ := streamkey.NewRing(streamkey.Key{ID: "k2026a", Secret: testKeys()[0].Secret})
	now := time.Unix(1_767_226_000, 0)
	tok, _ := ring.Mint("k2026a", streamkey.Grant{Expires: now.Add(time.Hour), Paths: []string{"/vod/m/*"}})
	hdr := [][2]string{{"host", "media.example.com"}, {"user-agent", "ua"}}
	for name, ev := range map[string]*cfruntime.Event{
		"path prefix": newEvent("GET", "/t/"+tok+"/vod/m/720p/seg.ts", "192.0.2.1", hdr, [][2]string{{"x", "1"}}, nil),
		"header":      newEvent("GET", "/vod/m/720p/seg.ts", "192.0.2.1", append(hdr, [2]string{"x-stream-token", tok}), [][2]string{{"x", "1"}}, nil),
		"query":       newEvent("GET", "/vod/m/720p/seg.ts", "192.0.2.1", hdr, [][2]string{{"stream_token", tok}, {"x", "1"}}, nil),
		"cookie":      newEvent("GET", "/vod/m/720p/seg.ts", "192.0.2.1", hdr, [][2]string{{"x", "1"}}, [][2]string{{"stream_token", tok}, {"other", "v"}}),
	} {
		for engine, r := range e.run(t, ev, now) {
			if r.Outcome != cfruntime.Continue {
				t.Fatalf("%s: %s: %s %s", name, engine, verdict(r), r.Error)
			}
			q := r.Request
			if q.URI != "/vod/m/720p/seg.ts" || q.Querystring["x"].Value != "1" || has(q.Querystring, "stream_token") ||
				has(q.Headers, "x-stream-token") || has(q.Cookies, "stream_token") || q.Headers["host"].Value != "media.example.com" {
				t.Errorf("%s: %s forwards %+v", name, engine, q)
			}
			if name == "cookie" && q.Cookies["other"].Value != "v" {
				t.Errorf("%s: %s dropped the other cookie", name, engine)
			}
		}
	}
}

func TestPreflightExemptAndReportOnly(t *testing.T) {
	now := time.Unix(1_767_226_000, 0)
	cfg := Config{Keys: testKeys()[:1], Channels: issuance.DefaultChannels(), Exempt: []string{"/favicon.ico", "/posters/*"}}
	e := newEngines(t, cfg)
	cors := [][2]string{{"origin", "https://player.example.com"}, {"access-control-request-method", "GET"}}
	for _, tc := range []struct {
		name, method, uri string
		headers           [][2]string
		want              string
	}{
		{"preflight", "OPTIONS", "/vod/m/index.m3u8", cors, "preflight"},
		{"preflight to an exempt path", "OPTIONS", "/favicon.ico", cors, "preflight"},
		{"exempt file", "GET", "/favicon.ico", nil, "allow"},
		{"exempt prefix", "GET", "/posters/m.jpg", nil, "allow"},
		{"exempt prefix, encoded traversal", "GET", "/posters/%2e%2e/vod/m/index.m3u8", nil, "missing"},
		{"not exempt", "GET", "/favicon.ico.bak", nil, "missing"},
	} {
		if got := e.check(t, tc.name, newEvent(tc.method, tc.uri, "192.0.2.1", tc.headers, nil, nil), now); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
	cfg.ReportOnly = true
	report := newEngines(t, cfg)
	for engine, r := range report.run(t, newEvent("GET", "/vod/m/index.m3u8", "192.0.2.1", [][2]string{{"x-stream-token", "bogus"}}, nil, nil), now) {
		if r.Outcome != cfruntime.Continue || len(r.Logs) != 1 || r.Logs[0] != "securestream report malformed" || has(r.Request.Headers, "x-stream-token") {
			t.Errorf("report-only: %s: %s %v", engine, verdict(r), r.Logs)
		}
	}
	for engine, r := range e.run(t, newEvent("GET", "/vod/m/index.m3u8", "192.0.2.1", nil, nil, nil), now) {
		if r.Status != 403 || len(r.Logs) != 1 || r.Logs[0] != "securestream deny missing" || r.Response.StatusDescription != "Forbidden" {
			t.Errorf("deny: %s: %+v %v", engine, r.Response, r.Logs)
		}
	}
}

// Keys minted by the original issuer are accepted in seed mode and refused
// when it is off; the original function, run in the same runtime, accepts
// them too.
func TestSeedMode(t *testing.T) {
	vs := streamkeytest.SeedVectors(t)
	legacy := testKeys()[2]
	on := newEngines(t, Config{Keys: testKeys(), SeedKeyID: "legacy", Channels: issuance.DefaultChannels()})
	off := newEngines(t, Config{Keys: testKeys(), Channels: issuance.DefaultChannels()})
	n := 0
	for _, v := range vs {
		if v.Secret != string(legacy.Secret) {
			continue
		}
		n++
		host, path, _ := seed.URLHostPath(v.PlaybackURL)
		now := time.Unix(v.IssuedAt+60, 0)
		ev := func(keyHeader, polHeader string) *cfruntime.Event {
			return newEvent("GET", path, v.ClientIP, [][2]string{{"host", host}, {"user-agent", v.UserAgent}, {keyHeader, v.StreamKey}, {polHeader, v.StreamPolicy}}, nil, nil)
		}
		for _, names := range [][2]string{{"stream_key", "stream_policy"}, {"stream-key", "stream-policy"}} {
			if got := on.check(t, "seed on "+names[0], ev(names[0], names[1]), now); got != "allow" {
				t.Errorf("%s (%s): seed mode on: %s", v.PlaybackURL, names[0], got)
			}
			if got := off.check(t, "seed off "+names[0], ev(names[0], names[1]), now); got != "missing" {
				t.Errorf("%s (%s): seed mode off: %s", v.PlaybackURL, names[0], got)
			}
		}
	}
	if n == 0 {
		t.Fatal("no seed vector uses the legacy secret")
	}
}

// The original function of the blog post, run in the same runtime,
// accepts the keys its issuer minted: the vectors are the original's.
func TestSeedOriginalAcceptsItsKeys(t *testing.T) {
	testenv.Shared(t)
	legacy := testKeys()[2]
	seedCode, err := sharedref.SeedCloudFrontFunction(string(legacy.Secret))
	if err != nil {
		t.Fatal(err)
	}
	original, err := cfruntime.Compile("original", []byte(seedCode), cfruntime.JS10)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range streamkeytest.SeedVectors(t) {
		if v.Secret != string(legacy.Secret) {
			continue
		}
		host, path, _ := seed.URLHostPath(v.PlaybackURL)
		ev := newEvent("GET", path, v.ClientIP, [][2]string{{"host", host}, {"user-agent", v.UserAgent}, {"stream_key", v.StreamKey}, {"stream_policy", v.StreamPolicy}}, nil, nil)
		if r := original.Run(ev, cfruntime.Options{Now: time.Unix(v.IssuedAt+60, 0), Budget: hangGuard}); r.Outcome != cfruntime.Continue {
			t.Errorf("%s: the original function refuses its own key: %s %s", v.PlaybackURL, verdict(r), r.Error)
		}
	}
}
