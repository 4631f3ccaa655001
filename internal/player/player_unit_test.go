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

// Every player's pin is exact and the lock file installs that version:
// npm ci then installs the same players on every machine.
func TestPlayersPinned(t *testing.T) {
	dir, err := WebDir()
	if err != nil {
		t.Fatal(err)
	}
	pins, err := pinned(dir)
	if err != nil {
		t.Fatal(err)
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
	for _, m := range modules {
		v := pins[m.pkg]
		if !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(v) {
			t.Errorf("package.json asks for %s %q, want an exact version", m.pkg, v)
		}
		if got := lock.Packages[""].Dependencies[m.pkg]; got != v {
			t.Errorf("package-lock.json was made for %s %q, package.json pins %q: run npm install --package-lock-only --ignore-scripts --prefix internal/player/web", m.pkg, got, v)
		}
		if got := lock.Packages["node_modules/"+m.pkg]; got.Version != v || !strings.HasPrefix(got.Integrity, "sha512-") {
			t.Errorf("package-lock.json locks %s %q (integrity %q), want %s with its sha512", m.pkg, got.Version, got.Integrity, v)
		}
	}
}

// fakeWeb is a page directory whose package.json pins every player at
// 1.2.3 (but the ones pins names: their pin, "" for none), with each
// player installed at 1.2.3 (but the ones installed names: that version,
// "" for not installed).
func fakeWeb(t *testing.T, pins, installed map[string]string) string {
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
	deps := map[string]string{}
	for _, m := range modules {
		v, ok := pins[m.pkg]
		if !ok {
			v = "1.2.3"
		}
		if v != "" {
			deps[m.pkg] = v
		}
		if v, ok = installed[m.pkg]; !ok {
			v = "1.2.3"
		}
		if v != "" {
			b, _ := json.Marshal(map[string]string{"version": v})
			write("node_modules/"+m.pkg+"/package.json", string(b))
			write("node_modules/"+m.pkg+"/"+m.bundle, "var "+m.pkg+";")
		}
	}
	b, _ := json.Marshal(map[string]any{"dependencies": deps})
	write("package.json", string(b))
	write("index.html", "<!doctype html>page")
	write("player.js", "var cases = {};")
	return dir
}

func TestHandlerNeedsPinnedPlayers(t *testing.T) {
	for _, m := range modules {
		for _, c := range []struct {
			pins, installed map[string]string
			want            string
		}{
			{nil, map[string]string{m.pkg: ""}, m.pkg + " is not installed in "},
			{nil, map[string]string{m.pkg: "1.2.4"}, m.pkg + " 1.2.4 is installed in "},
			{map[string]string{m.pkg: ""}, nil, "pins no " + m.pkg + " version"},
		} {
			_, err := Handler(fakeWeb(t, c.pins, c.installed))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("pins %v, installed %v: error %v, want %q", c.pins, c.installed, err, c.want)
			} else if c.pins == nil && !strings.Contains(err.Error(), "make player-tools") {
				t.Errorf("pins %v, installed %v: error %v, want the install command", c.pins, c.installed, err)
			}
		}
	}
}

func TestHandlerServesThePage(t *testing.T) {
	h, err := Handler(fakeWeb(t, nil, nil))
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
		"/":                         {200, "text/html; charset=utf-8", "<!doctype html>page"},
		"/player.js":                {200, "text/javascript; charset=utf-8", "var cases = {};"},
		"/hls.min.js":               {200, "text/javascript; charset=utf-8", "var hls.js;"},
		"/dash.all.min.js":          {200, "text/javascript; charset=utf-8", "var dashjs;"},
		"/shaka-player.compiled.js": {200, "text/javascript; charset=utf-8", "var shaka-player;"},
		"/favicon.ico":              {404, "", ""},
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
