package demo

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/securestream/terraform-provider-securestream/internal/cat"
)

// claimsOf decodes a CAT's claims without checking its MAC.
func claimsOf(t *testing.T, token string) map[int64]cbor.RawMessage {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		t.Fatal(err)
	}
	var tag cbor.RawTag
	if err := cbor.Unmarshal(raw, &tag); err != nil {
		t.Fatal(err)
	}
	if tag.Number == 61 {
		if err := cbor.Unmarshal(tag.Content, &tag); err != nil {
			t.Fatal(err)
		}
	}
	var parts []cbor.RawMessage
	var payload []byte
	var claims map[int64]cbor.RawMessage
	if tag.Number != 17 || cbor.Unmarshal(tag.Content, &parts) != nil || len(parts) != 4 ||
		cbor.Unmarshal(parts[2], &payload) != nil || cbor.Unmarshal(payload, &claims) != nil {
		t.Fatalf("not a COSE_Mac0 CAT: %x", raw)
	}
	return claims
}

// A tampered CAT says it expires an hour later, keeps every other claim,
// its envelope and key id, and is refused for its MAC alone; with and
// without the CWT tag. Anything else is refused as not a CAT.
func TestTamperCAT(t *testing.T) {
	ring, err := cat.NewRing(cat.Key{ID: "k1", Secret: bytes.Repeat([]byte{7}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	c := cat.Claims{Expires: now.Add(time.Hour), IssuedAt: now, ID: []byte("sess-1"),
		URI: []cat.URIMatch{{Component: cat.ComponentPath, Type: cat.MatchPrefix, Value: "/videos/demo/"}}}
	v := &cat.Verifier{Ring: ring}
	req := cat.Request{Now: now.Add(time.Minute), Scheme: "http", Method: "GET", Host: PlaybackHost, Path: "/videos/demo/master.m3u8", ClientIP: "127.0.0.1"}
	for _, cwt := range []bool{false, true} {
		tok, err := ring.Mint("k1", c, cat.MintOptions{CWTTag: cwt})
		if err != nil {
			t.Fatal(err)
		}
		if r := v.Verify(tok, req); !r.OK() {
			t.Fatalf("the minted CAT: %v", r.Err())
		}
		tampered, err := TamperCAT(tok)
		if err != nil {
			t.Fatal(err)
		}
		r := v.Verify(tampered, req)
		if r.Reason != cat.BadMAC || r.KeyID != "k1" {
			t.Errorf("CWT tag %v: the tampered CAT is refused for %v (kid %q), want bad_mac (kid k1)", cwt, r.Reason, r.KeyID)
		}
		was, is := claimsOf(t, tok), claimsOf(t, tampered)
		var exp int64
		if err := cbor.Unmarshal(is[4], &exp); err != nil || exp != now.Add(2*time.Hour).Unix() {
			t.Errorf("CWT tag %v: the tampered exp is %d (%v), want %d", cwt, exp, err, now.Add(2*time.Hour).Unix())
		}
		for key, val := range was {
			if key != 4 && !bytes.Equal(is[key], val) {
				t.Errorf("CWT tag %v: claim %d changed: %x, was %x", cwt, key, is[key], val)
			}
		}
		if len(is) != len(was) {
			t.Errorf("CWT tag %v: %d claims, was %d", cwt, len(is), len(was))
		}
	}
	for _, bad := range []string{"", "ss1.k1.ZT0x.abc.def", base64.RawURLEncoding.EncodeToString([]byte{0xd1, 0x80})} {
		if got, err := TamperCAT(bad); err == nil {
			t.Errorf("TamperCAT(%q) = %q, want an error", bad, got)
		}
	}
}

// The CAT deployment is added to a configuration that has none, and a
// configuration's own cat.tf is kept.
func TestAddCATConfig(t *testing.T) {
	dir := t.TempDir()
	if err := addCATConfig(dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, catConfigName))
	if err != nil || !bytes.Equal(b, catConfig) || !bytes.Contains(b, []byte(`token_format = "cat"`)) {
		t.Fatalf("cat.tf written: %v\n%s", err, b)
	}
	own := []byte("# the configuration's own\n")
	if err := os.WriteFile(filepath.Join(dir, catConfigName), own, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := addCATConfig(dir); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, catConfigName)); !bytes.Equal(b, own) {
		t.Errorf("the configuration's own cat.tf was replaced:\n%s", b)
	}
}

// checkCATRows checks that rows hold checkCAT's: the CAT issuer's key
// request, each stream played on each CAT channel, and each refusal.
func checkCATRows(t *testing.T, rows []Row) {
	t.Helper()
	played := map[string]int{}
	refused := map[string]bool{}
	issued := false
	for _, r := range rows {
		if r.Format == catIssuer && r.Channel == "key request" && r.Expected == "200 cat" {
			issued = true
		}
		if r.Key == "valid" && r.Expected == "200" {
			played[r.Format+" "+r.Channel]++
		}
		if strings.HasPrefix(r.Expected, "403 ") {
			refused[r.Format+" "+r.Channel+" "+strings.TrimPrefix(r.Expected, "403 ")] = true
		}
	}
	if !issued {
		t.Error("no row asks the CAT issuer for a CAT")
	}
	for _, ch := range catChannels {
		if n := played[catHLS+" "+ch]; n != 5 {
			t.Errorf("CAT HLS on the %s channel: %d requests, want 5 (master, variant, 3 segments)", ch, n)
		}
		if n := played[catDASH+" "+ch]; n != 9 {
			t.Errorf("CAT DASH on the %s channel: %d requests, want 9 (MPD, video init and 3 segments, audio init and 3 segments)", ch, n)
		}
	}
	if n := played[catHLS+" path prefix"] + played[catDASH+" path prefix"]; n != 0 {
		t.Errorf("%d CAT requests on the path-prefix channel, which a CAT does not have", n)
	}
	for _, why := range []string{"none missing", "query missing", "header path", "header bad_mac", "header malformed", "header ip",
		"header expired", "header revoked", "header, at the ss1 edge malformed"} {
		if !refused[catHLS+" "+why] {
			t.Errorf("no request was refused for CAT HLS %s (channel, reason)", why)
		}
	}
}

// testCATForms: the CAT issuer's answer holds a CAT (not an ss1 key, at
// most 1 KB) in the forms CAT validators read: the CTA-Common-Access-Token
// header and cookie and the CAT query parameter, and a url with the token
// in its query rather than a path prefix.
func testCATForms(t *testing.T, e *Env) {
	k, err := e.RequestKey(t.Context(), KeyRequest{CAT: true})
	if err != nil {
		t.Fatal(err)
	}
	if k.Format != "cat" || strings.HasPrefix(k.Token, "ss1.") || len(k.Token) > cat.MaxTokenLen || k.SessionID == "" {
		t.Errorf("format %q, session %q, a token of %d characters starting ss1. %v; want a CAT of at most %d", k.Format, k.SessionID, len(k.Token),
			strings.HasPrefix(k.Token, "ss1."), cat.MaxTokenLen)
	}
	if _, err := TamperCAT(k.Token); err != nil {
		t.Errorf("the token is not a COSE_Mac0 CAT: %v", err)
	}
	if k.Header.Name != "cta-common-access-token" || k.Header.Value != k.Token || k.Query != "CAT="+k.Token ||
		k.CookiePair() != "cta-common-access-token="+k.Token || k.PrefixURL != "" ||
		k.QueryURL != e.CATEdgeURL+e.MasterPath+"?CAT="+k.Token {
		// The token shown as <key>: no token in the test's log.
		hide := func(s string) string { return strings.ReplaceAll(s, k.Token, "<key>") }
		t.Errorf("the CAT's forms: header %s: %s, query %s, cookie %s, url on the edge %s, path prefix %q",
			k.Header.Name, hide(k.Header.Value), hide(k.Query), hide(k.CookiePair()), hide(k.QueryURL), hide(k.PrefixURL))
	}
}
