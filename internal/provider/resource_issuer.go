package provider

import (
	"context"
	"fmt"
	"maps"
	"math"
	"regexp"
	"time"

	apitypes "github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/float64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var (
	_ resource.Resource                   = (*issuerResource)(nil)
	_ resource.ResourceWithConfigure      = (*issuerResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*issuerResource)(nil)
	_ resource.ResourceWithImportState    = (*issuerResource)(nil)
	_ resource.ResourceWithValidateConfig = (*issuerResource)(nil)
	_ resource.ResourceWithUpgradeState   = (*issuerResource)(nil)
)

// NewIssuerResource is securestream_issuer.
func NewIssuerResource() resource.Resource {
	return &issuerResource{lambdaRetry: lambdaPassRetry, functionPoll: lambdaFunctionPoll}
}

type issuerResource struct {
	resourceBase
	// lambdaRetry paces the retries of Lambda's answers that pass
	// (retryable); functionPoll the polls of waitFunction.
	lambdaRetry, functionPoll backoff
}

type issuerModel struct {
	ID                     types.String   `tfsdk:"id"`
	FunctionName           types.String   `tfsdk:"function_name"`
	KeyRing                types.Object   `tfsdk:"key_ring"`
	KMSKeyARN              types.String   `tfsdk:"kms_key_arn"`
	Architecture           types.String   `tfsdk:"architecture"`
	PackagePath            types.String   `tfsdk:"package_path"`
	MemorySize             types.Int64    `tfsdk:"memory_size"`
	Timeout                types.Int64    `tfsdk:"timeout"`
	ReservedConcurrency    types.Int64    `tfsdk:"reserved_concurrency"`
	LogRetentionDays       types.Int64    `tfsdk:"log_retention_days"`
	APIType                types.String   `tfsdk:"api_type"`
	FunctionURLAuthType    types.String   `tfsdk:"function_url_auth_type"`
	ThrottleRateLimit      types.Float64  `tfsdk:"throttle_rate_limit"`
	ThrottleBurstLimit     types.Int64    `tfsdk:"throttle_burst_limit"`
	JWTAuthorizer          types.Object   `tfsdk:"jwt_authorizer"`
	RESTAuthorization      types.String   `tfsdk:"rest_authorization"`
	RESTCognitoPoolARNs    types.Set      `tfsdk:"rest_cognito_user_pool_arns"`
	RESTAPIKeyRequired     types.Bool     `tfsdk:"rest_api_key_required"`
	RESTAPIKeyID           types.String   `tfsdk:"rest_api_key_id"`
	RESTAPIKeyValue        types.String   `tfsdk:"rest_api_key_value"`
	Settings               types.Object   `tfsdk:"settings"`
	JWTHS256KeyWO          types.String   `tfsdk:"jwt_hs256_key_wo"`
	JWTHS256KeyWOVersion   types.Int64    `tfsdk:"jwt_hs256_key_wo_version"`
	JWTHS256KeyCiphertext  types.String   `tfsdk:"jwt_hs256_key_ciphertext"`
	OriginSecretWO         types.String   `tfsdk:"origin_secret_wo"`
	OriginSecretWOVersion  types.Int64    `tfsdk:"origin_secret_wo_version"`
	OriginSecretCiphertext types.String   `tfsdk:"origin_secret_ciphertext"`
	InvokeURL              types.String   `tfsdk:"invoke_url"`
	FunctionARN            types.String   `tfsdk:"function_arn"`
	RoleARN                types.String   `tfsdk:"role_arn"`
	APIID                  types.String   `tfsdk:"api_id"`
	StageName              types.String   `tfsdk:"stage_name"`
	SourceCodeHash         types.String   `tfsdk:"source_code_hash"`
	GrantID                types.String   `tfsdk:"grant_id"`
	LogGroupName           types.String   `tfsdk:"log_group_name"`
	PermissionID           types.String   `tfsdk:"permission_id"`
	Drift                  types.List     `tfsdk:"drift"`
	Tags                   types.Map      `tfsdk:"tags"`
	TagsAll                types.Map      `tfsdk:"tags_all"`
	PermissionsBoundary    types.String   `tfsdk:"permissions_boundary"`
	RolePath               types.String   `tfsdk:"role_path"`
	Description            types.String   `tfsdk:"description"`
	Tracing                types.String   `tfsdk:"tracing"`
	AccessLog              types.Object   `tfsdk:"access_log"`
	Timeouts               timeouts.Value `tfsdk:"timeouts"`
}

// sealedFields are a sealed setting's version and ciphertext in m.
func (m *issuerModel) sealedFields(s sealedSetting) (version types.Int64, ciphertext *types.String) {
	if s.wo == "jwt_hs256_key_wo" {
		return m.JWTHS256KeyWOVersion, &m.JWTHS256KeyCiphertext
	}
	return m.OriginSecretWOVersion, &m.OriginSecretCiphertext
}

// setSealedVersion sets a sealed setting's version in m.
func (m *issuerModel) setSealedVersion(s sealedSetting, v types.Int64) {
	if s.wo == "jwt_hs256_key_wo" {
		m.JWTHS256KeyWOVersion = v
		return
	}
	m.OriginSecretWOVersion = v
}

var jwtAuthorizerTypes = map[string]attr.Type{"issuer": types.StringType, "audiences": types.ListType{ElemType: types.StringType}}

var pathJWTAuthorizer = path.Root("jwt_authorizer")

// authorizer is jwt_authorizer as API Gateway takes it, nil when unset.
func (m *issuerModel) authorizer() *apitypes.JWTConfiguration {
	if m.JWTAuthorizer.IsNull() || m.JWTAuthorizer.IsUnknown() {
		return nil
	}
	a := m.JWTAuthorizer.Attributes()
	issuer, _ := a["issuer"].(types.String)
	audiences, _ := a["audiences"].(types.List)
	return &apitypes.JWTConfiguration{Issuer: issuer.ValueStringPointer(), Audience: stringElems(audiences)}
}

// Defaults.
const (
	defaultIssuerMemory     = 256
	defaultIssuerTimeout    = 10
	defaultLogRetentionDays = 30
	defaultThrottleRate     = 50
	defaultThrottleBurst    = 100
	// Creating an issuer waits for IAM to propagate the new role and for
	// Lambda to make the function Active.
	defaultIssuerCreateTimeout = 10 * time.Minute
	defaultIssuerUpdateTimeout = 10 * time.Minute
	defaultIssuerDeleteTimeout = 10 * time.Minute
	defaultIssuerReadTimeout   = 5 * time.Minute
)

var functionNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

func (r *issuerResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_issuer"
}

func (r *issuerResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	computed := func(doc string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, PlanModifiers: keep, MarkdownDescription: doc}
	}
	attrs := map[string]schema.Attribute{
		"id": computed("The function name."),
		"function_name": schema.StringAttribute{Required: true, PlanModifiers: replace,
			Validators: []validator.String{stringvalidator.RegexMatches(functionNameRE, "must be a Lambda function name: 1 to 64 of A-Z a-z 0-9 _ -")},
			MarkdownDescription: "Name of the Lambda function, and of its role and log group. It must be `key_ring.function_name`, " +
				"the `function_name` of the `securestream_secret` whose ring it serves: the ring is encrypted for it. Changing it replaces the issuer."},
		"key_ring": schema.SingleNestedAttribute{Required: true,
			Attributes: map[string]schema.Attribute{
				"ciphertext": schema.StringAttribute{Required: true, Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
					MarkdownDescription: ringAttrDescs["ciphertext"] + " The function's `SECURESTREAM_KEYRING`."},
				"kms_key_id": schema.StringAttribute{Required: true, Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
					MarkdownDescription: ringAttrDescs["kms_key_id"] + " Resolved to the key's ARN (`kms_key_arn`) for the function's " +
						"`SECURESTREAM_KMS_KEY_ID`, the role's policy and the grants."},
				"function_name": schema.StringAttribute{Required: true,
					Validators:          []validator.String{stringvalidator.RegexMatches(functionNameRE, "must be a Lambda function name: 1 to 64 of A-Z a-z 0-9 _ -")},
					MarkdownDescription: ringAttrDescs["function_name"] + " It must equal the issuer's `function_name`."},
			},
			MarkdownDescription: keyRingDesc("The function's `SECURESTREAM_KEYRING` and `SECURESTREAM_KMS_KEY_ID`; opened through KMS " +
				"(`kms:Decrypt`) at plan, as the function opens it, when it, its key or `function_name` changes. Its `ciphertext` is KMS " +
				"ciphertext, which only the issuer's role (and Terraform's identity) may decrypt, so it is not marked sensitive: an " +
				"import's generated configuration (`terraform plan -generate-config-out`) then holds it, and plans without changes; " +
				"replace it with the reference.")},
		"kms_key_arn": schema.StringAttribute{Computed: true,
			MarkdownDescription: "The ARN of `key_ring.kms_key_id` (resolved with `kms:DescribeKey` when it is an id or an alias): " +
				"the function's `SECURESTREAM_KMS_KEY_ID`, and the key of the role's policy and grants."},
		"architecture": schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString("arm64"),
			Validators:          []validator.String{stringvalidator.OneOf("arm64", "x86_64")},
			MarkdownDescription: "`arm64` (default, cheaper) or `x86_64`: which of the packages built into the provider to deploy."},
		"package_path": schema.StringAttribute{Optional: true, Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			MarkdownDescription: "A zip to deploy instead of the built-in package (for `architecture`), such as one `make issuer` built."},
		"memory_size": schema.Int64Attribute{Optional: true, Computed: true, Default: int64default.StaticInt64(defaultIssuerMemory),
			Validators:          []validator.Int64{int64validator.Between(128, 10240)},
			MarkdownDescription: fmt.Sprintf("Memory of the function, in MB (128 to 10240). Default %d.", defaultIssuerMemory)},
		"timeout": schema.Int64Attribute{Optional: true, Computed: true, Default: int64default.StaticInt64(defaultIssuerTimeout),
			Validators:          []validator.Int64{int64validator.Between(1, 900)},
			MarkdownDescription: fmt.Sprintf("Timeout of the function, in seconds (1 to 900). Default %d.", defaultIssuerTimeout)},
		"reserved_concurrency": schema.Int64Attribute{Optional: true, Validators: []validator.Int64{int64validator.AtLeast(0)},
			MarkdownDescription: "Reserved concurrency: a cap on the function's concurrent runs (0 stops it). Unset: none."},
		"log_retention_days": schema.Int64Attribute{Optional: true, Computed: true, Default: int64default.StaticInt64(defaultLogRetentionDays),
			Validators:          []validator.Int64{int64validator.OneOf(1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)},
			MarkdownDescription: fmt.Sprintf("Days CloudWatch Logs keeps the function's logs. Default %d.", defaultLogRetentionDays)},
		"api_type": schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString(apiTypeHTTP), PlanModifiers: replace,
			Validators: []validator.String{stringvalidator.OneOf(apiTypeHTTP, apiTypeFunctionURL, apiTypeREST)},
			MarkdownDescription: "How callers reach the issuer: `http` (default), an API Gateway HTTP API; `function_url`, a Lambda function URL; or " +
				"`rest`, a regional API Gateway REST API. Changing it replaces the issuer. With `settings.revocation_kvs_arn` and " +
				"`settings.admin_scope` or `settings.admin_iam`, `http` and `rest` also get the admin routes, `POST` and " +
				"`DELETE /revocations/{session_id}`: `AWS_IAM` with `admin_iam`; otherwise, with `http`, the JWT authorizer (if any) with " +
				"the admin scope as the route's authorization scope, and with `rest` the methods' `rest_authorization`, the issuer " +
				"checking the scope. A function URL passes them to the function as it does every path."},
		"function_url_auth_type": schema.StringAttribute{Optional: true, Computed: true,
			Validators: []validator.String{stringvalidator.OneOf("NONE", "AWS_IAM")},
			MarkdownDescription: "`function_url`: `NONE` (default; the issuer's `settings.auth` decides, and with `settings.auth = \"none\"` " +
				"the plan warns of a public, unthrottled issuer) or `AWS_IAM` (SigV4-signed callers whose IAM policy allows lambda:InvokeFunctionUrl). " +
				"Null with `http` and `rest`, which refuse it."},
		"throttle_rate_limit": schema.Float64Attribute{Optional: true, Computed: true,
			Validators: []validator.Float64{float64validator.AtLeast(0)},
			MarkdownDescription: fmt.Sprintf("`http` and `rest`: requests per second the stage allows, steady. Default %d. Refused with "+
				"`function_url`, which has no throttling (use `reserved_concurrency`); null there.", defaultThrottleRate)},
		"throttle_burst_limit": schema.Int64Attribute{Optional: true, Computed: true,
			Validators: []validator.Int64{int64validator.AtLeast(0)},
			MarkdownDescription: fmt.Sprintf("`http` and `rest`: requests the stage allows in a burst. Default %d. Refused with "+
				"`function_url`; null there.", defaultThrottleBurst)},
		"jwt_authorizer": schema.SingleNestedAttribute{Optional: true,
			PlanModifiers: []planmodifier.Object{objectplanmodifier.RequiresReplaceIf(authorizerToggled,
				"Adding or removing the authorizer replaces the issuer.", "Adding or removing the authorizer replaces the issuer.")},
			Attributes: map[string]schema.Attribute{
				"issuer": schema.StringAttribute{Required: true, MarkdownDescription: "The identity provider's issuer URL (`iss`)."},
				"audiences": schema.ListAttribute{Required: true, ElementType: types.StringType,
					Validators: []validator.List{listvalidator.SizeAtLeast(1)}, MarkdownDescription: "Accepted audiences (`aud`)."},
			},
			MarkdownDescription: "`http`: a JWT authorizer on the GET and POST routes, with `settings.auth = \"authorizer\"` (`\"none\"` " +
				"is refused: the issuer would mint for anyone a route without the authorizer let through). " +
				"Its issuer and audiences change in place; adding or removing it replaces the issuer."},
		"rest_authorization": schema.StringAttribute{Optional: true, Computed: true,
			Validators: []validator.String{stringvalidator.OneOf(restAuthNone, restAuthIAM, restAuthCognito)},
			MarkdownDescription: "`rest`: the authorization of the GET and POST methods (OPTIONS, the CORS preflight browsers send without " +
				"credentials, stays `NONE`): `NONE` (default; the issuer's `settings.auth` decides), `AWS_IAM` (SigV4-signed callers whose " +
				"IAM policy allows execute-api:Invoke) or `COGNITO_USER_POOLS` (an ID or access token of one of `rest_cognito_user_pool_arns` " +
				"in the `Authorization` header, checked by a Cognito authorizer). Changes in place, with a new deployment of the stage. " +
				"Null with `http` and `function_url`, which refuse it."},
		"rest_cognito_user_pool_arns": schema.SetAttribute{Optional: true, ElementType: types.StringType,
			Validators: []validator.Set{setvalidator.SizeAtLeast(1), setvalidator.ValueStringsAre(
				stringvalidator.RegexMatches(cognitoPoolARNRE, "must be a Cognito user pool ARN (arn:aws:cognito-idp:<region>:<account>:userpool/<id>)"))},
			MarkdownDescription: "`rest` with `rest_authorization = \"COGNITO_USER_POOLS\"` (and only then): the ARNs of the Cognito user pools " +
				"whose tokens the authorizer accepts. Changes in place."},
		"rest_api_key_required": schema.BoolAttribute{Optional: true, Computed: true,
			MarkdownDescription: "`rest`: the GET and POST methods require an API key (`x-api-key` header). The issuer then also manages an " +
				"API key (its value generated by AWS), a usage plan on the stage with the stage's throttling, and the key's place in the plan, " +
				"and deletes them when this is turned off or on destroy. Default `false`. Changes in place. Null with `http` and " +
				"`function_url`, which refuse it."},
		"rest_api_key_id": schema.StringAttribute{Computed: true,
			MarkdownDescription: "`rest` with `rest_api_key_required`: the id of the API key the issuer manages."},
		"rest_api_key_value": schema.StringAttribute{Computed: true, Sensitive: true,
			MarkdownDescription: "`rest` with `rest_api_key_required`: the API key, for the player's backend to send as `x-api-key`. It is a " +
				"credential, and it is stored in the Terraform state in plain text (as `aws_api_gateway_api_key`'s value is): protect the state."},
		"settings":       settingsSchema(),
		"invoke_url":     computed("The URL callers use: the HTTP API's endpoint or the function URL."),
		"function_arn":   computed("ARN of the Lambda function."),
		"role_arn":       computed("ARN of the function's IAM role."),
		"api_id":         computed("`http` and `rest`: the API's id."),
		"stage_name":     computed("`http`: `$default`; `rest`: `live`."),
		"log_group_name": computed("The function's log group."),
		"source_code_hash": schema.StringAttribute{Computed: true,
			MarkdownDescription: "Base64 SHA-256 of the deployed package, as Lambda reports it; a package replaced outside Terraform shows as a change."},
		"grant_id":      computed("The KMS grants that let the role decrypt the ring, the HS256 key and the origin secret, one per purpose under the function's encryption context: their ids, comma-separated."),
		"permission_id": schema.StringAttribute{Computed: true, MarkdownDescription: "Sid of the function policy statement that lets the API invoke it (none for a function URL with `AWS_IAM`)."},
		"drift": schema.ListAttribute{Computed: true, ElementType: types.StringType,
			MarkdownDescription: "What the last refresh found changed outside Terraform in what the issuer owns and that no other " +
				"attribute shows: the role's trust policy, inline policies, attached managed policies and a permissions boundary other " +
				"than `permissions_boundary`, the " +
				"function's role and environment (each variable removed, changed or added, by name only: never a value), and " +
				"the authorization of each HTTP API route, and the admin routes (one missing, or left after the settings that make " +
				"them were removed; a REST API's are read only while on). Empty when all is as the provider made it; otherwise the plan shows it " +
				"going back to empty, and the apply puts each back."},
	}
	attrs["timeouts"] = timeouts.Attributes(ctx, timeouts.Opts{Create: true, Read: true, Update: true, Delete: true})
	maps.Copy(attrs, issuerExtraSchema())
	attrs["access_log"] = accessLogSchema()
	for _, s := range sealedSettings {
		what := map[string]string{"jwt_hs256_key_wo": //nolint:gosec // descriptions, not credentials
		"The HS256 key of `settings.auth = \"jwt\"` (at least 32 bytes)",
			"origin_secret_wo": "The value of `settings.origin_secret_header` that CloudFront adds (at least 16 bytes)"}[s.wo]
		attrs[s.wo] = schema.StringAttribute{Optional: true, WriteOnly: true, Sensitive: true,
			Validators: []validator.String{stringvalidator.LengthAtLeast(s.minBytes), stringvalidator.AlsoRequires(path.MatchRoot(s.version()))},
			MarkdownDescription: what + ". Write-only: never in the plan or state; the provider encrypts it with KMS (encryption context " +
				"`LambdaFunctionName` and `Purpose` = `" + sealPurpose(s) + "`) into `" + s.env + "`. Needs `" + s.version() + "`."}
		attrs[s.version()] = schema.Int64Attribute{Optional: true, Validators: []validator.Int64{int64validator.AtLeast(1)},
			MarkdownDescription: "Version of `" + s.wo + "`; change it to encrypt the current value again. It is not in AWS: an " +
				"import reads it as 1 when the function has the secret, so that a configuration with version 1 keeps that secret."}
		attrs[s.ciphertext()] = schema.StringAttribute{Computed: true, Sensitive: true,
			MarkdownDescription: "`" + s.wo + "` encrypted with KMS, as in the function's environment."}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "The stream key issuer, deployed: a Lambda function running the issuer built into the provider, its " +
			"least-privilege IAM role, a KMS grant to open the key ring, its log group, and an HTTP API, a function URL or a REST API " +
			"(with its authorizer, API key and usage plan) in front. " +
			"Every object is in the state and removed on destroy.",
		Version:    1, // 1: key_ring (issuer_upgrade.go)
		Attributes: attrs,
	}
}

// authorizerToggled: adding or removing the authorizer changes every
// route, so the issuer is replaced; its settings change in place.
func authorizerToggled(_ context.Context, req planmodifier.ObjectRequest, resp *objectplanmodifier.RequiresReplaceIfFuncResponse) {
	resp.RequiresReplace = !req.State.Raw.IsNull() && req.StateValue.IsNull() != req.PlanValue.IsNull()
}

// stringElems are the known strings of a list or set of strings.
func stringElems(v interface{ Elements() []attr.Value }) []string {
	var out []string
	for _, e := range v.Elements() {
		if s, ok := e.(types.String); ok && !s.IsNull() && !s.IsUnknown() {
			out = append(out, s.ValueString())
		}
	}
	return out
}

// int32Of is an Int64 attribute as the SDK's int32; the schema's
// validators bound every such attribute far inside int32's range.
func int32Of(v types.Int64) int32 {
	return int32(min(max(v.ValueInt64(), math.MinInt32), math.MaxInt32)) //nolint:gosec // clamped just here
}
