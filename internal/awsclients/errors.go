package awsclients

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
)

// Problem is what is wrong with the provider's AWS settings: the summary
// of the diagnostic that reports it.
type Problem string

const (
	ProblemUnreachable    Problem = "Cannot reach AWS"
	ProblemCredentials    Problem = "Invalid AWS credentials" //nolint:gosec // a diagnostic's title, not a credential
	ProblemIncompleteKeys Problem = "Incomplete AWS credentials"
	ProblemNoCredentials  Problem = "No AWS credentials" //nolint:gosec // a diagnostic's title, not a credential
	ProblemAssumeRole     Problem = "Cannot assume the IAM role"
	ProblemProfile        Problem = "Unknown AWS profile"
	ProblemRegion         Problem = "No AWS region"
	ProblemEndpoint       Problem = "Invalid endpoint URL"
	ProblemSettings       Problem = "Invalid AWS settings"
	ProblemCheck          Problem = "AWS credentials check failed"
)

// SetupError is why New failed.
type SetupError struct {
	Problem Problem
	// Setting is the provider argument at fault, as a dotted path
	// ("profile", "assume_role.role_arn"), or "" when none is.
	Setting string
	// Err says what failed and what to do.
	Err error
}

func (e *SetupError) Error() string { return e.Err.Error() }

func (e *SetupError) Unwrap() error { return e.Err }

// check finds, without calling AWS, what the provider's ValidateConfig
// also reports, for callers that build Options themselves.
func (o Options) check() error {
	if (o.AccessKey == "") != (o.SecretKey == "") {
		given, missing := "access_key", "secret_key"
		if o.AccessKey == "" {
			given, missing = missing, given
		}
		return &SetupError{Problem: ProblemIncompleteKeys, Setting: missing, Err: errors.New(IncompleteKeys(given, missing))}
	}
	if o.Endpoint != "" {
		if err := CheckEndpoint(o.Endpoint); err != nil {
			return &SetupError{Problem: ProblemEndpoint, Setting: "endpoint", Err: err}
		}
	}
	for _, svc := range Services {
		if e := o.Endpoints[svc]; e != "" {
			if err := CheckEndpoint(e); err != nil {
				return &SetupError{Problem: ProblemEndpoint, Setting: "endpoints." + svc, Err: err}
			}
		}
	}
	return nil
}

// IncompleteKeys explains a static key given without its other half.
func IncompleteKeys(given, missing string) string {
	return fmt.Sprintf("%s is set but %s is not: set both, or neither to use the environment, a profile or an instance role.", given, missing)
}

// CheckEndpoint says why s is not an endpoint URL: it must be an absolute
// http or https URL with a host, such as http://localhost:4566.
func CheckEndpoint(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return fmt.Errorf("%q is not a URL (%v); write it as http://host:port or https://host", s, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%q does not start with http:// or https://; write it as http://%s", s, strings.TrimPrefix(s, "//"))
	case u.Host == "":
		return fmt.Errorf("%q has no host; write it as http://host:port or https://host", s)
	}
	return nil
}

var (
	regionPattern = regexp.MustCompile(`^[a-z]{2,4}(-[a-z]+)+-[0-9]+$`)
	rolePattern   = regexp.MustCompile(`^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/[\w+=,.@/-]+$`)
)

// CheckRegion says why s is not an AWS region name such as eu-west-1.
func CheckRegion(s string) error {
	if !regionPattern.MatchString(s) {
		return fmt.Errorf("%q is not an AWS region name, such as eu-west-1 or us-gov-west-1", s)
	}
	return nil
}

// CheckRoleARN says why s is not the ARN of an IAM role.
func CheckRoleARN(s string) error {
	if !rolePattern.MatchString(s) {
		return fmt.Errorf("%q is not the ARN of an IAM role, such as arn:aws:iam::123456789012:role/deployer", s)
	}
	return nil
}

// loadError explains a failure to load the SDK's configuration.
func loadError(o Options, err error) error {
	var np config.SharedConfigProfileNotExistError
	if errors.As(err, &np) {
		setting := ""
		if o.Profile != "" {
			setting = "profile"
		}
		return &SetupError{Problem: ProblemProfile, Setting: setting, Err: fmt.Errorf(
			"profile %q is in no shared config or credentials file (%v); name a profile of ~/.aws/config or ~/.aws/credentials "+
				"(or of shared_config_files and shared_credentials_files), in the profile argument or AWS_PROFILE", np.Profile, err)}
	}
	return &SetupError{Problem: ProblemSettings, Err: fmt.Errorf("loading the AWS configuration (environment, shared config "+
		"and credentials files) failed: %w", err)}
}

// invalidCredentialCodes are the error codes AWS answers a request signed
// with unknown, wrong or expired credentials.
var invalidCredentialCodes = map[string]bool{
	"InvalidClientTokenId": true, "SignatureDoesNotMatch": true, "IncompleteSignature": true, "InvalidAccessKeyId": true,
	"ExpiredToken": true, "ExpiredTokenException": true, "UnrecognizedClientException": true, "AuthFailure": true,
	"InvalidToken": true,
}

// validationError explains why the credentials check at configure time
// failed.
func validationError(o Options, err error) error {
	stsAt := "AWS"
	setting := ""
	if e := o.EndpointFor("sts"); e != "" {
		stsAt, setting = e, "endpoint"
		if o.Endpoints["sts"] != "" {
			setting = "endpoints.sts"
		}
	}
	var (
		unreachable *UnreachableError
		api         smithy.APIError
		creds       *CredentialsError
	)
	switch {
	case errors.As(err, &unreachable):
		return &SetupError{Problem: ProblemUnreachable, Setting: setting, Err: fmt.Errorf("%w\n\nThe provider checks its "+
			"credentials with sts:GetCallerIdentity when it starts; for an emulator without STS, set skip_credentials_validation", unreachable)}
	case errors.As(err, &api) && invalidCredentialCodes[api.ErrorCode()]:
		keys := ""
		if o.AccessKey != "" {
			keys = "access_key"
		}
		return &SetupError{Problem: ProblemCredentials, Setting: keys, Err: fmt.Errorf("AWS refused the credentials (%s: %s): "+
			"check access_key and secret_key, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, or the profile, "+
			"and renew expired session credentials (aws sso login, for an SSO profile)", api.ErrorCode(), api.ErrorMessage())}
	case errors.As(err, &creds) && creds.AssumeRole && !errors.As(creds.Err, new(*CredentialsError)):
		return &SetupError{Problem: ProblemAssumeRole, Setting: "assume_role.role_arn", Err: fmt.Errorf("sts:AssumeRole of %s "+
			"failed: %v\n\nThe base credentials need sts:AssumeRole on the role, and the role's trust policy must allow them "+
			"(and require the external_id given, if any)", o.AssumeRole.RoleARN, creds.Err)}
	case errors.As(err, &creds):
		return &SetupError{Problem: ProblemNoCredentials, Err: fmt.Errorf("no AWS credentials could be loaded: %v\n\nSet "+
			"access_key and secret_key, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile; or run Terraform where an "+
			"instance or container role is available", creds.Err)}
	}
	return &SetupError{Problem: ProblemCheck, Err: fmt.Errorf("sts:GetCallerIdentity against %s failed (%w); check the "+
		"credentials and the endpoint, or set skip_credentials_validation for an emulator without STS", stsAt, err)}
}

// CredentialsError is a failure to get credentials, as opposed to a call
// that AWS refused.
type CredentialsError struct {
	// AssumeRole is set when assuming assume_role's role failed.
	AssumeRole bool
	Err        error
}

func (e *CredentialsError) Error() string { return e.Err.Error() }

func (e *CredentialsError) Unwrap() error { return e.Err }

// markCredentials marks the errors of a credentials provider.
type markCredentials struct {
	aws.CredentialsProvider
	assumeRole bool
}

func (m markCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c, err := m.CredentialsProvider.Retrieve(ctx)
	if err != nil {
		err = &CredentialsError{AssumeRole: m.assumeRole, Err: err}
	}
	return c, err
}

// UnreachableError is an AWS call whose endpoint could not be connected
// to, or did not answer in time.
type UnreachableError struct {
	Call     string // such as kms:DescribeKey
	Endpoint string // scheme and host the call was sent to
	Attempts int
	// Cause is "cannot connect to", "cannot resolve the host of" or "got no answer from".
	Cause    string
	Timeouts Timeouts // the bounds of each attempt, when known
	Err      error    // the last attempt's error
}

func (e *UnreachableError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s", e.Call, e.Cause, e.Endpoint)
	if e.Attempts > 0 {
		fmt.Fprintf(&b, " (%d attempt", e.Attempts)
		if e.Attempts > 1 {
			b.WriteString("s")
		}
		if t := e.Timeouts; t.Attempt > 0 {
			fmt.Fprintf(&b, "; each waits at most %s to connect, %s for the answer to start and %s in all", t.Dial, t.ResponseHeader, t.Attempt)
		}
		b.WriteString(")")
	}
	fmt.Fprintf(&b, ": %v.\n\nCheck that the endpoint is right (the provider's endpoint and endpoints arguments, "+
		"AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>, or the region), that it can be reached from where Terraform runs, "+
		"and that it serves the AWS API.", e.Err)
	return b.String()
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// explainUnreachable, in every client's middleware stack, turns a call's
// network failure into an UnreachableError naming the call and endpoint:
// the SDK's own error buries them in its retry and transport wrapping.
func (o Options) explainUnreachable(stack *middleware.Stack) error {
	timeouts := o.timeouts()
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("securestreamExplainUnreachable",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleInitialize(ctx, in)
			// A cancelled call (Ctrl-C) is not the endpoint's fault; a
			// deadline (a resource's timeouts) may be.
			if err == nil || errors.Is(ctx.Err(), context.Canceled) {
				return out, md, err
			}
			if ue := unreachable(err); ue != nil {
				ue.Call = strings.ToLower(middleware.GetServiceID(ctx)) + ":" + middleware.GetOperationName(ctx)
				ue.Timeouts = timeouts
				err = ue
			}
			return out, md, err
		}), middleware.After)
}

// unreachable classifies err, a call's error after its retries; nil when
// the endpoint answered (or the call failed before reaching it).
func unreachable(err error) *UnreachableError {
	var urlErr *url.Error
	if !errors.As(err, &urlErr) {
		return nil
	}
	var (
		dns     *net.DNSError
		op      *net.OpError
		timeout interface{ Timeout() bool }
		cause   string
	)
	switch {
	case errors.As(err, &dns):
		cause = "cannot resolve the host of"
	case errors.As(err, &op) && op.Op == "dial":
		cause = "cannot connect to"
	case errors.As(err, &timeout) && timeout.Timeout(), errors.Is(err, context.DeadlineExceeded):
		cause = "got no answer from"
	default:
		return nil
	}
	ue := &UnreachableError{Cause: cause, Endpoint: urlErr.URL, Err: urlErr.Err}
	if u, perr := url.Parse(urlErr.URL); perr == nil {
		ue.Endpoint = u.Scheme + "://" + u.Host
	}
	var attempts *retry.MaxAttemptsError
	if errors.As(err, &attempts) {
		ue.Attempts = attempts.Attempt
	}
	return ue
}

// Bound is the longest a call to a silent endpoint takes with retries
// retries and the given timeouts: every attempt waits for the response to
// start, and the SDK's backoff between attempts i and i+1 is at most
// min(2^i s, 20 s).
func Bound(t Timeouts, retries int) time.Duration {
	d := time.Duration(retries+1) * t.ResponseHeader
	for i := 1; i <= retries; i++ {
		d += min(time.Duration(1<<min(i, 5))*time.Second, 20*time.Second)
	}
	return d
}
