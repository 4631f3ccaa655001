package issuer

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

// This file is the issuer's minting step on its own, so that the provider's
// test keys (data source and ephemeral resource) are minted by the same code
// as the Lambda's and cannot drift from them.

// URLRules are the rules a playback URL must follow.
type URLRules struct {
	// Schemes are the allowed schemes, lower case.
	Schemes []string
	// Hosts are the allowed hosts; "*.example.com" matches any subdomain;
	// nil allows any host.
	Hosts []string
	// Prefixes are the allowed path prefixes, each covering a directory
	// ("/vod/free" covers /vod/free and /vod/free/..., not
	// /vod/free.m3u8); the longest match wins.
	Prefixes []string
}

// Playback is a checked playback URL.
type Playback struct {
	// Raw is the URL as given.
	Raw string
	// Scheme and Host are lower case; Path is escaped, as the edge sees it.
	Scheme, Host, Path string
	// Prefix is the longest allowed prefix the path falls under.
	Prefix string
}

// Refusal is a refused request: the HTTP status, the reason the log
// records, and a message for the caller.
type Refusal struct {
	Status  int
	Reason  string
	Message string
}

func (r *Refusal) Error() string { return r.Message }

// CheckPlaybackURL applies the scheme, host and path rules.
func CheckPlaybackURL(raw string, rules URLRules) (Playback, *Refusal) {
	bad := func(format string, a ...any) (Playback, *Refusal) {
		return Playback{}, &Refusal{Status: 400, Reason: "bad_url", Message: "playback_url: " + fmt.Sprintf(format, a...)}
	}
	if raw == "" || len(raw) > 4096 {
		return bad("must be an absolute URL of at most 4,096 bytes")
	}
	for _, c := range raw {
		if c < 0x20 || c == 0x7f {
			return bad("contains a control character")
		}
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Opaque != "" || u.Host == "" {
		return bad("must be an absolute http(s) URL with a host")
	}
	scheme := strings.ToLower(u.Scheme)
	if !contains(rules.Schemes, scheme) {
		return bad("the scheme %q is not allowed (allowed: %s)", u.Scheme, strings.Join(rules.Schemes, ", "))
	}
	if u.User != nil {
		return bad("must not carry a user name or password")
	}
	host := strings.ToLower(u.Hostname())
	if !validHost(host) {
		return bad("the host %q must be a DNS name or an IPv4 address: letters, digits and '-' in labels separated by single dots, "+
			"no leading or trailing dot", host)
	}
	if p := u.Port(); p != "" && !(scheme == "https" && p == "443") && !(scheme == "http" && p == "80") {
		return bad("must not name a port")
	}
	if rules.Hosts != nil && !hostAllowed(rules.Hosts, host) {
		return Playback{}, &Refusal{Status: 403, Reason: "host_not_allowed",
			Message: fmt.Sprintf("playback_url: the host %q is not one this issuer signs for", host)}
	}
	pb := Playback{Raw: raw, Scheme: scheme, Host: host, Path: u.EscapedPath()}
	if pb.Path == "" {
		pb.Path = "/"
	}
	if strings.Contains(u.RawPath+u.Path, "\\") || !streamkey.SafePath(pb.Path) {
		return bad("the path must not contain dot segments, \"//\", encoded slashes or dots, or backslashes")
	}
	if strings.Contains(pb.Path, "*") {
		return bad("the path must not contain '*', which path patterns reserve")
	}
	path := scope{base: pb.Path}
	if c, err := streamkey.CanonicalPattern(pb.Path); err == nil {
		path.base = c
	}
	for _, p := range rules.Prefixes {
		if l, ok := parseLimit(p); ok && l.covers(path) && len(p) > len(pb.Prefix) {
			pb.Prefix = p
		}
	}
	if pb.Prefix == "" {
		return Playback{}, &Refusal{Status: 403, Reason: "path_not_allowed", Message: "playback_url: the path is not under an allowed prefix"}
	}
	return pb, nil
}

// validHost accepts what the token format can bind: lower-case DNS names
// and IPv4 literals, 1 to 253 bytes, with no empty label.
func validHost(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" {
			return false
		}
		for i := 0; i < len(label); i++ {
			if c := label[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

func hostAllowed(hosts []string, host string) bool {
	for _, h := range hosts {
		h = strings.ToLower(h)
		if h == host || (strings.HasPrefix(h, "*.") && strings.HasSuffix(host, h[1:]) && len(host) > len(h)-1) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Policy is what keys bind and how they are handed out.
type Policy struct {
	PatternMode     string
	IPBinding       streamkey.IPBinding
	BindUserAgent   bool
	BindHost        bool
	SessionIDs      bool
	SeedCompat      bool
	ActivationDelay time.Duration
	Names           Names
}

// Subject is who a key is for and when.
type Subject struct {
	// ClientIP is bound as Policy.IPBinding says; SeedClientIP is signed
	// verbatim in the seed format.
	ClientIP, SeedClientIP string
	UserAgent              string
	// NotBefore is when the key starts working (the issuer: now), TTL how
	// long it works from then.
	NotBefore time.Time
	TTL       time.Duration
	// SessionID, when set, is used instead of a random one.
	SessionID string
	// KeyID, when set, signs with that key instead of the one the ring's
	// activation rule picks.
	KeyID string
	// Entitled are the path prefixes the caller may play; nil is no limit
	// beyond the allowed prefix, an empty list entitles nothing.
	Entitled []string
}

// Key is a minted stream key and its ready-to-use forms.
type Key struct {
	Token, KeyID, SessionID string
	Pattern                 string
	Expires                 time.Time
	Forms                   Forms
	// StreamKey and StreamPolicy are the seed-format key, with SeedCompat.
	StreamKey, StreamPolicy string
	// SeedOmitted says why, with SeedCompat, there is no seed-format key.
	SeedOmitted string
}

// MintKey mints the key the issuer hands out for pb and s. The path pattern
// comes from Coverage; a refused one is returned as a *Refusal.
func MintKey(ring *streamkey.Ring, pol Policy, pb Playback, s Subject, rnd io.Reader) (*Key, error) {
	if s.TTL <= 0 {
		return nil, errors.New("the lifetime must be positive")
	}
	pattern, rf := Coverage(pol.PatternMode, pb, s.Entitled)
	if rf != nil {
		return nil, rf
	}
	g := streamkey.Grant{
		Expires:       s.NotBefore.Add(s.TTL),
		NotBefore:     s.NotBefore,
		Paths:         []string{pattern},
		IPBinding:     pol.IPBinding,
		ClientIP:      s.ClientIP,
		BindUserAgent: pol.BindUserAgent,
		UserAgent:     s.UserAgent,
		SessionID:     s.SessionID,
	}
	if pol.BindHost {
		g.Host = pb.Host
	}
	if pol.SessionIDs && g.SessionID == "" {
		var b [12]byte
		if _, err := io.ReadFull(rnd, b[:]); err != nil {
			return nil, fmt.Errorf("no randomness for the session id: %w", err)
		}
		g.SessionID = base64.RawURLEncoding.EncodeToString(b[:])
	}
	kid := s.KeyID
	if kid == "" {
		if kid = ring.SigningKey(s.NotBefore, pol.ActivationDelay); kid == "" {
			return nil, errors.New("the key ring has no key that signs new tokens, only the original deployment's seed key")
		}
	}
	tok, err := ring.Mint(kid, g)
	if err != nil {
		return nil, err
	}
	// Expiry is signed in whole seconds; report what was signed.
	exp := time.Unix(g.Expires.Unix(), 0).UTC()
	k := &Key{Token: tok, KeyID: kid, SessionID: g.SessionID, Pattern: g.Paths[0], Expires: exp,
		Forms: MakeForms(tok, pb.Scheme, pb.Host, pb.Path, s.TTL, pol.Names)}
	if pol.SeedCompat {
		// The seed format always covers the URL's directory; hand it out
		// only when that is no more than the ss1 key covers.
		sk, err := ring.MintSeed(streamkey.SeedGrant{PlaybackURL: pb.Raw, ClientIP: s.SeedClientIP, UserAgent: s.UserAgent, Expires: g.Expires})
		if err != nil {
			k.SeedOmitted = fmt.Sprintf("no seed-format key: %v", err)
		} else if k.SeedOmitted = seedWithin(sk.Path, pattern); k.SeedOmitted == "" {
			k.StreamKey, k.StreamPolicy = sk.StreamKey, sk.StreamPolicy
		}
	}
	return k, nil
}
