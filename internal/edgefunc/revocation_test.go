package edgefunc

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/cfruntime"
	"github.com/securestream/terraform-provider-securestream/internal/issuance"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey/seed"
	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

// revStore is the key value store of a revocation test: what the Go model
// reads, and the runtime's store that goja and node read.
type revStore struct {
	entries map[string]string
	// failing: every read rejects, as a store CloudFront cannot read.
	failing bool
	// absent: no store is associated at all, so cf.kvs() itself throws.
	absent bool
	k      *cfruntime.KVS
}

func newRevStore(t testing.TB, entries map[string]string) *revStore {
	t.Helper()
	s := &revStore{entries: entries, k: cfruntime.NewKVS()}
	for key, v := range entries {
		if err := s.k.Put(key, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// failingStore is a store whose every read rejects.
func failingStore(t testing.TB) *revStore {
	s := newRevStore(t, nil)
	s.failing = true
	failReads(s.k)
	return s
}

// failReads makes every read of k reject. (The one use of
// KVS.FailReads, so that its spelling lives in one place.)
func failReads(k *cfruntime.KVS) {
	k.FailReads(errors.New("InternalServerException: the key value store cannot be read"))
}

// absentStore: the function has the revocation check but no store is
// associated, so cf.kvs() throws (a store error, the same in both modes).
func absentStore() *revStore { return &revStore{absent: true} }

// kvs is the store the engines get: nil for none.
func (s *revStore) kvs() *cfruntime.KVS {
	if s == nil || s.absent {
		return nil
	}
	return s.k
}

// read is what a lookup of key finds: its value, whether it exists, and
// whether the store could be read at all.
func (s *revStore) read(key string) (v string, found, readable bool) {
	if s == nil || s.absent || s.failing {
		return "", false, false
	}
	v, found = s.entries[key]
	return v, found, true
}

// revocationToken mints a valid token for /vod/movie-1/* with session id
// sid ("" for none) and the event of a segment request carrying it.
func revocationToken(t testing.TB, cfg Config, sid string, now time.Time, mutate func(*streamkey.Grant)) (string, *cfruntime.Event) {
	t.Helper()
	ring, err := streamkey.NewRing(streamkey.Key{ID: cfg.Keys[0].ID, Secret: cfg.Keys[0].Secret})
	if err != nil {
		t.Fatal(err)
	}
	g := streamkey.Grant{Expires: now.Add(time.Hour), Paths: []string{"/vod/movie-1/*"}, SessionID: sid}
	if mutate != nil {
		mutate(&g)
	}
	tok, err := ring.Mint(cfg.Keys[0].ID, g)
	if err != nil {
		t.Fatal(err)
	}
	return tok, newEvent("GET", "/vod/movie-1/seg_00001.ts", "203.0.113.9",
		[][2]string{{"host", "media.example.com"}, {"user-agent", "ExoPlayerLib/2.19.1"}, {cfg.Channels.Header, tok}}, nil, nil)
}

// TestRevocation: the revocation check of a function with a key value
// store, in both fail modes, in the Go model, goja and node (in the
// cross-implementation tier), with the verdict each case must have
// written out as well.
func TestRevocation(t *testing.T) {
	now := time.Unix(1_767_225_600, 250_000_000)
	sec := now.Unix()
	exp := func(d int64) string { return strconv.FormatInt(sec+d, 10) }
	keys := testKeys()
	base := Config{Keys: keys[:2], Channels: issuance.DefaultChannels()}
	for _, closed := range []bool{false, true} {
		cfg := base
		cfg.Revocation = &Revocation{FailClosed: closed}
		debug := cfg
		debug.DebugReasons = true
		eng := map[bool]*engines{false: newEngines(t, cfg), true: newEngines(t, debug)}
		// unavailable is the verdict of a store error in this mode.
		unavailable := "allow"
		if closed {
			unavailable = ReasonRevocationUnavailable
		}
		for _, c := range []struct {
			name   string
			sid    string
			grant  func(*streamkey.Grant)
			store  *revStore
			want   string
			logged bool // the fail-open line is logged
		}{
			{name: "revoked", sid: "sess-1", store: newRevStore(t, map[string]string{"r:sess-1": exp(3600)}), want: ReasonRevoked},
			{name: "revoked until the next second", sid: "sess-1", store: newRevStore(t, map[string]string{"r:sess-1": exp(1)}), want: ReasonRevoked},
			{name: "not revoked: no entry", sid: "sess-1", store: newRevStore(t, nil), want: "allow"},
			{name: "entry expired at now", sid: "sess-1", store: newRevStore(t, map[string]string{"r:sess-1": exp(0)}), want: "allow"},
			{name: "entry expired before now", sid: "sess-1", store: newRevStore(t, map[string]string{"r:sess-1": exp(-3600)}), want: "allow"},
			{name: "entry for another session", sid: "sess-1", store: newRevStore(t, map[string]string{"r:sess-2": exp(3600), "r:sess-10": exp(3600),
				"sess-1": exp(3600), "r:SESS-1": exp(3600)}), want: "allow"},
			{name: "session id of 64 characters, revoked", sid: strings.Repeat("a.b_c~d-", 8),
				store: newRevStore(t, map[string]string{"r:" + strings.Repeat("a.b_c~d-", 8): exp(60)}), want: ReasonRevoked},
			// A token without a session id is not looked up: a store that
			// fails every read, or none at all, would otherwise show.
			{name: "no session id, failing store", store: failingStore(t), want: "allow"},
			{name: "no session id, no store", store: absentStore(), want: "allow"},
			// Revocation comes after every other check: a token refused
			// otherwise keeps its reason and is not looked up.
			{name: "revoked but expired", sid: "sess-1", grant: func(g *streamkey.Grant) { g.Expires = now.Add(-time.Second) },
				store: newRevStore(t, map[string]string{"r:sess-1": exp(3600)}), want: "expired"},
			{name: "failing store, other path", sid: "sess-1", grant: func(g *streamkey.Grant) { g.Paths = []string{"/vod/movie-2/*"} },
				store: failingStore(t), want: "path"},
			// Store errors.
			{name: "store cannot be read", sid: "sess-1", store: failingStore(t), want: unavailable, logged: !closed},
			{name: "no store associated", sid: "sess-1", store: absentStore(), want: unavailable, logged: !closed},
		} {
			for _, debugOn := range []bool{false, true} {
				e := eng[debugOn]
				name := fmt.Sprintf("closed=%v debug=%v %s", closed, debugOn, c.name)
				tok, ev := revocationToken(t, cfg, c.sid, now, c.grant)
				e.useStore(c.store)
				checkRevocation(t, e, name, tok, ev, now, c.want, c.logged)
			}
		}
		// A stored value that is not decimal Unix seconds (1 to 12 ASCII
		// digits) is a store error.
		for _, v := range []string{"", "abc", "12.5", " " + exp(60), exp(60) + "\n", "+" + exp(60), "-5", "1e12", "0x7fffffff",
			"9999999999999", "١٢٣", "\xff\xfe", `"` + exp(60) + `"`} {
			e := eng[false]
			tok, ev := revocationToken(t, cfg, "sess-1", now, nil)
			e.useStore(newRevStore(t, map[string]string{"r:sess-1": v}))
			checkRevocation(t, e, fmt.Sprintf("closed=%v malformed value %q", closed, v), tok, ev, now, unavailable, !closed)
		}
		// Digits the value may have: leading zeros are still decimal, and
		// twelve digits are the most.
		for v, want := range map[string]string{"0": "allow", "0" + exp(60): ReasonRevoked, "999999999999": ReasonRevoked} {
			e := eng[false]
			tok, ev := revocationToken(t, cfg, "sess-1", now, nil)
			e.useStore(newRevStore(t, map[string]string{"r:sess-1": v}))
			checkRevocation(t, e, fmt.Sprintf("closed=%v value %q", closed, v), tok, ev, now, want, false)
		}
	}
}

// checkRevocation runs one case through the model and every engine:
// the verdict, the 403's header (the reason itself only with
// DebugReasons), the fail-open log line, and never the token in a log.
func checkRevocation(t *testing.T, e *engines, name, tok string, ev *cfruntime.Event, now time.Time, want string, logged bool) {
	t.Helper()
	if got := e.check(t, name, ev, now); got != want {
		t.Errorf("%s: the Go model says %s, want %s", name, got, want)
	}
	if e.model.unchecked != logged {
		t.Errorf("%s: the model says the check failed open: %v, want %v", name, e.model.unchecked, logged)
	}
	for engine, r := range e.run(t, ev, now) {
		if want != "allow" {
			wantHdr := "invalid"
			if e.cfg.DebugReasons {
				wantHdr = want
			}
			if want == "expired" {
				wantHdr = "expired"
			}
			if r.Response == nil {
				t.Errorf("%s: %s: no response, want a 403 (%s)", name, engine, want)
			} else if hdr, _ := r.Response.Headers.Get("x-stream-key-error"); hdr != wantHdr {
				t.Errorf("%s: %s: x-stream-key-error %q, want %q", name, engine, hdr, wantHdr)
			}
		}
		for _, l := range r.Logs {
			if strings.Contains(l, tok) || strings.Contains(l, tok[strings.LastIndexByte(tok, '.')+1:]) {
				t.Errorf("%s: %s logs the token: %q", name, engine, l)
			}
		}
	}
}

// TestRevocationGenerated runs the differential test's generated requests
// through functions with a store, in both fail modes, with and without
// seed compatibility: each request's session gets a store state drawn at
// random (revoked, an expired entry, another session's entry, a malformed
// value, a failing store, none), and the model, goja and node must agree.
func TestRevocationGenerated(t *testing.T) {
	base, _, _ := differentialConfigs()
	base.Revocation = &Revocation{}
	closed := base
	closed.Revocation = &Revocation{FailClosed: true}
	closed.DebugReasons = true
	withSeed := closed
	withSeed.Keys, withSeed.SeedKeyID = testKeys(), "legacy"
	configs := []*engines{newEngines(t, base), newEngines(t, closed), newEngines(t, withSeed)}
	// As in TestDifferential: the minting ring has keys no edge has.
	mintRing, seedRing := differentialRings(t)
	rng := rand.New(rand.NewPCG(2026, 23))
	t0 := time.Unix(1_767_225_600, 0)
	counts := map[string]int{}
	const requests = 3000
	for i := 0; i < requests; i++ {
		e := configs[rng.IntN(len(configs))]
		g := genRequest(rng, mintRing, seedRing, t0, e.cfg)
		// The model names the request's session, if its token has one.
		e.useStore(nil)
		e.model.decide(g.ev, g.now)
		sid := e.model.sid
		if sid == "" {
			sid = "s1" // a store with entries all the same
		}
		sec := g.now.Unix()
		var s *revStore
		switch rng.IntN(7) {
		case 0:
			s = newRevStore(t, map[string]string{"r:" + sid: strconv.FormatInt(sec+1+rng.Int64N(86400), 10)})
		case 1:
			s = newRevStore(t, map[string]string{"r:" + sid: strconv.FormatInt(sec-rng.Int64N(86400), 10)})
		case 2:
			s = newRevStore(t, map[string]string{"r:" + sid + "x": strconv.FormatInt(sec+3600, 10)})
		case 3:
			s = newRevStore(t, map[string]string{"r:" + sid: pick(rng, "", "soon", "1.5", "-1")})
		case 4:
			s = failingStore(t)
		case 5:
			s = absentStore()
		default:
			s = newRevStore(t, nil)
		}
		e.useStore(s)
		counts[e.check(t, fmt.Sprintf("#%d %s", i, g.kind), g.ev, g.now)]++
		if e.model.unchecked {
			counts["(failed open)"]++
		}
		if t.Failed() && i > 50 {
			t.Fatalf("stopping after the first failures (request #%d)", i)
		}
	}
	t.Logf("%d requests; verdicts %v", requests, sorted(counts))
	for _, r := range []string{"allow", ReasonRevoked, ReasonRevocationUnavailable, "(failed open)", "expired", "path"} {
		if counts[r] == 0 {
			t.Errorf("no generated request had verdict %s", r)
		}
	}
}

// The seed format carries no session id: a seed-format key is never
// looked up, even by a function whose store fails closed.
func TestRevocationSeedKeysNotLookedUp(t *testing.T) {
	keys := testKeys()
	cfg := Config{Keys: keys, SeedKeyID: "legacy", Channels: issuance.DefaultChannels(), Revocation: &Revocation{FailClosed: true}}
	e := newEngines(t, cfg)
	seedRing, err := streamkey.NewRing(streamkey.Key{ID: "legacy", Secret: keys[2].Secret, Seed: true})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_767_225_600, 0)
	sk, err := seed.Mint(seedRing, seed.Grant{PlaybackURL: "https://media.example.com/vod/movie-1/index.m3u8",
		ClientIP: "203.0.113.9", UserAgent: "ExoPlayerLib/2.19.1", Expires: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	ev := newEvent("GET", "/vod/movie-1/seg_00001.ts", "203.0.113.9", [][2]string{{"host", "media.example.com"},
		{"user-agent", "ExoPlayerLib/2.19.1"}, {"stream-key", sk.StreamKey}, {"stream-policy", sk.StreamPolicy}}, nil, nil)
	for _, s := range []*revStore{failingStore(t), absentStore()} {
		e.useStore(s)
		if got := e.check(t, "seed key", ev, now); got != "allow" {
			t.Errorf("a seed-format key with a failing store: %s, want allow", got)
		}
	}
}

// The edge function guide lists every reason the function can log: the
// format's, and its own (origin, and the revocation check's).
func TestGuideReasons(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "templates", "guides", "edge-function.md"))
	if err != nil {
		t.Fatal(err)
	}
	guide := string(b)
	codes := []string{"origin", ReasonRevoked, ReasonRevocationUnavailable}
	for _, r := range streamkey.Reasons() {
		if r != streamkey.OK {
			codes = append(codes, r.String())
		}
	}
	for _, c := range codes {
		if !strings.Contains(guide, "`"+c+"`") {
			t.Errorf("the edge function guide does not name reason %s", c)
		}
	}
	if !strings.Contains(guide, "## Revocation") || !strings.Contains(guide, "`securestream revocation_unavailable`") {
		t.Error("the edge function guide has no Revocation section naming the fail-open log line")
	}
}

// In report-only mode a revoked session, and a store error failing
// closed, are logged and let through like any other refusal.
func TestRevocationReportOnly(t *testing.T) {
	keys := testKeys()
	now := time.Unix(1_767_225_600, 0)
	cfg := Config{Keys: keys[:2], Channels: issuance.DefaultChannels(), ReportOnly: true, Revocation: &Revocation{FailClosed: true}}
	e := newEngines(t, cfg)
	for _, c := range []struct {
		store *revStore
		log   string
	}{
		{newRevStore(t, map[string]string{"r:sess-1": strconv.FormatInt(now.Unix()+60, 10)}), "securestream report revoked"},
		{failingStore(t), "securestream report revocation_unavailable"},
		{newRevStore(t, nil), ""},
	} {
		_, ev := revocationToken(t, cfg, "sess-1", now, nil)
		e.useStore(c.store)
		for engine, r := range e.run(t, ev, now) {
			want := []string{}
			if c.log != "" {
				want = []string{c.log}
			}
			if r.Outcome != cfruntime.Continue || strings.Join(r.Logs, "|") != strings.Join(want, "|") {
				t.Errorf("%s: %s %q, want the request to go on with logs %q", engine, r.Outcome, r.Logs, want)
			}
		}
	}
}
