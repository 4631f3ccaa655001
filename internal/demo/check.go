package demo

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/dash"
	"github.com/securestream/terraform-provider-securestream/internal/hls"
	"github.com/securestream/terraform-provider-securestream/internal/issuance"
	"github.com/securestream/terraform-provider-securestream/internal/local/origin"
)

// Row is one request of Check: what was asked, how, what the edge must
// answer and what it answered. A refusal is "403 <reason>", the reason
// being the edge function's x-stream-key-error (examples/local turns
// debug_reasons on).
type Row struct {
	Format   string // HLS or DASH; issuer for a request to the issuer
	Request  string // the path, with the key shown as <key>
	Channel  string // header, query, cookie, path prefix; none; origin; the issuer's route
	Key      string // valid, none, tampered, expired...
	Expected string
	Got      string
}

// OK reports whether the edge answered as expected.
func (r Row) OK() bool { return r.Expected == r.Got }

// The channels a key travels on, as the issuer's forms give it.
var channels = []string{"header", "query", "cookie", "path prefix"}

// otherAddress is a client address outside the /24 the key is bound to
// (TEST-NET-2); sameSubnet is inside it.
const (
	otherAddress = "198.51.100.23"
	sameSubnet   = "127.0.0.99"
)

// Check asks the issuer for a key and plays the demo title through the
// edge on every channel, as HLS (master playlist, its first variant
// playlist and that variant's segments) and, with a key asked for its
// MPD, as DASH (the MPD, and the init and media segments of its first
// video representation and of its audio). Then it makes the requests the
// edge must refuse: no key, another title's path, a tampered key, an
// expired key, another client address, and a variant playlist and a DASH
// init segment resolved from a manifest URL that had the key in its query
// (a player drops the query there). Last, it revokes a session through
// the issuer's admin route and shows the edge refusing it, and only it,
// once the revocation list has reached the edge (checkRevocation). Then
// the same in the Common Access Token format, on the CAT distribution's
// edge with CATs from the CAT issuer (checkCAT). It returns a row per
// request; an error means a request could not be made
// at all (the issuer refused a key, say).
func (e *Env) Check(ctx context.Context) ([]Row, error) {
	e.progress("asking the issuer for a key, as a player does (POST %s with the player's JWT)", e.IssuerURL)
	k, err := e.RequestKey(ctx, KeyRequest{})
	if err != nil {
		return nil, err
	}
	var rows []Row
	for _, ch := range channels {
		e.progress("playing %s through the edge, the key in the %s", e.MasterPath, ch)
		rows = append(rows, format("HLS", e.play(ctx, ch, k))...)
	}
	e.progress("asking the issuer for a key for %s", e.MPDPath)
	dk, err := e.RequestKey(ctx, KeyRequest{Path: e.MPDPath})
	if err != nil {
		return nil, err
	}
	for _, ch := range channels {
		e.progress("playing %s through the edge, the key in the %s", e.MPDPath, ch)
		rows = append(rows, format("DASH", e.playDASH(ctx, ch, dk))...)
	}

	e.progress("making the requests the edge must refuse")
	master := e.EdgeURL + e.MasterPath
	rows = append(rows, e.fetch(ctx, master, "none", nil, "none", nil, "403 missing"))
	// The query channel as a player that does not add the key to each
	// request uses it: the master playlist's URL has the key, and the
	// variant playlist's URL, resolved against it, has not.
	variant, err := firstVariant(e.MasterPath)
	if err != nil {
		return nil, err
	}
	if variant, err = hls.Resolve(master+"?"+k.Query, variant); err != nil {
		return nil, err
	}
	rows = append(rows, e.dropped(ctx, variant))
	// The other title is there (the origin serves it), and the key does
	// not open it.
	rows = append(rows, e.fetch(ctx, e.OriginURL+e.OtherMasterPath, "origin", nil, "none (the origin, not the edge)", nil, "200"))
	rows = append(rows, e.fetch(ctx, e.EdgeURL+e.OtherMasterPath, "header", k, "valid, for another title", nil, "403 path"))
	tampered, err := e.tampered(ctx, master, k)
	if err != nil {
		return nil, err
	}
	rows = append(rows, tampered)
	rows = append(rows, e.fetch(ctx, master, "header", k, "valid, from "+sameSubnet+" (same /24)",
		http.Header{"X-Forwarded-For": {sameSubnet}}, "200"))
	rows = append(rows, e.fetch(ctx, master, "header", k, "valid, from "+otherAddress,
		http.Header{"X-Forwarded-For": {otherAddress}}, "403 ip"))

	// The shortest lifetime the issuer gives is a second: ask for it, and
	// use the key once it has expired (the edge allows no leeway on expiry).
	e.progress("asking the issuer for a key that lives 1 s, and waiting for it to expire")
	short, err := e.RequestKey(ctx, KeyRequest{TTL: time.Second})
	if err != nil {
		return nil, err
	}
	select {
	case <-time.After(time.Until(short.ExpiresAt()) + 100*time.Millisecond):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	rows = append(rows, e.fetch(ctx, master, "header", short, "expired (asked to live 1 s)", nil, "403 expired"))
	rows = format("HLS", rows)

	refusals, err := e.refuseDASH(ctx, dk)
	if err != nil {
		return nil, err
	}
	rows = append(rows, format("DASH", refusals)...)

	revocation, err := e.checkRevocation(ctx)
	if err != nil {
		return nil, err
	}
	rows = append(rows, revocation...)

	cat, err := e.checkCAT(ctx, k)
	if err != nil {
		return nil, err
	}
	return append(rows, cat...), nil
}

// dropped requests u, resolved from a manifest URL that had the key in
// its query, as a player that does not add the key to each request does:
// without the key, which the edge refuses.
func (e *Env) dropped(ctx context.Context, u string) Row {
	row := e.fetch(ctx, u, "none", nil, "dropped: only the manifest URL had it (query)", nil, "403 missing")
	row.Channel = "query"
	return row
}

// format sets the Format of the rows that have none.
func format(f string, rows []Row) []Row {
	for i := range rows {
		if rows[i].Format == "" {
			rows[i].Format = f
		}
	}
	return rows
}

// firstVariant is the first variant URI of the origin's master playlist
// at p: the bytes the edge serves.
func firstVariant(p string) (string, error) {
	b, err := fs.ReadFile(origin.Files(), strings.TrimPrefix(p, "/"))
	if err != nil {
		return "", err
	}
	uris := hls.URIs(b)
	if len(uris) == 0 {
		return "", fmt.Errorf("the origin's %s has no variant", p)
	}
	return uris[0], nil
}

// playDASH fetches the MPD with k on channel ch, on k's edge (edgeOf),
// then the init segment
// and media segments of its first video representation and of its audio,
// resolving each URI against the MPD's URL as a player does (a relative
// URI keeps the path prefix and drops the query).
func (e *Env) playDASH(ctx context.Context, ch string, k *Key) []Row {
	mpd, row, body := e.open(ctx, e.MPDPath, ch, k, isMPD)
	rows := []Row{row}
	if !row.OK() {
		return rows
	}
	reps, err := dash.Representations(body)
	if err != nil {
		rows[0].Got = "200, but " + err.Error()
		return rows
	}
	for _, kind := range []string{"video", "audio"} {
		r, ok := firstOf(reps, kind)
		if !ok {
			rows[0].Got = "200, but no " + kind + " representation in it"
			return rows
		}
		for i, u := range append([]string{r.Init}, r.Media...) {
			valid := isFragment
			if i == 0 {
				valid = isInit
			}
			// URL resolution is RFC 3986's, for an MPD as for a playlist.
			rows = append(rows, e.getRelative(ctx, mpd, u, ch, k, valid))
		}
	}
	return rows
}

func firstOf(reps []dash.Representation, kind string) (dash.Representation, bool) {
	for _, r := range reps {
		if r.ContentType == kind {
			return r, true
		}
	}
	return dash.Representation{}, false
}

// refuseDASH makes the DASH requests the edge must refuse, with k the
// key for the MPD: a media segment without a key and with k tampered,
// and an init segment resolved from the MPD's URL with k in its query.
func (e *Env) refuseDASH(ctx context.Context, k *Key) ([]Row, error) {
	b, err := fs.ReadFile(origin.Files(), strings.TrimPrefix(e.MPDPath, "/"))
	if err != nil {
		return nil, err
	}
	reps, err := dash.Representations(b)
	if err != nil {
		return nil, fmt.Errorf("the origin's %s: %w", e.MPDPath, err)
	}
	mpd := e.EdgeURL + e.MPDPath
	seg, err := hls.Resolve(mpd, reps[0].Media[0])
	if err != nil {
		return nil, err
	}
	initSeg, err := hls.Resolve(mpd+"?"+k.Query, reps[0].Init)
	if err != nil {
		return nil, err
	}
	tampered, err := e.tampered(ctx, seg, k)
	if err != nil {
		return nil, err
	}
	return []Row{
		e.fetch(ctx, seg, "none", nil, "none", nil, "403 missing"),
		tampered,
		e.dropped(ctx, initSeg),
	}, nil
}

// tampered requests u with k tampered in the header: its expiry moved an
// hour later (Tamper, or TamperCAT for a CAT), which the edge refuses as
// bad_mac.
func (e *Env) tampered(ctx context.Context, u string, k *Key) (Row, error) {
	tamper, what := Tamper, "tampered (expiry moved an hour later)"
	if k.Format == issuance.FormatCAT {
		tamper, what = TamperCAT, "tampered (exp moved an hour later)"
	}
	token, err := tamper(k.Token)
	if err != nil {
		return Row{}, err
	}
	tk := *k
	tk.Header.Value = token
	return e.fetch(ctx, u, "header", &tk, what, nil, "403 bad_mac"), nil
}

// play fetches the master playlist with k on channel ch, on k's edge
// (edgeOf), then its first
// variant playlist and that variant's segments, resolving each URI as a
// player does (relative to the playlist: the path prefix carries over).
func (e *Env) play(ctx context.Context, ch string, k *Key) []Row {
	master, row, body := e.open(ctx, e.MasterPath, ch, k, isMaster)
	rows := []Row{row}
	if !row.OK() {
		return rows
	}
	variants := hls.URIs(body)
	if len(variants) == 0 {
		rows[0].Got = "200, but no variant in it"
		return rows
	}
	variant, err := hls.Resolve(master, variants[0])
	if err != nil {
		rows[0].Got = "200, but " + err.Error()
		return rows
	}
	row, body = e.get(ctx, variant, ch, k, "valid", nil, "200", isMedia)
	rows = append(rows, row)
	if !row.OK() {
		return rows
	}
	for _, s := range hls.URIs(body) {
		rows = append(rows, e.getRelative(ctx, variant, s, ch, k, isTS))
	}
	return rows
}

// open fetches the manifest at p as a player opens it with the valid key
// k (asked for p) on channel ch: on the path-prefix channel at the
// issuer's URL on the edge (k.PrefixURL), else at p on k's edge
// (edgeOf). It returns the URL, against which the manifest's URIs
// resolve, the row, and the body, which valid has checked.
func (e *Env) open(ctx context.Context, p, ch string, k *Key, valid func([]byte) string) (string, Row, []byte) {
	u := e.edgeOf(k) + p
	if ch == "path prefix" {
		u = k.PrefixURL
	}
	row, body := e.get(ctx, u, ch, k, "valid", nil, "200", valid)
	return u, row, body
}

// getRelative fetches uri, relative to the manifest at base, with the
// valid key k on channel ch, expecting 200 and a body valid says is right.
func (e *Env) getRelative(ctx context.Context, base, uri, ch string, k *Key, valid func([]byte) string) Row {
	seg, err := hls.Resolve(base, uri)
	if err != nil {
		return Row{Request: uri, Channel: ch, Key: "valid", Expected: "200", Got: err.Error()}
	}
	row, _ := e.get(ctx, seg, ch, k, "valid", nil, "200", valid)
	return row
}

// fetch is get for a request whose body does not matter.
func (e *Env) fetch(ctx context.Context, u, ch string, k *Key, key string, h http.Header, expected string) Row {
	row, _ := e.get(ctx, u, ch, k, key, h, expected, nil)
	return row
}

// get requests u with k on channel ch (none for none) and the extra
// headers h, as the key's player (its User-Agent), and checks a 200's
// body with valid when given.
func (e *Env) get(ctx context.Context, u, ch string, k *Key, key string, h http.Header, expected string, valid func([]byte) string) (Row, []byte) {
	row := Row{Request: u, Channel: ch, Key: key, Expected: expected}
	if ch == "query" {
		pu, err := url.Parse(u)
		if err != nil {
			row.Got = err.Error()
			return row, nil
		}
		if pu.RawQuery != "" {
			pu.RawQuery += "&"
		}
		pu.RawQuery += k.Query
		u = pu.String()
	}
	row.Request = e.shown(u, k)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		row.Got = err.Error()
		return row, nil
	}
	ua := UserAgent
	if k != nil {
		ua = k.UserAgent
	}
	req.Header.Set("User-Agent", ua)
	for name, vs := range h {
		req.Header[name] = vs
	}
	switch ch {
	case "header":
		req.Header.Set(k.Header.Name, k.Header.Value)
	case "cookie":
		req.Header.Set("Cookie", k.CookiePair())
	}
	resp, err := e.client.Do(req)
	if err != nil {
		row.Got = err.Error()
		return row, nil
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		row.Got = fmt.Sprintf("%d, reading the body: %v", resp.StatusCode, err)
		return row, nil
	}
	row.Got = fmt.Sprint(resp.StatusCode)
	if why := resp.Header.Get("X-Stream-Key-Error"); why != "" {
		row.Got += " " + why
	} else if local := resp.Header.Get("X-Local-Error"); local != "" {
		row.Got += " (" + local + ")" // the local CloudFront's own error
	}
	if resp.StatusCode == http.StatusOK && valid != nil {
		if bad := valid(body); bad != "" {
			row.Got += ", but " + bad
		}
	}
	return row, body
}

// shown writes u for the table: the path and query on an edge or the
// origin, keys (in the path or the query) as <key>.
func (e *Env) shown(u string, k *Key) string {
	for _, base := range []string{e.EdgeURL, e.CATEdgeURL, e.OriginURL} {
		// The bases differ in their port alone: :8080 is not :80.
		if base != "" && strings.HasPrefix(u, base+"/") {
			u = strings.TrimPrefix(u, base)
			break
		}
	}
	if k != nil {
		u = strings.ReplaceAll(u, k.Token, "<key>")
	}
	return u
}

func isMaster(b []byte) string {
	if !bytes.HasPrefix(b, []byte("#EXTM3U")) || !bytes.Contains(b, []byte("#EXT-X-STREAM-INF:")) {
		return "not a master playlist"
	}
	return ""
}

func isMedia(b []byte) string {
	if !bytes.HasPrefix(b, []byte("#EXTM3U")) || !bytes.Contains(b, []byte("#EXTINF:")) {
		return "not a media playlist"
	}
	return ""
}

func isMPD(b []byte) string {
	if !bytes.Contains(b, []byte("<MPD")) {
		return "not an MPD"
	}
	return ""
}

// isInit and isFragment check the first box of a fragmented MP4 file:
// an init segment starts with ftyp (then moov), a media segment with
// styp or moof.
func isInit(b []byte) string {
	if len(b) < 8 || string(b[4:8]) != "ftyp" || !bytes.Contains(b, []byte("moov")) {
		return "not an MP4 init segment"
	}
	return ""
}

func isFragment(b []byte) string {
	if len(b) < 8 || (string(b[4:8]) != "styp" && string(b[4:8]) != "moof") || !bytes.Contains(b, []byte("mdat")) {
		return "not an MP4 media segment"
	}
	return ""
}

func isTS(b []byte) string {
	if len(b) == 0 || len(b)%188 != 0 || b[0] != 0x47 {
		return "not MPEG-TS"
	}
	return ""
}

// WriteTable writes rows as a table, marking the rows that differ, and
// reports whether every row is as expected.
func WriteTable(w io.Writer, rows []Row) bool {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FORMAT\tREQUEST\tCHANNEL\tKEY\tEXPECTED\tGOT\t")
	ok := true
	for _, r := range rows {
		mark := ""
		if !r.OK() {
			mark, ok = "<- differs", false
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Format, r.Request, r.Channel, r.Key, r.Expected, r.Got, mark)
	}
	_ = tw.Flush()
	return ok
}
