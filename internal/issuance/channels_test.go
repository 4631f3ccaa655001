package issuance

import (
	"errors"
	"strings"
	"testing"
)

// One rule for every channel name, wherever it is configured (the issuer's
// variables, the provider's arguments, the edge function's renderer).
func TestChannelsNormalize(t *testing.T) {
	long := strings.Repeat("a", 64)
	for _, tc := range []struct {
		name string
		in   Channels
		want Channels
		bad  Channel // the channel refused; 0: none
	}{
		{"defaults", DefaultChannels(), DefaultChannels(), 0},
		{"header in upper case is lowered", Channels{Header: "X-Stream-Token"}, Channels{Header: "x-stream-token"}, 0},
		{"one channel on", Channels{Query: "k"}, Channels{Query: "k"}, 0},
		{"64-character names", Channels{Header: long, Query: long, Cookie: long}, Channels{Header: long, Query: long, Cookie: long}, 0},
		{"query and cookie keep their case", Channels{Query: "Stream.Token_~-", Cookie: "ST"}, Channels{Query: "Stream.Token_~-", Cookie: "ST"}, 0},
		{"header with _", Channels{Header: "x_stream_token"}, Channels{}, ChannelHeader},
		{"header with a space", Channels{Header: "x token"}, Channels{}, ChannelHeader},
		{"header with .", Channels{Header: "x.token"}, Channels{}, ChannelHeader},
		{"header of 65", Channels{Header: long + "a"}, Channels{}, ChannelHeader},
		{"query with a space", Channels{Query: "a b"}, Channels{}, ChannelQuery},
		{"query of 65", Channels{Query: long + "a"}, Channels{}, ChannelQuery},
		{"cookie with ;", Channels{Cookie: "a;b"}, Channels{}, ChannelCookie},
		{"cookie with =", Channels{Cookie: "a=b"}, Channels{}, ChannelCookie},
		{"prefix with /", Channels{PathPrefix: "a/b"}, Channels{}, ChannelPathPrefix},
		{"prefix of 33", Channels{PathPrefix: strings.Repeat("t", 33)}, Channels{}, ChannelPathPrefix},
		{"prefix of 32", Channels{PathPrefix: strings.Repeat("t", 32)}, Channels{PathPrefix: strings.Repeat("t", 32)}, 0},
	} {
		got, err := tc.in.Normalize()
		var ce *ChannelError
		switch {
		case tc.bad == 0 && (err != nil || got != tc.want):
			t.Errorf("%s: %+v, %v; want %+v", tc.name, got, err, tc.want)
		case tc.bad != 0 && (!errors.As(err, &ce) || ce.Channel != tc.bad):
			t.Errorf("%s: %v, want a %s error", tc.name, err, tc.bad)
		case tc.bad != 0 && !strings.Contains(err.Error(), tc.bad.String()):
			t.Errorf("%s: the error %q does not name the %s", tc.name, err, tc.bad)
		}
	}
	if _, err := (Channels{}).Normalize(); !errors.Is(err, ErrNoChannel) {
		t.Errorf("every channel off: %v", err)
	}
	if _, err := ChannelHeader.Normalize(""); err == nil {
		t.Error("an empty header name")
	}
}

func TestReasonCodes(t *testing.T) {
	for r, code := range map[Reason]string{ReasonBadURL: "bad_url", ReasonHostNotAllowed: "host_not_allowed",
		ReasonPathNotAllowed: "path_not_allowed", ReasonNotEntitled: "not_entitled", ReasonPatternTooWide: "pattern_too_wide", ReasonInternal: "internal"} {
		if r.String() != code {
			t.Errorf("%d: %q, want %q", r, r.String(), code)
		}
	}
}
