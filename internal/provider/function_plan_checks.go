package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/securestream/terraform-provider-securestream/internal/diagnostics"
	"github.com/securestream/terraform-provider-securestream/internal/issuance"
)

// What securestream_function refuses at plan that would otherwise fail at
// apply, after the secret (and the function) were made: every token
// channel off and a path-prefix channel with the CAT format
// (ValidateConfig, which securestream_function_code shares), and an
// association the distribution cannot take (ModifyPlan, which reads the
// distribution's configuration when its id is known).

var (
	_ resource.ResourceWithValidateConfig     = (*functionResource)(nil)
	_ datasource.DataSourceWithValidateConfig = (*functionCodeDataSource)(nil)
)

// ValidateConfig refuses a configuration whose channels no player could
// send a key in.
func (r *functionResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	resp.Diagnostics.Append(validateChannels(ctx, req.Config)...)
}

// ValidateConfig refuses what securestream_function refuses.
func (d *functionCodeDataSource) ValidateConfig(ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	resp.Diagnostics.Append(validateChannels(ctx, req.Config)...)
}

// validateChannels refuses, in the edge function's arguments, every token
// channel off (no player could send a key) and token_path_prefix with
// token_format = "cat". Arguments not known yet are checked at apply.
func validateChannels(ctx context.Context, config tfsdk.Config) diag.Diagnostics {
	var diags diag.Diagnostics
	var ch channelArgs
	var format types.String
	for p, v := range map[string]any{"token_header": &ch.TokenHeader, "token_query": &ch.TokenQuery, "token_cookie": &ch.TokenCookie,
		"token_path_prefix": &ch.TokenPathPrefix, "token_format": &format} {
		diags.Append(config.GetAttribute(ctx, path.Root(p), v)...)
	}
	if diags.HasError() || format.IsUnknown() {
		return diags
	}
	f := format.ValueString()
	if ae := ch.catPathPrefix(f, "token_format"); ae != nil {
		return ae.diags()
	}
	for _, v := range []interface{ IsUnknown() bool }{ch.TokenHeader, ch.TokenQuery, ch.TokenCookie, ch.TokenPathPrefix} {
		if v.IsUnknown() {
			return diags
		}
	}
	if _, err := ch.channels(f).Normalize(); errors.Is(err, issuance.ErrNoChannel) {
		diags.Append(everyChannelOff(f))
	}
	return diags
}

// everyChannelOff is the error of a configuration that switches every
// token channel of the format off.
func everyChannelOff(format string) diag.Diagnostic {
	if format == issuance.FormatCAT {
		return diag.NewAttributeErrorDiagnostic(path.Root("token_header"), "Every token channel is off",
			"Keep at least one of token_header, token_query and token_cookie (a Common Access Token has no path-prefix channel), "+
				"or no player can send a key.")
	}
	return diag.NewAttributeErrorDiagnostic(path.Root("token_header"), "Every token channel is off",
		"Keep at least one of token_header, token_query, token_cookie and token_path_prefix, or no player can send a key.")
}

// checkAssociations refuses at plan the associations that the apply could
// not make: on a distribution that does not exist, on a cache behavior the
// distribution does not have, or on a behavior that runs another function
// on the event without replace_existing. It reads the configuration of
// each distribution that a new association names (cloudfront:
// GetDistributionConfig, which the apply needs too). Associations the
// state holds already are not read again, nor any whose values are not
// known yet, nor any when the provider is not configured yet: the apply
// checks them.
func (r *functionResource) checkAssociations(ctx context.Context, plan, state functionModel, hasState bool) diag.Diagnostics {
	if r.clients == nil || r.clients.CloudFront == nil || plan.Associations.IsUnknown() {
		return nil
	}
	want, diags := associations(ctx, plan.Associations)
	if diags.HasError() {
		return nil
	}
	had := map[string]bool{}
	prev := ""
	if hasState {
		old, _ := associations(ctx, state.Associations)
		for _, a := range old {
			had[a.key()] = true
		}
		if !state.Name.Equal(plan.Name) {
			prev = state.Name.ValueString()
		}
	}
	configs := map[string]*cftypes.DistributionConfig{}
	failed := map[string]bool{}
	for i, a := range want {
		if a.DistributionID.IsUnknown() || a.PathPattern.IsUnknown() || a.EventType.IsUnknown() || a.ReplaceExisting.IsUnknown() ||
			a.DistributionID.IsNull() || (had[a.key()] && prev == "") {
			continue
		}
		at := path.Root("association").AtListIndex(i)
		id := a.DistributionID.ValueString()
		if failed[id] {
			continue
		}
		cfg := configs[id]
		if cfg == nil {
			got, err := r.clients.CloudFront.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: aws.String(id)})
			if err != nil {
				failed[id] = true
				diags.Append(diagnostics.Call{Action: "cloudfront:GetDistributionConfig", Path: at.AtName("distribution_id"),
					Fix: fmt.Sprintf("The provider's credentials need cloudfront:GetDistributionConfig on distribution %s: the plan reads it "+
						"to check the association, as the apply does.", id),
					Missing: missingDistribution(id)}.Failed(err))
				continue
			}
			cfg = got.DistributionConfig
			if cfg == nil {
				continue
			}
			configs[id] = cfg
		}
		if plan.Name.IsUnknown() {
			// Whether a function on the behavior is this one: the apply
			// tells.
			if _, _, err := behaviorOf(cfg, a); err != nil {
				diags.Append(noSuchBehavior(at, a, id, err))
			}
			continue
		}
		// As the apply would: on the configuration read, so that two new
		// associations of one distribution are checked together.
		_, err := attachTo(cfg, plan.Name.ValueString(), prev, "", a)
		var taken behaviorTaken
		switch {
		case errors.As(err, &taken):
			diags.AddAttributeError(at, "The cache behavior runs another function", string(taken))
		case err != nil:
			diags.Append(noSuchBehavior(at, a, id, err))
		}
	}
	return diags
}

// noSuchBehavior is the error of an association whose cache behavior
// distribution id does not have (why says so).
func noSuchBehavior(at path.Path, a association, id string, why error) diag.Diagnostic {
	if !a.PathPattern.IsNull() {
		at = at.AtName("path_pattern")
	}
	// The detail names the attribute: Terraform shows the line of a
	// nested attribute's resource, not the attribute's own.
	return diag.NewAttributeErrorDiagnostic(at, "The distribution has no such cache behavior",
		fmt.Sprintf("Distribution %s cannot run the function: %v. Fix %s, or add the cache behavior to the distribution.", id, why, at))
}
