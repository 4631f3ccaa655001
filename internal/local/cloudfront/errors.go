package cloudfront

import (
	"bytes"
	"crypto/rand"
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"

	"github.com/securestream/terraform-provider-securestream/internal/local/faults"
)

// apiError is an error CloudFront answers with: the SDK picks its error
// type from Code, and retries on the status.
type apiError struct {
	Status  int // 0: the status CloudFront uses for Code
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func (e *apiError) status() int {
	if e.Status != 0 {
		return e.Status
	}
	return faults.Status(e.Code)
}

// The errors the control plane answers, one constructor per code (and
// per message, where the message is always the same), so that a code is
// always answered the same way.

func errMalformedXML(format string, args ...any) *apiError {
	return &apiError{Code: "MalformedXML", Message: fmt.Sprintf(format, args...)}
}

func errInvalidArgument(format string, args ...any) *apiError {
	return &apiError{Code: "InvalidArgument", Message: fmt.Sprintf(format, args...)}
}

func errInconsistentQuantities(path string, want int64, got int) *apiError {
	return &apiError{Code: "InconsistentQuantities", Message: fmt.Sprintf(
		"%s: Quantity is %d but Items holds %d elements; they must agree", path, want, got)}
}

// errBodyTooLarge is the answer to a body over maxBody: a function's code
// too large, for the calls that carry one.
func errBodyTooLarge(op string) *apiError {
	e := &apiError{Code: "MalformedXML", Message: fmt.Sprintf("the request body is over %d bytes", maxBody)}
	if op == "CreateFunction" || op == "UpdateFunction" {
		e.Code = "FunctionSizeLimitExceeded"
	}
	return e
}

func errInternal(err error) *apiError {
	return &apiError{Code: "InternalError", Message: err.Error()}
}

func errAccessDenied(msg string) *apiError {
	return &apiError{Code: "AccessDenied", Message: msg}
}

func errUnsupportedOperation(method, path string) *apiError {
	return &apiError{Code: "UnsupportedOperation", Message: fmt.Sprintf(
		"%s %s is not an operation of CloudFront API %s that this local CloudFront serves", method, path, APIVersion)}
}

func errInvalidIfMatchVersion() *apiError {
	return &apiError{Code: "InvalidIfMatchVersion", Message: "The If-Match version is missing or not valid for the resource."}
}

const preconditionMessage = "The request failed because it didn't meet the preconditions in one or more request-header fields."

func errPreconditionFailed() *apiError {
	return &apiError{Code: "PreconditionFailed", Message: preconditionMessage}
}

func errNoSuchFunction(name string) *apiError {
	return &apiError{Code: "NoSuchFunctionExists", Message: fmt.Sprintf("The function %s does not exist.", name)}
}

func errNoSuchFunctionInAccount(arn, account string) *apiError {
	return &apiError{Code: "NoSuchFunctionExists", Message: fmt.Sprintf("The function %s does not exist in account %s.", arn, account)}
}

func errNoLiveStage(name string) *apiError {
	return &apiError{Code: "NoSuchFunctionExists", Message: fmt.Sprintf(
		"The function %s has no LIVE stage: it has never been published.", name)}
}

func errFunctionAlreadyExists(name string) *apiError {
	return &apiError{Code: "FunctionAlreadyExists", Message: fmt.Sprintf("A function with the name %s already exists.", name)}
}

func errTooManyFunctions(limit int) *apiError {
	return &apiError{Code: "TooManyFunctions", Message: fmt.Sprintf(
		"You have reached the maximum number of functions (%d) for this account.", limit)}
}

func errFunctionSizeLimitExceeded(size, limit int) *apiError {
	return &apiError{Code: "FunctionSizeLimitExceeded", Message: fmt.Sprintf(
		"The function code is %d bytes; the limit is %d bytes.", size, limit)}
}

func errFunctionInUse(name string, users []string) *apiError {
	return &apiError{Code: "FunctionInUse", Message: fmt.Sprintf(
		"Cannot delete function %s, it is in use by %d distributions: %s", name, len(users), strings.Join(users, ", "))}
}

func errTestFunctionFailed(err error) *apiError {
	return &apiError{Code: "TestFunctionFailed", Message: "The CloudFront function failed to test: " + err.Error()}
}

func errNoSuchDistribution(id string) *apiError {
	return &apiError{Code: "NoSuchDistribution", Message: fmt.Sprintf("The specified distribution %s does not exist.", id)}
}

func errDistributionAlreadyExists(callerReference, id string) *apiError {
	return &apiError{Code: "DistributionAlreadyExists", Message: fmt.Sprintf(
		"The caller reference %s is already used by distribution %s.", callerReference, id)}
}

func errDistributionNotDisabled(id string) *apiError {
	return &apiError{Code: "DistributionNotDisabled", Message: fmt.Sprintf(
		"The distribution %s you are trying to delete has not been disabled: set Enabled to false, wait until it is Deployed, then delete it.", id)}
}

func errCallerReferenceChanged() *apiError {
	return &apiError{Code: "IllegalUpdate", Message: "CallerReference cannot be changed: send the one GetDistributionConfig returns."}
}

func errNoSuchOrigin(pattern, origin string) *apiError {
	return &apiError{Code: "NoSuchOrigin", Message: fmt.Sprintf(
		"The cache behavior %s targets origin %q, which the distribution does not have.", pattern, origin)}
}

func errInvalidFunctionAssociation(format string, args ...any) *apiError {
	return &apiError{Code: "InvalidFunctionAssociation", Message: fmt.Sprintf(format, args...)}
}

func errTooManyDistributionsWithFunction(name string, n int) *apiError {
	return &apiError{Code: "TooManyDistributionsWithFunctionAssociations", Message: fmt.Sprintf(
		"The function %s is already associated with %d distributions, the limit.", name, n)}
}

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
