// Package origin is a local HTTP origin that holds real HLS and DASH
// streams, for the demo (make demo) and the player tests: the local
// CloudFront's edge forwards to it what the edge function lets through.
//
// It serves two HLS titles, each a master playlist over two renditions
// (320x180 and 160x90) of 6 s of H.264 and AAC-LC in three 2 s MPEG-TS
// segments, and the demo title as DASH too: an MPD over the same two
// video representations and the audio, each an init segment and three
// 2 s fragmented-MP4 segments ($Number$ SegmentTemplate, relative URIs).
// All are embedded from media/videos; media/generate.sh made them with
// ffmpeg and remakes them. Two titles, so that a key for one is shown to
// be refused for the other.
//
// A browser player on another origin fetches through the edge, so the
// origin answers CORS: any origin may read the stream (the edge decides
// who gets it), with the stream key's header allowed and preflights
// answered.
package origin

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/issuance"
)

//go:embed media/videos
var media embed.FS

// The titles' master playlists and the demo title's MPD, as paths on the
// origin (and on the edge, which forwards paths unchanged). A key asked
// for DemoMaster covers /videos/demo/ and so DemoMPD too.
const (
	DemoMaster  = "/videos/demo/master.m3u8"
	OtherMaster = "/videos/other/master.m3u8"
	DemoMPD     = "/videos/demo/dash/manifest.mpd"
)

// Files are the served files: path "videos/demo/master.m3u8" is served
// at /videos/demo/master.m3u8.
func Files() fs.FS {
	sub, err := fs.Sub(media, "media")
	if err != nil {
		panic(err) // a constant, valid path
	}
	return sub
}

// contentTypes are the types players expect (RFC 8216 for HLS; ISO/IEC
// 23009-1 and the IANA registry for DASH: an MPD, init segments (.mp4) and
// media segments (.m4s)); Go's table, which may come from the system's
// mime.types, does not know .m3u8, .mpd or .m4s and may call .ts a
// translation file.
var contentTypes = map[string]string{
	".m3u8": "application/vnd.apple.mpegurl",
	".ts":   "video/mp2t",
	".mpd":  "application/dash+xml",
	".mp4":  "video/mp4",
	".m4s":  "video/iso.segment",
}

// Options configure the origin.
type Options struct {
	// AllowHeaders are request headers a browser may send (CORS), besides
	// Range; default: the default stream-key header (x-stream-token).
	AllowHeaders []string
}

// Handler serves the files with their content types and CORS headers.
func Handler(opts Options) http.Handler {
	allow := opts.AllowHeaders
	if len(allow) == 0 {
		allow = []string{issuance.DefaultChannels().Header}
	}
	allowHeaders := strings.Join(append([]string{"range"}, allow...), ", ")
	files := http.FileServerFS(Files())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Expose-Headers", "content-length, content-range")
		switch r.Method {
		case http.MethodOptions:
			h.Set("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
			h.Set("Access-Control-Allow-Headers", allowHeaders)
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		case http.MethodGet, http.MethodHead:
		default:
			h.Set("Allow", "GET, HEAD, OPTIONS")
			http.Error(w, "the origin serves GET, HEAD and OPTIONS", http.StatusMethodNotAllowed)
			return
		}
		// Only files: no directory listings, no index.html redirects.
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if st, err := fs.Stat(Files(), name); err != nil || st.IsDir() {
			http.NotFound(w, r)
			return
		}
		if ct, ok := contentTypes[path.Ext(name)]; ok {
			h.Set("Content-Type", ct)
		}
		h.Set("Cache-Control", "max-age=60")
		files.ServeHTTP(w, r)
	})
}

// Server is a running origin.
type Server struct {
	// URL is http://host:port; Host and Port are its parts, as a
	// distribution's origin (domain_name, http_port) names them.
	URL  string
	Host string
	Port int

	srv *http.Server
}

// Start serves the origin on addr ("127.0.0.1:0" picks a free port) until
// Close.
func Start(addr string, opts Options) (*Server, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("local origin: listening on %s: %w", addr, err)
	}
	a, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		l.Close()
		return nil, fmt.Errorf("local origin: %v is not a TCP address", l.Addr())
	}
	s := &Server{URL: "http://" + a.String(), Host: a.IP.String(), Port: a.Port,
		srv: &http.Server{Handler: Handler(opts), ReadHeaderTimeout: 10 * time.Second}}
	go func() { _ = s.srv.Serve(l) }()
	return s, nil
}

// Close stops the origin.
func (s *Server) Close() error {
	if err := s.srv.Close(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
