package provider

import (
	"errors"

	"github.com/aws/smithy-go"
	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/securestream/terraform-provider-securestream/internal/diagnostics"
)

// isA reports whether err is, or wraps, an error of type T: an AWS API
// error such as *kmstypes.NotFoundException. Each service names "not
// found" its own way, so a caller names the type it means.
func isA[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

// hasCode reports whether err is an AWS API error with the code: for an
// answer the SDK has no type for in the operation that met it (such as
// NoSuchFunctionExists from UpdateDistribution).
func hasCode(err error, code string) bool {
	var api smithy.APIError
	return errors.As(err, &api) && api.ErrorCode() == code
}

// awsFailed reports whether an AWS call failed, appending its diagnostic
// (diagnostics.AWSCall: the action, the error, the fix) when it did.
func awsFailed(diags *diag.Diagnostics, err error, action, fix string) bool {
	if err == nil {
		return false
	}
	diags.Append(diagnostics.AWSCall(action, err, fix))
	return true
}
