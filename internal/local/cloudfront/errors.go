package cloudfront

import (
	"bytes"
	"crypto/rand"
	"encoding/xml"
	"fmt"
	"net/http"
)

// apiError is an error CloudFront answers with: the SDK picks its error
// type from Code, and retries on the status.
type apiError struct {
	Status  int // 0: the status CloudFront uses for Code
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// statusOf is the HTTP status CloudFront answers each error code with
// (botocore's cloudfront 2020-05-31 model, and the services' common errors).
var statusOf = map[string]int{
	"AccessDenied":                                 403,
	"DistributionAlreadyExists":                    409,
	"DistributionNotDisabled":                      409,
	"FunctionAlreadyExists":                        409,
	"FunctionInUse":                                409,
	"FunctionSizeLimitExceeded":                    413,
	"IllegalUpdate":                                400,
	"InconsistentQuantities":                       400,
	"InternalError":                                500,
	"InvalidArgument":                              400,
	"InvalidFunctionAssociation":                   400,
	"InvalidIfMatchVersion":                        400,
	"MalformedXML":                                 400,
	"NoSuchDistribution":                           404,
	"NoSuchFunctionExists":                         404,
	"NoSuchOrigin":                                 404,
	"PreconditionFailed":                           412,
	"ServiceUnavailable":                           503,
	"TestFunctionFailed":                           500,
	"Throttling":                                   400,
	"TooManyFunctions":                             400,
	"UnsupportedOperation":                         400,
	"TooManyDistributionsWithFunctionAssociations": 400,
}

// Status returns the HTTP status of a CloudFront error code; 400 for a
// code it does not know.
func Status(code string) int {
	if s, ok := statusOf[code]; ok {
		return s
	}
	return 400
}

func (e *apiError) status() int {
	if e.Status != 0 {
		return e.Status
	}
	return Status(e.Code)
}

func malformed(format string, args ...any) *apiError {
	return &apiError{Code: "MalformedXML", Message: fmt.Sprintf(format, args...)}
}

func invalidArgument(format string, args ...any) *apiError {
	return &apiError{Code: "InvalidArgument", Message: fmt.Sprintf(format, args...)}
}

const preconditionMessage = "The request failed because it didn't meet the preconditions in one or more request-header fields."

type errorResponse struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Xmlns     string   `xml:"xmlns,attr"`
	Type      string   `xml:"Error>Type"`
	Code      string   `xml:"Error>Code"`
	Message   string   `xml:"Error>Message"`
	RequestID string   `xml:"RequestId"`
}

// writeError answers e as CloudFront does: Type Sender for the caller's
// faults, Receiver for the service's.
func writeError(w http.ResponseWriter, e *apiError, requestID string) {
	status := e.status()
	typ := "Sender"
	if status >= 500 {
		typ = "Receiver"
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	_ = xml.NewEncoder(&b).Encode(errorResponse{Xmlns: Namespace, Type: typ, Code: e.Code, Message: e.Message, RequestID: requestID})
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", fmt.Sprint(b.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// newRequestID returns a request id shaped like AWS's (a UUID).
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// newID returns "E" and 13 upper-case letters and digits, the shape of
// CloudFront's ETags and distribution ids.
func newID() string {
	var b [13]byte
	_, _ = rand.Read(b[:])
	out := []byte{'E'}
	for _, c := range b {
		out = append(out, alnum[int(c)%len(alnum)])
	}
	return string(out)
}
