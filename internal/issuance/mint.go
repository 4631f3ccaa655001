package issuance

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/cat"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey/seed"
)

// Policy is what keys bind and how they are handed out.
type Policy struct {
	PatternMode     string
	IPBinding       streamkey.IPBinding
	BindUserAgent   bool
	BindHost        bool
	SessionIDs      bool
	SeedCompat      bool
	ActivationDelay time.Duration
	// Channels name the channels of the forms (Key.Forms).
	Channels Channels
	// CookieSameSite is the cookie form's SameSite (SameSiteModes); ""
	// is the default, lax.
	CookieSameSite string
	// Format is the token format (Formats); "" is ss1. With FormatCAT,
	// Channels name the CAT's channels (DefaultCATChannels) and
	// BindUserAgent must be off: a CAT has no User-Agent claim.
	Format string
	// CATRing is the ring's keys as a CAT ring (cat.RingFromStreamkey),
	// built once by a caller that mints many; nil builds it per key.
	CATRing *cat.Ring
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
	// IssuedAt is a CAT's iat; zero is NotBefore (the issuer's now). A
	// caller minting a key that starts later sets it to now.
	IssuedAt time.Time
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
	// Format is the token's format: FormatSS1 or FormatCAT.
	Format                  string
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
	var k *Key
	switch pol.Format {
	case FormatSS1, "":
		tok, err := ring.Mint(kid, g)
		if err != nil {
			return nil, err
		}
		// Expiry is signed in whole seconds; report what was signed.
		exp := time.Unix(g.Expires.Unix(), 0).UTC()
		k = &Key{Format: FormatSS1, Token: tok, KeyID: kid, SessionID: g.SessionID, Pattern: g.Paths[0], Expires: exp,
			Forms: makeForms(tok, pb.Scheme, pb.Host, pb.Path, s.TTL, pol.Channels, pol.CookieSameSite)}
	case FormatCAT:
		var err error
		if k, err = mintCAT(ring, pol, pb, s, g, kid); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown token format %q (one of %s)", pol.Format, strings.Join(Formats, ", "))
	}
	if pol.SeedCompat {
		// The seed format always covers the URL's directory; hand it out
		// only when that is no more than the ss1 key covers.
		sk, err := MintSeed(ring, pb, s)
		if err != nil {
			k.SeedOmitted = fmt.Sprintf("no seed-format key: %v", err)
		} else if k.SeedOmitted = seedWithin(sk.Path, pattern); k.SeedOmitted == "" {
			k.StreamKey, k.StreamPolicy = sk.StreamKey, sk.StreamPolicy
		}
	}
	return k, nil
}

// MintSeed mints the seed-format key for pb and s, signed with the ring's
// seed key: it covers the URL's directory, binds s.SeedClientIP and
// s.UserAgent, and expires s.TTL after s.NotBefore (the format has no
// start time).
func MintSeed(ring *streamkey.Ring, pb Playback, s Subject) (seed.Key, error) {
	return seed.Mint(ring, seed.Grant{PlaybackURL: pb.Raw, ClientIP: s.SeedClientIP, UserAgent: s.UserAgent, Expires: s.NotBefore.Add(s.TTL)})
}
