package provider

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/provider"

	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

// Issue 20, item 14: what the pages say about the provider is what it
// does. The Registry's front page (the provider's description) said the
// issuer and the edge function "are not released yet" when both were, and
// the issuer's Drift section said a function deleted outside Terraform
// drops the issuer from the state when the provider replaces it.

// docSentence is a sentence of a page, where it starts.
type docSentence struct {
	page string
	line int
	text string
}

func (s docSentence) String() string { return fmt.Sprintf("%s:%d: %q", s.page, s.line, s.text) }

// unreleasedPhrases say that something is not there yet.
var unreleasedPhrases = regexp.MustCompile(`(?i)\b(not (yet )?released|released yet|unreleased|coming soon|will (deploy|manage|support|be released)|not (yet )?available|available yet|not yet (implemented|supported))\b`)

// TestDocsNameNothingUnreleased fails on a sentence of the documentation
// (docs/, templates/, README.md, and the provider's and each resource's
// description, which the front page and the resource pages are made of)
// that says something this provider has is not released yet: a resource,
// data source or ephemeral resource by its type name, or one of the
// things they deploy.
func TestDocsNameNothingUnreleased(t *testing.T) {
	names := providerTypeNames(t)
	things := append(slices.Clone(names), "issuer", "edge function", "key ring", "stream key", "provider")
	var bad []string
	for _, s := range docSentences(t) {
		phrase := unreleasedPhrases.FindString(s.text)
		if phrase == "" {
			continue
		}
		lower := strings.ToLower(s.text)
		for _, n := range things {
			if strings.Contains(lower, n) {
				bad = append(bad, fmt.Sprintf("%s\n    says %q of %s, which the provider has (%s)", s, phrase, n, strings.Join(names, ", ")))
				break
			}
		}
	}
	if len(bad) > 0 {
		t.Errorf("pages say that what the provider has is not released:\n%s", strings.Join(bad, "\n"))
	}
}

// docClaim is a behaviour a page describes that a test checks.
type docClaim struct {
	page    string         // the page (a path from the repository root)
	section string         // its section ("## Drift")
	about   *regexp.Regexp // the sentence that describes the behaviour
	wrong   *regexp.Regexp // what the test contradicts
	right   *regexp.Regexp // what the test shows
	test    string         // the test, in internal/provider
	does    string         // what it shows
}

var docClaims = func() []docClaim {
	deleted := docClaim{
		section: "## Drift",
		about:   regexp.MustCompile(`(?i)\bfunction\b[^.]*\b(deleted|removed) outside Terraform`),
		wrong:   regexp.MustCompile(`(?i)\b(removes|drops|forgets|deletes)\b[^.]*\bfrom the state\b|\bdelete its role\b`),
		right:   regexp.MustCompile(`(?i)\breplaces?\b`),
		test:    "TestAccIssuer_functionDeleted",
		does: "after the function is deleted outside Terraform, the plan replaces the issuer (ResourceActionDestroyBeforeCreate) " +
			"and the apply makes the function again",
	}
	var out []docClaim
	for _, page := range []string{"templates/resources/issuer.md.tmpl", "docs/resources/issuer.md"} {
		c := deleted
		c.page = page
		out = append(out, c)
	}
	return out
}()

// TestDocsClaimsMatchTests fails when a page describes a behaviour
// otherwise than the test that checks it: it names the sentence and the
// test.
func TestDocsClaimsMatchTests(t *testing.T) {
	root := testenv.RepoRoot(t)
	tests := testFuncs(t, root)
	for _, c := range docClaims {
		if !tests[c.test] {
			t.Errorf("%s: the claim about %q is checked against %s, which is not a test of internal/provider any more", c.page, c.about, c.test)
			continue
		}
		b, err := os.ReadFile(filepath.Join(root, c.page))
		if err != nil {
			t.Fatal(err)
		}
		text, first := section(string(b), c.section)
		if text == "" {
			t.Errorf("%s has no section %q", c.page, c.section)
			continue
		}
		found := false
		for _, s := range sentences(c.page, text, first) {
			if !c.about.MatchString(s.text) {
				continue
			}
			found = true
			if w := c.wrong.FindString(s.text); w != "" || !c.right.MatchString(s.text) {
				t.Errorf("%s\n    contradicts %s (%s)", s, c.test, c.does)
			}
		}
		if !found {
			t.Errorf("%s, %s: no sentence says what %s checks (%s); it must", c.page, c.section, c.test, c.does)
		}
	}
}

// Each check catches what it is for: the sentences the pages had.
func TestDocsChecksCatchTheOldSentences(t *testing.T) {
	old := "The resources that deploy the issuer (a Lambda function behind API Gateway, `securestream_issuer`) and the " +
		"CloudFront Function that checks every manifest and segment request (`securestream_function`) are not released yet."
	if !unreleasedPhrases.MatchString(old) {
		t.Errorf("the front page's old sentence passes: %q", old)
	}
	if readme := "* the **provider** that will deploy both, rotates the keys, and mints test keys during plan and apply."; !unreleasedPhrases.MatchString(readme) {
		t.Errorf("the README's old sentence passes: %q", readme)
	}
	if unreleasedPhrases.MatchString("The apply waits until the function is `Active` and its last update `Successful`.") {
		t.Error("a sentence about what the provider does fails")
	}
	drift := "A function deleted outside Terraform removes the issuer from the state; delete its role and log group before applying again."
	c := docClaims[0]
	if !c.about.MatchString(drift) || (!c.wrong.MatchString(drift) && c.right.MatchString(drift)) {
		t.Errorf("the Drift section's old sentence passes: %q", drift)
	}
	fixed := "A function deleted outside Terraform replaces the issuer at the next apply."
	if !c.about.MatchString(fixed) || c.wrong.MatchString(fixed) || !c.right.MatchString(fixed) {
		t.Errorf("a sentence that says what the test shows fails: %q", fixed)
	}
}

// providerTypeNames are the type names of the provider's resources, data
// sources and ephemeral resources.
func providerTypeNames(t *testing.T) []string {
	t.Helper()
	var names []string
	for _, rt := range registeredSchemas(t) {
		names = append(names, rt.name)
	}
	slices.Sort(names)
	names = slices.Compact(names)
	if len(names) < 3 {
		t.Fatalf("the provider has only %v", names)
	}
	return names
}

// docSentences are the sentences of docs/, templates/, README.md and of
// the provider's and resources' descriptions.
func docSentences(t *testing.T) []docSentence {
	t.Helper()
	root := testenv.RepoRoot(t)
	var pages []string
	for _, dir := range []string{"docs", "templates"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".md") || strings.HasSuffix(p, ".md.tmpl")) {
				pages = append(pages, p)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	pages = append(pages, filepath.Join(root, "README.md"))
	var out []docSentence
	for _, p := range pages {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, p)
		out = append(out, sentences(rel, string(b), 1)...)
	}
	if len(out) < 100 {
		t.Fatalf("only %d sentences found under %s", len(out), root)
	}
	ctx := context.Background()
	p := New("test", "none")().(*securestreamProvider)
	var ps provider.SchemaResponse
	p.Schema(ctx, provider.SchemaRequest{}, &ps)
	out = append(out, sentences("provider.go (the provider's description)", ps.Schema.MarkdownDescription, 1)...)
	for _, rt := range registeredSchemas(t) {
		if rt.kind == "resource" {
			out = append(out, sentences(rt.name+"'s description", rt.schema.FieldByName("MarkdownDescription").String(), 1)...)
		}
	}
	return out
}

var (
	listItem    = regexp.MustCompile(`^\s*([*-]|\d+\.)\s`)
	sentenceEnd = regexp.MustCompile(`[.!?](\s+|$)`)
)

// sentences splits Markdown text into sentences, outside code blocks: a
// paragraph, a list item or a heading ends one too. first is the number
// of text's first line.
func sentences(page, text string, first int) []docSentence {
	var out []docSentence
	var para []string
	var lines []int // the line of each of para
	flush := func() {
		offset := 0
		for i, l := range para {
			for len(l) > 0 {
				loc := sentenceEnd.FindStringIndex(l)
				end := len(l)
				if loc != nil {
					end = loc[1]
				}
				if offset == 0 {
					out = append(out, docSentence{page: page, line: lines[i]})
				}
				last := &out[len(out)-1]
				last.text = strings.TrimSpace(last.text + " " + strings.TrimSpace(l[:end]))
				offset = len(last.text)
				if loc != nil {
					offset = 0 // the next starts a sentence
				}
				l = strings.TrimSpace(l[end:])
			}
		}
		para, lines = nil, nil
	}
	fence := false
	for i, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trimmed, "```"):
			flush()
			fence = !fence
			continue
		case fence:
			continue
		case trimmed == "" || strings.HasPrefix(trimmed, "#") || listItem.MatchString(line) || strings.HasPrefix(trimmed, "|"):
			flush()
		}
		if trimmed != "" {
			para, lines = append(para, trimmed), append(lines, first+i)
		}
	}
	flush()
	return out
}

// section is the part of a Markdown page under the heading (up to the next
// heading of the same or a higher level), and the number of its first
// line; "" when the page has no such heading.
func section(text, heading string) (string, int) {
	lines := strings.Split(text, "\n")
	level := strings.Count(strings.Fields(heading)[0], "#")
	for i, l := range lines {
		if strings.TrimSpace(l) != heading {
			continue
		}
		end, fence := len(lines), false
		for j := i + 1; j < len(lines); j++ {
			if strings.HasPrefix(strings.TrimSpace(lines[j]), "```") {
				fence = !fence
			}
			if f := strings.Fields(lines[j]); !fence && len(f) > 0 && strings.Trim(f[0], "#") == "" && len(f[0]) <= level {
				end = j
				break
			}
		}
		return strings.Join(lines[i+1:end], "\n"), i + 2
	}
	return "", 0
}

// testFuncs are the names of the tests of internal/provider.
func testFuncs(t *testing.T, root string) map[string]bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, "internal", "provider", "*_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^func (Test\w+)\(t \*testing\.T\)`)
	out := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			out[m[1]] = true
		}
	}
	return out
}
