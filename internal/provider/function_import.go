package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// ImportState takes the function's name.
func (r *functionResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	for _, p := range []string{"id", "name"} {
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root(p), req.ID)...)
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("association"), types.ListValueMust(associationType, nil))...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("publish"), true)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("wait_for_deployment"), false)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("deployment_status"), types.StringNull())...)
}
