package demo

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/jwtverify"
)

// The admin's token is the player's identity provider's, with the admin
// scope among its scopes; the player's has no scope.
func TestSignAdminJWT(t *testing.T) {
	key := strings.Repeat("k", 64)
	v := &jwtverify.Verifier{HS256Key: []byte(key), Issuer: jwtIssuer, Audience: jwtAudience}
	claims, err := v.Verify(signAdminJWT(key, time.Now()), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if scope, _ := claims["scope"].(string); !strings.Contains(" "+scope+" ", " "+AdminScope+" ") {
		t.Errorf("the admin's scope is %q, want one with %s", scope, AdminScope)
	}
	player, err := v.Verify(signJWT(key, time.Now()), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := player["scope"]; ok {
		t.Errorf("the player's token has a scope: %v", player["scope"])
	}
}

func TestRefusalOf(t *testing.T) {
	for _, c := range []struct {
		status int
		body   string
		want   string
	}{
		{403, `{"error":"revoked","message":"session s is revoked until ..."}`, "403 revoked"},
		{403, `{"message":"Forbidden"}`, "403"},
		{502, `Bad Gateway`, "502"},
	} {
		if got := refusalOf(c.status, []byte(c.body)); got != c.want {
			t.Errorf("refusalOf(%d, %s) = %q, want %q", c.status, c.body, got, c.want)
		}
	}
}

// untilRefused asks until the edge refuses, counting what it served
// before; an edge that never refuses is given up on after ten times the
// propagation delay, and the row then differs.
func TestUntilRefused(t *testing.T) {
	var served atomic.Int32
	refuseAfter := int32(3)
	edge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Stream-Key") != "tok" {
			t.Errorf("the request has no key in its header: %v", r.Header)
		}
		if served.Add(1) > refuseAfter {
			w.Header().Set("X-Stream-Key-Error", "revoked")
			w.WriteHeader(http.StatusForbidden)
		}
	}))
	defer edge.Close()
	e := &Env{EdgeURL: edge.URL, client: edge.Client(), KVSPropagationDelay: 20 * time.Millisecond}
	k := &Key{Token: "tok", UserAgent: UserAgent}
	k.Header.Name, k.Header.Value = "X-Stream-Key", "tok"
	row, n, _ := e.untilRefused(t.Context(), edge.URL+"/seg.ts", k, "session A")
	if !row.OK() || row.Got != "403 revoked" || n != 3 || row.Request != "/seg.ts" {
		t.Errorf("row %+v after %d served; want 403 revoked after 3", row, n)
	}

	refuseAfter = 1 << 30
	e.KVSPropagationDelay = 50 * time.Millisecond
	start := time.Now()
	row, n, took := e.untilRefused(t.Context(), edge.URL+"/seg.ts", k, "session A")
	if row.OK() || row.Got != "200" || n == 0 {
		t.Errorf("an edge that never refuses: row %+v after %d served; want a differing 200", row, n)
	}
	// The bound is ten times the delay, a second at least; the hang guard
	// here is ten times that.
	if took < time.Second || time.Since(start) > 10*time.Second {
		t.Errorf("gave up after %s; want a second (10 x 50 ms, raised to 1 s)", took)
	}
}

// revocationRows are the rows checkRevocation makes, in order: the start
// of their Key, and what the edge or the issuer must answer.
var revocationRows = []struct{ format, channel, key, expected string }{
	{"HLS", "header", sessionA + " (", "200"},
	{"HLS", "header", sessionB + " (", "200"},
	{"issuer", "admin route", "player's JWT", "403 forbidden"},
	{"issuer", "admin route", "admin's JWT", "200 revoked"},
	{"HLS", "header", sessionA + " (", "403 revoked"},
	{"HLS", "header", sessionB + " (", "200"},
	{"issuer", "key request", "player's JWT, continuing " + sessionA, "403 revoked"},
	{"issuer", "key request", "player's JWT, continuing " + sessionB, "200"},
}

// checkRevocationRows checks that rows hold checkRevocation's rows, each
// answered as expected.
func checkRevocationRows(t *testing.T, rows []Row) {
	t.Helper()
	var got []Row
	for _, r := range rows {
		if r.Format == "issuer" || strings.HasPrefix(r.Key, "session ") {
			got = append(got, r)
		}
	}
	if len(got) != len(revocationRows) {
		t.Fatalf("%d revocation rows, want %d", len(got), len(revocationRows))
	}
	for i, want := range revocationRows {
		r := got[i]
		if r.Format != want.format || r.Channel != want.channel || !strings.HasPrefix(r.Key, want.key) || r.Expected != want.expected {
			t.Errorf("revocation row %d is %s | %s | %s, expected %s; want %s | %s | %s..., expected %s", i+1,
				r.Format, r.Channel, r.Key, r.Expected, want.format, want.channel, want.key, want.expected)
		}
		if r.Got != r.Expected {
			t.Errorf("revocation row %d (%s %s, %s): expected %s, got %s", i+1, r.Format, r.Request, r.Key, r.Expected, r.Got)
		}
	}
}

// stamped is an edge request and when it was sent.
type stamped struct {
	at  time.Time
	got string
}

// testRevocationEndToEnd: two players stream the demo title through the
// edge (master playlist, variant playlist, segments, over and over), each
// on a session of its own; session A is revoked through the issuer's
// admin route. Every request of A's sent once the revocation list's
// propagation delay has passed since the issuer answered is refused 403
// revoked (and A is refused within ten times that delay: the hang guard);
// B is never refused. Lifting the revocation lets A play again.
func testRevocationEndToEnd(t *testing.T, e *Env) {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	a, err := e.RequestKey(ctx, KeyRequest{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.RequestKey(ctx, KeyRequest{})
	if err != nil {
		t.Fatal(err)
	}
	stream, err := e.streamURLs()
	if err != nil {
		t.Fatal(err)
	}
	delay := e.KVSPropagationDelay
	var next int
	// play makes the next request of each player's stream, after a pause
	// once the stream has been played through (a player waits for its
	// buffer to drain; the machine's cores are shared).
	play := func() (atA, atB stamped) {
		if next > 0 && next%len(stream) == 0 {
			time.Sleep(delay / 20)
		}
		u := stream[next%len(stream)]
		next++
		atA.at = time.Now()
		atA.got = e.fetch(ctx, u, "header", a, "A", nil, "").Got
		atB.at = time.Now()
		atB.got = e.fetch(ctx, u, "header", b, "B", nil, "").Got
		return atA, atB
	}
	for range 2 * len(stream) {
		if ra, rb := play(); ra.got != "200" || rb.got != "200" {
			t.Fatalf("before any revocation: A got %s, B got %s; want 200 for both", ra.got, rb.got)
		}
	}

	if err := e.Revoke(ctx, a.SessionID); err != nil {
		t.Fatal(err)
	}
	written := time.Now() // the issuer answered: the store holds the entry
	guard := written.Add(10 * max(delay, 100*time.Millisecond))
	propagated := written.Add(delay)
	var servedAfter, refusedAfter int
	var firstRefusal time.Time
	for refusedAfter < 2*len(stream) {
		ra, rb := play()
		if rb.got != "200" {
			t.Errorf("B (session %s, not revoked) got %s at %s after A's revocation; want 200", b.SessionID, rb.got, rb.at.Sub(written))
		}
		switch {
		case ra.got == "403 revoked":
			if firstRefusal.IsZero() {
				firstRefusal = ra.at
			}
			if !ra.at.Before(propagated) {
				refusedAfter++
			}
		case ra.got != "200":
			t.Fatalf("A got %s %s after its revocation; want 200 or 403 revoked", ra.got, ra.at.Sub(written))
		case !ra.at.Before(propagated):
			t.Fatalf("A (session %s, revoked) was served (200) %s after the issuer wrote its revocation, which is past the store's propagation delay (%s)",
				a.SessionID, ra.at.Sub(written), delay)
		default:
			servedAfter++
		}
		if time.Now().After(guard) {
			t.Fatalf("%s after A's revocation, A has been refused %d times past the propagation delay; want %d (the hang guard: 10 x %s)",
				time.Since(written), refusedAfter, 2*len(stream), delay)
		}
	}
	t.Logf("A was served %d more times after the issuer wrote its revocation, and refused from %s on (propagation delay %s); B played throughout",
		servedAfter, firstRefusal.Sub(written).Round(time.Millisecond), delay)

	// A new key for A's session is refused by the issuer; B's session goes on.
	if _, refusal, _ := e.askKey(ctx, KeyRequest{SessionID: a.SessionID}); refusal != "403 revoked" {
		t.Errorf("a key continuing revoked session A: %q, want 403 revoked", refusal)
	}
	nb, err := e.RequestKey(ctx, KeyRequest{SessionID: b.SessionID})
	if err != nil || nb.SessionID != b.SessionID {
		t.Fatalf("a key continuing session B: %v (session %q), want one of session %s", err, sessionOf(nb), b.SessionID)
	}

	if err := e.Unrevoke(ctx, a.SessionID); err != nil {
		t.Fatal(err)
	}
	lifted := time.Now()
	guard = lifted.Add(10 * max(delay, 100*time.Millisecond))
	for {
		ra, _ := play()
		if ra.got == "200" {
			break
		}
		if ra.got != "403 revoked" {
			t.Fatalf("A got %s after its revocation was lifted; want 403 revoked until the edge learns it, then 200", ra.got)
		}
		if !ra.at.Before(lifted.Add(delay)) {
			t.Fatalf("A was refused %s after its revocation was lifted, past the store's propagation delay (%s)", ra.at.Sub(lifted), delay)
		}
		if time.Now().After(guard) {
			t.Fatalf("A still refused %s after its revocation was lifted (the hang guard: 10 x %s)", time.Since(lifted), delay)
		}
	}
	if _, err := e.RequestKey(ctx, KeyRequest{SessionID: a.SessionID}); err != nil {
		t.Errorf("a key continuing session A once its revocation is lifted: %v", err)
	}
}

func sessionOf(k *Key) string {
	if k == nil {
		return ""
	}
	return k.SessionID
}

// streamURLs are the edge URLs a player of the demo title requests: the
// master playlist, its first variant and that variant's segments.
func (e *Env) streamURLs() ([]string, error) {
	variant, segs, err := e.variantSegments()
	if err != nil {
		return nil, err
	}
	return append([]string{e.EdgeURL + e.MasterPath, variant}, segs...), nil
}
