// Package player is the project's player matrix: a page that plays HLS
// and DASH with hls.js, dash.js and Shaka Player (pinned in
// web/package.json, installed by `make player-tools`), served for the
// browser test that plays the demo streams through the edge in headless
// Chromium on each delivery channel (player_test.go), and Matrix, what
// those tests prove, which the delivery-channels guide shows (matrix.go).
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

// Install is the command that installs the players where the page loads
// them from.
const Install = "make player-tools   (or: npm ci --ignore-scripts --prefix internal/player/web)"

// A module is a player the page loads: an npm package pinned in
// package.json, and the compiled bundle of it the page serves (each
// bundle is self-contained: the page loads nothing from the network).
type module struct {
	pkg    string // npm package
	bundle string // the bundle, in the package's directory
	path   string // where the Handler serves it
}

// modules are the players of the page, in the order it loads them.
var modules = []module{
	{"hls.js", "dist/hls.min.js", "/hls.min.js"},
	{"dashjs", "dist/modern/umd/dash.all.min.js", "/dash.all.min.js"},
	{"shaka-player", "dist/shaka-player.compiled.js", "/shaka-player.compiled.js"},
}

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
// the players' bundles from dir/node_modules. It fails when a player is
// not installed, or not at the version package.json pins, saying how to
// install it.
func Handler(dir string) (http.Handler, error) {
	want, err := pinned(dir)
	if err != nil {
		return nil, err
	}
	files := map[string]struct{ path, typ string }{
		"/":            {filepath.Join(dir, "index.html"), "text/html; charset=utf-8"},
		"/player.js":   {filepath.Join(dir, "player.js"), "text/javascript; charset=utf-8"},
		"/favicon.ico": {}, // none: answered 404 without a log line in the browser's console
	}
	for _, m := range modules {
		pkg := filepath.Join(dir, "node_modules", m.pkg)
		var got struct{ Version string }
		if err := readJSON(filepath.Join(pkg, "package.json"), &got); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("%s is not installed in %s: %s", m.pkg, dir, Install)
			}
			return nil, err
		}
		if got.Version != want[m.pkg] {
			return nil, fmt.Errorf("%s %s is installed in %s, but package.json pins %s: %s", m.pkg, got.Version, dir, want[m.pkg], Install)
		}
		files[m.path] = struct{ path, typ string }{filepath.Join(pkg, filepath.FromSlash(m.bundle)), "text/javascript; charset=utf-8"}
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

// pinned returns the version dir/package.json pins of each module's
// package (exact versions: npm ci installs what package-lock.json records
// for them).
func pinned(dir string) (map[string]string, error) {
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	if err := readJSON(filepath.Join(dir, "package.json"), &pkg); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, m := range modules {
		v := pkg.Dependencies[m.pkg]
		if v == "" {
			return nil, fmt.Errorf("%s pins no %s version", filepath.Join(dir, "package.json"), m.pkg)
		}
		out[m.pkg] = v
	}
	return out, nil
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
