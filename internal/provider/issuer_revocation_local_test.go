package provider

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cf "github.com/aws/aws-sdk-go-v2/service/cloudfront"
	kvs "github.com/aws/aws-sdk-go-v2/service/cloudfrontkeyvaluestore"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/securestream/terraform-provider-securestream/internal/jwttest"
	"github.com/securestream/terraform-provider-securestream/internal/local/api"
	"github.com/securestream/terraform-provider-securestream/internal/local/cloudfront"
	"github.com/securestream/terraform-provider-securestream/internal/local/localtest"
)

// End to end on the local stack: Terraform applies an issuer with a
// revocation store (made in the local CloudFront) and admin_scope, and
// the local API runs it with the local CloudFront as its
// cloudfront-keyvaluestore endpoint: an admin's POST /revocations/{id}
// writes the entry to the store, a player's token without the scope is
// refused, and the issuer then refuses to continue the revoked session.
func TestAccIssuer_revocationLocal(t *testing.T) {
	// The admin routes are newer than a `make issuer` may be: built now.
	e, _, pkgPath, config := localJWTIssuer(t, true)
	ctx := context.Background()
	front := localtest.StartCloudFront(t, cloudfront.Config{})
	creds := credentials.NewStaticCredentialsProvider("test", "test", "")
	store, err := cf.New(cf.Options{Region: "us-east-1", BaseEndpoint: aws.String(front.Endpoint), Credentials: creds}).
		CreateKeyValueStore(ctx, &cf.CreateKeyValueStoreInput{Name: aws.String(name("revocations"))})
	if err != nil || store.KeyValueStore == nil {
		t.Fatalf("cloudfront:CreateKeyValueStore on the local CloudFront: %v", err)
	}
	storeARN := aws.ToString(store.KeyValueStore.ARN)
	data := kvs.New(kvs.Options{Region: "us-east-1", Credentials: creds, EndpointResolverV2: cloudfront.KVSEndpointResolver(front.Endpoint)})

	cfg := config(fmt.Sprintf(`    revocation_kvs_arn = %q
    admin_scope        = "revoke"
`, storeARN))
	var local *api.Server
	call := func(s *terraform.State, method, path, body string, claims map[string]any) (int, string, error) {
		a, err := attrs(s, "securestream_issuer.i")
		if err != nil {
			return 0, "", err
		}
		if local == nil {
			local = localtest.StartAPI(t, api.Options{Endpoint: e.endpoint, KVSEndpoint: front.Endpoint, Package: pkgPath, RIE: localtest.FindRIE(t), Logf: t.Logf})
		}
		req, _ := http.NewRequest(method, local.URL+"/"+a["api_id"]+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "Player/1.0")
		req.Header.Set("Authorization", "Bearer "+jwttest.HS256([]byte(hsKey), claims))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), nil
	}
	exp := time.Now().Add(time.Hour).Unix()
	admin := map[string]any{"aud": "players", "sub": "ops-1", "scope": "revoke", "exp": exp}
	player := map[string]any{"aud": "players", "sub": "viewer-1", "exp": exp}
	const mint = `{"playback_url":"https://media.example.com/vod/movie-42/index.m3u8","session_id":"sess-42"}`
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             e.checkIssuerDestroyed,
		Steps: []resource.TestStep{{
			Config: cfg,
			Check: func(s *terraform.State) error {
				if status, body, err := call(s, http.MethodPost, "/", mint, player); err != nil || status != http.StatusOK {
					return fmt.Errorf("continuing a session not revoked: %d %v\n%s", status, err, body)
				}
				if status, body, err := call(s, http.MethodPost, "/revocations/sess-42", "", player); err != nil || status != http.StatusForbidden {
					return fmt.Errorf("a revocation by a token without the admin scope: %d %v; want 403\n%s", status, err, body)
				}
				if status, body, err := call(s, http.MethodPost, "/revocations/sess-42", "", admin); err != nil || status != http.StatusOK ||
					!strings.Contains(body, `"revoked":true`) {
					return fmt.Errorf("an admin's revocation: %d %v; want 200 revoked\n%s", status, err, body)
				}
				got, err := data.GetKey(ctx, &kvs.GetKeyInput{KvsARN: aws.String(storeARN), Key: aws.String("r:sess-42")})
				if err != nil {
					return fmt.Errorf("the revocation is not in the local store: cloudfront-keyvaluestore:GetKey: %w", err)
				}
				if v := aws.ToString(got.Value); len(v) < 10 || strings.Trim(v, "0123456789") != "" {
					return fmt.Errorf("the entry's value %q is not decimal Unix seconds", v)
				}
				if status, body, err := call(s, http.MethodPost, "/", mint, player); err != nil || status == http.StatusOK || !strings.Contains(body, "revoked") {
					return fmt.Errorf("continuing the revoked session: %d %v; want a refusal naming revoked\n%s", status, err, body)
				}
				return nil
			},
		}},
	})
}
