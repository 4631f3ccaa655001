package streamkey

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"sort"
	"sync"
	"time"
)

// MinSecretBytes is the shortest secret a key may have (HMAC-SHA256's
// output size; shorter keys weaken the MAC).
const MinSecretBytes = 32

// MaxKeyIDLen bounds key ids so tokens stay short.
const MaxKeyIDLen = 32

// Key is one signing key of a ring.
type Key struct {
	// ID is the key id ("kid") carried in every token: 1 to 32 characters
	// from A-Z, a-z, 0-9, '-' and '_'.
	ID string
	// Secret is the HMAC key, at least MinSecretBytes long.
	Secret []byte
	// Created is when the key was generated; SigningKey uses it to wait for
	// the edge to learn a new key before tokens use it.
	Created time.Time
	// Seed marks the key as the secret of an original (blog post)
	// deployment: it also verifies and mints seed-format stream keys.
	Seed bool
}

// Ring is a set of live keys, looked up by key id. It is safe for
// concurrent use. Each key keeps a pool of HMAC states with the key's
// inner and outer pads already absorbed, so verifying a token costs no key
// setup and no allocation for the MAC.
type Ring struct {
	keys []*ringKey // ordered by Created, oldest first
}

type ringKey struct {
	Key
	pool sync.Pool // of *macState
}

// macState is a reusable HMAC with scratch space for building messages.
type macState struct {
	h   hash.Hash
	buf []byte
	sum [sha256.Size]byte
}

// NewRing validates keys and builds a ring. Keys are copied; the caller may
// reuse the slices it passed.
func NewRing(keys ...Key) (*Ring, error) {
	if len(keys) == 0 {
		return nil, errors.New("streamkey: a key ring needs at least one key")
	}
	r := &Ring{}
	seen := map[string]bool{}
	seeds := 0
	for i, k := range keys {
		if err := ValidKeyID(k.ID); err != nil {
			return nil, fmt.Errorf("streamkey: key %d: %w", i, err)
		}
		if seen[k.ID] {
			return nil, fmt.Errorf("streamkey: key id %q appears twice in the ring; key ids must be unique", k.ID)
		}
		seen[k.ID] = true
		if k.Seed && seeds > 0 {
			return nil, fmt.Errorf("streamkey: key %q is the second key marked Seed; a ring has at most one seed-format secret", k.ID)
		}
		if k.Seed {
			seeds++
		}
		if len(k.Secret) < MinSecretBytes {
			return nil, fmt.Errorf("streamkey: key %q has a %d-byte secret; use at least %d random bytes", k.ID, len(k.Secret), MinSecretBytes)
		}
		rk := &ringKey{Key: k}
		rk.Secret = append([]byte(nil), k.Secret...)
		secret := rk.Secret
		rk.pool.New = func() any {
			return &macState{h: hmac.New(sha256.New, secret), buf: make([]byte, 0, 512)}
		}
		r.keys = append(r.keys, rk)
	}
	sort.SliceStable(r.keys, func(a, b int) bool { return r.keys[a].Created.Before(r.keys[b].Created) })
	return r, nil
}

// ValidKeyID reports whether id can be used as a key id.
func ValidKeyID(id string) error {
	if id == "" || len(id) > MaxKeyIDLen {
		return fmt.Errorf("key id %q must be 1 to %d characters long", id, MaxKeyIDLen)
	}
	for i := 0; i < len(id); i++ {
		if !isKeyIDChar(id[i]) {
			return fmt.Errorf("key id %q may only contain A-Z, a-z, 0-9, '-' and '_'", id)
		}
	}
	return nil
}

func isKeyIDChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// Keys returns copies of the ring's keys, oldest first, secrets included.
func (r *Ring) Keys() []Key {
	out := make([]Key, len(r.keys))
	for i, k := range r.keys {
		out[i] = k.Key
		out[i].Secret = append([]byte(nil), k.Secret...)
	}
	return out
}

// SigningKey returns the id of the key new tokens should be signed with at
// time now: the newest key created at least activationDelay ago, so that
// every edge location already has it. If no key is that old yet (a fresh
// deployment), the oldest key is used.
func (r *Ring) SigningKey(now time.Time, activationDelay time.Duration) string {
	for i := len(r.keys) - 1; i >= 0; i-- {
		if !r.keys[i].Created.Add(activationDelay).After(now) {
			return r.keys[i].ID
		}
	}
	return r.keys[0].ID
}

// lookup finds a key by id. Rings hold a handful of keys, so a linear scan
// beats a map and never allocates.
func (r *Ring) lookup(id string) *ringKey {
	for _, k := range r.keys {
		if k.ID == id {
			return k
		}
	}
	return nil
}

// seedKey returns the key marked Seed, if any.
func (r *Ring) seedKey() *ringKey {
	for _, k := range r.keys {
		if k.Seed {
			return k
		}
	}
	return nil
}

func (k *ringKey) get() *macState {
	m := k.pool.Get().(*macState)
	m.h.Reset()
	m.buf = m.buf[:0]
	return m
}

func (k *ringKey) put(m *macState) {
	if cap(m.buf) > 4096 { // do not keep buffers grown by one huge input
		m.buf = make([]byte, 0, 512)
	}
	k.pool.Put(m)
}

// mac computes HMAC-SHA256 of msg into m.sum.
func (m *macState) mac(msg []byte) []byte {
	m.h.Write(msg)
	return m.h.Sum(m.sum[:0])
}
