package provider

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// securestream_function's revocation list: the KeyValueStore it names in
// revocation_list is associated with the function in the configuration
// of each stage it writes, and read back from DEVELOPMENT's.

// cfFunctionConfig is the configuration CreateFunction and UpdateFunction
// write: the comment, the runtime, and the store when there is one. An
// update without the store removes its association.
func cfFunctionConfig(comment, store types.String) *cftypes.FunctionConfig {
	cfg := &cftypes.FunctionConfig{Comment: comment.ValueStringPointer(), Runtime: cftypes.FunctionRuntimeCloudfrontJs20}
	if !store.IsNull() && !store.IsUnknown() {
		cfg.KeyValueStoreAssociations = &cftypes.KeyValueStoreAssociations{Quantity: quantity(1),
			Items: []cftypes.KeyValueStoreAssociation{{KeyValueStoreARN: aws.String(store.ValueString())}}}
	}
	return cfg
}

// storeRefused reports whether CloudFront refused a function's
// configuration that associates a store (InvalidArgument): most likely
// the store, which does not exist in the account.
func storeRefused(err error, store types.String) bool {
	return isA[*cftypes.InvalidArgument](err) && !store.IsNull() && !store.IsUnknown()
}

// storeRefusedFix is the fix of a refused association.
const storeRefusedFix = "CloudFront refused the function's configuration with its KeyValueStore association: revocation_list must be " +
	"the ARN of a KeyValueStore of this account that exists (securestream_revocation_list.<name>.arn, or an " +
	"aws_cloudfront_key_value_store's arn). Check the ARN (aws cloudfront list-key-value-stores), then apply again."

// storeOf is the store a function's configuration associates, as
// revocation_list holds it: null when none.
func storeOf(cfg *cftypes.FunctionConfig) types.String {
	if arns := associatedStores(cfg); len(arns) > 0 {
		return types.StringValue(arns[0])
	}
	return types.StringNull()
}

// liveStore is the store the function's LIVE stage associates: unknown
// when it cannot tell (so that it equals no store).
func (r *functionResource) liveStore(ctx context.Context, name string) types.String {
	d, err := r.clients.CloudFront.DescribeFunction(ctx, &cloudfront.DescribeFunctionInput{Name: aws.String(name), Stage: cftypes.FunctionStageLive})
	if err != nil || d.FunctionSummary == nil {
		return types.StringUnknown()
	}
	return storeOf(d.FunctionSummary.FunctionConfig)
}
