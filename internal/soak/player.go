package soak

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/demo"
	"github.com/securestream/terraform-provider-securestream/internal/hls"
	"github.com/securestream/terraform-provider-securestream/internal/pause"
)

// The channels a player carries its key on, as the issuer's forms give it.
var channels = []string{"header", "query", "cookie", "path prefix"}

// Fleet is a set of simulated players playing the demo title through
// the edge, each with keys from the issuer, and joiners.
type Fleet struct {
	env    *demo.Env
	cfg    Config
	client *http.Client
	tokens *tokenLog

	phase  atomic.Pointer[Counters]
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// StartFleet starts n players and joiners (cfg.Joiners) against env,
// counting into a phase named phase until SetPhase.
func StartFleet(ctx context.Context, env *demo.Env, cfg Config, n int, phase string, tokens *tokenLog) *Fleet {
	ctx, cancel := context.WithCancel(ctx)
	tr := &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 512, IdleConnTimeout: time.Minute}
	f := &Fleet{env: env, cfg: cfg, tokens: tokens, cancel: cancel,
		client: &http.Client{Transport: tr, Timeout: 30 * time.Second,
			// A player follows no redirect: the edge never sends one to an honest request.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	f.phase.Store(newCounters(phase))
	for i := range n {
		p := &player{f: f, id: i, channel: channels[i%len(channels)], ua: fmt.Sprintf("securestream-soak-player/%d", i)}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			// Players start over a second, as an audience does.
			if pause.For(ctx, time.Duration(rand.Int64N(int64(time.Second)))) { //nolint:gosec // jitter, not a secret
				p.play(ctx)
			}
		}()
	}
	for i := range cfg.Joiners {
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			f.join(ctx, i)
		}()
	}
	return f
}

// Phase is the phase being counted.
func (f *Fleet) Phase() *Counters { return f.phase.Load() }

// SetPhase ends the current phase and starts counting a new one; it
// returns the one that ended. A request counts in the phase it started in.
func (f *Fleet) SetPhase(name string) *Counters {
	old := f.phase.Swap(newCounters(name))
	old.stop()
	return old
}

// Stop stops the players and returns the last phase.
func (f *Fleet) Stop() *Counters {
	c := f.phase.Load()
	c.stop()
	f.cancel()
	f.wg.Wait()
	return c
}

// player plays the title over and over: a key, the master playlist, then
// the variant playlists and their segments in turn, and a new key (and
// the master again) before the key expires.
type player struct {
	f       *Fleet
	id      int
	channel string
	ua      string
	key     *demo.Key
}

func (p *player) play(ctx context.Context) {
	for ctx.Err() == nil {
		if !p.renew(ctx) {
			pause.For(ctx, p.f.cfg.Pace)
			continue
		}
		master := p.f.env.EdgeURL + p.f.env.MasterPath
		if p.channel == "path prefix" {
			master = p.key.PrefixURL
		}
		body, ok := p.f.get(ctx, master, p.channel, p.key, "master")
		if !ok {
			pause.For(ctx, p.f.cfg.Pace)
			continue
		}
		variants := hls.URIs(body)
		for round := 0; ctx.Err() == nil && p.fresh(); round++ {
			variant, err := hls.Resolve(master, variants[(p.id+round)%len(variants)])
			if err != nil {
				p.f.Phase().edgeError("%v", err)
				break
			}
			if !pause.For(ctx, p.pace()) {
				return
			}
			pl, ok := p.f.get(ctx, variant, p.channel, p.key, "media")
			if !ok {
				break
			}
			for _, s := range hls.URIs(pl) {
				if !p.fresh() || !pause.For(ctx, p.pace()) {
					break
				}
				seg, err := hls.Resolve(variant, s)
				if err != nil {
					p.f.Phase().edgeError("%v", err)
					break
				}
				p.f.get(ctx, seg, p.channel, p.key, "ts")
			}
		}
	}
}

// pace is a pause around cfg.Pace (half to one and a half of it), so that
// players do not march in step.
func (p *player) pace() time.Duration {
	d := p.f.cfg.Pace
	return d/2 + time.Duration(rand.Int64N(int64(d)+1)) //nolint:gosec // jitter, not a secret
}

// fresh reports whether the key has more than RenewBefore to live.
func (p *player) fresh() bool {
	return p.key != nil && time.Until(p.key.ExpiresAt()) > p.f.cfg.RenewBefore
}

// renew gets a key when the player has none or its key is about to
// expire, as players do; false when the issuer failed (counted).
func (p *player) renew(ctx context.Context) bool {
	if p.fresh() {
		return true
	}
	// A renewal continues the player's session, as a player's next key
	// request does: the issuer looks it up in the revocation list.
	sid := ""
	if p.key != nil {
		sid = p.key.SessionID
	}
	k, ok := p.f.requestKey(ctx, p.ua, p.key != nil, sid)
	if ok {
		p.key = k
	}
	return ok
}

// join asks for a new key every JoinEvery and uses it at once: the
// request that a key the edge does not know yet would fail first.
func (f *Fleet) join(ctx context.Context, i int) {
	ua := fmt.Sprintf("securestream-soak-joiner/%d", i)
	for n := 0; ctx.Err() == nil; n++ {
		if k, ok := f.requestKey(ctx, ua, false, ""); ok {
			ch := channels[n%len(channels)]
			u := f.env.EdgeURL + f.env.MasterPath
			if ch == "path prefix" {
				u = k.PrefixURL
			}
			f.get(ctx, u, ch, k, "master")
		}
		pause.For(ctx, f.cfg.JoinEvery)
	}
}

// requestKey asks the issuer for a key as the player's User-Agent,
// continuing session sid unless it is empty, and logs its key
// id and expiry. A continued session must come back with the same id.
func (f *Fleet) requestKey(ctx context.Context, ua string, renewal bool, sid string) (*demo.Key, bool) {
	c := f.Phase()
	start := time.Now()
	k, err := f.env.RequestKey(ctx, demo.KeyRequest{TTL: f.cfg.KeyTTL, UserAgent: ua, SessionID: sid})
	if err != nil {
		if ctx.Err() == nil {
			c.issuerError("%s: %v", ua, err)
		}
		return nil, false
	}
	if sid != "" && k.SessionID != sid {
		c.issuerError("%s: asked to continue session %s, the issuer gave a key of session %q", ua, sid, k.SessionID)
		return nil, false
	}
	c.issued(time.Since(start), renewal)
	f.tokens.add(kidOf(k.Token), k.ExpiresAt())
	return k, true
}

// kidOf is the key id a token names (ss1.<kid>.<claims>...).
func kidOf(token string) string {
	parts := strings.SplitN(token, ".", 3)
	if len(parts) < 3 {
		return ""
	}
	return parts[1]
}

// get fetches u through the edge with k on channel ch, as k's player, and
// counts the answer: 200 with a body of the kind asked for (master,
// media, ts) is served; 403 is a refusal; anything else an edge error. It
// returns the body and whether it was served.
func (f *Fleet) get(ctx context.Context, u, ch string, k *demo.Key, kind string) ([]byte, bool) {
	c := f.Phase()
	req, err := keyedRequest(ctx, u, ch, k)
	if err != nil {
		c.edgeError("%v", err)
		return nil, false
	}
	resp, err := f.client.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			c.edgeError("%s: %v", shown(u, k), err)
		}
		return nil, false
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	switch {
	case err != nil:
		if ctx.Err() == nil {
			c.edgeError("%s: %d, reading the body: %v", shown(u, k), resp.StatusCode, err)
		}
		return nil, false
	case resp.StatusCode == http.StatusForbidden:
		why := resp.Header.Get("X-Stream-Key-Error")
		c.refused(why, "%s on the %s, key %s expiring in %s", shown(u, k), ch, kidOf(k.Token), time.Until(k.ExpiresAt()).Round(time.Second))
		return nil, false
	case resp.StatusCode != http.StatusOK:
		c.edgeError("%s: %s %s", shown(u, k), resp.Status, resp.Header.Get("X-Local-Error"))
		return nil, false
	}
	if bad := badBody(kind, body); bad != "" {
		c.edgeError("%s: 200, but %s", shown(u, k), bad)
		return nil, false
	}
	c.served(ch)
	return body, true
}

// keyedRequest is a GET of u with k on channel ch, as k's player.
func keyedRequest(ctx context.Context, u, ch string, k *demo.Key) (*http.Request, error) {
	if ch == "query" {
		pu, err := url.Parse(u)
		if err != nil {
			return nil, err
		}
		if pu.RawQuery != "" {
			pu.RawQuery += "&"
		}
		pu.RawQuery += k.Query
		u = pu.String()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", k.UserAgent)
	switch ch {
	case "header":
		req.Header.Set(k.Header.Name, k.Header.Value)
	case "cookie":
		req.Header.Set("Cookie", k.CookiePair())
	}
	return req, nil
}

// shown is u's path with the key as <key>, for messages.
func shown(u string, k *demo.Key) string {
	if pu, err := url.Parse(u); err == nil {
		u = pu.RequestURI()
	}
	if k != nil {
		u = strings.ReplaceAll(u, k.Token, "<key>")
	}
	return u
}

// badBody says what is wrong with a 200's body for the kind of file
// asked for, or "".
func badBody(kind string, b []byte) string {
	switch kind {
	case "master":
		if !bytes.HasPrefix(b, []byte("#EXTM3U")) || !bytes.Contains(b, []byte("#EXT-X-STREAM-INF:")) || len(hls.URIs(b)) == 0 {
			return "not a master playlist"
		}
	case "media":
		if !bytes.HasPrefix(b, []byte("#EXTM3U")) || !bytes.Contains(b, []byte("#EXTINF:")) || len(hls.URIs(b)) == 0 {
			return "not a media playlist"
		}
	case "ts":
		if len(b) == 0 || len(b)%188 != 0 || b[0] != 0x47 {
			return "not MPEG-TS"
		}
	}
	return ""
}
