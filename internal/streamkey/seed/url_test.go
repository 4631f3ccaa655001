package seed

import (
	"encoding/json"
	"testing"

	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

// URLHostPath must give what node's new URL() gives, since the original
// issuer signed those strings.
func TestURLHostPathMatchesNode(t *testing.T) {
	urls := []string{
		"https://d111111abcdef8.cloudfront.net/transcoded-out/high/index.m3u8",
		"https://media.example.com/vod/ünï/index.m3u8",
		"https://Media.Example.COM:443/a/b/c/progressive.mp4?x=1#frag",
		"http://media.example.com:8080/live/ch1/index.mpd",
		"https://media.example.com",
		"https://media.example.com?x",
		"https://media.example.com#x",
		"https://user:pass@media.example.com/a/",
		"https://a@b@media.example.com/a/",
		`https:\\media.example.com\vod\x\index.m3u8`,
		"https:///media.example.com/a",
		"https:media.example.com/a",
		"  https://media.example.com/a  ",
		"https://media.exa\tmple.com/a\nb/c\rd",
		"https://media.example.com/a/./b/../c/index.m3u8",
		"https://media.example.com/a/%2e/b/%2E%2e/c/.%2e/d",
		"https://media.example.com/a/..",
		"https://media.example.com/a/.",
		"https://media.example.com/..",
		"https://media.example.com/a b/\"q\"/<x>/`y`/{z}/|^~",
		"https://media.example.com/%zz/%2f/%41/%e2%9c%93",
		"https://media.example.com/a;b=c/d",
		"https://media.example.com/\x7f\x01",
		"https://media.example.com/a//b///c",
		"https://media.example.com/✓/🎬.m3u8",
		"https://müller.example/ü",
		"https://MÜLLER.example/x",
		"https://xn--mller-kva.example/x",
		"https://ex%41mple.com/x",
		"https://media.example.com./x",
		"http://[2001:0db8:0:0:0:0:0:1]/x",
		"http://[::ffff:192.0.2.1]:8080/x",
		"http://192.0.2.1/x",
		"HTTPS://MEDIA.EXAMPLE.COM/X",
	}
	in, _ := json.Marshal(urls)
	out := testenv.RunNode(t, in, "-e", `
const urls = JSON.parse(require('fs').readFileSync(0, 'utf8'));
process.stdout.write(JSON.stringify(urls.map(u => { try { const x = new URL(u); return [x.hostname, x.pathname]; } catch (e) { return null; } })));
`)
	var want [][]string
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	for i, u := range urls {
		host, path, err := URLHostPath(u)
		if want[i] == nil {
			if err == nil {
				t.Errorf("%q: node refuses it, Go gives %q %q", u, host, path)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v (node gives %q)", u, err, want[i])
			continue
		}
		if host != want[i][0] || path != want[i][1] {
			t.Errorf("%q:\n  Go   %q %q\n  node %q %q", u, host, path, want[i][0], want[i][1])
		}
	}
}

func TestURLHostPathRefuses(t *testing.T) {
	for _, u := range []string{
		"", "media.example.com/a", "/a/b", "javascript:alert(1)", "ftp://media.example.com/a", "file:///etc/passwd",
		"https://", "https:///", "https://[2001:db8::1/x", "https://a:b:c/x", "https://media.example.com:80a/x",
		"https://1.2.3.04/x", "https://0x7f.1/x", "https://a<b/x",
	} {
		if h, p, err := URLHostPath(u); err == nil {
			t.Errorf("%q: accepted as %q %q", u, h, p)
		}
	}
}
