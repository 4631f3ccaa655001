package player

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/securestream/terraform-provider-securestream/internal/syncbuf"
	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

// ChromiumInstall is the command that installs the browser the test
// drives: Debian's Chromium, never a browser a tool downloads.
const ChromiumInstall = "apt-get install -y chromium   (Debian's Chromium, /usr/bin/chromium)"

// chromium returns the path of Debian's Chromium, or fails t with the
// install command.
func chromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatalf("chromium is not installed, and this test plays the stream in it: %s", ChromiumInstall)
	return ""
}

// browser is one headless Chromium with one tab, for one test. It keeps
// what the tab did (requests, console) for failure messages.
type browser struct {
	ctx   context.Context
	close func() // stops the browser; later calls do nothing

	mu       sync.Mutex
	requests map[network.RequestID]*request
	order    []network.RequestID
	console  []string
}

// request is one request the tab made, and how it ended.
type request struct {
	method, url string
	status      int64  // 0 until a response came
	failed      string // why it failed: the network error, CORS
}

// startBrowser starts Chromium with the flags this machine needs (no
// background networking: it has no internet) and a fresh profile, for
// the rest of the test.
func startBrowser(t testing.TB, exe string) *browser {
	t.Helper()
	out := &syncbuf.Buffer{} // Chromium's output, from its process's goroutines
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe),
		chromedp.Headless, // also hides scrollbars and mutes audio
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.WindowSize(1180, 440),
		chromedp.CombinedOutput(out),
		// No UserDataDir: chromedp makes a fresh profile directory and
		// removes it when the browser stops.
	)
	ctx, cancel := chromedp.NewContext(actx)
	b := &browser{ctx: ctx, requests: map[network.RequestID]*request{}}
	b.close = sync.OnceFunc(func() {
		if err := chromedp.Cancel(ctx); err != nil && !errors.Is(err, context.Canceled) {
			t.Logf("closing chromium: %v", err)
		}
		cancel()
		cancelAlloc()
	})
	// Cleanups run last in first out: the browser stops before the
	// servers the test started earlier.
	t.Cleanup(b.close)
	// The first action starts the browser: without a deadline, which would
	// stop the browser when it passes; the start itself is bounded below.
	started := make(chan error, 1)
	go func() { started <- chromedp.Listen(ctx, b.record) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("starting %s: %v\nits output:\n%s", exe, err, out.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not start within 30s; its output:\n%s", exe, out.String())
	}
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, Redact(m.String()))
			b.mu.Unlock()
		}
	}()
	return b
}

// record keeps the tab's requests and their outcomes. It runs on the
// goroutine that reads the browser's messages: it only takes notes.
func (b *browser) record(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		if _, ok := b.requests[e.RequestID]; !ok {
			b.order = append(b.order, e.RequestID)
		}
		b.requests[e.RequestID] = &request{method: e.Request.Method, url: Redact(e.Request.URL)}
	case *network.EventResponseReceived:
		if r := b.requests[e.RequestID]; r != nil {
			r.status = e.Response.Status
		}
	case *network.EventLoadingFailed:
		if r := b.requests[e.RequestID]; r != nil {
			r.failed = e.ErrorText
			if e.CorsErrorStatus != nil {
				r.failed += " (CORS: " + string(e.CorsErrorStatus.CorsError) + ")"
			}
		}
	}
}

// requestsTo returns the requests made so far whose (redacted) URL
// contains s.
func (b *browser) requestsTo(s string) []request {
	b.mu.Lock()
	defer b.mu.Unlock()
	var rs []request
	for _, id := range b.order {
		if r := b.requests[id]; strings.Contains(r.url, s) {
			rs = append(rs, *r)
		}
	}
	return rs
}

// journal is what the tab did: its requests and console, for a failure
// message. Stream keys (ss1 and CAT) are redacted.
func (b *browser) journal() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var s strings.Builder
	s.WriteString("requests:\n")
	for _, id := range b.order {
		r := b.requests[id]
		fmt.Fprintf(&s, "  %s %s -> %d %s\n", r.method, r.url, r.status, r.failed)
	}
	s.WriteString("console:\n")
	for _, c := range b.console {
		fmt.Fprintf(&s, "  %s\n", c)
	}
	return s.String()
}

// run runs actions within d.
func (b *browser) run(d time.Duration, actions ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(b.ctx, d)
	defer cancel()
	return chromedp.Do(ctx, actions...)
}

// open loads the player page and waits until every player is there. The
// tab's HTTP cache is off: a response cached for one case (a playlist
// fetched with a valid key) would otherwise answer a request of another
// (the same playlist with a tampered key) without asking the edge.
func (b *browser) open(url string) error {
	noCache := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true})
		return err
	})
	if err := b.run(20*time.Second, noCache, chromedp.Navigate(url)); err != nil {
		return fmt.Errorf("loading the player page %s: %w", url, err)
	}
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`versions()`))
	if err != nil {
		return fmt.Errorf("the player page has no players: %w", err)
	}
	for _, p := range []string{HLSJS, DashJS, Shaka} {
		if v[p] == "" {
			return fmt.Errorf("the player page has no %s (versions %v)", p, v)
		}
	}
	return nil
}

// playerError is a player's error as the page records it: Code is the
// HTTP status the player's own error object carries (0: none).
type playerError struct {
	Type    string `json:"type"`
	Details string `json:"details"`
	Fatal   bool   `json:"fatal"`
	Code    int    `json:"code"`
	URL     string `json:"url"`
}

func (e *playerError) String() string {
	if e == nil {
		return "none"
	}
	return fmt.Sprintf("%s %s (HTTP %d) %s", e.Type, e.Details, e.Code, e.URL)
}

// playback is how a case of the page goes.
type playback struct {
	Time       float64       `json:"time"`
	Ended      bool          `json:"ended"`
	Renditions int           `json:"renditions"`
	Fatal      *playerError  `json:"fatal"`
	Errors     []playerError `json:"errors"`
	// Keys are the case's keys, in the order it got them.
	Keys []struct {
		Gen     int   `json:"gen"`
		Expires int64 `json:"expires"` // Unix seconds
	} `json:"keys"`
	// Requests are the requests the player's hook saw.
	Requests []struct {
		At  int64  `json:"at"`  // Unix milliseconds
		Gen int    `json:"gen"` // the key it was sent with
		URL string `json:"url"` // redacted
	} `json:"requests"`
}

// call calls the page's function fn (an expression) with args, within
// d, waits for the promise it may return, and decodes its result (JSON)
// into res (nil: the result is dropped).
func (b *browser) call(d time.Duration, res any, fn string, args ...any) error {
	a, err := json.Marshal(args)
	if err != nil {
		return err
	}
	expr := fn + ".apply(null, " + string(a) + ")"
	ctx, cancel := context.WithTimeout(b.ctx, d)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		return fmt.Errorf("calling %s in the page: %w", fn, err)
	}
	if res == nil {
		return nil
	}
	if err := json.Unmarshal(raw, res); err != nil {
		return fmt.Errorf("the result of %s in the page: %w", fn, err)
	}
	return nil
}

// play starts case id on the page, as o says.
func (b *browser) play(id string, o playOpts) error {
	return b.call(10*time.Second, nil, "play", id, o)
}

// await polls case id until done says it is over or d passes, and
// returns its last state.
func (b *browser) await(id string, d time.Duration, done func(playback) bool) (playback, error) {
	deadline := time.Now().Add(d)
	for {
		var p playback
		if err := b.call(5*time.Second, &p, "state", id); err != nil {
			return p, err
		}
		if done(p) {
			return p, nil
		}
		if time.Now().After(deadline) {
			return p, fmt.Errorf("case %s: not over after %v", id, d)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// screenshot saves the whole page as a PNG at path.
func (b *browser) screenshot(path string) error {
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return fmt.Errorf("taking the screenshot: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, png, 0o644)
}

// screenshotOf saves the page's element sel (a CSS selector) as a PNG at
// path.
func (b *browser) screenshotOf(sel, path string) error {
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(sel)))
	if err != nil {
		return fmt.Errorf("taking the screenshot of %s: %w", sel, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, png, 0o644)
}

// artefact returns the path of a test artefact: .artifacts/player/<name>
// at the root of the checkout (gitignored).
func artefact(t testing.TB, name string) string {
	t.Helper()
	return filepath.Join(testenv.RepoRoot(t), ".artifacts", "player", name)
}
