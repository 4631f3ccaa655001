package player

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

// The guide whose matrix section is Table(), between the markers.
const (
	guide       = "templates/guides/delivery-channels.md"
	matrixStart = "<!-- matrix:start -->"
	matrixEnd   = "<!-- matrix:end -->"
)

// matrixInGuide returns an error, with the fix, unless doc holds Table()
// between the markers, each on a line of its own.
func matrixInGuide(doc string) error {
	_, rest, ok := strings.Cut(doc, "\n"+matrixStart+"\n")
	if !ok {
		return fmt.Errorf("%s has no line %s: put the matrix section there, with this table and the line %s after it:\n\n%s",
			guide, matrixStart, matrixEnd, Table())
	}
	got, _, ok := strings.Cut("\n"+rest, "\n"+matrixEnd+"\n")
	got = strings.TrimPrefix(got, "\n")
	if !ok {
		return fmt.Errorf("%s has no line %s after %s", guide, matrixEnd, matrixStart)
	}
	if want := strings.TrimSuffix(Table(), "\n"); got != want {
		return fmt.Errorf("the table between %s and %s in %s is not the one the tests prove (player.Matrix): replace it with\n\n%s",
			matrixStart, matrixEnd, guide, Table())
	}
	return nil
}

// The delivery-channels guide shows what the player tests prove: its
// matrix table is Table(), so it cannot drift from them.
func TestGuideMatrix(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), filepath.FromSlash(guide)))
	if err != nil {
		t.Fatal(err)
	}
	if err := matrixInGuide(string(doc)); err != nil {
		t.Fatal(err)
	}
}

// The guide's check fails on a guide without the markers, and on one
// whose table differs from Table() by a cell, and says what to paste.
func TestGuideMatrixCheckFails(t *testing.T) {
	table := strings.TrimSuffix(Table(), "\n")
	good := "# Guide\n\n" + matrixStart + "\n" + table + "\n" + matrixEnd + "\n\nmore\n"
	if err := matrixInGuide(good); err != nil {
		t.Fatalf("the guide with Table() between the markers: %v", err)
	}
	for name, doc := range map[string]string{
		"no markers":  "# Guide\n\n" + table + "\n",
		"no end":      "# Guide\n\n" + matrixStart + "\n" + table + "\n",
		"empty":       "# Guide\n\n" + matrixStart + "\n" + matrixEnd + "\n",
		"a cell off":  strings.Replace(good, "| yes |", "| no |", 1),
		"a row short": strings.Replace(good, table, table[:strings.LastIndex(table, "\n")], 1),
	} {
		err := matrixInGuide(doc)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if name != "no end" && !strings.Contains(err.Error(), Table()) {
			t.Errorf("%s: the error does not show the table to paste: %v", name, err)
		}
	}
}

// Every cell is a known player, token, format and channel, once; a CAT
// has no path-prefix cell; every player plays on some channel, with each
// token of its cells; and How fits in a table cell.
func TestMatrixCells(t *testing.T) {
	formats := map[string]bool{"HLS": true, "DASH": true}
	channels := map[string]bool{Header: true, PathPrefix: true, Query: true, Cookie: true}
	players := map[string]bool{HLSJS: true, DashJS: true, Shaka: true, FFmpeg: true}
	tokenFormats := map[string]bool{SS1: true, CAT: true}
	seen := map[[4]string]bool{}
	works := map[[2]string]bool{}
	for _, c := range Matrix {
		k := [4]string{c.Player, c.Token, c.Format, c.Channel}
		if !players[c.Player] || !tokenFormats[c.Token] || !formats[c.Format] || !channels[c.Channel] {
			t.Errorf("%v: unknown player, token, format or channel", k)
		}
		if c.Token == CAT && c.Channel == PathPrefix {
			t.Errorf("%v: a CAT has no path-prefix channel", k)
		}
		if seen[k] {
			t.Errorf("%v: twice in Matrix", k)
		}
		seen[k] = true
		if c.How == "" || strings.ContainsAny(c.How, "|\n") {
			t.Errorf("%v: How %q must be one line without |", k, c.How)
		}
		works[[2]string{c.Player, c.Token}] = works[[2]string{c.Player, c.Token}] || c.Works
	}
	for _, p := range []string{HLSJS, DashJS, Shaka, FFmpeg} {
		for _, tf := range []string{SS1, CAT} {
			if _, ok := works[[2]string{p, tf}]; !ok {
				t.Errorf("Matrix has no %s cell of %s", tf, p)
			}
		}
	}
	for p, ok := range works {
		if !ok {
			t.Errorf("%s with %s: no cell of Matrix plays", p[0], p[1])
		}
	}
	// A query cell that does not play, in each token format: the guide's
	// warning that relative URIs drop the query rests on them.
	refused := map[string]bool{}
	for _, c := range Matrix {
		refused[c.Token] = refused[c.Token] || c.Channel == Query && !c.Works
	}
	for _, tf := range []string{SS1, CAT} {
		if !refused[tf] {
			t.Errorf("Matrix has no %s query cell that does not play", tf)
		}
	}
}

// Redact hides ss1 keys anywhere and CATs after the names they travel
// under (query, header, cookie, in any case), in URLs, ffmpeg's quoted
// arguments and log lines, and keeps what is around them.
func TestRedact(t *testing.T) {
	const cat = "0oRDoQEFoQRCazFYHqYDeBg"
	for in, want := range map[string]string{
		"http://e/v/master.m3u8?CAT=" + cat:                    "http://e/v/master.m3u8?CAT=…",
		"http://e/v/master.m3u8?a=1&cat=" + cat + "&b=2":       "http://e/v/master.m3u8?a=1&cat=…&b=2",
		`-headers "cta-common-access-token: ` + cat + `\r\n"`:  `-headers "cta-common-access-token: …\r\n"`,
		"CTA-Common-Access-Token:" + cat:                       "CTA-Common-Access-Token:…",
		"-cookies cta-common-access-token=" + cat + "; Path=/": "-cookies cta-common-access-token=…; Path=/",
		"-headers x-stream-token: ss1.k1.abc.def.ghi\r\n":      "-headers x-stream-token: ss1.…\r\n",
		"http://e/t/ss1.k1.a-b.c_d.e/v/index.m3u8":             "http://e/t/ss1.…/v/index.m3u8",
		"stream_token=ss1.k1.abc.def.ghi&x=1":                  "stream_token=ss1.…&x=1",
		// Not a token: the words alone, and a name that only ends in cat.
		"CAT edge, cta-common-access-token header": "CAT edge, cta-common-access-token header",
		"bobcat=12": "bobcat=12",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}
