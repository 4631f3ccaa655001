// Package diagnostics builds the diagnostics the provider shows, in one
// place, so that each says what failed, which AWS call, and what to do.
// Summaries never name the resource: Terraform prints its address beside
// every diagnostic of a resource, data source or ephemeral resource.
package diagnostics

import (
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
)

// AWSCall is an AWS call that failed: the summary names the call (such as
// "kms:Encrypt"), the detail gives AWS's answer and then what to do, by
// the error's class (Classify): fix when AWS refused the call, and never
// IAM advice for a missing resource, throttling, a server error or a
// deadline. A fix that does not speak of the provider's credentials was
// chosen for this very error, and is said whatever its class (but a
// deadline). Call.Failed says more (the attribute, what is missing).
func AWSCall(call string, err error, fix string) diag.Diagnostic {
	return Call{Action: call, Fix: fix, specific: !iamAdvice.MatchString(fix)}.Failed(err)
}

// AttributeAWSCall is AWSCall for a call that an attribute's value decided
// (such as the key kms_key_id names), shown on that attribute.
func AttributeAWSCall(p path.Path, call string, err error, fix string) diag.Diagnostic {
	return Call{Action: call, Path: p, Fix: fix, specific: !iamAdvice.MatchString(fix)}.Failed(err)
}

// NoAnswer is an AWS call that returned without what it must return: an
// endpoint that is not the AWS service it claims to be.
func NoAnswer(call, missing string) diag.Diagnostic {
	return diag.NewErrorDiagnostic(call+" returned no "+missing,
		fmt.Sprintf("The endpoint answered %s without %s; check that the provider's endpoint for the service is the AWS API or an emulator of it.", call, missing))
}

// NotConfigured is a call before the provider's configuration was known.
func NotConfigured() diag.Diagnostic {
	return diag.NewErrorDiagnostic("The provider is not configured",
		"The securestream provider's configuration is not known yet; make its arguments depend only on values known at plan time.")
}

// UnexpectedProviderData is provider data of the wrong type: a bug.
func UnexpectedProviderData(got any) diag.Diagnostic {
	return diag.NewErrorDiagnostic("Unexpected provider data",
		fmt.Sprintf("Got provider data of type %T; please report this to the provider's developers.", got))
}

// NoRandomness is a failure of the system's random source.
func NoRandomness(err error) diag.Diagnostic {
	return diag.NewErrorDiagnostic("No randomness for a new key", detail(err, "The system's random source failed; apply again."))
}

// Setting is a provider argument's problem, shown on the argument p when
// there is one (p is empty when no single argument is at fault).
func Setting(p path.Path, summary, detail string) diag.Diagnostic {
	if len(p.Steps()) == 0 {
		return diag.NewErrorDiagnostic(summary, detail)
	}
	return diag.NewAttributeErrorDiagnostic(p, summary, detail)
}

func detail(err error, fix string) string {
	return Call{Fix: fix, specific: true}.Detail(err)
}
