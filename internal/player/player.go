// Package player is the project's browser player: a page that plays HLS
// with hls.js (pinned in web/package.json, installed by `make
// player-tools`), served for the browser test that plays the demo stream
// through the edge in headless Chromium (player_test.go).
package player

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"

	"github.com/securestream/terraform-provider-securestream/internal/reporoot"
)

// Install is the command that installs hls.js where the page loads it from.
const Install = "make player-tools   (or: npm ci --ignore-scripts --prefix internal/player/web)"

// WebDir returns the page's directory, internal/player/web of the
// checkout.
func WebDir() (string, error) {
	root, err := reporoot.Find()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "internal", "player", "web"), nil
}

// Handler serves the page of dir (a copy of web/) on /, its script, and
// hls.js from dir/node_modules. It fails when hls.js is not installed, or
// not at the version package.json pins, saying how to install it.
func Handler(dir string) (http.Handler, error) {
	want, err := pinned(dir)
	if err != nil {
		return nil, err
	}
	hls := filepath.Join(dir, "node_modules", "hls.js")
	var got struct{ Version string }
	if err := readJSON(filepath.Join(hls, "package.json"), &got); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("hls.js is not installed in %s: %s", dir, Install)
		}
		return nil, err
	}
	if got.Version != want {
		return nil, fmt.Errorf("hls.js %s is installed in %s, but package.json pins %s: %s", got.Version, dir, want, Install)
	}
	files := map[string]struct{ path, typ string }{
		"/":            {filepath.Join(dir, "index.html"), "text/html; charset=utf-8"},
		"/player.js":   {filepath.Join(dir, "player.js"), "text/javascript; charset=utf-8"},
		"/hls.min.js":  {filepath.Join(hls, "dist", "hls.min.js"), "text/javascript; charset=utf-8"},
		"/favicon.ico": {}, // none: answered 404 without a log line in the browser's console
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := files[r.URL.Path]
		if !ok || f.path == "" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", f.typ)
		w.Header().Set("Cache-Control", "no-store")
		http.ServeFile(w, r, f.path)
	}), nil
}

// pinned returns the hls.js version dir/package.json pins (an exact
// version: npm ci installs what package-lock.json records for it).
func pinned(dir string) (string, error) {
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	if err := readJSON(filepath.Join(dir, "package.json"), &pkg); err != nil {
		return "", err
	}
	v := pkg.Dependencies["hls.js"]
	if v == "" {
		return "", fmt.Errorf("%s pins no hls.js version", filepath.Join(dir, "package.json"))
	}
	return v, nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	return nil
}
