package provider

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	resttypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/securestream/terraform-provider-securestream/internal/diagnostics"
)

// This file is what users of hashicorp/aws expect of the issuer's
// objects: tags (and tags_all, with the provider's default_tags) on every
// object it makes that takes tags, changed in place; the role's
// permissions boundary and path; a description; X-Ray tracing.

const (
	defaultIssuerDescription = "securestream stream key issuer"
	tracingPassThrough       = "PassThrough"
	tracingActive            = "Active"
)

var (
	permissionsBoundaryRE = regexp.MustCompile(`^arn:aws[a-z-]*:iam::(\d{12}|aws):policy/[\x21-\x7E]+$`)
	// rolePathRE is an IAM path under issuerRolePath: the key policy
	// securestream_secret writes lets Terraform's identity grant the ring
	// only to a role under role/securestream/.
	rolePathRE = regexp.MustCompile(`^/securestream/([\x21-\x7E]+/)?$`)
)

// issuerExtraSchema are the attributes of this file.
func issuerExtraSchema() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"tags": schema.MapAttribute{Optional: true, ElementType: types.StringType,
			Validators: []validator.Map{mapvalidator.KeysAre(stringvalidator.LengthBetween(1, 128)),
				mapvalidator.ValueStringsAre(stringvalidator.LengthAtMost(256))},
			MarkdownDescription: "Tags of every object the issuer makes that takes tags: its IAM role, Lambda function, log group, and " +
				"the HTTP API and its stage, or the REST API, its stage, API key and usage plan. Merged over the provider's " +
				"`default_tags` (a key in both takes this value). Changes in place. Keys starting `aws:` or `securestream:` are refused: " +
				"the provider adds `securestream:issuer` (the function name) to each object itself."},
		"tags_all": schema.MapAttribute{Computed: true, ElementType: types.StringType,
			MarkdownDescription: "The tags every object gets: the provider's `default_tags` merged with `tags` (without the " +
				"provider's own `securestream:` tags). Read back from the Lambda function."},
		"permissions_boundary": schema.StringAttribute{Optional: true,
			Validators: []validator.String{stringvalidator.RegexMatches(permissionsBoundaryRE,
				"must be an IAM managed policy ARN (arn:aws:iam::<account>:policy/<name> or arn:aws:iam::aws:policy/<name>)")},
			MarkdownDescription: "ARN of the managed policy to set as the permissions boundary of the issuer's role (many organisations " +
				"require one on every role). It must allow what the role's own policy does: `kms:Decrypt` on the ring's key, " +
				"`logs:CreateLogStream` and `logs:PutLogEvents` on the function's log group, and with `tracing = \"Active\"` " +
				"`xray:PutTraceSegments` and `xray:PutTelemetryRecords`. Set, changed and removed in place " +
				"(iam:PutRolePermissionsBoundary, iam:DeleteRolePermissionsBoundary). A boundary set outside Terraform shows in `drift` " +
				"and the apply puts this value (or none) back."},
		"role_path": schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString(issuerRolePath),
			PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplaceIf(rolePathChanged,
				"Changing the role's path replaces the issuer.", "Changing the role's path replaces the issuer.")},
			Validators: []validator.String{stringvalidator.LengthAtMost(512), stringvalidator.RegexMatches(rolePathRE,
				"must be an IAM path under /securestream/, such as \"/securestream/\" or \"/securestream/team-a/\": the key policy "+
					"securestream_secret writes lets the provider grant the key ring only to a role under role/securestream/")},
			MarkdownDescription: "IAM path of the issuer's role. Default `/securestream/`. It must start with `/securestream/` and end " +
				"with `/` (for example `/securestream/team-a/`): the key policy `securestream_secret` writes lets Terraform's identity " +
				"grant the key ring only to a role under `role/securestream/`. IAM cannot change a role's path, so changing it replaces " +
				"the issuer (the role, function and API are made again; a CloudFront function keeps checking keys meanwhile, but no key " +
				"is issued until the new issuer is up and its `invoke_url` may change)."},
		"description": schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString(defaultIssuerDescription),
			Validators:          []validator.String{stringvalidator.LengthBetween(1, 256)},
			MarkdownDescription: fmt.Sprintf("Description of the Lambda function and of the API. Default `%s`. Changes in place.", defaultIssuerDescription)},
		"tracing": schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString(tracingPassThrough),
			Validators: []validator.String{stringvalidator.OneOf(tracingPassThrough, tracingActive)},
			MarkdownDescription: "AWS X-Ray tracing of the function (its `TracingConfig` mode): `PassThrough` (default) or `Active`, " +
				"which also lets the role write traces (`xray:PutTraceSegments`, `xray:PutTelemetryRecords`). Changes in place."},
	}
}

// validateTags refuses the tag keys AWS and the provider keep for
// themselves.
func validateTags(m *issuerModel) diag.Diagnostics {
	var diags diag.Diagnostics
	if m.Tags.IsNull() || m.Tags.IsUnknown() {
		return nil
	}
	for _, k := range slices.Sorted(maps.Keys(m.Tags.Elements())) {
		if l := strings.ToLower(k); strings.HasPrefix(l, "aws:") || providerTag(l) {
			diags.AddAttributeError(path.Root("tags").AtMapKey(k), "A reserved tag key",
				fmt.Sprintf("tags: the key %q is reserved: AWS keeps keys starting aws: and the provider sets the securestream: tags itself "+
					"(securestream:issuer names the function on every object). Choose another key.", k))
		}
	}
	return diags
}

// rolePathChanged: the path changed from one the state holds; a state of
// a version before role_path (null until refreshed, as with
// -refresh=false) has the default path and is not replaced for it.
func rolePathChanged(_ context.Context, req planmodifier.StringRequest, resp *stringplanmodifier.RequiresReplaceIfFuncResponse) {
	resp.RequiresReplace = !req.StateValue.IsNull() && !req.PlanValue.IsUnknown() && !req.StateValue.Equal(req.PlanValue)
}

// tagsAll is the provider's default_tags merged with tags; unknown while
// tags is.
func (r *issuerResource) tagsAll(tags types.Map) types.Map {
	if tags.IsUnknown() {
		return types.MapUnknown(types.StringType)
	}
	out := map[string]attr.Value{}
	for k, v := range r.defaultTags {
		out[k] = types.StringValue(v)
	}
	for k, v := range tags.Elements() {
		if v.IsUnknown() {
			return types.MapUnknown(types.StringType)
		}
		out[k] = v
	}
	return types.MapValueMust(types.StringType, out)
}

// tags are the tags of every object: tags_all and the issuer tag.
func (r *issuerResource) tags(m *issuerModel) map[string]string {
	all := m.TagsAll
	if all.IsNull() || all.IsUnknown() {
		all = r.tagsAll(m.Tags)
	}
	out := stringMap(all)
	out[issuerTag] = m.FunctionName.ValueString()
	return out
}

// providerTag says whether a tag key is one the provider sets itself.
func providerTag(k string) bool { return strings.HasPrefix(k, "securestream:") }

// readTags sets tags_all and tags from the Lambda function's tags, live:
// tags_all is every tag but the provider's own; tags those that are not a
// default tag of the same value, but for those the state's tags hold
// (which the configuration then names). tags stays null when it was and
// nothing but default tags is there (an import, or no tags configured).
func (r *issuerResource) readTags(m *issuerModel, live map[string]string) {
	all := map[string]attr.Value{}
	own := map[string]attr.Value{}
	prior := stringMap(m.Tags)
	for k, v := range live {
		if providerTag(k) {
			continue
		}
		all[k] = types.StringValue(v)
		if d, ok := r.defaultTags[k]; ok && d == v {
			if _, kept := prior[k]; !kept {
				continue
			}
		}
		own[k] = types.StringValue(v)
	}
	m.TagsAll = types.MapValueMust(types.StringType, all)
	if len(own) == 0 && m.Tags.IsNull() {
		return
	}
	m.Tags = types.MapValueMust(types.StringType, own)
}

// tagChange is what changes between two tags_all: the tags to set (all of
// want, with the issuer tag) and the keys to remove.
func tagChange(function string, have, want types.Map) (set map[string]string, remove []string) {
	set = stringMap(want)
	set[issuerTag] = function
	for k := range stringMap(have) {
		if _, ok := set[k]; !ok && !providerTag(k) {
			remove = append(remove, k)
		}
	}
	slices.Sort(remove)
	return set, remove
}

const tagsFix = "The provider's credentials need iam:TagRole and iam:UntagRole on the role, lambda:TagResource and lambda:UntagResource, " +
	"logs:TagResource and logs:UntagResource, and apigateway:TagResource and apigateway:UntagResource (apigateway:PUT and DELETE on /tags)."

// updateTags sets tags_all on every object the issuer made, in place,
// when it changed (tags, or the provider's default_tags).
func (r *issuerResource) updateTags(ctx context.Context, plan, state *issuerModel) diag.Diagnostics {
	var diags diag.Diagnostics
	if plan.TagsAll.Equal(state.TagsAll) {
		return nil
	}
	fn := plan.FunctionName.ValueString()
	set, remove := tagChange(fn, state.TagsAll, plan.TagsAll)
	fail := func(call string, err error) bool {
		if err != nil {
			diags.Append(diagnostics.AttributeAWSCall(path.Root("tags"), call+" (the issuer's tags)", err, tagsFix))
			return true
		}
		return false
	}
	if _, err := r.clients.IAM.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String(fn), Tags: iamTags(set)}); fail("iam:TagRole", err) {
		return diags
	}
	if len(remove) > 0 {
		if _, err := r.clients.IAM.UntagRole(ctx, &iam.UntagRoleInput{RoleName: aws.String(fn), TagKeys: remove}); fail("iam:UntagRole", err) {
			return diags
		}
	}
	arn := plan.FunctionARN
	if arn.IsNull() || arn.IsUnknown() {
		arn = state.FunctionARN
	}
	if !arn.IsNull() && !arn.IsUnknown() {
		if _, err := r.clients.Lambda.TagResource(ctx, &lambda.TagResourceInput{Resource: arn.ValueStringPointer(), Tags: set}); fail("lambda:TagResource", err) {
			return diags
		}
		if len(remove) > 0 {
			if _, err := r.clients.Lambda.UntagResource(ctx, &lambda.UntagResourceInput{Resource: arn.ValueStringPointer(), TagKeys: remove}); fail("lambda:UntagResource", err) {
				return diags
			}
		}
	}
	partition, account := accountOf(plan.RoleARN.ValueString())
	if partition == "" {
		partition, account = accountOf(state.RoleARN.ValueString())
	}
	region := r.clients.Config.Region
	if account != "" && !state.LogGroupName.IsNull() {
		lg := fmt.Sprintf("arn:%s:logs:%s:%s:log-group:%s", partition, region, account, logGroupName(fn))
		if _, err := r.clients.Logs.TagResource(ctx, &cloudwatchlogs.TagResourceInput{ResourceArn: aws.String(lg), Tags: set}); fail("logs:TagResource", err) {
			return diags
		}
		if len(remove) > 0 {
			if _, err := r.clients.Logs.UntagResource(ctx, &cloudwatchlogs.UntagResourceInput{ResourceArn: aws.String(lg), TagKeys: remove}); fail("logs:UntagResource", err) {
				return diags
			}
		}
	}
	api := plan.APIID
	if api.IsNull() || api.IsUnknown() || partition == "" {
		return diags
	}
	base := fmt.Sprintf("arn:%s:apigateway:%s::", partition, region)
	switch plan.APIType.ValueString() {
	case apiTypeHTTP:
		stage := base + "/apis/" + api.ValueString() + "/stages/" + defaultStage
		for _, res := range []string{base + "/apis/" + api.ValueString(), stage} {
			_, err := r.clients.APIGatewayV2.TagResource(ctx, &apigatewayv2.TagResourceInput{ResourceArn: aws.String(res), Tags: set})
			if res == stage && notFound(err) {
				// The stage is gone (or, on an emulator such as moto
				// 5.2.1, its tags cannot be changed): said, not failed.
				diags.AddAttributeWarning(path.Root("tags"), "The stage's tags were not changed",
					fmt.Sprintf("apigateway:TagResource on the HTTP API's stage %s answered that it was not found (%v); its tags are "+
						"unchanged. The API, function, role and log group have the new tags.", defaultStage, err))
				continue
			}
			if fail("apigateway:TagResource", err) {
				return diags
			}
			if len(remove) > 0 {
				if _, err := r.clients.APIGatewayV2.UntagResource(ctx, &apigatewayv2.UntagResourceInput{ResourceArn: aws.String(res), TagKeys: remove}); fail("apigateway:UntagResource", err) {
					return diags
				}
			}
		}
	case apiTypeREST:
		res := []string{base + "/restapis/" + api.ValueString(), base + "/restapis/" + api.ValueString() + "/stages/" + restStage}
		if id := plan.RESTAPIKeyID; !id.IsNull() && !id.IsUnknown() {
			res = append(res, base+"/apikeys/"+id.ValueString())
			plans, d := r.findRESTUsagePlans(ctx, plan)
			if diags.Append(d...); diags.HasError() {
				return diags
			}
			for _, p := range plans {
				res = append(res, base+"/usageplans/"+aws.ToString(p.Id))
			}
		}
		for _, rs := range res {
			if _, err := r.clients.APIGateway.TagResource(ctx, &apigateway.TagResourceInput{ResourceArn: aws.String(rs), Tags: set}); fail("apigateway:TagResource", err) {
				return diags
			}
			if len(remove) > 0 {
				if _, err := r.clients.APIGateway.UntagResource(ctx, &apigateway.UntagResourceInput{ResourceArn: aws.String(rs), TagKeys: remove}); fail("apigateway:UntagResource", err) {
					return diags
				}
			}
		}
	}
	return diags
}

// updateBoundary sets or removes the role's permissions boundary when
// the configuration's changed.
func (r *issuerResource) updateBoundary(ctx context.Context, plan, state *issuerModel) diag.Diagnostics {
	var diags diag.Diagnostics
	if plan.PermissionsBoundary.Equal(state.PermissionsBoundary) {
		return nil
	}
	diags.Append(r.putBoundary(ctx, plan)...)
	return diags
}

// putBoundary makes the role's boundary the configuration's: set, or
// removed when there is none.
func (r *issuerResource) putBoundary(ctx context.Context, m *issuerModel) diag.Diagnostics {
	var diags diag.Diagnostics
	fn := m.FunctionName.ValueString()
	if b := m.PermissionsBoundary.ValueString(); b != "" {
		if _, err := r.clients.IAM.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String(fn),
			PermissionsBoundary: aws.String(b)}); err != nil {
			diags.Append(diagnostics.AttributeAWSCall(path.Root("permissions_boundary"), "iam:PutRolePermissionsBoundary", err,
				"The provider's credentials need iam:PutRolePermissionsBoundary on the role, and the policy "+b+" must exist."))
		}
		return diags
	}
	_, err := r.clients.IAM.DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: aws.String(fn)})
	if err != nil && !isA[*iamtypes.NoSuchEntityException](err) {
		diags.Append(diagnostics.AttributeAWSCall(path.Root("permissions_boundary"), "iam:DeleteRolePermissionsBoundary", err,
			"The provider's credentials need iam:DeleteRolePermissionsBoundary on the role."))
	}
	return diags
}

// apiDescription is the API's description: the default names the
// function, as before the description was an argument.
func apiDescription(m *issuerModel) string {
	if d := m.Description.ValueString(); d != "" && d != defaultIssuerDescription {
		return d
	}
	return defaultIssuerDescription + " " + m.FunctionName.ValueString()
}

// updateAPIDescription changes the API's description with description.
func (r *issuerResource) updateAPIDescription(ctx context.Context, plan, state *issuerModel) diag.Diagnostics {
	var diags diag.Diagnostics
	if plan.Description.Equal(state.Description) || plan.APIID.IsNull() || plan.APIID.IsUnknown() {
		return nil
	}
	var err error
	call := "apigateway:UpdateApi (description)"
	switch plan.APIType.ValueString() {
	case apiTypeHTTP:
		_, err = r.clients.APIGatewayV2.UpdateApi(ctx, &apigatewayv2.UpdateApiInput{ApiId: plan.APIID.ValueStringPointer(), Description: aws.String(apiDescription(plan))})
	case apiTypeREST:
		call = "apigateway:UpdateRestApi (description)"
		_, err = r.clients.APIGateway.UpdateRestApi(ctx, &apigateway.UpdateRestApiInput{RestApiId: plan.APIID.ValueStringPointer(),
			PatchOperations: []resttypes.PatchOperation{{Op: resttypes.OpReplace, Path: aws.String("/description"), Value: aws.String(apiDescription(plan))}}})
	}
	if err != nil {
		diags.Append(diagnostics.AttributeAWSCall(path.Root("description"), call, err, "The provider's credentials need apigateway:PATCH on the API."))
	}
	return diags
}

// notFound: the answer is a 404, whatever its body.
func notFound(err error) bool {
	var re *awshttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound
}
