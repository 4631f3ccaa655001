package edgefunc

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/cfruntime"
	"github.com/securestream/terraform-provider-securestream/internal/issuance"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey/seed"
	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

// signRaw makes an ss1 token of any claims text, binding neither address
// nor user agent, as a holder of secret could.
func signRaw(kid string, secret []byte, claims string) string {
	mac := func(msg string) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(msg))
		return m.Sum(nil)
	}
	b64 := base64.RawURLEncoding
	si := "ss1." + kid + "." + b64.EncodeToString([]byte(claims))
	si += "." + b64.EncodeToString(mac(si)[:9])
	return si + "." + b64.EncodeToString(mac(si+"\n\n"))
}

var now0 = time.Unix(1_767_226_000, 0)

func plainEvent(uri string, headers ...[2]string) *cfruntime.Event {
	return newEvent("GET", uri, "192.0.2.1", append([][2]string{{"host", "media.example.com"}, {"user-agent", "ua"}}, headers...), nil, nil)
}

// M4: the original deployment's secret verifies seed-format keys only. An
// ss1 token made with it (whole site, nothing bound) is unknown_kid with
// seed compatibility on, and with it off the secret is not in the code.
func TestSeedSecretIsNoSS1Key(t *testing.T) {
	keys := testKeys()
	legacy := keys[2]
	tok := signRaw(legacy.ID, legacy.Secret, "e=1767229200\np=/*")
	marked := append(append([]Key(nil), keys[:2]...), Key{ID: legacy.ID, Secret: legacy.Secret, Seed: true})
	for name, cfg := range map[string]Config{
		"seed compatibility on":                  {Keys: keys, SeedKeyID: legacy.ID, Channels: issuance.DefaultChannels()},
		"seed compatibility on, key marked Seed": {Keys: marked, SeedKeyID: legacy.ID, Channels: issuance.DefaultChannels()},
		"seed compatibility off":                 {Keys: marked, Channels: issuance.DefaultChannels()},
	} {
		e := newEngines(t, cfg)
		if got := e.check(t, name, plainEvent("/vod/m/seg.ts", [2]string{"x-stream-token", tok}), now0); got != "unknown_kid" {
			t.Errorf("%s: an ss1 token signed with the seed secret: %s, want unknown_kid", name, got)
		}
		if bytes.Contains(e.code, []byte(`".`+legacy.ID+`"`)) {
			t.Errorf("%s: the seed key is in the ss1 key map:\n%s", name, e.code)
		}
		inCode := bytes.Contains(e.code, legacy.Secret)
		if on := cfg.SeedKeyID != ""; inCode != on {
			t.Errorf("%s: the seed secret is in the code: %v, want %v", name, inCode, on)
		}
	}
	// A binary seed secret is written apart too, and seed-format keys
	// signed with it still pass.
	bin := Key{ID: "legacy", Secret: bytes.Repeat([]byte{0xfe, 0x01}, 20), Seed: true}
	e := newEngines(t, Config{Keys: append(append([]Key(nil), keys[:1]...), bin), SeedKeyID: bin.ID, Channels: issuance.DefaultChannels()})
	sk, err := seed.MintWithSecret(bin.Secret, seed.Grant{PlaybackURL: "https://media.example.com/vod/m/index.m3u8",
		ClientIP: "192.0.2.1", UserAgent: "ua", Expires: now0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.check(t, "binary seed secret", plainEvent("/vod/m/seg.ts", [2]string{"stream_key", sk.StreamKey}, [2]string{"stream_policy", sk.StreamPolicy}), now0); got != "allow" {
		t.Errorf("seed-format key signed with a binary seed secret: %s", got)
	}
	if got := e.check(t, "binary seed secret, ss1", plainEvent("/vod/m/seg.ts", [2]string{"x-stream-token", signRaw(bin.ID, bin.Secret, "e=1767229200\np=/*")}), now0); got != "unknown_kid" {
		t.Errorf("ss1 token signed with a binary seed secret: %s", got)
	}
	for name, cfg := range map[string]Config{
		"two seed keys":             {Keys: []Key{{ID: "a", Secret: keys[0].Secret, Seed: true}, {ID: "b", Secret: keys[1].Secret, Seed: true}}, Channels: issuance.DefaultChannels()},
		"SeedKeyID names another":   {Keys: marked, SeedKeyID: keys[0].ID, Channels: issuance.DefaultChannels()},
		"only a seed key, seed off": {Keys: []Key{{ID: "a", Secret: keys[0].Secret, Seed: true}}, Channels: issuance.DefaultChannels()},
	} {
		if _, err := Render(cfg); err == nil {
			t.Errorf("%s: rendered", name)
		}
	}
}

// L1: a zero Leeway is the documented 30 s, in the code as in the Go
// verifier: a key minted now passes at an edge 200 ms behind. NoLeeway is
// a real zero.
func TestDefaultLeeway(t *testing.T) {
	keys := testKeys()[:1]
	ring, _ := streamkey.NewRing(streamkey.Key{ID: keys[0].ID, Secret: keys[0].Secret})
	tok, err := ring.Mint(keys[0].ID, streamkey.Grant{NotBefore: now0, Expires: now0.Add(time.Hour), Paths: []string{"/*"}})
	if err != nil {
		t.Fatal(err)
	}
	behind := now0.Add(-200 * time.Millisecond)
	ev := plainEvent("/vod/m/seg.ts", [2]string{"x-stream-token", tok})
	if got := newEngines(t, Config{Keys: keys, Channels: issuance.DefaultChannels()}).check(t, "default leeway", ev, behind); got != "allow" {
		t.Errorf("Config{} leeway, edge 200 ms behind: %s, want allow", got)
	}
	if got := newEngines(t, Config{Keys: keys, Channels: issuance.DefaultChannels(), Leeway: NoLeeway}).check(t, "no leeway", ev, behind); got != "not_yet_valid" {
		t.Errorf("NoLeeway, edge 200 ms behind: %s, want not_yet_valid", got)
	}
}

// L2: lifetime and leeway are whole seconds in a sane range, and the
// bound the function applies is streamkey.TimeLimits's, to the second.
func TestLifetimeBound(t *testing.T) {
	keys := testKeys()[:1]
	for _, c := range []struct{ life, leeway time.Duration }{
		{500 * time.Millisecond, 0},
		{1500 * time.Millisecond, 500 * time.Millisecond},
		{1 << 62, 0},
		{8 * 24 * time.Hour, 0},
		{time.Hour, 2 * time.Hour},
		{time.Hour, -5 * time.Second},
	} {
		_, err := Render(Config{Keys: keys, Channels: issuance.DefaultChannels(), MaxLifetime: c.life, Leeway: c.leeway})
		if err == nil || !strings.Contains(err.Error(), "whole seconds") {
			t.Errorf("max lifetime %s, leeway %s: %v; want an error giving the range", c.life, c.leeway, err)
		}
	}
	ring, _ := streamkey.NewRing(streamkey.Key{ID: keys[0].ID, Secret: keys[0].Secret})
	for _, c := range []struct {
		life, leeway, exp time.Duration
		want              string
	}{
		{time.Minute, NoLeeway, time.Minute, "allow"},
		{time.Minute, NoLeeway, time.Minute + time.Second, "lifetime"},
		{time.Second, 2 * time.Second, 3 * time.Second, "allow"},
		{time.Second, 2 * time.Second, 4 * time.Second, "lifetime"},
	} {
		cfg := Config{Keys: keys, Channels: issuance.DefaultChannels(), MaxLifetime: c.life, Leeway: c.leeway}
		tok, err := ring.Mint(keys[0].ID, streamkey.Grant{Expires: now0.Add(c.exp), Paths: []string{"/*"}})
		if err != nil {
			t.Fatal(err)
		}
		// 999 ms into the second: the bound is in whole seconds everywhere.
		if got := newEngines(t, cfg).check(t, "bound", plainEvent("/x", [2]string{"x-stream-token", tok}), now0.Add(999*time.Millisecond)); got != c.want {
			t.Errorf("max lifetime %s, leeway %s, exp now+%s: %s, want %s", c.life, c.leeway, c.exp, got, c.want)
		}
	}
}

// L3: a bound host has no empty label. A genuine token whose h claim
// ends in a dot (or starts with one, or holds two in a row) is malformed,
// even for a request host with a trailing dot; a request host loses one
// trailing dot, so media.example.com. still matches media.example.com.
func TestHostClaimLabels(t *testing.T) {
	k := testKeys()[0]
	e := newEngines(t, Config{Keys: []Key{k}, Channels: issuance.DefaultChannels()})
	for _, h := range []string{"media.example.com.", ".media.example.com", "media..example.com", "."} {
		tok := signRaw(k.ID, k.Secret, "e=1767229200\np=/*\nh="+h)
		ev := newEvent("GET", "/x", "192.0.2.1", [][2]string{{"host", "media.example.com."}, {"x-stream-token", tok}}, nil, nil)
		if got := e.check(t, "h="+h, ev, now0); got != "malformed" {
			t.Errorf("h=%s, request host media.example.com.: %s, want malformed", h, got)
		}
	}
	tok := signRaw(k.ID, k.Secret, "e=1767229200\np=/*\nh=media.example.com")
	for _, host := range []string{"media.example.com.", "MEDIA.example.com.:443"} {
		ev := newEvent("GET", "/x", "192.0.2.1", [][2]string{{"host", host}, {"x-stream-token", tok}}, nil, nil)
		if got := e.check(t, "host "+host, ev, now0); got != "allow" {
			t.Errorf("h=media.example.com, request host %s: %s, want allow", host, got)
		}
	}
}

// L7: only a real CORS preflight (OPTIONS with Origin and
// Access-Control-Request-Method) is answered without a token (M1: by the
// function itself, never forwarded), and PreflightNeedsToken turns even
// that off.
func TestPreflightOnly(t *testing.T) {
	keys := testKeys()[:1]
	ring, _ := streamkey.NewRing(streamkey.Key{ID: keys[0].ID, Secret: keys[0].Secret})
	tok, _ := ring.Mint(keys[0].ID, streamkey.Grant{Expires: now0.Add(time.Hour), Paths: []string{"/vod/*"}})
	origin, acrm := [2]string{"origin", "https://player.example.com"}, [2]string{"access-control-request-method", "GET"}
	def := newEngines(t, Config{Keys: keys, Channels: issuance.DefaultChannels()})
	strict := newEngines(t, Config{Keys: keys, Channels: issuance.DefaultChannels(), PreflightNeedsToken: true, Exempt: []string{"/favicon.ico"}})
	for _, c := range []struct {
		name    string
		e       *engines
		uri     string
		headers [][2]string
		want    string
	}{
		{"preflight", def, "/vod/m/index.m3u8", [][2]string{origin, acrm}, "preflight"},
		{"preflight, any path", def, "/admin/x", [][2]string{origin, acrm}, "preflight"},
		{"preflight with a token", def, "/vod/m/index.m3u8", [][2]string{origin, acrm, {"x-stream-token", tok}}, "preflight"},
		{"OPTIONS without Origin", def, "/vod/m/index.m3u8", [][2]string{acrm}, "missing"},
		{"OPTIONS without Access-Control-Request-Method", def, "/vod/m/index.m3u8", [][2]string{origin}, "missing"},
		{"bare OPTIONS", def, "/admin/x", nil, "missing"},
		{"bare OPTIONS with a token", def, "/vod/m/index.m3u8", [][2]string{{"x-stream-token", tok}}, "allow"},
		{"preflight, PreflightNeedsToken", strict, "/vod/m/index.m3u8", [][2]string{origin, acrm}, "missing"},
		{"preflight with a token, PreflightNeedsToken", strict, "/vod/m/index.m3u8", [][2]string{origin, acrm, {"x-stream-token", tok}}, "allow"},
		{"preflight to an exempt path, PreflightNeedsToken", strict, "/favicon.ico", [][2]string{origin, acrm}, "allow"},
	} {
		ev := newEvent("OPTIONS", c.uri, "192.0.2.1", c.headers, nil, nil)
		if got := c.e.check(t, c.name, ev, now0); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

// M1: a CORS preflight is answered by the function itself with a 204 and
// its own CORS headers, logged, and never forwarded: an origin that
// answers OPTIONS like GET would otherwise serve the protected file to
// anyone. With an allowed-origins list, only those origins get an
// Access-Control-Allow-Origin (theirs, with Vary: Origin), on the 204 and
// on the 403; a preflight from any other origin is refused.
func TestPreflightAnswered(t *testing.T) {
	keys := testKeys()[:1]
	ring, _ := streamkey.NewRing(streamkey.Key{ID: keys[0].ID, Secret: keys[0].Secret})
	tok, _ := ring.Mint(keys[0].ID, streamkey.Grant{Expires: now0.Add(time.Hour), Paths: []string{"/vod/*"}})
	player, other := [2]string{"origin", "https://player.example.com"}, [2]string{"origin", "https://evil.example.net"}
	acrm := [2]string{"access-control-request-method", "GET"}
	acrh := [2]string{"access-control-request-headers", "x-stream-token"}
	anyOrigin := newEngines(t, Config{Keys: keys, Channels: issuance.DefaultChannels()})
	listed := newEngines(t, Config{Keys: keys, Channels: issuance.DefaultChannels(), CORSMaxAge: 90 * time.Second,
		CORSOrigins: []string{"https://player.example.com", "http://localhost:3000"}, Exempt: []string{"/posters/*"}})
	star := newEngines(t, Config{Keys: keys, Channels: issuance.DefaultChannels(), CORSOrigins: []string{"*"}})
	noHeader := newEngines(t, Config{Keys: keys, Channels: issuance.Channels{Query: "stream_token"}})
	for _, c := range []struct {
		name    string
		e       *engines
		method  string
		headers [][2]string
		want    string
	}{
		{"preflight, any origin", anyOrigin, "OPTIONS", [][2]string{player, acrm, acrh}, "preflight"},
		{"preflight for POST, any origin", anyOrigin, "OPTIONS", [][2]string{other, {"access-control-request-method", "POST"}}, "preflight"},
		{"preflight, \"*\" in the list", star, "OPTIONS", [][2]string{other, acrm}, "preflight"},
		{"preflight, listed origin", listed, "OPTIONS", [][2]string{player, acrm, acrh}, "preflight"},
		{"preflight, other listed origin", listed, "OPTIONS", [][2]string{{"origin", "http://localhost:3000"}, acrm}, "preflight"},
		{"preflight, origin not listed", listed, "OPTIONS", [][2]string{other, acrm}, "origin"},
		{"preflight, listed origin in other case", listed, "OPTIONS", [][2]string{{"origin", "https://PLAYER.example.com"}, acrm}, "origin"},
		{"preflight, origin null", listed, "OPTIONS", [][2]string{{"origin", "null"}, acrm}, "origin"},
		{"preflight, header channel off", noHeader, "OPTIONS", [][2]string{player, acrm}, "preflight"},
		{"bare OPTIONS, listed origin", listed, "OPTIONS", [][2]string{player}, "missing"},
		{"GET without a key, listed origin", listed, "GET", [][2]string{player}, "missing"},
		{"GET without a key, origin not listed", listed, "GET", [][2]string{other}, "missing"},
		{"GET with a key, origin not listed", listed, "GET", [][2]string{other, {"x-stream-token", tok}}, "allow"},
		{"GET without a key, any origin", anyOrigin, "GET", [][2]string{other}, "missing"},
		{"POST without a key", anyOrigin, "POST", [][2]string{player}, "missing"},
	} {
		ev := newEvent(c.method, "/vod/m/720p/seg.ts", "192.0.2.1", c.headers, nil, nil)
		if got := c.e.check(t, c.name, ev, now0); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
		// The answer carries neither the key nor anything of the ring.
		for engine, r := range c.e.run(t, ev, now0) {
			if r.Outcome == cfruntime.Respond && r.Status == 204 {
				for name, v := range r.Response.Headers {
					if strings.Contains(v.Value, "ss1.") || strings.Contains(v.Value, string(keys[0].Secret)) {
						t.Errorf("%s: %s: the 204's %s holds a key: %q", c.name, engine, name, v.Value)
					}
				}
			}
		}
	}
}

// The settings are checked: origins as browsers send them (scheme, host
// in lower case, a port only when not the default), "*" only alone; the
// maximum age in whole seconds from 1s to 2h.
func TestCORSSettingsRefused(t *testing.T) {
	keys := testKeys()[:1]
	for _, o := range [][]string{{"https://Player.example.com"}, {"https://player.example.com/"}, {"https://player.example.com:443"},
		{"http://player.example.com:80"}, {"ftp://player.example.com"}, {"player.example.com"}, {"*", "https://a.example.com"},
		{"null"}, {""}, {"https://a.example.com", "https://a.example.com"}, {"https://a.example.com:0"}, {"https://a.example.com:65536"},
		{"https://a..example.com"}, {"https://-a.example.com"}, {"https://a.example.com/path"}, {"https://user@a.example.com"}} {
		if _, err := Render(Config{Keys: keys, Channels: issuance.DefaultChannels(), CORSOrigins: o}); err == nil || !strings.Contains(err.Error(), "origin") {
			t.Errorf("CORS origins %q: %v; want an error naming the origin", o, err)
		}
	}
	for _, o := range [][]string{{"https://player.example.com"}, {"http://localhost:3000"}, {"https://a.example.com:8443", "http://127.0.0.1:8080"}, {"*"}} {
		if _, err := Render(Config{Keys: keys, Channels: issuance.DefaultChannels(), CORSOrigins: o}); err != nil {
			t.Errorf("CORS origins %q: %v", o, err)
		}
	}
	for _, d := range []time.Duration{-time.Second, 500 * time.Millisecond, 1500 * time.Millisecond, 2*time.Hour + time.Second} {
		if _, err := Render(Config{Keys: keys, Channels: issuance.DefaultChannels(), CORSMaxAge: d}); err == nil || !strings.Contains(err.Error(), "max age") {
			t.Errorf("CORS max age %s: %v; want an error giving the range", d, err)
		}
	}
}

// Hardening: the 403 says only expired or invalid, so that a thief cannot
// tell a genuine token (refused as ip or ua) from a forged one; the log
// line has the precise reason, and DebugReasons puts it in the header.
func TestCoarseReasons(t *testing.T) {
	keys := testKeys()[:1]
	ring, _ := streamkey.NewRing(streamkey.Key{ID: keys[0].ID, Secret: keys[0].Secret})
	tok, _ := ring.Mint(keys[0].ID, streamkey.Grant{Expires: now0.Add(time.Hour), Paths: []string{"/vod/*"},
		IPBinding: streamkey.IPExact, ClientIP: "198.51.100.7", BindUserAgent: true, UserAgent: "ua"})
	for _, debug := range []bool{false, true} {
		e := newEngines(t, Config{Keys: keys, Channels: issuance.DefaultChannels(), DebugReasons: debug})
		for _, c := range []struct {
			name, reason, coarse string
			ev                   *cfruntime.Event
			at                   time.Time
		}{
			{"stolen token, other address", "ip", "invalid", plainEvent("/vod/m/seg.ts", [2]string{"x-stream-token", tok}), now0},
			{"no token", "missing", "invalid", plainEvent("/vod/m/seg.ts"), now0},
			{"forged", "bad_mac", "invalid", plainEvent("/vod/m/seg.ts", [2]string{"x-stream-token", signRaw(keys[0].ID, []byte("not-the-key-of-k2026a-0123456789"), "e=1767229200\np=/*")}), now0},
			{"expired", "expired", "expired", newEvent("GET", "/vod/m/seg.ts", "198.51.100.7", [][2]string{{"user-agent", "ua"}, {"x-stream-token", tok}}, nil, nil), now0.Add(2 * time.Hour)},
		} {
			want := c.coarse
			if debug {
				want = c.reason
			}
			for engine, r := range e.run(t, c.ev, c.at) {
				if r.Response == nil {
					t.Fatalf("%s: %s: no response: %s %s", c.name, engine, r.Outcome, r.Error)
				}
				hdr, _ := r.Response.Headers.Get("x-stream-key-error")
				if r.Status != 403 || hdr != want || len(r.Logs) != 1 || r.Logs[0] != "securestream deny "+c.reason {
					t.Errorf("%s (debug %v): %s: %d, header %q, logs %q; want 403, header %q, log reason %s",
						c.name, debug, engine, r.Status, hdr, r.Logs, want, c.reason)
				}
			}
		}
	}
}

// H2: an escaped '%' followed by two hex digits (%252e%252e is ".." to an
// origin that decodes twice) breaks the path rules, also under an exempt
// prefix, where no key is asked for; an escaped '%' followed by anything
// else is still a plain character.
func TestEscapedPercent(t *testing.T) {
	keys := testKeys()[:1]
	e := newEngines(t, Config{Keys: keys, Channels: issuance.DefaultChannels(), Exempt: []string{"/posters/*", "/favicon.ico"}})
	ring, _ := streamkey.NewRing(streamkey.Key{ID: keys[0].ID, Secret: keys[0].Secret})
	tok, _ := ring.Mint(keys[0].ID, streamkey.Grant{Expires: now0.Add(time.Hour), Paths: []string{"/vod/m/*"}})
	for _, c := range []struct{ uri, token, want string }{
		{"/posters/%252e%252e/vod/m/seg.ts", "", "missing"},
		{"/posters/%252E%252E/%252E%252E/vod/m/seg.ts", "", "missing"},
		{"/posters/a%2541.jpg", "", "missing"},
		{"/posters/a%25ff.jpg", "", "missing"},
		{"/posters/100%25.jpg", "", "allow"},
		{"/posters/100%25-off.jpg", "", "allow"},
		{"/vod/m/%252e%252e/other/seg.ts", tok, "path"},
		{"/vod/m/%252E%252e/seg.ts", tok, "path"},
		{"/vod/m/100%25.ts", tok, "allow"},
	} {
		var h [][2]string
		if c.token != "" {
			h = append(h, [2]string{"x-stream-token", c.token})
		}
		if got := e.check(t, c.uri, plainEvent(c.uri, h...), now0); got != c.want {
			t.Errorf("%s (token %v): %s, want %s", c.uri, c.token != "", got, c.want)
		}
	}
	if _, err := Render(Config{Keys: keys, Channels: issuance.DefaultChannels(), Exempt: []string{"/posters/%252e%252e/*"}}); err == nil {
		t.Error("an exempt pattern with an escaped '%' before hex digits rendered")
	}
}

// H6: the leeway is tolerated on a key's start, never on its expiry, even
// at its longest: a key is refused from its expiry on.
func TestLeewayNotOnExpiry(t *testing.T) {
	keys := testKeys()[:1]
	ring, _ := streamkey.NewRing(streamkey.Key{ID: keys[0].ID, Secret: keys[0].Secret})
	tok, _ := ring.Mint(keys[0].ID, streamkey.Grant{NotBefore: now0.Add(-time.Minute), Expires: now0, Paths: []string{"/*"}})
	e := newEngines(t, Config{Keys: keys, Channels: issuance.DefaultChannels(), Leeway: time.Hour})
	ev := plainEvent("/vod/m/seg.ts", [2]string{"x-stream-token", tok})
	for at, want := range map[time.Duration]string{-time.Second: "allow", 0: "expired", time.Second: "expired"} {
		if got := e.check(t, "expiry", ev, now0.Add(at)); got != want {
			t.Errorf("leeway 1h, at expiry %+v: %s, want %s", at, got, want)
		}
	}
}

type badInput struct {
	Name    string          `json:"name"`
	Reason  string          `json:"reason"`
	Config  string          `json:"config"`
	URI     string          `json:"uri"`
	IP      *string         `json:"ip"`
	Headers [][2]string     `json:"headers"`
	Query   [][2]string     `json:"query"`
	Cookies [][2]string     `json:"cookies"`
	NoUA    bool            `json:"noua"`
	NoHost  bool            `json:"nohost"`
	Event   json.RawMessage `json:"event"`
}

// Every hostile or broken request gets a 4xx and never makes the function
// throw (a 503 at the edge) or return something CloudFront refuses (502).
func TestBadInputs(t *testing.T) {
	var corpus struct {
		Cases []badInput `json:"cases"`
	}
	testenv.ReadJSON(t, filepath.Join("testdata", "bad_inputs.json"), &corpus)
	if len(corpus.Cases) < 40 {
		t.Fatalf("the corpus has %d cases; keep at least 40", len(corpus.Cases))
	}
	keys := testKeys()
	plain := Config{Keys: keys[:2], Channels: issuance.DefaultChannels(), MaxLifetime: time.Hour, Leeway: 30 * time.Second}
	seed := plain
	seed.Keys, seed.SeedKeyID = keys, "legacy"
	engs := map[string]*engines{"": newEngines(t, plain), "seed": newEngines(t, seed)}

	now := time.Unix(1_767_226_000, 0)
	ring, _ := streamkey.NewRing(streamkey.Key{ID: keys[0].ID, Secret: keys[0].Secret})
	honest, err := ring.Mint(keys[0].ID, streamkey.Grant{Expires: now.Add(30 * time.Minute), Paths: []string{"/vod/m/*"},
		Host: "media.example.com", IPBinding: streamkey.IPSubnet, ClientIP: "203.0.113.9", BindUserAgent: true, UserAgent: "ExoPlayerLib/2.19.1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range corpus.Cases {
		e := engs[c.Config]
		if c.Event != nil {
			for engine, r := range e.runJSON(t, c.Event, now) {
				if r.Outcome != cfruntime.Respond || r.Status < 400 || r.Status > 499 {
					t.Errorf("%s: %s gives %s %d %s", c.Name, engine, r.Outcome, r.Status, r.Error)
				}
			}
			continue
		}
		fix := func(kv [][2]string) [][2]string {
			out := make([][2]string, len(kv))
			for i, p := range kv {
				out[i] = [2]string{p[0], strings.ReplaceAll(p[1], "$honest", honest)}
			}
			return out
		}
		headers := fix(c.Headers)
		if !c.NoUA {
			headers = append(headers, [2]string{"user-agent", "ExoPlayerLib/2.19.1"})
		}
		if !c.NoHost {
			headers = append(headers, [2]string{"host", "media.example.com"})
		}
		ip := "203.0.113.77"
		if c.IP != nil {
			ip = *c.IP
		}
		uri := c.URI
		if uri == "" {
			uri = "/vod/m/720p/seg_1.ts"
		}
		got := e.check(t, c.Name, newEvent("GET", uri, ip, headers, fix(c.Query), fix(c.Cookies)), now)
		if got != c.Reason {
			t.Errorf("%s: reason %s, the corpus says %s", c.Name, got, c.Reason)
		}
	}
}
