package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/securestream/terraform-provider-securestream/internal/diagnostics"
)

// The default timeouts: each operation makes a handful of KMS calls, each
// bounded by the provider's call timeouts.
const (
	defaultCreateTimeout = 5 * time.Minute
	defaultReadTimeout   = 2 * time.Minute
	defaultUpdateTimeout = 5 * time.Minute
	defaultDeleteTimeout = 5 * time.Minute
)

// operation bounds ctx by the timeout of a resource's op ("create", "read",
// "update" or "delete"): get reads it from the resource's timeouts argument,
// def when unset. The caller defers done, which says in diags, when the
// time ran out, which timeout to raise (ranOutOfTime), then ends ctx.
func operation(ctx context.Context, op string, get func(context.Context, time.Duration) (time.Duration, diag.Diagnostics),
	def time.Duration, diags *diag.Diagnostics) (_ context.Context, done func()) {
	d, dd := get(ctx, def)
	diags.Append(dd...)
	ctx, cancel := context.WithTimeout(ctx, d)
	return ctx, func() {
		// Before cancel: cancelled first, a deadline just passed may read as a cancel.
		ranOutOfTime(ctx, op, diags)
		cancel()
	}
}

// ranOutOfTime names timeouts.<op> in the diagnostics of the calls that
// ran out of ctx's time, or, when none says so, adds to errors met once
// ctx's deadline passed which timeout to raise: one diagnostic says it.
func ranOutOfTime(ctx context.Context, op string, diags *diag.Diagnostics) {
	if diagnostics.NameTimeout(*diags, op) || !diags.HasError() || !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return
	}
	for _, d := range diags.Errors() {
		// Some waits say it themselves (the issuer's Lambda waits, a
		// revocation list still in use).
		if strings.Contains(d.Detail(), "raise timeouts.") {
			return
		}
	}
	diags.AddError("The "+op+" ran out of time",
		fmt.Sprintf("The operation did not finish within timeouts.%s: raise it in the resource's timeouts argument (timeouts = { %s = \"...\" }), then apply again "+
			"(what was done is in the state; the next apply carries on).", op, op))
}
