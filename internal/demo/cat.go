package demo

import (
	"context"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/securestream/terraform-provider-securestream/internal/hls"
	"github.com/securestream/terraform-provider-securestream/internal/issuance"
)

// catConfig is the CAT deployment (cat.tf): a key ring, an issuer with
// token_format cat and an edge function with token_format cat on the
// second distribution, sharing examples/local's revocation list.
//
//go:embed cat.tf
var catConfig []byte

// catConfigName is the file the CAT deployment is written to.
const catConfigName = "cat.tf"

// addCATConfig writes the CAT deployment into the configuration in work,
// unless the configuration has a file of that name itself.
func addCATConfig(work string) error {
	p := filepath.Join(work, catConfigName)
	if _, err := os.Stat(p); err == nil {
		return nil
	}
	return os.WriteFile(p, catConfig, 0o600)
}

// The channels of a CAT, as the CAT issuer's forms give them: there is no
// path-prefix form (a CAT validator does not read a token from the path).
var catChannels = []string{"header", "query", "cookie"}

// The table's formats of the CAT rows: requests to the CAT distribution's
// edge and to the CAT issuer.
const (
	catHLS    = "CAT HLS"
	catDASH   = "CAT DASH"
	catIssuer = "CAT issuer"
)

// checkCAT makes the Common Access Token rows: the CAT issuer mints a CAT
// for the demo title, which plays through the CAT distribution's edge on
// each of its channels as HLS and (with a CAT asked for its MPD) as DASH;
// then the requests that edge must refuse: no token, the query dropped on
// a relative URI, another title, a tampered CAT, an ss1 key (ss1, a key
// from the ss1 issuer) in the CAT's header, another client address, an
// expired CAT and a revoked session's CAT; and a CAT at the ss1 edge.
func (e *Env) checkCAT(ctx context.Context, ss1 *Key) ([]Row, error) {
	e.progress("asking the CAT issuer for Common Access Tokens (CTA-5007) for %s: one that lives 1 s, and one for playing", e.MasterPath)
	// Asked first, so that it has expired by the time the refusals start.
	short, err := e.RequestKey(ctx, KeyRequest{CAT: true, TTL: time.Second})
	if err != nil {
		return nil, err
	}
	k, err := e.RequestKey(ctx, KeyRequest{CAT: true})
	if err != nil {
		return nil, err
	}
	rows := []Row{{Format: catIssuer, Request: fmt.Sprintf(`POST / {"playback_url": %q}`, PlaybackURL(e.MasterPath)),
		Channel: "key request", Key: "player's JWT", Expected: "200 " + issuance.FormatCAT, Got: "200 " + k.Format}}
	for _, ch := range catChannels {
		e.progress("playing %s through the CAT edge, the CAT in the %s", e.MasterPath, ch)
		rows = append(rows, format(catHLS, e.play(ctx, ch, k))...)
	}
	dk, err := e.RequestKey(ctx, KeyRequest{CAT: true, Path: e.MPDPath})
	if err != nil {
		return nil, err
	}
	for _, ch := range catChannels {
		e.progress("playing %s through the CAT edge, the CAT in the %s", e.MPDPath, ch)
		rows = append(rows, format(catDASH, e.playDASH(ctx, ch, dk))...)
	}

	e.progress("making the requests the CAT edge must refuse")
	master := e.CATEdgeURL + e.MasterPath
	var refusals []Row
	refusals = append(refusals, e.fetch(ctx, master, "none", nil, "none", nil, "403 missing"))
	// The issuer's url form (the token in the query) works for the URL it
	// was made for (the query rows above), and is dropped on the relative
	// URIs of the manifest it fetches.
	variant, err := firstVariant(e.MasterPath)
	if err != nil {
		return nil, err
	}
	if variant, err = hls.Resolve(k.QueryURL, variant); err != nil {
		return nil, err
	}
	refusals = append(refusals, e.dropped(ctx, variant))
	refusals = append(refusals, e.fetch(ctx, e.CATEdgeURL+e.OtherMasterPath, "header", k, "valid, for another title", nil, "403 path"))
	tampered, err := e.tampered(ctx, master, k)
	if err != nil {
		return nil, err
	}
	refusals = append(refusals, tampered)
	// An ss1 key, valid at the ss1 edge, sent as a CAT; and a CAT sent to
	// the ss1 edge as an ss1 key: each format's edge takes only its own.
	sk := *k
	sk.Token, sk.Header.Value = ss1.Token, ss1.Token
	refusals = append(refusals, e.fetch(ctx, master, "header", &sk, "an ss1 key (valid at the ss1 edge)", nil, "403 malformed"))
	refusals = append(refusals, e.fetch(ctx, master, "header", k, "valid, from "+otherAddress,
		http.Header{"X-Forwarded-For": {otherAddress}}, "403 ip"))
	select {
	case <-time.After(time.Until(short.ExpiresAt()) + 100*time.Millisecond):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	refusals = append(refusals, e.fetch(ctx, master, "header", short, "expired (asked to live 1 s)", nil, "403 expired"))
	ck := *ss1
	ck.Token, ck.Header.Value = k.Token, k.Token
	atSS1 := e.fetch(ctx, e.EdgeURL+e.MasterPath, "header", &ck, "a CAT (valid at the CAT edge)", nil, "403 malformed")
	atSS1.Channel = "header, at the ss1 edge"
	refusals = append(refusals, atSS1)
	rows = append(rows, format(catHLS, refusals)...)

	revoked, err := e.revokeCAT(ctx, k, dk)
	if err != nil {
		return nil, err
	}
	return append(rows, revoked...), nil
}

// revokeCAT revokes k's session through the CAT issuer's admin route and
// shows the CAT edge refusing k once the revocation list has reached it
// (a CAT's cti is its session id), while other, a CAT of another session
// (for the MPD), still plays.
func (e *Env) revokeCAT(ctx context.Context, k, other *Key) ([]Row, error) {
	seg, err := e.firstSegment()
	if err != nil {
		return nil, err
	}
	seg = e.CATEdgeURL + strings.TrimPrefix(seg, e.EdgeURL)
	e.progress("revoking the session of a CAT (%s) through the CAT issuer's admin route", k.SessionID)
	label := fmt.Sprintf("CAT of session %s", k.SessionID)
	admin := Row{Format: catIssuer, Request: "POST /revocations/" + k.SessionID, Channel: "admin route", Key: "admin's JWT (scope " + AdminScope + ")",
		Expected: "200 revoked", Got: e.revoke(ctx, e.CATIssuerURL, http.MethodPost, k.SessionID, e.AdminJWT)}
	rows := []Row{admin}
	if admin.OK() {
		row, served, took := e.untilRefused(ctx, seg, k, label+", revoked")
		e.progress("the CAT edge served the session %d more times for %.1f s after the CAT issuer wrote the revocation, then answered %s",
			served, took.Seconds(), row.Got)
		rows = append(rows, row)
	}
	rows = format(catHLS, rows)
	still := e.fetch(ctx, e.CATEdgeURL+e.MPDPath, "header", other, "CAT of session "+other.SessionID+", not revoked", nil, "200")
	still.Format = catDASH
	return append(rows, still), nil
}

// TamperCAT returns the Common Access Token token with its exp claim moved
// an hour later, as someone who wants a token to last longer would edit
// it: the envelope, the key id and the MAC are kept, so the claims no
// longer match the MAC.
func TamperCAT(token string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return "", fmt.Errorf("not a CAT (base64url): %w", err)
	}
	var outer cbor.RawTag
	if err := cbor.Unmarshal(raw, &outer); err != nil {
		return "", fmt.Errorf("not a CAT (a tagged CBOR item): %w", err)
	}
	inner := outer
	if outer.Number == 61 { // the optional CWT tag
		if err := cbor.Unmarshal(outer.Content, &inner); err != nil {
			return "", fmt.Errorf("not a CAT (tag 61 holds no tag): %w", err)
		}
	}
	var parts []cbor.RawMessage
	if inner.Number != 17 || cbor.Unmarshal(inner.Content, &parts) != nil || len(parts) != 4 {
		return "", errors.New("not a CAT (a COSE_Mac0: tag 17 of an array of 4)")
	}
	var payload []byte
	var claims map[int64]cbor.RawMessage
	if cbor.Unmarshal(parts[2], &payload) != nil || cbor.Unmarshal(payload, &claims) != nil {
		return "", errors.New("the CAT's payload is not a map of claims")
	}
	var exp int64
	if cbor.Unmarshal(claims[4], &exp) != nil {
		return "", errors.New("the CAT has no exp (claim 4)")
	}
	enc, err := cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		return "", err
	}
	if claims[4], err = enc.Marshal(exp + 3600); err != nil {
		return "", err
	}
	if payload, err = enc.Marshal(claims); err != nil {
		return "", err
	}
	if parts[2], err = enc.Marshal(payload); err != nil {
		return "", err
	}
	if inner.Content, err = enc.Marshal(parts); err != nil {
		return "", err
	}
	msg := any(inner)
	if outer.Number == 61 {
		b, err := enc.Marshal(inner)
		if err != nil {
			return "", err
		}
		msg = cbor.RawTag{Number: 61, Content: b}
	}
	if raw, err = enc.Marshal(msg); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(raw), nil
}
