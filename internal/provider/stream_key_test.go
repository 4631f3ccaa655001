package provider

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/securestream/terraform-provider-securestream/internal/issuer"
	"github.com/securestream/terraform-provider-securestream/internal/issuer/config"
	"github.com/securestream/terraform-provider-securestream/internal/keyring"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey/seed"
)

type streamkeyRequest struct {
	path, host, ip, ua string
	now                time.Time
	// With relative, the clock is the secret's rotated_at plus
	// sinceRotation (for keys with fixed times).
	relative      bool
	sinceRotation time.Duration
}

// wantVerdict verifies tok as the edge would and compares the reason
// ("" for accepted).
func wantVerdict(v *streamkey.Verifier, tok string, r streamkeyRequest, want string) error {
	res := v.Verify(tok, streamkey.Request{Now: r.now, Path: r.path, Host: r.host, ClientIP: r.ip, UserAgent: r.ua})
	got := ""
	if !res.OK() {
		got = res.Reason.String()
	}
	if got != want {
		return fmt.Errorf("token for %+v: verdict %q; want %q", r, got, want)
	}
	return nil
}

// checkKey verifies the token of a stream key data source against the
// ring in the state, for requests that must pass and must fail.
func (e *accEnv) checkKey(secret, key string, cases map[string]streamkeyRequest) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		a, err := attrs(s, secret)
		if err != nil {
			return err
		}
		k, err := attrs(s, key)
		if err != nil {
			return err
		}
		v, err := e.verifier(a["ciphertext"], a["function_name"])
		if err != nil {
			return err
		}
		rotated, err := time.Parse(time.RFC3339, a["rotated_at"])
		if err != nil {
			return fmt.Errorf("%s: rotated_at: %w", secret, err)
		}
		for want, r := range cases {
			switch {
			case r.relative:
				r.now = rotated.Add(r.sinceRotation)
			case r.now.IsZero():
				r.now = time.Now()
			}
			if err := wantVerdict(v, k["token"], r, strings.TrimSuffix(strings.SplitN(want, "#", 2)[0], " ")); err != nil {
				return fmt.Errorf("%s (%s): %w", key, want, err)
			}
		}
		return nil
	}
}

const streamKeySecret = `
resource "securestream_secret" "s" {
  function_name = %q
}
`

func TestAccStreamKey_dataSource(t *testing.T) {
	e := newAccEnv(t)
	fn := name("issuer")
	base := e.provider() + fmt.Sprintf(streamKeySecret, fn)
	key := base + `
` + streamKeyBlock("data", "k", `playback_url = "https://Video.Example.com/live/a/index.m3u8?lang=en#t=10"`,
		`client_ip = "198.51.100.7"`, `user_agent = "Player/1.0 (it's quoted)"`, `timeouts = { read = "30s" }`) + `
output "kid" {
  value = data.securestream_stream_key.k.signing_key_id
}
`
	ok := streamkeyRequest{path: "/live/a/seg-1.ts", host: "video.example.com", ip: "198.51.100.200", ua: "Player/1.0 (it's quoted)"}
	with := func(f func(*streamkeyRequest)) streamkeyRequest { r := ok; f(&r); return r }
	var minted time.Time
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{
			{
				// The secret does not exist yet: the key is minted at apply.
				PreConfig: func() { minted = time.Now() },
				Config:    key,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectUnknownOutputValue("kid"),
				}},
				Check: resource.ComposeTestCheckFunc(
					e.checkKey("securestream_secret.s", "data.securestream_stream_key.k", map[string]streamkeyRequest{
						"":                             ok,
						"# the manifest":               with(func(r *streamkeyRequest) { r.path = "/live/a/index.m3u8" }),
						"path":                         with(func(r *streamkeyRequest) { r.path = "/live/b/seg-1.ts" }),
						"host":                         with(func(r *streamkeyRequest) { r.host = "other.example.com" }),
						"ip":                           with(func(r *streamkeyRequest) { r.ip = "198.51.101.7" }),
						"ua":                           with(func(r *streamkeyRequest) { r.ua = "curl/8.5.0" }),
						"expired":                      with(func(r *streamkeyRequest) { r.now = time.Now().Add(2 * time.Hour) }),
						"# just before it expires, ok": with(func(r *streamkeyRequest) { r.now = time.Now().Add(59 * time.Minute) }),
					}),
					resource.TestCheckResourceAttrPair("data.securestream_stream_key.k", "signing_key_id", "securestream_secret.s", "newest_key_id"),
					resource.TestCheckResourceAttr("data.securestream_stream_key.k", "pattern", "/live/a/*"),
					resource.TestCheckNoResourceAttr("data.securestream_stream_key.k", "stream_key"),
					resource.TestCheckResourceAttr("data.securestream_stream_key.k", "headers.%", "2"),
					resource.TestCheckResourceAttr("data.securestream_stream_key.k", "headers.user-agent", "Player/1.0 (it's quoted)"),
					resource.TestCheckResourceAttrPair("data.securestream_stream_key.k", "headers.x-stream-token", "data.securestream_stream_key.k", "token"),
					testAccCheckDataSourceForms(&minted),
				),
			},
			{
				// The secret exists: every argument is known, so the key is
				// minted during the plan, and nothing changes.
				Config: key,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownOutputValue("kid", knownvalue.StringRegexp(kidRE)),
					plancheck.ExpectEmptyPlan(),
				}},
			},
			{
				// Fixed times make the key the same at every read; the
				// other bindings and names follow the arguments.
				Config: base + sameArgs("a") + sameArgs("b") + `
locals {
  args = {
    not_before = timeadd(securestream_secret.s.rotated_at, "1m")
    expires_at = timeadd(securestream_secret.s.rotated_at, "31m")
  }
}

` + streamKeyBlock("data", "prefix", `playback_url = "https://video.example.com/vod/x/master.mpd"`,
					`path_pattern = "prefix"`, `path_prefix = "/vod/"`, `ip_binding = "off"`),
				Check: resource.ComposeTestCheckFunc(
					resource.TestCheckResourceAttrPair("data.securestream_stream_key.a", "token", "data.securestream_stream_key.b", "token"),
					resource.TestCheckResourceAttr("data.securestream_stream_key.a", "pattern", "/vod/x/master.mpd"),
					resource.TestCheckResourceAttr("data.securestream_stream_key.a", "headers.%", "1"),
					resource.TestCheckResourceAttrPair("data.securestream_stream_key.a", "headers.x-key", "data.securestream_stream_key.a", "token"),
					resource.TestCheckResourceAttr("data.securestream_stream_key.prefix", "pattern", "/vod/*"),
					testAccCheckFixedTimeForms(),
					e.checkKey("securestream_secret.s", "data.securestream_stream_key.a", map[string]streamkeyRequest{
						"":              {path: "/vod/x/master.mpd", host: "any.example.net", ip: "2001:db8:0:0::1", ua: "Any/2", relative: true, sinceRotation: 10 * time.Minute},
						"not_yet_valid": {path: "/vod/x/master.mpd", host: "h", ip: "2001:db8::1", relative: true, sinceRotation: 0 * time.Minute},
						"ip":            {path: "/vod/x/master.mpd", host: "h", ip: "2001:db8::2", relative: true, sinceRotation: 10 * time.Minute},
						"path":          {path: "/vod/x/other.mpd", host: "h", ip: "2001:db8::1", relative: true, sinceRotation: 10 * time.Minute},
						"expired":       {path: "/vod/x/master.mpd", host: "h", ip: "2001:db8::1", relative: true, sinceRotation: 40 * time.Minute},
					}),
					e.checkKey("securestream_secret.s", "data.securestream_stream_key.prefix", map[string]streamkeyRequest{
						"":     {path: "/vod/y/z/seg.m4s", host: "video.example.com", ip: "203.0.113.1"},
						"path": {path: "/live/y/seg.m4s", host: "video.example.com", ip: "203.0.113.1"},
					}),
				),
			},
		},
	})
}

// testAccCheckDataSourceForms checks the data source's key: minted for an
// hour between *minted (set before the step) and now, and its other forms.
func testAccCheckDataSourceForms(minted *time.Time) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		k, _ := attrs(s, "data.securestream_stream_key.k")
		tok := k["token"]
		exp, _ := strconv.ParseInt(k["expires"], 10, 64)
		// Between the step's start and this check, however long Terraform
		// took: expires is in whole seconds.
		if issued := time.Unix(exp, 0).Add(-time.Hour); issued.Before(minted.Add(-time.Second)) || issued.After(time.Now()) {
			return fmt.Errorf("expires %d is %v after the apply started; want an hour after the key was minted", exp, time.Unix(exp, 0).Sub(*minted))
		}
		want := map[string]string{
			"query_string": "stream_token=" + tok,
			"url":          "https://video.example.com/t/" + tok + "/live/a/index.m3u8?lang=en",
			"cookie":       "stream_token=" + tok + "; Path=/; Max-Age=3600; Secure; HttpOnly; SameSite=Lax",
			// The same URL as url, without the token.
			"curl": "curl --fail --silent --show-error --globoff -H 'x-stream-token: " + tok + "' -A 'Player/1.0 (it'\\''s quoted)' " +
				"'https://video.example.com/live/a/index.m3u8?lang=en'",
		}
		for attr, v := range want {
			if k[attr] != v {
				return fmt.Errorf("%s = %q; want %q", attr, k[attr], v)
			}
		}
		return nil
	}
}

// testAccCheckFixedTimeForms checks the key of fixed times and renamed
// channels: its expiry is rotated_at + 31m, its forms use the names given,
// and its curl command sends no User-Agent, since the key binds none.
func testAccCheckFixedTimeForms() resource.TestCheckFunc {
	return func(s *terraform.State) error {
		k, _ := attrs(s, "data.securestream_stream_key.a")
		sec, _ := attrs(s, "securestream_secret.s")
		rotated, _ := time.Parse(time.RFC3339, sec["rotated_at"])
		if k["expires"] != fmt.Sprint(rotated.Add(31*time.Minute).Unix()) {
			return fmt.Errorf("expires = %s; want rotated_at + 31m", k["expires"])
		}
		tok := k["token"]
		for attr, v := range map[string]string{"query_string": "k=" + tok, "url": "http://video.example.com/p/" + tok + "/vod/x/master.mpd"} {
			if k[attr] != v {
				return fmt.Errorf("%s = %q; want %q", attr, k[attr], v)
			}
		}
		if !strings.HasPrefix(k["cookie"], "c="+tok+"; Path=/; Max-Age=1800;") {
			return fmt.Errorf("cookie = %q", k["cookie"])
		}
		// The curl command sends no User-Agent for a key that binds none.
		if strings.Contains(k["curl"], " -A ") {
			return fmt.Errorf("curl = %q sends a User-Agent", k["curl"])
		}
		return nil
	}
}

// streamKeyBlock is a securestream_stream_key of kind ("data" or
// "ephemeral") named name, minting with the ring securestream_secret.s,
// with more arguments, one "argument = value" each. The lines are not
// indented: the diagnostics tests match Terraform's "<line>: <source>".
func streamKeyBlock(kind, name string, args ...string) string {
	return fmt.Sprintf("%s \"securestream_stream_key\" %q {\nkey_ring = securestream_secret.s.key_ring\n%s\n}\n", kind, name, strings.Join(args, "\n"))
}

// sameArgs is a stream key data source named name with fixed times and
// every binding and name set: two of them must mint the same key.
func sameArgs(name string) string {
	return "\n" + streamKeyBlock("data", name, `playback_url = "http://video.example.com/vod/x/master.mpd"`,
		"not_before = local.args.not_before", "expires_at = local.args.expires_at", `path_pattern = "exact"`, `ip_binding = "exact"`,
		`client_ip = "2001:db8::1"`, "bind_user_agent = false", "bind_host = false", `session_id = "viewer-42"`,
		`token_header = "x-key"`, `token_query = "k"`, `token_cookie = "c"`, `token_path_prefix = "p"`)
}

// Bad arguments are refused during the plan with a diagnostic that names
// the argument and the fix.
func TestAccStreamKey_diagnostics(t *testing.T) {
	e := newAccEnv(t)
	fn := name("issuer")
	base := e.provider() + fmt.Sprintf(streamKeySecret, fn)
	bad := func(args []string) string {
		return base + "\n" + streamKeyBlock("data", "bad", args...)
	}
	// valid is a playback URL and a client address that mint, and more.
	valid := func(more ...string) []string {
		return append([]string{`playback_url = "https://video.example.com/a/index.m3u8"`, `client_ip = "192.0.2.1"`}, more...)
	}
	steps := []resource.TestStep{{Config: base}}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{`playback_url = "ftp://video.example.com/a/index.m3u8"`, `client_ip = "192.0.2.1"`}, `invalid playback URL.*scheme "ftp" is not allowed`},
		{[]string{`playback_url = "/a/index.m3u8"`, `client_ip = "192.0.2.1"`}, `invalid playback URL.*absolute`},
		{[]string{`playback_url = "https://video.example.com/a/../b/index.m3u8"`, `client_ip = "192.0.2.1"`}, `invalid playback URL.*dot segments`},
		{[]string{`playback_url = "https://video.example.com:8443/a/index.m3u8"`, `client_ip = "192.0.2.1"`}, `invalid playback URL.*port`},
		{[]string{`playback_url = "https://video.example.com/a/index.m3u8"`}, `client_ip is required.*ip_binding = "off"`},
		{[]string{`playback_url = "https://video.example.com/a/index.m3u8"`, `client_ip = "192.0.2.300"`}, `invalid client IP.*\d+: client_ip = .*client\s+IP\s+"192.0.2.300"\s+is\s+not\s+an\s+IPv4\s+or\s+IPv6\s+address\.\s+Set\s+client_ip`},
		{valid(`not_before = "2030-01-01T01:00:00Z"`, `expires_at = "2030-01-01T00:00:00Z"`), `expires_at is not after the start`},
		{valid(`ttl = "1m"`, `expires_at = "2030-01-01T00:00:00Z"`), `expires_at.*cannot be specified when.*"ttl"`},
		{valid(`ttl = "900"`), `\d+: ttl = "900".*"900" is not a whole\s+number\s+of\s+seconds\s+from\s+1s\s+to\s+168h`},
		{valid(`user_agent = "Player/1.0\r\nX-Injected: 1"`), `Control character in the User-Agent.*\d+: user_agent = .*U\+000D\s+at\s+byte\s+10`},
		{[]string{`playback_url = "https://bücher.example/a/index.m3u8"`, `client_ip = "192.0.2.1"`}, `invalid playback URL.*\d+: playback_url = .*punycode:\s+xn--bcher-kva\.example`},
		{valid(`not_before = "1969-01-01T00:00:00Z"`), `not_before is before 1970.*\d+: not_before = `},
		{valid(`timeouts = { read = "1ns" }`), `kms:Decrypt timed out.*within\s+1ns\s+\(timeouts.read\).*raise\s+timeouts.read`},
		{valid(`not_before = "2030-01-01T00:00:00Z"`, `expires_at = "tomorrow"`), `expires_at.*not valid RFC3339`},
		{valid(`expires_at = "2030-01-01T00:00:00Z"`), `(?i)expires_at.*not_before.*must be specified|not_before.*must be specified`},
		{valid(`format = "seed"`), `The ring has no seed key.*secret_wo`},
		{valid(`key_id = "k-nope"`), `no such key.*has k\d{8}T`},
		{valid(`path_prefix = "/a/"`), `path_prefix needs path_pattern = "prefix"`},
		{[]string{`playback_url = "https://video.example.com/b/index.m3u8"`, `client_ip = "192.0.2.1"`, `path_pattern = "prefix"`, `path_prefix = "/a/"`}, `must be under path_prefix "/a/"`},
		{valid(`path_pattern = "prefix"`, `path_prefix = "/a/../"`), `path_prefix.*no dot segments`},
		{valid(`path_pattern = "prefix"`, `path_prefix = "/a*/"`), `path_prefix.*'\*'`},
		{[]string{`playback_url = "https://video.example.com/a/index.m3u8"`, `ip_binding = "off"`, `session_id = "has space"`}, `session_id`},
	} {
		steps = append(steps, resource.TestStep{Config: bad(c.args), PlanOnly: true, ExpectError: regexp.MustCompile(`(?s)` + c.want)})
	}
	steps = append(steps, resource.TestStep{Config: base}) // so that the destroy plan is valid
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps:                    steps,
	})
}

// Seed-format keys are what the original issuer minted with the same
// secret, and verify against the ring.
func TestAccStreamKey_seed(t *testing.T) {
	e := newAccEnv(t)
	fn := name("issuer")
	const secret = "original-deployment-secret-value-0123456789"
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{{
			Config: e.provider() + fmt.Sprintf(`
resource "securestream_secret" "s" {
  function_name     = %q
  secret_wo         = %q
  secret_wo_version = 1
}

`+streamKeyBlock("data", "seed", `playback_url = "https://video.example.com/live/a/index.m3u8"`,
				`client_ip = "198.51.100.7"`, `user_agent = "Player/1.0"`, `format = "seed"`, `ttl = "10m"`)+`
# A current-format key from the same ring: the seed key never signs one.
`+streamKeyBlock("data", "ss1", `playback_url = "https://video.example.com/live/a/index.m3u8"`,
				`client_ip = "198.51.100.7"`)+`
# An address in a long spelling is signed in its canonical one, which the
# edge compares with.
`+streamKeyBlock("data", "seed6", `playback_url = "https://video.example.com/live/a/index.m3u8"`,
				`client_ip = "2001:0db8:0000::0001"`, `user_agent = "Player/1.0"`, `format = "seed"`), fn, secret),
			Check: resource.ComposeTestCheckFunc(
				resource.TestCheckResourceAttr("data.securestream_stream_key.seed", "signing_key_id", "seed"),
				resource.TestCheckResourceAttrPair("data.securestream_stream_key.ss1", "signing_key_id", "securestream_secret.s", "newest_key_id"),
				resource.TestCheckNoResourceAttr("data.securestream_stream_key.seed", "token"),
				resource.TestCheckResourceAttr("data.securestream_stream_key.seed", "url", "https://video.example.com/live/a/index.m3u8"),
				resource.TestCheckResourceAttr("data.securestream_stream_key.seed", "pattern", "/live/a/*"),
				resource.TestCheckResourceAttrPair("data.securestream_stream_key.seed", "headers.stream_key", "data.securestream_stream_key.seed", "stream_key"),
				resource.TestCheckResourceAttrPair("data.securestream_stream_key.seed", "headers.stream_policy", "data.securestream_stream_key.seed", "stream_policy"),
				e.testAccCheckSeedKey(fn, secret),
			),
		}},
	})
}

// testAccCheckSeedKey checks the seed-format keys: the original issuer,
// given the same secret, mints the same key; the edge accepts it, and the
// one for a long IPv6 spelling; the curl command sends both headers.
func (e *accEnv) testAccCheckSeedKey(fn, secret string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		k, _ := attrs(s, "data.securestream_stream_key.seed")
		exp, _ := strconv.ParseInt(k["expires"], 10, 64)
		want, err := seed.MintWithSecret([]byte(secret), seed.Grant{PlaybackURL: "https://video.example.com/live/a/index.m3u8",
			ClientIP: "198.51.100.7", UserAgent: "Player/1.0", Expires: time.Unix(exp, 0)})
		if err != nil {
			return err
		}
		if k["stream_key"] != want.StreamKey || k["stream_policy"] != want.StreamPolicy {
			return fmt.Errorf("seed key %s / %s; the original issuer mints %s / %s", k["stream_key"], k["stream_policy"], want.StreamKey, want.StreamPolicy)
		}
		sec, _ := attrs(s, "securestream_secret.s")
		v, err := e.verifier(sec["ciphertext"], fn)
		if err != nil {
			return err
		}
		res := seed.Verify(v, k["stream_key"], k["stream_policy"], streamkey.Request{Path: "/live/a/seg.ts", Host: "video.example.com",
			ClientIP: "198.51.100.7", UserAgent: "Player/1.0"})
		if !res.OK() {
			return fmt.Errorf("the edge refuses the seed key: %v", res.Err())
		}
		k6, _ := attrs(s, "data.securestream_stream_key.seed6")
		res = seed.Verify(v, k6["stream_key"], k6["stream_policy"], streamkey.Request{Path: "/live/a/seg.ts", Host: "video.example.com",
			ClientIP: "2001:db8::1", UserAgent: "Player/1.0"})
		if !res.OK() {
			return fmt.Errorf("the edge refuses the seed key for an IPv6 viewer: %v", res.Err())
		}
		if !strings.Contains(k["curl"], "-H 'stream_key: "+want.StreamKey+"' -H 'stream_policy: "+want.StreamPolicy+"'") {
			return fmt.Errorf("curl = %q", k["curl"])
		}
		return nil
	}
}

// The ephemeral twin mints the same kind of key and keeps it out of the
// state: a provisioner receives it, the state never has it.
func TestAccStreamKey_ephemeral(t *testing.T) {
	e := newAccEnv(t)
	fn := name("issuer")
	out := filepath.Join(t.TempDir(), "token")
	base := e.provider() + fmt.Sprintf(streamKeySecret, fn)
	// probe hands the key with args to a provisioner that runs command.
	probe := func(args, command string) string {
		return base + "\n" + streamKeyBlock("ephemeral", "k", `playback_url = "https://video.example.com/live/a/index.m3u8"`, args) + `
resource "terraform_data" "probe" {
  provisioner "local-exec" {
    command     = ` + command + `
    environment = { TOKEN = ephemeral.securestream_stream_key.k.token }
  }
}
`
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{{
			Config: probe(`client_ip = "198.51.100.7"
user_agent = "Player/1.0"
timeouts = { open = "1m" }`, fmt.Sprintf(`"printf '%%s' \"$TOKEN\" > '%s'"`, out)),
			Check: func(s *terraform.State) error {
				tok, err := os.ReadFile(out)
				if err != nil {
					return fmt.Errorf("the provisioner did not receive the key: %w", err)
				}
				sec, _ := attrs(s, "securestream_secret.s")
				v, err := e.verifier(sec["ciphertext"], fn)
				if err != nil {
					return err
				}
				if err := wantVerdict(v, string(tok), streamkeyRequest{path: "/live/a/1.ts", host: "video.example.com", ip: "198.51.100.7", ua: "Player/1.0", now: time.Now()}, ""); err != nil {
					return err
				}
				found, files, err := e.grepStates(map[string][]byte{"the ephemeral token": tok})
				if err == nil && (files == 0 || len(found) > 0) {
					err = fmt.Errorf("searched %d state files, found %v", files, found)
				}
				return err
			},
		}, {
			// The open timeout bounds kms:Decrypt, and the error names it.
			Config: probe(`ip_binding = "off"
timeouts = { open = "1ns" }`, `"true"`),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)kms:Decrypt timed out.*within\s+1ns\s+\(timeouts.open\)`),
		}, {
			Config: base, // so that the destroy plan is valid
		}},
	})
}

// The data source mints exactly what the deployed issuer hands out: the
// issuer, built from the same ciphertext and run with the same clock,
// answers the same request with the same key and forms; in ss1, and in
// cat (format = "cat", the issuer's SECURESTREAM_TOKEN_FORMAT=cat).
func TestAccStreamKey_sameAsIssuer(t *testing.T) {
	e := newAccEnv(t)
	fn := name("issuer")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{{
			Config: e.provider() + fmt.Sprintf(streamKeySecret, fn) + `
` + streamKeyBlock("data", "k", `activation_delay = securestream_secret.s.activation_delay`,
				`playback_url = "https://video.example.com/live/a/index.m3u8"`, `client_ip = "2001:db8:1:2::7"`,
				`user_agent = "Player/2.0"`, `not_before = timeadd(securestream_secret.s.rotated_at, "20m")`, `ttl = "30m"`) + `
` + streamKeyBlock("data", "cat", `activation_delay = securestream_secret.s.activation_delay`, `format = "cat"`,
				`playback_url = "https://video.example.com/live/a/index.m3u8"`, `client_ip = "2001:db8:1:2::7"`,
				`user_agent = "Player/2.0"`, `not_before = timeadd(securestream_secret.s.rotated_at, "20m")`, `ttl = "30m"`),
			Check: resource.ComposeTestCheckFunc(e.testAccCheckMintsAsIssuer(fn, "data.securestream_stream_key.k", nil),
				e.testAccCheckMintsAsIssuer(fn, "data.securestream_stream_key.cat",
					map[string]string{"SECURESTREAM_TOKEN_FORMAT": "cat", "SECURESTREAM_BIND_USER_AGENT": "false"})),
		}},
	})
}

// testAccCheckMintsAsIssuer runs the issuer, built from the secret's
// ciphertext (and more settings in env) with the clock at the key's
// not_before, and checks that it answers the request of the data source
// addr with that data source's key and forms.
func (e *accEnv) testAccCheckMintsAsIssuer(fn, addr string, more map[string]string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		sec, _ := attrs(s, "securestream_secret.s")
		k, err := attrs(s, addr)
		if err != nil {
			return err
		}
		env := map[string]string{
			"AWS_LAMBDA_FUNCTION_NAME":   fn,
			"SECURESTREAM_KEYRING":       sec["ciphertext"],
			"SECURESTREAM_AUTH":          "none",
			"SECURESTREAM_ALLOWED_HOSTS": "video.example.com",
			"SECURESTREAM_SESSION_IDS":   "false",
		}
		maps.Copy(env, more)
		cfg, err := config.Load(func(k string) string { return env[k] })
		if err != nil {
			return err
		}
		is, err := issuer.New(context.Background(), cfg, keyring.KMS{Client: e.clients.KMS})
		if err != nil {
			return err
		}
		rotated, _ := time.Parse(time.RFC3339, sec["rotated_at"])
		is.Now = func() time.Time { return rotated.Add(20 * time.Minute) }
		is.Log = io.Discard
		event, _ := json.Marshal(map[string]any{
			"version": "2.0", "rawPath": "/streamkey", "rawQueryString": "",
			"headers": map[string]string{"content-type": "application/json", "user-agent": "Player/2.0"},
			"requestContext": map[string]any{"requestId": "r1",
				"http": map[string]string{"method": "POST", "path": "/streamkey", "sourceIp": "2001:db8:1:2::7"}},
			"body": `{"playback_url":"https://video.example.com/live/a/index.m3u8","ttl_seconds":1800}`,
		})
		out, err := is.Handle(context.Background(), event)
		if err != nil {
			return err
		}
		var body map[string]any
		if err := json.Unmarshal([]byte(out.Body), &body); err != nil || out.StatusCode != 200 {
			return fmt.Errorf("the issuer answered %d %s", out.StatusCode, out.Body)
		}
		for attr, field := range map[string]string{"token": "token", "signing_key_id": "key_id", "query_string": "query", "url": "url", "cookie": "cookie"} {
			if k[attr] != body[field] {
				return fmt.Errorf("%s: data source %s = %q; the issuer's %s = %q", addr, attr, k[attr], field, body[field])
			}
		}
		if h, _ := body["header"].(map[string]any); h == nil || k["headers."+fmt.Sprint(h["name"])] != h["value"] {
			return fmt.Errorf("%s: headers %v; the issuer's header %v", addr, k, body["header"])
		}
		if want := cmp.Or(k["format"], formatSS1); body["format"] != want {
			return fmt.Errorf("%s: format %s; the issuer's %v", addr, want, body["format"])
		}
		if exp, _ := body["expires"].(float64); k["expires"] != strconv.FormatInt(int64(exp), 10) {
			return fmt.Errorf("expires %s; the issuer's %v", k["expires"], body["expires"])
		}
		return nil
	}
}
