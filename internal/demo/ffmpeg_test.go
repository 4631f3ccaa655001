package demo_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/demo"
	"github.com/securestream/terraform-provider-securestream/internal/demo/demotest"
	"github.com/securestream/terraform-provider-securestream/internal/issuance"
	"github.com/securestream/terraform-provider-securestream/internal/player"
	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

// ffmpegInstall is how to get the ffmpeg this test runs: Debian's (5.1 in
// bookworm), the stand-in for native players.
const ffmpegInstall = "apt-get install -y ffmpeg"

// ffmpegUA is the User-Agent ffmpeg sends (-user_agent) and the keys are
// asked with: keys bind it, and a native app asks the issuer with its own.
const ffmpegUA = "securestream-ffmpeg-test/1.0 (Lavf)"

// What a played stream decodes: each of the two video renditions (HLS)
// or representations (DASH) all three of its 2 s segments at 12 fps,
// and the audio nearly 6 s (AAC frames of 1024 samples at 22 050 Hz; the
// DASH audio is 5.95 s).
const (
	videoFrames = 3 * 2 * 12
	audioFrames = 120
)

// ffmpeg, the command-line player of the library most native players
// outside Apple's use, plays the demo's HLS and DASH titles through the
// edge with a key from the issuer, on every channel of its rows of
// player.Matrix: header (-headers), cookie (-cookies with the issuer's
// Set-Cookie value), path prefix (the issuer's url as the input), and
// query, which must fail with the edge's 403 once the manifest (which the
// query opens) has been read, since ffmpeg resolves the manifest's
// relative URIs without the query. The ss1 rows play ss1 keys through the
// first distribution's edge; the CAT rows Common Access Tokens (CTA-5007)
// from the CAT issuer through the CAT distribution's edge. A cell whose
// outcome differs from its Works fails the test. Each channel that plays
// is refused with a tampered key (403 in ffmpeg's output).
//
// Refresh: ffmpeg takes its key once, for the whole run (the -headers,
// -cookies and input URL are fixed when it opens the input); it cannot ask
// the issuer again mid-stream, and a key that expires while it reads gets
// the rest of the stream refused. An app built on it gives each playback
// a key that outlives it, or opens the stream again with a fresh key: a
// key with a short lifetime plays, is refused once it has expired, and a
// second run with a fresh key from the issuer plays.
//
// Each run's output (tokens redacted) is in .artifacts/ffmpeg/.
func TestFFmpegThroughEdge(t *testing.T) {
	testenv.Acceptance(t)
	testenv.Cross(t)
	exe, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Fatalf("ffmpeg is not installed, and this test plays the stream with it as a native player would: %s", ffmpegInstall)
	}
	cells := player.Cells(player.FFmpeg)
	if len(cells) == 0 {
		t.Fatal("player.Matrix has no ffmpeg cells")
	}
	artefacts := filepath.Join(testenv.RepoRoot(t), ".artifacts", "ffmpeg")
	if err := os.MkdirAll(artefacts, 0o755); err != nil {
		t.Fatal(err)
	}

	// Starting the demo builds the provider and the issuer's package
	// (minutes on a cold build cache); each ffmpeg run has its own bound.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	env := demotest.Start(ctx, t)
	f := &ffmpegRunner{t: t, exe: exe, dir: artefacts, env: env}
	paths := map[string]string{"HLS": env.MasterPath, "DASH": env.MPDPath}
	// One key a token format and media format, from that format's issuer.
	keys := map[[2]string]*demo.Key{}
	for _, token := range []string{player.SS1, player.CAT} {
		for format, p := range paths {
			k, err := env.RequestKey(ctx, demo.KeyRequest{Path: p, UserAgent: ffmpegUA, CAT: token == player.CAT})
			if err != nil {
				t.Fatal(err)
			}
			keys[[2]string{token, format}] = k
		}
	}

	for _, c := range cells {
		p, ok := paths[c.Format]
		k := keys[[2]string{c.Token, c.Format}]
		if !ok || k == nil {
			t.Fatalf("%+v: no %s title in the demo, or no key of token format %q", c, c.Format, c.Token)
		}
		if channelArgs(env, p, c.Channel, k.Token, k) == nil {
			t.Fatalf("%+v: the test does not know how to give ffmpeg a key on the %s channel", c, c.Channel)
		}
		name := strings.ToLower(c.Token + "-" + c.Format + "-" + strings.ReplaceAll(c.Channel, " ", "-"))
		what := c.Format + " with " + c.Token
		r := f.run(ctx, name, c.Format, channelArgs(env, p, c.Channel, k.Token, k))
		switch {
		case r.played && !c.Works:
			t.Errorf("%s over the %s: ffmpeg played it (%s), and player.Matrix says it does not: %s (%s)", what, c.Channel, r.summary, c.How, r.log)
		case !r.played && c.Works:
			t.Errorf("%s over the %s: ffmpeg did not play it (%s), and player.Matrix says it does: %s (%s)", what, c.Channel, r.summary, c.How, r.log)
		case !c.Works && !r.forbidden:
			t.Errorf("%s over the %s: ffmpeg failed (%s) but not with the edge's 403, which the matrix's reason needs (%s)", what, c.Channel, r.summary, r.log)
		case c.Channel == player.Query && !droppedQuery(r.requested, k.Query):
			// The matrix's reason: the manifest opened with the key in its
			// query, and the URIs resolved from it lost the query.
			t.Errorf("%s over the query: ffmpeg requested %v after the manifest; want URIs resolved from it, without the query (%s)", what, redactAll(r.requested), r.log)
		default:
			t.Logf("%s over the %s: %s, as player.Matrix says (%s)", what, c.Channel, r.summary, r.log)
		}
		if !c.Works {
			continue
		}
		tamper := demo.Tamper
		if c.Token == player.CAT {
			tamper = demo.TamperCAT
		}
		tampered, err := tamper(k.Token)
		if err != nil {
			t.Fatal(err)
		}
		r = f.run(ctx, name+"-tampered", c.Format, channelArgs(env, p, c.Channel, tampered, k))
		if r.played || !r.forbidden {
			t.Errorf("%s over the %s with a tampered key: %s; want ffmpeg to fail with the edge's 403 (%s)", what, c.Channel, r.summary, r.log)
		} else {
			t.Logf("%s over the %s with a tampered key: %s (%s)", what, c.Channel, r.summary, r.log)
		}
	}

	// Refresh, on the header channel: a key that lives a short while plays;
	// once it has expired it is refused; a fresh key from the issuer plays.
	// A run takes well under a second here: the lifetime is ten times that.
	const short = 5 * time.Second
	for _, format := range []string{"HLS", "DASH"} {
		p := paths[format]
		k, err := env.RequestKey(ctx, demo.KeyRequest{Path: p, UserAgent: ffmpegUA, TTL: short})
		if err != nil {
			t.Fatal(err)
		}
		name := strings.ToLower(format) + "-refresh"
		if r := f.run(ctx, name+"-1-short-key", format, channelArgs(env, p, player.Header, k.Token, k)); !r.played {
			t.Errorf("%s with a key that lives %v, before it expires: %s (%s)", format, short, r.summary, r.log)
		}
		select {
		case <-time.After(time.Until(k.ExpiresAt()) + 100*time.Millisecond):
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		}
		if r := f.run(ctx, name+"-2-expired", format, channelArgs(env, p, player.Header, k.Token, k)); r.played || !r.forbidden {
			t.Errorf("%s with the key expired: %s; want the edge's 403 (%s)", format, r.summary, r.log)
		}
		fresh, err := env.RequestKey(ctx, demo.KeyRequest{Path: p, UserAgent: ffmpegUA, TTL: short})
		if err != nil {
			t.Fatal(err)
		}
		if fresh.Token == k.Token {
			t.Fatalf("%s: the issuer gave the same key again", format)
		}
		if r := f.run(ctx, name+"-3-fresh-key", format, channelArgs(env, p, player.Header, fresh.Token, fresh)); !r.played {
			t.Errorf("%s with a fresh key from the issuer after the first expired: %s (%s)", format, r.summary, r.log)
		} else {
			t.Logf("%s: a %v key played, was refused once expired, and a fresh key played (%s)", format, short, r.log)
		}
	}
}

// channelArgs are ffmpeg's input options and input for the title at p
// with token on channel ch (nil for a channel it does not know, or that
// k's format has not); k gives the forms (names, URL) and, by its format,
// the edge, token the key they carry (k's own, or a tampered one).
func channelArgs(env *demo.Env, p, ch, token string, k *demo.Key) []string {
	input := env.EdgeURL + p
	if k.Format == issuance.FormatCAT {
		input = env.CATEdgeURL + p
	}
	switch ch {
	case player.Header:
		return []string{"-headers", k.Header.Name + ": " + token + "\r\n", "-i", input}
	case player.Cookie:
		return []string{"-cookies", strings.ReplaceAll(k.Cookie, k.Token, token), "-i", input}
	case player.PathPrefix:
		if k.PrefixURL == "" {
			return nil
		}
		return []string{"-i", strings.Replace(k.PrefixURL, k.Token, token, 1)}
	case player.Query:
		if k.QueryURL != "" { // a CAT's url: the playback URL with the CAT query
			return []string{"-i", strings.Replace(k.QueryURL, k.Token, token, 1)}
		}
		return []string{"-i", input + "?" + strings.ReplaceAll(k.Query, k.Token, token)}
	}
	return nil
}

type ffmpegRunner struct {
	t   *testing.T
	exe string
	dir string
	env *demo.Env
}

// ffmpegRun is what one run did.
type ffmpegRun struct {
	played    bool     // exited 0 and decoded the whole title
	forbidden bool     // an HTTP 403 is in its output
	requested []string // the URLs it opened after its input, in order
	summary   string   // exit status and frames decoded per stream
	log       string   // the artefact with its output
}

// hang bounds one run: it takes about a second.
const hang = time.Minute

// run plays the input args give (format: HLS or DASH) with ffmpeg,
// decoding every stream of every rendition (-map 0) to frame checksums,
// and saves its output, tokens redacted, as <dir>/<name>.log.
func (f *ffmpegRunner) run(ctx context.Context, name, format string, input []string) ffmpegRun {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(ctx, hang)
	defer cancel()
	args := append([]string{"-nostdin", "-hide_banner", "-v", "verbose", "-user_agent", ffmpegUA}, input...)
	args = append(args, "-map", "0", "-f", "framecrc", "-")
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, f.exe, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start).Round(10 * time.Millisecond)

	frames, kinds := countFrames(stdout.Bytes())
	var exit error
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		exit = fmt.Errorf("exit status %d", ee.ExitCode())
	case ctx.Err() != nil:
		exit = fmt.Errorf("no end after %v", hang)
	default:
		f.t.Fatalf("running ffmpeg: %v", err)
	}
	r := ffmpegRun{forbidden: forbidden.Match(stderr.Bytes()), log: filepath.Join(f.dir, name+".log")}
	for _, m := range opened.FindAllSubmatch(stderr.Bytes(), -1) {
		r.requested = append(r.requested, string(m[1]))
	}
	video, audio := 0, 0
	played := exit == nil
	var counts []string
	for i := 0; i < len(frames); i++ {
		counts = append(counts, fmt.Sprintf("%s %d", kinds[i], frames[i]))
		switch kinds[i] {
		case "video":
			video++
			played = played && frames[i] >= videoFrames
		case "audio":
			audio++
			played = played && frames[i] >= audioFrames
		}
	}
	r.played = played && video == 2 && audio >= 1
	status := "exit 0"
	if exit != nil {
		status = exit.Error()
	}
	if r.forbidden {
		status += ", HTTP 403 in its output"
	}
	r.summary = fmt.Sprintf("%s, %d streams decoded [%s] in %v", status, len(frames), strings.Join(counts, ", "), took)

	var out bytes.Buffer
	fmt.Fprintf(&out, "# %s through the edge: ffmpeg %s\n# %s\n\n", format, strings.Join(quoteArgs(args), " "), r.summary)
	out.Write(stderr.Bytes())
	if err := os.WriteFile(r.log, []byte(redact(out.String())), 0o644); err != nil {
		f.t.Fatal(err)
	}
	return r
}

// forbidden is how ffmpeg's HTTP protocol reports a 403 ("HTTP error 403
// Forbidden", "Server returned 403 Forbidden (access denied)").
var forbidden = regexp.MustCompile(`(?m)(HTTP error|Server returned) 403\b`)

// opened is how ffmpeg's HLS and DASH demuxers log the URLs they open
// after the input (-v verbose): playlists and segments.
var opened = regexp.MustCompile(`(?m)\[(?:hls|dash) @ [^\]]+\] (?:Opening|(?:HLS|DASH) request for url) '([^']+)'`)

// droppedQuery reports whether ffmpeg opened URLs resolved from the
// manifest, and none carried the query q (<name>=<token>).
func droppedQuery(requested []string, q string) bool {
	name, _, _ := strings.Cut(q, "=")
	for _, u := range requested {
		if strings.Contains(u, name+"=") {
			return false
		}
	}
	return len(requested) > 0
}

func redactAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = redact(s)
	}
	return out
}

// countFrames reads framecrc's output: "#media_type N: video" headers,
// then a line per decoded frame starting with its stream index.
func countFrames(out []byte) ([]int, []string) {
	var frames []int
	var kinds []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		var i int
		var kind string
		if _, err := fmt.Sscanf(line, "#media_type %d: %s", &i, &kind); err == nil {
			for len(kinds) <= i {
				kinds, frames = append(kinds, ""), append(frames, 0)
			}
			kinds[i] = kind
			continue
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		if _, err := fmt.Sscanf(strings.SplitN(line, ",", 2)[0], "%d", &i); err == nil && i >= 0 && i < len(frames) {
			frames[i]++
		}
	}
	return frames, kinds
}

// redact hides stream keys, ss1 and CAT, in a URL, a header or a cookie:
// they never reach an artefact.
func redact(s string) string { return player.Redact(s) }

func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, " \r\n;'") {
			a = fmt.Sprintf("%q", a)
		}
		out[i] = a
	}
	return out
}

// What the test reads of ffmpeg's output, on lines ffmpeg 5.1 wrote.
func TestFFmpegOutput(t *testing.T) {
	frames, kinds := countFrames([]byte("#tb 0: 1/12\n#media_type 0: video\n#media_type 1: audio\n#codec_id 1: pcm_s16le\n" +
		"0,          0,          0,        1,    86400, 0x1\n1,          0,          0,     1024,     2048, 0x2\n0,          1,          1,        1,    86400, 0x3\n"))
	if fmt.Sprint(frames, kinds) != "[2 1] [video audio]" {
		t.Errorf("countFrames: %v %v", frames, kinds)
	}
	log := []byte("[hls @ 0x5607ffc6b9c0] Opening 'http://e/videos/demo/180p/index.m3u8' for reading\n" +
		"[http @ 0x5607ffc748c0] HTTP error 403 Forbidden\n" +
		"[dash @ 0x56020955a9c0] DASH request for url 'http://e/videos/demo/dash/init-0.mp4?stream_token=x', offset 0\n")
	var got []string
	for _, m := range opened.FindAllSubmatch(log, -1) {
		got = append(got, string(m[1]))
	}
	if !forbidden.Match(log) || forbidden.Match([]byte("HTTP error 404 Not Found\n")) {
		t.Error("forbidden does not tell a 403 from a 404")
	}
	if len(got) != 2 || !droppedQuery(got[:1], "stream_token=x") || droppedQuery(got, "stream_token=x") || droppedQuery(nil, "stream_token=x") {
		t.Errorf("opened: %q", got)
	}
	for _, line := range []string{"-headers x-stream-token: ss1.k1.abc.def.ghi\r\n", `-headers "cta-common-access-token: 0oRDabc\r\n"`,
		"-cookies cta-common-access-token=0oRDabc; Path=/", "Opening 'http://e/videos/demo/master.m3u8?CAT=0oRDabc' for reading"} {
		if s := redact(line); strings.Contains(s, "abc") {
			t.Errorf("redact: %q", s)
		}
	}
}
