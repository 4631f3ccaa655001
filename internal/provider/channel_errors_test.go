package provider

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	fwresource "github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	localcf "github.com/securestream/terraform-provider-securestream/internal/local/cloudfront"
)

// Issue 20, item 3: a bad channel name gets one error, saying what the
// name may be and the fix; "" (the channel off) is no error.
func TestChannelErrorsOnePerMistake(t *testing.T) {
	for _, tc := range []struct {
		attr, value string
		want        []string // "" for no error
	}{
		{"token_header", "X_Stream", []string{`token_header = "X_Stream"`, "upper case is lowered", "'_' is refused", `Use "x-stream"`}},
		{"token_header", "x stream", []string{`token_header = "x stream"`, "a-z 0-9 '-'"}},
		{"token_header", "X-Stream", nil},
		{"token_header", "", nil},
		{"token_query", "st/ream", []string{`token_query = "st/ream"`, "A-Z a-z 0-9 _ . ~ -"}},
		{"token_cookie", "", nil},
		{"token_path_prefix", strings.Repeat("p", 33), []string{"token_path_prefix", "1 to 32"}},
	} {
		var diags diag.Diagnostics
		for _, v := range functionCodeAttrs()[tc.attr].str {
			var resp validator.StringResponse
			v.ValidateString(context.Background(), validator.StringRequest{Path: path.Root(tc.attr), ConfigValue: types.StringValue(tc.value)}, &resp)
			diags.Append(resp.Diagnostics...)
		}
		got := summaries(diags)
		t.Log(got)
		if tc.want == nil {
			if diags.HasError() {
				t.Errorf("%s = %q refused: %s", tc.attr, tc.value, got)
			}
			continue
		}
		if diags.ErrorsCount() != 1 {
			t.Errorf("%s = %q: %d errors, want 1:\n%s", tc.attr, tc.value, diags.ErrorsCount(), got)
		}
		if strings.Contains(got, `[""]`) {
			t.Errorf("%s = %q: %s", tc.attr, tc.value, got)
		}
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s = %q: %s\nwant it to say %s", tc.attr, tc.value, got, w)
			}
		}
	}
}

// Issue 20, item 3: a repeated association is one error naming the
// association block and the cache behavior it repeats.
func TestDuplicateAssociation(t *testing.T) {
	var sr fwresource.SchemaResponse
	(&functionResource{}).Schema(context.Background(), fwresource.SchemaRequest{}, &sr)
	block := sr.Schema.Attributes["association"].(schema.ListNestedAttribute)
	assoc := func(dist string, pattern types.String, replace bool) attr.Value {
		return types.ObjectValueMust(associationType.AttrTypes, map[string]attr.Value{"distribution_id": types.StringValue(dist),
			"path_pattern": pattern, "event_type": types.StringValue(viewerRequest), "replace_existing": types.BoolValue(replace)})
	}
	for _, tc := range []struct {
		name  string
		items []attr.Value
		want  []string
	}{
		{"the same default behavior twice", []attr.Value{assoc("E1", types.StringNull(), false), assoc("E2", types.StringNull(), false),
			assoc("E1", types.StringNull(), false)}, []string{"association", "the default cache behavior of distribution E1", "[0] and [2]"}},
		{"the same behavior, replace_existing differs", []attr.Value{assoc("E1", types.StringValue("/vod/*"), false),
			assoc("E1", types.StringValue("/vod/*"), true)}, []string{"association", `"/vod/*"`, "E1"}},
		{"other behaviors", []attr.Value{assoc("E1", types.StringValue("/vod/*"), false), assoc("E1", types.StringNull(), false),
			assoc("E2", types.StringValue("/vod/*"), false)}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var diags diag.Diagnostics
			for _, v := range block.Validators {
				var resp validator.ListResponse
				v.ValidateList(context.Background(), validator.ListRequest{Path: path.Root("association"),
					ConfigValue: types.ListValueMust(associationType, tc.items)}, &resp)
				diags.Append(resp.Diagnostics...)
			}
			got := summaries(diags)
			t.Log(got)
			if tc.want == nil {
				if diags.HasError() {
					t.Errorf("refused: %s", got)
				}
				return
			}
			if diags.ErrorsCount() != 1 || strings.Contains(got, "duplicate values of") {
				t.Errorf("want one clear error, got:\n%s", got)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("%s\nwant it to say %s", got, w)
				}
			}
		})
	}
}

// Issue 20, item 3, through Terraform: a header name with '_' and a
// repeated association are each refused at plan with the error that names
// the argument and the fix.
func TestAccFunction_clearErrors(t *testing.T) {
	e := newCFEnv(t, localcf.Config{})
	fn, issuer := name("edge"), name("issuer")
	dup := assocHCL(assocEntry("E1EXAMPLE", ""), assocEntry("E1EXAMPLE", "", "replace_existing = true"))
	resource.ParallelTest(t, resource.TestCase{ProtoV6ProviderFactories: testAccProtoV6ProviderFactories, Steps: []resource.TestStep{
		{Config: functionConfig(e, fn, issuer, "1", `token_header = "X_Stream"`, ""), PlanOnly: true,
			ExpectError: regexp.MustCompile(`(?s)Invalid header name.*token_header\s+=\s+"X_Stream".*Use\s+"x-stream"`)},
		{Config: functionConfig(e, fn, issuer, "1", "", dup), PlanOnly: true,
			ExpectError: regexp.MustCompile(`(?s)Duplicate association.*associations\s+\[0\]\s+and\s+\[1\]\s+both\s+attach.*distribution\s+E1EXAMPLE`)},
	}})
}
