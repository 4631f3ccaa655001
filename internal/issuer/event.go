package issuer

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
)

// Event flavours.
const (
	restV1 = "rest-v1" // API Gateway REST API proxy integration (payload 1.0)
	httpV2 = "http-v2" // API Gateway HTTP API (payload 2.0) and Lambda function URLs
)

// request is an incoming event reduced to what the issuer uses.
type request struct {
	flavour    string
	method     string
	headers    map[string]string // lower-case names, first value
	query      map[string]string
	body       []byte
	sourceIP   string
	requestID  string
	authorizer map[string]any // what an API Gateway authorizer left, if anything
	// path is the request's path (REST: without the stage; HTTP API: with
	// it, unless $default), pathParams the route's parameters.
	path       string
	pathParams map[string]string
	// iamCaller is the ARN of the IAM identity API Gateway (AWS_IAM
	// authorization) or the function URL (AuthType AWS_IAM) verified, ""
	// for another request. The caller cannot write it: the service sets
	// the request context.
	iamCaller string
	// logFields are added to the request's log line: who used an admin
	// route, why the revocation store could not be read.
	logFields map[string]string
}

// rawEvent holds the fields of all three event shapes.
type rawEvent struct {
	Version                         string              `json:"version"`
	Path                            string              `json:"path"`
	RawPath                         string              `json:"rawPath"`
	PathParameters                  map[string]string   `json:"pathParameters"`
	HTTPMethod                      string              `json:"httpMethod"`
	Headers                         map[string]string   `json:"headers"`
	MultiValueHeaders               map[string][]string `json:"multiValueHeaders"`
	QueryStringParameters           map[string]string   `json:"queryStringParameters"`
	MultiValueQueryStringParameters map[string][]string `json:"multiValueQueryStringParameters"`
	Body                            *string             `json:"body"`
	IsBase64Encoded                 bool                `json:"isBase64Encoded"`
	RequestContext                  struct {
		RequestID string `json:"requestId"`
		Identity  struct {
			SourceIP  string `json:"sourceIp"`
			UserArn   string `json:"userArn"`
			AccessKey string `json:"accessKey"`
		} `json:"identity"`
		HTTP struct {
			Method   string `json:"method"`
			SourceIP string `json:"sourceIp"`
		} `json:"http"`
		Authorizer map[string]any `json:"authorizer"`
	} `json:"requestContext"`
}

var errNotHTTP = errors.New("the event is not an API Gateway REST, HTTP API or function URL request")

// parseEvent recognises the event's shape and normalises it.
func parseEvent(raw []byte) (*request, error) {
	var ev rawEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, errNotHTTP
	}
	r := &request{headers: map[string]string{}, query: map[string]string{}, requestID: ev.RequestContext.RequestID,
		authorizer: ev.RequestContext.Authorizer, pathParams: ev.PathParameters, logFields: map[string]string{}}
	switch {
	case ev.Version == "2.0" && ev.RequestContext.HTTP.Method != "":
		r.flavour, r.method, r.sourceIP, r.path = httpV2, ev.RequestContext.HTTP.Method, ev.RequestContext.HTTP.SourceIP, ev.RawPath
		// HTTP APIs and function URLs put the verified IAM identity in
		// authorizer.iam.
		if arn, ok := dig(ev.RequestContext.Authorizer, "iam", "userArn").(string); ok {
			r.iamCaller = arn
		}
	case ev.HTTPMethod != "":
		r.flavour, r.method, r.sourceIP, r.path = restV1, ev.HTTPMethod, ev.RequestContext.Identity.SourceIP, ev.Path
		// REST APIs fill identity.userArn and accessKey only for a
		// request signed with SigV4 that AWS_IAM authorization verified.
		if id := ev.RequestContext.Identity; id.AccessKey != "" {
			r.iamCaller = id.UserArn
		}
	default:
		return nil, errNotHTTP
	}
	for k, v := range ev.Headers {
		r.headers[strings.ToLower(k)] = v
	}
	for k, vs := range ev.MultiValueHeaders {
		if _, ok := r.headers[strings.ToLower(k)]; !ok && len(vs) > 0 {
			r.headers[strings.ToLower(k)] = vs[0]
		}
	}
	for k, v := range ev.QueryStringParameters {
		r.query[k] = v
	}
	for k, vs := range ev.MultiValueQueryStringParameters {
		if _, ok := r.query[k]; !ok && len(vs) > 0 {
			r.query[k] = vs[0]
		}
	}
	if ev.Body != nil {
		r.body = []byte(*ev.Body)
		if ev.IsBase64Encoded {
			b, err := base64.StdEncoding.DecodeString(*ev.Body)
			if err != nil {
				return nil, errors.New("the body is marked base64 but is not")
			}
			r.body = b
		}
	}
	r.method = strings.ToUpper(r.method)
	return r, nil
}

// response is what API Gateway and function URLs expect back; both
// payload versions accept this shape.
type response struct {
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
}
