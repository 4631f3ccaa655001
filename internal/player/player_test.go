package player

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/demo"
	"github.com/securestream/terraform-provider-securestream/internal/local/emulators"
	"github.com/securestream/terraform-provider-securestream/internal/local/origin"
	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

// played is how far playback must get: past 2 s of the 6 s stream.
const played = 2.0

// page serves the player page from an httptest server: its origin
// (another port) is not the edge's, so the browser applies CORS to every
// request of the stream as it would on a real site.
func page(t *testing.T) *httptest.Server {
	t.Helper()
	dir, err := WebDir()
	if err != nil {
		t.Fatal(err)
	}
	h, err := Handler(dir)
	if err != nil {
		t.Fatal(err) // hls.js missing: the message says make player-tools
	}
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

// tools fails t, naming the install command, when a tool the browser test
// needs is missing; it returns Chromium's path.
func tools(t *testing.T) string {
	t.Helper()
	exe := chromium(t)
	if _, err := exec.LookPath("terraform"); err != nil {
		t.Fatal("terraform is not installed, and the demo environment applies examples/local with it: install Terraform 1.11 (/usr/local/bin/terraform)")
	}
	if _, err := exec.LookPath("moto_server"); err != nil {
		t.Fatal("moto_server is not installed: " + testenv.MotoInstall)
	}
	if _, err := emulators.LookRIE(); err != nil {
		t.Fatal(err)
	}
	return exe
}

// A real player: hls.js in Debian's headless Chromium asks the demo's
// issuer for a key, as a player page does (fetch, with its JWT), and
// plays the demo stream through the edge with the key in a header
// (xhrSetup) and with the path-prefix URL the issuer returned; a tampered
// key gets hls.js's fatal network error. The page is saved as a PNG.
func TestPlayerThroughEdge(t *testing.T) {
	testenv.Acceptance(t)
	testenv.Cross(t)
	exe := tools(t)
	pg := page(t) // fails early when hls.js is not installed

	// Starting the demo builds the provider and the issuer's package: on a
	// cold build cache that takes minutes. The browser's part is bounded
	// on its own (30 s a case).
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	start := time.Now()
	env, err := demo.Start(ctx, demo.Options{Progress: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := env.Close(context.WithoutCancel(ctx)); err != nil {
			t.Error(err)
		}
	}()
	t.Logf("demo environment up in %v: edge %s", time.Since(start).Round(time.Second), env.EdgeURL)

	b := startBrowser(t, exe)
	defer b.close() // before the demo environment stops (deferred earlier)
	if err := b.open(pg.URL + "/"); err != nil {
		t.Fatalf("%v\n%s", err, b.journal())
	}

	// The key, asked for by the page: the issuer's CORS, the browser's own
	// User-Agent (the key is bound to it) and client address.
	k, err := b.issue(env.IssuerURL, env.JWT, demo.PlaybackURL(env.MasterPath))
	if err != nil {
		t.Fatalf("%v\n%s", err, b.journal())
	}
	// The issuer's path-prefix URL names the playback host without a port
	// (CloudFront serves 443); the local edge listens on its own port.
	prefix, err := url.Parse(k.URL)
	if err != nil || prefix.Host != demo.PlaybackHost || !strings.HasPrefix(prefix.Path, "/t/") || !strings.HasSuffix(prefix.Path, env.MasterPath) {
		t.Fatalf("the issuer's url is %q (%v), want http://%s/t/<key>%s", redact(k.URL), err, demo.PlaybackHost, env.MasterPath)
	}
	edge, err := url.Parse(env.EdgeURL)
	if err != nil {
		t.Fatal(err)
	}
	prefix.Host = edge.Host
	tampered, err := demo.Tamper(k.Token)
	if err != nil {
		t.Fatal(err)
	}

	master := env.EdgeURL + env.MasterPath
	cases := []struct {
		id, label, src string
		h              *header
		refused        bool
	}{
		{"header", "key in a header (xhrSetup)", master, &header{k.Header.Name, k.Header.Value}, false},
		{"prefix", "key in the path prefix (the issuer's URL)", prefix.String(), nil, false},
		{"tampered", "tampered key in a header: refused", master, &header{k.Header.Name, tampered}, true},
	}
	for _, c := range cases {
		if err := b.play(c.id, c.label, c.src, c.h); err != nil {
			t.Fatalf("%v\n%s", err, b.journal())
		}
	}
	for _, c := range cases {
		p, err := b.await(c.id, 30*time.Second, func(p playback) bool { return p.Fatal != nil || p.Time > played })
		switch {
		case err != nil:
			t.Errorf("%s: %v (time %.2f s, errors %+v)", c.label, err, p.Time, p.Errors)
		case !c.refused && p.Fatal != nil:
			t.Errorf("%s: hls.js failed: %s", c.label, p.Fatal)
		case !c.refused && p.Levels != 2:
			t.Errorf("%s: hls.js found %d renditions in the master playlist, want 2", c.label, p.Levels)
		case c.refused && (p.Fatal == nil || p.Fatal.Type != "networkError" || p.Fatal.Details != "manifestLoadError" || p.Fatal.Code != http.StatusForbidden):
			t.Errorf("%s: want hls.js's fatal networkError manifestLoadError with HTTP 403 (the edge's 403 carries CORS headers), got %s after %.2f s of playback",
				c.label, p.Fatal, p.Time)
		case c.refused && p.Time > 0:
			t.Errorf("%s: the video played %.2f s", c.label, p.Time)
		default:
			if c.refused {
				t.Logf("%s: hls.js: fatal %s", c.label, p.Fatal)
			} else {
				t.Logf("%s: played %.2f s of %d renditions", c.label, p.Time, p.Levels)
			}
		}
	}

	// The header channel is not a CORS-safelisted header: the browser sent
	// preflights, which the edge function let through without a key and
	// the origin answered.
	preflights := 0
	for _, r := range b.requestsTo(master) {
		if r.method == http.MethodOptions {
			preflights++
			if r.status != http.StatusNoContent {
				t.Errorf("the preflight of the master playlist got %d %s through the edge, want 204", r.status, r.failed)
			}
		}
	}
	if preflights == 0 {
		t.Errorf("the browser sent no preflight for the key's header: the test no longer covers CORS")
	}
	// The same request outside the browser: the edge's own 403.
	refusedBy(t, master, k.Header.Name, tampered, b.userAgent(t))

	shot := artefact(t, "player.png")
	if err := b.screenshot(shot); err != nil {
		t.Error(err)
	} else {
		t.Logf("screenshot: %s", shot)
	}
	if t.Failed() {
		t.Logf("what the browser did:\n%s", b.journal())
	}
}

// TestPlayerOrigin plays the origin's stream straight from it, without the
// edge or keys: when the edge test fails, this one tells whether the
// browser, hls.js and the media work at all.
func TestPlayerOrigin(t *testing.T) {
	testenv.Acceptance(t)
	testenv.Cross(t)
	exe := chromium(t)
	pg := page(t)
	o := httptest.NewServer(origin.Handler(origin.Options{}))
	defer o.Close()

	b := startBrowser(t, exe)
	if err := b.open(pg.URL + "/"); err != nil {
		t.Fatalf("%v\n%s", err, b.journal())
	}
	if err := b.play("origin", "the origin, no edge", o.URL+origin.DemoMaster, nil); err != nil {
		t.Fatal(err)
	}
	p, err := b.await("origin", 30*time.Second, func(p playback) bool { return p.Fatal != nil || p.Time > played })
	if err != nil || p.Fatal != nil || p.Levels != 2 {
		t.Fatalf("playing %s: %v, hls.js error %s, %d renditions (want 2), time %.2f s\n%s",
			origin.DemoMaster, err, p.Fatal, p.Levels, p.Time, b.journal())
	}
}

// issued is the issuer's answer, as the page got it.
type issued struct {
	Token  string `json:"token"`
	Header struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"header"`
	URL string `json:"url"`
}

// issue has the page ask the issuer for a key for playback, as a player
// does: a POST with its JWT, from the page's origin.
func (b *browser) issue(issuer, jwt, playback string) (*issued, error) {
	var res struct {
		Status int    `json:"status"`
		Body   string `json:"body"`
		Error  string `json:"error"`
	}
	if err := b.call(30*time.Second, &res, "issue", issuer, jwt, playback); err != nil {
		return nil, err
	}
	if res.Error != "" || res.Status != http.StatusOK {
		return nil, fmt.Errorf("the page asked the issuer at %s for a key: status %d, %s%s", issuer, res.Status, res.Error, res.Body)
	}
	var k issued
	if err := json.Unmarshal([]byte(res.Body), &k); err != nil || k.Token == "" || k.Header.Value != k.Token {
		return nil, fmt.Errorf("the issuer's answer has no usable key (%v): %s", err, redact(res.Body))
	}
	return &k, nil
}

// userAgent is the browser's User-Agent, which keys are bound to.
func (b *browser) userAgent(t *testing.T) string {
	t.Helper()
	var ua string
	if err := b.call(5*time.Second, &ua, "(function () { return navigator.userAgent; })"); err != nil {
		t.Fatal(err)
	}
	return ua
}

// refusedBy checks that the edge answers 403 to a GET of u with the key
// in header name, sent with the browser's User-Agent.
func refusedBy(t *testing.T, u, name, key, ua string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(name, key)
	req.Header.Set("User-Agent", ua)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("GET %s with the tampered key: %d from the edge, want 403", u, resp.StatusCode)
	}
}
