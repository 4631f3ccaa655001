package soak

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/edgefunc"
	"github.com/securestream/terraform-provider-securestream/internal/issuance"
	"github.com/securestream/terraform-provider-securestream/internal/keyring"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

// The soak reads the key ids of the LIVE code as the renderer writes
// them, whatever the secrets hold.
func TestCodeKeys(t *testing.T) {
	keys := []edgefunc.Key{
		{ID: "k1", Secret: bytes.Repeat([]byte{'a'}, 32)},
		{ID: "k2", Secret: []byte(`";}{var K=x"` + strings.Repeat("b", 32))},
		{ID: "k3", Secret: bytes.Repeat([]byte{0xff}, 32)}, // not text: written as base64
	}
	code, err := edgefunc.Render(edgefunc.Config{Keys: keys, Channels: issuance.DefaultChannels()})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := codeKeys(code)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"k1", "k2", "k3"}; !slices.Equal(ids, want) {
		t.Errorf("codeKeys = %v, want %v", ids, want)
	}
	if _, err := codeKeys([]byte("function handler(e) { return e.request; }")); err == nil {
		t.Error("codeKeys found keys in code without a ring")
	}
}

// checkRing finds each way a rotation can break the retention rules.
func TestCheckRing(t *testing.T) {
	l := keyring.Lifetimes{ActivationDelay: 10 * time.Second, MaxTokenLifetime: time.Minute, Leeway: streamkey.DefaultLeeway}
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	bound := l.ActivationDelay + l.MaxTokenLifetime + l.Leeway // after the successor's creation
	ringOf := func(published time.Time, live []string, keys ...keyring.Key) *ring {
		r := &ring{Doc: &keyring.Document{Keys: keys}, Lifetimes: l, Published: published, Live: live}
		if live == nil {
			r.Live = r.ids()
		}
		return r
	}
	k1 := keyring.Key{ID: "k1", Created: t0}
	k2 := keyring.Key{ID: "k2", Created: t0.Add(20 * time.Second)}
	k3 := keyring.Key{ID: "k3", Created: t0.Add(40 * time.Second)}
	seed := keyring.Key{ID: "seed", Created: time.Unix(0, 0), Seed: true}

	for _, tc := range []struct {
		name    string
		rot     rotation
		tokens  map[string]time.Time // key id: the latest expiry of its tokens
		rotated bool
		want    []string // parts of the problems reported, in order
	}{
		{name: "a rotation within the bound", rotated: true,
			rot:    rotation{Start: t0.Add(40 * time.Second), Before: ringOf(t0, nil, seed, k1, k2), After: ringOf(t0.Add(41*time.Second), nil, seed, k1, k2, k3)},
			tokens: map[string]time.Time{"k1": t0.Add(45 * time.Second), "k2": t0.Add(70 * time.Second)}},
		{name: "the oldest key leaves once its bound passed", rotated: true,
			rot: rotation{Start: k2.Created.Add(bound + time.Second), Before: ringOf(t0, nil, k1, k2),
				After: ringOf(k2.Created.Add(bound+2*time.Second), nil, k2, k3)},
			tokens: map[string]time.Time{"k1": t0.Add(80 * time.Second)}},
		{name: "a key left before its bound", rotated: true,
			rot: rotation{Start: t0.Add(40 * time.Second), Before: ringOf(t0, nil, k1, k2),
				After: ringOf(t0.Add(41*time.Second), nil, k2, k3)},
			want: []string{"key k1 left the function at 2026-11-30T12:00:41Z, before its bound"}},
		{name: "a key left while a token it signed was valid", rotated: true,
			rot: rotation{Start: k2.Created.Add(bound + time.Second), Before: ringOf(t0, nil, k1, k2),
				After: ringOf(k2.Created.Add(bound+2*time.Second), nil, k2, k3)},
			tokens: map[string]time.Time{"k1": k2.Created.Add(bound + time.Minute)},
			want:   []string{"while a token it signed was valid"}},
		{name: "a token outlives its key's bound", rotated: true,
			rot:    rotation{Start: t0.Add(40 * time.Second), Before: ringOf(t0, nil, k1, k2), After: ringOf(t0.Add(41*time.Second), nil, k1, k2, k3)},
			tokens: map[string]time.Time{"k1": k2.Created.Add(bound + time.Second)},
			want:   []string{"after the key's bound"}},
		{name: "a key stayed past its bound", rotated: true,
			rot: rotation{Start: k2.Created.Add(bound + time.Second), Before: ringOf(t0, nil, k1, k2),
				After: ringOf(k2.Created.Add(bound+2*time.Second), nil, k1, k2, k3)},
			want: []string{"key k1 stayed"}},
		{name: "the LIVE code differs from the ring", rotated: true,
			rot: rotation{Start: t0.Add(40 * time.Second), Before: ringOf(t0, nil, k1, k2),
				After: ringOf(t0.Add(41*time.Second), []string{"k1", "k2"}, k1, k2, k3)},
			want: []string{"the LIVE function holds keys [k1 k2], the ring [k1 k2 k3]"}},
		{name: "a rotation that added no key", rotated: true,
			rot:  rotation{Start: t0.Add(40 * time.Second), Before: ringOf(t0, nil, k1, k2), After: ringOf(t0, nil, k1, k2)},
			want: []string{"the rotation added keys [], want one"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tokens := &tokenLog{}
			for id, exp := range tc.tokens {
				tokens.add(id, exp)
			}
			got := checkRing(&tc.rot, tokens, tc.rotated)
			if len(got) != len(tc.want) {
				t.Fatalf("checkRing = %q, want %d problems like %q", got, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %d = %q, want it to say %q", i, got[i], w)
				}
			}
		})
	}
}

func TestLatency(t *testing.T) {
	c := newCounters("x")
	if c.Latency(50) != 0 {
		t.Error("the latency of no request is not zero")
	}
	for i := 100; i >= 1; i-- {
		c.issued(time.Duration(i)*time.Millisecond, false)
	}
	if p50, p99 := c.Latency(50), c.Latency(99); p50 != 50*time.Millisecond || p99 != 99*time.Millisecond {
		t.Errorf("p50 %s p99 %s, want 50ms 99ms", p50, p99)
	}
}

// The corpus is the size the issue asks, and its names are unique.
func TestCorpusNames(t *testing.T) {
	if len(hostileCases) < 40 {
		t.Errorf("%d cases, want at least 40", len(hostileCases))
	}
	seen := map[string]bool{}
	for _, c := range hostileCases {
		if seen[c.Name] || !strings.HasPrefix(c.Name, map[bool]string{true: "issuer/", false: "edge/"}[c.Issuer]) {
			t.Errorf("case %q: a duplicate, or not named after where it goes", c.Name)
		}
		seen[c.Name] = true
	}
}
