package provider

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/securestream/terraform-provider-securestream/internal/diagnostics"
)

// This file attaches securestream_function to cache behaviors of
// distributions it does not manage. Every change reads the distribution's
// configuration with its ETag right before updating it (so that nothing
// another tool changed meanwhile is lost), and retries when CloudFront
// says another change won the race (412).

// retryOn412 runs f until it does not fail with PreconditionFailed, as
// r.raceRetry allows.
func (r *functionResource) retryOn412(ctx context.Context, f func() error) error {
	err := r.raceRetry.retry(ctx, isA[*cftypes.PreconditionFailed], f)
	if isA[*cftypes.PreconditionFailed](err) && ctx.Err() == nil {
		return fmt.Errorf("%w (gave up after %d retries: another change kept winning the race)", err, r.raceRetry.calls-1)
	}
	return err
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
	return r.retryOn412(ctx, func() error {
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

// attachTo puts the function on a's behavior in cfg; changed is false when
// it is there already. Another function, or a Lambda@Edge function on the
// same event, is replaced only when a says so; the function of the
// resource's previous name (prev, "" if none) always is, in the same
// write, so that the behavior is never without one.
func attachTo(cfg *cftypes.DistributionConfig, name, prev, arn string, a association) (changed bool, err error) {
	event := cftypes.EventType(a.EventType.ValueString())
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
			case prev != "" && functionIs(f.FunctionARN, prev):
				// swapped below
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
}

// detachFrom takes the function off a's behavior in cfg and reports
// whether it was there; a behavior that is gone has nothing to detach.
func detachFrom(cfg *cftypes.DistributionConfig, name string, a association) bool {
	fns, _, err := behaviorOf(cfg, a)
	if err != nil || *fns == nil {
		return false
	}
	var kept []cftypes.FunctionAssociation
	for _, f := range (*fns).Items {
		if !functionIs(f.FunctionARN, name) {
			kept = append(kept, f)
		}
	}
	if len(kept) == len((*fns).Items) {
		return false
	}
	*fns = &cftypes.FunctionAssociations{Quantity: quantity(len(kept)), Items: kept}
	return true
}

// distChange is one write of a distribution: the associations to attach
// (their indexes in the plan's list) and those to detach. Each
// distribution is written once, so that all its behaviors change together
// or none does: a failed apply never leaves it half attached.
type distChange struct {
	id     string
	attach []int
	detach []association
}

// changesByDistribution groups the associations to attach and to detach
// by distribution, in the order the distributions first appear.
func changesByDistribution(attach, detach []association) []*distChange {
	var out []*distChange
	byID := map[string]*distChange{}
	get := func(id string) *distChange {
		c := byID[id]
		if c == nil {
			c = &distChange{id: id}
			byID[id] = c
			out = append(out, c)
		}
		return c
	}
	for i, a := range attach {
		c := get(a.DistributionID.ValueString())
		c.attach = append(c.attach, i)
	}
	for _, a := range detach {
		c := get(a.DistributionID.ValueString())
		c.detach = append(c.detach, a)
	}
	return out
}

// atAssociation is an error about the association at an index of the
// plan's list.
type atAssociation struct {
	index int
	err   error
}

func (e atAssociation) Error() string { return e.err.Error() }

// apply writes one distribution's change. want is the plan's list; prev
// the resource's previous function name when it changes ("" otherwise),
// which the change detaches and replaces.
func (r *functionResource) apply(ctx context.Context, name, prev, arn string, want []association, c *distChange) diag.Diagnostics {
	var diags diag.Diagnostics
	had := name
	if prev != "" {
		had = prev
	}
	err := r.changeDistribution(ctx, c.id, func(cfg *cftypes.DistributionConfig) (bool, error) {
		changed := false
		for _, a := range c.detach {
			changed = detachFrom(cfg, had, a) || changed
		}
		for _, i := range c.attach {
			ch, err := attachTo(cfg, name, prev, arn, want[i])
			if err != nil {
				return false, atAssociation{i, err}
			}
			changed = ch || changed
		}
		return changed, nil
	})
	var at atAssociation
	var taken behaviorTaken
	switch {
	case err == nil:
	case errors.As(err, &at) && errors.As(at.err, &taken):
		diags.AddAttributeError(path.Root("association").AtListIndex(at.index), "The cache behavior runs another function", string(taken))
	case errors.As(err, &at):
		diags.Append(noSuchBehavior(path.Root("association").AtListIndex(at.index), want[at.index], c.id, at.err))
	case isA[*cftypes.NoSuchDistribution](err) && len(c.attach) == 0:
		// A distribution that is gone has nothing to detach.
	default:
		call := distributionCall(c.id, path.Empty())
		if len(c.attach) > 0 {
			call.Path = path.Root("association").AtListIndex(c.attach[0]).AtName("distribution_id")
		}
		if hasCode(err, "NoSuchFunctionExists") {
			// The distribution is there; the function it is to run is not.
			call.Path = call.Path.ParentPath()
			call.Missing = fmt.Sprintf("The distribution cannot run the CloudFront Function %s: it does not exist, or has never been published "+
				"(a distribution runs the LIVE stage). The next plan creates the function again if it was deleted; with publish = false, publish "+
				"it (aws cloudfront publish-function) or set publish = true.", name)
		}
		diags.Append(call.Failed(err))
	}
	return diags
}

// attachAll brings the associations from state's to plan's: on each
// distribution, in one write, detaches those that left and attaches the
// others (again, if one was removed out of band). When the name changes,
// the same write swaps the new function for the old one. The wait for
// deployment is the caller's (finish).
func (r *functionResource) attachAll(ctx context.Context, plan, state *functionModel) diag.Diagnostics {
	want, diags := associations(ctx, plan.Associations)
	if diags.HasError() {
		return diags
	}
	name, prev := plan.Name.ValueString(), ""
	var left []association
	if state != nil && !state.Name.Equal(plan.Name) {
		prev = state.Name.ValueString()
	}
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
				left = append(left, a)
			}
		}
	}
	if len(want) > 0 && (plan.ARN.IsNull() || plan.ARN.IsUnknown()) {
		if diags.Append(r.refresh(ctx, plan)...); diags.HasError() {
			return diags
		}
	}
	for _, c := range changesByDistribution(want, left) {
		diags.Append(r.apply(ctx, name, prev, plan.ARN.ValueString(), want, c)...)
	}
	return diags
}

// distributionCall is the write of distribution id's associations (its
// read, then its update: the error says which failed), for the diagnostic
// of its failure; at is the attribute that named the distribution.
func distributionCall(id string, at path.Path) diagnostics.Call {
	return diagnostics.Call{Action: "cloudfront:UpdateDistribution", Path: at,
		Fix:     fmt.Sprintf("The provider's credentials need cloudfront:GetDistributionConfig and cloudfront:UpdateDistribution on distribution %s.", id),
		Missing: missingDistribution(id),
		After: fmt.Sprintf("The function's associations on distribution %s are unchanged: its behaviors change in one update, or not at "+
			"all. Apply again once the cause is gone.", id)}
}

// missingDistribution says that distribution id does not exist.
func missingDistribution(id string) string {
	return fmt.Sprintf("Distribution %s does not exist (CloudFront answers NoSuchDistribution): it was deleted, or the id is wrong", id)
}

// detachAll takes the function off every behavior the state lists, one
// write per distribution.
func (r *functionResource) detachAll(ctx context.Context, state *functionModel) diag.Diagnostics {
	had, diags := associations(ctx, state.Associations)
	if diags.HasError() {
		return diags
	}
	for _, c := range changesByDistribution(nil, had) {
		diags.Append(r.apply(ctx, state.Name.ValueString(), "", "", nil, c)...)
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
	configs := map[string]*cftypes.DistributionConfig{} // nil: the distribution is gone
	for _, a := range had {
		id := a.DistributionID.ValueString()
		cfg, read := configs[id]
		if !read {
			got, err := r.clients.CloudFront.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: aws.String(id)})
			switch {
			case isA[*cftypes.NoSuchDistribution](err):
			case err != nil:
				diags.Append(diagnostics.Call{Action: "cloudfront:GetDistributionConfig",
					Fix: fmt.Sprintf("The provider's credentials need cloudfront:GetDistributionConfig on distribution %s.", id)}.Failed(err))
				return state.Associations, diags
			default:
				cfg = got.DistributionConfig
			}
			configs[id] = cfg
		}
		if cfg == nil {
			continue
		}
		fns, _, err := behaviorOf(cfg, a)
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

// deployed reports whether a distribution is Deployed (or gone).
func (r *functionResource) deployed(ctx context.Context, id string) (bool, error) {
	got, err := r.clients.CloudFront.GetDistribution(ctx, &cloudfront.GetDistributionInput{Id: aws.String(id)})
	switch {
	case isA[*cftypes.NoSuchDistribution](err):
		return true, nil
	case err != nil:
		return false, err
	}
	return got.Distribution != nil && aws.ToString(got.Distribution.Status) == "Deployed", nil
}

// waitDeployed polls a distribution until it is Deployed or ctx ends.
func (r *functionResource) waitDeployed(ctx context.Context, id string) error {
	return r.deployWait.poll(ctx, func() (bool, error) { return r.deployed(ctx, id) })
}

// uniqueAssociations refuses two associations for one cache behavior
// (and event), whatever their replace_existing: one error per behavior,
// naming the associations (by index) and the behavior.
var uniqueAssociations = uniqueAssociationsRule{"each association names another cache behavior"}

type uniqueAssociationsRule struct{ describedAs }

func (uniqueAssociationsRule) ValidateList(ctx context.Context, req validator.ListRequest, resp *validator.ListResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	var as []association
	if resp.Diagnostics.Append(req.ConfigValue.ElementsAs(ctx, &as, true)...); resp.Diagnostics.HasError() {
		return
	}
	at := map[string][]int{}
	var order []string
	for i, a := range as {
		if a.DistributionID.IsUnknown() || a.PathPattern.IsUnknown() || a.EventType.IsUnknown() {
			continue
		}
		k := a.key()
		if at[k] == nil {
			order = append(order, k)
		}
		at[k] = append(at[k], i)
	}
	for _, k := range order {
		idx := at[k]
		if len(idx) < 2 {
			continue
		}
		blocks := make([]string, len(idx))
		for i, j := range idx {
			blocks[i] = fmt.Sprintf("[%d]", j)
		}
		list, all := strings.Join(blocks[:len(blocks)-1], ", ")+" and "+blocks[len(blocks)-1], "all"
		if len(idx) == 2 {
			all = "both"
		}
		resp.Diagnostics.AddAttributeError(req.Path.AtListIndex(idx[1]), "Duplicate association",
			fmt.Sprintf("securestream_function: the associations %s %s attach the function to %s: a cache behavior runs "+
				"one function per event, so keep one association for it and remove the others.", list, all, as[idx[0]].behavior()))
	}
}
