package provider

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/securestream/terraform-provider-securestream/internal/awsclients"
	"github.com/securestream/terraform-provider-securestream/internal/diagnostics"
)

// ValidateConfig reports what is wrong with the provider's settings without
// calling AWS, so that terraform validate and plan show it on the argument
// at fault. Values not known yet are left for Configure.
func (p *securestreamProvider) ValidateConfig(ctx context.Context, req provider.ValidateConfigRequest, resp *provider.ValidateConfigResponse) {
	var m providerModel
	// A block whose contents are not known yet (a dynamic block) cannot
	// be read here; Configure reports it.
	if diags := req.Config.Get(ctx, &m); diags.HasError() {
		return
	}
	resp.Diagnostics.Append(m.validate()...)
}

func (m *providerModel) validate() diag.Diagnostics {
	var diags diag.Diagnostics
	known := func(v types.String) bool { return !v.IsNull() && !v.IsUnknown() }
	if !m.AccessKey.IsUnknown() && !m.SecretKey.IsUnknown() && m.AccessKey.IsNull() != m.SecretKey.IsNull() {
		given, missing := "access_key", "secret_key"
		if m.AccessKey.IsNull() {
			given, missing = missing, given
		}
		diags.Append(diagnostics.Setting(path.Root(missing), string(awsclients.ProblemIncompleteKeys), awsclients.IncompleteKeys(given, missing)))
	}
	if known(m.Region) {
		if err := awsclients.CheckRegion(m.Region.ValueString()); err != nil {
			diags.Append(diagnostics.Setting(path.Root("region"), "Invalid AWS region", err.Error()+"."))
		}
	}
	endpoints := map[string]types.String{"endpoint": m.Endpoint}
	if e := m.Endpoints; e != nil {
		for svc, v := range e.byService() {
			endpoints["endpoints."+svc] = v
		}
	}
	for setting, v := range endpoints {
		if known(v) {
			if err := awsclients.CheckEndpoint(v.ValueString()); err != nil {
				diags.Append(diagnostics.Setting(settingPath(setting), string(awsclients.ProblemEndpoint), err.Error()+"."))
			}
		}
	}
	if a := m.AssumeRole; a != nil {
		rolePath := path.Root("assume_role").AtName("role_arn")
		switch {
		case a.RoleARN.IsNull():
			diags.Append(diagnostics.Setting(rolePath, "Missing IAM role ARN",
				"assume_role needs role_arn, the ARN of the role to assume; remove the block to use the base credentials."))
		case known(a.RoleARN):
			if err := awsclients.CheckRoleARN(a.RoleARN.ValueString()); err != nil {
				diags.Append(diagnostics.Setting(rolePath, "Invalid IAM role ARN", err.Error()+"."))
			}
		}
	}
	if t := m.DefaultTags; t != nil && !t.Tags.IsNull() && !t.Tags.IsUnknown() {
		for k, v := range t.Tags.Elements() {
			val, _ := v.(types.String)
			if err := checkTag(k, val.ValueString()); err != nil {
				diags.Append(diagnostics.Setting(path.Root("default_tags").AtName("tags").AtMapKey(k), "Invalid default tag", err.Error()))
			}
		}
	}
	return diags
}

// byService are the endpoints by service name, as awsclients names them.
func (e *endpointsModel) byService() map[string]types.String {
	return map[string]types.String{"apigateway": e.APIGateway, "cloudfront": e.CloudFront, "iam": e.IAM, "kms": e.KMS,
		"lambda": e.Lambda, "logs": e.Logs, "sts": e.STS}
}

// checkTag applies the rules AWS's tagging APIs share (KMS's among them).
func checkTag(k, v string) error {
	switch {
	case k == "" || len(k) > 128:
		return fmt.Errorf("tag key %q must have 1 to 128 characters", k)
	case strings.HasPrefix(strings.ToLower(k), "aws:"):
		return fmt.Errorf("tag key %q starts with aws:, which AWS reserves for its own tags", k)
	case len(v) > 256:
		return fmt.Errorf("the value of tag %q has %d characters; AWS allows 256", k, len(v))
	}
	return nil
}

// setupDiagnostic reports why the AWS clients could not be set up, titled
// by the problem and shown on the argument at fault.
func setupDiagnostic(err error) diag.Diagnostic {
	var se *awsclients.SetupError
	if !errors.As(err, &se) {
		return diag.NewErrorDiagnostic("Cannot set up the AWS clients", err.Error())
	}
	return diagnostics.Setting(settingPath(se.Setting), string(se.Problem), se.Error())
}

// settingPath turns a dotted setting name ("assume_role.role_arn") into
// its attribute path; "" is the empty path.
func settingPath(setting string) path.Path {
	if setting == "" {
		return path.Empty()
	}
	parts := strings.Split(setting, ".")
	p := path.Root(parts[0])
	for _, part := range parts[1:] {
		p = p.AtName(part)
	}
	return p
}

// tagsWith is the tags of an AWS object the provider creates: the
// provider's default_tags, then the object's own, which win.
func (pd *providerData) tagsWith(own map[string]string) map[string]string {
	tags := make(map[string]string, len(pd.defaultTags)+len(own))
	maps.Copy(tags, pd.defaultTags)
	maps.Copy(tags, own)
	return tags
}
