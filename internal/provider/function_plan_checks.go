package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"

	"github.com/securestream/terraform-provider-securestream/internal/diagnostics"
	"github.com/securestream/terraform-provider-securestream/internal/issuance"
)

// What securestream_function refuses at plan that would otherwise fail at
// apply, after the secret (and the function) were made: every token
// channel off (ValidateConfig), and an association the distribution cannot
// take (ModifyPlan, which reads the distribution's configuration when its
// id is known).

var _ resource.ResourceWithValidateConfig = (*functionResource)(nil)

// ValidateConfig refuses a configuration with every token channel off: no
// player could send a key. Channels not known yet are checked at apply.
func (r *functionResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var ch channelArgs
	for p, v := range map[string]any{"token_header": &ch.TokenHeader, "token_query": &ch.TokenQuery, "token_cookie": &ch.TokenCookie,
		"token_path_prefix": &ch.TokenPathPrefix} {
		resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root(p), v)...)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	for _, v := range []interface{ IsUnknown() bool }{ch.TokenHeader, ch.TokenQuery, ch.TokenCookie, ch.TokenPathPrefix} {
		if v.IsUnknown() {
			return
		}
	}
	if _, err := ch.channels().Normalize(); errors.Is(err, issuance.ErrNoChannel) {
		resp.Diagnostics.Append(everyChannelOff())
	}
}

// everyChannelOff is the error of a configuration that switches every
// token channel off.
func everyChannelOff() diag.Diagnostic {
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
