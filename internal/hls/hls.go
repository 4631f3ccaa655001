// Package hls reads what a player reads of an HLS playlist: the URIs of
// its variants or segments, resolved against the playlist's URL. The demo
// and the soak test's simulated players walk playlists with it.
package hls

import (
	"bufio"
	"bytes"
	"fmt"
	"net/url"
	"strings"
)

// URIs returns a playlist's URI lines: every line that is neither blank
// nor a tag or comment.
func URIs(playlist []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(playlist))
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out
}

// Resolve resolves a playlist's URI against the playlist's URL, as a
// player does: a relative URI keeps the playlist's directory (and so a
// path-prefix key) and drops its query.
func Resolve(base, ref string) (string, error) {
	b, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	r, err := url.Parse(ref)
	if err != nil {
		return "", fmt.Errorf("the playlist's URI %q: %w", ref, err)
	}
	return b.ResolveReference(r).String(), nil
}
