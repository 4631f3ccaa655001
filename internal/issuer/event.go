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
}

// rawEvent holds the fields of all three event shapes.
type rawEvent struct {
	Version                         string              `json:"version"`
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
			SourceIP string `json:"sourceIp"`
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
		authorizer: ev.RequestContext.Authorizer}
	switch {
	case ev.Version == "2.0" && ev.RequestContext.HTTP.Method != "":
		r.flavour, r.method, r.sourceIP = httpV2, ev.RequestContext.HTTP.Method, ev.RequestContext.HTTP.SourceIP
	case ev.HTTPMethod != "":
		r.flavour, r.method, r.sourceIP = restV1, ev.HTTPMethod, ev.RequestContext.Identity.SourceIP
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
