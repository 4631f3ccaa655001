package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/securestream/terraform-provider-securestream/internal/issuerpkg"
	"github.com/securestream/terraform-provider-securestream/internal/jwttest"
	"github.com/securestream/terraform-provider-securestream/internal/local/api"
	"github.com/securestream/terraform-provider-securestream/internal/local/localtest"
	"github.com/securestream/terraform-provider-securestream/internal/reporoot"
	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

// End to end: Terraform applies a secret and an issuer (HTTP API, the
// issuer checking JWTs itself), and the local API runs what was applied:
// a player with a valid JWT gets a key the Go verifier accepts, one with
// a bad JWT gets 401.
func TestAccIssuer_localAPI(t *testing.T) {
	e, fn, pkgPath, config := localJWTIssuer(t, false)
	cfg := config("")
	var local *api.Server // one warm runtime for both calls
	call := func(s *terraform.State, jwt string) (int, string, error) {
		a, err := attrs(s, "securestream_issuer.i")
		if err != nil {
			return 0, "", err
		}
		if local == nil {
			local = localtest.StartAPI(t, api.Options{Endpoint: e.endpoint, Package: pkgPath, RIE: localtest.FindRIE(t), Logf: t.Logf})
		}
		req, _ := http.NewRequest(http.MethodPost, local.URL+"/"+a["api_id"]+"/",
			strings.NewReader(`{"playback_url":"https://media.example.com/vod/movie-42/index.m3u8"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "Player/1.0")
		req.Header.Set("Authorization", "Bearer "+jwt)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), nil
	}
	claims := map[string]any{"aud": "players", "sub": "viewer-1", "exp": time.Now().Add(time.Hour).Unix()}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkIssuerDestroyed,
		Steps: []resource.TestStep{{
			Config: cfg,
			Check: func(s *terraform.State) error {
				status, body, err := call(s, jwttest.HS256([]byte(hsKey), claims))
				if err != nil || status != http.StatusOK {
					return fmt.Errorf("a valid JWT: %d %v\n%s", status, err, body)
				}
				var key struct{ Token string }
				if err := json.Unmarshal([]byte(body), &key); err != nil || key.Token == "" {
					return fmt.Errorf("the answer has no token: %v\n%s", err, body)
				}
				sec, _ := attrs(s, "securestream_secret.s")
				v, err := e.verifier(sec["ciphertext"], fn)
				if err != nil {
					return err
				}
				seg := streamkeyRequest{path: "/vod/movie-42/seg1.ts", host: "media.example.com", ip: "127.0.0.1", ua: "Player/1.0", now: time.Now()}
				if err := wantVerdict(v, key.Token, seg, ""); err != nil {
					return err
				}
				if status, body, err := call(s, jwttest.HS256([]byte("another-key-that-nobody-shares-012345"), claims)); err != nil || status != http.StatusUnauthorized {
					return fmt.Errorf("a JWT signed with another key: %d %v; want 401\n%s", status, err, body)
				}
				// The function's logs hold no key of the ring, no HS256 key and
				// no token, in any spelling.
				doc, err := e.openRing(sec["ciphertext"], fn)
				if err != nil {
					return err
				}
				out := local.FunctionOutput(fn)
				if !strings.Contains(out, `"outcome"`) {
					return fmt.Errorf("the function logged nothing the test recognises:\n%s", out)
				}
				secrets := map[string][]byte{"the HS256 key": []byte(hsKey), "the stream key": []byte(key.Token)}
				for _, k := range doc.Keys {
					secrets["ring key "+k.ID] = k.Secret
				}
				for what, secret := range secrets {
					for form, v := range secretForms(secret) {
						if len(v) >= 8 && strings.Contains(out, v) {
							return fmt.Errorf("%s (%s) is in the function's logs", what, form)
						}
					}
				}
				return nil
			},
		}},
	})
}

// hsKey is the players' identity provider's HS256 key in the tests that
// run an applied issuer on the local API.
const hsKey = "a-shared-hs256-key-of-the-players-idp-0123"

// localJWTIssuer is the opening of the tests that apply an issuer on moto
// and run it under the local API: the environment, the issuer's package
// for this machine (fresh: built now, see localIssuerPackage), and the
// configuration of a secret and an issuer fn (HTTP API) that checks the
// players' HS256 JWTs (audience "players") for media.example.com, with
// more settings lines.
func localJWTIssuer(t *testing.T, fresh bool) (e *accEnv, fn, pkgPath string, config func(settings string) string) {
	t.Helper()
	testenv.Cross(t) // aws-lambda-rie runs the issuer's bootstrap
	e = newAccEnv(t)
	if e.endpoint == "" {
		t.Fatal("this test runs the applied issuer locally: it needs moto (unset SECURESTREAM_ACC_ENDPOINT=aws)")
	}
	arch, pkgPath := localIssuerPackage(t, fresh)
	fn = name("issuer")
	return e, fn, pkgPath, func(settings string) string {
		return issuerConfig(e, fn, pkgPath, fmt.Sprintf(`  architecture             = %q
  jwt_hs256_key_wo         = %q
  jwt_hs256_key_wo_version = 1
  settings = {
    auth          = "jwt"
    jwt_audience  = "players"
    allowed_hosts = ["media.example.com"]
%s  }
`, arch, hsKey, settings))
	}
}

// localIssuerPackage is the issuer's package for this machine, which
// aws-lambda-rie runs: `make issuer`'s, else (or when fresh: a test of
// what that build may predate) built now from the source; its
// architecture and a path to it.
func localIssuerPackage(t *testing.T, fresh bool) (arch, path string) {
	t.Helper()
	arch = map[string]string{"amd64": "x86_64", "arm64": "arm64"}[runtime.GOARCH]
	pkg, err := issuerpkg.Package(arch)
	if err != nil || fresh { // without `make issuer`: build it now
		root, rerr := reporoot.Find()
		if rerr != nil {
			t.Fatal(rerr)
		}
		if pkg, err = issuerpkg.Build(context.Background(), root, arch); err != nil {
			t.Fatal(err)
		}
	}
	path = filepath.Join(t.TempDir(), issuerpkg.FileName(arch))
	if err := os.WriteFile(path, pkg, 0o600); err != nil {
		t.Fatal(err)
	}
	return arch, path
}
