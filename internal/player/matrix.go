package player

import (
	"fmt"
	"regexp"
	"strings"
)

// The delivery channels, as the edge function and the issuer's settings
// name them.
const (
	Header     = "header"
	PathPrefix = "path prefix"
	Query      = "query"
	Cookie     = "cookie"
)

// The players of the matrix.
const (
	HLSJS  = "hls.js"
	DashJS = "dash.js"
	Shaka  = "Shaka Player"
	FFmpeg = "ffmpeg"
)

// The token formats of the matrix: ss1 at the demo's first distribution,
// the Common Access Token (CTA-5007) at its second, from the CAT issuer.
const (
	SS1 = "ss1"
	CAT = "CAT"
)

// Cell is one player × token format × media format × channel: whether a
// stream plays through the edge with the key in that channel, and how.
// Each player's test plays every cell of its player and fails when the
// outcome differs from Works; TestGuideMatrix fails when the
// delivery-channels guide's table is not Table(). So the guide says what
// the tests saw.
type Cell struct {
	Player  string // HLSJS, DashJS, Shaka, FFmpeg
	Token   string // SS1 or CAT
	Format  string // "HLS" or "DASH"
	Channel string // Header, PathPrefix, Query, Cookie
	Works   bool
	How     string // how the player carries the key, or why it does not (Markdown, one line)
}

// Matrix is every cell a test proves: the web players' rows by
// TestPlayerThroughEdge (player_test.go), ffmpeg's by its own test. A CAT
// has no path-prefix channel (a CAT validator reads the header, the query
// and the cookie only), so no CAT cell has one.
var Matrix = []Cell{
	{HLSJS, SS1, "HLS", Header, true, "`xhrSetup`: `xhr.setRequestHeader(name, key)` on every request"},
	{HLSJS, SS1, "HLS", PathPrefix, true, "the issuer's `url` as the source: relative URIs keep `/t/<key>/`"},
	{HLSJS, SS1, "HLS", Query, false, "403 on the variant playlists: resolving a relative URI drops the query"},
	{HLSJS, CAT, "HLS", Header, true, "`xhrSetup` as for ss1, with the issuer's `header` (`cta-common-access-token`)"},
	{HLSJS, CAT, "HLS", Query, false, "403 on the variant playlists: resolving a relative URI drops `?CAT=`"},
	{DashJS, SS1, "DASH", Header, true, "`addRequestInterceptor`: `request.headers[name] = key` on every request"},
	{DashJS, SS1, "DASH", PathPrefix, true, "the issuer's `url` as the source: relative URIs keep `/t/<key>/`"},
	{DashJS, SS1, "DASH", Query, false, "403 on the segments (the init segment first): resolving a relative URI drops the query"},
	{DashJS, CAT, "DASH", Header, true, "`addRequestInterceptor` as for ss1, with the issuer's `header` (`cta-common-access-token`)"},
	{DashJS, CAT, "DASH", Query, false, "403 on the segments (the init segment first): resolving a relative URI drops `?CAT=`"},
	{Shaka, SS1, "HLS", Header, true, "`registerRequestFilter`: `request.headers[name] = key` on every request"},
	{Shaka, SS1, "HLS", PathPrefix, true, "the issuer's `url` as the source: relative URIs keep `/t/<key>/`"},
	{Shaka, SS1, "HLS", Query, false, "403 on the variant playlists: resolving a relative URI drops the query"},
	{Shaka, SS1, "DASH", Header, true, "`registerRequestFilter`: `request.headers[name] = key` on every request"},
	{Shaka, SS1, "DASH", PathPrefix, true, "the issuer's `url` as the source: relative URIs keep `/t/<key>/`"},
	{Shaka, SS1, "DASH", Query, false, "403 on the segments (the init segment first): resolving a relative URI drops the query"},
	{Shaka, CAT, "HLS", Header, true, "`registerRequestFilter` as for ss1, with the issuer's `header` (`cta-common-access-token`)"},
	{Shaka, CAT, "HLS", Query, false, "403 on the variant playlists: resolving a relative URI drops `?CAT=`"},
	{Shaka, CAT, "DASH", Header, true, "`registerRequestFilter` as for ss1, with the issuer's `header` (`cta-common-access-token`)"},
	{Shaka, CAT, "DASH", Query, false, "403 on the segments (the init segment first): resolving a relative URI drops `?CAT=`"},
	// ffmpeg: internal/demo/ffmpeg_test.go
	{FFmpeg, SS1, "HLS", Header, true, "`-headers 'x-stream-token: <key>'`, sent with every playlist and segment"},
	{FFmpeg, SS1, "HLS", Cookie, true, "`-cookies` with the issuer's `cookie` (a `Set-Cookie` line: its `Path=/` is needed)"},
	{FFmpeg, SS1, "HLS", PathPrefix, true, "the issuer's `url` as the input: relative URIs keep `/t/<key>/`"},
	{FFmpeg, SS1, "HLS", Query, false, "403 on the variant playlists: resolving a relative URI drops the query"},
	{FFmpeg, SS1, "DASH", Header, true, "`-headers 'x-stream-token: <key>'`, sent with the MPD and every segment"},
	{FFmpeg, SS1, "DASH", Cookie, true, "`-cookies` with the issuer's `cookie` (a `Set-Cookie` line: its `Path=/` is needed)"},
	{FFmpeg, SS1, "DASH", PathPrefix, true, "the issuer's `url` as the input: relative URIs keep `/t/<key>/`"},
	{FFmpeg, SS1, "DASH", Query, false, "403 on the init segments: resolving a relative URI drops the query"},
	{FFmpeg, CAT, "HLS", Header, true, "`-headers 'cta-common-access-token: <CAT>'`, sent with every playlist and segment"},
	{FFmpeg, CAT, "HLS", Cookie, true, "`-cookies` with the issuer's `cookie` (`cta-common-access-token=<CAT>; Path=/; ...`)"},
	{FFmpeg, CAT, "HLS", Query, false, "the issuer's `url` (`?CAT=`) opens the master playlist; 403 on the variant playlists: resolving a relative URI drops the query"},
	{FFmpeg, CAT, "DASH", Header, true, "`-headers 'cta-common-access-token: <CAT>'`, sent with the MPD and every segment"},
	{FFmpeg, CAT, "DASH", Cookie, true, "`-cookies` with the issuer's `cookie` (`cta-common-access-token=<CAT>; Path=/; ...`)"},
	{FFmpeg, CAT, "DASH", Query, false, "the issuer's `url` (`?CAT=`) opens the MPD; 403 on the init segments: resolving a relative URI drops the query"},
}

// Cells returns the cells of one player, in Matrix order.
func Cells(player string) []Cell {
	var out []Cell
	for _, c := range Matrix {
		if c.Player == player {
			out = append(out, c)
		}
	}
	return out
}

// Table renders Matrix as the guide's Markdown table: one row a cell, in
// Matrix order.
func Table() string {
	var b strings.Builder
	b.WriteString("| player | token | format | channel | plays | how |\n|---|---|---|---|---|---|\n")
	for _, c := range Matrix {
		works := "no"
		if c.Works {
			works = "yes"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", c.Player, c.Token, c.Format, c.Channel, works, c.How)
	}
	return b.String()
}

// tokens matches stream keys where the tests' logs and artefacts could
// show them: an ss1 key anywhere (ss1.<kid>.<payload>.<check>.<mac>), and
// a CAT (base64url, with no mark of its own) after the names it travels
// under: the CAT query parameter, the cta-common-access-token header
// (name: value) and cookie (name=value).
var tokens = regexp.MustCompile(`(ss1\.)[\w.-]+|((?i:\bCAT=|\bcta-common-access-token(?::[ \t]*|=)))[\w-]+`)

// Redact replaces every stream key in s, ss1 or CAT, by an ellipsis after
// its name: what the tests write to their logs and artefacts.
func Redact(s string) string { return tokens.ReplaceAllString(s, "${1}${2}…") }
