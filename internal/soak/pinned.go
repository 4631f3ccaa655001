package soak

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/demo"
	"github.com/securestream/terraform-provider-securestream/internal/pause"
)

// pinned are keys minted just before a rotation and used, every
// pinnedEvery, until they expire: each must be served until its expiry
// (across the rotation, once its key no longer signs) and refused as
// expired after it.
type pinned struct {
	env    *demo.Env
	client *http.Client

	mu   sync.Mutex
	keys []*pinnedKey
}

type pinnedKey struct {
	Round int
	Key   *demo.Key
	Kid   string
	// Served are the times it was served; Violations what was wrong;
	// Expired that it was refused as expired after its expiry.
	Served     []time.Time
	Violations []string
	Expired    bool
}

const (
	pinnedEvery = 500 * time.Millisecond
	// pinnedMargin is left on both sides of the expiry, where a second's
	// rounding of the edge's clock decides.
	pinnedMargin = 1500 * time.Millisecond
)

func newPinned(env *demo.Env) *pinned {
	return &pinned{env: env, client: &http.Client{Timeout: 30 * time.Second}}
}

// mint asks the issuer for a key of ttl for round, to be checked from now.
func (p *pinned) mint(ctx context.Context, round int, ttl time.Duration) (*pinnedKey, error) {
	k, err := p.env.RequestKey(ctx, demo.KeyRequest{TTL: ttl, UserAgent: fmt.Sprintf("securestream-soak-pinned/%d", round)})
	if err != nil {
		return nil, fmt.Errorf("minting the key of rotation %d: %w", round, err)
	}
	pk := &pinnedKey{Round: round, Key: k, Kid: kidOf(k.Token)}
	p.mu.Lock()
	p.keys = append(p.keys, pk)
	p.mu.Unlock()
	return pk, nil
}

// run checks every key until ctx ends.
func (p *pinned) run(ctx context.Context) {
	for pause.For(ctx, pinnedEvery) {
		p.mu.Lock()
		keys := append([]*pinnedKey(nil), p.keys...)
		p.mu.Unlock()
		for _, k := range keys {
			p.check(ctx, k)
		}
	}
}

// pending reports whether a key is still to be seen expired.
func (p *pinned) pending() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, k := range p.keys {
		if !k.Expired && len(k.Violations) == 0 {
			return true
		}
	}
	return false
}

func (p *pinned) check(ctx context.Context, k *pinnedKey) {
	p.mu.Lock()
	done := k.Expired || len(k.Violations) > 0
	p.mu.Unlock()
	left := time.Until(k.Key.ExpiresAt())
	if done || (left < pinnedMargin && left > -pinnedMargin) {
		return
	}
	req, err := keyedRequest(ctx, p.env.EdgeURL+p.env.MasterPath, "header", k.Key)
	if err != nil {
		return
	}
	resp, err := p.client.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			p.violation(k, fmt.Sprintf("no answer: %v", err))
		}
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	why := resp.Header.Get("X-Stream-Key-Error")
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case left > 0 && resp.StatusCode == http.StatusOK:
		k.Served = append(k.Served, time.Now())
	case left > 0:
		k.Violations = append(k.Violations, fmt.Sprintf("%s %s with %s to live", resp.Status, why, left.Round(time.Millisecond)))
	case resp.StatusCode == http.StatusForbidden && why == "expired":
		k.Expired = true
	default:
		k.Violations = append(k.Violations, fmt.Sprintf("%s %s, %s after its expiry (want 403 expired)", resp.Status, why, (-left).Round(time.Millisecond)))
	}
}

func (p *pinned) violation(k *pinnedKey, v string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	k.Violations = append(k.Violations, v)
}

// servedAfter reports whether k was served at or after t.
func (p *pinned) servedAfter(k *pinnedKey, t time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range k.Served {
		if !s.Before(t) {
			return true
		}
	}
	return false
}

func (p *pinned) all() []pinnedKey {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]pinnedKey, len(p.keys))
	for i, k := range p.keys {
		out[i] = *k
	}
	return out
}
