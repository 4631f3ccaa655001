package provider

import (
	"errors"

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

// awsFailed reports whether an AWS call failed, appending its diagnostic
// (diagnostics.AWSCall: the action, the error, the fix) when it did.
func awsFailed(diags *diag.Diagnostics, err error, action, fix string) bool {
	if err == nil {
		return false
	}
	diags.Append(diagnostics.AWSCall(action, err, fix))
	return true
}
