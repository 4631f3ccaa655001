// Package api is a local API Gateway and Lambda function URL front door
// for what Terraform applied to moto: it reads the HTTP APIs, REST APIs,
// function URLs and functions from moto through the SDK, and runs the
// integrated function's package under AWS's runtime interface emulator
// (aws-lambda-rie) with the function's environment, so that a player can
// ask the issuer that Terraform configured for stream keys.
//
// URLs:
//
//	http://127.0.0.1:PORT/<api id>/<stage>/<path>   an HTTP API or REST API stage
//	http://127.0.0.1:PORT/<api id>/<path>           an HTTP API's $default stage
//	http://127.0.0.1:PORT/fn/<function name>/<path> a function's URL
//
// The function runs only if its CodeSha256 is the package's: the issuer
// package for the function's architecture (Options.Packages, default the
// one embedded by internal/issuerpkg), or the zip given as
// Options.Package. Anything else is refused with 502 and the reason, never
// run in its place. aws-lambda-rie runs only this machine's binaries: a
// function whose code is the issuer package for another architecture
// runs the same source's package for this machine's (logged once per
// function); a function of another architecture whose code is
// Options.Package is refused. A function stays warm until
// its code, environment or reserved concurrency changes: each instance
// (an emulator) runs one invocation at a time, and another starts when
// all are busy, as Lambda scales out, up to the function's reserved
// concurrency or Options.MaxConcurrency.
//
// It answers only requests whose Host is a loopback name (127.0.0.1,
// localhost, ::1), and passes the function only its SECURESTREAM_*
// variables (a function that sets an LD_* variable is refused), under an
// emulator that must be linked statically.
//
// An HTTP API route whose authorization type is JWT runs its JWT
// authorizer as API Gateway does before the function: the token of its
// identity source (Authorization, "Bearer " optional) must be signed
// with a key of the issuer's JWKS (its
// <issuer>/.well-known/openid-configuration's jwks_uri, fetched over
// https, or http on a loopback address; kept a minute), carry iss equal
// to the issuer, an aud or client_id among the audiences, an exp not
// past and an nbf not ahead (no leeway), and one of the route's
// authorization scopes if it has any. A refused request is answered 401
// {"message":"Unauthorized"} (403 {"message":"Forbidden"} for scopes),
// why in the log, and the function is not invoked; an accepted one
// reaches the function with the claims (as strings) and scopes in
// requestContext.authorizer.jwt.
//
// A route (HTTP API), method (REST API) or function URL whose
// authorization type is AWS_IAM takes only requests signed with SigV4
// (Authorization header or presigned query; service execute-api, lambda
// for a function URL; X-Amz-Date within 15 minutes) by an access key of
// Options.Credentials: the local API verifies the signature itself, and
// passes the function who moto's STS GetCallerIdentity says the key is
// (requestContext.authorizer.iam for payload 2.0, requestContext.identity
// for 1.0). A REST method with ApiKeyRequired takes only an x-api-key
// that is an enabled API key in a usage plan of the API's stage
// (requestContext.identity.apiKeyId). Refusals are answered in API
// Gateway's words (403), why in the log, and the function is not invoked.
//
// Authorizers it cannot run (Lambda authorizers, REST COGNITO_USER_POOLS)
// fail closed: every request to such a route is answered 401
// {"message":"Unauthorized"} and the log says so; use a JWT authorizer
// with a local identity provider, AWS_IAM or no authorization locally.
//
// What it does not do: IAM policies (any accepted key may call any
// AWS_IAM route), throttling (but a reserved concurrency of 0 is 429),
// CORS of API Gateway itself, request validation and mapping templates
// (only Lambda proxy integrations).
package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/securestream/terraform-provider-securestream/internal/local/emulators"
	"github.com/securestream/terraform-provider-securestream/internal/local/hostcheck"
)

// Options configure a local API.
type Options struct {
	// Endpoint is moto's URL, where Terraform applied the configuration.
	Endpoint string
	// KVSEndpoint is the local CloudFront's URL (its Endpoint), which also
	// serves the cloudfront-keyvaluestore data plane: passed to the
	// functions as AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE, so that an
	// issuer with a revocation store writes to it rather than to moto
	// (which has no such API). Empty: not passed.
	KVSEndpoint string
	// Region is the region Terraform used; default us-east-1.
	Region string
	// Package is the path of the Lambda zip to run, whatever the
	// function's architecture; default: Packages.
	Package string
	// Packages are the paths of the issuer packages by architecture
	// ("arm64", "x86_64"), built from one source; an architecture it
	// lacks takes the package embedded for it (internal/issuerpkg). A
	// function whose code is the package for its architecture, another
	// than this machine's, runs the package for this machine's.
	Packages map[string]string
	// RIE is the path of aws-lambda-rie; default: where `make tools`
	// installs it, then PATH.
	RIE string
	// MaxConcurrency is the most instances of a function run at once (each
	// runs one invocation at a time; another starts when all are busy, as
	// Lambda scales out), for a function that reserves no concurrency: its
	// reserved concurrency bounds it otherwise. Default
	// DefaultMaxConcurrency.
	MaxConcurrency int
	// Credentials are the access key ids (to their secret access keys)
	// whose SigV4 signatures AWS_IAM routes accept; default
	// DefaultCredentials. Who a key is comes from moto's STS.
	Credentials map[string]string
	// Logf logs each request and the functions' start and failures;
	// default: nothing.
	Logf func(format string, args ...any)
}

// DefaultCredentials are the credentials AWS_IAM routes accept by
// default: the local stack's clients' test/test (emulators.SDKConfig)
// and, when getenv (nil: none) gives both, AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY, which the AWS CLI and awscurl sign with.
func DefaultCredentials(getenv func(string) string) map[string]string {
	creds := map[string]string{"test": "test"}
	if getenv != nil {
		if id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"); id != "" && secret != "" {
			creds[id] = secret
		}
	}
	return creds
}

// Server is a local API.
type Server struct {
	// URL is where it listens, once Listen has run.
	URL string

	opts     Options
	lambda   *lambda.Client
	httpAPIs *apigatewayv2.Client
	restAPIs *apigateway.Client
	runtimes *runtimes
	keys     *keyCache
	callers  *callers
	http     *http.Server
}

// New returns a local API reading from moto at opts.Endpoint.
func New(opts Options) (*Server, error) {
	if opts.Endpoint == "" {
		return nil, errors.New("local API: no moto endpoint: give the URL moto_server listens on")
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	if opts.Credentials == nil {
		opts.Credentials = DefaultCredentials(nil)
	}
	cfg := emulators.SDKConfig(opts.Endpoint)
	cfg.Region = opts.Region
	s := &Server{opts: opts, lambda: lambda.NewFromConfig(cfg), httpAPIs: apigatewayv2.NewFromConfig(cfg),
		restAPIs: apigateway.NewFromConfig(cfg)}
	s.runtimes = &runtimes{opts: opts, warm: map[string]*pool{}}
	s.keys = &keyCache{client: &http.Client{Timeout: 10 * time.Second}}
	s.callers = &callers{endpoint: opts.Endpoint, region: opts.Region}
	return s, nil
}

// Listen serves on addr ("127.0.0.1:4582") in the background.
func (s *Server) Listen(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("local API: listening on %s: %w", addr, err)
	}
	s.URL = "http://" + l.Addr().String()
	s.http = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.http.Serve(l) }()
	return nil
}

// Close stops serving and stops the functions.
func (s *Server) Close() error {
	var err error
	if s.http != nil {
		err = s.http.Close()
	}
	s.runtimes.stopAll()
	return err
}

// maxBody is API Gateway's payload limit.
const maxBody = 10 << 20

// ServeHTTP finds the API, route and function of r, runs the function
// and answers with what it returned.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Loopback names only: a web page that rebinds its own name to
	// 127.0.0.1 would otherwise call the functions as same-origin.
	if !hostcheck.Loopback(r.Host) {
		fail(w, http.StatusForbidden, "%s", hostcheck.Refused(r.Host, "loopback names (127.0.0.1, localhost, ::1)"))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		fail(w, http.StatusRequestEntityTooLarge, "reading the request: %v", err)
		return
	}
	t, err := s.resolve(r.Context(), r.Method, r.URL.Path)
	if err != nil {
		s.refuse(w, r, err, http.StatusInternalServerError, "reading the API from moto: ")
		return
	}
	if err := s.authorize(r.Context(), r, body, t, time.Now()); err != nil {
		var refused *errRefused
		if errors.As(err, &refused) {
			s.writeRefusal(w, r, t, refused)
		} else {
			s.refuse(w, r, err, http.StatusInternalServerError, "authorizing the request: ")
		}
		return
	}
	rt, release, err := s.instance(r.Context(), t.function)
	if err != nil {
		s.refuse(w, r, err, http.StatusBadGateway, "")
		return
	}
	defer release()
	ev, err := event(r, body, t, time.Now())
	if err != nil {
		fail(w, http.StatusInternalServerError, "building the event: %v", err)
		return
	}
	out, err := rt.invoke(r.Context(), ev)
	if err == nil {
		err = respond(w, out, t.payload)
	}
	if err != nil {
		fail(w, http.StatusBadGateway, "function %s: %v", t.function, err)
		s.opts.Logf("local API: %s %s: function %s: %v\nits output:\n%s", r.Method, r.URL.Path, t.function, err, rt.output())
		return
	}
	s.opts.Logf("local API: %s %s -> function %s", r.Method, r.URL.Path, t.function)
}

// refuse answers err, which stopped r before its function ran, and logs
// it. A URL that names nothing is a 404 and a throttled function a 429,
// as API Gateway answers them; any other error is status, its message
// after doing (what the local API was doing, "" when err says it).
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, err error, status int, doing string) {
	var nf *notFound
	var throttled errThrottled
	switch {
	case errors.As(err, &nf):
		status, doing = http.StatusNotFound, ""
	case errors.As(err, &throttled):
		status, doing = http.StatusTooManyRequests, ""
	}
	fail(w, status, "%s%v", doing, err)
	s.opts.Logf("local API: %s %s: %v", r.Method, r.URL.Path, err)
}

// instance returns an instance of the function free for one invocation,
// and the func that gives it back. A function changed while the request
// waited is read again.
func (s *Server) instance(ctx context.Context, function string) (*runtime, func(), error) {
	for {
		p, err := s.runtimes.get(ctx, s.lambda, function)
		if err != nil {
			return nil, nil, err
		}
		rt, err := p.acquire(ctx)
		if errors.Is(err, errRetired) {
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("function %s: %w", function, err)
		}
		return rt, func() { p.release(rt) }, nil
	}
}

// fail answers the local API's own errors as API Gateway does, with a
// JSON message, here one that says what to fix.
func fail(w http.ResponseWriter, status int, format string, args ...any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Local-Api-Error", "true")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, "{\"message\":%q}\n", "local API: "+fmt.Sprintf(format, args...))
}

// notFound is a URL that names no API, stage, route or function URL.
type notFound struct{ msg string }

func (e *notFound) Error() string { return e.msg }

func missing(format string, args ...any) error { return &notFound{fmt.Sprintf(format, args...)} }

// split cuts "/a/b/c..." into its first segment and the rest ("/b/c...").
func split(path string) (first, rest string) {
	first, rest, _ = strings.Cut(strings.TrimPrefix(path, "/"), "/")
	return first, "/" + rest
}
