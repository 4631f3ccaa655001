package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/hls"
	"github.com/securestream/terraform-provider-securestream/internal/local/origin"
)

// Revoke revokes session sid through the issuer's admin route (POST
// .../revocations/{sid}) with AdminJWT: the issuer writes it to the
// revocation list, and the edge refuses the session's keys once the write
// has reached it (within KVSPropagationDelay on the local CloudFront).
func (e *Env) Revoke(ctx context.Context, sid string) error {
	if got := e.revoke(ctx, e.IssuerURL, http.MethodPost, sid, e.AdminJWT); got != "200 revoked" {
		return fmt.Errorf("revoking session %s: POST %s answered %s", sid, revocationURL(e.IssuerURL, sid), got)
	}
	return nil
}

// Unrevoke lifts the revocation of sid (DELETE .../revocations/{sid}).
func (e *Env) Unrevoke(ctx context.Context, sid string) error {
	if got := e.revoke(ctx, e.IssuerURL, http.MethodDelete, sid, e.AdminJWT); got != "200 unrevoked" {
		return fmt.Errorf("lifting the revocation of session %s: DELETE %s answered %s", sid, revocationURL(e.IssuerURL, sid), got)
	}
	return nil
}

// revocationURL is the admin route for sid of the issuer at issuer.
func revocationURL(issuer, sid string) string {
	return strings.TrimSuffix(issuer, "/") + "/revocations/" + url.PathEscape(sid)
}

// revoke calls the admin route for sid of the issuer at issuer (IssuerURL
// or CATIssuerURL) with method and jwt, and returns
// the answer as the table shows it: "200 revoked" or "200 unrevoked" when
// the issuer did it, else the refusal ("403 forbidden").
func (e *Env) revoke(ctx context.Context, issuer, method, sid, jwt string) string {
	status, body, err := e.callIssuer(ctx, method, revocationURL(issuer, sid), jwt, UserAgent, nil)
	if err != nil {
		return err.Error()
	}
	if status != http.StatusOK {
		return refusalOf(status, body)
	}
	var r struct {
		SessionID string `json:"session_id"`
		Revoked   bool   `json:"revoked"`
	}
	if err := json.Unmarshal(body, &r); err != nil || r.SessionID != sid {
		return fmt.Sprintf("200, but not an answer about session %s: %.200s", sid, body)
	}
	if r.Revoked {
		return "200 revoked"
	}
	return "200 unrevoked"
}

// The table's names of the two sessions of checkRevocation.
const (
	sessionA = "session A"
	sessionB = "session B"
)

// checkRevocation makes the revocation rows: two players, each with a key
// of a session of its own, get a segment; an admin revokes session A
// through the issuer's admin route (a player's JWT is refused there);
// once the revocation list has reached the edge, A's key is refused
// (revoked) while B's still plays, and the issuer refuses a key that
// continues session A.
func (e *Env) checkRevocation(ctx context.Context) ([]Row, error) {
	e.progress("asking the issuer for keys of two sessions, A and B (two players)")
	a, err := e.RequestKey(ctx, KeyRequest{})
	if err != nil {
		return nil, err
	}
	b, err := e.RequestKey(ctx, KeyRequest{})
	if err != nil {
		return nil, err
	}
	if a.SessionID == "" || a.SessionID == b.SessionID {
		return nil, fmt.Errorf("the issuer gave the two players' keys the session ids %q and %q: want two, distinct", a.SessionID, b.SessionID)
	}
	seg, err := e.firstSegment()
	if err != nil {
		return nil, err
	}
	label := func(k *Key, name, what string) string { return fmt.Sprintf("%s (%s)%s", name, k.SessionID, what) }
	rows := []Row{
		e.fetch(ctx, seg, "header", a, label(a, sessionA, ""), nil, "200"),
		e.fetch(ctx, seg, "header", b, label(b, sessionB, ""), nil, "200"),
	}
	admin := func(jwt, who, expected string) Row {
		return Row{Format: "issuer", Request: "POST /revocations/" + a.SessionID, Channel: "admin route", Key: who,
			Expected: expected, Got: e.revoke(ctx, e.IssuerURL, http.MethodPost, a.SessionID, jwt)}
	}
	e.progress("revoking session A through the issuer's admin route (POST /revocations/%s): with the player's JWT, then with an admin's", a.SessionID)
	rows = append(rows, admin(e.JWT, "player's JWT (no "+AdminScope+" scope)", "403 forbidden"))
	revoked := admin(e.AdminJWT, "admin's JWT (scope "+AdminScope+")", "200 revoked")
	rows = append(rows, revoked)
	if revoked.OK() {
		row, served, took := e.untilRefused(ctx, seg, a, label(a, sessionA, ", revoked"))
		e.progress("the edge served session A %d more times for %.1f s after the issuer wrote the revocation, then answered %s (the revocation list's propagation delay: %s)",
			served, took.Seconds(), row.Got, e.KVSPropagationDelay)
		rows = append(rows, row)
	}
	rows = append(rows, e.fetch(ctx, seg, "header", b, label(b, sessionB, ", after A's revocation"), nil, "200"))

	e.progress("asking the issuer for keys that continue sessions A and B (session_id)")
	for _, s := range []struct {
		k              *Key
		name, expected string
	}{{a, sessionA, "403 revoked"}, {b, sessionB, "200"}} {
		row := Row{Format: "issuer", Request: fmt.Sprintf("POST / {\"session_id\": %q}", s.k.SessionID), Channel: "key request",
			Key: "player's JWT, continuing " + s.name, Expected: s.expected}
		k, refusal, err := e.askKey(ctx, KeyRequest{SessionID: s.k.SessionID})
		switch {
		case refusal != "":
			row.Got = refusal
		case err != nil:
			row.Got = err.Error()
		case k.SessionID != s.k.SessionID:
			row.Got = fmt.Sprintf("200, but a key of session %q", k.SessionID)
		default:
			row.Got = "200"
		}
		rows = append(rows, row)
	}
	return format("HLS", rows), nil
}

// untilRefused requests seg with k until the edge refuses it, for at most
// ten times the revocation list's propagation delay (a second at least):
// the revocation reaches the edge after a while, not at once. It returns
// the last answer's row, how many requests were served before it and how
// long it took.
func (e *Env) untilRefused(ctx context.Context, seg string, k *Key, key string) (Row, int, time.Duration) {
	start := time.Now()
	bound := max(10*e.KVSPropagationDelay, time.Second)
	pause := max(e.KVSPropagationDelay/20, 20*time.Millisecond)
	served := 0
	for {
		row := e.fetch(ctx, seg, "header", k, key, nil, "403 revoked")
		if row.Got != "200" || time.Since(start) > bound || ctx.Err() != nil {
			return row, served, time.Since(start)
		}
		served++
		select {
		case <-time.After(pause):
		case <-ctx.Done():
		}
	}
}

// firstSegment is the edge URL of the first segment of the demo title's
// first variant: what a player requests over and over.
func (e *Env) firstSegment() (string, error) {
	_, segs, err := e.variantSegments()
	if err != nil {
		return "", err
	}
	return segs[0], nil
}

// variantSegments are the edge URLs of the demo title's first variant
// playlist and of its segments, resolved as a player resolves them.
func (e *Env) variantSegments() (variant string, segs []string, err error) {
	if variant, err = firstVariant(e.MasterPath); err != nil {
		return "", nil, err
	}
	if variant, err = hls.Resolve(e.EdgeURL+e.MasterPath, variant); err != nil {
		return "", nil, err
	}
	u, err := url.Parse(variant)
	if err != nil {
		return "", nil, err
	}
	b, err := fs.ReadFile(origin.Files(), strings.TrimPrefix(u.Path, "/"))
	if err != nil {
		return "", nil, err
	}
	for _, s := range hls.URIs(b) {
		seg, err := hls.Resolve(variant, s)
		if err != nil {
			return "", nil, err
		}
		segs = append(segs, seg)
	}
	if len(segs) == 0 {
		return "", nil, fmt.Errorf("the origin's %s has no segment", u.Path)
	}
	return variant, segs, nil
}
