package player

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/demo"
	"github.com/securestream/terraform-provider-securestream/internal/demo/demotest"
	"github.com/securestream/terraform-provider-securestream/internal/issuance"
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

// The web players of the matrix, whose cells TestPlayerThroughEdge plays.
var webPlayers = []string{HLSJS, DashJS, Shaka}

// Refresh: a case asks the issuer for keys that live refreshTTL and asks
// again refreshBefore the current one expires. The issuer signs whole
// seconds, so the first key expires at most refreshTTL after it was asked
// for; the player fetches no more than refreshBuffer (1 s) ahead, so it
// asks for the last segment (4-6 s) once it has played 3 s, which is
// after that. Playing refreshPlayed proves the later keys kept it going.
// The whole seconds also make a key live as little as refreshTTL - 1:
// refreshBefore leaves the issuer at least 1.5 s to answer before the
// current key expires (1.5 left 0.5 s, which a loaded machine overran: a
// 403 with the old key while the new one was being issued).
const (
	refreshTTL    = 3 // seconds
	refreshBefore = 2.5
	refreshBuffer = 1.0
	refreshPlayed = 4.5
)

// The player matrix: hls.js, dash.js and Shaka Player in Debian's
// headless Chromium ask the demo's issuers for keys, as a player page does
// (fetch, with its JWT), and play the demo's HLS and DASH streams through
// the edge: ss1 keys through the first distribution's, Common Access
// Tokens (CTA-5007) from the CAT issuer through the CAT distribution's.
// Each player's subtest plays every cell of Matrix of its player (its own
// request hook for the header, the issuer's URL for the path prefix, the
// URL with the issuer's query) and fails when the outcome differs from the
// cell's Works; a tampered key, ss1 or CAT, gets the player's fatal error
// carrying the edge's 403; and an ss1 key that lives 3 s, asked for again
// before it expires and swapped in by the request hook (header and path
// prefix), keeps playback going past its expiry. One demo environment for
// all: starting it is the slow part. Each player's section of the page is
// saved as a PNG, and what each case did as a log, in .artifacts/player.
func TestPlayerThroughEdge(t *testing.T) {
	testenv.Acceptance(t)
	testenv.Cross(t)
	exe := tools(t)
	pg := page(t) // fails early when a player is not installed

	// Starting the demo builds the provider and the issuer's package: on a
	// cold build cache that takes minutes. The browser's part is bounded
	// on its own (30 s a case).
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	start := time.Now()
	env := demotest.Start(ctx, t)
	t.Logf("demo environment up in %v: edge %s", time.Since(start).Round(time.Second), env.EdgeURL)

	b := startBrowser(t, exe)
	defer b.close() // before the demo environment stops (at t's cleanup)
	if err := b.open(pg.URL + "/"); err != nil {
		t.Fatalf("%v\n%s", err, b.journal())
	}

	// One key a token format and media format, asked for by the page from
	// that format's issuer: the issuer's CORS, the browser's own User-Agent
	// (an ss1 key is bound to it) and client address.
	paths := map[string]string{"HLS": env.MasterPath, "DASH": env.MPDPath}
	keys := map[[2]string]*issued{}
	keyFor := func(token, format string) *issued {
		if k := keys[[2]string{token, format}]; k != nil {
			return k
		}
		if paths[format] == "" {
			t.Fatalf("the demo has no %s title", format)
		}
		k, err := b.issueFor(env, token, paths[format], 0)
		if err != nil {
			t.Fatalf("%v\n%s", err, b.journal())
		}
		keys[[2]string{token, format}] = k
		return k
	}

	// Every case of every player starts at once, and plays while the
	// others do: the test takes as long as its longest case.
	var cases []*playCase
	for _, p := range webPlayers {
		cells := Cells(p)
		if len(cells) == 0 {
			t.Fatalf("Matrix has no cell of %s", p)
		}
		streams := map[[2]string]bool{}
		for _, c := range cells {
			k := keyFor(c.Token, c.Format)
			cases = append(cases, cellCase(env, k, paths[c.Format], c))
			if s := [2]string{c.Token, c.Format}; !streams[s] {
				streams[s] = true
				fc, err := formatCases(env, p, c.Token, c.Format, paths[c.Format], k)
				if err != nil {
					t.Fatalf("%v\n%s", err, b.journal())
				}
				cases = append(cases, fc...)
			}
		}
	}
	for _, c := range cases {
		// A refreshed case asks for its short-lived key right before it
		// starts.
		if c.refreshed {
			if err := c.shortKey(b, env); err != nil {
				t.Fatalf("%v\n%s", err, b.journal())
			}
		}
		if err := b.play(c.id, c.opts); err != nil {
			t.Fatalf("%v\n%s", err, b.journal())
		}
	}
	for _, p := range webPlayers {
		t.Run(p, func(t *testing.T) {
			var log strings.Builder
			for _, c := range cases {
				if c.opts.Player == p {
					c.check(t, b, &log)
				}
			}
			name := strings.ReplaceAll(strings.ToLower(p), " ", "-")
			shot := artefact(t, name+".png")
			if err := b.screenshotOf(sectionOf(p), shot); err != nil {
				t.Error(err)
			}
			logFile := artefact(t, name+".log")
			if err := os.MkdirAll(filepath.Dir(logFile), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(logFile, []byte(Redact(log.String())), 0o644); err != nil {
				t.Error(err)
			}
			t.Logf("screenshot: %s, log: %s", shot, logFile)
		})
	}

	// The header channel is not a CORS-safelisted header: the browser sent
	// preflights, which each edge function (ss1, CAT) answered itself,
	// without a key.
	ua := b.userAgent(t)
	for _, token := range []string{SS1, CAT} {
		k := keys[[2]string{token, "HLS"}]
		if k == nil {
			t.Errorf("no web player plays HLS with %s: the test no longer covers that edge's CORS", token)
			continue
		}
		master := edgeFor(env, token) + env.MasterPath
		preflights := 0
		for _, r := range b.requestsTo(master) {
			if r.method == http.MethodOptions {
				preflights++
				if r.status != http.StatusNoContent {
					t.Errorf("the preflight of the master playlist got %d %s through the %s edge, want 204", r.status, r.failed, token)
				}
			}
		}
		if preflights == 0 {
			t.Errorf("the browser sent no preflight for the %s header (%s): the test no longer covers CORS", token, k.Header.Name)
		}
		// The same request outside the browser: the edge's own 403.
		tampered, err := tamper(token, k.Token)
		if err != nil {
			t.Fatal(err)
		}
		refusedBy(t, master, k.Header.Name, tampered, ua)
	}

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

// playCase is one case of the page, and what it must show.
type playCase struct {
	id   string
	opts playOpts
	// cell is the Matrix cell the case plays, nil for the other cases.
	cell *Cell
	// refused: a tampered key, which the player must report refused (403).
	refused bool
	// refreshed: a short-lived key, refreshed before it expires, which
	// must keep playback going.
	refreshed bool
	// path is the stream's path, for a refreshed case's keys.
	path string
}

// edgeFor is the demo's edge for keys of token format token: the CAT
// distribution's for a CAT, the first one's for ss1.
func edgeFor(env *demo.Env, token string) string {
	if token == CAT {
		return env.CATEdgeURL
	}
	return env.EdgeURL
}

// keyName is how a case's label names a key of token format token.
func keyName(token string) string {
	if token == CAT {
		return "CAT"
	}
	return "ss1 key"
}

// tamper is token's own tampering of key (its expiry moved an hour later,
// the MAC kept).
func tamper(token, key string) (string, error) {
	if token == CAT {
		return demo.TamperCAT(key)
	}
	return demo.Tamper(key)
}

// cellCase is the case that plays cell c with key k.
func cellCase(env *demo.Env, k *issued, path string, c Cell) *playCase {
	pc := &playCase{id: caseID(c.Player, c.Token, c.Format, c.Channel), cell: &c,
		opts: playOpts{Player: c.Player, Label: c.Format + ", " + keyName(c.Token) + " in the " + c.Channel, Src: edgeFor(env, c.Token) + path}}
	switch c.Channel {
	case Header:
		pc.opts.Key = &pageKey{Token: k.Token, Expires: k.Expires}
		pc.opts.Header = k.Header.Name
	case PathPrefix:
		pc.opts.Src = k.edgeURL
	case Query:
		pc.opts.Src += "?" + k.Query
	default:
		// A cookie cell: not a channel this test plays.
		pc.opts.Src = ""
	}
	return pc
}

// formatCases are the cases of player p, token format token and media
// format besides the cells: a tampered key in the header, and, for ss1, a
// key refreshed before expiry, in the header and in the path prefix. The
// refresh is the page's and the issuer's doing, the same for a CAT (whose
// expiry the edge checks as it does ss1's: make demo's expired CAT row):
// ss1's cases prove it, and the CAT cells add no 4 s cases to the run.
func formatCases(env *demo.Env, p, token, format, path string, k *issued) ([]*playCase, error) {
	tampered, err := tamper(token, k.Token)
	if err != nil {
		return nil, err
	}
	out := []*playCase{{
		id: caseID(p, token, format, "tampered"), refused: true, path: path,
		opts: playOpts{Player: p, Label: format + ", tampered " + keyName(token) + " in the header: refused", Src: edgeFor(env, token) + path,
			Key: &pageKey{Token: tampered, Expires: k.Expires}, Header: k.Header.Name},
	}}
	if token != SS1 {
		return out, nil
	}
	for _, ch := range []string{Header, PathPrefix} {
		out = append(out, &playCase{
			id: caseID(p, token, format, "refresh "+ch), refreshed: true, path: path,
			opts: playOpts{Player: p, Label: format + fmt.Sprintf(", ss1 key in the %s, living %d s, refreshed", ch, refreshTTL),
				Prefix: ch == PathPrefix, Buffer: refreshBuffer,
				Refresh: &refresh{Issuer: env.IssuerURL, JWT: env.JWT, Playback: demo.PlaybackURL(path), TTL: refreshTTL, Before: refreshBefore}},
		})
		if ch == Header {
			out[len(out)-1].opts.Header = k.Header.Name
		}
	}
	return out, nil
}

// shortKey asks the issuer for the refreshed case's first key (ss1),
// which lives refreshTTL, and plays it.
func (c *playCase) shortKey(b *browser, env *demo.Env) error {
	k, err := b.issueFor(env, SS1, c.path, refreshTTL)
	if err != nil {
		return err
	}
	c.opts.Key = &pageKey{Token: k.Token, Expires: k.Expires}
	c.opts.Src = env.EdgeURL + c.path
	if c.opts.Prefix {
		c.opts.Src = k.edgeURL
	}
	return nil
}

// check waits for the case to be over and fails t when it did not go as
// it must; it writes what the case did to log.
func (c *playCase) check(t *testing.T, b *browser, log io.Writer) {
	t.Helper()
	label := c.opts.Player + ": " + c.opts.Label
	done := func(p playback) bool { return p.Fatal != nil || p.Time > played }
	if c.refreshed {
		done = func(p playback) bool { return p.Fatal != nil || p.Ended || p.Time > refreshPlayed }
	}
	if c.opts.Src == "" {
		t.Errorf("%s: the test plays no %s channel: remove the cell from Matrix or teach the test", label, c.cell.Channel)
		return
	}
	p, err := b.await(c.id, 30*time.Second, done)
	fmt.Fprintf(log, "%s\n  %s\n  time %.2f s, ended %t, %d renditions, fatal: %s\n  errors: %+v\n  keys: %+v\n  requests through the hook: %d\n",
		label, c.opts.Src, p.Time, p.Ended, p.Renditions, p.Fatal, p.Errors, p.Keys, len(p.Requests))
	for _, r := range p.Requests {
		fmt.Fprintf(log, "    %d key %d %s\n", r.At, r.Gen, r.URL)
	}
	if err != nil {
		t.Errorf("%s: %v (time %.2f s, errors %+v)", label, err, p.Time, p.Errors)
		return
	}
	switch {
	case c.cell != nil:
		played := p.Fatal == nil && p.Renditions == 2
		refused := p.Fatal != nil && p.Fatal.Code == http.StatusForbidden
		switch {
		case c.cell.Works && !played:
			t.Errorf("%s: Matrix says it plays (%s), but %s found %d renditions (want 2) and failed: %s",
				label, c.cell.How, c.opts.Player, p.Renditions, p.Fatal)
		case !c.cell.Works && !refused:
			t.Errorf("%s: Matrix says it does not play (%s), but %s played %.2f s of %d renditions, fatal error: %s (want one with HTTP 403)",
				label, c.cell.How, c.opts.Player, p.Time, p.Renditions, p.Fatal)
		case played:
			t.Logf("%s: played %.2f s of %d renditions", label, p.Time, p.Renditions)
		default:
			t.Logf("%s: refused, as Matrix says: %s", label, p.Fatal)
		}
	case c.refused:
		if p.Fatal == nil || p.Fatal.Code != http.StatusForbidden || p.Time > 0 {
			t.Errorf("%s: want %s's fatal error with HTTP 403 (the edge's 403 carries CORS headers), got %s after %.2f s of playback",
				label, c.opts.Player, p.Fatal, p.Time)
		} else {
			t.Logf("%s: %s: fatal %s", label, c.opts.Player, p.Fatal)
		}
	case c.refreshed:
		// A request with a later key after the first one expired: the
		// refresh, not the first key, kept playback going.
		after := 0
		if len(p.Keys) > 0 {
			for _, r := range p.Requests {
				if r.Gen > 1 && r.At >= p.Keys[0].Expires*1000 {
					after++
				}
			}
		}
		if p.Fatal != nil || len(p.Keys) < 2 || after == 0 || p.Time <= refreshPlayed && !p.Ended {
			t.Errorf("%s: want playback past %.1f s with refreshed keys, requests with them after the first key expired; got %.2f s, fatal %s, %d keys, %d such requests, errors %+v",
				label, refreshPlayed, p.Time, p.Fatal, len(p.Keys), after, p.Errors)
		} else {
			t.Logf("%s: played %.2f s with %d keys, %d requests with a refreshed key after the first expired", label, p.Time, len(p.Keys), after)
		}
	}
}

// caseID is a case's id on the page.
func caseID(parts ...string) string {
	return strings.NewReplacer(" ", "-", ".", "").Replace(strings.ToLower(strings.Join(parts, "/")))
}

// sectionOf is the CSS selector of player's section of the page.
func sectionOf(player string) string {
	return "#player-" + regexp.MustCompile(`[^a-zA-Z]`).ReplaceAllString(player, "")
}

// playOpts is what play() on the page takes.
type playOpts struct {
	Player  string   `json:"player"`
	Label   string   `json:"label"`
	Src     string   `json:"src"`
	Key     *pageKey `json:"key,omitempty"`
	Header  string   `json:"header,omitempty"`
	Prefix  bool     `json:"prefix,omitempty"`
	Refresh *refresh `json:"refresh,omitempty"`
	Buffer  float64  `json:"buffer,omitempty"`
}

// pageKey is a key the page's request hook sends.
type pageKey struct {
	Token   string `json:"token"`
	Expires int64  `json:"expires"`
}

// refresh is how the page asks the issuer for a new key.
type refresh struct {
	Issuer   string  `json:"issuer"`
	JWT      string  `json:"jwt"`
	Playback string  `json:"playback"`
	TTL      int     `json:"ttl"`
	Before   float64 `json:"before"`
}

// TestPlayerOrigin plays the origin's streams straight from it, with each
// player, without the edge or keys: when the edge test fails, this one
// tells whether the browser, the players and the media work at all.
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
	paths := map[string]string{"HLS": origin.DemoMaster, "DASH": origin.DemoMPD}
	type run struct{ id, player, path string }
	var runs []run
	seen := map[string]bool{}
	for _, c := range Matrix {
		id := caseID(c.Player, c.Format, "origin")
		if paths[c.Format] == "" || seen[id] || !slices.Contains(webPlayers, c.Player) {
			continue
		}
		seen[id] = true
		runs = append(runs, run{id, c.Player, paths[c.Format]})
		if err := b.play(id, playOpts{Player: c.Player, Label: c.Format + " from the origin, no edge", Src: o.URL + paths[c.Format]}); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range runs {
		p, err := b.await(r.id, 30*time.Second, func(p playback) bool { return p.Fatal != nil || p.Time > played })
		if err != nil || p.Fatal != nil || p.Renditions != 2 {
			t.Errorf("%s playing %s: %v, error %s, %d renditions (want 2), time %.2f s", r.player, r.path, err, p.Fatal, p.Renditions, p.Time)
		}
	}
	if t.Failed() {
		t.Logf("what the browser did:\n%s", b.journal())
	}
}

// issued is the issuer's answer (demo.Key), as the page got it.
type issued struct {
	demo.Key

	// edgeURL is URL on the local edge.
	edgeURL string
}

// onEdge checks the issuer's url and sets k.edgeURL: the issuer's URL
// names the playback host without a port (CloudFront serves 443); the
// local edge listens on its own port. An ss1 key's url has the key in its
// path prefix; a CAT's (which has no path prefix) in its query.
func (k *issued) onEdge(edge, path string) error {
	u, err := url.Parse(k.URL)
	ok := err == nil && u.Host == demo.PlaybackHost
	want := "http://" + demo.PlaybackHost + "/t/<key>" + path
	if k.Format == issuance.FormatCAT {
		want = "http://" + demo.PlaybackHost + path + "?CAT=<key>"
		ok = ok && u.Path == path && u.RawQuery == k.Query && strings.HasSuffix(k.Query, "="+k.Token)
	} else {
		ok = ok && strings.HasPrefix(u.Path, "/t/") && strings.HasSuffix(u.Path, path)
	}
	e, perr := url.Parse(edge)
	if !ok || perr != nil {
		return fmt.Errorf("the issuer's url is %q (%v), want %s", Redact(k.URL), errors.Join(err, perr), want)
	}
	u.Host = e.Host
	k.edgeURL = u.String()
	return nil
}

// issueFor has the page ask the issuer of token format token (ss1 or
// CAT) for a key for the demo title at path, which lives ttl seconds (0:
// the issuer's default), and checks that it is one of that format whose
// url is for that format's edge.
func (b *browser) issueFor(env *demo.Env, token, path string, ttl int) (*issued, error) {
	issuer, format := env.IssuerURL, issuance.FormatSS1
	if token == CAT {
		issuer, format = env.CATIssuerURL, issuance.FormatCAT
	}
	k, err := b.issue(issuer, env.JWT, demo.PlaybackURL(path), ttl)
	if err != nil {
		return nil, err
	}
	if k.Format != format {
		return nil, fmt.Errorf("the issuer at %s gave a key of format %q, want %q", issuer, k.Format, format)
	}
	if err := k.onEdge(edgeFor(env, token), path); err != nil {
		return nil, err
	}
	return k, nil
}

// issue has the page ask the issuer for a key for playback, as a player
// does: a POST with its JWT, from the page's origin, for a key that lives
// ttl seconds (0: the issuer's default).
func (b *browser) issue(issuer, jwt, playback string, ttl int) (*issued, error) {
	var res struct {
		Status int    `json:"status"`
		Body   string `json:"body"`
		Error  string `json:"error"`
	}
	if err := b.call(30*time.Second, &res, "issue", issuer, jwt, playback, ttl); err != nil {
		return nil, err
	}
	if res.Error != "" || res.Status != http.StatusOK {
		return nil, fmt.Errorf("the page asked the issuer at %s for a key: status %d, %s%s", issuer, res.Status, res.Error, res.Body)
	}
	var k issued
	if err := json.Unmarshal([]byte(res.Body), &k); err != nil || k.Token == "" || k.Header.Value != k.Token {
		body := res.Body
		if k.Token != "" { // a CAT has no mark Redact finds in JSON
			body = strings.ReplaceAll(body, k.Token, "…")
		}
		return nil, fmt.Errorf("the issuer's answer has no usable key (%v): %s", err, Redact(body))
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
