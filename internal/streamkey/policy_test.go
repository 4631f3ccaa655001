package streamkey

import (
	"strings"
	"testing"
	"time"
)

// The original deployment's secret verifies seed-format keys only: an ss1
// token it signed, however genuine, names no key of the ss1 ring, and Mint
// will not sign one.
func TestSeedKeyIsNoSS1Key(t *testing.T) {
	seed := []byte("k3y-for-tests-0123456789abcdef0123456789")
	r := must[*Ring](t)(NewRing(Key{ID: "k1", Secret: testSecret("k1", 32)}, Key{ID: "seed", Secret: seed, Seed: true}))
	ver := &Verifier{Ring: r}
	req := baseRequest()
	tok := signRaw(r, "seed", "e=1767229200\np=/*") // no bindings, the whole site
	if got := ver.Verify(tok, req); got.Reason != UnknownKey {
		t.Errorf("ss1 token signed with the seed key: %s, want unknown_kid", got.Reason)
	}
	if tok, err := r.Mint("seed", baseGrant()); err == nil || !strings.Contains(err.Error(), "seed") {
		t.Errorf("Mint with the seed key: %q, %v; want an error naming the seed key", tok, err)
	}
	// The same secret, not marked Seed, is an ordinary ss1 key.
	plain := must[*Ring](t)(NewRing(Key{ID: "seed", Secret: seed}))
	if got := (&Verifier{Ring: plain}).Verify(tok, req); got.Reason != OK {
		t.Errorf("the same token, key not marked Seed: %s", got.Reason)
	}
	// That seed-format keys still verify with it is TestSeedKeyVerifiesSeedFormat
	// of package seed.
}

func TestTimeLimits(t *testing.T) {
	for _, tc := range []struct {
		life, leeway  time.Duration
		leewaySec, bd int64
	}{
		{0, 0, 30, 86430},
		{0, NoLeeway, 0, 86400},
		{time.Hour, 5 * time.Second, 5, 3605},
		{time.Second, NoLeeway, 0, 1},
		{LongestMaxLifetime, LongestLeeway, 3600, 7*86400 + 3600},
	} {
		lw, bd, err := TimeLimits(tc.life, tc.leeway)
		if err != nil || lw != tc.leewaySec || bd != tc.bd {
			t.Errorf("TimeLimits(%s, %s) = %d, %d, %v; want %d, %d", tc.life, tc.leeway, lw, bd, err, tc.leewaySec, tc.bd)
		}
	}
	for _, tc := range []struct{ life, leeway time.Duration }{
		{500 * time.Millisecond, 0},                       // Go allowed it (as 24 h), the edge refused every token
		{1500 * time.Millisecond, 500 * time.Millisecond}, // Go's bound was 1 s, the edge's 2 s
		{-time.Second, 0},
		{LongestMaxLifetime + time.Second, 0},
		{1 << 62, 0}, // overflowed in the renderer
		{0, -5 * time.Second},
		{0, 1500 * time.Millisecond},
		{0, LongestLeeway + time.Second},
	} {
		if _, _, err := TimeLimits(tc.life, tc.leeway); err == nil || !strings.Contains(err.Error(), "whole seconds") {
			t.Errorf("TimeLimits(%s, %s) accepted it or says no range: %v", tc.life, tc.leeway, err)
		} else if err := (&Verifier{Ring: testRing(t), MaxLifetime: tc.life, Leeway: tc.leeway}).Validate(); err == nil {
			t.Errorf("Validate accepted %s, %s", tc.life, tc.leeway)
		}
	}
}

// A zero Leeway is the documented 30 s: a key minted now is valid at an
// edge whose clock is a little behind. NoLeeway is a real zero.
func TestDefaultLeeway(t *testing.T) {
	r := testRing(t)
	g := Grant{Expires: t0.Add(time.Hour), NotBefore: t0, Paths: []string{"/*"}}
	tok := must[string](t)(r.Mint("k2025a", g))
	behind := Request{Now: t0.Add(-200 * time.Millisecond), Path: "/x"}
	if got := (&Verifier{Ring: r}).Verify(tok, behind).Reason; got != OK {
		t.Errorf("zero leeway, edge 200 ms behind: %s, want ok", got)
	}
	if got := (&Verifier{Ring: r, Leeway: NoLeeway}).Verify(tok, behind).Reason; got != NotYetValid {
		t.Errorf("NoLeeway, edge 200 ms behind: %s, want not_yet_valid", got)
	}
	if got := (&Verifier{Ring: r}).Verify(tok, Request{Now: t0.Add(-31 * time.Second), Path: "/x"}).Reason; got != NotYetValid {
		t.Errorf("zero leeway, edge 31 s behind: %s, want not_yet_valid", got)
	}
}

// An invalid policy refuses every genuine token, ss1 and seed format
// alike (package seed's TestInvalidPolicyRefuses), rather than falling
// back to some other lifetime.
func TestInvalidPolicyRefuses(t *testing.T) {
	seed := []byte("k3y-for-tests-0123456789abcdef0123456789")
	r := must[*Ring](t)(NewRing(Key{ID: "k1", Secret: testSecret("k1", 32)}, Key{ID: "seed", Secret: seed, Seed: true}))
	req := baseRequest()
	tok := must[string](t)(r.Mint("k1", Grant{Expires: req.Now.Add(time.Minute), Paths: []string{"/*"}}))
	for _, ver := range []*Verifier{{Ring: r, MaxLifetime: 500 * time.Millisecond}, {Ring: r, MaxLifetime: time.Hour, Leeway: 1500 * time.Millisecond}} {
		if got := ver.Verify(tok, req).Reason; got != Lifetime {
			t.Errorf("max lifetime %s, leeway %s: ss1 %s, want lifetime", ver.MaxLifetime, ver.Leeway, got)
		}
	}
	// The bound is exact: max lifetime + leeway seconds from now.
	ver := &Verifier{Ring: r, MaxLifetime: time.Minute, Leeway: NoLeeway}
	for exp, want := range map[time.Duration]Reason{time.Minute: OK, time.Minute + time.Second: Lifetime} {
		tok := must[string](t)(r.Mint("k1", Grant{Expires: req.Now.Add(exp), Paths: []string{"/*"}}))
		if got := ver.Verify(tok, req).Reason; got != want {
			t.Errorf("exp now+%s, max lifetime 1m, no leeway: %s, want %s", exp, got, want)
		}
	}
}

// A host has no empty label: neither Grant.Host nor the h claim may start
// or end with a dot or hold two in a row (a bound "name." would be matched
// by a request for "name..", whose one final dot is dropped).
func TestHostLabels(t *testing.T) {
	r := testRing(t)
	g := baseGrant()
	for _, h := range []string{"media.example.com..", ".media.example.com", "media..example.com", ".", "..", "media.example.com..:443"} {
		g.Host = h
		if tok, err := r.Mint("k2025a", g); err == nil {
			t.Errorf("Grant.Host %q: minted %q", h, tok)
		}
	}
	// One final dot, a port and capitals are dropped, as from a request Host.
	g.Host = "Media.Example.com."
	tok := must[string](t)(r.Mint("k2025a", g))
	if _, c, err := Inspect(tok); err != nil || c.Host != "media.example.com" {
		t.Errorf("Grant.Host %q binds %q (%v)", g.Host, c.Host, err)
	}
	ver := &Verifier{Ring: r}
	req := baseRequest()
	req.Host = "media.example.com."
	for _, h := range []string{"media.example.com.", ".media.example.com", "media..example.com", "."} {
		tok := signRaw(r, "k2025a", "e=1767229200\np=/*\nh="+h)
		if got := ver.Verify(tok, req).Reason; got != Malformed {
			t.Errorf("claim h=%s, request host %s: %s, want malformed", h, req.Host, got)
		}
	}
	if got := ver.Verify(signRaw(r, "k2025a", "e=1767229200\np=/*\nh=media.example.com"), req).Reason; got != OK {
		t.Errorf("claim h=media.example.com, request host %s: %s, want ok", req.Host, got)
	}
}
