package provider

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/securestream/terraform-provider-securestream/internal/diagnostics"
)

// This file attaches securestream_function to cache behaviors of
// distributions it does not manage. Every change reads the distribution's
// configuration with its ETag right before updating it (so that nothing
// another tool changed meanwhile is lost), and retries when CloudFront
// says another change won the race (412).

// retries412 bounds the retries of a read-modify-write that lost a race.
const retries412 = 5

// retryOn412 runs f until it does not fail with PreconditionFailed.
func retryOn412(ctx context.Context, f func() error) error {
	var err error
	for i := 0; i <= retries412; i++ {
		if err = f(); err == nil {
			return nil
		}
		var pf *cftypes.PreconditionFailed
		if !errors.As(err, &pf) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(i+1) * 100 * time.Millisecond):
		}
	}
	return fmt.Errorf("%w (gave up after %d retries: another change kept winning the race)", err, retries412)
}

// behaviorTaken is a behavior that runs another function on the event.
type behaviorTaken string

func (b behaviorTaken) Error() string { return string(b) }

// quantity is a list's Quantity field: a behavior has a handful of
// associations, far from int32's range.
func quantity(n int) *int32 {
	return aws.Int32(int32(min(n, math.MaxInt32))) //nolint:gosec // bounded just above
}

func associations(ctx context.Context, l types.List) ([]association, diag.Diagnostics) {
	var out []association
	if l.IsNull() || l.IsUnknown() {
		return nil, nil
	}
	diags := l.ElementsAs(ctx, &out, false)
	return out, diags
}

// functionIs reports whether arn names the function: an ARN ends in
// ":function/<name>".
func functionIs(arn *string, name string) bool {
	return strings.HasSuffix(aws.ToString(arn), ":function/"+name)
}

// behaviorOf returns the function and Lambda@Edge associations of the
// behavior a names in cfg, or an error that says it has no such behavior.
func behaviorOf(cfg *cftypes.DistributionConfig, a association) (**cftypes.FunctionAssociations, **cftypes.LambdaFunctionAssociations, error) {
	if a.PathPattern.IsNull() {
		if cfg.DefaultCacheBehavior == nil {
			return nil, nil, errors.New("it has no default cache behavior")
		}
		return &cfg.DefaultCacheBehavior.FunctionAssociations, &cfg.DefaultCacheBehavior.LambdaFunctionAssociations, nil
	}
	if cfg.CacheBehaviors != nil {
		for i := range cfg.CacheBehaviors.Items {
			b := &cfg.CacheBehaviors.Items[i]
			if aws.ToString(b.PathPattern) == a.PathPattern.ValueString() {
				return &b.FunctionAssociations, &b.LambdaFunctionAssociations, nil
			}
		}
	}
	return nil, nil, fmt.Errorf("it has no cache behavior with the path pattern %q", a.PathPattern.ValueString())
}

// changeDistribution reads a distribution's configuration, lets change
// edit it (changed=false: nothing to write), and writes it with the ETag
// it read, again from the start when another change won the race.
func (r *functionResource) changeDistribution(ctx context.Context, id string, change func(*cftypes.DistributionConfig) (bool, error)) error {
	cf := r.clients.CloudFront
	return retryOn412(ctx, func() error {
		got, err := cf.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: aws.String(id)})
		if err != nil {
			return err
		}
		changed, err := change(got.DistributionConfig)
		if err != nil || !changed {
			return err
		}
		_, err = cf.UpdateDistribution(ctx, &cloudfront.UpdateDistributionInput{Id: aws.String(id), IfMatch: got.ETag, DistributionConfig: got.DistributionConfig})
		return err
	})
}

// attach puts the function on a's behavior. Another function, or a
// Lambda@Edge function on the same event, is replaced only when a says so.
func (r *functionResource) attach(ctx context.Context, name, arn string, a association) error {
	event := cftypes.EventType(a.EventType.ValueString())
	return r.changeDistribution(ctx, a.DistributionID.ValueString(), func(cfg *cftypes.DistributionConfig) (bool, error) {
		fns, lambdas, err := behaviorOf(cfg, a)
		if err != nil {
			return false, err
		}
		var kept []cftypes.FunctionAssociation
		if *fns != nil {
			for _, f := range (*fns).Items {
				switch {
				case f.EventType != event:
					kept = append(kept, f)
				case functionIs(f.FunctionARN, name):
					return false, nil // attached already
				case !a.ReplaceExisting.ValueBool():
					return false, behaviorTaken(fmt.Sprintf("%s runs the CloudFront Function %s on %s already; set replace_existing = true to replace it",
						a.behavior(), aws.ToString(f.FunctionARN), event))
				}
			}
		}
		if *lambdas != nil {
			var keptL []cftypes.LambdaFunctionAssociation
			for _, l := range (*lambdas).Items {
				if l.EventType != event {
					keptL = append(keptL, l)
					continue
				}
				if !a.ReplaceExisting.ValueBool() {
					return false, behaviorTaken(fmt.Sprintf("%s runs the Lambda@Edge function %s on %s already; set replace_existing = true to replace it",
						a.behavior(), aws.ToString(l.LambdaFunctionARN), event))
				}
			}
			*lambdas = &cftypes.LambdaFunctionAssociations{Quantity: quantity(len(keptL)), Items: keptL}
		}
		kept = append(kept, cftypes.FunctionAssociation{EventType: event, FunctionARN: aws.String(arn)})
		*fns = &cftypes.FunctionAssociations{Quantity: quantity(len(kept)), Items: kept}
		return true, nil
	})
}

// detach takes the function off a's behavior; a distribution or behavior
// that is gone has nothing to detach.
func (r *functionResource) detach(ctx context.Context, name string, a association) error {
	err := r.changeDistribution(ctx, a.DistributionID.ValueString(), func(cfg *cftypes.DistributionConfig) (bool, error) {
		fns, _, err := behaviorOf(cfg, a)
		if err != nil || *fns == nil {
			return false, nil //nolint:nilerr // the behavior is gone: nothing to detach
		}
		var kept []cftypes.FunctionAssociation
		for _, f := range (*fns).Items {
			if !functionIs(f.FunctionARN, name) {
				kept = append(kept, f)
			}
		}
		if len(kept) == len((*fns).Items) {
			return false, nil
		}
		*fns = &cftypes.FunctionAssociations{Quantity: quantity(len(kept)), Items: kept}
		return true, nil
	})
	var gone *cftypes.NoSuchDistribution
	if errors.As(err, &gone) {
		return nil
	}
	return err
}

// attachAll brings the associations from state's to plan's: detaches those
// that left, attaches the others (again, if one was removed out of band),
// then waits for the distributions if asked.
func (r *functionResource) attachAll(ctx context.Context, plan, state *functionModel) diag.Diagnostics {
	want, diags := associations(ctx, plan.Associations)
	if diags.HasError() {
		return diags
	}
	name := plan.Name.ValueString()
	if state != nil {
		had, d := associations(ctx, state.Associations)
		if diags.Append(d...); d.HasError() {
			return diags
		}
		still := map[string]bool{}
		for _, a := range want {
			still[a.key()] = true
		}
		for _, a := range had {
			if !still[a.key()] {
				if err := r.detach(ctx, name, a); err != nil {
					diags.Append(distributionError("detach", a, err))
				}
			}
		}
	}
	if len(want) > 0 && (plan.ARN.IsNull() || plan.ARN.IsUnknown()) {
		if diags.Append(r.refresh(ctx, plan)...); diags.HasError() {
			return diags
		}
	}
	for i, a := range want {
		err := r.attach(ctx, name, plan.ARN.ValueString(), a)
		var taken behaviorTaken
		switch {
		case errors.As(err, &taken):
			diags.AddAttributeError(path.Root("association").AtListIndex(i), "The cache behavior runs another function", string(taken))
		case err != nil:
			d := distributionError("attach", a, err)
			diags.AddAttributeError(path.Root("association").AtListIndex(i), d.Summary(), d.Detail())
		}
	}
	if !diags.HasError() && plan.WaitForDeployment.ValueBool() {
		for i, a := range want {
			if err := r.waitDeployed(ctx, a.DistributionID.ValueString()); err != nil {
				diags.AddAttributeError(path.Root("association").AtListIndex(i), "The distribution did not deploy in time",
					fmt.Sprintf("Distribution %s is not Deployed yet (%v). Raise the timeouts, or set wait_for_deployment = false.", a.DistributionID.ValueString(), err))
			}
		}
	}
	return diags
}

func distributionError(what string, a association, err error) diag.Diagnostic {
	return diagnostics.AWSCall("cloudfront:UpdateDistribution", err, fmt.Sprintf("Could not %s the function on %s. The provider's credentials "+
		"need cloudfront:GetDistributionConfig and cloudfront:UpdateDistribution on it.", what, a.behavior()))
}

// detachAll takes the function off every behavior the state lists.
func (r *functionResource) detachAll(ctx context.Context, state *functionModel) diag.Diagnostics {
	had, diags := associations(ctx, state.Associations)
	for _, a := range had {
		if err := r.detach(ctx, state.Name.ValueString(), a); err != nil {
			diags.Append(distributionError("detach", a, err))
		}
	}
	return diags
}

// attached returns the state's associations that are still in place.
func (r *functionResource) attached(ctx context.Context, state *functionModel) (types.List, diag.Diagnostics) {
	had, diags := associations(ctx, state.Associations)
	if diags.HasError() || len(had) == 0 {
		return state.Associations, diags
	}
	var kept []association
	for _, a := range had {
		got, err := r.clients.CloudFront.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: a.DistributionID.ValueStringPointer()})
		var gone *cftypes.NoSuchDistribution
		switch {
		case errors.As(err, &gone):
			continue
		case err != nil:
			diags.Append(diagnostics.AWSCall("cloudfront:GetDistributionConfig", err, "The provider's credentials need cloudfront:GetDistributionConfig."))
			return state.Associations, diags
		}
		fns, _, err := behaviorOf(got.DistributionConfig, a)
		if err != nil || *fns == nil {
			continue
		}
		for _, f := range (*fns).Items {
			if string(f.EventType) == a.EventType.ValueString() && functionIs(f.FunctionARN, state.Name.ValueString()) {
				kept = append(kept, a)
				break
			}
		}
	}
	l, d := types.ListValueFrom(ctx, associationType, kept)
	diags.Append(d...)
	return l, diags
}

// waitDeployed polls a distribution until it is Deployed or ctx ends.
func (r *functionResource) waitDeployed(ctx context.Context, id string) error {
	for {
		got, err := r.clients.CloudFront.GetDistribution(ctx, &cloudfront.GetDistributionInput{Id: aws.String(id)})
		if err != nil {
			return err
		}
		if got.Distribution != nil && aws.ToString(got.Distribution.Status) == "Deployed" {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(r.pollEvery):
		}
	}
}
