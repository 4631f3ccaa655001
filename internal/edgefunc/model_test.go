package edgefunc

import (
	"encoding/base64"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/cat"
	"github.com/securestream/terraform-provider-securestream/internal/cfruntime"
	"github.com/securestream/terraform-provider-securestream/internal/issuance"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey/seed"
)

// model is the edge function written in Go: the template's token
// extraction, then the reference verifier. The differential tests hold the
// rendered function, in goja and in node, to it.
type model struct {
	cfg Config
	ver *streamkey.Verifier
	// catVer is the CAT verifier of a function in CAT mode, as the
	// contract sets it: Issuer and Audience unset, renewal off.
	catVer *cat.Verifier
	// store is the key value store the function reads (Config.Revocation),
	// nil for none; sid is the session id of the last ss1 token decide
	// verified, and unchecked says its revocation check failed open.
	store     *revStore
	sid       string
	unchecked bool
}

func newModel(cfg Config) *model {
	var keys []streamkey.Key
	for _, k := range cfg.Keys {
		// The seed key verifies seed-format keys only (with seed
		// compatibility off, none at all).
		keys = append(keys, streamkey.Key{ID: k.ID, Secret: k.Secret, Seed: k.Seed || k.ID == cfg.SeedKeyID})
	}
	ring, err := streamkey.NewRing(keys...)
	if err != nil {
		panic(err)
	}
	m := &model{cfg: cfg, ver: &streamkey.Verifier{Ring: ring, MaxLifetime: cfg.MaxLifetime, Leeway: cfg.Leeway}}
	if cfg.Format == issuance.FormatCAT {
		m.catVer = &cat.Verifier{MaxLifetime: cfg.MaxLifetime, Leeway: cfg.Leeway}
		var ck []cat.Key
		for _, k := range keys {
			if !k.Seed {
				ck = append(ck, cat.Key{ID: k.ID, Secret: k.Secret})
			}
		}
		if len(ck) > 0 { // none: every kid is unknown
			if m.catVer.Ring, err = cat.NewRing(ck...); err != nil {
				panic(err)
			}
		}
	}
	return m
}

// header is what the 403's x-stream-key-error header says for a reason:
// expired or invalid, the reason itself only with DebugReasons.
func (m *model) header(reason string) string {
	if m.cfg.DebugReasons || reason == "expired" {
		return reason
	}
	return "invalid"
}

// decide returns the verdict ("pass", "ok" or a reason code) and the URI
// the request goes on with.
func (m *model) decide(ev *cfruntime.Event, now time.Time) (string, string) {
	q := ev.Request
	uri := q.URI
	m.sid, m.unchecked = "", false
	var toks []*string
	take := func(list *[]*string, f cfruntime.Fields, name string) {
		if name == "" {
			return
		}
		if v, ok := f[name]; ok {
			if len(v.MultiValue) > 1 {
				*list = append(*list, nil)
			} else {
				s := v.Value
				*list = append(*list, &s)
			}
		}
	}
	if pfx := m.cfg.Channels.PathPrefix; pfx != "" && strings.HasPrefix(uri, "/"+pfx+"/") {
		rest := uri[len(pfx)+2:]
		tok := rest
		uri = "/"
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			tok, uri = rest[:i], rest[i:]
		}
		toks = append(toks, &tok)
	}
	take(&toks, q.Headers, m.cfg.Channels.Header)
	take(&toks, q.Querystring, m.cfg.Channels.Query)
	take(&toks, q.Cookies, m.cfg.Channels.Cookie)
	var keys, pols []*string
	if m.cfg.SeedKeyID != "" {
		take(&keys, q.Headers, "stream_key")
		take(&keys, q.Headers, "stream-key")
		take(&pols, q.Headers, "stream_policy")
		take(&pols, q.Headers, "stream-policy")
	}
	if q.Method == "OPTIONS" && !m.cfg.PreflightNeedsToken && has(q.Headers, "origin") && has(q.Headers, "access-control-request-method") {
		// A CORS preflight: answered by the function, never forwarded.
		if _, ok := m.allowOrigin(q.Headers); !ok {
			return "origin", uri
		}
		return "preflight", uri
	}
	if len(m.cfg.Exempt) > 0 && streamkey.SafePath(uri) {
		for _, p := range m.cfg.Exempt {
			if cp, _ := streamkey.CanonicalPattern(p); streamkey.MatchPath(cp, uri) {
				return "pass", uri
			}
		}
	}
	req := streamkey.Request{Now: now, Path: uri, ClientIP: ev.Viewer.IP}
	req.Host, _ = q.Headers.Get("host")
	req.UserAgent, _ = q.Headers.Get("user-agent")
	switch {
	case len(toks) > 0 && toks[0] == nil:
		return "malformed", uri
	case len(toks) > 0 && m.catVer != nil:
		reason, sid := m.verifyCAT(*toks[0], ev, uri, now)
		return m.revocation(reason, sid, now), uri
	case len(toks) > 0:
		res := m.ver.Verify(*toks[0], req)
		return m.revocation(res.Reason.String(), res.SessionID, now), uri
	case len(keys) > 0 && (keys[0] == nil || (len(pols) > 0 && pols[0] == nil)):
		return "malformed", uri
	case len(keys) > 0:
		pol := ""
		if len(pols) > 0 {
			pol = *pols[0]
		}
		return seed.Verify(m.ver, *keys[0], pol, req).Reason.String(), uri
	}
	return "missing", uri
}

// revocation is the revocation check, after every other: a valid token
// with a session id is refused while the store holds an entry for the
// session whose expiry is after now. A store that cannot be read, or a
// value that is not 1 to 12 ASCII digits, refuses the token
// (FailClosed) or lets it pass unchecked.
func (m *model) revocation(reason, sid string, now time.Time) string {
	m.sid = sid
	if m.cfg.Revocation == nil || reason != streamkey.OK.String() || sid == "" {
		return reason
	}
	v, found, readable := m.store.read(RevocationKey(sid))
	if readable && !found {
		return "ok"
	}
	if readable && len(v) >= 1 && len(v) <= 12 && strings.Trim(v, "0123456789") == "" {
		if exp, _ := strconv.ParseInt(v, 10, 64); now.Unix() < exp {
			return ReasonRevoked
		}
		return "ok"
	}
	if m.cfg.Revocation.FailClosed {
		return ReasonRevocationUnavailable
	}
	m.unchecked = true
	return "ok"
}

// sessionID matches a session id as the revocation check keys it: ss1's
// s claim, and a CAT's cti as text.
var sessionID = regexp.MustCompile(`^[\w.~-]{1,64}$`)

// verifyCAT is the CAT mode's verdict on tok and its session id: package
// cat's Verifier, with the request as the function sees it (the scheme
// from CloudFront-Forwarded-Proto), and the one check the edge adds: with
// no such header, a catu scheme condition refuses (Go would compare "").
func (m *model) verifyCAT(tok string, ev *cfruntime.Event, uri string, now time.Time) (string, string) {
	h := ev.Request.Headers
	req := cat.Request{Now: now, Path: uri, Method: ev.Request.Method, ClientIP: ev.Viewer.IP}
	req.Host, _ = h.Get("host")
	var proto bool
	req.Scheme, proto = h.Get("cloudfront-forwarded-proto")
	res := m.catVer.Verify(tok, req)
	if m.cwtRefuses(tok, res) {
		res.Reason = cat.BadMAC
	}
	switch res.Reason {
	case cat.OK, cat.Scheme, cat.Host, cat.Path, cat.Method, cat.IP: // catu was checked, scheme first
		if !proto && slices.ContainsFunc(res.Claims.URI, func(u cat.URIMatch) bool { return u.Component == cat.ComponentScheme }) {
			res.Reason = cat.Scheme
		}
	}
	sid := ""
	if sessionID.Match(res.Claims.ID) {
		sid = string(res.Claims.ID)
	}
	return res.Reason.String(), sid
}

// cwtRefuses tells whether cf.cwt (the local one: cat.OpenMac0) throws on
// the payload of a token whose MAC is genuine: a payload that is no map,
// or holds what it cannot represent (duplicate keys, time and bignum tags,
// simple values, integers beyond 2^53, 1 beside "1"). The function calls
// it before it reads the claims, as Go checks the MAC first, and takes a
// throw for bad_mac; Go refuses those payloads too (malformed or
// unsupported), so the function is never wider.
func (m *model) cwtRefuses(tok string, res cat.Result) bool {
	switch res.Reason {
	case cat.Missing, cat.UnknownKey, cat.WrongAlg, cat.BadMAC:
		return false
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || res.KeyID == "" {
		return false
	}
	for _, k := range m.cfg.Keys {
		if k.ID == res.KeyID && !k.Seed && k.ID != m.cfg.SeedKeyID {
			_, err := cat.OpenMac0(raw, k.Secret)
			return err != nil && strings.Contains(err.Error(), ": payload: ")
		}
	}
	return false
}

// origins is the allowed-origins list, nil for any origin ("*").
func (m *model) origins() []string {
	if len(m.cfg.CORSOrigins) == 1 && m.cfg.CORSOrigins[0] == "*" {
		return nil
	}
	return m.cfg.CORSOrigins
}

// allowOrigin is the Access-Control-Allow-Origin the function gives a
// request with headers h, and whether it gives one: "*" for any origin,
// else the request's Origin when it is in the list.
func (m *model) allowOrigin(h cfruntime.Fields) (string, bool) {
	list := m.origins()
	if list == nil {
		return "*", true
	}
	o, ok := h.Get("origin")
	if !ok || !slices.Contains(list, o) {
		return "", false
	}
	return o, true
}

// corsHeaders are the CORS headers of the response the function generates
// for a request with headers h and verdict v (a refusal's reason or
// "preflight"), absent ones as "".
func (m *model) corsHeaders(h cfruntime.Fields, v string) map[string]string {
	out := map[string]string{"access-control-allow-origin": "", "access-control-expose-headers": "", "vary": "",
		"access-control-allow-methods": "", "access-control-allow-headers": "", "access-control-max-age": ""}
	out["access-control-allow-origin"], _ = m.allowOrigin(h)
	if m.origins() != nil {
		out["vary"] = "origin"
	}
	if v != "preflight" {
		out["access-control-expose-headers"] = "x-stream-key-error"
		return out
	}
	var allow []string
	if ch, _ := m.cfg.Channels.Normalize(); ch.Header != "" {
		allow = append(allow, ch.Header)
	}
	if m.cfg.SeedKeyID != "" {
		allow = append(allow, "stream-key", "stream-policy", "stream_key", "stream_policy")
	}
	age := m.cfg.CORSMaxAge
	if age == 0 {
		age = DefaultCORSMaxAge
	}
	out["access-control-allow-methods"] = "GET, HEAD"
	out["access-control-allow-headers"] = strings.Join(append(allow, "range"), ", ")
	out["access-control-max-age"] = strconv.Itoa(int(age / time.Second))
	return out
}
