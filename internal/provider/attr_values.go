package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// str is v's value, or def when v is null or unknown.
func str(v types.String, def string) string {
	if v.IsNull() || v.IsUnknown() {
		return def
	}
	return v.ValueString()
}

// boolOr is v's value, or def when v is null or unknown.
func boolOr(v types.Bool, def bool) bool {
	if v.IsNull() || v.IsUnknown() {
		return def
	}
	return v.ValueBool()
}

// optional is s, or null when it is empty.
func optional(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}
