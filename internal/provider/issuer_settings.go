package provider

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/securestream/terraform-provider-securestream/internal/issuer/config"
)

// The issuer's settings are securestream_issuer's `settings` attribute:
// one attribute per variable of config.Variables, named after it
// (SECURESTREAM_JWT_ISSUER is jwt_issuer) and typed by its kind, so that the
// table the issuer reads is the one Terraform validates and documents. A setting left out
// is a variable left unset: the issuer's own default applies.

const envPrefix = "SECURESTREAM_"

// Variables the resource sets itself rather than from settings.
var (
	envKeyring  = envPrefix + "KEYRING"
	envKMSKeyID = envPrefix + "KMS_KEY_ID"
	// envTokenFormat is the issuer's token format, which a function
	// imported by the issuer's name takes as its token_format.
	envTokenFormat = envPrefix + "TOKEN_FORMAT"
	// sealedSettings are secrets: write-only arguments the provider
	// encrypts with KMS before they reach the environment.
	sealedSettings = []sealedSetting{
		{wo: "jwt_hs256_key_wo", env: envPrefix + "JWT_HS256_KEY", minBytes: 32},
		{wo: "origin_secret_wo", env: envPrefix + "ORIGIN_SECRET", minBytes: 16},
	}
)

// sealedSetting is a secret variable: its write-only argument, whose
// version (wo + "_version") says when to encrypt it again, and the
// computed ciphertext (wo with "_wo" replaced by "_ciphertext").
type sealedSetting struct {
	wo, env  string
	minBytes int
}

func (s sealedSetting) version() string    { return s.wo + "_version" }
func (s sealedSetting) ciphertext() string { return strings.TrimSuffix(s.wo, "_wo") + "_ciphertext" }

// setting is one attribute of settings.
type setting struct {
	attr string // jwt_issuer
	v    config.Variable
}

// form is how a setting is written in Terraform: a list of strings for a
// comma-separated list, a bool, or a string for the other kinds.
type form int

const (
	formString form = iota
	formBool
	formList
)

func (s setting) form() form {
	switch s.v.Kind {
	case config.KindString, config.KindDuration:
		return formString
	case config.KindBool:
		return formBool
	case config.KindList:
		return formList
	}
	panic("provider: " + s.v.Name + " has a kind settings cannot write: " + s.v.Kind.String())
}

// issuerSettings are the settings, in the order of config.Variables.
var issuerSettings = func() []setting {
	var out []setting
	for _, v := range config.Variables {
		if v.Name == envKeyring || v.Name == envKMSKeyID || sealedEnv(v.Name) {
			continue
		}
		out = append(out, setting{attr: strings.ToLower(strings.TrimPrefix(v.Name, envPrefix)), v: v})
	}
	return out
}()

func sealedEnv(name string) bool {
	for _, s := range sealedSettings {
		if s.env == name {
			return true
		}
	}
	return false
}

func (s setting) attrType() attr.Type {
	switch s.form() {
	case formList:
		return types.ListType{ElemType: types.StringType}
	case formBool:
		return types.BoolType
	}
	return types.StringType
}

func settingsAttrTypes() map[string]attr.Type {
	out := map[string]attr.Type{}
	for _, s := range issuerSettings {
		out[s.attr] = s.attrType()
	}
	return out
}

// settingsSchema is the settings attribute, documented from the table.
func settingsSchema() schema.SingleNestedAttribute {
	attrs := map[string]schema.Attribute{}
	for _, s := range issuerSettings {
		doc := s.v.Meaning + " (`" + s.v.Name + "`"
		if d := s.v.Default; d != "" {
			doc += "; default `" + d + "`"
		}
		doc += ".)"
		opt, req := !s.v.Required, s.v.Required
		switch s.form() {
		case formList:
			attrs[s.attr] = schema.ListAttribute{Optional: opt, Required: req, ElementType: types.StringType, MarkdownDescription: doc,
				Validators: []validator.List{listvalidator.SizeAtLeast(1), listvalidator.ValueStringsAre(
					stringvalidator.LengthAtLeast(1), stringvalidator.NoneOf(","))}}
		case formBool:
			attrs[s.attr] = schema.BoolAttribute{Optional: opt, Required: req, MarkdownDescription: doc}
		default:
			vs := []validator.String{stringvalidator.LengthAtLeast(1)}
			if len(s.v.OneOf) > 0 {
				vs = append(vs, stringvalidator.OneOf(s.v.OneOf...))
			}
			attrs[s.attr] = schema.StringAttribute{Optional: opt, Required: req, MarkdownDescription: doc, Validators: vs}
		}
	}
	return schema.SingleNestedAttribute{Required: true, Attributes: attrs,
		MarkdownDescription: "The issuer's settings, each one of its environment variables (see the issuer guide). A setting " +
			"left out is unset, and the issuer's default applies. The whole is checked at plan as the issuer checks it when it starts."}
}

// settingsEnv writes settings as environment variables; known is false
// when a value is not known yet.
func settingsEnv(ctx context.Context, o types.Object) (env map[string]string, known bool, diags diag.Diagnostics) {
	env = map[string]string{}
	if o.IsUnknown() {
		return env, false, nil
	}
	if o.IsNull() {
		return env, true, nil
	}
	known = true
	values := o.Attributes()
	for _, s := range issuerSettings {
		v := values[s.attr]
		if v == nil || v.IsNull() {
			continue
		}
		if v.IsUnknown() {
			known = false
			continue
		}
		switch tv := v.(type) {
		case types.String:
			env[s.v.Name] = tv.ValueString()
		case types.Bool:
			env[s.v.Name] = strconv.FormatBool(tv.ValueBool())
		case types.List:
			var items []string
			diags.Append(tv.ElementsAs(ctx, &items, true)...)
			if tv.IsUnknown() || containsUnknown(tv) {
				known = false
			}
			env[s.v.Name] = strings.Join(items, ",")
		}
	}
	return env, known, diags
}

func containsUnknown(l types.List) bool {
	for _, e := range l.Elements() {
		if e.IsUnknown() {
			return true
		}
	}
	return false
}

// settingsFromEnv reads settings back from a Lambda environment: the
// import and the drift check.
func settingsFromEnv(env map[string]string) (types.Object, diag.Diagnostics) {
	values := map[string]attr.Value{}
	for _, s := range issuerSettings {
		raw, ok := env[s.v.Name]
		switch s.form() {
		case formList:
			if !ok {
				values[s.attr] = types.ListNull(types.StringType)
				continue
			}
			items := strings.Split(raw, ",")
			for i := range items {
				items[i] = strings.TrimSpace(items[i])
			}
			values[s.attr] = stringList(items)
		case formBool:
			b, err := strconv.ParseBool(strings.TrimSpace(raw))
			if !ok || err != nil {
				values[s.attr] = types.BoolNull()
				continue
			}
			values[s.attr] = types.BoolValue(b)
		default:
			if !ok {
				values[s.attr] = types.StringNull()
				continue
			}
			values[s.attr] = types.StringValue(raw)
		}
	}
	return types.ObjectValue(settingsAttrTypes(), values)
}

// argumentOf is the argument of securestream_issuer that sets the
// variable name, as configurations write it (settings.jwt_leeway,
// jwt_hs256_key_wo), and its path; ok is false for a variable no argument
// sets.
func argumentOf(name string) (arg string, at path.Path, ok bool) {
	switch name {
	case envKeyring:
		return "key_ring.ciphertext", keyRingPath.AtName("ciphertext"), true
	case envKMSKeyID:
		return "key_ring.kms_key_id", keyRingPath.AtName("kms_key_id"), true
	}
	for _, s := range sealedSettings {
		if s.env == name {
			return s.wo, path.Root(s.wo), true
		}
	}
	for _, s := range issuerSettings {
		if s.v.Name == name {
			return "settings." + s.attr, path.Root("settings").AtName(s.attr), true
		}
	}
	return "", path.Empty(), false
}

// envNames are variable names in the issuer's messages, with a value
// when they give one (SECURESTREAM_AUTH=jwt).
var envNames = regexp.MustCompile(`SECURESTREAM_[A-Z0-9_]*[A-Z0-9](=[a-z0-9-]+)?`)

// asArguments rewrites the variables an issuer message names as the
// arguments that set them: SECURESTREAM_AUTH=jwt is settings.auth = "jwt".
func asArguments(msg string) string {
	return envNames.ReplaceAllStringFunc(msg, func(m string) string {
		name, value, hasValue := strings.Cut(m, "=")
		arg, _, ok := argumentOf(name)
		switch {
		case !ok:
			return m
		case hasValue && (value == "true" || value == "false") && boolSetting(name):
			return arg + " = " + value // a bool, as the configuration writes it
		case hasValue:
			return arg + " = " + strconv.Quote(value)
		}
		return arg
	})
}

// boolSetting says whether the variable name is a bool setting.
func boolSetting(name string) bool {
	for _, s := range issuerSettings {
		if s.v.Name == name {
			return s.form() == formBool
		}
	}
	return false
}

// settingsDiagnostics are the issuer's objections to its environment
// (config.Validate's error), one per problem, each on the argument that
// sets the variable at fault and naming arguments, not variables.
func settingsDiagnostics(err error) diag.Diagnostics {
	var diags diag.Diagnostics
	if err == nil {
		return nil
	}
	errs := []error{err}
	if multi, ok := err.(interface{ Unwrap() []error }); ok {
		errs = multi.Unwrap()
	}
	for _, e := range errs {
		var ce *config.Error
		at, arg := path.Root("settings"), "settings"
		if errors.As(e, &ce) {
			if a, p, ok := argumentOf(ce.Name); ok {
				arg, at = a, p
			}
		}
		diags.AddAttributeError(at, "The issuer would refuse "+arg,
			"securestream_issuer: "+asArguments(e.Error())+".")
	}
	return diags
}
