package player

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The pin is exact and the lock file installs that version: npm ci then
// installs the same hls.js on every machine.
func TestHLSPinned(t *testing.T) {
	dir, err := WebDir()
	if err != nil {
		t.Fatal(err)
	}
	v, err := pinned(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(v) {
		t.Errorf("package.json asks for hls.js %q, want an exact version", v)
	}
	var lock struct {
		Packages map[string]struct {
			Version      string            `json:"version"`
			Integrity    string            `json:"integrity"`
			Dependencies map[string]string `json:"dependencies"`
		} `json:"packages"`
	}
	if err := readJSON(filepath.Join(dir, "package-lock.json"), &lock); err != nil {
		t.Fatal(err)
	}
	if got := lock.Packages[""].Dependencies["hls.js"]; got != v {
		t.Errorf("package-lock.json was made for hls.js %q, package.json pins %q: run npm install --package-lock-only --ignore-scripts --prefix internal/player/web", got, v)
	}
	if got := lock.Packages["node_modules/hls.js"]; got.Version != v || !strings.HasPrefix(got.Integrity, "sha512-") {
		t.Errorf("package-lock.json locks hls.js %q (integrity %q), want %s with its sha512", got.Version, got.Integrity, v)
	}
}

// fakeWeb is a page directory with hls.js at version installed ("" for
// none), pinned at 1.2.3.
func fakeWeb(t *testing.T, installed string) string {
	t.Helper()
	dir := t.TempDir()
	write := func(name, content string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("package.json", `{"dependencies": {"hls.js": "1.2.3"}}`)
	write("index.html", "<!doctype html>page")
	write("player.js", "var cases = {};")
	if installed != "" {
		b, _ := json.Marshal(map[string]string{"version": installed})
		write("node_modules/hls.js/package.json", string(b))
		write("node_modules/hls.js/dist/hls.min.js", "var Hls;")
	}
	return dir
}

func TestHandlerNeedsPinnedHLS(t *testing.T) {
	for installed, want := range map[string]string{
		"":      "hls.js is not installed in ",
		"1.2.4": "hls.js 1.2.4 is installed in ",
	} {
		_, err := Handler(fakeWeb(t, installed))
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "make player-tools") {
			t.Errorf("hls.js %q installed: error %v, want %q and the install command", installed, err, want)
		}
	}
}

func TestHandlerServesThePage(t *testing.T) {
	h, err := Handler(fakeWeb(t, "1.2.3"))
	if err != nil {
		t.Fatal(err)
	}
	s := httptest.NewServer(h)
	defer s.Close()
	for path, want := range map[string]struct {
		status int
		typ    string
		body   string
	}{
		"/":            {200, "text/html; charset=utf-8", "<!doctype html>page"},
		"/player.js":   {200, "text/javascript; charset=utf-8", "var cases = {};"},
		"/hls.min.js":  {200, "text/javascript; charset=utf-8", "var Hls;"},
		"/favicon.ico": {404, "", ""},
		// Nothing else of the directory: not the modules, not package.json.
		"/package.json":                     {404, "", ""},
		"/node_modules/hls.js/package.json": {404, "", ""},
		"/index.html":                       {404, "", ""},
	} {
		resp, err := http.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want.status {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want.status)
			continue
		}
		if want.status != 200 {
			continue
		}
		if got := resp.Header.Get("Content-Type"); got != want.typ || string(body) != want.body {
			t.Errorf("GET %s: %q %q, want %q %q", path, got, body, want.typ, want.body)
		}
	}
}
