package awsprovidertest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	cf "github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/securestream/terraform-provider-securestream/internal/demo"
	"github.com/securestream/terraform-provider-securestream/internal/issuerpkg"
	"github.com/securestream/terraform-provider-securestream/internal/jwttest"
	"github.com/securestream/terraform-provider-securestream/internal/local/api"
	"github.com/securestream/terraform-provider-securestream/internal/local/cloudfront"
	"github.com/securestream/terraform-provider-securestream/internal/local/emulators"
	"github.com/securestream/terraform-provider-securestream/internal/local/mirror"
	"github.com/securestream/terraform-provider-securestream/internal/local/origin"
	"github.com/securestream/terraform-provider-securestream/internal/local/stack"
	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

// The complete example's region (its variable's default) and the
// variables it requires, as a user would give them.
const (
	completeRegion   = "eu-west-1"
	completeOrigin   = "https://player.example.test"
	completeAudience = "video-player"
	completeUA       = "Mozilla/5.0 (securestream complete example test)"
)

// completeVars are the -var arguments of every plan and apply; issuer is
// the test's identity provider.
func completeVars(issuer string) []string {
	return []string{
		"-var", `player_origins=["` + completeOrigin + `"]`,
		"-var", "jwt_issuer=" + issuer,
		"-var", "jwt_audience=" + completeAudience,
	}
}

// identityProvider is the player's identity provider: an OpenID
// configuration and a JWKS of one RSA key, which the HTTP API's JWT
// authorizer (run by the local API) fetches as API Gateway does.
type identityProvider struct {
	URL string
	key *rsa.PrivateKey
}

func newIdentityProvider(t *testing.T) *identityProvider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &identityProvider{key: key}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			_ = json.NewEncoder(w).Encode(map[string]string{"issuer": p.URL, "jwks_uri": p.URL + "/jwks"})
		case "/jwks":
			_, _ = io.WriteString(w, jwttest.JWKS(jwttest.JWK(key, map[string]string{"kid": "player", "use": "sig", "alg": "RS256"})))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// token is a user's ID token for the player, signed with the identity
// provider's key.
func (p *identityProvider) token(sub string) string {
	now := time.Now()
	return jwttest.Sign(map[string]any{"alg": "RS256", "typ": "JWT", "kid": "player"}, map[string]any{
		"iss": p.URL, "aud": completeAudience, "sub": sub, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}, p.key)
}

// issuerPackages are the issuer's Lambda packages for both architectures,
// as the provider built into the mirror embeds them (mirror.Build takes
// internal/issuerpkg/dist, or builds what it lacks with issuerpkg.Build,
// which is reproducible), for the local API to run.
func issuerPackages(ctx context.Context, t *testing.T, root string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	paths := map[string]string{}
	for _, arch := range []string{"arm64", "x86_64"} {
		dist := filepath.Join(root, "internal", "issuerpkg", "dist", issuerpkg.FileName(arch))
		if _, err := os.Stat(dist); err == nil {
			paths[arch] = dist
			continue
		}
		pkg, err := issuerpkg.Build(ctx, root, arch)
		if err != nil {
			t.Fatalf("building the issuer package for %s: %v", arch, err)
		}
		paths[arch] = filepath.Join(dir, issuerpkg.FileName(arch))
		if err := os.WriteFile(paths[arch], pkg, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return paths
}

// endpointsIsBlock says whether the securestream provider's endpoints
// setting is a block (endpoints { ... }) or an attribute (endpoints =
// { ... }), from the schema of the provider Terraform installed.
func (f *tf) endpointsIsBlock() bool {
	f.t.Helper()
	_, out := f.run([]string{"providers", "schema", "-json"})
	var s struct {
		Schemas map[string]struct {
			Provider struct {
				Block struct {
					Attributes map[string]json.RawMessage `json:"attributes"`
					BlockTypes map[string]json.RawMessage `json:"block_types"`
				} `json:"block"`
			} `json:"provider"`
		} `json:"provider_schemas"`
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		f.t.Fatalf("terraform providers schema -json: %v", err)
	}
	p, ok := s.Schemas[mirror.Source]
	if !ok {
		f.t.Fatalf("terraform providers schema -json has no %s", mirror.Source)
	}
	if _, ok := p.Provider.Block.BlockTypes["endpoints"]; ok {
		return true
	}
	if _, ok := p.Provider.Block.Attributes["endpoints"]; ok {
		return false
	}
	f.t.Fatalf("the securestream provider has no endpoints setting")
	return false
}

// providersOverride is the override file that points both providers at
// the local stack: only endpoints and credentials (and S3's path style,
// which a loopback endpoint needs); every resource is the example's.
func providersOverride(motoURL, cloudfrontURL string, endpointsBlock bool) string {
	eq := " ="
	if endpointsBlock {
		eq = ""
	}
	return fmt.Sprintf(`# Written by the test: both providers on the local stack.
%[4]s
provider "securestream" {
  access_key                  = "testing"
  secret_key                  = "testing"
  endpoint                    = %[1]q
  skip_credentials_validation = true

  endpoints%[3]s {
    cloudfront = %[2]q
  }
}
`, motoURL, cloudfrontURL, eq, awsProvider(motoURL, cloudfrontURL, ""))
}

// stateResource returns the attributes of a resource (mode "managed" or
// "data") in the state file, or nil when there is none.
func (f *tf) stateResource(mode, typ, name string) map[string]any {
	f.t.Helper()
	b, err := os.ReadFile(filepath.Join(f.dir, "terraform.tfstate"))
	if err != nil {
		f.t.Fatal(err)
	}
	var st struct {
		Resources []struct {
			Mode, Type, Name string
			Instances        []struct {
				Attributes map[string]any `json:"attributes"`
			} `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		f.t.Fatalf("the state file: %v", err)
	}
	for _, r := range st.Resources {
		if r.Mode == mode && r.Type == typ && r.Name == name && len(r.Instances) == 1 {
			return r.Instances[0].Attributes
		}
	}
	return nil
}

// uploadFixtures puts the demo's HLS titles into the bucket under vod/
// (vod/demo/master.m3u8, ...), as `aws s3 sync` would, and returns the
// keys.
func uploadFixtures(t *testing.T, motoURL, bucket string) []string {
	t.Helper()
	var keys []string
	err := fs.WalkDir(origin.Files(), "videos", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(origin.Files(), p)
		if err != nil {
			return err
		}
		key := "vod/" + strings.TrimPrefix(p, "videos/")
		req, err := http.NewRequest(http.MethodPut, motoURL+"/"+bucket+"/"+key, bytes.NewReader(b))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", map[string]string{".m3u8": "application/vnd.apple.mpegurl", ".ts": "video/mp2t"}[path.Ext(p)])
		resp, err := s3Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("S3 PutObject %s: %s", key, resp.Status)
		}
		keys = append(keys, key)
		return nil
	})
	if err != nil || len(keys) == 0 {
		t.Fatalf("uploading the HLS fixtures: %v (%d objects)", err, len(keys))
	}
	return keys
}

// s3Do sends an S3 request signed (SigV4) with the credentials the
// providers use, as the AWS CLI would.
func s3Do(req *http.Request) (*http.Response, error) {
	req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	creds := aws.Credentials{AccessKeyID: "testing", SecretAccessKey: "testing"}
	if err := v4.NewSigner().SignHTTP(req.Context(), creds, req, "UNSIGNED-PAYLOAD", "s3", completeRegion, time.Now()); err != nil {
		return nil, err
	}
	return http.DefaultClient.Do(req)
}

// emptyBucket deletes the keys, as the example's README asks before
// destroy (aws s3 rm --recursive).
func emptyBucket(t *testing.T, motoURL, bucket string, keys []string) {
	t.Helper()
	for _, k := range keys {
		req, err := http.NewRequest(http.MethodDelete, motoURL+"/"+bucket+"/"+k, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := s3Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("S3 DeleteObject %s: %s", k, resp.Status)
		}
	}
}

// edgeHost is the Host of the requests edgeGet sends: the distribution's
// domain name, as a player on CloudFront sends it (and as the key binds
// it).
var edgeHost string

// edgeGet is a viewer's request through the edge: GET of u with Host
// edgeHost, the player's User-Agent and Origin, and extra headers.
func edgeGet(t *testing.T, method, u string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = edgeHost
	req.Header.Set("User-Agent", completeUA)
	req.Header.Set("Origin", completeOrigin)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// requestKey asks the issuer behind the HTTP API apiID on the local API
// for a key to playbackURL, as a player does: a POST with the user's JWT
// (which the API's JWT authorizer checks; none when jwt is empty) and the
// player's User-Agent. The answer is decoded as the demo's (demo.Key).
func requestKey(apiURL, apiID, playbackURL, jwt string) (*demo.Key, error) {
	body, _ := json.Marshal(map[string]string{"playback_url": playbackURL})
	req, err := http.NewRequest(http.MethodPost, strings.TrimSuffix(apiURL, "/")+"/"+apiID+"/", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if jwt != "" {
		req.Header.Set("Authorization", "Bearer "+jwt)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", completeUA)
	req.Header.Set("Origin", completeOrigin)
	resp, err := (&http.Client{Timeout: time.Minute}).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("POST %s: %s: %s", req.URL, resp.Status, raw)
	}
	k := &demo.Key{}
	if err := json.Unmarshal(raw, k); err != nil || k.Token == "" {
		return nil, fmt.Errorf("POST %s: an answer without a key (%v): %s", req.URL, err, raw)
	}
	return k, nil
}

// examples/complete, applied unmodified with the real hashicorp/aws (from
// its filesystem mirror) and this provider (built into a filesystem
// mirror, as make mirror does) against the local stack: moto with the
// demo's HLS titles uploaded to the bucket, the local CloudFront serving
// the bucket, the local API running the issuer. Only the providers'
// endpoints and credentials (an override file) and the variables differ.
// Then: the refusals at the edge, a key from the issuer and the stream
// through the edge on each channel the example enables, a second plan with
// no changes, the distribution and the edge function imported with a plan
// of no changes, and destroy leaving nothing.
func TestCompleteExample(t *testing.T) {
	testenv.Cross(t)
	testenv.Acceptance(t)
	awsMirror, err := FindMirror()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := emulators.LookRIE(); err != nil {
		t.Fatal(err) // the local API runs the issuer under it; the error says how to install it
	}
	root := testenv.RepoRoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*hangGuard)
	defer cancel()

	// The provider, into a filesystem mirror beside hashicorp/aws's.
	mirrorDir := t.TempDir()
	start := time.Now()
	if _, err := mirror.Build(ctx, root, mirrorDir, mirror.DevVersion(ctx, root)); err != nil {
		t.Fatal(err)
	}
	t.Logf("the provider built into the mirror: %v", time.Since(start).Round(time.Millisecond))
	f := newTFWith(t, mirror.CLIConfig(mirrorDir, awsMirror))

	motoLog := filepath.Join(t.TempDir(), "moto.log")
	t.Cleanup(func() { // after the stack's Close (cleanups run last first)
		if b, err := os.ReadFile(motoLog); t.Failed() && err == nil {
			t.Logf("the end of moto_server's output:\n%s", b[max(0, len(b)-8000):])
		}
	})
	st, err := stack.Start(ctx, stack.Options{
		MotoLog: motoLog,
		// Lenient publish: the import below leaves aws_cloudfront_function's
		// publish null, so the apply that follows sets it to true, and
		// hashicorp/aws then republishes code that did not change, which
		// AWS was seen to refuse with 412 (terraform-provider-aws #49572,
		// as the local CloudFront does by default). The deploy delay stays
		// the default: hashicorp/aws's wait sleeps 30 s before it polls.
		CloudFront: cloudfront.Config{Logf: t.Logf, LenientPublish: true},
		// The example's issuer is arm64 (the default): the local API runs
		// the same source built for this machine (its packages for both).
		API: api.Options{Region: completeRegion, Logf: t.Logf, Packages: issuerPackages(ctx, t, root)},
	})
	if err != nil {
		t.Fatal(err) // moto_server missing: the error says how to install it
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})

	if err := mirror.CopyConfig(filepath.Join(root, "examples", "complete"), f.dir); err != nil {
		t.Fatal(err)
	}
	f.run([]string{"init", "-input=false", "-no-color"})
	if err := os.WriteFile(filepath.Join(f.dir, "providers_override.tf"),
		[]byte(providersOverride(st.MotoURL, st.CloudFront.Endpoint, f.endpointsIsBlock())), 0o600); err != nil {
		t.Fatal(err)
	}
	idp := newIdentityProvider(t)
	vars := completeVars(idp.URL)
	f.run(append([]string{"apply", "-input=false", "-auto-approve", "-no-color"}, vars...))

	var edge string
	bucket := f.output("bucket")
	domain := f.output("media_domain")
	issuerURL := f.output("issuer_url")
	dist := f.stateResource("managed", "aws_cloudfront_distribution", "media")
	if dist == nil {
		t.Fatal("the state has no aws_cloudfront_distribution.media")
	}
	distID, _ := dist["id"].(string)
	if st.CloudFront.EdgeURL(distID) == "" {
		t.Fatalf("the local CloudFront does not serve distribution %s", distID)
	}
	// The shared edge, by the distribution's domain name, as CloudFront.
	edge, edgeHost = st.CloudFront.EdgeEndpoint, domain
	keys := uploadFixtures(t, st.MotoURL, bucket)
	const master = "/vod/demo/master.m3u8"

	// The refusals, and the preflight the function answers itself.
	if resp, _ := edgeGet(t, http.MethodGet, edge+master, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("GET %s without a key: %d; want 403", master, resp.StatusCode)
	}
	forged := "v1.k1.9999999999.AAAA.AAAAAAAAAAAAAAAAAAAAAA"
	if resp, _ := edgeGet(t, http.MethodGet, edge+master, map[string]string{"x-stream-token": forged}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("GET %s with a made-up key: %d; want 403", master, resp.StatusCode)
	}
	if resp, _ := edgeGet(t, http.MethodOptions, edge+master, map[string]string{
		"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-stream-token"}); resp.StatusCode/100 != 2 ||
		resp.Header.Get("Access-Control-Allow-Origin") != completeOrigin {
		t.Errorf("the CORS preflight through the edge: %d, Access-Control-Allow-Origin %q; want 2xx and %q",
			resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"), completeOrigin)
	}

	// A key from the issuer, and the stream on each channel.
	t.Run("key and stream", func(t *testing.T) {
		u, err := url.Parse(issuerURL)
		if err != nil || u.Host == "" {
			t.Fatalf("issuer_url %q is not a URL", issuerURL)
		}
		apiID, _, _ := strings.Cut(u.Host, ".")
		// The JWT authorizer refuses a request without a token, or with one
		// signed by another key, before the issuer runs.
		for name, jwt := range map[string]string{"no token": "", "a token of another key": jwttest.Sign(
			map[string]any{"alg": "RS256", "typ": "JWT", "kid": "player"},
			map[string]any{"iss": idp.URL, "aud": completeAudience, "sub": "x", "exp": time.Now().Add(time.Hour).Unix()}, otherKey(t))} {
			if _, err := requestKey(st.API.URL, apiID, "https://"+domain+master, jwt); err == nil || !strings.Contains(err.Error(), "401") {
				t.Errorf("%s: %v; want 401 from the authorizer", name, err)
			}
		}
		k, err := requestKey(st.API.URL, apiID, "https://"+domain+master, idp.token("viewer-1"))
		if err != nil {
			// examples/complete's issuer is arm64 (the default) behind an
			// HTTP API with a JWT authorizer: the local API runs both.
			t.Fatalf("a key from the issuer through the local API: %v\nthe issuer's output:\n%s", err, st.API.FunctionOutput("video-issuer"))
		}
		tampered := k.Token[:len(k.Token)-1] + map[bool]string{true: "A", false: "B"}[!strings.HasSuffix(k.Token, "A")]
		// The example enables the header and path channels (token_query
		// and token_cookie ""): the key plays on those, not on the others.
		for _, c := range []struct {
			name, url string
			header    map[string]string
			want      int
		}{
			{"header", edge + master, map[string]string{k.Header.Name: k.Header.Value}, http.StatusOK},
			{"header, tampered", edge + master, map[string]string{k.Header.Name: tampered}, http.StatusForbidden},
			{"path", edge + strings.TrimPrefix(k.URL, "https://"+domain), nil, http.StatusOK},
			{"query (off)", edge + master + "?token=" + url.QueryEscape(k.Token), nil, http.StatusForbidden},
			{"cookie (off)", edge + master, map[string]string{"Cookie": "stream_token=" + k.Token}, http.StatusForbidden},
		} {
			resp, body := edgeGet(t, http.MethodGet, c.url, c.header)
			if resp.StatusCode != c.want {
				t.Errorf("%s: GET %s: %d (%s); want %d", c.name, c.url, resp.StatusCode, resp.Header.Get("x-stream-key-error"), c.want)
				continue
			}
			if c.want == http.StatusOK {
				if !bytes.HasPrefix(body, []byte("#EXTM3U")) || resp.Header.Get("Access-Control-Allow-Origin") != completeOrigin {
					t.Errorf("%s: the master playlist from the bucket with CORS: %q, Access-Control-Allow-Origin %q", c.name, body, resp.Header.Get("Access-Control-Allow-Origin"))
				}
			}
		}
	})

	f.noChangesWith("after apply", vars)

	// Import of the distribution and of the edge function, into a state
	// that has forgotten them; then nothing to change.
	fnType, fnName, fnID := "aws_cloudfront_function", "edge", ""
	if fn := f.stateResource("managed", fnType, fnName); fn != nil {
		fnID, _ = fn["name"].(string)
	} else if fn := f.stateResource("managed", "securestream_function", fnName); fn != nil {
		fnType = "securestream_function"
		name, _ := fn["name"].(string)
		issuer, _ := fn["function_name"].(string)
		fnID = name + ",lambda:" + issuer // import.sh's first form
	}
	if fnID == "" {
		t.Fatal("the state has neither aws_cloudfront_function.edge nor securestream_function.edge")
	}
	distAddr, fnAddr := "aws_cloudfront_distribution.media", fnType+"."+fnName
	f.run([]string{"state", "rm", "-no-color", distAddr, fnAddr})
	imports := fmt.Sprintf("import {\n  to = %s\n  id = %q\n}\n\nimport {\n  to = %s\n  id = %q\n}\n", distAddr, distID, fnAddr, fnID)
	if err := os.WriteFile(filepath.Join(f.dir, "imports.tf"), []byte(imports), 0o600); err != nil {
		t.Fatal(err)
	}
	f.run(append([]string{"plan", "-input=false", "-no-color", "-out=import.tfplan"}, vars...))
	_, planJSON := f.run([]string{"show", "-json", "-no-color", "import.tfplan"})
	imported, changed := importPlan(t, planJSON)
	if strings.Join(imported, " ") != distAddr+" "+fnAddr && strings.Join(imported, " ") != fnAddr+" "+distAddr {
		t.Errorf("the plan with the import blocks imports %v; want %s and %s", imported, distAddr, fnAddr)
	}
	// hashicorp/aws does not read publish back (its import leaves it
	// null), so the imported aws_cloudfront_function plans publish =
	// true, as it would against AWS; nothing else may change.
	for addr, attrs := range changed {
		if addr != fnAddr || fnType != "aws_cloudfront_function" || strings.Join(attrs, " ") != "publish (update)" {
			t.Errorf("after import, %s would change %v; want no change (but publish on aws_cloudfront_function)", addr, attrs)
		}
	}
	f.run([]string{"apply", "-input=false", "-auto-approve", "-no-color", "import.tfplan"})
	if err := os.Remove(filepath.Join(f.dir, "imports.tf")); err != nil {
		t.Fatal(err)
	}
	f.noChangesWith("after import", vars)

	emptyBucket(t, st.MotoURL, bucket, keys)
	f.run(append([]string{"destroy", "-input=false", "-auto-approve", "-no-color"}, vars...))
	checkNothingLeft(t, st.MotoURL, st.CloudFront.Endpoint)
}

// noChangesWith is noChanges with variables.
func (f *tf) noChangesWith(when string, vars []string) {
	f.t.Helper()
	if code, out := f.run(append([]string{"plan", "-input=false", "-detailed-exitcode", "-no-color"}, vars...), 0, 2); code != 0 {
		f.t.Fatalf("%s: the plan shows changes; want none:\n%s", when, out)
	}
}

// checkNothingLeft fails t unless the local stack holds none of what the
// example made: no distribution, function, origin access control or
// response headers policy; no Lambda function, IAM role, HTTP API or
// bucket; its KMS key pending deletion (what destroy does to a KMS key).
func checkNothingLeft(t *testing.T, motoURL, cloudfrontURL string) {
	t.Helper()
	ctx := context.Background()
	creds := credentials.NewStaticCredentialsProvider("testing", "testing", "")
	c := cf.New(cf.Options{BaseEndpoint: aws.String(cloudfrontURL), Region: "us-east-1", Credentials: creds})
	var left []string
	count := func(what string, n int32, err error) {
		if err != nil {
			t.Errorf("after destroy, %s: %v", what, err)
		} else if n != 0 {
			left = append(left, fmt.Sprintf("%d from %s", n, what))
		}
	}
	if out, err := c.ListDistributions(ctx, &cf.ListDistributionsInput{}); err == nil {
		count("cloudfront ListDistributions", aws.ToInt32(out.DistributionList.Quantity), nil)
	} else {
		count("cloudfront ListDistributions", 0, err)
	}
	if out, err := c.ListFunctions(ctx, &cf.ListFunctionsInput{}); err == nil {
		count("cloudfront ListFunctions", aws.ToInt32(out.FunctionList.Quantity), nil)
	} else {
		count("cloudfront ListFunctions", 0, err)
	}
	if out, err := c.ListOriginAccessControls(ctx, &cf.ListOriginAccessControlsInput{}); err == nil {
		count("cloudfront ListOriginAccessControls", aws.ToInt32(out.OriginAccessControlList.Quantity), nil)
	} else {
		count("cloudfront ListOriginAccessControls", 0, err)
	}
	if out, err := c.ListResponseHeadersPolicies(ctx, &cf.ListResponseHeadersPoliciesInput{Type: "custom"}); err == nil {
		count("cloudfront ListResponseHeadersPolicies (custom)", aws.ToInt32(out.ResponseHeadersPolicyList.Quantity), nil)
	} else {
		count("cloudfront ListResponseHeadersPolicies", 0, err)
	}

	cfg := aws.Config{Region: completeRegion, Credentials: creds, BaseEndpoint: aws.String(motoURL)}
	if out, err := lambda.NewFromConfig(cfg).ListFunctions(ctx, &lambda.ListFunctionsInput{}); err == nil {
		count("lambda ListFunctions", int32(len(out.Functions)), nil)
	} else {
		count("lambda ListFunctions", 0, err)
	}
	if out, err := iam.NewFromConfig(cfg).ListRoles(ctx, &iam.ListRolesInput{}); err == nil {
		count("iam ListRoles", int32(len(out.Roles)), nil)
	} else {
		count("iam ListRoles", 0, err)
	}
	if out, err := apigatewayv2.NewFromConfig(cfg).GetApis(ctx, &apigatewayv2.GetApisInput{}); err == nil {
		count("apigatewayv2 GetApis", int32(len(out.Items)), nil)
	} else {
		count("apigatewayv2 GetApis", 0, err)
	}
	k := kms.NewFromConfig(cfg)
	if out, err := k.ListKeys(ctx, &kms.ListKeysInput{}); err != nil {
		t.Errorf("after destroy, kms ListKeys: %v", err)
	} else {
		for _, key := range out.Keys {
			d, err := k.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: key.KeyId})
			if err != nil {
				t.Errorf("after destroy, kms DescribeKey %s: %v", aws.ToString(key.KeyId), err)
			} else if st := d.KeyMetadata.KeyState; st != kmstypes.KeyStatePendingDeletion {
				left = append(left, fmt.Sprintf("KMS key %s in state %s (want PendingDeletion)", aws.ToString(key.KeyId), st))
			}
		}
	}
	if resp, body := get(t, http.MethodGet, motoURL+"/", ""); resp.StatusCode != http.StatusOK || strings.Contains(body, "<Bucket>") {
		left = append(left, "S3 ListBuckets: "+body)
	}
	if len(left) > 0 {
		t.Errorf("after destroy, left: %s", strings.Join(left, "; "))
	}
}

// importPlan returns, from a plan in JSON (terraform show -json), the
// addresses it imports and, for each resource it changes, the top-level
// attributes that differ.
func importPlan(t *testing.T, planJSON string) (imported []string, changed map[string][]string) {
	t.Helper()
	var p struct {
		ResourceChanges []struct {
			Address string `json:"address"`
			Change  struct {
				Actions   []string                   `json:"actions"`
				Before    map[string]json.RawMessage `json:"before"`
				After     map[string]json.RawMessage `json:"after"`
				Importing json.RawMessage            `json:"importing"`
			} `json:"change"`
		} `json:"resource_changes"`
	}
	if err := json.Unmarshal([]byte(planJSON), &p); err != nil {
		t.Fatalf("terraform show -json: %v", err)
	}
	changed = map[string][]string{}
	for _, rc := range p.ResourceChanges {
		if len(rc.Change.Importing) > 0 && string(rc.Change.Importing) != "null" {
			imported = append(imported, rc.Address)
		}
		if strings.Join(rc.Change.Actions, ",") == "no-op" || strings.Join(rc.Change.Actions, ",") == "read" {
			continue
		}
		var attrs []string
		for k, after := range rc.Change.After {
			if before, ok := rc.Change.Before[k]; !ok || !bytes.Equal(before, after) {
				attrs = append(attrs, k)
			}
		}
		for k := range rc.Change.Before {
			if _, ok := rc.Change.After[k]; !ok {
				attrs = append(attrs, k)
			}
		}
		slices.Sort(attrs)
		changed[rc.Address] = append(attrs, "("+strings.Join(rc.Change.Actions, ",")+")")
	}
	return imported, changed
}

// otherKey is an RSA key the identity provider does not publish.
func otherKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// awsProvider is a hashicorp/aws provider block on the local stack: test
// credentials, no account lookups, S3 in path style (a loopback endpoint
// has no bucket subdomains), CloudFront at the local CloudFront and the
// rest at moto; extra holds more arguments (a region).
func awsProvider(motoURL, cloudfrontURL, extra string) string {
	return fmt.Sprintf(`provider "aws" {
%[3]s  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  s3_use_path_style           = true

  endpoints {
    cloudfront = %[2]q
    s3         = %[1]q
    sts        = %[1]q
    iam        = %[1]q
  }
}
`, motoURL, cloudfrontURL, extra)
}
