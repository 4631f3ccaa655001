package issuer

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/issuer/config"
)

// The admin routes, POST and DELETE .../revocations/{session_id}, revoke
// and un-revoke a session. They exist only with a revocation store and a
// way to authorise an admin (SECURESTREAM_ADMIN_SCOPE or
// SECURESTREAM_ADMIN_IAM); otherwise they answer 404, as any unknown
// route would, and never mint.

// adminRoute returns the session id of an admin route's path: its last
// segment after a "revocations" segment (the HTTP API's path keeps the
// stage), or the route's session_id parameter. ok is false for any other
// path; a path ending in "revocations" is the route with no session id.
func adminRoute(req *request) (sid string, ok bool) {
	segs := strings.Split(strings.TrimSuffix(req.path, "/"), "/")
	n := len(segs)
	switch {
	case n >= 1 && segs[n-1] == "revocations":
		return "", true
	case n >= 2 && segs[n-2] == "revocations":
		if p, ok := req.pathParams["session_id"]; ok {
			return p, true
		}
		// An HTTP API's raw path may be percent-encoded (~ as %7E).
		if sid, err := url.PathUnescape(segs[n-1]); err == nil {
			return sid, true
		}
		return segs[n-1], true
	}
	return "", false
}

// validSessionID accepts what a key's session id may be: 1 to 64 of
// A-Z a-z 0-9 . _ ~ -.
func validSessionID(s string) bool {
	if len(s) < 1 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '~' || c == '-') {
			return false
		}
	}
	return true
}

func (is *Issuer) adminEnabled() bool {
	return is.cfg.RevocationKVSARN != "" && (is.cfg.AdminScope != "" || is.cfg.AdminIAM)
}

// store is the revocation store, nil without one.
func (is *Issuer) store() *revocationStore {
	if is.cfg.RevocationKVSARN == "" || is.KVS == nil {
		return nil
	}
	st := &revocationStore{client: is.KVS, arn: is.cfg.RevocationKVSARN, now: is.Now, sleep: is.Sleep}
	if st.sleep == nil {
		st.sleep = sleep
	}
	return st
}

func (is *Issuer) serveAdmin(ctx context.Context, req *request, sid string) *outcome {
	if !is.adminEnabled() {
		return refuse(404, "not_found", "no such route: the admin routes need SECURESTREAM_REVOCATION_KVS_ARN, and SECURESTREAM_ADMIN_SCOPE or SECURESTREAM_ADMIN_IAM")
	}
	switch req.method {
	case "OPTIONS":
		return &outcome{status: 204, reason: "preflight"}
	case "POST", "DELETE":
	default:
		return &outcome{status: 405, reason: "method", message: "use POST to revoke a session, DELETE to lift its revocation",
			headers: map[string]string{"allow": "POST, DELETE, OPTIONS"}}
	}
	if res := is.authenticateAdmin(req); res != nil {
		return res
	}
	if !validSessionID(sid) {
		return refuse(400, "bad_session_id", "the session id must be 1 to 64 of A-Z a-z 0-9 . _ ~ - (the session_id of an issued key)")
	}
	st := is.store()
	if st == nil {
		return refuse(500, "internal", "the issuer has no client for its revocation store")
	}
	revoke := req.method == "POST"
	// The longest a key of this session can still pass the edge: one the
	// issuer minted just now, with the longest lifetime, plus the edge's
	// leeway.
	until := is.Now().Add(is.cfg.MaxTTL + is.cfg.EdgeLeeway)
	res, err := st.write(ctx, sid, revoke, until)
	if err != nil {
		req.logFields["store_error"] = err.Error()
		if stale(err) {
			return &outcome{status: 503, reason: "revocation_busy", message: err.Error(), sid: sid, headers: map[string]string{"retry-after": "1"}}
		}
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return &outcome{status: 504, reason: "revocation_store", message: "the revocation store did not answer in time: " + err.Error(), sid: sid}
		}
		return &outcome{status: 502, reason: "revocation_store", message: err.Error(), sid: sid}
	}
	body := map[string]any{"session_id": sid, "revoked": revoke, "pruned": res.pruned}
	reason := "revoked"
	if revoke {
		exp, _ := parseRevocationValue(revocationValue(until))
		body["expires"], body["expires_at"] = exp, time.Unix(exp, 0).UTC().Format(time.RFC3339)
	} else {
		reason = "unrevoked"
		body["removed"] = res.removed
	}
	var notes []string
	if res.attempts > 1 {
		notes = append(notes, "etag_retried")
	}
	return &outcome{status: 200, reason: reason, body: body, sid: sid, notes: notes}
}

// authenticateAdmin lets through an IAM identity (with
// SECURESTREAM_ADMIN_IAM), or a caller whose token's scope includes
// SECURESTREAM_ADMIN_SCOPE, checked as the players' tokens are: a bearer
// JWT the issuer verifies (jwt), or the claims API Gateway's authorizer
// verified (authorizer). It records who in the log.
func (is *Issuer) authenticateAdmin(req *request) *outcome {
	if is.cfg.AdminIAM && req.iamCaller != "" {
		req.logFields["admin"] = "iam:" + req.iamCaller
		return nil
	}
	lacks := func() *outcome {
		return refuse(403, "forbidden", "the token's scope does not include %q, which the admin routes need", is.cfg.AdminScope)
	}
	switch {
	case is.cfg.AdminScope != "" && is.cfg.Auth == config.AuthJWT:
		claims, res := is.bearer(req)
		if res != nil {
			return res
		}
		if !hasScope(claims, is.cfg.AdminScope) {
			return lacks()
		}
		sub, _ := claims["sub"].(string)
		req.logFields["admin"] = "jwt:" + sub
		return nil
	case is.cfg.AdminScope != "" && is.cfg.Auth == config.AuthAuthorizer:
		if len(req.authorizer) == 0 {
			return refuse(401, "unauthenticated", "no API Gateway authorizer ran for this request; attach one to the admin routes")
		}
		// An HTTP API's JWT authorizer lists the scopes in jwt.scopes and
		// the claims in jwt.claims; a REST Cognito authorizer in claims; a
		// Lambda authorizer's context is the map itself (REST) or lambda.
		sources := []any{dig(req.authorizer, "jwt", "claims"), dig(req.authorizer, "claims"), dig(req.authorizer, "lambda"), req.authorizer}
		ok := hasScope(map[string]any{"scp": dig(req.authorizer, "jwt", "scopes")}, is.cfg.AdminScope)
		sub := ""
		for _, src := range sources {
			if m, isMap := src.(map[string]any); isMap {
				ok = ok || hasScope(m, is.cfg.AdminScope)
				for _, k := range []string{"sub", "principalId"} {
					if s, _ := m[k].(string); sub == "" {
						sub = s
					}
				}
			}
		}
		if !ok {
			return lacks()
		}
		req.logFields["admin"] = "authorizer:" + sub
		return nil
	}
	return refuse(403, "forbidden", "the admin routes take requests that API Gateway authorised with AWS_IAM: deploy them with AWS_IAM authorization and sign the request with SigV4")
}

// hasScope reports whether the token grants scope: in scope (a string of
// scopes separated by spaces, RFC 8693) or scp (such a string, or an
// array, as Okta and Entra ID write it).
func hasScope(claims map[string]any, scope string) bool {
	for _, name := range []string{"scope", "scp"} {
		switch v := claims[name].(type) {
		case string:
			for _, s := range strings.Fields(v) {
				if s == scope {
					return true
				}
			}
		case []any:
			for _, e := range v {
				if s, ok := e.(string); ok && s == scope {
					return true
				}
			}
		}
	}
	return false
}

// checkRevocation refuses to continue a revoked session. One GetKey per
// request that names a session, only with a store configured; a store
// that cannot be read is logged and, unless
// SECURESTREAM_REVOCATION_FAIL_CLOSED, does not stop the key (the edge,
// which reads the same store, has the last word).
func (is *Issuer) checkRevocation(ctx context.Context, req *request, sid string, notes *[]string) *outcome {
	st := is.store()
	var until time.Time
	var revoked bool
	var err error
	if st == nil {
		err = errors.New("the issuer has no client for its revocation store")
	} else {
		until, revoked, err = st.revokedUntil(ctx, sid)
	}
	if err != nil {
		*notes = append(*notes, "revocation_unavailable")
		req.logFields["store_error"] = err.Error()
		if is.cfg.RevocationFailClosed {
			return &outcome{status: 503, reason: "revocation_unavailable", sid: sid, headers: map[string]string{"retry-after": "1"},
				message: "whether the session is revoked cannot be read now; try again shortly (the log has the reason)"}
		}
		return nil
	}
	if revoked {
		return &outcome{status: 403, reason: "revoked", sid: sid,
			message: "session " + sid + " is revoked until " + until.Format(time.RFC3339)}
	}
	return nil
}
