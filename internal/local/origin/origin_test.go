package origin

import (
	"bufio"
	"encoding/binary"
	"encoding/xml"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
	"strconv"
	"strings"
	"testing"
)

// playlist is an HLS playlist's URIs and the attributes of interest.
type playlist struct {
	uris       []string
	variants   []string // RESOLUTION of each EXT-X-STREAM-INF
	duration   float64  // sum of EXTINF
	targetDur  int
	endList    bool
	codecsSeen bool
}

func parsePlaylist(t *testing.T, name string) playlist {
	t.Helper()
	b, err := fs.ReadFile(Files(), name)
	if err != nil {
		t.Fatal(err)
	}
	var p playlist
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	first := true
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if first {
			if line != "#EXTM3U" {
				t.Fatalf("%s: first line %q, want #EXTM3U", name, line)
			}
			first = false
			continue
		}
		switch {
		case line == "":
		case strings.HasPrefix(line, "#EXT-X-STREAM-INF:"):
			attrs := line[len("#EXT-X-STREAM-INF:"):]
			_, res, ok := strings.Cut(attrs, "RESOLUTION=")
			if !ok {
				t.Errorf("%s: %q has no RESOLUTION", name, line)
			}
			res, _, _ = strings.Cut(res, ",")
			p.variants = append(p.variants, res)
			p.codecsSeen = p.codecsSeen || strings.Contains(attrs, `CODECS="avc1.42c01e,mp4a.40.2"`)
		case strings.HasPrefix(line, "#EXTINF:"):
			d, err := strconv.ParseFloat(strings.TrimSuffix(line[len("#EXTINF:"):], ","), 64)
			if err != nil {
				t.Fatalf("%s: %q: %v", name, line, err)
			}
			p.duration += d
		case strings.HasPrefix(line, "#EXT-X-TARGETDURATION:"):
			p.targetDur, _ = strconv.Atoi(line[len("#EXT-X-TARGETDURATION:"):])
		case line == "#EXT-X-ENDLIST":
			p.endList = true
		case strings.HasPrefix(line, "#"):
		default:
			p.uris = append(p.uris, path.Join(path.Dir(name), line))
		}
	}
	return p
}

// Every playlist names files that are there: two renditions per title,
// 6 s of 2 s segments each, and every segment is an MPEG-TS stream.
func TestFixtures(t *testing.T) {
	total := 0
	for _, master := range []string{DemoMaster, OtherMaster} {
		m := parsePlaylist(t, strings.TrimPrefix(master, "/"))
		if len(m.uris) < 2 || len(m.variants) != len(m.uris) {
			t.Fatalf("%s: %d variants (%v), want at least 2, each with a RESOLUTION", master, len(m.uris), m.variants)
		}
		if !m.codecsSeen {
			t.Errorf("%s: no variant declares CODECS=\"avc1.42c01e,mp4a.40.2\"", master)
		}
		for _, v := range m.uris {
			p := parsePlaylist(t, v)
			if !p.endList || p.targetDur != 2 || p.duration < 5.9 || p.duration > 6.1 || len(p.uris) != 3 {
				t.Errorf("%s: %d segments, %.2f s, target %d, end list %v; want 3 segments of 2 s (6 s), a VOD playlist",
					v, len(p.uris), p.duration, p.targetDur, p.endList)
			}
			for _, seg := range p.uris {
				b, err := fs.ReadFile(Files(), seg)
				if err != nil {
					t.Fatalf("%s names %s: %v", v, seg, err)
				}
				total += len(b)
				if len(b) == 0 || len(b)%188 != 0 {
					t.Fatalf("%s: %d bytes, not whole 188-byte TS packets", seg, len(b))
				}
				for i := 0; i < len(b); i += 188 {
					if b[i] != 0x47 {
						t.Fatalf("%s: no sync byte at %d", seg, i)
					}
				}
			}
		}
	}
	// The fixtures are committed: keep them small.
	if total > 350<<10 {
		t.Errorf("the segments hold %d bytes; keep them under 350 KiB", total)
	}
}

// mpd is the part of a DASH MPD the fixtures are checked for.
type mpd struct {
	Type     string `xml:"type,attr"`
	Duration string `xml:"mediaPresentationDuration,attr"`
	Periods  []struct {
		Sets []struct {
			ContentType string `xml:"contentType,attr"`
			Reps        []struct {
				ID       string `xml:"id,attr"`
				MimeType string `xml:"mimeType,attr"`
				Codecs   string `xml:"codecs,attr"`
				Width    int    `xml:"width,attr"`
				Template struct {
					Timescale   int    `xml:"timescale,attr"`
					Duration    int    `xml:"duration,attr"`
					Init        string `xml:"initialization,attr"`
					Media       string `xml:"media,attr"`
					StartNumber int    `xml:"startNumber,attr"`
				} `xml:"SegmentTemplate"`
			} `xml:"Representation"`
		} `xml:"AdaptationSet"`
	} `xml:"Period"`
}

// boxes lists the types of the top-level ISO BMFF boxes of b, failing t
// when a box's size runs past the end.
func boxes(t *testing.T, name string, b []byte) []string {
	t.Helper()
	var types []string
	for i := 0; i < len(b); {
		if len(b)-i < 8 {
			t.Fatalf("%s: %d stray bytes at %d", name, len(b)-i, i)
		}
		size := int(binary.BigEndian.Uint32(b[i:]))
		if size < 8 || i+size > len(b) {
			t.Fatalf("%s: box %q at %d has size %d, past the end (%d bytes)", name, b[i+4:i+8], i, size, len(b))
		}
		types = append(types, string(b[i+4:i+8]))
		i += size
	}
	return types
}

// The DASH title: a static MPD over two video representations and one
// audio representation, each with an init segment and three 2 s media
// segments named by a $Number$ SegmentTemplate with relative URIs (the
// path-prefix channel needs them), every one a file that is there and
// fragmented MP4, and no file the MPD does not name.
func TestDASHFixtures(t *testing.T) {
	name := strings.TrimPrefix(DemoMPD, "/")
	dir := path.Dir(name)
	raw, err := fs.ReadFile(Files(), name)
	if err != nil {
		t.Fatal(err)
	}
	var m mpd
	if err := xml.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if m.Type != "static" || m.Duration != "PT6.0S" || len(m.Periods) != 1 {
		t.Fatalf("%s: type %q, duration %q, %d periods; want a static 6 s MPD of one period", name, m.Type, m.Duration, len(m.Periods))
	}
	named := map[string]bool{}
	var video, audio []string
	total := 0
	for _, set := range m.Periods[0].Sets {
		for _, r := range set.Reps {
			switch {
			case set.ContentType == "video" && r.MimeType == "video/mp4" && r.Codecs == "avc1.42c01e" && r.Width > 0:
				video = append(video, r.ID)
			case set.ContentType == "audio" && r.MimeType == "audio/mp4" && r.Codecs == "mp4a.40.2":
				audio = append(audio, r.ID)
			default:
				t.Errorf("%s: representation %s: %s %s %s, not H.264 video or AAC-LC audio in MP4", name, r.ID, set.ContentType, r.MimeType, r.Codecs)
			}
			tpl := r.Template
			if tpl.Timescale == 0 || tpl.Duration != 2*tpl.Timescale || !strings.Contains(tpl.Media, "$Number$") || tpl.StartNumber != 1 {
				t.Errorf("%s: representation %s: SegmentTemplate %+v; want 2 s segments named by $Number$ from 1", name, r.ID, tpl)
			}
			files := []string{strings.ReplaceAll(tpl.Init, "$RepresentationID$", r.ID)}
			for n := 1; n <= 3; n++ {
				files = append(files, strings.ReplaceAll(strings.ReplaceAll(tpl.Media, "$RepresentationID$", r.ID), "$Number$", strconv.Itoa(n)))
			}
			for i, f := range files {
				if f == "" || strings.HasPrefix(f, "/") || strings.Contains(f, "://") || strings.Contains(f, "..") {
					t.Fatalf("%s: representation %s names %q; the path-prefix channel needs URIs relative to the MPD", name, r.ID, f)
				}
				p := path.Join(dir, f)
				b, err := fs.ReadFile(Files(), p)
				if err != nil {
					t.Fatalf("%s names %s: %v", name, p, err)
				}
				named[path.Base(p)] = true
				total += len(b)
				types := strings.Join(boxes(t, p, b), " ")
				if i == 0 && !(strings.HasPrefix(types, "ftyp ") && strings.Contains(types, "moov")) {
					t.Errorf("%s: boxes %s; an init segment is ftyp and moov", p, types)
				}
				if i > 0 && !(strings.Contains(types, "moof mdat") && !strings.Contains(types, "moov")) {
					t.Errorf("%s: boxes %s; a media segment is moof and mdat, without moov", p, types)
				}
			}
		}
	}
	if len(video) != 2 || len(audio) != 1 {
		t.Errorf("%s: video representations %v, audio %v; want two and one", name, video, audio)
	}
	entries, err := fs.ReadDir(Files(), dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != path.Base(name) && !named[e.Name()] {
			t.Errorf("%s: %s is not named by the MPD (a segment past its 6 s?)", dir, e.Name())
		}
	}
	// The fixtures are committed: keep them small.
	if total > 150<<10 {
		t.Errorf("the DASH segments hold %d bytes; keep them under 150 KiB", total)
	}
}

func TestHandler(t *testing.T) {
	srv := httptest.NewServer(Handler(Options{}))
	defer srv.Close()
	do := func(method, p string, h map[string]string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+p, nil)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	for p, ct := range map[string]string{DemoMaster: "application/vnd.apple.mpegurl", "/videos/other/90p/seg2.ts": "video/mp2t",
		DemoMPD: "application/dash+xml", "/videos/demo/dash/init-2.mp4": "video/mp4", "/videos/demo/dash/seg-0-3.m4s": "video/iso.segment"} {
		resp, body := do(http.MethodGet, p, map[string]string{"Origin": "http://player.test"})
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != ct || resp.Header.Get("Access-Control-Allow-Origin") != "*" || body == "" {
			t.Errorf("GET %s: %d, Content-Type %q, Access-Control-Allow-Origin %q, %d bytes; want 200, %s, *",
				p, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Access-Control-Allow-Origin"), len(body), ct)
		}
	}
	resp, _ := do(http.MethodOptions, DemoMaster, map[string]string{"Origin": "http://player.test",
		"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-stream-token"})
	if resp.StatusCode != 204 || !strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "x-stream-token") ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "GET") {
		t.Errorf("preflight: %d, headers %v; want 204 allowing GET and x-stream-token", resp.StatusCode, resp.Header)
	}
	for _, p := range []string{"/videos/demo/", "/videos/demo", "/generate.sh", "/media/generate.sh", "/videos/nope.m3u8"} {
		if resp, _ := do(http.MethodGet, p, nil); resp.StatusCode != 404 {
			t.Errorf("GET %s: %d, want 404", p, resp.StatusCode)
		}
	}
	if resp, _ := do(http.MethodPost, DemoMaster, nil); resp.StatusCode != 405 {
		t.Errorf("POST: %d, want 405", resp.StatusCode)
	}
}

func TestStart(t *testing.T) {
	s, err := Start("127.0.0.1:0", Options{AllowHeaders: []string{"x-key"}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Host != "127.0.0.1" || s.Port == 0 || s.URL != "http://127.0.0.1:"+strconv.Itoa(s.Port) {
		t.Fatalf("Start: %+v", s)
	}
	req, _ := http.NewRequest(http.MethodOptions, s.URL+DemoMaster, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Access-Control-Allow-Headers"); got != "range, x-key" {
		t.Errorf("Access-Control-Allow-Headers %q, want %q", got, "range, x-key")
	}
}
