package diagnostics

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/securestream/terraform-provider-securestream/internal/awsclients"
)

// sdkError wraps an API error as the SDK returns it: in the HTTP response
// error with its status, after attempts (0: no MaxAttemptsError), in the
// operation error naming the service and operation.
func sdkError(service, op string, status, attempts int, api error) error {
	var err error = &awshttp.ResponseError{RequestID: "req-1", ResponseError: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: api}}
	if attempts > 0 {
		err = &retry.MaxAttemptsError{Attempt: attempts, Err: err}
	}
	return &smithy.OperationError{ServiceID: service, OperationName: op, Err: err}
}

const iamHint = "credentials need"

// Issue 20, item 1: each class of error gets its own advice, and the IAM
// hint only where a permission can be the cause.
func TestClassify(t *testing.T) {
	dist := path.Root("association").AtListIndex(0).AtName("distribution_id")
	getConfig := Call{Action: "cloudfront:UpdateDistribution", Path: dist,
		Fix:     "The provider's credentials need cloudfront:GetDistributionConfig and cloudfront:UpdateDistribution.",
		Missing: "Distribution E1 does not exist", After: "The associations are unchanged."}
	for _, tc := range []struct {
		name     string
		call     Call
		err      error
		kind     Kind
		summary  string
		want     []string
		wantNot  []string
		withPath bool
	}{
		{name: "access denied", call: getConfig, kind: AccessDenied, summary: "cloudfront:UpdateDistribution failed", withPath: true,
			err:  sdkError("CloudFront", "UpdateDistribution", 403, 0, &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized"}),
			want: []string{"not authorized", iamHint, "cloudfront:GetDistributionConfig and cloudfront:UpdateDistribution", "The associations are unchanged."}},
		{name: "access denied, KMS", call: Call{Action: "kms:Encrypt", Fix: "The provider's credentials need kms:Encrypt."}, kind: AccessDenied,
			summary: "kms:Encrypt failed", err: sdkError("KMS", "Encrypt", 400, 0, &smithy.GenericAPIError{Code: "AccessDeniedException"}),
			want: []string{iamHint + " kms:Encrypt"}},
		{name: "not found, in the read of a read-modify-write", call: getConfig, kind: NotFound, summary: "cloudfront:GetDistributionConfig failed",
			withPath: true, err: sdkError("CloudFront", "GetDistributionConfig", 404, 0, &cftypes.NoSuchDistribution{Message: aws.String("The specified distribution does not exist.")}),
			want:    []string{"NoSuchDistribution", "Distribution E1 does not exist", "association[0].distribution_id names it", "The associations are unchanged."},
			wantNot: []string{iamHint, "retried"}},
		{name: "not found, no attribute, no text", call: Call{Action: "iam:GetRole", Fix: "The provider's credentials need iam:GetRole."}, kind: NotFound,
			summary: "iam:GetRole failed", err: sdkError("IAM", "GetRole", 404, 0, &smithy.GenericAPIError{Code: "NoSuchEntity", Message: "role x"}),
			want: []string{"does not exist (NoSuchEntity)", "deleted outside Terraform"}, wantNot: []string{iamHint}},
		{name: "not found, KMS", call: Call{Action: "kms:DescribeKey", Fix: "The provider's credentials need kms:DescribeKey."}, kind: NotFound,
			summary: "kms:DescribeKey failed", err: sdkError("KMS", "DescribeKey", 400, 0, &kmstypes.NotFoundException{Message: aws.String("Key does not exist")}),
			want: []string{"does not exist (NotFoundException)"}, wantNot: []string{iamHint}},
		{name: "throttled", call: getConfig, kind: Throttled, summary: "cloudfront:UpdateDistribution failed", withPath: true,
			err:     sdkError("CloudFront", "UpdateDistribution", 400, 3, &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"}),
			want:    []string{"made 3 times", "kept throttling it (Throttling (HTTP 400))", "max_retries", "The associations are unchanged."},
			wantNot: []string{iamHint}},
		{name: "too many requests", call: Call{Action: "lambda:GetFunction", Fix: "The provider's credentials need lambda:GetFunction."}, kind: Throttled,
			summary: "lambda:GetFunction failed", err: sdkError("Lambda", "GetFunction", 429, 4, &smithy.GenericAPIError{Code: "TooManyRequestsException"}),
			want: []string{"made 4 times", "throttling"}, wantNot: []string{iamHint}},
		{name: "a quota is no throttle", call: Call{Action: "kms:CreateGrant", Fix: "The provider's credentials need kms:CreateGrant."}, kind: Other,
			summary: "kms:CreateGrant failed", err: sdkError("KMS", "CreateGrant", 400, 0, &smithy.GenericAPIError{Code: "LimitExceededException"}),
			want: []string{iamHint}},
		{name: "server error", call: Call{Action: "cloudfront:CreateFunction", Fix: "The provider's credentials need cloudfront:CreateFunction."},
			kind: ServiceFailed, summary: "cloudfront:CreateFunction failed",
			err:  sdkError("CloudFront", "CreateFunction", 503, 3, &smithy.GenericAPIError{Code: "ServiceUnavailable", Message: "busy"}),
			want: []string{"busy", "made 3 times", "then the service failed (ServiceUnavailable (HTTP 503))"}, wantNot: []string{iamHint}},
		{name: "500 without a code", call: Call{Action: "kms:ListGrants", Fix: "The provider's credentials need kms:ListGrants."},
			kind: ServiceFailed, summary: "kms:ListGrants failed", err: sdkError("KMS", "ListGrants", 500, 0, errors.New("internal")),
			want: []string{"the service failed", "HTTP 500"}, wantNot: []string{iamHint}},
		{name: "deadline", call: getConfig, kind: Deadline, summary: "cloudfront:UpdateDistribution failed", withPath: true,
			err:     &smithy.OperationError{ServiceID: "CloudFront", OperationName: "UpdateDistribution", Err: &smithy.CanceledError{Err: context.DeadlineExceeded}},
			want:    []string{"context deadline exceeded", "time ran out", "timeouts.create, update, delete or read", "The associations are unchanged."},
			wantNot: []string{iamHint}},
		{name: "deadline while the SDK waited to retry", call: Call{Action: "kms:Decrypt", Fix: "The provider's credentials need kms:Decrypt."},
			kind: Deadline, summary: "kms:Decrypt failed", err: &smithy.OperationError{ServiceID: "KMS", OperationName: "Decrypt",
				Err: &aws.RequestCanceledError{Err: fmt.Errorf("sleep: %w", context.DeadlineExceeded)}},
			want: []string{"timeouts."}, wantNot: []string{iamHint}},
		{name: "bad credentials", call: Call{Action: "kms:Encrypt", Fix: "The provider's credentials need kms:Encrypt."}, kind: BadCredentials,
			summary: "kms:Encrypt failed", err: sdkError("KMS", "Encrypt", 400, 0, &smithy.GenericAPIError{Code: "UnrecognizedClientException"}),
			want: []string{"does not accept the provider's credentials", "aws sso login"}, wantNot: []string{iamHint}},
		{name: "unreachable", call: Call{Action: "kms:Encrypt", Fix: "The provider's credentials need kms:Encrypt."}, kind: Unreachable,
			summary: "kms:Encrypt failed", err: &awsclients.UnreachableError{Call: "kms:Encrypt", Cause: "cannot connect to", Endpoint: "http://127.0.0.1:1",
				Err: &url.Error{Op: "Post", URL: "http://127.0.0.1:1", Err: errors.New("connection refused")}},
			want: []string{"cannot connect to http://127.0.0.1:1", "Check that the endpoint is right"}, wantNot: []string{iamHint}},
		{name: "another answer keeps the fix", call: Call{Action: "cloudfront:CreateFunction", Fix: "The provider's credentials need cloudfront:CreateFunction."},
			kind: Other, summary: "cloudfront:CreateFunction failed",
			err:  sdkError("CloudFront", "CreateFunction", 400, 0, &cftypes.InvalidArgument{Message: aws.String("bad comment")}),
			want: []string{"bad comment", iamHint}},
		{name: "another service's operation is not renamed", call: Call{Action: "cloudfront:UpdateDistribution"}, kind: ServiceFailed,
			summary: "cloudfront:UpdateDistribution failed", err: sdkError("KMS", "Decrypt", 500, 0, errors.New("x")), want: []string{"HTTP 500"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Classify(tc.err); got != tc.kind {
				t.Errorf("Classify = %d, want %d", got, tc.kind)
			}
			d := tc.call.Failed(tc.err)
			if d.Severity() != diag.SeverityError || d.Summary() != tc.summary {
				t.Errorf("summary %q (severity %v), want %q", d.Summary(), d.Severity(), tc.summary)
			}
			for _, w := range tc.want {
				if !strings.Contains(d.Detail(), w) {
					t.Errorf("the detail does not say %q:\n%s", w, d.Detail())
				}
			}
			for _, w := range tc.wantNot {
				if strings.Contains(d.Detail(), w) {
					t.Errorf("the detail says %q:\n%s", w, d.Detail())
				}
			}
			p, ok := d.(diag.DiagnosticWithPath)
			if tc.withPath != ok || (ok && !p.Path().Equal(tc.call.Path)) {
				t.Errorf("path %v (%v), want one: %v", p, ok, tc.withPath)
			}
		})
	}
}

// AWSCall's fix is IAM advice when it speaks of the credentials: dropped
// for what a permission cannot cause. A fix chosen for the very error
// (no credentials in it) is kept.
func TestAWSCallLegacyFix(t *testing.T) {
	throttled := sdkError("KMS", "Decrypt", 400, 3, &smithy.GenericAPIError{Code: "ThrottlingException"})
	if d := AWSCall("kms:Decrypt", throttled, "The provider's credentials need kms:Decrypt."); strings.Contains(d.Detail(), iamHint) ||
		!strings.Contains(d.Detail(), "throttling") {
		t.Errorf("throttled: %s", d.Detail())
	}
	gone := sdkError("KMS", "Decrypt", 400, 0, &kmstypes.NotFoundException{Message: aws.String("gone")})
	if d := AWSCall("kms:Decrypt of the key ring", gone, "The KMS key k does not exist: refresh."); !strings.HasSuffix(d.Detail(), "The KMS key k does not exist: refresh.") ||
		d.Summary() != "kms:Decrypt of the key ring failed" {
		t.Errorf("specific fix: %s: %s", d.Summary(), d.Detail())
	}
	denied := sdkError("KMS", "Decrypt", 400, 0, &smithy.GenericAPIError{Code: "AccessDeniedException"})
	if d := AttributeAWSCall(path.Root("kms_key_id"), "kms:Decrypt", denied, "The provider's credentials need kms:Decrypt."); !strings.Contains(d.Detail(), iamHint) {
		t.Errorf("denied: %s", d.Detail())
	}
}

// A call that ran out of time names the operation's timeout once the
// resource says which; equal diagnostics stay one.
func TestNameTimeout(t *testing.T) {
	late := func(op string) error {
		return &smithy.OperationError{ServiceID: "CloudFront", OperationName: op, Err: &smithy.CanceledError{Err: context.DeadlineExceeded}}
	}
	var diags diag.Diagnostics
	diags.Append(Call{Action: "cloudfront:PublishFunction", Path: path.Root("publish")}.Failed(late("PublishFunction")))
	diags.Append(AWSCall("cloudfront:DescribeFunction", late("DescribeFunction"), "The provider's credentials need cloudfront:DescribeFunction."))
	diags.Append(AWSCall("cloudfront:DescribeFunction", late("DescribeFunction"), "The provider's credentials need cloudfront:DescribeFunction."))
	diags.AddError("other", "x")
	if len(diags) != 3 {
		t.Fatalf("%d diagnostics, want 3 (one repeated)", len(diags))
	}
	if !NameTimeout(diags, "update") {
		t.Fatal("NameTimeout found no deadline")
	}
	for _, d := range diags[:2] {
		if !strings.Contains(d.Detail(), "raise timeouts.update in the resource's timeouts argument (timeouts = { update = \"20m\" })") || strings.Contains(d.Detail(), iamHint) {
			t.Errorf("%s: %s", d.Summary(), d.Detail())
		}
	}
	if p, ok := diags[0].(diag.DiagnosticWithPath); !ok || !p.Path().Equal(path.Root("publish")) {
		t.Errorf("the attribute's diagnostic lost its path")
	}
	if _, ok := diags[1].(diag.DiagnosticWithPath); ok {
		t.Errorf("a diagnostic without an attribute has a path")
	}
	if NameTimeout(diags[2:], "update") {
		t.Error("NameTimeout found a deadline in another error")
	}
}
