package provider

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/securestream/terraform-provider-securestream/internal/diagnostics"
)

// operation applies the timeout the resource's timeouts argument gives
// (with the default for when it is unset) and, once the operation ends,
// one error says which timeout to raise when the time ran out.
func TestOperation(t *testing.T) {
	// timeout is a timeouts argument of d; it records the default it got.
	timeout := func(d time.Duration, gotDef *time.Duration, dd ...diag.Diagnostic) func(context.Context, time.Duration) (time.Duration, diag.Diagnostics) {
		return func(_ context.Context, def time.Duration) (time.Duration, diag.Diagnostics) {
			*gotDef = def
			return d, dd
		}
	}
	call := diagnostics.Call{Action: "kms:Encrypt", Fix: "The provider's credentials need kms:Encrypt."}
	for _, tc := range []struct {
		name string
		op   string
		// fail adds what the operation met once its time ran out (ctx
		// has passed its deadline).
		fail        func(ctx context.Context, diags *diag.Diagnostics)
		errors      int      // errors in the end
		wantSummary string   // of the last error
		want        []string // in its detail
	}{
		{"a call ran out of time: its diagnostic names the timeout", "update",
			func(ctx context.Context, diags *diag.Diagnostics) { diags.Append(call.Failed(ctx.Err())) },
			1, "kms:Encrypt failed",
			[]string{"deadline exceeded", "raise timeouts.update in the resource's timeouts argument (timeouts = { update = \"20m\" })"}},
		{"an error once the time ran out: one more says which timeout", "delete",
			func(_ context.Context, diags *diag.Diagnostics) {
				diags.AddError("The key ring is invalid", "not JSON")
			},
			2, "The delete ran out of time",
			[]string{"did not finish within timeouts.delete", "timeouts = { delete = \"...\" }"}},
		{"an error that says which timeout already: no second", "create",
			func(_ context.Context, diags *diag.Diagnostics) {
				diags.AddError("Timed out waiting for the issuer function", "Lambda still reports state Pending; raise timeouts.create or timeouts.update.")
			},
			1, "Timed out waiting for the issuer function",
			[]string{"raise timeouts.create or timeouts.update"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var diags diag.Diagnostics
			var def time.Duration
			ctx, done := operation(context.Background(), tc.op, timeout(time.Nanosecond, &def), 5*time.Minute, &diags)
			if def != 5*time.Minute {
				t.Errorf("the timeouts argument got the default %s; want 5m", def)
			}
			<-ctx.Done()
			tc.fail(ctx, &diags)
			done()
			errs := diags.Errors()
			if len(errs) != tc.errors {
				t.Fatalf("%d errors; want %d: %s", len(errs), tc.errors, summaries(diags))
			}
			d := errs[len(errs)-1]
			if d.Summary() != tc.wantSummary {
				t.Errorf("summary %q; want %q", d.Summary(), tc.wantSummary)
			}
			for _, w := range tc.want {
				if !strings.Contains(d.Detail(), w) {
					t.Errorf("the detail does not say %q: %s", w, d.Detail())
				}
			}
		})
	}

	t.Run("an error within the time: nothing added, and done ends ctx", func(t *testing.T) {
		var diags diag.Diagnostics
		var def time.Duration
		ctx, done := operation(context.Background(), "read", timeout(time.Hour, &def), 2*time.Minute, &diags)
		diags.AddError("kms:DescribeKey failed", "AccessDenied")
		done()
		if len(diags) != 1 {
			t.Errorf("%d diagnostics; want the one error: %s", len(diags), summaries(diags))
		}
		if !errors.Is(ctx.Err(), context.Canceled) {
			t.Errorf("after done, ctx.Err() = %v; want context.Canceled", ctx.Err())
		}
	})

	t.Run("an invalid timeouts argument is reported", func(t *testing.T) {
		var diags diag.Diagnostics
		var def time.Duration
		bad := diag.NewErrorDiagnostic("Timeout Cannot Be Parsed", "timeouts.create")
		_, done := operation(context.Background(), "create", timeout(time.Minute, &def, bad), time.Minute, &diags)
		done()
		if len(diags) != 1 || !diags[0].Equal(bad) {
			t.Errorf("diagnostics %s; want the timeouts argument's", summaries(diags))
		}
	})
}
