package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/securestream/terraform-provider-securestream/internal/diagnostics"
)

// The destroy of a revocation list: CloudFront refuses to delete a
// KeyValueStore that a function associates (CannotDeleteEntityWhileInUse),
// and says neither which function nor what to do. The delete looks for the
// functions first, so that the refusal names them; the answer of
// CloudFront is translated the same way should it come anyway.

// storeUsers lists the CloudFront Functions whose DEVELOPMENT or LIVE
// stage associates the store arn (KeyValueStoreAssociations), sorted, each
// once.
func storeUsers(ctx context.Context, cf *cloudfront.Client, arn string) ([]string, error) {
	var names []string
	in := &cloudfront.ListFunctionsInput{}
	for {
		out, err := cf.ListFunctions(ctx, in)
		if err != nil {
			return nil, err
		}
		list := out.FunctionList
		if list == nil {
			break
		}
		for _, f := range list.Items {
			if associates(f.FunctionConfig, arn) && !slices.Contains(names, aws.ToString(f.Name)) {
				names = append(names, aws.ToString(f.Name))
			}
		}
		if aws.ToString(list.NextMarker) == "" {
			break
		}
		in.Marker = list.NextMarker
	}
	slices.Sort(names)
	return names, nil
}

// associates reports whether a function's configuration associates the
// store arn.
func associates(cfg *cftypes.FunctionConfig, arn string) bool {
	return slices.Contains(associatedStores(cfg), arn)
}

// associatedStores are the ARNs of the stores a function's configuration
// associates (CloudFront allows one).
func associatedStores(cfg *cftypes.FunctionConfig) []string {
	var arns []string
	if cfg == nil || cfg.KeyValueStoreAssociations == nil {
		return nil
	}
	for _, a := range cfg.KeyValueStoreAssociations.Items {
		arns = append(arns, aws.ToString(a.KeyValueStoreARN))
	}
	return arns
}

// storeInUse is the diagnostic of a destroy refused because the functions
// users associate the store.
func storeInUse(name, arn string, users []string, cause error) diag.Diagnostic {
	fns, verb, them := "CloudFront Function "+users[0], "associates", "it"
	if len(users) > 1 {
		fns, verb, them = "CloudFront Functions "+strings.Join(users, ", "), "associate", "them"
	}
	said := ""
	if cause != nil {
		said = fmt.Sprintf(" CloudFront answered: %v.", cause)
	}
	return diag.NewErrorDiagnostic("The revocation list is in use",
		fmt.Sprintf("securestream_revocation_list %s (%s) cannot be deleted (cloudfront:DeleteKeyValueStore): the %s still "+
			"%s it (KeyValueStoreAssociations), and CloudFront refuses to delete a KeyValueStore a function uses.%s\n\n"+
			"Remove revocation_list from the securestream_function (or the store from key_value_store_associations of the "+
			"aws_cloudfront_function) that manages %s, or delete %s, apply, then destroy again. If this very apply "+
			"removes revocation_list too, Terraform deleted the list first: give the list lifecycle { create_before_destroy = true } "+
			"(it then updates the functions first), or apply the functions' change alone first (terraform apply -target=...). The "+
			"store and its revocations are unchanged.", name, arn, fns, verb, said, strings.Join(users, ", "), them))
}

// deleteStore deletes the store name (whose ARN is arn) with its current
// ETag, unless a function associates it. A store already gone is deleted.
func (r *revocationListResource) deleteStore(ctx context.Context, name, arn string) diag.Diagnostics {
	var diags diag.Diagnostics
	cf := r.clients.CloudFront
	users, listErr := storeUsers(ctx, cf, arn)
	if len(users) > 0 {
		diags.Append(storeInUse(name, arn, users, nil))
		return diags
	}
	// No function associates the store, as far as ListFunctions tells (or
	// it could not tell: CloudFront's own answer decides): an in-use
	// answer is a removal still reaching CloudFront, and passes.
	var inUseBy []string
	inUse := func(err error) bool {
		if !isA[*cftypes.CannotDeleteEntityWhileInUse](err) {
			return false
		}
		inUseBy, _ = storeUsers(ctx, cf, arn)
		return len(inUseBy) == 0 && listErr == nil
	}
	err := r.inUseRetry.retry(ctx, inUse, func() error {
		return r.raceRetry.retry(ctx, isA[*cftypes.PreconditionFailed], func() error {
			d, err := r.describeStore(ctx, name)
			if err != nil {
				return err
			}
			_, err = cf.DeleteKeyValueStore(ctx, &cloudfront.DeleteKeyValueStoreInput{Name: aws.String(name), IfMatch: d.ETag})
			return err
		})
	})
	switch {
	case err == nil || storeGone(err):
	case isA[*cftypes.CannotDeleteEntityWhileInUse](err) && len(inUseBy) > 0:
		diags.Append(storeInUse(name, arn, inUseBy, err))
	case isA[*cftypes.CannotDeleteEntityWhileInUse](err):
		fix := "CloudFront still counts a function that associated the store, and cloudfront:ListFunctions named none: a removal may " +
			"take a few minutes to reach CloudFront. Destroy again later, or raise timeouts.delete."
		if listErr != nil {
			fix = fmt.Sprintf("A CloudFront Function associates the store (KeyValueStoreAssociations), and cloudfront:ListFunctions could not name "+
				"it (%v): find it with aws cloudfront list-functions, remove the store from it (revocation_list of the securestream_function), "+
				"apply, then destroy again. The provider's credentials need cloudfront:ListFunctions to name it.", listErr)
		}
		diags.Append(diagnostics.AWSCall("cloudfront:DeleteKeyValueStore", err, fix))
	default:
		diags.Append(diagnostics.Call{Action: "cloudfront:DeleteKeyValueStore", Fix: "The provider's credentials need cloudfront:DescribeKeyValueStore " +
			"and cloudfront:DeleteKeyValueStore.", After: "The store and its revocations are unchanged."}.Failed(err))
	}
	return diags
}
