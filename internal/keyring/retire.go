package keyring

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

// Defaults of the lifetime rules, shared by the provider's resources and
// data sources and the issuer's configuration.
const (
	// DefaultActivationDelay gives every edge location time to learn a new
	// key before the issuer signs with it.
	DefaultActivationDelay = 10 * time.Minute
	// DefaultMaxTokenLifetime is the longest lifetime the issuer gives a
	// key by default, the edge function's default maximum.
	DefaultMaxTokenLifetime = streamkey.DefaultMaxLifetime
	// MaxActivationDelay bounds the activation delay: a week.
	MaxActivationDelay = 7 * 24 * time.Hour
)

// MaxKeys is how many keys (the seed key included) a ring may hold: the
// edge function carries every key of the ring, and its code must stay
// within CloudFront's size limit.
const MaxKeys = 8

// Lifetimes say how long a key's tokens can live, which decides when a key
// may leave the ring.
type Lifetimes struct {
	// ActivationDelay is how old a key must be before the issuer signs
	// with it. Until its successor is that old, a key still signs.
	ActivationDelay time.Duration
	// MaxTokenLifetime is the longest lifetime the issuer gives a token
	// (its SECURESTREAM_MAX_TTL).
	MaxTokenLifetime time.Duration
	// Leeway is the clock skew the edge tolerates.
	Leeway time.Duration
}

// RetiresAt returns when the key with id kid may leave the ring: once its
// successor (the next newer key that signs) has signed for
// ActivationDelay, the key signs nothing new, and its last token expires
// MaxTokenLifetime (plus Leeway) after that. The newest key and the seed
// key (which verifies seed-format keys for as long as the user keeps it)
// never retire: ok is false for them.
func (d *Document) RetiresAt(kid string, l Lifetimes) (at time.Time, ok bool) {
	regular := d.signingKeys()
	for i, k := range regular {
		if k.ID == kid && i+1 < len(regular) {
			return regular[i+1].Created.Add(l.ActivationDelay + l.MaxTokenLifetime + l.Leeway), true
		}
	}
	return time.Time{}, false
}

// signingKeys are the keys that sign ss1 tokens, oldest first.
func (d *Document) signingKeys() []Key {
	var out []Key
	for _, k := range d.Keys {
		if !k.Seed {
			out = append(out, k)
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Created.Before(out[b].Created) })
	return out
}

// Retire removes the keys whose every token has expired at now, and
// returns their ids. Retirement is by time only, so no token is refused
// because its key left the ring while it could still be valid.
func (d *Document) Retire(now time.Time, l Lifetimes) (retired []string) {
	kept := d.Keys[:0:0]
	for _, k := range d.Keys {
		if at, ok := d.RetiresAt(k.ID, l); ok && !now.Before(at) {
			retired = append(retired, k.ID)
			continue
		}
		kept = append(kept, k)
	}
	d.Keys = kept
	return retired
}

// Newest returns the newest key that signs; ok is false when the ring
// holds only the seed key.
func (d *Document) Newest() (k Key, ok bool) {
	regular := d.signingKeys()
	if len(regular) == 0 {
		return Key{}, false
	}
	return regular[len(regular)-1], true
}

// ErrFull is the error CheckCapacity wraps.
var ErrFull = errors.New("keyring: the key ring is full")

// CheckCapacity tells whether the ring fits the edge function. When it
// does not, the error names the keys that must stay, until when, and so
// the earliest time a rotation fits.
func (d *Document) CheckCapacity(l Lifetimes) error {
	if len(d.Keys) <= MaxKeys {
		return nil
	}
	var stay []string
	var first time.Time
	for _, k := range d.signingKeys() {
		at, ok := d.RetiresAt(k.ID, l)
		if !ok {
			continue
		}
		stay = append(stay, fmt.Sprintf("%s until %s", k.ID, at.UTC().Format(time.RFC3339)))
		if first.IsZero() || at.Before(first) {
			first = at
		}
	}
	msg := fmt.Sprintf("%d keys would be in the ring; the edge function holds at most %d (the seed key counts)", len(d.Keys), MaxKeys)
	if len(stay) > 0 {
		msg += fmt.Sprintf(". Keys stay until no token they signed can be valid (activation delay %s + maximum token lifetime %s + leeway %s "+
			"after their successor was created): %s. The next rotation fits at %s; rotate then, or lower the maximum token lifetime",
			l.ActivationDelay, l.MaxTokenLifetime, l.Leeway, strings.Join(stay, ", "), first.UTC().Format(time.RFC3339))
	}
	return fmt.Errorf("%w: %s", ErrFull, msg)
}
