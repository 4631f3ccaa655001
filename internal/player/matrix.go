package player

import (
	"fmt"
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

// Cell is one player × format × channel: whether a stream plays through
// the edge with the key in that channel, and how. Each player's test
// plays every cell of its player and fails when the outcome differs from
// Works; TestGuideMatrix fails when the delivery-channels guide's table is
// not Table(). So the guide says what the tests saw.
type Cell struct {
	Player  string // HLSJS, DashJS, Shaka, FFmpeg
	Format  string // "HLS" or "DASH"
	Channel string // Header, PathPrefix, Query, Cookie
	Works   bool
	How     string // how the player carries the key, or why it does not (Markdown, one line)
}

// Matrix is every cell a test proves: the web players' rows by
// TestPlayerThroughEdge (player_test.go), ffmpeg's by its own test.
var Matrix = []Cell{
	{HLSJS, "HLS", Header, true, "`xhrSetup`: `xhr.setRequestHeader(name, key)` on every request"},
	{HLSJS, "HLS", PathPrefix, true, "the issuer's `url` as the source: relative URIs keep `/t/<key>/`"},
	{HLSJS, "HLS", Query, false, "403 on the variant playlists: resolving a relative URI drops the query"},
	{DashJS, "DASH", Header, true, "`addRequestInterceptor`: `request.headers[name] = key` on every request"},
	{DashJS, "DASH", PathPrefix, true, "the issuer's `url` as the source: relative URIs keep `/t/<key>/`"},
	{DashJS, "DASH", Query, false, "403 on the segments (the init segment first): resolving a relative URI drops the query"},
	{Shaka, "HLS", Header, true, "`registerRequestFilter`: `request.headers[name] = key` on every request"},
	{Shaka, "HLS", PathPrefix, true, "the issuer's `url` as the source: relative URIs keep `/t/<key>/`"},
	{Shaka, "HLS", Query, false, "403 on the variant playlists: resolving a relative URI drops the query"},
	{Shaka, "DASH", Header, true, "`registerRequestFilter`: `request.headers[name] = key` on every request"},
	{Shaka, "DASH", PathPrefix, true, "the issuer's `url` as the source: relative URIs keep `/t/<key>/`"},
	{Shaka, "DASH", Query, false, "403 on the segments (the init segment first): resolving a relative URI drops the query"},
	// ffmpeg: internal/demo/ffmpeg_test.go
	{FFmpeg, "HLS", Header, true, "`-headers 'x-stream-token: <key>'`, sent with every playlist and segment"},
	{FFmpeg, "HLS", Cookie, true, "`-cookies` with the issuer's `cookie` (a `Set-Cookie` line: its `Path=/` is needed)"},
	{FFmpeg, "HLS", PathPrefix, true, "the issuer's `url` as the input: relative URIs keep `/t/<key>/`"},
	{FFmpeg, "HLS", Query, false, "403 on the variant playlists: resolving a relative URI drops the query"},
	{FFmpeg, "DASH", Header, true, "`-headers 'x-stream-token: <key>'`, sent with the MPD and every segment"},
	{FFmpeg, "DASH", Cookie, true, "`-cookies` with the issuer's `cookie` (a `Set-Cookie` line: its `Path=/` is needed)"},
	{FFmpeg, "DASH", PathPrefix, true, "the issuer's `url` as the input: relative URIs keep `/t/<key>/`"},
	{FFmpeg, "DASH", Query, false, "403 on the init segments: resolving a relative URI drops the query"},
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
	b.WriteString("| player | format | channel | plays | how |\n|---|---|---|---|---|\n")
	for _, c := range Matrix {
		works := "no"
		if c.Works {
			works = "yes"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", c.Player, c.Format, c.Channel, works, c.How)
	}
	return b.String()
}
