package demo

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/jwtverify"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

// A tampered key is still well-formed, claims an hour more, and fails
// the MAC: what the edge reports as bad_mac.
func TestTamper(t *testing.T) {
	ring, err := streamkey.NewRing(streamkey.Key{ID: "k1", Secret: bytes.Repeat([]byte{7}, 32), Created: time.Unix(1e9, 0)})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tok, err := ring.Mint("k1", streamkey.Grant{Expires: now.Add(time.Hour), Paths: []string{"/videos/demo/*"}, Host: PlaybackHost,
		IPBinding: streamkey.IPSubnet, ClientIP: "127.0.0.1", BindUserAgent: true, UserAgent: UserAgent})
	if err != nil {
		t.Fatal(err)
	}
	v := &streamkey.Verifier{Ring: ring}
	req := streamkey.Request{Now: now, Path: "/videos/demo/master.m3u8", Host: PlaybackHost, ClientIP: "127.0.0.1", UserAgent: UserAgent}
	if r := v.Verify(tok, req); !r.OK() {
		t.Fatalf("the genuine token: %v", r.Reason)
	}
	tampered, err := Tamper(tok)
	if err != nil {
		t.Fatal(err)
	}
	if r := v.Verify(tampered, req); r.Reason != streamkey.BadMAC {
		t.Errorf("the tampered token: %v, want bad_mac", r.Reason)
	}
	_, orig, _ := streamkey.Inspect(tok)
	_, edited, err := streamkey.Inspect(tampered)
	if err != nil || edited.Expires-orig.Expires != 3600 {
		t.Errorf("the tampered token's expiry: %v (err %v), want an hour after %v", edited.Expires, err, orig.Expires)
	}
	if _, err := Tamper("not-a-token"); err == nil {
		t.Error("Tamper accepted something that is not a token")
	}
}

// The demo player's JWT is what examples/local's issuer accepts.
func TestSignJWT(t *testing.T) {
	key := strings.Repeat("k", 64)
	v := &jwtverify.Verifier{HS256Key: []byte(key), Issuer: jwtIssuer, Audience: jwtAudience}
	if _, err := v.Verify(signJWT(key, time.Now()), time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(signJWT(key, time.Now().Add(-2*time.Hour)), time.Now()); err == nil {
		t.Error("a JWT signed two hours ago (it lives one) was accepted")
	}
	other := &jwtverify.Verifier{HS256Key: []byte(strings.Repeat("x", 64)), Issuer: jwtIssuer, Audience: jwtAudience}
	if _, err := other.Verify(signJWT(key, time.Now()), time.Now()); err == nil {
		t.Error("a JWT was accepted under another key")
	}
}

func TestOnEdge(t *testing.T) {
	got, err := onEdge("http://127.0.0.1/t/ss1.a.b.c.d/videos/demo/master.m3u8", "http://127.0.0.1:4599")
	if want := "http://127.0.0.1:4599/t/ss1.a.b.c.d/videos/demo/master.m3u8"; err != nil || got != want {
		t.Fatalf("onEdge: %q %v, want %q", got, err, want)
	}
}

func TestWriteTable(t *testing.T) {
	var b bytes.Buffer
	if !WriteTable(&b, []Row{{Request: "/a", Channel: "header", Key: "valid", Expected: "200", Got: "200"}}) {
		t.Error("a table whose rows all match is not OK")
	}
	b.Reset()
	if WriteTable(&b, []Row{{Request: "/a", Expected: "403 ip", Got: "200"}}) || !strings.Contains(b.String(), "<- differs") {
		t.Errorf("a differing row is not marked:\n%s", b.String())
	}
}

// The configuration is copied without its state or lock, with the CAT
// deployment beside it, and the CLI configuration points dev_overrides at
// the provider's directory.
func TestNewTerraform(t *testing.T) {
	src, tmp := t.TempDir(), t.TempDir()
	for name, body := range map[string]string{"main.tf": "# main\n", "terraform.tfstate": "{}", "notes.txt": "x"} {
		if err := os.WriteFile(filepath.Join(src, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(t.TempDir(), "my-provider")
	if err := os.WriteFile(bin, nil, 0o700); err != nil {
		t.Fatal(err)
	}
	tf, err := newTerraform("terraform", bin, src, tmp, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(tf.dir)
	if len(entries) != 2 || entries[0].Name() != catConfigName || entries[1].Name() != "main.tf" {
		t.Errorf("copied %v, want main.tf and %s alone", entries, catConfigName)
	}
	rc, _ := os.ReadFile(filepath.Join(tmp, "terraformrc"))
	override := filepath.Join(tmp, "provider-override")
	if !strings.Contains(string(rc), `"registry.terraform.io/securestream/securestream" = "`+override+`"`) {
		t.Errorf("the CLI configuration does not override the provider with %s:\n%s", override, rc)
	}
	if target, err := os.Readlink(filepath.Join(override, "terraform-provider-securestream")); err != nil || target != bin {
		t.Errorf("the override links to %q (%v), want %s", target, err, bin)
	}
	if _, err := newTerraform("terraform", bin, t.TempDir(), t.TempDir(), &bytes.Buffer{}); err == nil {
		t.Error("a directory without .tf files was accepted")
	}
}

// The player page carries the demo's settings as a JSON object in its
// script, and serves hls.js (or says how to install it).
func TestServePlayer(t *testing.T) {
	e := &Env{IssuerURL: "http://127.0.0.1:1/api/", JWT: "a.b.c", EdgeURL: "http://127.0.0.1:2", MasterPath: "/videos/demo/master.m3u8",
		progress: func(string, ...any) {}}
	page, err := e.ServePlayer()
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := e.Close(t.Context()); err != nil {
			t.Error(err)
		}
	}()
	get := func(u string) string {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", u, resp.StatusCode)
		}
		return string(b)
	}
	html := get(page)
	for _, want := range []string{`"issuer":"http://127.0.0.1:1/api/"`, `"edge":"http://127.0.0.1:2"`,
		`"playbackURL":"http://127.0.0.1/videos/demo/master.m3u8"`, `"playbackOrigin":"http://127.0.0.1"`, `"jwt":"a.b.c"`} {
		if !strings.Contains(html, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if js := get(page + "hls.min.js"); !strings.Contains(js, "Hls") && !strings.Contains(js, "make player-tools") {
		t.Errorf("hls.min.js is neither hls.js nor the note saying how to install it: %.80q", js)
	}
}
