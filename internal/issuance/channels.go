package issuance

import (
	"errors"
	"fmt"
	"strings"
)

// Channels say where a token travels, in the edge function's order of
// precedence: path prefix, header, query parameter, cookie. The issuer's
// ready-to-use forms (Forms) follow them, and the edge function looks for
// tokens there. An empty name switches a channel off (at the edge; the
// issuer and the provider always set every name).
type Channels struct {
	// PathPrefix: /<PathPrefix>/<token>/rest/of/path, which native iOS and
	// Safari HLS players keep on relative segment URLs.
	PathPrefix string
	// Header: a request header (lower case, as Normalize makes it).
	Header string
	// Query: a query-string parameter.
	Query string
	// Cookie: a cookie.
	Cookie string
}

// DefaultChannels has every channel on, with the default names.
func DefaultChannels() Channels {
	return Channels{PathPrefix: "t", Header: "x-stream-token", Query: "stream_token", Cookie: "stream_token"}
}

// Channel is one of the four channels, for checking a single name and for
// saying which name a ChannelError is about.
type Channel uint8

// The channels.
const (
	ChannelPathPrefix Channel = iota + 1
	ChannelHeader
	ChannelQuery
	ChannelCookie
)

// String names the channel's name in messages: "header name", ...
func (ch Channel) String() string {
	switch ch {
	case ChannelPathPrefix:
		return "path prefix"
	case ChannelHeader:
		return "header name"
	case ChannelQuery:
		return "query parameter name"
	case ChannelCookie:
		return "cookie name"
	}
	return fmt.Sprintf("Channel(%d)", uint8(ch))
}

// Rule says which names the channel takes.
func (ch Channel) Rule() string {
	switch ch {
	case ChannelHeader:
		return "1 to 64 of a-z 0-9 '-' (upper case is lowered; CloudFront may drop names with '_')"
	case ChannelPathPrefix:
		return "1 to 32 of A-Z a-z 0-9 _ . ~ -"
	}
	return "1 to 64 of A-Z a-z 0-9 _ . ~ -"
}

// Normalize returns name as the channel uses it (a header name in lower
// case, since header names are case-insensitive), or a *ChannelError when
// it breaks the channel's rule. An empty name breaks every rule.
func (ch Channel) Normalize(name string) (string, error) {
	maxLen, ok := 64, isNameChar
	switch ch {
	case ChannelHeader:
		name, ok = strings.ToLower(name), isHeaderChar
	case ChannelPathPrefix:
		maxLen = 32
	}
	if name == "" || len(name) > maxLen {
		return "", &ChannelError{Channel: ch, Name: name}
	}
	for i := 0; i < len(name); i++ {
		if !ok(name[i]) {
			return "", &ChannelError{Channel: ch, Name: name}
		}
	}
	return name, nil
}

func isHeaderChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-'
}

func isNameChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_.~-", c) >= 0
}

// ChannelError is a channel name that breaks its channel's rule.
type ChannelError struct {
	Channel Channel
	Name    string
}

func (e *ChannelError) Error() string {
	return fmt.Sprintf("%s %q must be %s", e.Channel, e.Name, e.Channel.Rule())
}

// ErrNoChannel is Normalize's error when every channel is off.
var ErrNoChannel = errors.New("every token channel is off; switch on at least one of path prefix, header, query, cookie")

// Normalize checks every name that is on against its channel's rule and
// returns the channels as they are used (the header name in lower case).
// The error is a *ChannelError for a name that breaks its rule, or
// ErrNoChannel when every channel is off.
func (c Channels) Normalize() (Channels, error) {
	if c == (Channels{}) {
		return c, ErrNoChannel
	}
	for _, f := range []struct {
		ch   Channel
		name *string
	}{{ChannelPathPrefix, &c.PathPrefix}, {ChannelHeader, &c.Header}, {ChannelQuery, &c.Query}, {ChannelCookie, &c.Cookie}} {
		if *f.name == "" {
			continue
		}
		n, err := f.ch.Normalize(*f.name)
		if err != nil {
			return Channels{}, err
		}
		*f.name = n
	}
	return c, nil
}
