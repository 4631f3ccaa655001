package awsprovidertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cf "github.com/aws/aws-sdk-go-v2/service/cloudfront"

	"github.com/securestream/terraform-provider-securestream/internal/local/cloudfront"
	"github.com/securestream/terraform-provider-securestream/internal/local/localtest"
	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

// hangGuard bounds one Terraform command: about ten times what the
// slowest (init, apply) takes here.
const hangGuard = 5 * time.Minute

// playlist is the object served through the edge.
const playlist = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n#EXTINF:4.0,\nseg0.ts\n#EXT-X-ENDLIST\n"

const playerOrigin = "https://player.example.test"

// config is the configuration applied: an S3 bucket with an object, an
// origin access control, a response headers policy with CORS, and a
// distribution with that S3 origin and managed policies found by name,
// as examples/complete has them. enabled is the distribution's Enabled.
// importID, when set, adds an import block for the distribution.
func config(motoURL, cloudfrontURL string, enabled bool, importID string) string {
	imports := ""
	if importID != "" {
		imports = fmt.Sprintf("import {\n  to = aws_cloudfront_distribution.media\n  id = %q\n}\n", importID)
	}
	return imports + fmt.Sprintf(`terraform {
  required_providers {
    aws = {
      source  = "registry.terraform.io/hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

%[6]s
resource "aws_s3_bucket" "media" {
  bucket_prefix = "video-media-"
  force_destroy = true
}

resource "aws_s3_object" "playlist" {
  bucket       = aws_s3_bucket.media.id
  key          = "vod/movie/index.m3u8"
  content      = %[4]q
  content_type = "application/vnd.apple.mpegurl"
}

resource "aws_cloudfront_origin_access_control" "media" {
  name                              = "video-media"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

data "aws_cloudfront_cache_policy" "caching_optimized" {
  name = "Managed-CachingOptimized"
}

data "aws_cloudfront_origin_request_policy" "cors_s3" {
  name = "Managed-CORS-S3Origin"
}

resource "aws_cloudfront_response_headers_policy" "cors" {
  name = "video-cors"

  cors_config {
    access_control_allow_credentials = false
    access_control_max_age_sec       = 600
    origin_override                  = true

    access_control_allow_headers {
      items = ["x-stream-token"]
    }
    access_control_allow_methods {
      items = ["GET", "HEAD", "OPTIONS"]
    }
    access_control_allow_origins {
      items = [%[5]q]
    }
    access_control_expose_headers {
      items = ["x-stream-key-error"]
    }
  }
}

resource "aws_cloudfront_distribution" "media" {
  enabled             = %[3]t
  comment             = "video: through the local CloudFront"
  price_class         = "PriceClass_100"
  is_ipv6_enabled     = false
  wait_for_deployment = false

  origin {
    origin_id                = "media"
    domain_name              = aws_s3_bucket.media.bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.media.id
  }

  default_cache_behavior {
    target_origin_id           = "media"
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD", "OPTIONS"]
    cached_methods             = ["GET", "HEAD"]
    cache_policy_id            = data.aws_cloudfront_cache_policy.caching_optimized.id
    origin_request_policy_id   = data.aws_cloudfront_origin_request_policy.cors_s3.id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.cors.id
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = true
  }

  tags = {
    app = "video"
  }
}

output "distribution_id" {
  value = aws_cloudfront_distribution.media.id
}

output "bucket" {
  value = aws_s3_bucket.media.id
}
`, motoURL, cloudfrontURL, enabled, playlist, playerOrigin, awsProvider(motoURL, cloudfrontURL, `  region                      = "eu-west-1"
`))
}

// tf runs Terraform in a directory, with hashicorp/aws from a mirror.
type tf struct {
	t         *testing.T
	bin, dir  string
	env       []string
	cliConfig string
}

func newTF(t *testing.T) *tf {
	t.Helper()
	mirror, err := FindMirror()
	if err != nil {
		t.Fatal(err)
	}
	return newTFWith(t, CLIConfig(mirror))
}

// newTFWith is newTF with the CLI configuration cliConfig.
func newTFWith(t *testing.T, cliConfig string) *tf {
	t.Helper()
	var err error
	bin := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if bin == "" {
		if bin, err = exec.LookPath("terraform"); err != nil {
			t.Fatal("terraform is not installed: install Terraform 1.11 or later (https://developer.hashicorp.com/terraform/install) " +
				"and put it on PATH or set TF_ACC_TERRAFORM_PATH")
		}
	}
	dir := t.TempDir()
	cli := filepath.Join(dir, "cli.tfrc")
	if err := os.WriteFile(cli, []byte(cliConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(dir, "work")
	if err := os.Mkdir(work, 0o700); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		// Nothing of the developer's own AWS or Terraform setup applies.
		if strings.HasPrefix(name, "AWS_") || strings.HasPrefix(name, "TF_") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "TF_CLI_CONFIG_FILE="+cli, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1", "AWS_EC2_METADATA_DISABLED=true")
	return &tf{t: t, bin: bin, dir: work, env: env, cliConfig: cli}
}

func (f *tf) write(cfg string) {
	f.t.Helper()
	if err := os.WriteFile(filepath.Join(f.dir, "main.tf"), []byte(cfg), 0o600); err != nil {
		f.t.Fatal(err)
	}
}

// run runs terraform args and returns its exit code and output; it
// fails the test when Terraform cannot run or exits otherwise than okCodes
// allow (0 when none is given).
func (f *tf) run(args []string, okCodes ...int) (int, string) {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	cmd := exec.CommandContext(ctx, f.bin, args...)
	cmd.Dir, cmd.Env = f.dir, f.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	f.t.Logf("terraform %s: %v", args[0], time.Since(start).Round(time.Millisecond))
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		f.t.Fatalf("terraform %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	if len(okCodes) == 0 {
		okCodes = []int{0}
	}
	for _, c := range okCodes {
		if c == code {
			return code, out.String()
		}
	}
	f.t.Fatalf("terraform %s: exit %d\n%s", strings.Join(args, " "), code, out.String())
	return code, ""
}

// output reads an output from the state file (terraform output would
// start the provider for nothing).
func (f *tf) output(name string) string {
	f.t.Helper()
	b, err := os.ReadFile(filepath.Join(f.dir, "terraform.tfstate"))
	if err != nil {
		f.t.Fatal(err)
	}
	var st struct {
		Outputs map[string]struct {
			Value any `json:"value"`
		} `json:"outputs"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		f.t.Fatalf("the state file: %v", err)
	}
	v, ok := st.Outputs[name].Value.(string)
	if !ok {
		f.t.Fatalf("the state has no output %s: %s", name, b)
	}
	return v
}

// noChanges fails the test unless a plan shows no changes.
func (f *tf) noChanges(when string) {
	f.t.Helper()
	if code, out := f.run([]string{"plan", "-input=false", "-detailed-exitcode", "-no-color"}, 0, 2); code != 0 {
		f.t.Fatalf("%s: the plan shows changes; want none:\n%s", when, out)
	}
}

// get fetches url with an Origin header and returns the response and its
// body.
func get(t *testing.T, method, url, origin string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	if method == http.MethodOptions {
		req.Header.Set("Access-Control-Request-Method", "GET")
		req.Header.Set("Access-Control-Request-Headers", "x-stream-token")
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// The real hashicorp/aws provider against moto and the local CloudFront:
// a bucket with an object, an origin access control, a response headers
// policy with CORS and a distribution with the S3 origin and managed
// policies are applied; the object is served through the local edge with
// the policy's CORS headers; a second plan shows no changes; the
// distribution is imported; destroy leaves nothing.
func TestHashicorpAWSDistribution(t *testing.T) {
	testenv.Cross(t)
	testenv.Acceptance(t)
	f := newTF(t)
	moto := localtest.StartMoto(t)
	cfs := localtest.StartCloudFront(t, cloudfront.Config{S3Endpoint: moto.Endpoint})

	f.write(config(moto.Endpoint, cfs.Endpoint, true, ""))
	f.run([]string{"init", "-input=false", "-no-color"})
	f.run([]string{"apply", "-input=false", "-auto-approve", "-no-color"})
	id := f.output("distribution_id")
	edge := cfs.EdgeURL(id)
	if edge == "" {
		t.Fatalf("the local CloudFront does not serve distribution %s", id)
	}

	// Through the edge, from moto's S3, with the policy's CORS headers.
	resp, body := get(t, http.MethodGet, edge+"/vod/movie/index.m3u8", playerOrigin)
	if resp.StatusCode != http.StatusOK || body != playlist {
		t.Fatalf("GET through the edge: %d %q (X-Local-Error %q); want 200 and the object", resp.StatusCode, body, resp.Header.Get("X-Local-Error"))
	}
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != playerOrigin {
		t.Errorf("Access-Control-Allow-Origin %q; want %q", got, playerOrigin)
	}
	if got := resp.Header.Get("Access-Control-Expose-Headers"); got != "x-stream-key-error" {
		t.Errorf("Access-Control-Expose-Headers %q; want x-stream-key-error", got)
	}
	if resp, _ := get(t, http.MethodGet, edge+"/vod/movie/index.m3u8", "https://elsewhere.example.test"); resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("an origin the policy does not list got Access-Control-Allow-Origin %q", resp.Header.Get("Access-Control-Allow-Origin"))
	}
	if resp, _ := get(t, http.MethodGet, edge+"/vod/movie/missing.m3u8", playerOrigin); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a missing object: %d; want S3's 404", resp.StatusCode)
	}

	f.noChanges("after apply")

	// Import (an import block) of the distribution as the local CloudFront
	// answers it, in the apply that disables it (so that destroy deletes it
	// without waiting for a deployment: the provider's wait first sleeps
	// 30 s). Import sets wait_for_deployment to its default, true, which
	// the configuration's false updates without a call: the distribution
	// itself changes only by Enabled.
	f.run([]string{"state", "rm", "-no-color", "aws_cloudfront_distribution.media"})
	f.write(config(moto.Endpoint, cfs.Endpoint, false, id))
	_, out := f.run([]string{"apply", "-input=false", "-auto-approve", "-no-color"})
	if !strings.Contains(out, "1 imported, 0 added, 1 changed, 0 destroyed") || !strings.Contains(out, "~ enabled") {
		t.Fatalf("apply with the import block: want the distribution imported and changed in place (enabled):\n%s", out)
	}
	if cfgs := cfs.DistributionConfigs(id); len(cfgs) == 0 || aws.ToBool(cfgs[len(cfgs)-1].Enabled) {
		t.Fatalf("the imported distribution %s was not disabled", id)
	}
	// The disable deploys for cloudfront.DefaultDeployDelay: destroy once
	// it is Deployed, as a user would after wait_for_deployment = false;
	// earlier, the provider's delete would first wait 30 s itself.
	c := cf.New(cf.Options{BaseEndpoint: aws.String(cfs.Endpoint), Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")})
	ctx := context.Background()
	w := cf.NewDistributionDeployedWaiter(c, func(o *cf.DistributionDeployedWaiterOptions) {
		o.MinDelay, o.MaxDelay = 200*time.Millisecond, time.Second
	})
	if err := w.Wait(ctx, &cf.GetDistributionInput{Id: aws.String(id)}, 10*cloudfront.DefaultDeployDelay); err != nil {
		t.Fatalf("waiting for the disabled distribution %s to be Deployed: %v", id, err)
	}
	f.run([]string{"destroy", "-input=false", "-auto-approve", "-no-color"})

	dists, err := c.ListDistributions(ctx, &cf.ListDistributionsInput{})
	if err != nil || aws.ToInt32(dists.DistributionList.Quantity) != 0 {
		t.Errorf("after destroy, ListDistributions: %v, %d left", err, aws.ToInt32(dists.DistributionList.Quantity))
	}
	oacs, err := c.ListOriginAccessControls(ctx, &cf.ListOriginAccessControlsInput{})
	if err != nil || aws.ToInt32(oacs.OriginAccessControlList.Quantity) != 0 {
		t.Errorf("after destroy, ListOriginAccessControls: %v, %+v", err, oacs)
	}
	rhps, err := c.ListResponseHeadersPolicies(ctx, &cf.ListResponseHeadersPoliciesInput{})
	if err != nil || aws.ToInt32(rhps.ResponseHeadersPolicyList.Quantity) != 0 {
		t.Errorf("after destroy, ListResponseHeadersPolicies: %v, %+v", err, rhps)
	}
	if _, buckets := get(t, http.MethodGet, moto.Endpoint+"/", ""); strings.Contains(buckets, "video-media-") {
		t.Errorf("after destroy, moto still has the bucket: %s", buckets)
	}
}
