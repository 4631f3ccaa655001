package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/securestream/terraform-provider-securestream/internal/issuance"
	"github.com/securestream/terraform-provider-securestream/internal/keyring"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

// textValidator checks that a string parses: check returns why it does
// not, and want says what was expected.
type textValidator struct {
	want  string
	check func(string) error
}

var (
	durationValidator = textValidator{want: "a duration between 0 and " + shortDuration(keyring.MaxActivationDelay) + ", such as 10m or 1h30m", check: func(s string) error {
		d, err := time.ParseDuration(s)
		if err == nil && (d < 0 || d > keyring.MaxActivationDelay) {
			err = fmt.Errorf("%v is out of range", d)
		}
		return err
	}}
	// lifetimeValidator: the issuer's SECURESTREAM_MAX_TTL range; the edge
	// function refuses longer-lived keys by default.
	lifetimeValidator = textValidator{want: "a whole number of seconds between 1m and 24h, such as 12h or 90m", check: func(s string) error {
		d, err := time.ParseDuration(s)
		if err == nil && (d < time.Minute || d > streamkey.DefaultMaxLifetime || d%time.Second != 0) {
			err = fmt.Errorf("%v is out of range", d)
		}
		return err
	}}
	// pathPrefixValidator: a directory the issuer can sign a prefix key
	// for (an unsafe prefix would match no path at all).
	pathPrefixValidator = textValidator{want: "a path that starts and ends with / and has no dot segments, \"//\", '*' or encoded slashes", check: func(s string) error {
		if !strings.HasPrefix(s, "/") || !strings.HasSuffix(s, "/") || strings.Contains(s, "*") || !streamkey.SafePath(s) {
			return errors.New("not a safe directory path")
		}
		return nil
	}}
)

func (v textValidator) Description(context.Context) string { return v.want }

func (v textValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v textValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := v.check(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid value",
			fmt.Sprintf("%q is not %s (%v).", req.ConfigValue.ValueString(), v.want, err))
	}
}

// channelValidator checks a channel name (token_header, ...) by the rule
// every channel name follows, issuance.Channel.Normalize.
type channelValidator issuance.Channel

func (v channelValidator) Description(context.Context) string {
	return "must be " + issuance.Channel(v).Rule()
}

func (v channelValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v channelValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := issuance.Channel(v).Normalize(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid value", err.Error()+".")
	}
}
