package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"

	"github.com/securestream/terraform-provider-securestream/internal/awsclients"
)

// failingPart is a request part whose Get fails with summary.
type failingPart struct{ summary string }

func (f failingPart) Get(context.Context, any) diag.Diagnostics {
	return diag.Diagnostics{diag.NewErrorDiagnostic(f.summary, "")}
}

// load refuses a call before the provider is configured without reading
// the request; configured, it reads every part and reports each failure
// (an Update's plan and state both).
func TestLoad(t *testing.T) {
	ctx := context.Background()
	var diags diag.Diagnostics
	if (&providerData{}).load(ctx, &diags, decode{failingPart{"plan"}, nil}) || diags.ErrorsCount() != 1 ||
		diags[0].Summary() != "The provider is not configured" {
		t.Errorf("unconfigured: %v", diags)
	}
	diags = nil
	pd := &providerData{clients: &awsclients.Clients{}}
	if pd.load(ctx, &diags, decode{failingPart{"plan"}, nil}, decode{failingPart{"state"}, nil}) || diags.ErrorsCount() != 2 {
		t.Errorf("configured, two failing parts: %v", diags)
	}
	diags = nil
	if !pd.load(ctx, &diags) || diags.HasError() {
		t.Errorf("configured, nothing to read: %v", diags)
	}
}

// Every resource's Create, Read, Update and Delete, and the Read of each
// data source that reads AWS (readDataSource), refuse a call before the
// provider is configured (through load), before they read the request.
// (The stream key reads its arguments first: resolving them needs no AWS
// call.)
func TestCRUDRefusesBeforeConfigure(t *testing.T) {
	checked := 0
	for _, v := range registeredTypes() {
		var ops []string
		switch v.(type) {
		case resource.Resource:
			ops = []string{"Create", "Read", "Update", "Delete"}
		case *issuerDataSource, *secretDataSource, *functionCodeDataSource:
			ops = []string{"Read"}
		default:
			continue
		}
		for _, op := range ops {
			if d := responseDiags(callMethod(v, op, nil)); d.ErrorsCount() != 1 || d[0].Summary() != "The provider is not configured" {
				t.Errorf("%T.%s: %v", v, op, d)
			}
		}
		checked++
	}
	if checked != 7 {
		t.Errorf("checked %d types; want the 4 resources and the 3 data sources that read AWS", checked)
	}
}
