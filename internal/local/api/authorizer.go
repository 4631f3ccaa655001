package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/jwks"
	"github.com/securestream/terraform-provider-securestream/internal/jwtverify"
)

// jwtAuthorizer is an HTTP API route's JWT authorizer, as API Gateway
// holds it.
type jwtAuthorizer struct {
	id        string
	issuer    string
	audiences []string
	source    string   // the identity source: $request.header.Authorization
	scopes    []string // the route's authorization scopes; any one suffices
}

// jwksTTL is how long the keys of an issuer are kept before they are
// fetched again.
const jwksTTL = time.Minute

// keyCache holds each issuer's signing keys, fetched through its OpenID
// configuration.
type keyCache struct {
	client *http.Client
	mu     sync.Mutex
	keys   map[string]cachedKeys
}

type cachedKeys struct {
	keys    map[string]jwks.Key
	fetched time.Time
}

// authorize does what API Gateway's JWT authorizer does before it invokes
// the integration: it takes the token from the identity source (an
// optional "Bearer " prefix), checks its signature with the issuer's keys
// (its OpenID configuration's jwks_uri), its iss, its aud or client_id
// against the audiences, exp and nbf (no leeway), and the route's scopes;
// it returns the claims as API Gateway passes them (strings) and the
// token's scopes.
func (a *jwtAuthorizer) authorize(ctx context.Context, r *http.Request, keys *keyCache, now time.Time) (map[string]string, []string, error) {
	token := identity(r, a.source)
	if token == "" {
		return nil, nil, unauthorized(a.by(), "no token in %s", a.source)
	}
	if scheme, rest, ok := strings.Cut(token, " "); ok && strings.EqualFold(scheme, "bearer") {
		token = strings.TrimSpace(rest)
	}
	ks, err := keys.get(ctx, a.issuer)
	if err != nil {
		return nil, nil, unauthorized(a.by(), "the keys of issuer %s: %v", a.issuer, err)
	}
	v := jwtverify.Verifier{Keys: ks, Issuer: a.issuer}
	claims, err := v.Verify(token, now)
	if err != nil {
		return nil, nil, unauthorized(a.by(), "%v", err)
	}
	if !audienceOK(claims, a.audiences) {
		return nil, nil, unauthorized(a.by(), "the token's aud (or client_id) is none of the authorizer's audiences")
	}
	var scopes []string
	for _, name := range []string{"scope", "scp"} {
		switch s := claims[name].(type) {
		case string:
			scopes = append(scopes, strings.Fields(s)...)
		case []any:
			for _, e := range s {
				if e, ok := e.(string); ok {
					scopes = append(scopes, e)
				}
			}
		}
	}
	if len(a.scopes) > 0 && !slices.ContainsFunc(a.scopes, func(s string) bool { return slices.Contains(scopes, s) }) {
		return nil, nil, forbidden(a.by(), "the token has none of the route's authorization scopes (%s)", strings.Join(a.scopes, ", "))
	}
	flat := map[string]string{}
	for k, v := range claims {
		flat[k] = claimString(v)
	}
	return flat, scopes, nil
}

// by names the authorizer in the log.
func (a *jwtAuthorizer) by() string { return "JWT authorizer " + a.id }

// identity is the value of an identity source: $request.header.<name> or
// $request.querystring.<name>.
func identity(r *http.Request, source string) string {
	if name, ok := strings.CutPrefix(source, "$request.header."); ok {
		return strings.TrimSpace(r.Header.Get(name))
	}
	if name, ok := strings.CutPrefix(source, "$request.querystring."); ok {
		return r.URL.Query().Get(name)
	}
	return ""
}

// audienceOK reports whether the token's aud, or its client_id, is one of
// the audiences, as API Gateway's JWT authorizer requires.
func audienceOK(claims map[string]any, audiences []string) bool {
	var auds []string
	switch aud := claims["aud"].(type) {
	case string:
		auds = append(auds, aud)
	case []any:
		for _, a := range aud {
			if a, ok := a.(string); ok {
				auds = append(auds, a)
			}
		}
	}
	if id, ok := claims["client_id"].(string); ok {
		auds = append(auds, id)
	}
	return slices.ContainsFunc(auds, func(a string) bool { return slices.Contains(audiences, a) })
}

// claimString is a claim as API Gateway passes it to payload 2.0: strings
// as they are, numbers and booleans as their JSON text, arrays as
// "[a b]", objects as JSON.
func claimString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return fmt.Sprint(v)
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = claimString(e)
		}
		return "[" + strings.Join(parts, " ") + "]"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// get returns the issuer's signing keys, from the cache while fresh.
func (c *keyCache) get(ctx context.Context, issuer string) (map[string]jwks.Key, error) {
	c.mu.Lock()
	if k, ok := c.keys[issuer]; ok && time.Since(k.fetched) < jwksTTL {
		c.mu.Unlock()
		return k.keys, nil
	}
	c.mu.Unlock()
	var conf struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	discovery := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	if err := c.fetch(ctx, discovery, &conf); err != nil {
		return nil, err
	}
	if conf.JWKSURI == "" {
		return nil, fmt.Errorf("%s has no jwks_uri", discovery)
	}
	var doc json.RawMessage
	if err := c.fetch(ctx, conf.JWKSURI, &doc); err != nil {
		return nil, err
	}
	keys, err := jwks.Parse(doc)
	if err != nil {
		return nil, fmt.Errorf("the JWKS at %s: %w", conf.JWKSURI, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.keys == nil {
		c.keys = map[string]cachedKeys{}
	}
	c.keys[issuer] = cachedKeys{keys: keys, fetched: time.Now()}
	return keys, nil
}

// fetch GETs u (https, or http on a loopback address, where a test's
// identity provider listens) and decodes its JSON into v.
func (c *keyCache) fetch(ctx context.Context, u string, v any) error {
	pu, err := url.Parse(u)
	if err != nil {
		return fmt.Errorf("%q is not a URL", u)
	}
	if pu.Scheme != "https" && (pu.Scheme != "http" || !loopbackHost(pu.Hostname())) {
		return fmt.Errorf("%s: API Gateway fetches the keys over https (http only on a loopback address, locally)", u)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	return nil
}

func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
