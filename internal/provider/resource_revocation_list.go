package provider

import (
	"context"
	"fmt"
	"regexp"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/securestream/terraform-provider-securestream/internal/diagnostics"
)

var (
	_ resource.Resource                = (*revocationListResource)(nil)
	_ resource.ResourceWithConfigure   = (*revocationListResource)(nil)
	_ resource.ResourceWithImportState = (*revocationListResource)(nil)
)

// NewRevocationListResource is securestream_revocation_list: the
// CloudFront KeyValueStore that holds the revoked sessions, which the
// issuer writes and the edge function reads. The provider makes the store
// only: its contents are the issuer's (a managed key set would delete the
// revocations on every apply).
func NewRevocationListResource() resource.Resource {
	return &revocationListResource{readyPoll: kvsReadyPoll, raceRetry: preconditionRetry, inUseRetry: kvsInUseRetry}
}

type revocationListResource struct {
	resourceBase
	// readyPoll paces the polls of a new store until it is READY;
	// raceRetry the read-modify-writes that lost a race (412); inUseRetry
	// the deletes CloudFront refuses as in use while no function
	// associates the store any more (a removal still reaching CloudFront).
	readyPoll, raceRetry, inUseRetry backoff
}

type revocationListModel struct {
	ID       types.String   `tfsdk:"id"`
	Name     types.String   `tfsdk:"name"`
	Comment  types.String   `tfsdk:"comment"`
	ARN      types.String   `tfsdk:"arn"`
	Status   types.String   `tfsdk:"status"`
	Timeouts timeouts.Value `tfsdk:"timeouts"`
}

// kvsNameRE is a KeyValueStore's name, as CloudFront takes it.
var kvsNameRE = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// kvsStatusReady is the status of a store the edge can read.
const kvsStatusReady = "READY"

const defaultRevocationListComment = "securestream revocation list"

func (r *revocationListResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_revocation_list"
}

func (r *revocationListResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	resp.Schema = schema.Schema{
		MarkdownDescription: "The revocation list: a CloudFront KeyValueStore that holds the revoked sessions, which the issuer " +
			"writes (`POST /revocations/{session_id}`) and the edge function reads when `securestream_function` (or " +
			"`securestream_function_code`) names it in `revocation_list`. The resource makes and names the store only; its " +
			"contents belong to the issuer and are never read or changed by Terraform.\n\n" +
			"Destroy refuses while a CloudFront Function still associates the store, naming the function: remove " +
			"`revocation_list` from it first. Give the list `lifecycle { create_before_destroy = true }`, so that an apply " +
			"that removes it (or renames it) updates the functions before it deletes the store.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{Computed: true, PlanModifiers: keep,
				MarkdownDescription: "The store's id, as CloudFront gives it (the end of its ARN)."},
			"name": schema.StringAttribute{Required: true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators: []validator.String{stringvalidator.RegexMatches(kvsNameRE,
					"must be 1 to 64 of a-z A-Z 0-9 _ -, as CloudFront requires of a KeyValueStore's name")},
				MarkdownDescription: "Name of the KeyValueStore, unique in the account. CloudFront cannot rename a store: a new " +
					"name replaces it (a new, empty store: the revocations in the old one are lost; with `create_before_destroy` the " +
					"functions move to the new store before the old one is deleted)."},
			"comment": schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString(defaultRevocationListComment),
				Validators:          []validator.String{stringvalidator.LengthAtMost(128)},
				MarkdownDescription: "The store's comment, at most 128 characters. Default `" + defaultRevocationListComment + "`."},
			"arn": schema.StringAttribute{Computed: true, PlanModifiers: keep,
				MarkdownDescription: "The store's ARN: the `revocation_list` of `securestream_function` and `securestream_function_code`."},
			"status": schema.StringAttribute{Computed: true, PlanModifiers: keep,
				MarkdownDescription: "The store's status: `READY` once the apply that made it returns."},
			"timeouts": timeouts.Attributes(ctx, timeouts.Opts{Create: true, Read: true, Update: true, Delete: true}),
		},
	}
}

func (r *revocationListResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan revocationListModel
	if !r.load(ctx, &resp.Diagnostics, decode{req.Plan, &plan}) {
		return
	}
	ctx, done := operation(ctx, "create", plan.Timeouts.Create, defaultCreateTimeout, &resp.Diagnostics)
	defer done()
	name := plan.Name.ValueString()
	out, err := r.clients.CloudFront.CreateKeyValueStore(ctx, &cloudfront.CreateKeyValueStoreInput{Name: aws.String(name), Comment: plan.Comment.ValueStringPointer()})
	if err != nil {
		fix := "The provider's credentials need cloudfront:CreateKeyValueStore."
		switch {
		case isA[*cftypes.EntityAlreadyExists](err):
			fix = fmt.Sprintf("A KeyValueStore named %q exists already: import it (terraform import securestream_revocation_list.<name> %s) or choose another name.", name, name)
		case isA[*cftypes.EntityLimitExceeded](err):
			fix = "The account has as many KeyValueStores as CloudFront allows (50 by default): delete one it no longer needs, or ask AWS for a higher quota."
		}
		resp.Diagnostics.Append(diagnostics.AttributeAWSCall(path.Root("name"), "cloudfront:CreateKeyValueStore", err, fix))
		return
	}
	// From here on the store exists: save it even if the wait fails, so
	// that the next apply does not collide with it.
	plan.fill(out.KeyValueStore)
	resp.Diagnostics.Append(r.waitReady(ctx, &plan)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// fill copies what CloudFront says of the store into m.
func (m *revocationListModel) fill(kv *cftypes.KeyValueStore) {
	if kv == nil {
		return
	}
	m.ID, m.ARN, m.Status = types.StringPointerValue(kv.Id), types.StringPointerValue(kv.ARN), types.StringPointerValue(kv.Status)
	m.Name = types.StringPointerValue(kv.Name)
	// An empty comment is "", never null: the schema's default is a string.
	m.Comment = types.StringValue(aws.ToString(kv.Comment))
}

func (r *revocationListResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state revocationListModel
	if !r.load(ctx, &resp.Diagnostics, decode{req.State, &state}) {
		return
	}
	ctx, done := operation(ctx, "read", state.Timeouts.Read, defaultReadTimeout, &resp.Diagnostics)
	defer done()
	name := state.Name.ValueString()
	out, err := r.describeStore(ctx, name)
	if storeGone(err) {
		resp.Diagnostics.AddWarning("The revocation list is gone",
			fmt.Sprintf("The CloudFront KeyValueStore %s was deleted outside Terraform, with the revocations it held; the next apply creates it "+
				"again, empty (its ARN changes: the functions that name it are updated too).", name))
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.Append(diagnostics.Call{Action: "cloudfront:DescribeKeyValueStore", Path: path.Root("name"),
			Fix: "The provider's credentials need cloudfront:DescribeKeyValueStore.", Missing: storeMissing(name)}.Failed(err))
		return
	}
	state.fill(out.KeyValueStore)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *revocationListResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state revocationListModel
	if !r.load(ctx, &resp.Diagnostics, decode{req.Plan, &plan}, decode{req.State, &state}) {
		return
	}
	ctx, done := operation(ctx, "update", plan.Timeouts.Update, defaultUpdateTimeout, &resp.Diagnostics)
	defer done()
	name := plan.Name.ValueString()
	// Only the comment can change (a new name replaces the store).
	var kv *cftypes.KeyValueStore
	err := r.raceRetry.retry(ctx, isA[*cftypes.PreconditionFailed], func() error {
		d, err := r.describeStore(ctx, name)
		if err != nil {
			return err
		}
		out, err := r.clients.CloudFront.UpdateKeyValueStore(ctx, &cloudfront.UpdateKeyValueStoreInput{Name: aws.String(name), IfMatch: d.ETag,
			Comment: aws.String(plan.Comment.ValueString())})
		if err == nil {
			kv = out.KeyValueStore
		}
		return err
	})
	if err != nil {
		resp.Diagnostics.Append(diagnostics.Call{Action: "cloudfront:UpdateKeyValueStore", Path: path.Root("comment"),
			Fix:     "The provider's credentials need cloudfront:DescribeKeyValueStore and cloudfront:UpdateKeyValueStore.",
			Missing: storeMissing(name), After: "The store and its revocations are unchanged."}.Failed(err))
		return
	}
	plan.ID, plan.ARN, plan.Status = state.ID, state.ARN, state.Status
	plan.fill(kv)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *revocationListResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state revocationListModel
	if !r.load(ctx, &resp.Diagnostics, decode{req.State, &state}) {
		return
	}
	ctx, done := operation(ctx, "delete", state.Timeouts.Delete, defaultDeleteTimeout, &resp.Diagnostics)
	defer done()
	resp.Diagnostics.Append(r.deleteStore(ctx, state.Name.ValueString(), state.ARN.ValueString())...)
}

// ImportState takes the store's name; Read fills in the rest.
func (r *revocationListResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if !kvsNameRE.MatchString(req.ID) {
		resp.Diagnostics.AddError("Unexpected import id",
			fmt.Sprintf("securestream_revocation_list: the import id %q is not a KeyValueStore name (1 to 64 of a-z A-Z 0-9 _ -). "+
				"Use the store's name, as aws cloudfront list-key-value-stores shows it.", req.ID))
		return
	}
	if notConfigured(r.clients, &resp.Diagnostics) {
		return
	}
	if _, err := r.describeStore(ctx, req.ID); err != nil {
		fix := "The provider's credentials need cloudfront:DescribeKeyValueStore."
		if storeGone(err) {
			fix = fmt.Sprintf("No CloudFront KeyValueStore is named %q: check the name (aws cloudfront list-key-value-stores).", req.ID)
		}
		resp.Diagnostics.Append(diagnostics.AWSCall("cloudfront:DescribeKeyValueStore", err, fix))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("name"), req.ID)...)
}

// waitReady polls the new store until CloudFront says it is READY,
// within ctx's time.
func (r *revocationListResource) waitReady(ctx context.Context, m *revocationListModel) diag.Diagnostics {
	var diags diag.Diagnostics
	name := m.Name.ValueString()
	err := r.readyPoll.poll(ctx, func() (bool, error) {
		if m.Status.ValueString() == kvsStatusReady {
			return true, nil
		}
		out, err := r.describeStore(ctx, name)
		if err != nil {
			return false, err
		}
		m.fill(out.KeyValueStore)
		return m.Status.ValueString() != kvsStatusProvisioning, nil
	})
	if err != nil && ctx.Err() != nil {
		// A deadline diagnostic: ranOutOfTime names timeouts.create in it.
		err = fmt.Errorf("the store is still %s: %w", m.Status.ValueString(), err)
	}
	switch {
	case err != nil:
		diags.Append(diagnostics.Call{Action: "cloudfront:DescribeKeyValueStore", Path: path.Root("name"),
			Fix: "The provider's credentials need cloudfront:DescribeKeyValueStore.", Missing: storeMissing(name),
			After: "The store exists: the state keeps it, and the next apply replaces it (a new, empty store)."}.Failed(err))
	case m.Status.ValueString() != kvsStatusReady:
		diags.AddAttributeError(path.Root("name"), "The revocation list failed",
			fmt.Sprintf("CloudFront made the KeyValueStore %s, but its status is %s, not READY (cloudfront:DescribeKeyValueStore). "+
				"The state keeps it, and the next apply replaces it; or delete it (aws cloudfront delete-key-value-store --name %s "+
				"--if-match <ETag>) and apply again.", name, m.Status.ValueString(), name))
	}
	return diags
}
