package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/securestream/terraform-provider-securestream/internal/diagnostics"
	"github.com/securestream/terraform-provider-securestream/internal/issuance"
)

// functionImportForms are the import ids securestream_function takes, as
// an error about a malformed one lists them.
const functionImportForms = "<name> (the CloudFront Function; key_ring then comes from the configuration), " +
	"<name>,lambda:<issuer function name> (the key ring from the issuer's SECURESTREAM_KEYRING and SECURESTREAM_KMS_KEY_ID), or " +
	"<name>,<kms_key_id>,<function_name>,<ciphertext> (key_ring's three values)"

// cfFunctionNameRE is a CloudFront Function's name, as the schema checks it.
var cfFunctionNameRE = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// ImportState takes the function's name, alone or with where its key ring
// is (functionImportForms): with the ring, the import fills every
// required argument, so that terraform plan -generate-config-out writes a
// configuration that plans no change. With the issuer's name, the issuer's
// token format, which the function must check, is token_format too. The associations are read from the
// distributions (every cache behavior that runs the function on viewer
// requests), in the order ListDistributions gives the distributions, each
// one's default behavior first, then its cache behaviors in order.
func (r *functionResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	id, diags := parseFunctionImportID(req.ID)
	if resp.Diagnostics.Append(diags...); diags.HasError() || notConfigured(r.clients, &resp.Diagnostics) {
		return
	}
	dev, err := r.describeFunction(ctx, id.name)
	if err != nil {
		fix := "The provider's credentials need cloudfront:DescribeFunction."
		if functionGone(err) {
			fix = fmt.Sprintf("No CloudFront Function is named %q: check the name (aws cloudfront list-functions).", id.name)
		}
		resp.Diagnostics.Append(diagnostics.AWSCall("cloudfront:DescribeFunction", err, fix))
		return
	}
	var arn string
	if s := dev.FunctionSummary; s != nil && s.FunctionMetadata != nil {
		arn = aws.ToString(s.FunctionMetadata.FunctionARN)
	}
	assocs, diags := r.associationsOf(ctx, id.name, arn)
	if resp.Diagnostics.Append(diags...); diags.HasError() {
		return
	}
	set := func(p string, v any) { resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root(p), v)...) }
	set("id", id.name)
	set("name", id.name)
	if len(assocs.Elements()) == 0 {
		// A configuration without associations has none (null), not [].
		assocs = types.ListNull(associationType)
	}
	set("association", assocs)
	set("publish", true)
	set("wait_for_deployment", false)
	set("deployment_status", types.StringNull())
	if id.issuer != "" {
		if resp.Diagnostics.Append(r.ringFromIssuer(ctx, &id)...); resp.Diagnostics.HasError() {
			return
		}
		if id.tokenFormat == issuance.FormatCAT {
			// ss1, the default, stays unset, as configurations leave it.
			set("token_format", id.tokenFormat)
		}
	}
	if id.ciphertext == "" { // <name> alone: the configuration has the ring
		return
	}
	doc, diags := decryptRingAt(ctx, r.clients, keyRingPath.AtName("ciphertext"), id.ciphertext, id.function, id.kmsKeyID)
	if resp.Diagnostics.Append(diags...); diags.HasError() {
		return
	}
	// The key ids the code holds without seed_compat (the default), as
	// render lists them, so that the first plan shows no change.
	ids := []attr.Value{}
	for _, k := range doc.Keys {
		if !k.Seed {
			ids = append(ids, types.StringValue(k.ID))
		}
	}
	set("key_ring", keyRingValue(types.StringValue(id.ciphertext), types.StringValue(id.kmsKeyID), types.StringValue(id.function)))
	set("key_ids", types.ListValueMust(types.StringType, ids))
}

// functionImportID is a parsed import id of securestream_function.
type functionImportID struct {
	name, issuer, kmsKeyID, function, ciphertext string
	// tokenFormat is the issuer's SECURESTREAM_TOKEN_FORMAT (the
	// <name>,lambda:<issuer> form only).
	tokenFormat string
}

// parseFunctionImportID reads one of functionImportForms.
func parseFunctionImportID(s string) (functionImportID, diag.Diagnostics) {
	var diags diag.Diagnostics
	parts := strings.SplitN(s, ",", 4)
	bad := func(why string) (functionImportID, diag.Diagnostics) {
		diags.AddError("Unexpected import id", fmt.Sprintf("securestream_function: the import id %q %s. Use %s.", s, why, functionImportForms))
		return functionImportID{}, diags
	}
	if !cfFunctionNameRE.MatchString(parts[0]) {
		return bad("does not start with a CloudFront Function name (1 to 64 of a-z A-Z 0-9 _ -)")
	}
	id := functionImportID{name: parts[0]}
	switch len(parts) {
	case 1:
	case 2:
		issuer, ok := strings.CutPrefix(parts[1], "lambda:")
		if !ok || issuer == "" {
			return bad("has two parts, and the second is not lambda:<issuer function name>")
		}
		id.issuer = issuer
	case 4:
		for _, p := range parts[1:] {
			if p == "" {
				return bad("has an empty part")
			}
		}
		id.kmsKeyID, id.function, id.ciphertext = parts[1], parts[2], parts[3]
	default:
		return bad(fmt.Sprintf("has %d parts", len(parts)))
	}
	return id, diags
}

// ringFromIssuer reads the key ring from the issuer's Lambda function, as
// the securestream_secret import and data source do: SECURESTREAM_KEYRING
// and SECURESTREAM_KMS_KEY_ID, whose key is recorded by its ARN (as the
// securestream_secret's key_ring has it, which configurations pass).
func (r *functionResource) ringFromIssuer(ctx context.Context, id *functionImportID) diag.Diagnostics {
	env, diags := issuerRingEnv(ctx, r.clients, "securestream_function", id.issuer, "<name>,<kms_key_id>,<function_name>,<ciphertext>", envKeyring, envKMSKeyID)
	if diags.HasError() {
		return diags
	}
	key, err := r.clients.KMS.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(env[envKMSKeyID])})
	if err != nil || key.KeyMetadata == nil {
		diags.Append(diagnostics.AWSCall("kms:DescribeKey", err,
			fmt.Sprintf("The import resolves the issuer's %s (%s) to the key's ARN; the provider's credentials need kms:DescribeKey on it.", envKMSKeyID, env[envKMSKeyID])))
		return diags
	}
	id.kmsKeyID, id.function, id.ciphertext = aws.ToString(key.KeyMetadata.Arn), id.issuer, env[envKeyring]
	id.tokenFormat = env[envTokenFormat]
	return diags
}

// associationsOf finds every cache behavior that runs the function (its
// ARN) on viewer requests: ListDistributions, then GetDistributionConfig
// of each distribution whose summary names the function (of each one, when
// the summary lists no behaviors).
func (r *functionResource) associationsOf(ctx context.Context, name, arn string) (types.List, diag.Diagnostics) {
	var diags diag.Diagnostics
	var found []association
	cf := r.clients.CloudFront
	in := &cloudfront.ListDistributionsInput{}
	for {
		out, err := cf.ListDistributions(ctx, in)
		if err != nil {
			diags.Append(diagnostics.AWSCall("cloudfront:ListDistributions", err,
				"The import finds the function's associations in the distributions; the provider's credentials need cloudfront:ListDistributions."))
			return types.ListNull(associationType), diags
		}
		list := out.DistributionList
		if list == nil {
			break
		}
		for _, d := range list.Items {
			if !summaryMayRun(d, arn, name) {
				continue
			}
			id := aws.ToString(d.Id)
			got, err := cf.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: aws.String(id)})
			if isA[*cftypes.NoSuchDistribution](err) {
				continue // deleted since the listing
			}
			if err != nil {
				diags.Append(diagnostics.AWSCall("cloudfront:GetDistributionConfig", err,
					fmt.Sprintf("The import reads the cache behaviors of distribution %s; the provider's credentials need cloudfront:GetDistributionConfig on it.", id)))
				return types.ListNull(associationType), diags
			}
			found = append(found, behaviorsRunning(got.DistributionConfig, id, arn, name)...)
		}
		if !aws.ToBool(list.IsTruncated) || aws.ToString(list.NextMarker) == "" {
			break
		}
		in.Marker = list.NextMarker
	}
	l, d := types.ListValueFrom(ctx, associationType, found)
	diags.Append(d...)
	return l, diags
}

// runs reports whether the associations run the function on viewer
// requests: by its ARN, or by its name when the ARN is not known.
func runs(fns *cftypes.FunctionAssociations, arn, name string) bool {
	if fns == nil {
		return false
	}
	for _, f := range fns.Items {
		if f.EventType == cftypes.EventTypeViewerRequest && (aws.ToString(f.FunctionARN) == arn || (arn == "" && functionIs(f.FunctionARN, name))) {
			return true
		}
	}
	return false
}

// summaryMayRun: the distribution's summary names the function on a
// behavior, or lists no behaviors to tell by.
func summaryMayRun(d cftypes.DistributionSummary, arn, name string) bool {
	if d.DefaultCacheBehavior == nil {
		return true
	}
	if runs(d.DefaultCacheBehavior.FunctionAssociations, arn, name) {
		return true
	}
	if d.CacheBehaviors != nil {
		for _, b := range d.CacheBehaviors.Items {
			if runs(b.FunctionAssociations, arn, name) {
				return true
			}
		}
	}
	return false
}

// behaviorsRunning lists the behaviors of a distribution's configuration
// that run the function on viewer requests, as associations: the default
// behavior (path_pattern unset) first, then the cache behaviors in order.
func behaviorsRunning(cfg *cftypes.DistributionConfig, id, arn, name string) []association {
	var out []association
	add := func(pattern types.String) {
		out = append(out, association{DistributionID: types.StringValue(id), PathPattern: pattern,
			EventType: types.StringValue(viewerRequest), ReplaceExisting: types.BoolValue(false)})
	}
	if cfg == nil {
		return nil
	}
	if cfg.DefaultCacheBehavior != nil && runs(cfg.DefaultCacheBehavior.FunctionAssociations, arn, name) {
		add(types.StringNull())
	}
	if cfg.CacheBehaviors != nil {
		for _, b := range cfg.CacheBehaviors.Items {
			if runs(b.FunctionAssociations, arn, name) {
				add(types.StringPointerValue(b.PathPattern))
			}
		}
	}
	return out
}
