package issuance

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/cat"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

func rnd() *strings.Reader { return strings.NewReader(strings.Repeat("r", 64)) }

// In every coverage mode, the CAT MintKey hands out is the ss1 key's
// twin: the same pattern, kid, session (as cti) and expiry, and the same
// answer from the edge for requests inside and outside what it covers.
func TestMintKeyCATCoversAsSS1(t *testing.T) {
	ring := testRing(t)
	catRing, err := cat.RingFromStreamkey(ring)
	if err != nil {
		t.Fatal(err)
	}
	ssv := &streamkey.Verifier{Ring: ring}
	cv := &cat.Verifier{Ring: catRing}
	paths := []string{"/vod/movie-42/index.m3u8", "/vod/movie-42/720p/seg_1.ts", "/vod/movie-42.m3u8", "/vod/movie-43/index.m3u8",
		"/vod/other/x.ts", "/live/x.ts", "/vod/movie-42/../x.ts"}
	for _, tc := range []struct {
		mode, want string
		entitled   []string
		ip         streamkey.IPBinding
		host       bool
	}{
		{PatternDirectory, "/vod/movie-42/*", nil, streamkey.IPSubnet, true},
		{PatternExact, "/vod/movie-42/index.m3u8", nil, streamkey.IPExact, true},
		{PatternPrefix, "/vod/movie-42/*", []string{"/vod/movie-42/"}, streamkey.IPOff, false},
		{PatternPrefix, "/vod/*", nil, streamkey.IPSubnet, false},
	} {
		t.Run(tc.mode+tc.want, func(t *testing.T) {
			pb, rf := CheckPlaybackURL("https://media.example.com/vod/movie-42/index.m3u8", URLRules{Schemes: []string{"https"}, Prefixes: []string{"/vod/"}})
			if rf != nil {
				t.Fatal(rf)
			}
			s := Subject{ClientIP: "198.51.100.23", NotBefore: t0, TTL: 30 * time.Minute, Entitled: tc.entitled}
			pol := Policy{PatternMode: tc.mode, IPBinding: tc.ip, BindHost: tc.host, SessionIDs: true, Channels: DefaultChannels()}
			ss, err := MintKey(ring, pol, pb, s, rnd())
			if err != nil {
				t.Fatal(err)
			}
			pol.Format, pol.Channels = FormatCAT, DefaultCATChannels()
			ck, err := MintKey(ring, pol, pb, s, rnd())
			if err != nil {
				t.Fatal(err)
			}
			if ss.Format != FormatSS1 || ck.Format != FormatCAT || ck.Pattern != tc.want || ss.Pattern != tc.want ||
				ck.KeyID != ss.KeyID || ck.SessionID != ss.SessionID || ck.SessionID == "" || !ck.Expires.Equal(ss.Expires) {
				t.Fatalf("ss1 %+v\ncat %+v", ss, ck)
			}
			n := 0
			for _, p := range paths {
				for _, ip := range []string{"198.51.100.23", "198.51.100.77", "203.0.113.9"} {
					for _, host := range []string{"media.example.com", "cdn.example.com"} {
						for _, at := range []time.Duration{-time.Minute, time.Minute, 29 * time.Minute, 31 * time.Minute} {
							now := t0.Add(at)
							a := ssv.Verify(ss.Token, streamkey.Request{Now: now, Path: p, Host: host, ClientIP: ip})
							b := cv.Verify(ck.Token, cat.Request{Now: now, Scheme: "https", Method: "GET", Path: p, Host: host, ClientIP: ip})
							if a.OK() != b.OK() {
								t.Errorf("%s %s from %s at %s: ss1 %s, CAT %s", host, p, ip, at, a.Reason, b.Reason)
							}
							if b.OK() {
								n++
								if string(b.Claims.ID) != ss.SessionID {
									t.Errorf("cti %q, session %q", b.Claims.ID, ss.SessionID)
								}
							}
						}
					}
				}
			}
			if n == 0 {
				t.Error("no request was accepted")
			}
		})
	}
}

// A CAT's forms use the CAT channel names; url is the playback URL with
// the token in its query (the URL's own query kept), never a path prefix.
func TestMintKeyCATForms(t *testing.T) {
	pb, rf := CheckPlaybackURL("https://media.example.com/vod/caf%C3%A9/index.m3u8?lang=fr", URLRules{Schemes: []string{"https"}, Prefixes: []string{"/vod/"}})
	if rf != nil {
		t.Fatal(rf)
	}
	pol := Policy{PatternMode: PatternDirectory, Format: FormatCAT, Channels: DefaultCATChannels(), CookieSameSite: "strict"}
	k, err := MintKey(testRing(t), pol, pb, Subject{NotBefore: t0, TTL: time.Hour}, rnd())
	if err != nil {
		t.Fatal(err)
	}
	tok := k.Token
	if k.Forms.Header["cta-common-access-token"] != tok || len(k.Forms.Header) != 1 || k.Forms.Query != "CAT="+tok ||
		k.Forms.Cookie != "cta-common-access-token="+tok+"; Path=/; Max-Age=3600; Secure; HttpOnly; SameSite=Strict" {
		t.Errorf("forms %+v", k.Forms)
	}
	u, err := url.Parse(k.Forms.URL)
	if err != nil || u.Scheme != "https" || u.Host != "media.example.com" || u.EscapedPath() != "/vod/caf%C3%A9/index.m3u8" ||
		u.Query().Get("CAT") != tok || u.Query().Get("lang") != "fr" {
		t.Errorf("url %s", k.Forms.URL)
	}
	if strings.HasPrefix(tok, "ss1.") || strings.Contains(k.Forms.URL, "/t/") {
		t.Errorf("an ss1 form: %+v", k)
	}
	// iat is NotBefore, or IssuedAt when the key starts later.
	catRing, _ := cat.RingFromStreamkey(testRing(t))
	for _, s := range []Subject{{NotBefore: t0, TTL: time.Hour}, {NotBefore: t0.Add(time.Hour), IssuedAt: t0, TTL: time.Hour}} {
		k, err := MintKey(testRing(t), pol, pb, s, rnd())
		if err != nil {
			t.Fatal(err)
		}
		res := (&cat.Verifier{Ring: catRing}).Verify(k.Token, cat.Request{Now: s.NotBefore, Path: "/"})
		if !res.Claims.IssuedAt.Equal(t0) || !res.Claims.NotBefore.Equal(s.NotBefore) || !res.Claims.Expires.Equal(s.NotBefore.Add(time.Hour)) {
			t.Errorf("iat %s nbf %s exp %s for %+v", res.Claims.IssuedAt, res.Claims.NotBefore, res.Claims.Expires, s)
		}
	}
}

// What a CAT cannot carry is refused: the User-Agent binding, the seed
// key, an unknown format.
func TestMintKeyCATRefusals(t *testing.T) {
	ring := testRing(t)
	pb, rf := CheckPlaybackURL("https://media.example.com/vod/a/index.m3u8", URLRules{Schemes: []string{"https"}, Prefixes: []string{"/vod/"}})
	if rf != nil {
		t.Fatal(rf)
	}
	s := Subject{UserAgent: "ExoPlayer", NotBefore: t0, TTL: time.Hour}
	pol := Policy{PatternMode: PatternDirectory, Format: FormatCAT, BindUserAgent: true, Channels: DefaultCATChannels()}
	if k, err := MintKey(ring, pol, pb, s, rnd()); !errors.Is(err, cat.ErrUserAgentBinding) {
		t.Errorf("user agent binding: %+v %v", k, err)
	}
	pol.BindUserAgent = false
	s.KeyID = "legacy"
	if k, err := MintKey(ring, pol, pb, s, rnd()); err == nil {
		t.Errorf("the seed key signed a CAT: %+v", k)
	}
	s.KeyID = ""
	pol.Format = "jwt"
	if _, err := MintKey(ring, pol, pb, s, rnd()); err == nil || !strings.Contains(err.Error(), `unknown token format "jwt"`) {
		t.Errorf("unknown format: %v", err)
	}
	// A coverage refusal is the same Refusal in both formats.
	pol.Format = FormatCAT
	s.Entitled = []string{"/vod/a/index.m3u8"}
	var refusal *Refusal
	if _, err := MintKey(ring, pol, pb, s, rnd()); !errors.As(err, &refusal) || refusal.Reason != ReasonPatternTooWide {
		t.Errorf("pattern too wide: %v", err)
	}
}

// A CAT is at most 1 KB (cf.cwt's limit): a URL whose CAT would be longer
// is refused with the reason, as ss1 refuses a token over its own limit.
func TestMintKeyCATTooLong(t *testing.T) {
	long := "https://media.example.com/vod/" + strings.Repeat("a", 760) + "/index.m3u8"
	pb, rf := CheckPlaybackURL(long, URLRules{Schemes: []string{"https"}, Prefixes: []string{"/vod/"}})
	if rf != nil {
		t.Fatal(rf)
	}
	pol := Policy{PatternMode: PatternExact, Format: FormatCAT, BindHost: true, Channels: DefaultCATChannels()}
	if k, err := MintKey(testRing(t), pol, pb, Subject{NotBefore: t0, TTL: time.Hour}, rnd()); err == nil || !strings.Contains(err.Error(), "the limit is 1024") {
		t.Errorf("a %d-byte path: %v %+v", len(pb.Path), err, k)
	}
}
