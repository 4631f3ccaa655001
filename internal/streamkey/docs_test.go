package streamkey

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

// The format guide quotes an example token and the size limits; they must
// stay true.
func TestFormatGuide(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "templates", "guides", "token-format.md"))
	if err != nil {
		t.Fatal(err)
	}
	guide := string(b)
	ring := must[*Ring](t)(NewRing(Key{ID: "2026a", Secret: []byte("example-secret-of-at-least-32-bytes!")}))
	issued := time.Unix(1_767_225_600, 0)
	tok := must[string](t)(ring.Mint("2026a", Grant{
		Expires: issued.Add(time.Hour), NotBefore: issued, Paths: []string{"/vod/movie-42/*"}, Host: "media.example.com",
		IPBinding: IPSubnet, ClientIP: "203.0.113.9", BindUserAgent: true, UserAgent: "ExoPlayerLib/2.19.1", SessionID: "sess-42",
	}))
	if !strings.Contains(guide, "\n"+tok+"\n") {
		t.Errorf("the guide's example token is not what Mint gives today:\n%s", tok)
	}
	m := regexp.MustCompile(`longest well-formed token is ([0-9,]+)`).FindStringSubmatch(guide)
	if n, _ := strconv.Atoi(strings.ReplaceAll(m[1], ",", "")); m == nil || n != MaxTokenLen {
		t.Errorf("the guide gives the longest token as %v; MaxTokenLen is %d", m, MaxTokenLen)
	}
	for _, r := range Reasons() {
		if !strings.Contains(guide, "`"+r.String()+"`") {
			t.Errorf("the guide does not document reason %s", r)
		}
	}
}
