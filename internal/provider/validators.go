package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/securestream/terraform-provider-securestream/internal/durationtext"
	"github.com/securestream/terraform-provider-securestream/internal/issuance"
	"github.com/securestream/terraform-provider-securestream/internal/keyring"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

// describedAs is a validator's Description and MarkdownDescription: one
// plain text, which says what the validator wants.
type describedAs string

func (d describedAs) Description(context.Context) string { return string(d) }

func (d describedAs) MarkdownDescription(context.Context) string { return string(d) }

// textValidator checks that a string parses: check returns why it does
// not, and describedAs says what was expected.
type textValidator struct {
	describedAs
	check func(string) error
}

var (
	durationValidator = textValidator{describedAs: describedAs("a duration between 0 and " + durationtext.Short(keyring.MaxActivationDelay) + ", such as 10m or 1h30m"), check: func(s string) error {
		d, err := durationtext.Parse(s)
		if err == nil && (d < 0 || d > keyring.MaxActivationDelay) {
			err = fmt.Errorf("%v is out of range", d)
		}
		return err
	}}
	// lifetimeValidator: the issuer's SECURESTREAM_MAX_TTL range; the edge
	// function refuses longer-lived keys by default.
	lifetimeValidator = textValidator{describedAs: "a whole number of seconds between 1m and 24h, such as 12h or 90m", check: func(s string) error {
		d, err := durationtext.Parse(s)
		if err == nil && (d < time.Minute || d > streamkey.DefaultMaxLifetime || d%time.Second != 0) {
			err = fmt.Errorf("%v is out of range", d)
		}
		return err
	}}
	// ttlValidator: a test key's lifetime, in the token format's whole
	// seconds.
	ttlValidator = textValidator{describedAs: describedAs("a whole number of seconds from 1s to " + durationtext.Short(maxTestKeyLifetime) + " (7 days), such as 15m or 24h"), check: func(s string) error {
		d, err := durationtext.Parse(s)
		if err == nil && (d < time.Second || d > maxTestKeyLifetime || d%time.Second != 0) {
			err = fmt.Errorf("%v is out of range", d)
		}
		return err
	}}
	// pathPrefixValidator: a directory the issuer can sign a prefix key
	// for (an unsafe prefix would match no path at all).
	pathPrefixValidator = textValidator{describedAs: "a path that starts and ends with / and has no dot segments, \"//\", '*' or encoded slashes", check: func(s string) error {
		if !strings.HasPrefix(s, "/") || !strings.HasSuffix(s, "/") || strings.Contains(s, "*") || !streamkey.SafePath(s) {
			return errors.New("not a safe directory path")
		}
		return nil
	}}
)

func (v textValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := v.check(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid value",
			fmt.Sprintf("%q is not %s (%v).", req.ConfigValue.ValueString(), v.describedAs, err))
	}
}

// userAgentValidator refuses control characters in a User-Agent: a header
// cannot carry them, and the curl command line would print them as they
// are (a terminal runs escape sequences).
var userAgentValidator = userAgentRule{"must have no control characters (U+0000 to U+001F, U+007F to U+009F)"}

type userAgentRule struct{ describedAs }

func (userAgentRule) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if i := strings.IndexFunc(req.ConfigValue.ValueString(), unicode.IsControl); i >= 0 {
		r, _ := utf8.DecodeRuneInString(req.ConfigValue.ValueString()[i:])
		resp.Diagnostics.AddAttributeError(req.Path, "Control character in the User-Agent",
			fmt.Sprintf("The User-Agent has the control character %U at byte %d. A request header cannot carry it, and curl's command line "+
				"would print it as it is: remove it (for example with replace(), or use a plain product/version such as smoke-test/1.0).", r, i))
	}
}

// channelValidator checks a channel name (token_header, ...) by the rule
// every channel name follows, issuance.Channel.Normalize; with offOK it
// takes "" as well: the channel switched off.
type channelValidator struct {
	ch    issuance.Channel
	offOK bool
}

func (v channelValidator) Description(context.Context) string {
	if v.offOK {
		return "must be \"\" (off) or " + v.ch.Rule()
	}
	return "must be " + v.ch.Rule()
}

func (v channelValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v channelValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() || (v.offOK && req.ConfigValue.ValueString() == "") {
		return
	}
	checkChannel(v.ch, req, resp)
}

// checkChannel adds one error when the value breaks the channel's rule,
// saying the rule, why for a header name with '_', and a name that would
// do when there is one.
func checkChannel(ch issuance.Channel, req validator.StringRequest, resp *validator.StringResponse) {
	name := req.ConfigValue.ValueString()
	if _, err := ch.Normalize(name); err == nil {
		return
	}
	msg := fmt.Sprintf("%s = %q is not a %s the edge can use: it must be %s.", req.Path, name, ch, ch.Rule())
	if ch == issuance.ChannelHeader {
		if strings.Contains(name, "_") {
			msg += " '_' is refused: CloudFront, like NGINX and other proxies, may drop a header whose name has it, " +
				"and the key would never reach the function."
		}
		fix := strings.ReplaceAll(strings.ToLower(name), "_", "-")
		if _, err := ch.Normalize(fix); err == nil {
			msg += fmt.Sprintf(" Use %q.", fix)
		}
	}
	resp.Diagnostics.AddAttributeError(req.Path, "Invalid "+ch.String(), msg)
}

// stringNotNull refuses a null value where one is not allowed (a map's
// element: rotation_triggers = { a = null } would rotate on nothing).
var stringNotNull = notNullRule{"must not be null"}

type notNullRule struct{ describedAs }

func (notNullRule) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() {
		resp.Diagnostics.AddAttributeError(req.Path, "Null value", "Each value must be a string (null compares as nothing): give it a value or remove the key.")
	}
}
