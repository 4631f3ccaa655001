package provider

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/securestream/terraform-provider-securestream/internal/cat"
	"github.com/securestream/terraform-provider-securestream/internal/issuance"
	"github.com/securestream/terraform-provider-securestream/internal/keyring"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

// resolveStreamKey turns the arguments into a request, with the defaults
// the issuer has, or says which argument is wrong.
func TestResolveStreamKey(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 500, time.UTC)
	base := func() *streamKeyModel {
		return &streamKeyModel{
			PlaybackURL: types.StringValue("https://video.example.com/a/index.m3u8"), ClientIP: types.StringValue("192.0.2.1"),
			NotBefore: timetypes.NewRFC3339Null(), ExpiresAt: timetypes.NewRFC3339Null(),
		}
	}
	for _, tc := range []struct {
		name    string
		set     func(*streamKeyModel)
		check   func(*streamKeyArgs) bool
		badAttr string // the argument refused; "" none
		detail  string // words of the refusal
	}{
		{name: "defaults", set: func(*streamKeyModel) {}, check: func(a *streamKeyArgs) bool {
			return a.format == formatSS1 && a.subject.NotBefore.Equal(now.Truncate(time.Second)) && a.subject.TTL == time.Hour &&
				a.policy.ActivationDelay == keyring.DefaultActivationDelay && a.policy.PatternMode == issuance.PatternDirectory &&
				a.policy.IPBinding == streamkey.IPSubnet && a.policy.BindUserAgent && a.policy.BindHost &&
				a.policy.Channels == issuance.DefaultChannels() && a.playback.Host == "video.example.com" && a.playback.Prefix == "/" &&
				a.subject.ClientIP == "192.0.2.1" && a.subject.SeedClientIP == "192.0.2.1" && len(a.warnings) == 0
		}},
		{name: "fixed times", set: func(m *streamKeyModel) {
			m.NotBefore = timetypes.NewRFC3339ValueMust("2030-01-01T01:00:00Z")
			m.ExpiresAt = timetypes.NewRFC3339ValueMust("2030-01-01T01:30:00+00:00")
		}, check: func(a *streamKeyArgs) bool {
			return a.subject.NotBefore.Equal(now.Add(time.Hour).Truncate(time.Second)) && a.subject.TTL == 30*time.Minute
		}},
		{name: "ttl", set: func(m *streamKeyModel) { m.TTL = types.StringValue("15m") },
			check: func(a *streamKeyArgs) bool { return a.subject.TTL == 15*time.Minute && len(a.warnings) == 0 }},
		{name: "a lifetime over the edge's maximum", set: func(m *streamKeyModel) { m.TTL = types.StringValue("25h") },
			check: func(a *streamKeyArgs) bool {
				return a.subject.TTL == 25*time.Hour && warned(a, "ttl", "longer than 24 hours")
			}},
		{name: "expires_at over the edge's maximum", set: func(m *streamKeyModel) {
			m.NotBefore = timetypes.NewRFC3339ValueMust("2030-01-01T00:00:00Z")
			m.ExpiresAt = timetypes.NewRFC3339ValueMust("2030-01-02T01:00:00Z")
		}, check: func(a *streamKeyArgs) bool { return warned(a, "expires_at", "longer than 24 hours") }},
		// A key expired at the read still mints (a plan may be applied
		// later, and tests of refusals need one), with a warning.
		{name: "an expired pair", set: func(m *streamKeyModel) {
			m.NotBefore = timetypes.NewRFC3339ValueMust("2029-12-31T22:00:00Z")
			m.ExpiresAt = timetypes.NewRFC3339ValueMust("2030-01-01T00:00:00Z")
		}, check: func(a *streamKeyArgs) bool {
			return warned(a, "expires_at", "2030-01-01T00:00:00Z, by the time of this read (2030-01-01T00:00:00Z)") && len(a.warnings) == 1
		}},
		{name: "a past not_before with ttl", set: func(m *streamKeyModel) {
			m.NotBefore, m.TTL = timetypes.NewRFC3339ValueMust("2029-12-31T22:00:00Z"), types.StringValue("1h")
		}, check: func(a *streamKeyArgs) bool { return warned(a, "not_before", "expires at 2029-12-31T23:00:00Z") }},
		{name: "a pair that has not expired", set: func(m *streamKeyModel) {
			m.NotBefore = timetypes.NewRFC3339ValueMust("2029-12-31T22:00:00Z")
			m.ExpiresAt = timetypes.NewRFC3339ValueMust("2030-01-01T00:00:01Z")
		}, check: func(a *streamKeyArgs) bool { return len(a.warnings) == 0 }},
		{name: "channel names, the header lowered", set: func(m *streamKeyModel) {
			m.TokenHeader, m.TokenQuery = types.StringValue("X-Key"), types.StringValue("K")
			m.TokenCookie, m.TokenPathPrefix = types.StringValue("c"), types.StringValue("p")
		}, check: func(a *streamKeyArgs) bool {
			return a.policy.Channels == issuance.Channels{Header: "x-key", Query: "K", Cookie: "c", PathPrefix: "p"}
		}},
		{name: "seed format binds the User-Agent", set: func(m *streamKeyModel) {
			m.Format, m.BindUserAgent, m.UserAgent = types.StringValue(formatSeed), types.BoolValue(false), types.StringValue("ua")
		}, check: func(a *streamKeyArgs) bool {
			return a.format == formatSeed && a.policy.BindUserAgent && a.subject.UserAgent == "ua"
		}},
		// cat: CAT's channels, no path prefix, no User-Agent binding (by
		// default; asked for, refused below), the issuer's other defaults.
		{name: "cat defaults", set: func(m *streamKeyModel) { m.Format, m.UserAgent = types.StringValue(formatCAT), types.StringValue("ua") },
			check: func(a *streamKeyArgs) bool {
				return a.format == formatCAT && a.policy.Format == issuance.FormatCAT && !a.policy.BindUserAgent &&
					a.policy.Channels == issuance.DefaultCATChannels() && a.policy.Channels.PathPrefix == "" && a.policy.BindHost &&
					a.policy.IPBinding == streamkey.IPSubnet && a.subject.UserAgent == "ua"
			}},
		{name: "cat channel names, a start time", set: func(m *streamKeyModel) {
			m.Format, m.TokenHeader, m.TokenQuery = types.StringValue(formatCAT), types.StringValue("Common-Access-Token"), types.StringValue("cat")
			m.BindUserAgent, m.NotBefore = types.BoolValue(false), timetypes.NewRFC3339ValueMust("2030-01-01T01:00:00Z")
		}, check: func(a *streamKeyArgs) bool {
			return a.policy.Channels == issuance.Channels{Header: "common-access-token", Query: "cat", Cookie: "cta-common-access-token"} &&
				a.subject.NotBefore.Equal(now.Add(time.Hour).Truncate(time.Second))
		}},
		{name: "ss1 keeps its format unset in the policy", set: func(m *streamKeyModel) { m.Format = types.StringValue(formatSS1) },
			check: func(a *streamKeyArgs) bool { return a.policy.Format == "" && a.policy.BindUserAgent }},
		{name: "prefix mode", set: func(m *streamKeyModel) {
			m.PathPattern, m.PathPrefix = types.StringValue(issuance.PatternPrefix), types.StringValue("/a/")
		}, check: func(a *streamKeyArgs) bool {
			return a.policy.PatternMode == issuance.PatternPrefix && a.playback.Prefix == "/a/"
		}},
		{name: "client address in canonical form, no binding", set: func(m *streamKeyModel) {
			m.ClientIP, m.IPBinding = types.StringValue("2001:DB8:0:0::1"), types.StringValue("off")
		}, check: func(a *streamKeyArgs) bool {
			return a.subject.ClientIP == "2001:db8::1" && a.policy.IPBinding == streamkey.IPOff
		}},
		{name: "no client address without binding", set: func(m *streamKeyModel) { m.ClientIP, m.IPBinding = types.StringNull(), types.StringValue("off") },
			check: func(a *streamKeyArgs) bool { return a.subject.ClientIP == "" }},
		{name: "key id, session id and activation delay", set: func(m *streamKeyModel) {
			m.KeyID, m.SessionID, m.ActivationDelay = types.StringValue("k1"), types.StringValue("s1"), types.StringValue("1h30m")
		}, check: func(a *streamKeyArgs) bool {
			return a.subject.KeyID == "k1" && a.subject.SessionID == "s1" && a.policy.ActivationDelay == 90*time.Minute
		}},

		{name: "not_before with seed", set: func(m *streamKeyModel) {
			m.Format, m.NotBefore = types.StringValue(formatSeed), timetypes.NewRFC3339ValueMust("2030-01-01T00:00:00Z")
		}, badAttr: "not_before", detail: "no start time"},
		{name: "expires_at before not_before", set: func(m *streamKeyModel) {
			m.NotBefore = timetypes.NewRFC3339ValueMust("2030-01-01T01:00:00Z")
			m.ExpiresAt = timetypes.NewRFC3339ValueMust("2030-01-01T00:00:00Z")
		}, badAttr: "expires_at", detail: "must be after not_before"},
		{name: "a lifetime over 7 days", set: func(m *streamKeyModel) {
			m.NotBefore = timetypes.NewRFC3339ValueMust("2030-01-01T00:00:00Z")
			m.ExpiresAt = timetypes.NewRFC3339ValueMust("2030-01-08T00:00:01Z")
		}, badAttr: "expires_at", detail: "7 days (168h) from not_before; expires_at is 168h0m1s after it"},
		{name: "not_before before 1970", set: func(m *streamKeyModel) {
			m.NotBefore = timetypes.NewRFC3339ValueMust("1969-12-31T23:00:00Z")
		}, badAttr: "not_before", detail: "counts time from 1970"},
		{name: "path_prefix without prefix mode", set: func(m *streamKeyModel) { m.PathPrefix = types.StringValue("/a/") },
			badAttr: "path_prefix", detail: "path_pattern"},
		{name: "a URL outside path_prefix", set: func(m *streamKeyModel) {
			m.PathPattern, m.PathPrefix = types.StringValue(issuance.PatternPrefix), types.StringValue("/b/")
		}, badAttr: "playback_url", detail: `under path_prefix "/b/"`},
		{name: "a URL with a port", set: func(m *streamKeyModel) {
			m.PlaybackURL = types.StringValue("https://video.example.com:8443/a/index.m3u8")
		},
			badAttr: "playback_url", detail: "port"},
		{name: "a bad client address", set: func(m *streamKeyModel) { m.ClientIP = types.StringValue("192.0.2.300") },
			badAttr: "client_ip", detail: `client IP "192.0.2.300" is not an IPv4 or IPv6 address. Set client_ip to the address`},
		{name: "a client address with a zone", set: func(m *streamKeyModel) { m.ClientIP = types.StringValue("fe80::1%eth0") },
			badAttr: "client_ip", detail: "has a zone"},
		{name: "a non-ASCII host", set: func(m *streamKeyModel) { m.PlaybackURL = types.StringValue("https://bücher.example/a/index.m3u8") },
			badAttr: "playback_url", detail: "Write the host in punycode: xn--bcher-kva.example."},
		{name: "no client address", set: func(m *streamKeyModel) { m.ClientIP = types.StringNull() },
			badAttr: "client_ip", detail: "ip_binding"},
		{name: "no client address for seed", set: func(m *streamKeyModel) {
			m.ClientIP, m.IPBinding, m.Format = types.StringNull(), types.StringValue("off"), types.StringValue(formatSeed)
		}, badAttr: "client_ip", detail: "ip_binding"},
		{name: "a header name with _", set: func(m *streamKeyModel) { m.TokenHeader = types.StringValue("x_key") },
			badAttr: "token_header", detail: "header name"},
		{name: "cat binding the User-Agent", set: func(m *streamKeyModel) {
			m.Format, m.BindUserAgent = types.StringValue(formatCAT), types.BoolValue(true)
		}, badAttr: "bind_user_agent", detail: `a CAT has no User-Agent claim, so the key would not bind it. Remove bind_user_agent`},
		{name: "cat with a path prefix", set: func(m *streamKeyModel) {
			m.Format, m.TokenPathPrefix = types.StringValue(formatCAT), types.StringValue("t")
		}, badAttr: "token_path_prefix", detail: `token_path_prefix = "t" is set with format = "cat": no CAT validator reads a token from the path`},
		{name: "a path prefix with /", set: func(m *streamKeyModel) { m.TokenPathPrefix = types.StringValue("a/b") },
			badAttr: "token_path_prefix", detail: "path prefix"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := base()
			tc.set(m)
			a, ae := resolveStreamKey(m, now)
			switch {
			case tc.badAttr == "" && ae != nil:
				t.Fatalf("refused: %+v", ae)
			case tc.badAttr == "" && !tc.check(a):
				t.Errorf("resolved to %+v", a)
			case tc.badAttr != "" && (ae == nil || ae.attr != tc.badAttr || !strings.Contains(ae.detail, tc.detail)):
				t.Errorf("%+v, want %s refused for %q", ae, tc.badAttr, tc.detail)
			case ae != nil && strings.Count(ae.detail, "IPv4 or IPv6") > 1:
				t.Errorf("the detail repeats itself: %q", ae.detail)
			}
		})
	}
}

// warned reports whether a warns about attr with words.
func warned(a *streamKeyArgs, attr, words string) bool {
	for _, w := range a.warnings {
		if w.attr == attr && strings.Contains(w.summary+" "+w.detail, words) {
			return true
		}
	}
	return false
}

// testRing is a ring of one ss1 key, k1, and optionally the seed key.
func testRing(t *testing.T, withSeed bool) *streamkey.Ring {
	t.Helper()
	keys := []streamkey.Key{{ID: "k1", Secret: []byte(strings.Repeat("s", streamkey.MinSecretBytes)), Created: time.Date(2029, 1, 1, 0, 0, 0, 0, time.UTC)}}
	if withSeed {
		keys = append(keys, streamkey.Key{ID: "seed", Secret: []byte(strings.Repeat("o", streamkey.MinSecretBytes)), Seed: true})
	}
	r, err := streamkey.NewRing(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// The url and curl results name one URL, as a request sends it, whatever
// the playback URL holds; for a URL without a query url is the issuer's.
func TestStreamKeyURLAndCurl(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct{ name, playback, format, want string }{
		{"plain", "https://video.example.com/a/index.m3u8", formatSS1, "https://video.example.com/a/index.m3u8"},
		{"upper-case scheme and host, default port", "HTTPS://Video.Example.COM:443/a/index.m3u8", formatSS1, "https://video.example.com/a/index.m3u8"},
		{"query", "https://video.example.com/a/index.m3u8?b=1&a=x%20y", formatSS1, "https://video.example.com/a/index.m3u8?b=1&a=x%20y"},
		{"query to escape", "https://video.example.com/a/index.m3u8?q=a b&u=ü&p=100%&r[0]={x}", formatSS1,
			"https://video.example.com/a/index.m3u8?q=a%20b&u=%C3%BC&p=100%25&r%5B0%5D=%7Bx%7D"},
		{"fragment", "https://video.example.com/a/index.m3u8#t=10", formatSS1, "https://video.example.com/a/index.m3u8"},
		{"query and fragment", "https://video.example.com/a/index.m3u8?x=1#frag", formatSS1, "https://video.example.com/a/index.m3u8?x=1"},
		{"spaces", "https://video.example.com/my show/index.m3u8", formatSS1, "https://video.example.com/my%20show/index.m3u8"},
		{"non-ASCII path", "https://video.example.com/émission/index.m3u8", formatSS1, "https://video.example.com/%C3%A9mission/index.m3u8"},
		{"escaped non-ASCII path", "https://video.example.com/%C3%A9mission/index.m3u8", formatSS1, "https://video.example.com/%C3%A9mission/index.m3u8"},
		{"brackets and a quote", "https://video.example.com/it's/[1]/index.m3u8", formatSS1, "https://video.example.com/it's/[1]/index.m3u8"},
		{"seed, query and fragment", "https://video.example.com/a b/index.m3u8?x=1#f", formatSeed, "https://video.example.com/a%20b/index.m3u8?x=1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &streamKeyModel{PlaybackURL: types.StringValue(tc.playback), ClientIP: types.StringValue("192.0.2.1"),
				UserAgent: types.StringValue("ua"), Format: types.StringValue(tc.format)}
			args, ae := resolveStreamKey(m, now)
			if ae != nil {
				t.Fatalf("refused: %+v", ae)
			}
			k, ae := mintStreamKey(testRing(t, true), args, strings.NewReader(""))
			if ae != nil {
				t.Fatalf("not minted: %+v", ae)
			}
			if d := m.setKey(args, k); d.HasError() {
				t.Fatal(d)
			}
			wantURL := tc.want
			if tc.format == formatSS1 {
				tok := m.Token.ValueString()
				wantURL = strings.Replace(tc.want, ".com/", ".com/t/"+tok+"/", 1)
				if !strings.Contains(tc.playback, "?") {
					// What the issuer hands out for the same URL.
					if f := issuance.MakeForms(tok, args.playback.Scheme, args.playback.Host, args.playback.Path, time.Hour, issuance.DefaultChannels()); f.URL != m.URL.ValueString() {
						t.Errorf("url = %q; the issuer's is %q", m.URL.ValueString(), f.URL)
					}
				}
			}
			if got := m.URL.ValueString(); got != wantURL {
				t.Errorf("url = %q; want %q", got, wantURL)
			}
			if got, want := m.Curl.ValueString(), " --globoff "; !strings.Contains(got, want) || !strings.HasSuffix(got, " "+shellQuote(tc.want)) {
				t.Errorf("curl = %q; want it to fetch %s, with %q", got, shellQuote(tc.want), want)
			}
		})
	}
}

// Every refusal of the minting names the argument at fault.
func TestMintStreamKeyRefusals(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		set      func(*streamKeyModel)
		withSeed bool
		badAttr  string
		detail   string
	}{
		{name: "no such key", set: func(m *streamKeyModel) { m.KeyID = types.StringValue("k9") }, withSeed: true,
			badAttr: "key_id", detail: `no key "k9"; it has k1, seed`},
		{name: "the seed key for ss1", set: func(m *streamKeyModel) { m.KeyID = types.StringValue("seed") }, withSeed: true,
			badAttr: "key_id", detail: `set format = "seed"`},
		{name: "seed without a seed key", set: func(m *streamKeyModel) { m.Format = types.StringValue(formatSeed) },
			badAttr: "format", detail: "secret_wo"},
		{name: "a punycode host the seed format cannot parse", set: func(m *streamKeyModel) {
			m.Format, m.PlaybackURL = types.StringValue(formatSeed), types.StringValue("https://xn--a.example/a/index.m3u8")
		}, withSeed: true, badAttr: "playback_url", detail: "xn--a.example"},
		{name: "a path too long for the token", set: func(m *streamKeyModel) {
			m.PlaybackURL = types.StringValue("https://video.example.com/" + strings.Repeat("a/", 1100) + "index.m3u8")
		}, badAttr: "playback_url", detail: "no key can be signed for this path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &streamKeyModel{PlaybackURL: types.StringValue("https://video.example.com/a/index.m3u8"), ClientIP: types.StringValue("192.0.2.1")}
			tc.set(m)
			args, ae := resolveStreamKey(m, now)
			if ae == nil {
				_, ae = mintStreamKey(testRing(t, tc.withSeed), args, strings.NewReader(""))
			}
			if ae == nil || ae.attr != tc.badAttr || !strings.Contains(ae.detail, tc.detail) {
				t.Errorf("%+v, want %s refused for %q", ae, tc.badAttr, tc.detail)
			}
		})
	}
}

// user_agent, ttl and the channel names are refused at validation, on the
// attribute; "" is a channel switched off only where offOK says so (the
// function's channels, not a test key's).
func TestStreamKeyValidators(t *testing.T) {
	for _, tc := range []struct {
		v      validator.String
		value  string
		detail string // "" for valid
	}{
		{userAgentValidator, "Player/1.0 (Linux; ü)", ""},
		{userAgentValidator, "Player/1.0\r\nX-Evil: 1", "U+000D at byte 10"},
		{userAgentValidator, "a\x1b[2Jb", "U+001B at byte 1"},
		{userAgentValidator, "a\u009bb", "U+009B at byte 1"},
		{userAgentValidator, "a\x7f", "U+007F"},
		{ttlValidator, "15m", ""},
		{ttlValidator, "168h", ""},
		{ttlValidator, "900", "has no unit: write 900s"},
		{ttlValidator, "1.5s", "out of range"},
		{ttlValidator, "0s", "out of range"},
		{ttlValidator, "169h", "out of range"},
		{channelValidator{ch: issuance.ChannelHeader}, "x-stream", ""},
		{channelValidator{ch: issuance.ChannelHeader}, "", `x = "" is not a`},
		{channelValidator{ch: issuance.ChannelHeader, offOK: true}, "", ""},
		{channelValidator{ch: issuance.ChannelHeader, offOK: true}, "x_stream", "'_' is refused"},
	} {
		resp := &validator.StringResponse{}
		tc.v.ValidateString(context.Background(), validator.StringRequest{Path: path.Root("x"), ConfigValue: types.StringValue(tc.value)}, resp)
		switch {
		case tc.detail == "" && resp.Diagnostics.HasError():
			t.Errorf("%q refused: %v", tc.value, resp.Diagnostics)
		case tc.detail != "" && (len(resp.Diagnostics) != 1 || !strings.Contains(resp.Diagnostics[0].Detail(), tc.detail) ||
			resp.Diagnostics[0].(diag.DiagnosticWithPath).Path().String() != "x"):
			t.Errorf("%q: %v; want an error on x with %q", tc.value, resp.Diagnostics, tc.detail)
		}
	}
}

// format = "cat" mints a CAT the Go verifier accepts for the playback URL
// (and for nothing else the ss1 key would not cover), with CAT's forms:
// its header, query parameter and cookie, and a url with the token as the
// query parameter after the URL's own query, since a CAT has no path
// prefix.
func TestStreamKeyCATForms(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	m := &streamKeyModel{PlaybackURL: types.StringValue("https://Video.example.com/a/index.m3u8?x=1"), ClientIP: types.StringValue("192.0.2.1"),
		UserAgent: types.StringValue("Player/1.0"), Format: types.StringValue(formatCAT)}
	args, ae := resolveStreamKey(m, now)
	if ae != nil {
		t.Fatalf("refused: %+v", ae)
	}
	ring := testRing(t, true)
	k, ae := mintStreamKey(ring, args, strings.NewReader(""))
	if ae != nil {
		t.Fatalf("not minted: %+v", ae)
	}
	if d := m.setKey(args, k); d.HasError() {
		t.Fatal(d)
	}
	tok := m.Token.ValueString()
	cr, err := cat.RingFromStreamkey(ring)
	if err != nil {
		t.Fatal(err)
	}
	v := &cat.Verifier{Ring: cr}
	req := cat.Request{Now: now.Add(time.Minute), Scheme: "https", Host: "video.example.com", Method: "GET", ClientIP: "192.0.2.77"}
	for p, want := range map[string]cat.Reason{"/a/index.m3u8": cat.OK, "/a/720p/seg1.ts": cat.OK, "/b/index.m3u8": cat.Path} {
		req.Path = p
		if got := v.Verify(tok, req).Reason; got != want {
			t.Errorf("%s: %v; want %v", p, got, want)
		}
	}
	// The subnet binding, as the ss1 key's; the host, as bind_host's.
	for what, r := range map[string]cat.Request{"another subnet": {ClientIP: "198.51.100.1"}, "another host": {Host: "other.example.com"}} {
		if r.ClientIP == "" {
			r.ClientIP = req.ClientIP
		}
		if r.Host == "" {
			r.Host = req.Host
		}
		r.Now, r.Scheme, r.Method, r.Path = req.Now, req.Scheme, req.Method, "/a/index.m3u8"
		if got := v.Verify(tok, r); got.OK() {
			t.Errorf("%s: accepted", what)
		}
	}
	h := issuance.DefaultCATChannels()
	headers := map[string]string{}
	if d := m.Headers.ElementsAs(context.Background(), &headers, false); d.HasError() {
		t.Fatal(d)
	}
	for what, c := range map[string]struct{ got, want string }{
		"signing_key_id": {m.SigningKeyID.ValueString(), "k1"},
		"pattern":        {m.Pattern.ValueString(), "/a/*"},
		"query_string":   {m.QueryString.ValueString(), h.Query + "=" + tok},
		"url":            {m.URL.ValueString(), "https://video.example.com/a/index.m3u8?x=1&" + h.Query + "=" + tok},
		"cookie":         {m.Cookie.ValueString(), h.Cookie + "=" + tok + "; Path=/; Max-Age=3600; Secure; HttpOnly; SameSite=Lax"},
		"headers":        {fmt.Sprint(headers), fmt.Sprint(map[string]string{h.Header: tok})}, // no user-agent: a CAT binds none
		"curl": {m.Curl.ValueString(), "curl --fail --silent --show-error --globoff -H '" + h.Header + ": " + tok +
			"' -A 'Player/1.0' 'https://video.example.com/a/index.m3u8?x=1'"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q; want %q", what, c.got, c.want)
		}
	}
	if !m.StreamKey.IsNull() || !m.StreamPolicy.IsNull() {
		t.Errorf("stream_key %v, stream_policy %v with cat", m.StreamKey, m.StreamPolicy)
	}
}

// What format = "cat" cannot mint is refused when the configuration is
// validated, before key_ring is known, on the argument at fault, by the
// data source and the ephemeral resource alike.
func TestStreamKeyValidateConfigCAT(t *testing.T) {
	ctx := context.Background()
	var dsr datasource.SchemaResponse
	NewStreamKeyDataSource().Schema(ctx, datasource.SchemaRequest{}, &dsr)
	var esr ephemeral.SchemaResponse
	NewStreamKeyEphemeralResource().Schema(ctx, ephemeral.SchemaRequest{}, &esr)
	boolean := func(b bool) tftypes.Value { return tftypes.NewValue(tftypes.Bool, b) }
	for _, tc := range []struct {
		name string
		args map[string]tftypes.Value
		at   []string // the arguments refused
	}{
		{"cat", map[string]tftypes.Value{"format": tfString("cat")}, nil},
		{"cat without the binding", map[string]tftypes.Value{"format": tfString("cat"), "bind_user_agent": boolean(false)}, nil},
		{"cat binding the User-Agent", map[string]tftypes.Value{"format": tfString("cat"), "bind_user_agent": boolean(true)}, []string{"bind_user_agent"}},
		{"cat with a path prefix, binding", map[string]tftypes.Value{"format": tfString("cat"), "token_path_prefix": tfString("t"),
			"bind_user_agent": boolean(true)}, []string{"token_path_prefix", "bind_user_agent"}},
		{"ss1 with both", map[string]tftypes.Value{"token_path_prefix": tfString("t"), "bind_user_agent": boolean(true)}, nil},
		{"a format not known yet", map[string]tftypes.Value{"format": tftypes.NewValue(tftypes.String, tftypes.UnknownValue),
			"bind_user_agent": boolean(true)}, nil},
	} {
		for kind, diagsOf := range map[string]func() diag.Diagnostics{
			"data source": func() diag.Diagnostics {
				var resp datasource.ValidateConfigResponse
				cfg := tfsdk.Config{Schema: dsr.Schema, Raw: withNulls(dsr.Schema.Type().TerraformType(ctx).(tftypes.Object), tc.args)}
				NewStreamKeyDataSource().(datasource.DataSourceWithValidateConfig).ValidateConfig(ctx, datasource.ValidateConfigRequest{Config: cfg}, &resp)
				return resp.Diagnostics
			},
			"ephemeral resource": func() diag.Diagnostics {
				var resp ephemeral.ValidateConfigResponse
				cfg := tfsdk.Config{Schema: esr.Schema, Raw: withNulls(esr.Schema.Type().TerraformType(ctx).(tftypes.Object), tc.args)}
				NewStreamKeyEphemeralResource().(ephemeral.EphemeralResourceWithValidateConfig).ValidateConfig(ctx, ephemeral.ValidateConfigRequest{Config: cfg}, &resp)
				return resp.Diagnostics
			},
		} {
			d := diagsOf()
			ok := d.ErrorsCount() == len(tc.at)
			for _, at := range tc.at {
				ok = ok && hasErrorAt(d, path.Root(at), `with format = "cat"`)
			}
			if !ok {
				t.Errorf("%s, %s: %s; want errors on %v", tc.name, kind, summaries(d), tc.at)
			}
		}
	}
}
