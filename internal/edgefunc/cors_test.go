package edgefunc

import (
	"strings"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/cfruntime"
	"github.com/securestream/terraform-provider-securestream/internal/issuance"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

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
