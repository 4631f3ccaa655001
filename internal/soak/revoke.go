package soak

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/demo"
	"github.com/securestream/terraform-provider-securestream/internal/pause"
)

// revocations are sessions of their own (not the fleet's players') that
// the soak revokes one by one through the issuer's admin route while the
// fleet plays. Each, before its revocation, is served at the edge and
// continued by the issuer (a key asked for with its session_id); after
// it, its keys must be refused at the edge as revoked within the hang
// guard (revokeGuard times the store's propagation delay), and the issuer
// must refuse to continue it.
type revocations struct {
	env    *demo.Env
	cfg    Config
	client *http.Client

	mu         sync.Mutex
	start, end time.Time // of run
	victims    []*victim
	// Setup is what went wrong before the revocations (minting a victim's
	// key, a victim not served before its revocation).
	Setup []string
}

// revokeGuard bounds the wait for a revoked session's refusal, in
// propagation delays (of at least a second): a hang guard, not a measure.
const revokeGuard = 10

// revokeBatch sessions are made at once.
const revokeBatch = 10

type victim struct {
	N   int
	Sid string
	// Key is its first key; Continued the key the issuer gave when asked
	// to continue its session, before the revocation.
	Key, Continued *demo.Key
	// Revoked is when the admin route answered; Refused when the edge
	// first answered 403 revoked (zero: not yet, or never).
	Revoked, Refused time.Time
	// Polls are the edge requests made after the revocation.
	Polls int
	// RenewRefused: the issuer refused to continue the session after
	// its revocation; ContinuedRefused: the continued key was refused
	// at the edge too; StillRefused: at the end of the run, still.
	RenewRefused, ContinuedRefused, StillRefused bool
	Violations                                   []string
}

func newRevocations(env *demo.Env, cfg Config) *revocations {
	return &revocations{env: env, cfg: cfg, client: &http.Client{Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (r *revocations) setup(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Setup = append(r.Setup, fmt.Sprintf(format, args...))
}

func (r *revocations) violation(v *victim, format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v.Violations = append(v.Violations, fmt.Sprintf(format, args...))
}

// run makes cfg.Revocations sessions and revokes them one by one, each
// checked in a goroutine of its own, and waits for the checks. Sessions
// are made revokeBatch at a time, just before their revocations, so that
// each is served shortly before it is revoked and its key outlives its
// check.
func (r *revocations) run(ctx context.Context) {
	r.mu.Lock()
	r.start = time.Now()
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.end = time.Now()
		r.mu.Unlock()
	}()
	var checks sync.WaitGroup
	for first := 0; first < r.cfg.Revocations && ctx.Err() == nil; first += revokeBatch {
		batch := make([]*victim, min(revokeBatch, r.cfg.Revocations-first))
		var wg sync.WaitGroup
		for i := range batch {
			wg.Add(1)
			go func() {
				defer wg.Done()
				batch[i] = r.prepare(ctx, first+i, r.cfg.MaxTokenLifetime)
			}()
		}
		wg.Wait()
		for _, v := range batch {
			if v == nil || ctx.Err() != nil {
				continue
			}
			r.mu.Lock()
			r.victims = append(r.victims, v)
			r.mu.Unlock()
			// One by one: each revocation waits for the previous one's answer.
			if err := r.revoke(ctx, v); err != nil {
				r.violation(v, "revoking it through the admin route: %v", err)
				continue
			}
			checks.Add(1)
			go func() {
				defer checks.Done()
				r.check(ctx, v)
			}()
		}
	}
	checks.Wait()
	// Revoked sessions stay refused: each one's key again, once all are
	// (or refused as expired, if it has expired since).
	for _, v := range r.victims {
		if v.Refused.IsZero() {
			continue
		}
		st, why, err := r.edge(ctx, v.Key)
		expired := time.Until(v.Key.ExpiresAt()) < -time.Second
		r.mu.Lock()
		v.StillRefused = err == nil && st == http.StatusForbidden && (why == "revoked" || expired && why == "expired")
		r.mu.Unlock()
		if !v.StillRefused {
			r.violation(v, "answered %d %s %v once all were revoked, after it had been refused as revoked", st, why, err)
		}
	}
}

// prepare mints victim i's key, and checks that the edge serves it and
// that the issuer continues its session; nil (noted) when not.
func (r *revocations) prepare(ctx context.Context, i int, ttl time.Duration) *victim {
	ua := fmt.Sprintf("securestream-soak-revoked/%d", i)
	k, sid, err := r.requestKey(ctx, ua, ttl, "")
	if err != nil {
		r.setup("session %d: minting its key: %v", i, err)
		return nil
	}
	if sid == "" {
		r.setup("session %d: the issuer's key has no session id (settings.session_ids must be on for revocation)", i)
		return nil
	}
	if st, why, err := r.edge(ctx, k); err != nil || st != http.StatusOK {
		r.setup("session %s: not served before its revocation: %d %s %v", sid, st, why, err)
		return nil
	}
	cont, csid, err := r.requestKey(ctx, ua, ttl, sid)
	if err != nil || csid != sid {
		r.setup("session %s: the issuer did not continue it before its revocation (session %q): %v", sid, csid, err)
		return nil
	}
	return &victim{N: i, Sid: sid, Key: k, Continued: cont}
}

// revoke revokes v's session through the issuer's admin route.
func (r *revocations) revoke(ctx context.Context, v *victim) error {
	if err := r.env.Revoke(ctx, v.Sid); err != nil {
		return err
	}
	r.mu.Lock()
	v.Revoked = time.Now()
	r.mu.Unlock()
	return nil
}

// check asks the edge with v's key until it is refused as revoked (a
// 200 meanwhile is the store's propagation), for at most revokeGuard
// propagation delays; then the issuer must refuse to continue the
// session, and the edge the key it continued it with.
func (r *revocations) check(ctx context.Context, v *victim) {
	delay := r.cfg.KVSPropagation
	guard := revokeGuard * max(delay, time.Second)
	every := max(delay/4, 100*time.Millisecond)
	deadline := v.Revoked.Add(guard)
	for {
		st, why, err := r.edge(ctx, v.Key)
		r.mu.Lock()
		v.Polls++
		r.mu.Unlock()
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			r.violation(v, "no answer from the edge after the revocation: %v", err)
			return
		case st == http.StatusForbidden && why == "revoked":
			r.mu.Lock()
			v.Refused = time.Now()
			r.mu.Unlock()
		case st != http.StatusOK:
			r.violation(v, "the edge answered %d %s after the revocation, want 200 until it learns it, then 403 revoked", st, why)
			return
		}
		if !v.Refused.IsZero() {
			break
		}
		if time.Now().After(deadline) {
			r.violation(v, "still served %s after its revocation (the hang guard: %d times the store's propagation delay %s)",
				guard, revokeGuard, delay)
			return
		}
		pause.For(ctx, every)
	}
	ua := v.Key.UserAgent
	if _, sid, err := r.requestKey(ctx, ua, r.cfg.KeyTTL, v.Sid); err == nil {
		r.violation(v, "the issuer continued the revoked session (session %s)", sid)
	} else if !strings.Contains(err.Error(), "403") || !strings.Contains(err.Error(), "revoked") {
		r.violation(v, "continuing the revoked session: %v; want 403 revoked", err)
	} else {
		r.mu.Lock()
		v.RenewRefused = true
		r.mu.Unlock()
	}
	st, why, err := r.edge(ctx, v.Continued)
	if err != nil || st != http.StatusForbidden || why != "revoked" {
		r.violation(v, "the key that continued the session before its revocation: %d %s %v; want 403 revoked", st, why, err)
		return
	}
	r.mu.Lock()
	v.ContinuedRefused = true
	r.mu.Unlock()
}

// edge asks the edge for the master playlist with k on the header
// channel: the status and the edge function's reason.
func (r *revocations) edge(ctx context.Context, k *demo.Key) (int, string, error) {
	req, err := keyedRequest(ctx, r.env.EdgeURL+r.env.MasterPath, "header", k)
	if err != nil {
		return 0, "", err
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Stream-Key-Error"), nil
}

// requestKey asks the issuer for a key for the demo title as the player
// ua, continuing session sid when it is not empty: the key and its
// session id.
func (r *revocations) requestKey(ctx context.Context, ua string, ttl time.Duration, sid string) (*demo.Key, string, error) {
	k, err := r.env.RequestKey(ctx, demo.KeyRequest{TTL: ttl, UserAgent: ua, SessionID: sid})
	if err != nil {
		return nil, "", err
	}
	return k, k.SessionID, nil
}

// Summary is one line of figures: the revocations made, and how long
// after each the edge was first seen refusing it (not a bound: the
// checks ask every quarter of the propagation delay).
func (r *revocations) Summary() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var lags []time.Duration
	renew, cont, polls := 0, 0, 0
	for _, v := range r.victims {
		if !v.Refused.IsZero() {
			lags = append(lags, v.Refused.Sub(v.Revoked))
		}
		if v.RenewRefused {
			renew++
		}
		if v.ContinuedRefused {
			cont++
		}
		polls += v.Polls
	}
	slices.Sort(lags)
	seen := "none"
	if len(lags) > 0 {
		seen = fmt.Sprintf("min %s, median %s, max %s", lags[0].Round(10*time.Millisecond),
			lags[len(lags)/2].Round(10*time.Millisecond), lags[len(lags)-1].Round(10*time.Millisecond))
	}
	return fmt.Sprintf("revocations (store propagation delay %s), %s: %d of %d sessions revoked one by one through the admin route, "+
		"%d refused at the edge as revoked (first seen after the revocation: %s; %d edge requests after the revocations), "+
		"%d refused by the issuer when continued, %d continued keys refused",
		r.cfg.KVSPropagation, r.end.Sub(r.start).Round(100*time.Millisecond), len(r.victims), r.cfg.Revocations, len(lags), seen, polls, renew, cont)
}

// problems are the setup's and each victim's failures, one per line
// (the first maxSamples).
func (r *revocations) problems() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := slices.Clone(r.Setup)
	for _, v := range r.victims {
		for _, p := range v.Violations {
			out = append(out, fmt.Sprintf("session %s (%d): %s", v.Sid, v.N, p))
		}
		if len(v.Violations) == 0 && (v.Refused.IsZero() || !v.RenewRefused || !v.ContinuedRefused || !v.StillRefused) {
			out = append(out, fmt.Sprintf("session %s (%d): its checks did not finish (refused %t, renewal refused %t, continued key refused %t, still refused %t)",
				v.Sid, v.N, !v.Refused.IsZero(), v.RenewRefused, v.ContinuedRefused, v.StillRefused))
		}
	}
	if n := len(r.victims); n < r.cfg.Revocations && len(r.Setup) == 0 {
		out = append(out, fmt.Sprintf("%d sessions made of %d", n, r.cfg.Revocations))
	}
	return out
}
