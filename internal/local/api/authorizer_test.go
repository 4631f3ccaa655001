package api

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/securestream/terraform-provider-securestream/internal/issuerpkg"
	"github.com/securestream/terraform-provider-securestream/internal/jwttest"
)

// idp is an identity provider: its OpenID configuration and JWKS (one
// RSA key, kid k1), and a way to sign tokens with its key or another.
type idp struct {
	url        string
	key, other *rsa.PrivateKey
	fetches    atomic.Int32
}

func newIDP(t *testing.T) *idp {
	t.Helper()
	p := &idp{}
	var err error
	if p.key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	if p.other, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			p.fetches.Add(1)
			_ = json.NewEncoder(w).Encode(map[string]string{"issuer": p.url, "jwks_uri": p.url + "/jwks"})
		case "/jwks":
			_, _ = w.Write([]byte(jwttest.JWKS(jwttest.JWK(p.key, map[string]string{"kid": "k1", "use": "sig", "alg": "RS256"}))))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	p.url = srv.URL
	return p
}

// token signs claims (iss, aud, exp and nbf defaulted) with key under kid
// k1, as the identity provider would.
func (p *idp) token(key *rsa.PrivateKey, claims map[string]any) string {
	c := map[string]any{"iss": p.url, "aud": "video-player", "sub": "viewer-1", "exp": time.Now().Add(time.Hour).Unix(),
		"nbf": time.Now().Add(-time.Minute).Unix(), "scope": "openid keys:read", "groups": []string{"a", "b"}}
	for k, v := range claims {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return jwttest.Sign(map[string]any{"alg": "RS256", "typ": "JWT", "kid": "k1"}, c, key)
}

// fakeHTTPAPI answers, as moto's apigatewayv2 and lambda would, for one
// HTTP API (id api1, stage $default) whose route POST / has a JWT
// authorizer of issuer and audience video-player (scopes, if any), and
// integrates the function issuer, whose code is pkg and whose
// environment makes the stand-in emulator echo the event it gets.
func fakeHTTPAPI(t *testing.T, issuer string, scopes []string, pkg []byte) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		var v any
		switch r.URL.Path {
		case "/v2/apis/api1":
			v = map[string]any{"apiId": "api1", "name": "issuer", "protocolType": "HTTP"}
		case "/v2/apis/api1/stages":
			v = map[string]any{"items": []any{map[string]any{"stageName": "$default"}}}
		case "/v2/apis/api1/routes":
			v = map[string]any{"items": []any{map[string]any{"routeId": "r1", "routeKey": "POST /", "target": "integrations/i1",
				"authorizationType": "JWT", "authorizerId": "au1", "authorizationScopes": scopes}}}
		case "/v2/apis/api1/integrations/i1":
			v = map[string]any{"integrationId": "i1", "integrationType": "AWS_PROXY", "payloadFormatVersion": "2.0",
				"integrationUri": "arn:aws:lambda:us-east-1:123456789012:function:issuer"}
		case "/v2/apis/api1/authorizers/au1":
			v = map[string]any{"authorizerId": "au1", "authorizerType": "JWT", "identitySource": []string{"$request.header.Authorization"},
				"jwtConfiguration": map[string]any{"issuer": issuer, "audience": []string{"video-player"}}}
		case "/2015-03-31/functions/issuer":
			v = map[string]any{"Configuration": map[string]any{"FunctionName": "issuer", "CodeSha256": issuerpkg.SourceCodeHash(pkg),
				"Architectures": []string{hostArch()}, "Timeout": 10,
				"Environment": map[string]any{"Variables": map[string]string{"SECURESTREAM_FAKERIE_ECHO": "1"}}}}
		default:
			w.Header().Set("X-Amzn-Errortype", "NotFoundException")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"message":"not found"}`))
			return
		}
		_ = json.NewEncoder(w).Encode(v)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// authorizedAPI runs a local API over fakeHTTPAPI with the stand-in
// emulator; starts counts the function's starts.
func authorizedAPI(t *testing.T, rie, issuer string, scopes []string) (*Server, *atomic.Int32) {
	t.Helper()
	pkg, path := stubPackage(t)
	return startCounting(t, Options{Endpoint: fakeHTTPAPI(t, issuer, scopes, pkg), Package: path, RIE: rie})
}

// callWith POSTs to the API with the Authorization header (none when
// empty) and returns the status and body.
func callWith(t *testing.T, url, authorization string) (int, string) {
	t.Helper()
	header := http.Header{}
	if authorization != "" {
		header.Set("Authorization", authorization)
	}
	return postWith(t, url, `{"playback_url":"x"}`, header)
}

// A route with a JWT authorizer runs it as API Gateway does: a token
// without a valid signature, with another audience or issuer, expired,
// not yet valid, or none at all is 401 Unauthorized and the function is
// not started; a valid one reaches the function with its claims (as
// strings) and scopes in requestContext.authorizer.jwt.
func TestJWTAuthorizer(t *testing.T) {
	rie := fakeRIE(t)
	p := newIDP(t)
	s, starts := authorizedAPI(t, rie, p.url, nil)
	url := s.URL + "/api1/"
	for name, auth := range map[string]string{
		"no token":          "",
		"not a JWT":         "Bearer not-a-token",
		"bad signature":     "Bearer " + p.token(p.other, nil),
		"wrong audience":    "Bearer " + p.token(p.key, map[string]any{"aud": "another-app"}),
		"wrong issuer":      "Bearer " + p.token(p.key, map[string]any{"iss": "https://evil.example/"}),
		"expired":           "Bearer " + p.token(p.key, map[string]any{"exp": time.Now().Add(-time.Second).Unix()}),
		"not yet valid":     "Bearer " + p.token(p.key, map[string]any{"nbf": time.Now().Add(time.Hour).Unix()}),
		"no exp":            "Bearer " + p.token(p.key, map[string]any{"exp": nil}),
		"HS256 with no key": "Bearer " + jwttest.HS256([]byte("a shared key of at least thirty-two bytes"), map[string]any{"iss": p.url, "aud": "video-player", "exp": time.Now().Add(time.Hour).Unix()}),
	} {
		status, body := callWith(t, url, auth)
		if status != http.StatusUnauthorized || strings.TrimSpace(body) != `{"message":"Unauthorized"}` {
			t.Errorf("%s: %d %s; want 401 {\"message\":\"Unauthorized\"}", name, status, body)
		}
	}
	if n := starts.Load(); n != 0 {
		t.Fatalf("the function was started %d times for refused requests", n)
	}

	for name, auth := range map[string]string{
		"Bearer":                "Bearer " + p.token(p.key, nil),
		"bare token":            p.token(p.key, nil),
		"client_id as audience": "Bearer " + p.token(p.key, map[string]any{"aud": nil, "client_id": "video-player"}),
	} {
		status, body := callWith(t, url, auth)
		if status != http.StatusOK {
			t.Fatalf("%s: %d %s; want 200", name, status, body)
		}
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal([]byte(body), &ev); err != nil {
			t.Fatalf("%s: the event the function got: %v: %s", name, err, body)
		}
		a := ev.RequestContext.Authorizer
		if a == nil || a.JWT == nil || a.JWT.Claims["sub"] != "viewer-1" || a.JWT.Claims["iss"] != p.url ||
			a.JWT.Claims["groups"] != "[a b]" || a.JWT.Claims["exp"] == "" || strings.Join(a.JWT.Scopes, " ") != "openid keys:read" {
			t.Errorf("%s: the authorizer's context the function got: %s", name, body)
		}
	}
	if n := p.fetches.Load(); n != 1 {
		t.Errorf("the OpenID configuration was fetched %d times; want 1 (the keys are kept)", n)
	}
}

// A route's authorization scopes: a valid token with none of them is 403
// Forbidden; one of them suffices.
func TestJWTAuthorizerScopes(t *testing.T) {
	rie := fakeRIE(t)
	p := newIDP(t)
	s, starts := authorizedAPI(t, rie, p.url, []string{"keys:write", "keys:read"})
	url := s.URL + "/api1/"
	if status, body := callWith(t, url, "Bearer "+p.token(p.key, map[string]any{"scope": "openid"})); status != http.StatusForbidden ||
		strings.TrimSpace(body) != `{"message":"Forbidden"}` || starts.Load() != 0 {
		t.Errorf("a token without the scopes: %d %s, %d starts; want 403 Forbidden and none", status, body, starts.Load())
	}
	if status, body := callWith(t, url, "Bearer "+p.token(p.key, nil)); status != http.StatusOK {
		t.Errorf("a token with keys:read: %d %s; want 200", status, body)
	}
}

// An issuer's keys are fetched over https, or http on a loopback address
// only.
func TestKeyFetchNeedsHTTPS(t *testing.T) {
	c := &keyCache{client: http.DefaultClient}
	if _, err := c.get(t.Context(), "http://idp.example"); err == nil || !strings.Contains(err.Error(), "https") {
		t.Errorf("http on a public name: %v", err)
	}
}

func TestClaimString(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want string
	}{
		{"x", "x"}, {json.Number("1767225600"), "1767225600"}, {true, "true"},
		{[]any{"a", json.Number("2")}, "[a 2]"}, {map[string]any{"k": "v"}, `{"k":"v"}`},
	} {
		if got := claimString(tc.v); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.v, got, tc.want)
		}
	}
}
