package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/securestream/terraform-provider-securestream/internal/diagnostics"
	"github.com/securestream/terraform-provider-securestream/internal/edgefunc"
)

var (
	_ resource.Resource                 = (*functionResource)(nil)
	_ resource.ResourceWithConfigure    = (*functionResource)(nil)
	_ resource.ResourceWithModifyPlan   = (*functionResource)(nil)
	_ resource.ResourceWithImportState  = (*functionResource)(nil)
	_ resource.ResourceWithUpgradeState = (*functionResource)(nil)
)

// NewFunctionResource is securestream_function.
func NewFunctionResource() resource.Resource {
	return &functionResource{deployWait: distributionDeployWait, raceRetry: preconditionRetry}
}

type functionResource struct {
	resourceBase
	// deployWait paces the polls of a distribution until it is Deployed
	// (and the deletes that wait for it); raceRetry the read-modify-writes
	// that lost a race to another change (412).
	deployWait, raceRetry backoff
}

type functionModel struct {
	functionCodeModel
	codeFactsModel
	ID                types.String   `tfsdk:"id"`
	Name              types.String   `tfsdk:"name"`
	Comment           types.String   `tfsdk:"comment"`
	Publish           types.Bool     `tfsdk:"publish"`
	WaitForDeployment types.Bool     `tfsdk:"wait_for_deployment"`
	Associations      types.List     `tfsdk:"association"`
	ARN               types.String   `tfsdk:"arn"`
	ETag              types.String   `tfsdk:"etag"`
	LiveETag          types.String   `tfsdk:"live_etag"`
	Status            types.String   `tfsdk:"status"`
	LiveCodeSHA256    types.String   `tfsdk:"live_code_sha256"`
	DeploymentStatus  types.String   `tfsdk:"deployment_status"`
	Timeouts          timeouts.Value `tfsdk:"timeouts"`
}

// association attaches the function to a cache behavior of a distribution
// managed elsewhere.
type association struct {
	DistributionID  types.String `tfsdk:"distribution_id"`
	PathPattern     types.String `tfsdk:"path_pattern"`
	EventType       types.String `tfsdk:"event_type"`
	ReplaceExisting types.Bool   `tfsdk:"replace_existing"`
}

var associationType = types.ObjectType{AttrTypes: map[string]attr.Type{
	"distribution_id": types.StringType, "path_pattern": types.StringType, "event_type": types.StringType, "replace_existing": types.BoolType,
}}

const viewerRequest = "viewer-request"

// key identifies an association: one function per event type per behavior.
func (a association) key() string {
	return a.DistributionID.ValueString() + " " + a.PathPattern.ValueString() + " " + a.EventType.ValueString()
}

// behavior names the cache behavior for people.
func (a association) behavior() string {
	if a.PathPattern.IsNull() {
		return "the default cache behavior of distribution " + a.DistributionID.ValueString()
	}
	return fmt.Sprintf("the cache behavior %q of distribution %s", a.PathPattern.ValueString(), a.DistributionID.ValueString())
}

func (r *functionResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_function"
}

func (r *functionResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	attrs := resourceAttributes(functionCodeAttrs())
	attrs["id"] = schema.StringAttribute{Computed: true, MarkdownDescription: "The function's name."}
	// A new name is an update, never a replacement: Terraform replaces
	// destroy-then-create, which would leave the behaviors without a key
	// check until the new function is attached (see rename).
	attrs["name"] = schema.StringAttribute{Required: true,
		Validators: []validator.String{stringvalidator.RegexMatches(regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`),
			"must be 1 to 64 of a-z A-Z 0-9 _ -, as CloudFront requires")},
		MarkdownDescription: "Name of the CloudFront Function. CloudFront cannot rename a function: a new name makes a new function, " +
			"publishes it, swaps it for the old one on every behavior in one update per distribution (never leaving a behavior " +
			"without a key check), then deletes the old one."}
	attrs["comment"] = schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString("securestream edge function"),
		Validators:          []validator.String{stringvalidator.LengthAtMost(128)},
		MarkdownDescription: "The function's comment. Default `securestream edge function`."}
	attrs["publish"] = schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(true),
		MarkdownDescription: "Publish the function to LIVE, which the distributions run, after each change (only when the code " +
			"changed). With false, changes stay in DEVELOPMENT for `aws cloudfront test-function`. Default true."}
	attrs["wait_for_deployment"] = schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(false),
		MarkdownDescription: "Wait, within the timeouts, until every associated distribution is `Deployed` after a change. Default false."}
	for name, desc := range map[string]string{
		"arn":              "The function's ARN.",
		"etag":             "ETag of the DEVELOPMENT stage.",
		"live_etag":        "ETag of the LIVE stage (null before the first publish).",
		"status":           "The function's status, such as `UNPUBLISHED` or `DEPLOYED`.",
		"code_sha256":      "SHA-256 of the code in DEVELOPMENT, in hex: the rendered code is never stored, its hash shows drift.",
		"live_code_sha256": "SHA-256 of the code in LIVE, in hex (null before the first publish).",
	} {
		attrs[name] = schema.StringAttribute{Computed: true, MarkdownDescription: desc}
	}
	// CloudFront never changes a function's ARN: an update keeps it (a new
	// name, a new function, is planned unknown by ModifyPlan).
	attrs["arn"] = schema.StringAttribute{Computed: true, MarkdownDescription: "The function's ARN.",
		PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}}
	attrs["deployment_status"] = schema.StringAttribute{Computed: true,
		MarkdownDescription: "With `wait_for_deployment`: `Deployed` once every associated distribution deployed the last change, " +
			"`InProgress` when the wait ran out of time (the apply warns and saves the state; the next plan shows an update that waits " +
			"again, and nothing is replaced). Null without `wait_for_deployment`."}
	attrs["code_size"] = schema.Int64Attribute{Computed: true, MarkdownDescription: "Size of the code in bytes (CloudFront's limit: 10,240)."}
	attrs["key_ids"] = schema.ListAttribute{Computed: true, ElementType: types.StringType,
		MarkdownDescription: "Ids of the keys the code holds (the seed key only with `seed_compat`)."}
	functionAttrsTail(ctx, attrs)
	resp.Schema = schema.Schema{
		Version: 1,
		MarkdownDescription: "The edge function: a CloudFront Function (" + edgefunc.Runtime + ", viewer request) rendered from the key " +
			"ring, which checks the stream key of every manifest and segment request and answers 403 to anything not signed for it; " +
			"published, and attached to cache behaviors of distributions managed elsewhere.\n\n" +
			"**The rendered code holds the ring's keys and is never stored** in the state, the plan or the logs: the resource keeps " +
			"its SHA-256, and compares it with the deployed code (DEVELOPMENT and LIVE) to show drift. A rotation of the ring " +
			"re-renders and republishes the function; the issuer's activation delay gives the edge time to learn a new key first.",
		Attributes: attrs,
	}
}

// functionAttrsTail adds the association list and the timeouts.
func functionAttrsTail(ctx context.Context, attrs map[string]schema.Attribute) {
	attrs["association"] = schema.ListNestedAttribute{Optional: true,
		MarkdownDescription: "The cache behaviors, of distributions managed elsewhere, that run the function: a list of objects, " +
			"`association = [{ distribution_id = \"...\", path_pattern = \"/live/*\" }]`. Each change reads the distribution's " +
			"configuration with its ETag right before updating it, and retries when another change won the race (412). The plan " +
			"reads the configuration of each distribution a new association names, once its id is known " +
			"(`cloudfront:GetDistributionConfig`, which the apply needs too), and refuses a distribution that does not exist, a " +
			"`path_pattern` it has no cache behavior for, and a behavior that runs another function without `replace_existing`: " +
			"before the apply makes anything.",
		Validators: []validator.List{uniqueAssociations},
		NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
			"distribution_id": schema.StringAttribute{Required: true, MarkdownDescription: "The distribution's id."},
			"path_pattern": schema.StringAttribute{Optional: true,
				MarkdownDescription: "The path pattern of the cache behavior; unset for the default cache behavior."},
			"event_type": schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString(viewerRequest),
				Validators:          []validator.String{stringvalidator.OneOf(viewerRequest)},
				MarkdownDescription: "The event: `viewer-request`, where the function checks keys. Default `viewer-request`."},
			"replace_existing": schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(false),
				MarkdownDescription: "Replace another CloudFront Function or Lambda@Edge function the behavior runs on the " +
					"same event; by default the apply refuses, naming it. Default false."},
		}},
	}
	attrs["timeouts"] = timeouts.Attributes(ctx, timeouts.Opts{Create: true, Read: true, Update: true, Delete: true})
}

// ModifyPlan renders the code at plan (decrypting the ring through KMS),
// so that rendering errors show at plan and the plan says whether the
// function changes: by the hash of the code, which is all that is stored.
// A ring that cannot be opened is a warning here, not an error: terraform
// destroy refreshes with a normal plan first, and destroying needs no ring
// (the apply that renders says the error).
func (r *functionResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	var plan, state functionModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if !req.State.Raw.IsNull() {
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	set := func(p string, v attr.Value) { resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root(p), v)...) }
	// A new name is a new function, made by the update (rename).
	fresh := req.State.Raw.IsNull() || !plan.Name.Equal(state.Name)
	set("id", plan.Name)
	defer r.planDeployment(ctx, req, plan, state, resp)
	ciphertext, _, _ := plan.ring()
	if thinMargin(fresh, ciphertext.IsUnknown(), plan.Publish.ValueBool(), plan.WaitForDeployment.ValueBool(), len(plan.Associations.Elements())) {
		resp.Diagnostics.AddAttributeWarning(keyRingPath, "The key ring's activation_delay must cover this publish",
			"The key ring changes, so the apply publishes the function again"+thinMarginWhy(plan.WaitForDeployment.ValueBool(), len(plan.Associations.Elements()))+
				". The issuer signs with a new key activation_delay after the securestream_secret's update made it (counted from that update, "+
				"to the second), not after this publish: keep the secret's activation_delay (and the issuer's settings.activation_delay) "+
				"longer than the time from that update to the end of the publish plus the propagation to every edge location of each "+
				"distribution, or players are refused as unknown_kid. See the key rotation guide, \"How much margin activation_delay gives\".")
	}
	if fresh && !req.State.Raw.IsNull() {
		for _, p := range []string{"arn", "etag", "status", "live_etag", "code_sha256", "live_code_sha256", "code_size", "key_ids"} {
			resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root(p), unknownOf(ctx, resp, p))...)
		}
	}
	if resp.Diagnostics.Append(r.checkAssociations(ctx, plan, state, !req.State.Raw.IsNull())...); resp.Diagnostics.HasError() {
		return
	}
	if !fresh {
		// Known even when the ring is not (a rotation): the ARN never
		// changes, the status when keepsStatus says so.
		set("arn", state.ARN)
		if keepsStatus(plan, state) {
			set("status", state.Status)
		}
	}
	if r.clients == nil || !plan.known() {
		return
	}
	rc, diags := plan.render(ctx, r.clients)
	if ringUnopenable(diags) {
		resp.Diagnostics.Append(planWarnings(diags, "The function's code cannot be rendered at plan: it is shown as known after apply, and an "+
			"apply that changes the function fails until the ring opens again. Destroying the function does not need the ring.")...)
		for _, p := range []string{"code_sha256", "code_size", "key_ids", "live_code_sha256", "etag", "live_etag", "status"} {
			resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root(p), unknownOf(ctx, resp, p))...)
		}
		return
	}
	if resp.Diagnostics.Append(diags...); diags.HasError() {
		return
	}
	ids, d := types.ListValueFrom(ctx, types.StringType, rc.keyIDs)
	resp.Diagnostics.Append(d...)
	set("key_ids", ids)
	set("code_sha256", types.StringValue(rc.sha256))
	set("code_size", types.Int64Value(int64(len(rc.code))))
	live := state.LiveCodeSHA256
	if plan.Publish.ValueBool() {
		live = types.StringValue(rc.sha256)
	} else if fresh {
		live = types.StringNull()
	}
	set("live_code_sha256", live)
	if fresh {
		set("arn", types.StringUnknown())
		set("etag", types.StringUnknown())
		set("status", types.StringUnknown())
		if plan.Publish.ValueBool() {
			set("live_etag", types.StringUnknown())
		} else {
			set("live_etag", types.StringNull())
		}
		return
	}
	// A new revocation_list changes the configuration of both stages even
	// where the code stays (another store, the same fail mode).
	storeChanges := !plan.RevocationList.Equal(state.RevocationList)
	codeChanges := state.CodeSHA256.ValueString() != rc.sha256 || !plan.Comment.Equal(state.Comment) || storeChanges
	liveChanges := !live.Equal(state.LiveCodeSHA256) || (storeChanges && plan.Publish.ValueBool())
	set("arn", state.ARN)
	// The status says whether a distribution runs the function, too.
	assocChanges := !plan.Associations.Equal(state.Associations)
	if codeChanges || liveChanges {
		set("etag", types.StringUnknown())
	} else {
		set("etag", state.ETag)
	}
	if (codeChanges || liveChanges || assocChanges) && !keepsStatus(plan, state) {
		set("status", types.StringUnknown())
	} else {
		set("status", state.Status)
	}
	if liveChanges {
		set("live_etag", types.StringUnknown())
	} else {
		set("live_etag", state.LiveETag)
	}
}

// publishedStatuses are the statuses of a function whose DEVELOPMENT stage
// is published: UNASSOCIATED, or DEPLOYED when a distribution runs it.
var publishedStatuses = map[string]bool{"UNASSOCIATED": true, "DEPLOYED": true}

// keepsStatus reports whether an update leaves the function's status as
// the state has it, whatever the code becomes (a rotation, whose ring is
// known only at apply): the same function, published, with the same
// comment and associations, which publishes after each change of the code
// (DEVELOPMENT ends published again, as it is now) and changes nothing
// else that the status reflects (an UpdateFunction of the comment alone is
// not published: UNPUBLISHED).
func keepsStatus(plan, state functionModel) bool {
	return plan.Name.Equal(state.Name) && plan.Publish.ValueBool() && !plan.Publish.IsUnknown() && plan.Comment.Equal(state.Comment) &&
		plan.Associations.Equal(state.Associations) && plan.RevocationList.Equal(state.RevocationList) && publishedStatuses[state.Status.ValueString()] &&
		!state.CodeSHA256.IsNull() && state.LiveCodeSHA256.Equal(state.CodeSHA256)
}

// thinMargin reports whether the plan of a function should warn that the
// ring's activation_delay must cover its publish and propagation: when an
// existing, published function gets a changed ring (ringChanges: a
// rotation of the securestream_secret in the same apply, which makes the
// ciphertext known only after apply) and the apply waits for the
// distributions to deploy or publishes to two or more associations. The
// function does not see the secret's activation_delay, so the warning fires
// only on a plan that changes the ring, not on every plan; and only while
// the new ring is unknown: the apply plans again once the secret has its
// new ring, and a second warning there would say the same.
func thinMargin(fresh, ringChanges, publish, waitForDeployment bool, associations int) bool {
	if fresh || !ringChanges || !publish {
		return false
	}
	return waitForDeployment || associations >= 2
}

// thinMarginWhy says what makes the margin thin.
func thinMarginWhy(waitForDeployment bool, associations int) string {
	var why []string
	if waitForDeployment {
		why = append(why, "waits for the distributions to deploy (wait_for_deployment = true)")
	}
	if associations >= 2 {
		why = append(why, fmt.Sprintf("redeploys the distributions of its %d associations", associations))
	}
	return ", " + strings.Join(why, " and ")
}

// unknownOf is the unknown value of the type of the attribute p.
func unknownOf(ctx context.Context, resp *resource.ModifyPlanResponse, p string) attr.Value {
	t, err := resp.Plan.Schema.TypeAtPath(ctx, path.Root(p))
	if err != nil {
		return types.StringUnknown()
	}
	v, _ := t.ValueFromTerraform(ctx, tftypes.NewValue(t.TerraformType(ctx), tftypes.UnknownValue))
	return v
}

// Deployment statuses (deployment_status).
const (
	deployed   = "Deployed"
	inProgress = "InProgress"
)

// planDeployment plans deployment_status: null without
// wait_for_deployment; with it, unknown when the apply changes anything
// (it waits again) or the last wait ran out of time (the apply resumes
// it), the state's otherwise.
func (r *functionResource) planDeployment(ctx context.Context, req resource.ModifyPlanRequest, plan, state functionModel, resp *resource.ModifyPlanResponse) {
	p := path.Root("deployment_status")
	if !plan.WaitForDeployment.ValueBool() && !plan.WaitForDeployment.IsUnknown() {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, p, types.StringNull())...)
		return
	}
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, p, state.DeploymentStatus)...)
	if req.State.Raw.IsNull() || !resp.Plan.Raw.Equal(req.State.Raw) || state.DeploymentStatus.ValueString() == inProgress {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, p, types.StringUnknown())...)
	}
}

func (r *functionResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan functionModel
	if !r.load(ctx, &resp.Diagnostics, decode{req.Plan, &plan}) {
		return
	}
	ctx, done := operation(ctx, "create", plan.Timeouts.Create, defaultCreateTimeout, &resp.Diagnostics)
	defer done()
	rc, diags := plan.render(ctx, r.clients)
	if resp.Diagnostics.Append(diags...); diags.HasError() {
		return
	}
	name := plan.Name.ValueString()
	if resp.Diagnostics.Append(r.createFunction(ctx, name, plan.Comment, plan.RevocationList, rc)...); resp.Diagnostics.HasError() {
		return
	}
	// From here on the function exists: save it even if a later step fails,
	// so that the next apply carries on instead of colliding with it.
	plan.ID = plan.Name
	if plan.Publish.ValueBool() {
		resp.Diagnostics.Append(r.publish(ctx, name, rc.sha256, plan.RevocationList)...)
	}
	if !resp.Diagnostics.HasError() {
		resp.Diagnostics.Append(r.attachAll(ctx, &plan, nil)...)
	}
	r.finish(ctx, "create", &plan, !resp.Diagnostics.HasError(), &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// createFunction makes the function name with the rendered code, or
// adopts the one a lost answer or a killed apply left.
func (r *functionResource) createFunction(ctx context.Context, name string, comment, store types.String, rc *renderedCode) diag.Diagnostics {
	var diags diag.Diagnostics
	_, err := r.clients.CloudFront.CreateFunction(ctx, &cloudfront.CreateFunctionInput{Name: aws.String(name), FunctionCode: rc.code,
		FunctionConfig: cfFunctionConfig(comment, store)})
	if isA[*cftypes.FunctionAlreadyExists](err) && r.madeFrom(ctx, name, rc.sha256, comment.ValueString(), store) {
		// This very function is there already: made by a CreateFunction
		// whose answer was lost (the SDK's retry meets it) or by an apply
		// killed before it saved the state. The code holds the ring's keys,
		// so nobody without the ring made it: carry on with it.
		err = nil
	}
	if err != nil {
		at, fix := path.Root("name"), "The provider's credentials need cloudfront:CreateFunction."
		switch {
		case isA[*cftypes.FunctionAlreadyExists](err):
			fix = fmt.Sprintf("A function named %q exists already, with other code: import it (terraform import ... %s) or choose another name.", name, name)
		case storeRefused(err, store):
			at, fix = path.Root("revocation_list"), storeRefusedFix
		}
		diags.Append(diagnostics.AttributeAWSCall(at, "cloudfront:CreateFunction", err, fix))
	}
	return diags
}

// functionMissing says that the CloudFront Function name does not exist.
func functionMissing(name string) string {
	return fmt.Sprintf("The CloudFront Function %s does not exist: it was deleted outside Terraform, and the next plan creates it again.", name)
}

// finish ends a create or update whose function exists: it reads the
// function into m (with time of its own, should the operation's have run
// out, so that the state is right) and then, with wait_for_deployment and
// when the changes went through (changed), waits for the distributions.
// A wait that runs out of time, or cannot tell, is a warning: the
// function is published and attached, the state is saved with
// deployment_status InProgress, and the next plan resumes the wait.
func (r *functionResource) finish(ctx context.Context, op string, m *functionModel, changed bool, diags *diag.Diagnostics) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), defaultReadTimeout)
	defer cancel()
	diags.Append(r.refresh(rctx, m)...)
	m.DeploymentStatus = types.StringNull()
	if !m.WaitForDeployment.ValueBool() {
		return
	}
	m.DeploymentStatus = types.StringValue(inProgress)
	if !changed {
		return
	}
	want, d := associations(ctx, m.Associations)
	if diags.Append(d...); d.HasError() {
		return
	}
	var late []string
	var why error
	seen := map[string]bool{}
	for _, a := range want {
		id := a.DistributionID.ValueString()
		if seen[id] {
			continue
		}
		seen[id] = true
		if err := r.waitDeployed(ctx, id); err != nil {
			late, why = append(late, id), err
		}
	}
	if len(late) == 0 {
		m.DeploymentStatus = types.StringValue(deployed)
		return
	}
	fix := fmt.Sprintf("The wait ran out of time: raise timeouts.%s, or set wait_for_deployment = false.", op)
	if ctx.Err() == nil {
		fix = diagnostics.Call{Fix: "The provider's credentials need cloudfront:GetDistribution on them."}.Advice(why, op)
	}
	diags.AddAttributeWarning(path.Root("wait_for_deployment"), "The distributions did not deploy in time",
		fmt.Sprintf("The function %s is published and attached, but distribution %s is not Deployed yet (cloudfront:GetDistribution: %v). "+
			"The state is saved with deployment_status = %q: nothing is replaced, and the next plan shows an update that waits again. %s",
			m.Name.ValueString(), strings.Join(late, ", "), why, inProgress, fix))
}

// publish publishes DEVELOPMENT, which holds the code whose hash is sha
// and associates store, to LIVE, with the current ETag.
func (r *functionResource) publish(ctx context.Context, name, sha string, store types.String) diag.Diagnostics {
	var diags diag.Diagnostics
	err := r.retryOn412(ctx, func() error {
		d, err := r.describeFunction(ctx, name)
		if err != nil {
			return err
		}
		_, err = r.clients.CloudFront.PublishFunction(ctx, &cloudfront.PublishFunctionInput{Name: aws.String(name), IfMatch: d.ETag})
		if isA[*cftypes.PreconditionFailed](err) && r.holds(ctx, name, cftypes.FunctionStageLive, sha) && r.liveStore(ctx, name).Equal(store) {
			// Published already, by a call whose answer was lost: AWS
			// refuses to publish an unchanged DEVELOPMENT stage again.
			return nil
		}
		return err
	})
	if err != nil {
		diags.Append(diagnostics.Call{Action: "cloudfront:PublishFunction", Path: path.Root("publish"),
			Fix:     "The provider's credentials need cloudfront:DescribeFunction and cloudfront:PublishFunction.",
			Missing: functionMissing(name), After: "The next apply publishes again."}.Failed(err))
	}
	return diags
}

// refresh reads the deployed function into m: ETags, status, ARN and the
// hashes of its code in both stages. It reports whether it exists.
func (r *functionResource) refresh(ctx context.Context, m *functionModel) diag.Diagnostics {
	var diags diag.Diagnostics
	name := m.Name.ValueString()
	dev, err := r.describeFunction(ctx, name)
	if err != nil {
		diags.Append(diagnostics.Call{Action: "cloudfront:DescribeFunction", Path: path.Root("name"), Fix: "The provider's credentials need cloudfront:DescribeFunction.",
			Missing: functionMissing(name)}.Failed(err))
		return diags
	}
	m.ETag = types.StringPointerValue(dev.ETag)
	if s := dev.FunctionSummary; s != nil {
		m.Status = types.StringPointerValue(s.Status)
		if s.FunctionConfig != nil {
			m.Comment = types.StringPointerValue(s.FunctionConfig.Comment)
		}
		// An association removed (or changed) outside Terraform shows as a
		// change of revocation_list, which the apply puts back.
		m.RevocationList = storeOf(s.FunctionConfig)
		if s.FunctionMetadata != nil {
			m.ARN = types.StringPointerValue(s.FunctionMetadata.FunctionARN)
		}
	}
	code, err := r.functionCode(ctx, name, cftypes.FunctionStageDevelopment)
	if err != nil {
		diags.Append(diagnostics.Call{Action: "cloudfront:GetFunction", Path: path.Root("name"), Fix: "The provider's credentials need cloudfront:GetFunction.",
			Missing: functionMissing(name)}.Failed(err))
		return diags
	}
	m.CodeSHA256, m.CodeSize = types.StringValue(hashOf(code.FunctionCode)), types.Int64Value(int64(len(code.FunctionCode)))
	m.LiveETag, m.LiveCodeSHA256 = types.StringNull(), types.StringNull()
	live, err := r.functionCode(ctx, name, cftypes.FunctionStageLive)
	switch {
	case functionGone(err): // never published
	case err != nil:
		diags.Append(diagnostics.AWSCall("cloudfront:GetFunction", err, "The provider's credentials need cloudfront:GetFunction."))
	default:
		m.LiveETag, m.LiveCodeSHA256 = types.StringPointerValue(live.ETag), types.StringValue(hashOf(live.FunctionCode))
	}
	return diags
}

// madeFrom reports whether the function's DEVELOPMENT stage is what
// Create makes: the code whose hash is sha, with the comment and the store.
func (r *functionResource) madeFrom(ctx context.Context, name, sha, comment string, store types.String) bool {
	d, err := r.describeFunction(ctx, name)
	return err == nil && d.FunctionSummary != nil && d.FunctionSummary.FunctionConfig != nil &&
		aws.ToString(d.FunctionSummary.FunctionConfig.Comment) == comment && storeOf(d.FunctionSummary.FunctionConfig).Equal(store) &&
		r.holds(ctx, name, cftypes.FunctionStageDevelopment, sha)
}

// holds reports whether the stage of the function holds the code whose
// hash is sha (false when it cannot tell).
func (r *functionResource) holds(ctx context.Context, name string, stage cftypes.FunctionStage, sha string) bool {
	got, err := r.functionCode(ctx, name, stage)
	return err == nil && hashOf(got.FunctionCode) == sha
}

func hashOf(code []byte) string {
	sum := sha256.Sum256(code)
	return hex.EncodeToString(sum[:])
}

func (r *functionResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state functionModel
	if !r.load(ctx, &resp.Diagnostics, decode{req.State, &state}) {
		return
	}
	ctx, done := operation(ctx, "read", state.Timeouts.Read, defaultReadTimeout, &resp.Diagnostics)
	defer done()
	_, err := r.describeFunction(ctx, state.Name.ValueString())
	if functionGone(err) {
		resp.Diagnostics.AddWarning("The CloudFront Function is gone",
			fmt.Sprintf("The function %s was deleted outside Terraform; the next apply creates it again.", state.Name.ValueString()))
		resp.State.RemoveResource(ctx)
		return
	}
	if resp.Diagnostics.Append(r.refresh(ctx, &state)...); resp.Diagnostics.HasError() {
		return
	}
	// Associations removed out of band leave the list, so that the plan
	// puts them back.
	kept, diags := r.attached(ctx, &state)
	if resp.Diagnostics.Append(diags...); diags.HasError() {
		return
	}
	state.Associations = kept
	if state.DeploymentStatus.ValueString() == inProgress {
		// The last wait ran out of time: Deployed now ends it, without an
		// apply.
		if want, d := associations(ctx, kept); !d.HasError() && !r.deploying(ctx, want) && r.canTell(ctx, want) {
			state.DeploymentStatus = types.StringValue(deployed)
		}
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// canTell reports whether every distribution of the associations answers
// cloudfront:GetDistribution.
func (r *functionResource) canTell(ctx context.Context, of []association) bool {
	for _, a := range of {
		if _, err := r.deployed(ctx, a.DistributionID.ValueString()); err != nil {
			return false
		}
	}
	return true
}

func (r *functionResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state functionModel
	if !r.load(ctx, &resp.Diagnostics, decode{req.Plan, &plan}, decode{req.State, &state}) {
		return
	}
	ctx, done := operation(ctx, "update", plan.Timeouts.Update, defaultUpdateTimeout, &resp.Diagnostics)
	defer done()
	rc, diags := plan.render(ctx, r.clients)
	if resp.Diagnostics.Append(diags...); diags.HasError() {
		return
	}
	if !plan.Name.Equal(state.Name) {
		r.rename(ctx, &plan, &state, rc, resp)
		return
	}
	name := plan.Name.ValueString()
	storeChanges := !plan.RevocationList.Equal(state.RevocationList)
	if rc.sha256 != state.CodeSHA256.ValueString() || !plan.Comment.Equal(state.Comment) || storeChanges {
		err := r.retryOn412(ctx, func() error {
			d, err := r.describeFunction(ctx, name)
			if err != nil {
				return err
			}
			_, err = r.clients.CloudFront.UpdateFunction(ctx, &cloudfront.UpdateFunctionInput{Name: aws.String(name), IfMatch: d.ETag, FunctionCode: rc.code,
				FunctionConfig: cfFunctionConfig(plan.Comment, plan.RevocationList)})
			return err
		})
		if err != nil {
			c := diagnostics.Call{Action: "cloudfront:UpdateFunction", Path: path.Root("name"),
				Fix: "The provider's credentials need cloudfront:DescribeFunction and cloudfront:UpdateFunction.", Missing: functionMissing(name),
				After: "The function is unchanged: LIVE and the edge keep the code they have."}
			if storeRefused(err, plan.RevocationList) {
				c.Path, c.Fix = path.Root("revocation_list"), storeRefusedFix
			}
			resp.Diagnostics.Append(c.Failed(err))
			return
		}
	}
	// LIVE takes the store with the publish, whether or not the code changed.
	if plan.Publish.ValueBool() && (rc.sha256 != state.LiveCodeSHA256.ValueString() || storeChanges) {
		if resp.Diagnostics.Append(r.publish(ctx, name, rc.sha256, plan.RevocationList)...); resp.Diagnostics.HasError() {
			return
		}
	}
	plan.ARN = state.ARN
	resp.Diagnostics.Append(r.attachAll(ctx, &plan, &state)...)
	r.finish(ctx, "update", &plan, !resp.Diagnostics.HasError(), &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// rename moves the resource to a function of the new name, never leaving
// a behavior without a key check: it makes and publishes the new
// function, swaps it for the old one on each distribution in one
// UpdateDistribution (attachAll), and only then deletes the old one.
// Until the swap went through everywhere the state keeps the old function,
// so that the next apply carries on (adopting the new function it made).
func (r *functionResource) rename(ctx context.Context, plan, state *functionModel, rc *renderedCode, resp *resource.UpdateResponse) {
	name, old := plan.Name.ValueString(), state.Name.ValueString()
	if resp.Diagnostics.Append(r.createFunction(ctx, name, plan.Comment, plan.RevocationList, rc)...); resp.Diagnostics.HasError() {
		return
	}
	plan.ID = plan.Name
	if plan.Publish.ValueBool() {
		if resp.Diagnostics.Append(r.publish(ctx, name, rc.sha256, plan.RevocationList)...); resp.Diagnostics.HasError() {
			return
		}
	}
	plan.ARN = types.StringUnknown()
	if d := r.attachAll(ctx, plan, state); d.HasError() {
		resp.Diagnostics.Append(d...)
		resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
		return
	}
	had, diags := associations(ctx, state.Associations)
	resp.Diagnostics.Append(diags...)
	// The old function runs nowhere this resource knows of: delete it
	// (waiting out FunctionInUse while the swap reaches the edge).
	if err := r.deleteFunction(ctx, old, had); err != nil && !functionGone(err) {
		resp.Diagnostics.AddAttributeWarning(path.Root("name"), "The function of the old name is left",
			fmt.Sprintf("The function %s replaces %s on every behavior, but cloudfront:DeleteFunction of %s failed: %v\n\nDelete it once "+
				"nothing runs it (aws cloudfront describe-function --name %s, then aws cloudfront delete-function --name %s --if-match <ETag>); "+
				"this resource no longer manages it.", name, old, old, err, old, old))
	}
	r.finish(ctx, "update", plan, !resp.Diagnostics.HasError(), &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

func (r *functionResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state functionModel
	if !r.load(ctx, &resp.Diagnostics, decode{req.State, &state}) {
		return
	}
	ctx, done := operation(ctx, "delete", state.Timeouts.Delete, defaultDeleteTimeout, &resp.Diagnostics)
	defer done()
	// Detach first (one update per distribution), so that the delete
	// meets FunctionInUse from this resource's own associations only while
	// the detach reaches the edge, which deleteFunction waits out.
	if resp.Diagnostics.Append(r.detachAll(ctx, &state)...); resp.Diagnostics.HasError() {
		return
	}
	had, diags := associations(ctx, state.Associations)
	if resp.Diagnostics.Append(diags...); diags.HasError() {
		return
	}
	err := r.deleteFunction(ctx, state.Name.ValueString(), had)
	switch {
	case err == nil || functionGone(err):
	case isA[*cftypes.FunctionInUse](err):
		resp.Diagnostics.Append(diagnostics.AWSCall("cloudfront:DeleteFunction", err,
			"Distributions this resource does not manage still run the function (the error names them): detach it there, or add "+
				"those cache behaviors to association so that the resource detaches them, then destroy again."))
	default:
		resp.Diagnostics.Append(diagnostics.AWSCall("cloudfront:DeleteFunction", err, "The provider's credentials need cloudfront:DeleteFunction."))
	}
}

// deleteFunction deletes the function with its current ETag. CloudFront
// answers FunctionInUse while its edge may still run the function for a
// distribution it was just detached from, until that distribution is
// Deployed: the delete waits for the distributions of detached, then
// gives up on the FunctionInUse that remains (another user).
func (r *functionResource) deleteFunction(ctx context.Context, name string, detached []association) error {
	detaching := func(err error) bool { return isA[*cftypes.FunctionInUse](err) && r.deploying(ctx, detached) }
	return r.deployWait.retry(ctx, detaching, func() error {
		return r.retryOn412(ctx, func() error {
			d, err := r.describeFunction(ctx, name)
			if err != nil {
				return err
			}
			_, err = r.clients.CloudFront.DeleteFunction(ctx, &cloudfront.DeleteFunctionInput{Name: aws.String(name), IfMatch: d.ETag})
			return err
		})
	})
}

// deploying reports whether one of the associations' distributions is
// still deploying a change (false when it cannot tell).
func (r *functionResource) deploying(ctx context.Context, of []association) bool {
	for _, a := range of {
		if done, err := r.deployed(ctx, a.DistributionID.ValueString()); err == nil && !done {
			return true
		}
	}
	return false
}
