package keyring

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

func ringAt(offsets ...time.Duration) *Document {
	d := &Document{Version: Version}
	for i, o := range offsets {
		d.Keys = append(d.Keys, Key{ID: fmt.Sprintf("k%d", i+1), Secret: bytes.Repeat([]byte{byte(i + 1)}, 32), Created: t0.Add(o)})
	}
	return d
}

func ids(d *Document) string {
	var s []string
	for _, k := range d.Keys {
		s = append(s, k.ID)
	}
	return strings.Join(s, " ")
}

var day = Lifetimes{ActivationDelay: 10 * time.Minute, MaxTokenLifetime: 24 * time.Hour, Leeway: 30 * time.Second}

// The review's case: two rotations five minutes apart used to drop the
// first key (retain counted rotations) while its 24-hour tokens lived on.
func TestRetireKeepsKeysWithLiveTokens(t *testing.T) {
	d := ringAt(0, 5*time.Minute, 10*time.Minute)
	if got := d.Retire(t0.Add(10*time.Minute), day); len(got) != 0 || ids(d) != "k1 k2 k3" {
		t.Fatalf("retired %v, kept %s; want nothing retired", got, ids(d))
	}
	// k1 signs until k2 is 10 minutes old; its last token lives 24 h more.
	at, ok := d.RetiresAt("k1", day)
	if want := t0.Add(5*time.Minute + 10*time.Minute + 24*time.Hour + 30*time.Second); !ok || !at.Equal(want) {
		t.Fatalf("k1 retires at %v (%v); want %v", at, ok, want)
	}
	if got := d.Retire(at.Add(-time.Second), day); len(got) != 0 {
		t.Fatalf("a second early: retired %v", got)
	}
	if got := d.Retire(at, day); strings.Join(got, " ") != "k1" || ids(d) != "k2 k3" {
		t.Fatalf("at the time: retired %v, kept %s; want k1 retired", got, ids(d))
	}
}

func TestRetireNeverTakesNewestOrSeed(t *testing.T) {
	d := ringAt(0)
	d.Keys = append(d.Keys, Key{ID: "seed", Secret: bytes.Repeat([]byte{9}, 32), Created: time.Unix(0, 0).UTC(), Seed: true})
	if got := d.Retire(t0.AddDate(10, 0, 0), day); len(got) != 0 || ids(d) != "k1 seed" {
		t.Fatalf("retired %v, kept %s", got, ids(d))
	}
	if k, ok := d.Newest(); !ok || k.ID != "k1" {
		t.Errorf("newest %q", k.ID)
	}
	if _, ok := d.RetiresAt("seed", day); ok {
		t.Error("the seed key has a retirement time")
	}
}

// Keys are ordered by creation, not by their place in the document.
func TestRetireOrdersByCreation(t *testing.T) {
	d := ringAt(2*time.Hour, 0, time.Hour) // k2 oldest, then k3, then k1
	got := d.Retire(t0.Add(30*time.Hour), day)
	if strings.Join(got, " ") != "k2 k3" || ids(d) != "k1" {
		t.Fatalf("retired %v, kept %s", got, ids(d))
	}
}

func TestCheckCapacity(t *testing.T) {
	var offs []time.Duration
	for i := range MaxKeys {
		offs = append(offs, time.Duration(i)*time.Minute)
	}
	d := ringAt(offs...)
	if err := d.CheckCapacity(day); err != nil {
		t.Fatalf("%d keys: %v", MaxKeys, err)
	}
	d = ringAt(append(offs, time.Duration(MaxKeys)*time.Minute)...)
	err := d.CheckCapacity(day)
	if !errors.Is(err, ErrFull) {
		t.Fatalf("%d keys: %v; want ErrFull", MaxKeys+1, err)
	}
	// The message says when the next rotation fits: when k1 retires.
	first := t0.Add(time.Minute + 10*time.Minute + 24*time.Hour + 30*time.Second).Format(time.RFC3339)
	for _, want := range []string{"at most 8", "k1 until " + first, "fits at " + first, "maximum token lifetime 24h0m0s"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}
