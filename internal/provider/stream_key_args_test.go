package provider

import (
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/types"

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
				a.subject.ClientIP == "192.0.2.1" && a.subject.SeedClientIP == "192.0.2.1" && a.longLived == ""
		}},
		{name: "fixed times", set: func(m *streamKeyModel) {
			m.NotBefore = timetypes.NewRFC3339ValueMust("2030-01-01T01:00:00Z")
			m.ExpiresAt = timetypes.NewRFC3339ValueMust("2030-01-01T01:30:00+00:00")
		}, check: func(a *streamKeyArgs) bool {
			return a.subject.NotBefore.Equal(now.Add(time.Hour).Truncate(time.Second)) && a.subject.TTL == 30*time.Minute
		}},
		{name: "a lifetime over the edge's maximum", set: func(m *streamKeyModel) { m.TTLSeconds = types.Int64Value(25 * 3600) },
			check: func(a *streamKeyArgs) bool { return a.subject.TTL == 25*time.Hour && a.longLived == "ttl_seconds" }},
		{name: "expires_at over the edge's maximum", set: func(m *streamKeyModel) {
			m.NotBefore = timetypes.NewRFC3339ValueMust("2030-01-01T00:00:00Z")
			m.ExpiresAt = timetypes.NewRFC3339ValueMust("2030-01-02T01:00:00Z")
		}, check: func(a *streamKeyArgs) bool { return a.longLived == "expires_at" }},
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
		}, badAttr: "expires_at", detail: "7 days (604800 s)"},
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
			badAttr: "client_ip", detail: "not an IPv4 or IPv6 address"},
		{name: "no client address", set: func(m *streamKeyModel) { m.ClientIP = types.StringNull() },
			badAttr: "client_ip", detail: "ip_binding"},
		{name: "no client address for seed", set: func(m *streamKeyModel) {
			m.ClientIP, m.IPBinding, m.Format = types.StringNull(), types.StringValue("off"), types.StringValue(formatSeed)
		}, badAttr: "client_ip", detail: "ip_binding"},
		{name: "a header name with _", set: func(m *streamKeyModel) { m.TokenHeader = types.StringValue("x_key") },
			badAttr: "token_header", detail: "header name"},
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
			}
		})
	}
}
