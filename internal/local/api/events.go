package api

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// accountID is moto's default account, which its ARNs carry.
const accountID = "123456789012"

// kind is the sort of front door a request came through.
type kind int

const (
	httpAPI     kind = iota // API Gateway HTTP API
	restAPI                 // API Gateway REST API
	functionURL             // Lambda function URL
)

// target is what a request resolved to: the API, the route and the
// function that serves it.
type target struct {
	kind     kind
	apiID    string // the API's id, or the function URL's id
	stage    string
	routeKey string // HTTP API: "POST /token" or "$default"; REST: the resource path
	path     string // the path below the stage
	params   map[string]string
	function string
	payload  string // the payload format version: "2.0" or "1.0"
	// access is what the route needs before the function runs. Once it
	// let the request through: claims and scopes are what a JWT
	// authorizer passes, caller the identity AWS_IAM verified, apiKey the
	// API key sent.
	access access
	claims map[string]string
	scopes []string
	caller *callerIdentity
	apiKey *usedKey
}

// event builds the event the target's front door sends to the function
// for r: payload 2.0 for HTTP APIs and function URLs, 1.0 for REST APIs
// (and HTTP API integrations that ask for it).
func event(r *http.Request, body []byte, t *target, now time.Time) ([]byte, error) {
	sourceIP, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		sourceIP = r.RemoteAddr
	}
	text, b64 := string(body), !utf8.Valid(body)
	if b64 {
		text = base64.StdEncoding.EncodeToString(body)
	}
	requestID := strconv.FormatInt(now.UnixNano(), 36)
	fullPath := t.path
	if t.kind != functionURL && t.stage != "$default" {
		fullPath = "/" + t.stage + t.path // the stage is part of the path the client called
	}
	if t.payload == "1.0" {
		ev := events.APIGatewayProxyRequest{
			Resource: t.routeKey, Path: t.path, HTTPMethod: r.Method,
			Headers: map[string]string{}, MultiValueHeaders: map[string][]string{},
			PathParameters: t.params, Body: text, IsBase64Encoded: b64,
			RequestContext: events.APIGatewayProxyRequestContext{
				AccountID: accountID, APIID: t.apiID, Stage: t.stage, RequestID: requestID, ResourcePath: t.routeKey,
				HTTPMethod: r.Method, Path: fullPath, Protocol: r.Proto, RequestTimeEpoch: now.UnixMilli(),
				Identity: events.APIGatewayRequestIdentity{SourceIP: sourceIP, UserAgent: r.UserAgent()},
			},
		}
		if t.claims != nil { // an HTTP API's JWT authorizer, payload 1.0
			ev.RequestContext.Authorizer = map[string]any{"claims": t.claims, "scopes": t.scopes}
		}
		if c := t.caller; c != nil { // only a request AWS_IAM verified has an accessKey
			id := &ev.RequestContext.Identity
			id.AccessKey, id.AccountID, id.Caller, id.User, id.UserArn = c.accessKey, c.account, c.userID, c.userID, c.arn
		}
		if k := t.apiKey; k != nil {
			ev.RequestContext.Identity.APIKey, ev.RequestContext.Identity.APIKeyID = k.value, k.id
		}
		for name, vs := range headers(r) {
			ev.Headers[name], ev.MultiValueHeaders[name] = vs[len(vs)-1], vs
		}
		if q := r.URL.Query(); len(q) > 0 {
			ev.QueryStringParameters, ev.MultiValueQueryStringParameters = map[string]string{}, q
			for k, vs := range q {
				ev.QueryStringParameters[k] = vs[len(vs)-1]
			}
		}
		return json.Marshal(ev)
	}
	routeKey := t.routeKey
	if t.kind == functionURL {
		routeKey = "$default"
	}
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: routeKey, RawPath: fullPath, RawQueryString: r.URL.RawQuery,
		Headers: map[string]string{}, PathParameters: t.params, Body: text, IsBase64Encoded: b64,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: routeKey, AccountID: accountID, Stage: t.stage, RequestID: requestID, APIID: t.apiID,
			DomainName: r.Host, DomainPrefix: t.apiID, Time: now.UTC().Format("02/Jan/2006:15:04:05 -0700"), TimeEpoch: now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: r.Method, Path: fullPath, Protocol: r.Proto, SourceIP: sourceIP, UserAgent: r.UserAgent(),
			},
		},
	}
	if t.claims != nil {
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: t.claims, Scopes: t.scopes}}
	}
	if c := t.caller; c != nil {
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			IAM: &events.APIGatewayV2HTTPRequestContextAuthorizerIAMDescription{AccessKey: c.accessKey, AccountID: c.account,
				CallerID: c.userID, UserARN: c.arn, UserID: c.userID}}
	}
	for name, vs := range headers(r) {
		if name == "cookie" { // payload 2.0 moves cookies out of the headers
			for _, v := range vs {
				for c := range strings.SplitSeq(v, ";") {
					ev.Cookies = append(ev.Cookies, strings.TrimSpace(c))
				}
			}
			continue
		}
		ev.Headers[name] = strings.Join(vs, ",")
	}
	if q := r.URL.Query(); len(q) > 0 {
		ev.QueryStringParameters = map[string]string{}
		for k, vs := range q {
			ev.QueryStringParameters[k] = strings.Join(vs, ",")
		}
	}
	return json.Marshal(ev)
}

// headers are r's headers with lower-case names, Host included.
func headers(r *http.Request) map[string][]string {
	h := map[string][]string{"host": {r.Host}}
	for name, vs := range r.Header {
		h[strings.ToLower(name)] = vs
	}
	return h
}

// reply is the function's answer, in any payload version.
type reply struct {
	StatusCode        int                 `json:"statusCode"`
	Headers           map[string]string   `json:"headers"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
	Cookies           []string            `json:"cookies"`
	Body              string              `json:"body"`
	IsBase64Encoded   bool                `json:"isBase64Encoded"`
}

// errFunction is a function that failed, which API Gateway answers with
// 502.
var errFunction = errors.New("the function failed")

// respond writes the function's answer out as the front door would.
func respond(w http.ResponseWriter, out []byte, payload string) error {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(out, &probe); err != nil && payload == "1.0" {
		return fmt.Errorf("%w: its answer is not a JSON object: %.200s", errFunction, out)
	}
	if _, ok := probe["errorMessage"]; ok {
		return fmt.Errorf("%w: %.500s", errFunction, out)
	}
	if _, ok := probe["statusCode"]; !ok {
		if payload == "1.0" {
			return fmt.Errorf("%w: its answer has no statusCode: %.200s", errFunction, out)
		}
		// Payload 2.0 takes an answer without statusCode as a JSON body.
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(out)
		return nil
	}
	var rep reply
	if err := json.Unmarshal(out, &rep); err != nil {
		return fmt.Errorf("%w: its answer does not decode: %v", errFunction, err)
	}
	body := []byte(rep.Body)
	if rep.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(rep.Body)
		if err != nil {
			return fmt.Errorf("%w: its body is marked base64 but is not", errFunction)
		}
		body = b
	}
	for name, vs := range rep.MultiValueHeaders {
		for _, v := range vs {
			w.Header().Add(name, v)
		}
	}
	for name, v := range rep.Headers {
		w.Header().Set(name, v)
	}
	for _, c := range rep.Cookies {
		w.Header().Add("Set-Cookie", c)
	}
	w.WriteHeader(rep.StatusCode)
	_, _ = w.Write(body)
	return nil
}
