package streamkey

import (
	"crypto/sha256"
	"encoding"
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

// maxKeyIDLen bounds key ids so tokens stay short.
const maxKeyIDLen = 32

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
	// deployment: it verifies and mints seed-format stream keys only. For
	// ss1 tokens it is not in the ring (unknown_kid), and Mint refuses it:
	// the original issuer's secret may have leaked with its code.
	Seed bool
}

// Ring is a set of live keys, looked up by key id. It is safe for
// concurrent use. Each key's HMAC pads are absorbed once, when the ring is
// built, and each key keeps a pool of hash states, so minting and
// verifying cost no key setup and no allocation for the MAC.
type Ring struct {
	keys []*ringKey // ordered by Created, oldest first
}

type ringKey struct {
	Key
	// innerPad and outerPad are SHA-256 states after absorbing the key
	// XOR ipad and XOR opad (FIPS 198-1 section 6 allows precomputing
	// them); they are as secret as the key.
	innerPad, outerPad []byte
	pool               sync.Pool // of *macState
}

// shaState is a SHA-256 whose state can be saved and restored.
type shaState interface {
	hash.Hash
	encoding.BinaryAppender
	encoding.BinaryUnmarshaler
}

func newSHA() shaState {
	h, ok := sha256.New().(shaState)
	if !ok {
		panic("streamkey: this Go's SHA-256 cannot save and restore its state")
	}
	return h
}

// macState computes HMAC-SHA256 of a message and of prefixes of it:
// finish can be called after any prefix and writing then goes on.
type macState struct {
	key        *ringKey
	in, out    shaState
	buf, aux   []byte
	isum, osum [sha256.Size]byte
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
		rk.innerPad, rk.outerPad = hmacPads(rk.Secret)
		rk.pool.New = func() any {
			return &macState{key: rk, in: newSHA(), out: newSHA(), buf: make([]byte, 0, 512), aux: make([]byte, 0, 64)}
		}
		r.keys = append(r.keys, rk)
	}
	sort.SliceStable(r.keys, func(a, b int) bool { return r.keys[a].Created.Before(r.keys[b].Created) })
	return r, nil
}

// ValidKeyID reports whether id can be used as a key id.
func ValidKeyID(id string) error {
	if id == "" || len(id) > maxKeyIDLen {
		return fmt.Errorf("key id %q must be 1 to %d characters long", id, maxKeyIDLen)
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
// deployment), the oldest key is used. A seed key (the original
// deployment's secret, kept only so that its keys still verify) never
// signs new tokens; a ring of seed keys alone has no signing key ("").
func (r *Ring) SigningKey(now time.Time, activationDelay time.Duration) string {
	oldest := ""
	for i := len(r.keys) - 1; i >= 0; i-- {
		k := r.keys[i]
		if k.Seed {
			continue
		}
		if !k.Created.Add(activationDelay).After(now) {
			return k.ID
		}
		oldest = k.ID
	}
	return oldest
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

// SeedMAC returns the id of the ring's seed key (the key marked Seed) and
// HMAC-SHA256 of msg under it, computed from the key's saved pads like
// every MAC of the ring; ok is false when the ring has no seed key. It is
// how package seed signs and checks seed-format keys: the secret itself
// never leaves the ring. msg is copied first, so the caller's buffer does
// not escape through the hash's interface.
func (r *Ring) SeedMAC(msg []byte) (kid string, mac [sha256.Size]byte, ok bool) {
	k := r.seedKey()
	if k == nil {
		return "", mac, false
	}
	m := k.get()
	defer k.put(m)
	m.buf = append(m.buf, msg...)
	m.write(m.buf)
	return k.ID, [sha256.Size]byte(m.finish()), true
}

// hmacPads returns the saved SHA-256 states after absorbing the HMAC
// key XOR ipad and XOR opad (RFC 2104).
func hmacPads(secret []byte) (inner, outer []byte) {
	var block [sha256.BlockSize]byte
	if len(secret) > sha256.BlockSize {
		sum := sha256.Sum256(secret)
		copy(block[:], sum[:])
	} else {
		copy(block[:], secret)
	}
	h := newSHA()
	pad := func(x byte) []byte {
		var p [sha256.BlockSize]byte
		for i := range p {
			p[i] = block[i] ^ x
		}
		h.Reset()
		h.Write(p[:])
		st, err := h.AppendBinary(nil)
		if err != nil {
			panic("streamkey: SHA-256 state cannot be saved: " + err.Error())
		}
		return st
	}
	return pad(0x36), pad(0x5c)
}

// get takes a hash state from the key's pool, reset to start a MAC.
func (k *ringKey) get() *macState {
	m, ok := k.pool.Get().(*macState)
	if !ok { // unreachable: the pool only ever holds *macState
		panic("streamkey: hash state pool holds a foreign value")
	}
	m.start()
	m.buf = m.buf[:0]
	return m
}

func (k *ringKey) put(m *macState) {
	if cap(m.buf) > 4096 { // do not keep buffers grown by one huge input
		m.buf = make([]byte, 0, 512)
	}
	k.pool.Put(m)
}

// start begins a new MAC: the inner hash holds the key XOR ipad.
func (m *macState) start() {
	if err := m.in.UnmarshalBinary(m.key.innerPad); err != nil {
		panic("streamkey: restoring a saved SHA-256 state failed: " + err.Error())
	}
}

func (m *macState) write(b []byte) { m.in.Write(b) }

func (m *macState) writeString(s string) { m.in.Write(bytesOf(s)) }

// finish returns the HMAC of everything written since start, without
// ending the message: more can be written and finished again. The result
// lives in m until the next finish.
func (m *macState) finish() []byte {
	inner := m.in.Sum(m.isum[:0])
	if err := m.out.UnmarshalBinary(m.key.outerPad); err != nil {
		panic("streamkey: restoring a saved SHA-256 state failed: " + err.Error())
	}
	m.out.Write(inner)
	return m.out.Sum(m.osum[:0])
}
