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
	// Prefixes are the allowed path prefixes; the longest match wins.
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
	for _, p := range rules.Prefixes {
		if strings.HasPrefix(pb.Path, p) && len(p) > len(pb.Prefix) {
			pb.Prefix = p
		}
	}
	if pb.Prefix == "" {
		return Playback{}, &Refusal{Status: 403, Reason: "path_not_allowed", Message: "playback_url: the path is not under an allowed prefix"}
	}
	return pb, nil
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
}

// Key is a minted stream key and its ready-to-use forms.
type Key struct {
	Token, KeyID, SessionID string
	Pattern                 string
	Expires                 time.Time
	Forms                   Forms
	// StreamKey and StreamPolicy are the seed-format key, with SeedCompat.
	StreamKey, StreamPolicy string
}

// MintKey mints the key the issuer hands out for pb and s.
func MintKey(ring *streamkey.Ring, pol Policy, pb Playback, s Subject, rnd io.Reader) (*Key, error) {
	if s.TTL <= 0 {
		return nil, errors.New("the lifetime must be positive")
	}
	g := streamkey.Grant{
		Expires:       s.NotBefore.Add(s.TTL),
		NotBefore:     s.NotBefore,
		Paths:         []string{Pattern(pol.PatternMode, pb.Path, pb.Prefix)},
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
		sk, err := ring.MintSeed(streamkey.SeedGrant{PlaybackURL: pb.Raw, ClientIP: s.SeedClientIP, UserAgent: s.UserAgent, Expires: g.Expires})
		if err == nil {
			k.StreamKey, k.StreamPolicy = sk.StreamKey, sk.StreamPolicy
		}
	}
	return k, nil
}
