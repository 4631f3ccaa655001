package soak

import (
	"fmt"
	"os"
	"time"
)

// FormVar chooses the soak's form: unset or "short" (make test), "long"
// (make soak).
const FormVar = "SECURESTREAM_SOAK"

// Config is one form of the soak.
type Config struct {
	// Form names it: short or long.
	Form string
	// Players play at once, besides Joiners, which each ask for a new key
	// every JoinEvery and use it at once, as players starting a stream do
	// (the request most exposed to a key the edge does not know yet).
	Players, Joiners int
	JoinEvery        time.Duration
	// Rotations is how many times the ring rotates in the honest phase,
	// each through terraform apply. Each new key is let sign (it is
	// ActivationDelay old) for Settle before the next rotation.
	Rotations int
	Settle    time.Duration
	// Propagation is the local CloudFront's PropagationDelay: how long the
	// edge serves the previous function code after a publish.
	Propagation time.Duration
	// ActivationDelay and MaxTokenLifetime are the ring's settings in the
	// honest phase; ControlActivationDelay is the control phase's, below
	// Propagation, so that refusals must occur.
	ActivationDelay, ControlActivationDelay, MaxTokenLifetime time.Duration
	// ControlRotations bounds the control phase's rotations: it stops at
	// the first that shows refusals.
	ControlRotations int
	// KeyTTL is the lifetime players ask for; they ask for a new key
	// RenewBefore its expiry.
	KeyTTL, RenewBefore time.Duration
	// Pace is the mean pause between a player's requests.
	Pace time.Duration
	// PinnedTTL is the lifetime of the key minted just before each
	// rotation, which is used until it expires.
	PinnedTTL time.Duration
	// RequireRetirement: the run is long enough that keys must leave the
	// ring (ActivationDelay + MaxTokenLifetime + 30 s after their
	// successor), and the test requires at least one to.
	RequireRetirement bool
	// HostilePlayers play beside the hostile corpus.
	HostilePlayers int
	// Revocations sessions of their own are revoked one by one through
	// the issuer's admin route during the honest phase; KVSPropagation is
	// the local CloudFront's KVSPropagationDelay, how long its edge reads
	// the revocation store as it was before a write.
	Revocations    int
	KVSPropagation time.Duration
}

// Short is the form make test runs: about a minute and a half of load.
func Short() Config {
	return Config{
		Form: "short", Players: 50, Joiners: 2, JoinEvery: 500 * time.Millisecond,
		Rotations: 5, Settle: 1500 * time.Millisecond,
		Propagation: 2 * time.Second, ActivationDelay: 10 * time.Second, ControlActivationDelay: 0,
		MaxTokenLifetime: time.Minute, ControlRotations: 2,
		KeyTTL: 20 * time.Second, RenewBefore: 5 * time.Second, Pace: 250 * time.Millisecond,
		PinnedTTL: 20 * time.Second, HostilePlayers: 16,
		Revocations: 100, KVSPropagation: time.Second,
	}
}

// Long is the form make soak runs: more players, more rotations, and long
// enough (over ActivationDelay + MaxTokenLifetime + 30 s after the first
// rotation) for keys to retire.
func Long() Config {
	c := Short()
	c.Form, c.Players = "long", 150
	c.Rotations, c.Settle = 12, 10*time.Second
	c.Pace = 150 * time.Millisecond
	c.RequireRetirement = true
	c.HostilePlayers = 50
	c.KVSPropagation = 5 * time.Second
	return c
}

// FromEnv is the form SECURESTREAM_SOAK asks for.
func FromEnv() (Config, error) {
	switch v := os.Getenv(FormVar); v {
	case "", "short":
		return Short(), nil
	case "long":
		return Long(), nil
	default:
		return Config{}, fmt.Errorf("%s=%q: use short (the default) or long", FormVar, v)
	}
}
