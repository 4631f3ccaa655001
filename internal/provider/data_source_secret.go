package provider

import (
	"context"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/securestream/terraform-provider-securestream/internal/diagnostics"
)

var _ datasource.DataSourceWithConfigValidators = (*secretDataSource)(nil)

// NewSecretDataSource is data "securestream_secret".
func NewSecretDataSource() datasource.DataSource { return &secretDataSource{} }

type secretDataSource struct{ dataSourceBase }

type secretDataModel struct {
	FunctionName types.String `tfsdk:"function_name"`
	KMSKeyID     types.String `tfsdk:"kms_key_id"`
	ID           types.String `tfsdk:"id"`
	KMSKeyARN    types.String `tfsdk:"kms_key_arn"`
	KeyState     types.String `tfsdk:"key_state"`
	Alias        types.String `tfsdk:"alias"`
	Keys         types.List   `tfsdk:"keys"`
	NewestKeyID  types.String `tfsdk:"newest_key_id"`
	KeyRing      types.Object `tfsdk:"key_ring"`
}

func (d *secretDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_secret"
}

func (d *secretDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A key ring that exists (made by a `securestream_secret` resource, in this or another workspace), read " +
			"from AWS without its state: the KMS key's ARN, for IAM and key policies, and the ids of the ring's keys, for rotation " +
			"monitoring.\n\n" +
			"With `function_name`, the ring read is the one the issuer runs with: its function's `" + envKeyring + "`, decrypted " +
			"in memory with the encryption context `LambdaFunctionName` = `function_name`, under the function's `" + envKMSKeyID +
			"` (or `kms_key_id` when set). Key ids and creation times are output, and the ring as `key_ring` (its KMS ciphertext, " +
			"which only the key policy's principals can decrypt): no key reaches the state. The ring is the deployed one: after a rotation it lists the new key once the issuer has been applied. " +
			"With `kms_key_id` alone, only the KMS key is read.\n\n" +
			"Permissions: `kms:DescribeKey` and `kms:ListAliases`; with `function_name` also `lambda:GetFunction`, and `kms:Decrypt` " +
			"on the key with the encryption context `LambdaFunctionName` = the function name, `Purpose` = `key-ring` (a key " +
			"`securestream_secret` creates allows it to the identity that applied it, and to the roles in `decrypt_role_arns`).",
		Attributes: map[string]schema.Attribute{
			"function_name": issuerFunctionName(false, "Name of the issuer's Lambda function (a `securestream_issuer`'s), whose key ring is read. "+
				"At least one of `function_name` and `kms_key_id` is required."),
			"kms_key_id": schema.StringAttribute{Optional: true,
				MarkdownDescription: "The KMS key (id, ARN, alias name or alias ARN), in the provider's region. Defaults to the " +
					"function's `" + envKMSKeyID + "`; when both are given, the ring must decrypt under this key."},
			"id":          computedString("The KMS key's id."),
			"kms_key_arn": computedString("ARN of the KMS key."),
			"key_state":   computedString("The KMS key's state, such as `Enabled` or `PendingDeletion`: the ring opens only under an `Enabled` key."),
			"alias":       computedString("The key's alias (the first in name order, when it has several; not AWS's own `alias/aws/...`); null when it has none."),
			"keys": schema.ListNestedAttribute{Computed: true,
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"kid":     computedString("The key id, which every token it signs carries."),
					"created": computedString("When the key was made (RFC 3339); the seed key's is 1970-01-01T00:00:00Z."),
					"seed":    schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether this is the original deployment's secret."},
				}},
				MarkdownDescription: "`function_name`: the keys of the ring, oldest first, as the resource's `keys`. No secret. Null without `function_name`."},
			"newest_key_id": computedString("`function_name`: id of the newest key (which the issuer signs with once it is `activation_delay` old). Null without `function_name`."),
			"key_ring": schema.SingleNestedAttribute{Computed: true,
				Attributes: map[string]schema.Attribute{
					"ciphertext":    computedString("The ring's KMS ciphertext: the function's `" + envKeyring + "`."),
					"kms_key_id":    computedString("The KMS key the ring is encrypted under, as its ARN: `kms_key_arn`."),
					"function_name": computedString("The issuer's function name the ring is encrypted for: `function_name`."),
				},
				MarkdownDescription: "`function_name`: the deployed key ring as its consumers take it, " +
					"`key_ring = data.securestream_secret.<name>.key_ring` (as the resource's `key_ring`). Null without `function_name`."},
		},
	}
}

func (d *secretDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{datasourcevalidator.AtLeastOneOf(path.MatchRoot("function_name"), path.MatchRoot("kms_key_id"))}
}

func (d *secretDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	readDataSource(ctx, &d.providerData, req, resp, func(m *secretDataModel) diag.Diagnostics { return d.read(ctx, m) })
}

func (d *secretDataSource) read(ctx context.Context, m *secretDataModel) diag.Diagnostics {
	var diags diag.Diagnostics
	fn := m.FunctionName.ValueString()
	keyID, keyAt := m.KMSKeyID.ValueString(), path.Root("kms_key_id")
	var ciphertext string
	if fn != "" {
		out, fnDiags := getIssuerFunction(ctx, d.clients, "securestream_secret", fn)
		if diags.Append(fnDiags...); diags.HasError() {
			return diags
		}
		var env map[string]string
		if out.Configuration.Environment != nil {
			env = out.Configuration.Environment.Variables
		}
		ciphertext = env[envKeyring]
		if ciphertext == "" {
			diags.AddAttributeError(path.Root("function_name"), "No key ring in "+fn,
				"data source securestream_secret: the function's environment has no "+envKeyring+" (lambda:GetFunction). Apply its "+
					"securestream_issuer, which puts the ring there, or read the key alone with kms_key_id.")
			return diags
		}
		if keyID == "" {
			keyID, keyAt = env[envKMSKeyID], path.Root("function_name")
		}
		if keyID == "" {
			diags.AddAttributeError(path.Root("function_name"), "No KMS key named in "+fn,
				"data source securestream_secret: the function's environment has no "+envKMSKeyID+". Apply its securestream_issuer, "+
					"or set kms_key_id to the ring's key.")
			return diags
		}
	}

	key, err := d.clients.KMS.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(keyID)})
	if err != nil {
		diags.Append(diagnostics.AttributeAWSCall(keyAt, "kms:DescribeKey (data source securestream_secret)", err,
			"The key "+keyID+" must exist in "+d.clients.Config.Region+", and the provider's credentials need kms:DescribeKey on it."))
		return diags
	}
	if key.KeyMetadata == nil {
		diags.Append(diagnostics.NoAnswer("kms:DescribeKey (data source securestream_secret)", "key metadata for "+keyID))
		return diags
	}
	km := key.KeyMetadata
	m.ID, m.KMSKeyARN, m.KeyState = types.StringPointerValue(km.KeyId), types.StringPointerValue(km.Arn), types.StringValue(string(km.KeyState))
	alias, aliasDiags := d.alias(ctx, aws.ToString(km.KeyId))
	if diags.Append(aliasDiags...); diags.HasError() {
		return diags
	}
	m.Alias = alias

	m.Keys, m.NewestKeyID, m.KeyRing = types.ListNull(keyObjectType), types.StringNull(), types.ObjectNull(keyRingAttrTypes)
	if fn != "" {
		// Under the key's ARN, so that Decrypt refuses a ring sealed under
		// another key than the one output.
		doc, ringDiags := decryptRing(ctx, d.clients, ciphertext, fn, aws.ToString(km.Arn))
		if diags.Append(ringDiagsOnFunction(ringDiags, fn)...); diags.HasError() {
			return diags
		}
		// keyList and Newest give ids and times only: the key material
		// stays in this function's memory.
		list, listDiags := keyList(doc.Keys, false)
		if diags.Append(listDiags...); diags.HasError() {
			return diags
		}
		m.Keys = list
		m.KeyRing = keyRingValue(types.StringValue(ciphertext), m.KMSKeyARN, m.FunctionName)
		if newest, ok := doc.Newest(); ok {
			m.NewestKeyID = types.StringValue(newest.ID)
		}
	}
	return diags
}

// alias is the key's customer alias, the first in name order; null when
// it has none.
func (d *secretDataSource) alias(ctx context.Context, keyID string) (types.String, diag.Diagnostics) {
	var diags diag.Diagnostics
	var names []string
	p := kms.NewListAliasesPaginator(d.clients.KMS, &kms.ListAliasesInput{KeyId: aws.String(keyID)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if awsFailed(&diags, err, "kms:ListAliases (data source securestream_secret)", "The provider's credentials need kms:ListAliases.") {
			return types.StringNull(), diags
		}
		for _, a := range page.Aliases {
			// Filtered here too: an endpoint may ignore KeyId.
			if n := aws.ToString(a.AliasName); aws.ToString(a.TargetKeyId) == keyID && !strings.HasPrefix(n, "alias/aws/") {
				names = append(names, n)
			}
		}
	}
	if len(names) == 0 {
		return types.StringNull(), diags
	}
	return types.StringValue(slices.Min(names)), diags
}

// ringDiagsOnFunction moves decryptRing's diagnostics, which point at a
// ciphertext argument this data source does not have, to function_name,
// whose environment held the ring.
func ringDiagsOnFunction(diags diag.Diagnostics, fn string) diag.Diagnostics {
	var out diag.Diagnostics
	for _, d := range diags {
		detail := "data source securestream_secret, the key ring in " + envKeyring + " of " + fn + ": " + d.Detail()
		if d.Severity() == diag.SeverityError {
			out.AddAttributeError(path.Root("function_name"), d.Summary(), detail)
		} else {
			out.AddAttributeWarning(path.Root("function_name"), d.Summary(), detail)
		}
	}
	return out
}
