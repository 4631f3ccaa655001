package soak

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/pause"
)

// TestSoak rotates the key ring through Terraform, again and again, while
// players play through the edge with keys from the issuer, on a local
// CloudFront whose edge learns each new function code only after the
// propagation delay.
//
// Honest phase: the activation delay covers the propagation (and the
// apply's own time from the key's creation to the publish): no request
// of a player may be refused, and the issuer may not fail once, while
// cfg.Revocations other sessions are revoked one by one through the
// issuer's admin route (revocations): each must be refused, at the edge
// (403 revoked, within the hang guard after the store's propagation
// delay) and by the issuer (continuing it); the players, who continue
// their sessions when they renew, must not be. Each
// rotation is checked against the retention rules (checkRing), and a key
// minted just before each rotation must be served until it expires.
//
// Control phase: the activation delay drops below the propagation delay,
// and the same players must be refused (the issuer signs with a key the
// edge does not know yet), which shows that the honest phase's zero can
// fail.
func TestSoak(t *testing.T) {
	env, cfg := sharedEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	begin := time.Now()
	tokens := &tokenLog{}

	before, err := observe(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	if before.Lifetimes.ActivationDelay != cfg.ActivationDelay || before.Lifetimes.MaxTokenLifetime != cfg.MaxTokenLifetime {
		t.Fatalf("the ring's activation delay is %s and maximum lifetime %s, want %s and %s (examples/local's variables)",
			before.Lifetimes.ActivationDelay, before.Lifetimes.MaxTokenLifetime, cfg.ActivationDelay, cfg.MaxTokenLifetime)
	}
	t.Logf("soak (%s): %d players and %d joiners, %d rotations, propagation delay %s, activation delay %s, max token lifetime %s; ring %s",
		cfg.Form, cfg.Players, cfg.Joiners, cfg.Rotations, cfg.Propagation, cfg.ActivationDelay, cfg.MaxTokenLifetime, before)

	fleet := StartFleet(ctx, env, cfg, cfg.Players, "honest", tokens)
	stopped := false
	defer func() {
		if !stopped {
			fleet.Stop()
		}
	}()
	pins := newPinned(env)
	pctx, pcancel := context.WithCancel(ctx)
	pdone := make(chan struct{})
	go func() { defer close(pdone); pins.run(pctx) }()
	defer func() { pcancel(); <-pdone }()

	// Every player has a key and plays before the first rotation.
	if !pause.For(ctx, cfg.RenewBefore) {
		t.Fatal(ctx.Err())
	}
	if fleet.Phase().Served.Load() == 0 {
		t.Fatalf("no request was served before the first rotation:\n%s", fleet.Phase().Samples())
	}

	// Revocations, one by one, while the players play and the ring
	// rotates: the honest phase lasts until they are all checked.
	revs := newRevocations(env, cfg)
	rctx, rcancel := context.WithCancel(ctx)
	rdone := make(chan struct{})
	go func() { defer close(rdone); revs.run(rctx) }()
	defer func() { rcancel(); <-rdone }()

	var rotations []*rotation
	failed := false
	rotate := func(round int, ad time.Duration) *rotation {
		rot := &rotation{Round: round, Before: before, Start: time.Now()}
		if err := env.Apply(ctx, soakVars(cfg, round, ad)); err != nil {
			t.Fatalf("rotation %d: %v", round, err)
		}
		rot.End = time.Now()
		after, err := observe(ctx, env)
		if err != nil {
			t.Fatalf("rotation %d: %v", round, err)
		}
		rot.After, before = after, after
		for _, bad := range checkRing(rot, tokens, true) {
			t.Errorf("rotation %d: %s", round, bad)
			failed = true
		}
		rotations = append(rotations, rot)
		t.Logf("rotation %d: apply %s, added %s (published %s after its creation), retired %v; ring %s",
			round, rot.End.Sub(rot.Start).Round(100*time.Millisecond), rot.Added, rot.Lag.Round(100*time.Millisecond), rot.Retired, after)
		return rot
	}

	// Honest phase.
	var pinnedKeys []*pinnedKey
	for round := 1; round <= cfg.Rotations && !failed; round++ {
		pk, err := pins.mint(ctx, round, cfg.PinnedTTL)
		if err != nil {
			t.Fatal(err)
		}
		pinnedKeys = append(pinnedKeys, pk)
		rot := rotate(round, cfg.ActivationDelay)
		if rot.Added == "" {
			break
		}
		// Let the new key sign, and wait for players to be given it.
		signs := rot.After.created(rot.Added).Add(cfg.ActivationDelay)
		if !pause.For(ctx, time.Until(signs)+cfg.Settle) {
			t.Fatal(ctx.Err())
		}
		deadline := time.Now().Add(cfg.ActivationDelay)
		for {
			if _, ok := tokens.get(rot.Added); ok {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("rotation %d: the issuer never signed with key %s, %s after it could", round, rot.Added, time.Since(signs).Round(time.Second))
				break
			}
			pause.For(ctx, 200*time.Millisecond)
		}
	}
	<-rdone
	honest := fleet.SetPhase("control")

	// Control phase: the activation delay below the propagation delay.
	control := fleet.Phase()
	for i := 1; i <= cfg.ControlRotations && !failed; i++ {
		rot := rotate(cfg.Rotations+i, cfg.ControlActivationDelay)
		// Until every edge location has the new code, and a little more.
		pause.For(ctx, time.Until(rot.After.Published.Add(cfg.Propagation))+2*time.Second)
		if control.Refused.Load() > 0 {
			break
		}
	}
	fleet.Stop()
	stopped = true

	// The pinned keys: until the last has expired.
	for pins.pending() && pause.For(ctx, pinnedEvery) {
	}
	pcancel()
	<-pdone

	total := time.Since(begin)
	report := []string{fmt.Sprintf("soak (%s) in %s: %d players + %d joiners, %d rotations through terraform apply (%d honest, %d control), propagation delay %s",
		cfg.Form, total.Round(time.Second), cfg.Players, cfg.Joiners, len(rotations), min(cfg.Rotations, len(rotations)), max(len(rotations)-cfg.Rotations, 0), cfg.Propagation),
		fmt.Sprintf("honest phase, activation delay %s: %s", cfg.ActivationDelay, honest.Summary()),
		fmt.Sprintf("control phase, activation delay %s: %s", cfg.ControlActivationDelay, control.Summary()),
		"honest phase, " + revs.Summary()}
	var lags []time.Duration
	var retired []string
	for _, r := range rotations {
		lags = append(lags, r.Lag)
		retired = append(retired, r.Retired...)
	}
	report = append(report, fmt.Sprintf("key creation to LIVE publish, per rotation: %v; keys retired: %d %v", roundAll(lags), len(retired), retired))
	var pinnedReport []string
	for i, pk := range pins.all() {
		if i < len(rotations) && len(pk.Served) > 0 {
			signs := rotations[i].After.created(rotations[i].Added).Add(cfg.ActivationDelay)
			pinnedReport = append(pinnedReport, fmt.Sprintf("%d served (the last %s after the new key signed), expired refused %t",
				len(pk.Served), pk.Served[len(pk.Served)-1].Sub(signs).Round(100*time.Millisecond), pk.Expired))
		}
	}
	report = append(report, fmt.Sprintf("keys minted just before each rotation (%s each): %s", cfg.PinnedTTL, strings.Join(pinnedReport, "; ")))
	t.Log("\n" + strings.Join(report, "\n"))

	// The honest phase: nothing refused, nothing failed.
	if n := honest.Refused.Load() + honest.EdgeErrors.Load() + honest.IssuerErrors.Load(); n > 0 {
		t.Errorf("honest phase: %d refused, %d edge errors, %d issuer errors (activation delay %s, propagation %s, publish lags %v):\n%s",
			honest.Refused.Load(), honest.EdgeErrors.Load(), honest.IssuerErrors.Load(), cfg.ActivationDelay, cfg.Propagation, roundAll(lags), honest.Samples())
	}
	if honest.Served.Load() == 0 || honest.Renewals.Load() < int64(cfg.Players) {
		t.Errorf("honest phase: %d requests served and %d renewals; want requests, and every player renewing its key at least once",
			honest.Served.Load(), honest.Renewals.Load())
	}
	// The revoked sessions: each refused at the edge as revoked within
	// the hang guard, and by the issuer; the honest phase's zero above is
	// the other sessions'.
	if probs := revs.problems(); len(probs) > 0 {
		t.Errorf("revocations: %d problems (the first %d):\n%s", len(probs), min(len(probs), maxSamples),
			strings.Join(probs[:min(len(probs), maxSamples)], "\n"))
	}
	if len(rotations) < cfg.Rotations {
		t.Errorf("%d honest rotations made, want %d", len(rotations), cfg.Rotations)
	}
	// The control phase: refusals, and the issuer still fine.
	if control.Refused.Load() == 0 {
		t.Errorf("control phase (activation delay %s below the propagation delay %s): no request was refused; the soak cannot tell a safe rotation from an unsafe one",
			cfg.ControlActivationDelay, cfg.Propagation)
	}
	if n := control.IssuerErrors.Load() + control.EdgeErrors.Load(); n > 0 {
		t.Errorf("control phase: %d issuer errors, %d edge errors:\n%s", control.IssuerErrors.Load(), control.EdgeErrors.Load(), control.Samples())
	}
	// Keys minted just before a rotation: served until they expired,
	// including after the rotation's code was out and its new key signed.
	for i, pk := range pins.all() {
		if len(pk.Violations) > 0 {
			t.Errorf("the key minted before rotation %d (key %s): %s", pk.Round, pk.Kid, strings.Join(pk.Violations, "; "))
			continue
		}
		if !pk.Expired {
			t.Errorf("the key minted before rotation %d (key %s) was never seen refused as expired", pk.Round, pk.Kid)
		}
		if i >= len(rotations) {
			t.Errorf("the key minted before rotation %d: that rotation was not made", pk.Round)
			continue
		}
		rot := rotations[i]
		if pk.Kid == rot.Added {
			t.Errorf("the key minted before rotation %d is signed with the key that rotation added", pk.Round)
		}
		after := rot.After.Published.Add(cfg.Propagation)
		if signs := rot.After.created(rot.Added).Add(cfg.ActivationDelay); signs.After(after) {
			after = signs
		}
		if !pins.servedAfter(pinnedKeys[i], after) {
			t.Errorf("the key minted before rotation %d was not served after the rotation (its new key signing from %s); it expired at %s",
				pk.Round, after.Format("15:04:05"), pk.Key.ExpiresAt().Format("15:04:05"))
		}
	}
	if cfg.RequireRetirement && len(retired) == 0 {
		t.Errorf("no key left the ring in %s; the long form must run past a key's bound", total.Round(time.Second))
	}
}

func roundAll(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(100 * time.Millisecond)
	}
	return out
}
