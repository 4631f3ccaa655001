package provider

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/securestream/terraform-provider-securestream/internal/edgefunc"
	"github.com/securestream/terraform-provider-securestream/internal/issuance"
	"github.com/securestream/terraform-provider-securestream/internal/keyring"
	localcf "github.com/securestream/terraform-provider-securestream/internal/local/cloudfront"
)

// functionConfigOf is a securestream_function configuration (the
// resource's schema, or the code data source's with dataSource) with the
// given arguments and every other one null.
func functionConfigOf(t *testing.T, dataSource bool, args map[string]tftypes.Value) tfsdk.Config {
	t.Helper()
	ctx := context.Background()
	if dataSource {
		var sr datasource.SchemaResponse
		NewFunctionCodeDataSource().Schema(ctx, datasource.SchemaRequest{}, &sr)
		return tfsdk.Config{Schema: sr.Schema, Raw: withNulls(sr.Schema.Type().TerraformType(ctx).(tftypes.Object), args)}
	}
	var sr resource.SchemaResponse
	NewFunctionResource().Schema(ctx, resource.SchemaRequest{}, &sr)
	return tfsdk.Config{Schema: sr.Schema, Raw: withNulls(sr.Schema.Type().TerraformType(ctx).(tftypes.Object), args)}
}

// token_format = "cat" is refused at plan with a path-prefix channel (on
// token_path_prefix, saying why and the fix) and with every CAT channel
// off; the path prefix off ("") or unset is fine, as is every ss1
// configuration that was. The resource and the code data source agree.
func TestFunctionTokenFormatValidateConfig(t *testing.T) {
	unknown := tftypes.NewValue(tftypes.String, tftypes.UnknownValue)
	for _, tc := range []struct {
		name string
		args map[string]tftypes.Value
		at   string // the attribute refused; "" none
		text string
	}{
		{"ss1 by default", nil, "", ""},
		{"cat", map[string]tftypes.Value{"token_format": tfString("cat")}, "", ""},
		{"cat, path prefix off", map[string]tftypes.Value{"token_format": tfString("cat"), "token_path_prefix": tfString("")}, "", ""},
		{"cat, the header alone", map[string]tftypes.Value{"token_format": tfString("cat"), "token_query": tfString(""), "token_cookie": tfString("")}, "", ""},
		{"cat with a path prefix", map[string]tftypes.Value{"token_format": tfString("cat"), "token_path_prefix": tfString("t")},
			"token_path_prefix", `token_path_prefix = "t" is set with token_format = "cat": no CAT validator reads a token from the path`},
		{"cat, every channel off", map[string]tftypes.Value{"token_format": tfString("cat"), "token_header": tfString(""), "token_query": tfString(""),
			"token_cookie": tfString("")}, "token_header", "Keep at least one of token_header, token_query and token_cookie (a Common Access Token has no path-prefix"},
		{"ss1, the path prefix alone", map[string]tftypes.Value{"token_header": tfString(""), "token_query": tfString(""), "token_cookie": tfString("")}, "", ""},
		{"ss1, every channel off", map[string]tftypes.Value{"token_header": tfString(""), "token_query": tfString(""), "token_cookie": tfString(""),
			"token_path_prefix": tfString("")}, "token_header", "Keep at least one of token_header, token_query, token_cookie and token_path_prefix"},
		{"the format not known yet", map[string]tftypes.Value{"token_format": unknown, "token_path_prefix": tfString("t")}, "", ""},
		{"cat, a channel not known yet", map[string]tftypes.Value{"token_format": tfString("cat"), "token_header": tfString(""), "token_query": tfString(""),
			"token_cookie": unknown}, "", ""},
	} {
		for _, ds := range []bool{false, true} {
			cfg := functionConfigOf(t, ds, tc.args)
			var diags diag.Diagnostics
			if ds {
				var resp datasource.ValidateConfigResponse
				NewFunctionCodeDataSource().(datasource.DataSourceWithValidateConfig).ValidateConfig(context.Background(), datasource.ValidateConfigRequest{Config: cfg}, &resp)
				diags = resp.Diagnostics
			} else {
				var resp resource.ValidateConfigResponse
				NewFunctionResource().(resource.ResourceWithValidateConfig).ValidateConfig(context.Background(), resource.ValidateConfigRequest{Config: cfg}, &resp)
				diags = resp.Diagnostics
			}
			if (tc.at == "" && diags.HasError()) || (tc.at != "" && (diags.ErrorsCount() != 1 || !hasErrorAt(diags, path.Root(tc.at), tc.text))) {
				t.Errorf("%s (data source %v): %s; want an error on %q saying %q", tc.name, ds, summaries(diags), tc.at, tc.text)
			}
		}
	}
}

// token_format takes the formats the issuer mints and no other.
func TestFunctionTokenFormatValues(t *testing.T) {
	spec := functionCodeAttrs()["token_format"]
	if spec.kind != kindString || spec.required || spec.computed {
		t.Fatalf("token_format: %+v; want an optional string", spec)
	}
	for _, c := range []struct {
		v  string
		ok bool
	}{{"ss1", true}, {"cat", true}, {"CAT", false}, {"seed", false}, {"jwt", false}} {
		resp := &validator.StringResponse{}
		for _, v := range spec.str {
			v.ValidateString(context.Background(), validator.StringRequest{Path: path.Root("token_format"), ConfigValue: types.StringValue(c.v)}, resp)
		}
		if resp.Diagnostics.HasError() == c.ok {
			t.Errorf("token_format = %q: %v; want accepted %v", c.v, resp.Diagnostics, c.ok)
		}
	}
	// The channel descriptions give each format's default.
	cat, def := issuance.DefaultCATChannels(), issuance.DefaultChannels()
	for attr, names := range map[string][2]string{"token_header": {def.Header, cat.Header}, "token_query": {def.Query, cat.Query},
		"token_cookie": {def.Cookie, cat.Cookie}} {
		if d := functionCodeAttrs()[attr].desc; !strings.Contains(d, "Default `"+names[0]+"`, with `token_format = \"cat\"` `"+names[1]+"`") {
			t.Errorf("%s: %q does not give the defaults %v", attr, d, names)
		}
	}
}

// The renderer's configuration: the format, and the format's channels
// where none is set (CAT's never with a path prefix); ss1 stays "" (the
// code byte for byte as before).
func TestEdgeConfigTokenFormat(t *testing.T) {
	k, err := newRingKey(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	doc := &keyring.Document{Keys: []keyring.Key{k}}
	model := func(format string, set func(*functionCodeModel)) functionCodeModel {
		m := functionCodeModel{ExemptPaths: types.ListNull(types.StringType), CORSOrigins: types.ListNull(types.StringType), TokenFormat: types.StringNull()}
		if format != "" {
			m.TokenFormat = types.StringValue(format)
		}
		if set != nil {
			set(&m)
		}
		return m
	}
	for _, c := range []struct {
		name       string
		m          functionCodeModel
		wantFormat string
		want       issuance.Channels
		wantErr    string
	}{
		{"unset", model("", nil), "", issuance.DefaultChannels(), ""},
		{"ss1", model("ss1", nil), "ss1", issuance.DefaultChannels(), ""},
		{"cat", model("cat", nil), "cat", issuance.DefaultCATChannels(), ""},
		{"cat, names", model("cat", func(m *functionCodeModel) {
			m.TokenHeader, m.TokenQuery, m.TokenPathPrefix = types.StringValue("common-access-token"), types.StringValue(""), types.StringValue("")
		}), "cat", issuance.Channels{Header: "common-access-token", Cookie: "cta-common-access-token"}, ""},
		{"cat with a path prefix", model("cat", func(m *functionCodeModel) { m.TokenPathPrefix = types.StringValue("t") }), "", issuance.Channels{},
			"A Common Access Token has no path-prefix channel"},
	} {
		cfg, diags := c.m.edgeConfig(context.Background(), doc)
		switch {
		case c.wantErr != "":
			if !diags.HasError() || diags[0].Summary() != c.wantErr || !diags[0].(interface{ Path() path.Path }).Path().Equal(path.Root("token_path_prefix")) {
				t.Errorf("%s: %v; want the error %q on token_path_prefix", c.name, diags, c.wantErr)
			}
		case diags.HasError():
			t.Errorf("%s: %v", c.name, diags)
		case cfg.Format != c.wantFormat || cfg.Channels != c.want:
			t.Errorf("%s: format %q, channels %+v; want %q, %+v", c.name, cfg.Format, cfg.Channels, c.wantFormat, c.want)
		}
	}
	// Unset and ss1 render the same code.
	a, err1 := edgefunc.Render(func() edgefunc.Config { cfg, _ := model("", nil).edgeConfig(context.Background(), doc); return cfg }())
	b, err2 := edgefunc.Render(func() edgefunc.Config { cfg, _ := model("ss1", nil).edgeConfig(context.Background(), doc); return cfg }())
	if err1 != nil || err2 != nil || string(a) != string(b) {
		t.Errorf("token_format unset and ss1 render different code (%v, %v)", err1, err2)
	}
	// cat renders other code, which checks CATs with cf.cwt.
	c, err := edgefunc.Render(func() edgefunc.Config { cfg, _ := model("cat", nil).edgeConfig(context.Background(), doc); return cfg }())
	if err != nil || string(c) == string(a) || !strings.Contains(string(c), "cwt") {
		t.Errorf("token_format = \"cat\": %v; want code other than ss1's that uses cf.cwt", err)
	}
}

// catKeyHCL is data.securestream_stream_key.cat, a CAT (format = "cat")
// for the client the edge sees (the test, on loopback) with a session id,
// with more arguments added.
func catKeyHCL(more ...string) string {
	return "\n" + streamKeyBlock("data", "cat", append([]string{`activation_delay = "0s"`, `format = "cat"`,
		`playback_url = "https://video.example.com/live/a/index.m3u8"`, `client_ip = "127.0.0.1"`, `bind_host = false`,
		`session_id = "viewer-1"`}, more...)...)
}

// Issue 24: token_format = "cat" end to end, in one sequence. A function
// made in ss1 refuses a CAT; the settings the CAT format cannot take are
// plan errors, naming the argument; switching the function to cat is an
// in-place update (new code, republished) after which the edge takes the
// data source's CAT in each of its channels, strips it before the origin,
// and refuses a tampered CAT, an ss1 key, and a CAT from another
// address; the code data source renders the same code; the import by the
// issuer's name takes the issuer's format, and plans no change.
func TestAccFunction_tokenFormatCAT(t *testing.T) {
	e := newCFEnv(t, localcf.Config{ViewerIPHeader: "X-Test-Viewer-IP"})
	dist := e.distribution(t)
	fn, issuer := name("edge"), name("issuer")
	assoc := assocOn(dist)
	cfg := func(extra string, keyArgs ...string) string {
		return functionConfig(e, fn, issuer, "1", extra, assoc) + catKeyHCL(keyArgs...)
	}
	catCfg := cfg(`token_format = "cat"`) + functionCodeData("securestream_secret.s.key_ring", `token_format = "cat"`)
	cat := issuance.DefaultCATChannels()
	// get fetches path with the header h, and wants the status want.
	get := func(what, path string, h map[string]string, want int) error {
		if got, err := e.get(dist, path, h); err != nil || got != want {
			return fmt.Errorf("%s: GET %s: %d %v; want %d", what, path, got, err, want)
		}
		return nil
	}
	keys := func(s *terraform.State) (catKey, ss1Key map[string]string, err error) {
		if catKey, err = attrs(s, "data.securestream_stream_key.cat"); err == nil {
			ss1Key, err = attrs(s, "data.securestream_stream_key.k")
		}
		return catKey, ss1Key, err
	}
	ss1Edge := func(s *terraform.State) error {
		c, k, err := keys(s)
		if err != nil {
			return err
		}
		return errors.Join(get("ss1 key, ss1 edge", "/live/a/index.m3u8", map[string]string{"User-Agent": "Player/1.0", "x-stream-token": k["token"]}, 200),
			get("CAT, ss1 edge", "/live/a/index.m3u8", map[string]string{cat.Header: c["token"]}, 403),
			get("CAT in the ss1 header, ss1 edge", "/live/a/index.m3u8", map[string]string{"x-stream-token": c["token"]}, 403))
	}
	catEdge := func(s *terraform.State) error {
		c, k, err := keys(s)
		if err != nil {
			return err
		}
		tok := c["token"]
		flip := byte('A') // a character of the MAC (the end of the token), changed
		if tok[len(tok)-5] == 'A' {
			flip = 'B'
		}
		tampered := tok[:len(tok)-5] + string(flip) + tok[len(tok)-4:]
		u, err := url.Parse(c["url"])
		if err != nil {
			return err
		}
		e.mu.Lock()
		before := len(e.seen)
		e.mu.Unlock()
		errs := errors.Join(
			get("CAT header, playlist", "/live/a/index.m3u8", map[string]string{cat.Header: tok}, 200),
			get("CAT header, segment", "/live/a/720p/seg1.ts", map[string]string{cat.Header: tok}, 200),
			get("CAT query (the url output)", u.RequestURI(), nil, 200),
			get("CAT cookie", "/live/a/seg1.ts", map[string]string{"Cookie": cat.Cookie + "=" + tok}, 200),
			get("no key", "/live/a/seg1.ts", nil, 403),
			get("tampered CAT", "/live/a/seg1.ts", map[string]string{cat.Header: tampered}, 403),
			get("CAT outside its path", "/vod/b/index.m3u8", map[string]string{cat.Header: tok}, 403),
			get("CAT from another address", "/live/a/seg1.ts", map[string]string{cat.Header: tok, "X-Test-Viewer-IP": "203.0.113.9"}, 403),
			get("ss1 key in the ss1 header", "/live/a/seg1.ts", map[string]string{"User-Agent": "Player/1.0", "x-stream-token": k["token"]}, 403),
			get("ss1 key in the CAT header", "/live/a/seg1.ts", map[string]string{"User-Agent": "Player/1.0", cat.Header: k["token"]}, 403),
			get("ss1 key in the path prefix", "/t/"+k["token"]+"/live/a/seg1.ts", map[string]string{"User-Agent": "Player/1.0"}, 403),
		)
		// The CAT never reaches the origin.
		e.mu.Lock()
		defer e.mu.Unlock()
		if len(e.seen) == before {
			errs = errors.Join(errs, errors.New("nothing reached the origin"))
		}
		for _, r := range e.seen[before:] {
			if strings.Contains(r.Header.Get(cat.Header)+r.Header.Get("Cookie")+r.URL.RawQuery, tok) {
				errs = errors.Join(errs, fmt.Errorf("the origin saw the CAT: %s %v", r.URL, r.Header))
			}
		}
		return errs
	}
	byIssuer := func(s *terraform.State) (string, error) {
		a, err := attrs(s, "securestream_secret.s")
		if err != nil {
			return "", err
		}
		// The issuer, deployed some other way, mints CATs with the ring.
		if err := e.createIssuerFunctionEnv(t, issuer, map[string]string{envKeyring: a["ciphertext"], envKMSKeyID: a["kms_key_arn"],
			envTokenFormat: "cat"}); err != nil {
			return "", err
		}
		return fn + ",lambda:" + issuer, nil
	}
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed(fn, dist),
		Steps: []tfresource.TestStep{
			{
				Config: cfg(""),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("securestream_function.f", tfjsonpath.New("token_format"), knownvalue.Null()),
					statecheck.ExpectKnownValue("data.securestream_stream_key.cat", tfjsonpath.New("headers"),
						knownvalue.MapSizeExact(1)), // the CAT header alone: no user-agent
				},
				Check: ss1Edge,
			},
			{
				Config:      cfg("token_format = \"cat\"\n  token_path_prefix = \"t\""),
				ExpectError: regexp.MustCompile(`(?s)has no path-prefix channel.*token_path_prefix = "t" is set with\s+token_format = "cat".*Remove\s+token_path_prefix`),
			},
			{
				Config:      cfg("", "bind_user_agent = true"),
				ExpectError: regexp.MustCompile(`(?s)cannot bind the User-Agent.*bind_user_agent = true with\s+format = "cat".*no\s+User-Agent\s+claim`),
			},
			{
				// ss1 to cat: an update in place, the code known at plan.
				Config: catCfg,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("securestream_function.f", plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue("securestream_function.f", tfjsonpath.New("code_sha256"), knownvalue.StringRegexp(regexp.MustCompile(`^[0-9a-f]{64}$`))),
					plancheck.ExpectUnknownValue("securestream_function.f", tfjsonpath.New("live_etag")),
				}},
				Check: tfresource.ComposeTestCheckFunc(catEdge,
					tfresource.TestCheckResourceAttr("securestream_function.f", "token_format", "cat"),
					tfresource.TestCheckResourceAttrPair("data.securestream_function_code.c", "code_sha256", "securestream_function.f", "code_sha256"),
					tfresource.TestCheckResourceAttrPair("securestream_function.f", "live_code_sha256", "securestream_function.f", "code_sha256")),
			},
			{
				ResourceName: "securestream_function.f", ImportState: true, ImportStateVerify: true, ImportStateIdFunc: byIssuer,
			},
		},
	})
}
