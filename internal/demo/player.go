package demo

import (
	_ "embed"
	"html/template"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/reporoot"
)

//go:embed page/index.html
var pageHTML string

var page = template.Must(template.New("player").Parse(pageHTML))

// hlsJS is where `make player-tools` installs hls.js (for the browser
// test, internal/player); the demo's page uses it when it is there.
var hlsJS = filepath.Join("internal", "player", "web", "node_modules", "hls.js", "dist", "hls.min.js")

// ServePlayer serves, until Close, a page that plays the demo title in a
// browser as a player would: it asks the issuer for a key (bound to the
// browser's User-Agent) and plays the path-prefix URL through the edge,
// with hls.js (make player-tools) or native HLS (Safari). It returns the
// page's URL.
func (e *Env) ServePlayer() (string, error) {
	// html/template writes it into the script as a JSON object.
	cfg := map[string]string{"issuer": e.IssuerURL, "jwt": e.JWT, "playbackURL": PlaybackURL(e.MasterPath),
		"playbackOrigin": PlaybackURL(""), "edge": e.EdgeURL}
	root, err := reporoot.Find()
	if err != nil {
		return "", err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_ = page.Execute(w, cfg)
	})
	mux.HandleFunc("GET /hls.min.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		if _, err := os.Stat(filepath.Join(root, hlsJS)); err != nil {
			_, _ = w.Write([]byte("// hls.js is not installed: make player-tools\n"))
			return
		}
		http.ServeFile(w, r, filepath.Join(root, hlsJS))
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	e.player = srv
	return "http://" + l.Addr().String() + "/", nil
}
