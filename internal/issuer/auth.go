package issuer

import (
	"encoding/json"
	"strings"

	"github.com/securestream/terraform-provider-securestream/internal/issuer/config"
)

// authenticate applies the configured mode and returns the path prefixes
// the caller is limited to (nil: no limit beyond the configuration).
func (is *Issuer) authenticate(req *request) ([]string, *outcome) {
	switch is.cfg.Auth {
	case config.AuthNone:
		return nil, nil
	case config.AuthAuthorizer:
		if len(req.authorizer) == 0 {
			return nil, refuse(401, "unauthenticated", "no API Gateway authorizer ran for this request; attach one to the route")
		}
		if is.cfg.AuthorizerPathsClaim == "" {
			return nil, nil
		}
		for _, src := range []any{req.authorizer, dig(req.authorizer, "claims"), dig(req.authorizer, "jwt", "claims"), dig(req.authorizer, "lambda")} {
			if m, ok := src.(map[string]any); ok {
				if v, ok := m[is.cfg.AuthorizerPathsClaim]; ok {
					return pathList(v), nil
				}
			}
		}
		return []string{}, nil // the claim is configured but absent: nothing is playable
	case config.AuthJWT:
		claims, res := is.bearer(req)
		if res != nil {
			return nil, res
		}
		if is.cfg.PathsClaim == "" {
			return nil, nil
		}
		v, ok := claims[is.cfg.PathsClaim]
		if !ok {
			return []string{}, nil
		}
		return pathList(v), nil
	}
	return nil, refuse(500, "internal", "unknown authentication mode")
}

// bearer verifies the request's bearer JWT and returns its claims.
func (is *Issuer) bearer(req *request) (map[string]any, *outcome) {
	h := req.headers["authorization"]
	scheme, token, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "bearer") || strings.TrimSpace(token) == "" {
		return nil, &outcome{status: 401, reason: "unauthenticated", message: "send Authorization: Bearer <JWT>",
			headers: map[string]string{"www-authenticate": `Bearer realm="securestream"`}}
	}
	claims, err := is.jwt.Verify(strings.TrimSpace(token), is.Now())
	if err != nil {
		return nil, &outcome{status: 401, reason: "unauthenticated", message: err.Error(),
			headers: map[string]string{"www-authenticate": `Bearer realm="securestream", error="invalid_token"`}}
	}
	return claims, nil
}

func dig(m map[string]any, keys ...string) any {
	var v any = m
	for _, k := range keys {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[k]
	}
	return v
}

// pathList reads a claim that lists path prefixes: a JSON array of
// strings, or a string of prefixes separated by commas or spaces (the form
// authorizer contexts and Cognito claims take).
func pathList(v any) []string {
	out := []string{}
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if s, ok := e.(string); ok && strings.HasPrefix(s, "/") {
				out = append(out, s)
			}
		}
	case string:
		var arr []any
		if json.Unmarshal([]byte(x), &arr) == nil {
			return pathList(arr)
		}
		for _, s := range strings.FieldsFunc(x, func(r rune) bool { return r == ',' || r == ' ' }) {
			if strings.HasPrefix(s, "/") {
				out = append(out, s)
			}
		}
	}
	return out
}
