package api

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	resttypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/securestream/terraform-provider-securestream/internal/local/emulators"
)

// Authorization types, as API Gateway and function URLs name them.
const (
	authNone = "NONE"
	authJWT  = "JWT"
	authIAM  = "AWS_IAM"
)

// access is what a route needs before its function runs, read the same
// way for HTTP API routes, REST API methods and function URLs.
type access struct {
	// authType is NONE, JWT, AWS_IAM, or an authorizer the local API
	// cannot run (CUSTOM, COGNITO_USER_POOLS), whose requests it refuses.
	authType   string
	authorizer string         // the authorizer's id, if any
	jwt        *jwtAuthorizer // JWT: the authorizer
	apiKey     bool           // REST: the method's ApiKeyRequired
}

// routeAccess reads what the route of t needs: its authorization type,
// authorizer (HTTP API JWT authorizers are read from moto) and, for REST
// methods, whether it requires an API key.
func (s *Server) routeAccess(ctx context.Context, t *target, authType, authorizer string, scopes []string, apiKey bool) (access, error) {
	a := access{authType: authType, authorizer: authorizer, apiKey: apiKey}
	switch authType {
	case "", authNone:
		a.authType = authNone
	case authIAM:
	case authJWT:
		if t.kind != httpAPI {
			break // only HTTP APIs have JWT authorizers; refused as one the local API cannot run
		}
		au, err := s.httpAPIs.GetAuthorizer(ctx, &apigatewayv2.GetAuthorizerInput{ApiId: aws.String(t.apiID), AuthorizerId: aws.String(authorizer)})
		if err != nil {
			return a, fmt.Errorf("apigatewayv2 GetAuthorizer %s of API %s (route %q): %w", authorizer, t.apiID, t.routeKey, err)
		}
		if au.JwtConfiguration == nil || aws.ToString(au.JwtConfiguration.Issuer) == "" {
			return a, fmt.Errorf("HTTP API %s: route %q uses JWT authorizer %s, which has no issuer (jwt_configuration)", t.apiID, t.routeKey, authorizer)
		}
		a.jwt = &jwtAuthorizer{id: authorizer, issuer: aws.ToString(au.JwtConfiguration.Issuer), audiences: au.JwtConfiguration.Audience,
			source: "$request.header.Authorization", scopes: scopes}
		if len(au.IdentitySource) > 0 {
			a.jwt.source = au.IdentitySource[0]
		}
	}
	return a, nil
}

// errRefused is a request refused before its function ran, answered as
// API Gateway (or Lambda, for a function URL) does: status and message;
// by and reason go to the log only.
type errRefused struct {
	status           int
	message          string
	by, reason       string
	functionURLStyle bool // Lambda answers {"Message": ...}
}

func (e *errRefused) Error() string { return e.reason }

// unauthorized is API Gateway's 401 {"message":"Unauthorized"}.
func unauthorized(by, format string, args ...any) error {
	return &errRefused{status: http.StatusUnauthorized, message: "Unauthorized", by: by, reason: fmt.Sprintf(format, args...)}
}

// forbidden is API Gateway's 403 {"message":"Forbidden"}.
func forbidden(by, format string, args ...any) error {
	return &errRefused{status: http.StatusForbidden, message: "Forbidden", by: by, reason: fmt.Sprintf(format, args...)}
}

// denied is a 403 in AWS's words for a signature it refused.
func denied(by, message string, err error) error {
	return &errRefused{status: http.StatusForbidden, message: message, by: by, reason: err.Error()}
}

// authorize does what API Gateway (or Lambda, for a function URL) does
// before it invokes the function: it runs the route's authorization and
// checks its API key, and records in t what the event carries of them.
// An *errRefused is a refusal; any other error the local API's own.
func (s *Server) authorize(ctx context.Context, r *http.Request, body []byte, t *target, now time.Time) error {
	a := &t.access
	switch a.authType {
	case authNone:
	case authJWT:
		if a.jwt == nil {
			return s.cannotRun(t)
		}
		var err error
		if t.claims, t.scopes, err = a.jwt.authorize(ctx, r, s.keys, now); err != nil {
			return err
		}
	case authIAM:
		by := "AWS_IAM authorization"
		service := "execute-api"
		if t.kind == functionURL {
			service = "lambda"
		}
		v := &sigv4Verifier{service: service, region: s.opts.Region, secrets: s.opts.Credentials}
		key, err := v.verify(r, body, now)
		if err != nil {
			var se *errSignature
			if !errors.As(err, &se) {
				return err
			}
			if t.kind == restAPI {
				return denied(by, se.message, se)
			}
			// HTTP APIs and function URLs say no more than this.
			return &errRefused{status: http.StatusForbidden, message: "Forbidden", by: by, reason: se.Error(), functionURLStyle: t.kind == functionURL}
		}
		id, err := s.callers.get(ctx, key, s.opts.Credentials[key])
		if err != nil {
			return err
		}
		t.caller = &id
	default:
		return s.cannotRun(t)
	}
	if a.apiKey {
		k, err := s.checkAPIKey(ctx, r, t)
		if err != nil {
			return err
		}
		t.apiKey = k
	}
	return nil
}

// cannotRun refuses every request to a route whose authorizer the local
// API cannot run (a Lambda authorizer, a Cognito user pool), rather than
// letting the function run unauthenticated.
func (s *Server) cannotRun(t *target) error {
	return unauthorized(fmt.Sprintf("%s authorizer %s", t.access.authType, t.access.authorizer),
		"the local API cannot run %s authorizers, so it refuses every request to %s (API %s): locally, use a JWT authorizer (HTTP API) "+
			"with a local identity provider, AWS_IAM, or no authorization", t.access.authType, t.routeKey, t.apiID)
}

// writeRefusal answers a refused request as API Gateway does, and logs
// why (never a signature, a secret or a token).
func (s *Server) writeRefusal(w http.ResponseWriter, r *http.Request, t *target, e *errRefused) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	key := "message"
	if e.functionURLStyle {
		key = "Message"
	}
	_, _ = fmt.Fprintf(w, "{%q:%q}\n", key, e.message)
	s.opts.Logf("local API: %s %s: %s refused the request (%d), function %s not invoked: %s", r.Method, r.URL.Path, e.by, e.status, t.function, e.reason)
}

// callerIdentity is who moto's STS says an access key is.
type callerIdentity struct {
	accessKey, account, arn, userID string
}

// callers asks moto's STS GetCallerIdentity who each access key is, once
// per key.
type callers struct {
	endpoint, region string
	mu               sync.Mutex
	known            map[string]callerIdentity
}

func (c *callers) get(ctx context.Context, key, secret string) (callerIdentity, error) {
	c.mu.Lock()
	id, ok := c.known[key]
	c.mu.Unlock()
	if ok {
		return id, nil
	}
	cfg := emulators.SDKConfig(c.endpoint)
	cfg.Region, cfg.Credentials = c.region, credentials.NewStaticCredentialsProvider(key, secret, "")
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return id, fmt.Errorf("sts GetCallerIdentity for access key id %s (the identity AWS_IAM authorization passes the function): %w", key, err)
	}
	id = callerIdentity{accessKey: key, account: aws.ToString(out.Account), arn: aws.ToString(out.Arn), userID: aws.ToString(out.UserId)}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.known == nil {
		c.known = map[string]callerIdentity{}
	}
	c.known[key] = id
	return id, nil
}

// usedKey is the API key a request to a REST method with ApiKeyRequired
// sent.
type usedKey struct{ id, value string }

// checkAPIKey does what API Gateway does for a method with
// ApiKeyRequired: the x-api-key header must be the value of an enabled
// API key in a usage plan of the API's stage. It reads moto each time, as
// what Terraform changes applies at once.
func (s *Server) checkAPIKey(ctx context.Context, r *http.Request, t *target) (*usedKey, error) {
	const by = "the API key check (ApiKeyRequired)"
	value := r.Header.Get("X-Api-Key")
	if value == "" {
		return nil, forbidden(by, "no x-api-key header")
	}
	var found *usedKey
	enabled := false
	in := &apigateway.GetApiKeysInput{IncludeValues: aws.Bool(true), Limit: aws.Int32(500)}
	for {
		out, err := s.restAPIs.GetApiKeys(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("apigateway GetApiKeys: %w", err)
		}
		for _, k := range out.Items {
			// Every key compared, in constant time each.
			if subtle.ConstantTimeCompare([]byte(aws.ToString(k.Value)), []byte(value)) == 1 && found == nil {
				found, enabled = &usedKey{id: aws.ToString(k.Id), value: value}, k.Enabled
			}
		}
		if aws.ToString(out.Position) == "" || len(out.Items) == 0 {
			break
		}
		in.Position = out.Position
	}
	switch {
	case found == nil:
		return nil, forbidden(by, "the x-api-key header is the value of no API key in moto")
	case !enabled:
		return nil, forbidden(by, "API key %s is disabled", found.id)
	}
	plans := &apigateway.GetUsagePlansInput{Limit: aws.Int32(500)}
	for {
		out, err := s.restAPIs.GetUsagePlans(ctx, plans)
		if err != nil {
			return nil, fmt.Errorf("apigateway GetUsagePlans: %w", err)
		}
		for _, p := range out.Items {
			if !coversStage(p.ApiStages, t.apiID, t.stage) {
				continue
			}
			if ok, err := s.planHasKey(ctx, aws.ToString(p.Id), found.id); err != nil || ok {
				return found, err
			}
		}
		if aws.ToString(out.Position) == "" || len(out.Items) == 0 {
			break
		}
		plans.Position = out.Position
	}
	return nil, forbidden(by, "API key %s is in no usage plan of REST API %s stage %s", found.id, t.apiID, t.stage)
}

func coversStage(stages []resttypes.ApiStage, apiID, stage string) bool {
	for _, st := range stages {
		if aws.ToString(st.ApiId) == apiID && aws.ToString(st.Stage) == stage {
			return true
		}
	}
	return false
}

func (s *Server) planHasKey(ctx context.Context, plan, keyID string) (bool, error) {
	in := &apigateway.GetUsagePlanKeysInput{UsagePlanId: aws.String(plan), Limit: aws.Int32(500)}
	for {
		out, err := s.restAPIs.GetUsagePlanKeys(ctx, in)
		if err != nil {
			return false, fmt.Errorf("apigateway GetUsagePlanKeys %s: %w", plan, err)
		}
		for _, k := range out.Items {
			if aws.ToString(k.Id) == keyID {
				return true, nil
			}
		}
		if aws.ToString(out.Position) == "" || len(out.Items) == 0 {
			return false, nil
		}
		in.Position = out.Position
	}
}
