package soak

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Counters count what honest players saw during one phase of a run.
type Counters struct {
	Name       string
	start, end atomic.Int64 // unix nanoseconds

	// Served are edge requests answered 200; Refused answered 403 (an
	// honest request refused); EdgeErrors anything else (another status,
	// no answer, a body that is not what was asked for).
	Served, Refused, EdgeErrors atomic.Int64
	// Keys are keys the issuer gave (Renewals of them by a player that
	// had one); IssuerErrors are key requests that failed.
	Keys, Renewals, IssuerErrors atomic.Int64

	mu       sync.Mutex
	reasons  map[string]int // refusals by x-stream-key-error
	samples  []string       // the first failures, for the failure message
	latency  []time.Duration
	channels map[string]int // served requests by channel
}

func newCounters(name string) *Counters {
	c := &Counters{Name: name, reasons: map[string]int{}, channels: map[string]int{}}
	c.start.Store(time.Now().UnixNano())
	return c
}

// maxSamples bounds the failures kept for the message.
const maxSamples = 12

func (c *Counters) sample(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.samples) < maxSamples {
		c.samples = append(c.samples, time.Now().Format("15:04:05.000")+" "+fmt.Sprintf(format, args...))
	}
}

func (c *Counters) served(channel string) {
	c.Served.Add(1)
	c.mu.Lock()
	c.channels[channel]++
	c.mu.Unlock()
}

func (c *Counters) refused(reason, format string, args ...any) {
	c.Refused.Add(1)
	c.mu.Lock()
	c.reasons[reason]++
	c.mu.Unlock()
	c.sample("refused ("+reason+"): "+format, args...)
}

func (c *Counters) edgeError(format string, args ...any) {
	c.EdgeErrors.Add(1)
	c.sample("edge error: "+format, args...)
}

func (c *Counters) issued(d time.Duration, renewal bool) {
	c.Keys.Add(1)
	if renewal {
		c.Renewals.Add(1)
	}
	c.mu.Lock()
	c.latency = append(c.latency, d)
	c.mu.Unlock()
}

func (c *Counters) issuerError(format string, args ...any) {
	c.IssuerErrors.Add(1)
	c.sample("issuer error: "+format, args...)
}

// stop marks the end of the phase.
func (c *Counters) stop() { c.end.CompareAndSwap(0, time.Now().UnixNano()) }

// Duration is how long the phase lasted (so far).
func (c *Counters) Duration() time.Duration {
	end := c.end.Load()
	if end == 0 {
		end = time.Now().UnixNano()
	}
	return time.Duration(end - c.start.Load())
}

// Reasons are the refusals by reason.
func (c *Counters) Reasons() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.reasons))
	for k, v := range c.reasons {
		out[k] = v
	}
	return out
}

// Samples are the first failures, one per line.
func (c *Counters) Samples() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.samples, "\n")
}

// Latency returns the issuer's p-th percentile answer time (nearest rank).
func (c *Counters) Latency(p float64) time.Duration {
	c.mu.Lock()
	l := slices.Clone(c.latency)
	c.mu.Unlock()
	if len(l) == 0 {
		return 0
	}
	slices.Sort(l)
	i := int(p/100*float64(len(l))+0.5) - 1
	return l[min(max(i, 0), len(l)-1)]
}

// Summary is one line of figures.
func (c *Counters) Summary() string {
	d := c.Duration().Seconds()
	c.mu.Lock()
	var ch []string
	for _, name := range slices.Sorted(maps.Keys(c.channels)) {
		ch = append(ch, fmt.Sprintf("%s %d", name, c.channels[name]))
	}
	c.mu.Unlock()
	return fmt.Sprintf("%s: %.0f s, edge requests served %d (%.0f/s; %s), refused %d %v, edge errors %d; keys issued %d (renewals %d), "+
		"issuer errors %d, issuer p50 %s p99 %s", c.Name, d, c.Served.Load(), float64(c.Served.Load())/d, strings.Join(ch, ", "),
		c.Refused.Load(), c.Reasons(), c.EdgeErrors.Load(), c.Keys.Load(), c.Renewals.Load(), c.IssuerErrors.Load(),
		c.Latency(50).Round(100*time.Microsecond), c.Latency(99).Round(100*time.Microsecond))
}

// tokenLog records, for each key id, the tokens the issuer signed with
// it: how many, and the latest expiry among them.
type tokenLog struct {
	mu   sync.Mutex
	kids map[string]*kidTokens
}

type kidTokens struct {
	Count       int
	First       time.Time // when the first was issued
	LastExpires time.Time
}

func (l *tokenLog) add(kid string, expires time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.kids == nil {
		l.kids = map[string]*kidTokens{}
	}
	k := l.kids[kid]
	if k == nil {
		k = &kidTokens{First: time.Now()}
		l.kids[kid] = k
	}
	k.Count++
	if expires.After(k.LastExpires) {
		k.LastExpires = expires
	}
}

func (l *tokenLog) get(kid string) (kidTokens, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k, ok := l.kids[kid]
	if !ok {
		return kidTokens{}, false
	}
	return *k, true
}

func (l *tokenLog) snapshot() map[string]kidTokens {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]kidTokens{}
	for id, k := range l.kids {
		out[id] = *k
	}
	return out
}
