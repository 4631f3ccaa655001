package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/securestream/terraform-provider-securestream/internal/issuance"
)

// The token format is ss1 unless set; cat reads the CAT channel names,
// with the CAT transport names as defaults.
func TestTokenFormat(t *testing.T) {
	c, err := load(minimalEnv())
	if err != nil {
		t.Fatal(err)
	}
	if c.TokenFormat != issuance.FormatSS1 || c.CATChannels != issuance.DefaultCATChannels() {
		t.Errorf("defaults: format %q, CAT channels %+v", c.TokenFormat, c.CATChannels)
	}
	env := minimalEnv()
	env["SECURESTREAM_TOKEN_FORMAT"] = "cat"
	env["SECURESTREAM_BIND_USER_AGENT"] = "false"
	env["SECURESTREAM_CAT_HEADER"] = "Common-Access-Token"
	env["SECURESTREAM_CAT_QUERY"] = "cat"
	env["SECURESTREAM_CAT_COOKIE"] = "Common-Access-Token"
	if c, err = load(env); err != nil {
		t.Fatal(err)
	}
	want := issuance.Channels{Header: "common-access-token", Query: "cat", Cookie: "Common-Access-Token"}
	if c.TokenFormat != issuance.FormatCAT || c.CATChannels != want {
		t.Errorf("cat: format %q, CAT channels %+v, want %+v", c.TokenFormat, c.CATChannels, want)
	}
	for name, set := range map[string]map[string]string{
		"SECURESTREAM_TOKEN_FORMAT": {"SECURESTREAM_TOKEN_FORMAT": "jwt"},
		"SECURESTREAM_CAT_HEADER":   {"SECURESTREAM_CAT_HEADER": "cta_common_access_token"},
		"SECURESTREAM_CAT_QUERY":    {"SECURESTREAM_CAT_QUERY": "C A T"},
		"SECURESTREAM_CAT_COOKIE":   {"SECURESTREAM_CAT_COOKIE": "a;b"},
	} {
		env := minimalEnv()
		for k, v := range set {
			env[k] = v
		}
		_, err := load(env)
		var ce *Error
		if !errors.As(err, &ce) || ce.Name != name || !strings.HasPrefix(ce.Msg, name+": ") {
			t.Errorf("%v: %v, want an error on %s", set, err, name)
		}
	}
}

// A CAT has no User-Agent claim: format cat with the User-Agent binding on
// (its default) is refused when the configuration is read, naming both
// variables and the fix, rather than minting keys that lose the binding.
func TestTokenFormatCATRefusesUserAgentBinding(t *testing.T) {
	for _, bind := range []string{"", "true"} {
		env := minimalEnv()
		env["SECURESTREAM_TOKEN_FORMAT"] = "cat"
		env["SECURESTREAM_BIND_USER_AGENT"] = bind
		_, err := load(env)
		var ce *Error
		if !errors.As(err, &ce) || ce.Name != "SECURESTREAM_TOKEN_FORMAT" || !strings.Contains(err.Error(), "no User-Agent claim") ||
			!strings.Contains(err.Error(), "SECURESTREAM_BIND_USER_AGENT=false") {
			t.Errorf("cat with SECURESTREAM_BIND_USER_AGENT=%q: %v", bind, err)
		}
		if err := Validate(func(k string) string { return env[k] }); err == nil {
			t.Errorf("Validate (the provider's plan check) accepts cat with SECURESTREAM_BIND_USER_AGENT=%q", bind)
		}
	}
	// A bad boolean is reported once, on its own variable.
	env := minimalEnv()
	env["SECURESTREAM_TOKEN_FORMAT"] = "cat"
	env["SECURESTREAM_BIND_USER_AGENT"] = "maybe"
	_, err := load(env)
	if err == nil || strings.Contains(err.Error(), "no User-Agent claim") || !strings.Contains(err.Error(), "SECURESTREAM_BIND_USER_AGENT") {
		t.Errorf("a bad boolean: %v", err)
	}
}
