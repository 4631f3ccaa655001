package cfruntime

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"sort"
	"strings"
)

// Event is a viewer-request event as CloudFront passes it to a function.
type Event struct {
	Version string       `json:"version"`
	Context EventContext `json:"context"`
	Viewer  Viewer       `json:"viewer"`
	Request Request      `json:"request"`
}

// EventContext describes the distribution and the request.
type EventContext struct {
	DistributionDomainName string `json:"distributionDomainName,omitempty"`
	DistributionID         string `json:"distributionId,omitempty"`
	EventType              string `json:"eventType"`
	RequestID              string `json:"requestId,omitempty"`
}

// Viewer is the client.
type Viewer struct {
	IP string `json:"ip"`
}

// Request is the HTTP request in an event, and in a function's output
// when the function lets the request go on.
type Request struct {
	Method      string `json:"method"`
	URI         string `json:"uri"`
	Querystring Fields `json:"querystring"`
	Headers     Fields `json:"headers"`
	Cookies     Fields `json:"cookies"`
}

// Response is a response a function generates.
type Response struct {
	StatusCode        int                       `json:"statusCode"`
	StatusDescription string                    `json:"statusDescription,omitempty"`
	Headers           Fields                    `json:"headers,omitempty"`
	Cookies           map[string]ResponseCookie `json:"cookies,omitempty"`
	Body              *Body                     `json:"body,omitempty"`
}

// ResponseCookie is a cookie a generated response sets.
type ResponseCookie struct {
	Value      string `json:"value"`
	Attributes string `json:"attributes,omitempty"`
}

// Body is a generated response's body.
type Body struct {
	Encoding string `json:"encoding"`
	Data     string `json:"data"`
}

// UnmarshalJSON also takes the short form, a string, as text.
func (b *Body) UnmarshalJSON(data []byte) error {
	var s string
	if json.Unmarshal(data, &s) == nil {
		*b = Body{Encoding: "text", Data: s}
		return nil
	}
	type plain Body
	return json.Unmarshal(data, (*plain)(b))
}

// Fields holds headers, cookies or query parameters by name.
type Fields map[string]Field

// Field is one named value; MultiValue is present only when the name
// repeats, and then holds every value, the first also being Value.
type Field struct {
	Value      string       `json:"value"`
	MultiValue []FieldValue `json:"multiValue,omitempty"`
}

// FieldValue is one of several values of a name.
type FieldValue struct {
	Value string `json:"value"`
}

// Get returns the first value of name and whether it is present.
func (f Fields) Get(name string) (string, bool) {
	v, ok := f[name]
	return v.Value, ok
}

func (f Fields) add(name, value string) {
	v, ok := f[name]
	if !ok {
		f[name] = Field{Value: value}
		return
	}
	if len(v.MultiValue) == 0 {
		v.MultiValue = []FieldValue{{Value: v.Value}}
	}
	v.MultiValue = append(v.MultiValue, FieldValue{Value: value})
	f[name] = v
}

// disallowedHeaders are headers CloudFront does not show functions and
// refuses to let them add (a 502).
var disallowedHeaders = map[string]bool{
	"connection": true, "expect": true, "keep-alive": true, "proxy-authenticate": true, "proxy-authorization": true,
	"proxy-connection": true, "trailer": true, "upgrade": true, "x-accel-buffering": true, "x-accel-charset": true,
	"x-accel-limit-rate": true, "x-accel-redirect": true, "x-amzn-auth": true, "x-amzn-cf-billing": true,
	"x-amzn-cf-id": true, "x-amzn-cf-xff": true, "x-amzn-errortype": true, "x-amzn-fle-profile": true,
	"x-amzn-header-count": true, "x-amzn-header-order": true, "x-amzn-lambda-integration-tag": true,
	"x-amzn-requestid": true, "x-cache": true, "x-forwarded-proto": true, "x-real-ip": true,
}

func isDisallowedHeader(name string) bool {
	return disallowedHeaders[name] || strings.HasPrefix(name, "x-amz-cf-") || strings.HasPrefix(name, "x-edge-")
}

// readOnlyHeaders may be read but not changed by a viewer-request function.
var readOnlyHeaders = []string{"cdn-loop", "content-length", "host", "transfer-encoding", "via"}

// EventOptions describe the distribution an event comes through.
type EventOptions struct {
	DistributionDomainName string
	DistributionID         string
	// DropUnderscoreHeaders drops request headers whose names contain '_',
	// as CloudFront is reported to do (AWS does not document it).
	DropUnderscoreHeaders bool
}

// NewEvent builds the viewer-request event CloudFront would pass a function
// for r: header names lower-cased, repeated names as multiValue, cookies
// split out of the Cookie headers, the query string as an object, the URI
// as received. viewerIP is the client's address; "" takes it from
// r.RemoteAddr.
func NewEvent(r *http.Request, viewerIP string, opt EventOptions) *Event {
	if viewerIP == "" {
		viewerIP, _, _ = net.SplitHostPort(r.RemoteAddr)
	}
	ev := &Event{
		Version: "1.0",
		Context: EventContext{
			DistributionDomainName: opt.DistributionDomainName,
			DistributionID:         opt.DistributionID,
			EventType:              "viewer-request",
			RequestID:              newRequestID(),
		},
		Viewer: Viewer{IP: viewerIP},
		Request: Request{
			Method:      r.Method,
			URI:         rawPath(r),
			Querystring: Fields{},
			Headers:     Fields{},
			Cookies:     Fields{},
		},
	}
	for _, p := range strings.Split(r.URL.RawQuery, "&") {
		if p == "" {
			continue
		}
		name, value, _ := strings.Cut(p, "=")
		ev.Request.Querystring.add(name, value)
	}
	if r.Host != "" {
		ev.Request.Headers.add("host", r.Host)
	}
	names := make([]string, 0, len(r.Header))
	for name := range r.Header {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		lower := strings.ToLower(name)
		switch {
		case lower == "host" || isDisallowedHeader(lower):
			continue
		case opt.DropUnderscoreHeaders && strings.Contains(lower, "_"):
			continue
		case lower == "cookie":
			for _, line := range r.Header[name] {
				for _, c := range strings.Split(line, ";") {
					c = strings.TrimSpace(c)
					if c == "" {
						continue
					}
					cn, cv, _ := strings.Cut(c, "=")
					ev.Request.Cookies.add(cn, cv)
				}
			}
			continue
		}
		for _, v := range r.Header[name] {
			ev.Request.Headers.add(lower, v)
		}
	}
	return ev
}

// rawPath is the request path exactly as the client sent it.
func rawPath(r *http.Request) string {
	if r.RequestURI != "" && r.RequestURI != "*" && strings.HasPrefix(r.RequestURI, "/") {
		p, _, _ := strings.Cut(r.RequestURI, "?")
		return p
	}
	return r.URL.EscapedPath()
}

func newRequestID() string {
	var b [42]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
