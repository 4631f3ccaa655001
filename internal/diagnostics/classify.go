package diagnostics

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/securestream/terraform-provider-securestream/internal/awsclients"
)

// Kind is what an AWS call's error says about its cause, which decides
// the advice of its diagnostic: only a refusal of the call itself is a
// matter of IAM permissions.
type Kind int

const (
	// Other is an answer the classes below do not cover (a conflict, an
	// invalid argument...): the call's own fix applies.
	Other Kind = iota
	// AccessDenied: the credentials lack a permission; the fix is the
	// permission.
	AccessDenied
	// BadCredentials: AWS does not accept the credentials at all
	// (unknown, wrong or expired).
	BadCredentials
	// NotFound: what the call names does not exist.
	NotFound
	// Throttled: AWS kept limiting the call's rate through the retries.
	Throttled
	// ServiceFailed: AWS answered with a server error (5xx) through the
	// retries.
	ServiceFailed
	// Deadline: the operation's timeout (the resource's timeouts argument)
	// ran out during the call.
	Deadline
	// Unreachable: the endpoint could not be reached
	// (awsclients.UnreachableError).
	Unreachable
)

// accessDeniedCodes are the error codes of a call the credentials may not
// make (IAM, KMS, Lambda, API Gateway, CloudFront, CloudWatch Logs).
var accessDeniedCodes = map[string]bool{
	"AccessDenied": true, "AccessDeniedException": true, "UnauthorizedOperation": true, "AuthorizationError": true,
	"AuthorizationErrorException": true, "Forbidden": true, "ForbiddenException": true, "UnauthorizedException": true,
}

// badCredentialCodes are the codes AWS answers a request signed with
// unknown, wrong or expired credentials (as awsclients' credentials check
// reads them).
var badCredentialCodes = map[string]bool{
	"InvalidClientTokenId": true, "SignatureDoesNotMatch": true, "IncompleteSignature": true, "InvalidAccessKeyId": true,
	"ExpiredToken": true, "ExpiredTokenException": true, "UnrecognizedClientException": true, "AuthFailure": true,
	"InvalidToken": true,
}

// notFoundCodes are the services' "does not exist" codes that neither end
// in NotFound/NotFoundException nor start with NoSuch.
var notFoundCodes = map[string]bool{"ResourceNotFoundException": true, "NotFoundException": true}

// Classify says what err, the error of an AWS call, is about. It reads
// the SDK's error types: the API error's code (smithy.APIError), the
// HTTP status (smithy-go's ResponseError), the retries spent
// (retry.MaxAttemptsError), a deadline (context.DeadlineExceeded), and
// awsclients.UnreachableError.
func Classify(err error) Kind {
	if err == nil {
		return Other
	}
	var ue *awsclients.UnreachableError
	if errors.As(err, &ue) {
		return Unreachable
	}
	code, status := apiCode(err), httpStatus(err)
	switch {
	case badCredentialCodes[code]:
		return BadCredentials
	case accessDeniedCodes[code] || (status == 403 && code == ""):
		return AccessDenied
	case notFoundCodes[code] || strings.HasPrefix(code, "NoSuch") || strings.HasSuffix(code, "NotFound") ||
		strings.HasSuffix(code, "NotFoundException") || (status == 404 && code == ""):
		return NotFound
	case throttled(code, status):
		return Throttled
	case status >= 500:
		return ServiceFailed
	case errors.Is(err, context.DeadlineExceeded):
		// Checked after the answers: a call that ran out of time while
		// retrying one keeps the answer's class.
		return Deadline
	}
	return Other
}

// throttled reports whether code (or the status 429) is a rate limit, as
// the SDK's retryer counts them; LimitExceededException is also a quota
// (KMS, Lambda) unless the status says it is a rate.
func throttled(code string, status int) bool {
	if status == 429 {
		return true
	}
	if _, ok := retry.DefaultThrottleErrorCodes[code]; ok {
		return code != "LimitExceededException"
	}
	return false
}

func apiCode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}

func httpStatus(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		return re.HTTPStatusCode()
	}
	return 0
}

// attempts is how many attempts the SDK made before giving up (0 when it
// does not say).
func attempts(err error) int {
	var m *retry.MaxAttemptsError
	if errors.As(err, &m) {
		return m.Attempt
	}
	return 0
}

// Call is an AWS call, described for the diagnostic of its failure.
type Call struct {
	// Action names the call as IAM does, such as
	// "cloudfront:GetDistributionConfig" (the summary is "<Action>
	// failed"), possibly followed by what it was for.
	Action string
	// Path is the attribute whose value named what the call acts on
	// (such as association[0].distribution_id); empty when none did.
	Path path.Path
	// Fix says what to do when AWS refuses the call: the permission it
	// needs, and what else a refusal may mean. It is said for
	// AccessDenied and for answers of no other class, never for a
	// missing resource, throttling, a server error or a deadline.
	Fix string
	// Missing says what does not exist when AWS answers NotFound, such
	// as "Distribution E1 does not exist"; empty for a general sentence.
	// The detail adds which attribute named it (Path), unless Missing ends
	// with a full stop: then it says all.
	Missing string
	// After says what the failure leaves, whatever its cause (such as
	// "the next apply publishes again").
	After string
	// specific: Fix was chosen for this very error (AWSCall's fix that is
	// no IAM advice), and is said whatever its class but a deadline.
	specific bool
}

// Failed is the diagnostic of the call's failure with err: its summary
// names the call that failed (the operation the SDK's error names, when
// Action names another of the same service), its detail AWS's answer and
// then the advice of err's class, on Path when there is one.
func (c Call) Failed(err error) diag.Diagnostic {
	summary := actualAction(c.Action, err) + " failed"
	if Classify(err) == Deadline {
		d := deadlineDiag{summary: summary, call: c, err: err, path: c.Path}
		if len(c.Path.Steps()) == 0 {
			return d
		}
		return attributeDeadlineDiag{d}
	}
	if len(c.Path.Steps()) == 0 {
		return diag.NewErrorDiagnostic(summary, c.Detail(err))
	}
	return diag.NewAttributeErrorDiagnostic(c.Path, summary, c.Detail(err))
}

// iamAdvice matches a fix that speaks of the provider's credentials: a
// permission to grant.
var iamAdvice = regexp.MustCompile(`(?i)credentials (need|may)`)

// simpleAction is an Action that is just service:Operation.
var simpleAction = regexp.MustCompile(`^([a-z0-9-]+):([A-Za-z0-9]+)$`)

// actualAction is action, or the operation err names when action names
// another operation of the same service (a read-modify-write such as
// GetDistributionConfig then UpdateDistribution, reported as the latter).
func actualAction(action string, err error) string {
	m := simpleAction.FindStringSubmatch(action)
	var op *smithy.OperationError
	if m == nil || !errors.As(err, &op) || op.OperationName == "" || op.OperationName == m[2] {
		return action
	}
	if strings.ToLower(strings.ReplaceAll(op.ServiceID, " ", "")) != m[1] {
		return action
	}
	return m[1] + ":" + op.OperationName
}

// Detail is the detail of the call's failure with err: AWS's answer, then
// the advice of err's class (see Kind), then c.After.
func (c Call) Detail(err error) string {
	return c.detail(err, "")
}

func (c Call) detail(err error, op string) string {
	var ue *awsclients.UnreachableError
	if errors.As(err, &ue) {
		// The endpoint, not the call, is at fault: the error says what
		// to do.
		return join(ue.Error(), c.After)
	}
	return join(err.Error(), c.Advice(err, op), c.After)
}

// Advice is what to do about err, by its class: the call's Fix for a
// refusal, and never IAM advice for what permissions cannot cause. op is
// the operation whose timeout bounded the call ("create", "update",
// "delete", "read"; "" when unknown).
func (c Call) Advice(err error, op string) string {
	code, status := apiCode(err), httpStatus(err)
	answer := code
	if status != 0 {
		answer = strings.TrimSpace(fmt.Sprintf("%s (HTTP %d)", code, status))
	}
	retried := "The call was retried"
	if n := attempts(err); n > 1 {
		retried = fmt.Sprintf("The call was made %d times", n)
	}
	kind := Classify(err)
	if c.specific && kind != Deadline {
		return c.Fix
	}
	switch kind {
	case AccessDenied, Other:
		return c.Fix
	case BadCredentials:
		return "AWS does not accept the provider's credentials (" + code + "): they are unknown, wrong or expired. Check " +
			"access_key and secret_key, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, or the profile; renew " +
			"expired session credentials (aws sso login, for an SSO profile); then apply again."
	case NotFound:
		return c.missing(code)
	case Throttled:
		return retried + ", and AWS kept throttling it (" + answer + "): the account's request rate for the service is " +
			"used up, by this run or by others. Nothing is wrong with the configuration or the credentials: apply again " +
			"later, or raise the provider's max_retries."
	case ServiceFailed:
		return retried + ", then the service failed (" + answer + "): the fault is AWS's (or the endpoint's), not the " +
			"configuration's or the credentials'. Apply again later; the provider's max_retries sets how often a call is retried."
	case Deadline:
		timeout := "the resource's timeout for this operation (timeouts.create, update, delete or read, in its timeouts argument: timeouts = { update = \"20m\" })"
		if op != "" {
			timeout = "timeouts." + op + " in the resource's timeouts argument (timeouts = { " + op + " = \"20m\" })"
		}
		return "The operation's time ran out during the call: raise " + timeout + ", then apply again (what was done is in " +
			"the state, and the next apply carries on)."
	}
	return c.Fix
}

// missing says what does not exist.
func (c Call) missing(code string) string {
	what := c.Missing
	if strings.HasSuffix(what, ".") {
		return what
	}
	if what == "" {
		what = "AWS answers that what the call names does not exist"
		if code != "" {
			what += " (" + code + ")"
		}
	}
	if len(c.Path.Steps()) > 0 {
		return fmt.Sprintf("%s. %s names it: check its value, or create what it names first.", what, c.Path)
	}
	return what + ": it was deleted outside Terraform, or is in another account or region."
}

func join(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "\n\n")
}

// deadlineDiag is the diagnostic of a call that ran out of the
// operation's time. NameTimeout names the operation's timeout in it once
// the operation is known.
type deadlineDiag struct {
	summary string
	call    Call
	err     error
	op      string
	path    path.Path
}

func (d deadlineDiag) Severity() diag.Severity { return diag.SeverityError }
func (d deadlineDiag) Summary() string         { return d.summary }
func (d deadlineDiag) Detail() string          { return d.call.detail(d.err, d.op) }

func (d deadlineDiag) Equal(o diag.Diagnostic) bool {
	if o == nil || o.Severity() != d.Severity() || o.Summary() != d.Summary() || o.Detail() != d.Detail() {
		return false
	}
	p, ok := o.(diag.DiagnosticWithPath)
	if len(d.path.Steps()) == 0 {
		return !ok || len(p.Path().Steps()) == 0
	}
	return ok && p.Path().Equal(d.path)
}

// attributeDeadlineDiag is a deadlineDiag on an attribute.
type attributeDeadlineDiag struct{ deadlineDiag }

func (d attributeDeadlineDiag) Path() path.Path { return d.path }

func (d attributeDeadlineDiag) Equal(o diag.Diagnostic) bool { return d.deadlineDiag.Equal(o) }

// NameTimeout names timeouts.<op> in the diagnostics of diags whose call
// ran out of the operation's time, and reports whether there was one: a
// resource's Create, Read, Update or Delete calls it (deferred) with its
// operation, since the calls' diagnostics do not know it.
func NameTimeout(diags diag.Diagnostics, op string) bool {
	found := false
	for i, d := range diags {
		switch t := d.(type) {
		case deadlineDiag:
			t.op = op
			diags[i], found = t, true
		case attributeDeadlineDiag:
			t.op = op
			diags[i], found = t, true
		}
	}
	return found
}
