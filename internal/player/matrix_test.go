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

// Every cell is a known player, format and channel, once; every player
// plays on some channel; and How fits in a table cell.
func TestMatrixCells(t *testing.T) {
	formats := map[string]bool{"HLS": true, "DASH": true}
	channels := map[string]bool{Header: true, PathPrefix: true, Query: true, Cookie: true}
	players := map[string]bool{HLSJS: true, DashJS: true, Shaka: true, FFmpeg: true}
	seen := map[[3]string]bool{}
	works := map[string]bool{}
	for _, c := range Matrix {
		k := [3]string{c.Player, c.Format, c.Channel}
		if !players[c.Player] || !formats[c.Format] || !channels[c.Channel] {
			t.Errorf("%v: unknown player, format or channel", k)
		}
		if seen[k] {
			t.Errorf("%v: twice in Matrix", k)
		}
		seen[k] = true
		if c.How == "" || strings.ContainsAny(c.How, "|\n") {
			t.Errorf("%v: How %q must be one line without |", k, c.How)
		}
		works[c.Player] = works[c.Player] || c.Works
	}
	for _, p := range []string{HLSJS, DashJS, Shaka} {
		if len(Cells(p)) == 0 {
			t.Errorf("Matrix has no cell of %s", p)
		}
	}
	for p := range seen {
		if !works[p[0]] {
			t.Errorf("%s: no cell of Matrix plays", p[0])
		}
	}
	// A query cell that does not play: the guide's warning that relative
	// URIs drop the query rests on it.
	refused := false
	for _, c := range Matrix {
		refused = refused || c.Channel == Query && !c.Works
	}
	if !refused {
		t.Error("Matrix has no query cell that does not play")
	}
}
