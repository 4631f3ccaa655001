package issuer_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/securestream/terraform-provider-securestream/internal/cfruntime"
	"github.com/securestream/terraform-provider-securestream/internal/edgefunc"
	"github.com/securestream/terraform-provider-securestream/internal/issuance"
	"github.com/securestream/terraform-provider-securestream/internal/issuer"
	"github.com/securestream/terraform-provider-securestream/internal/issuerpkg"
	"github.com/securestream/terraform-provider-securestream/internal/keyring"
	"github.com/securestream/terraform-provider-securestream/internal/local/localtest"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
	"github.com/securestream/terraform-provider-securestream/internal/streamkeytest"
	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

const functionName = "securestream-issuer"

func kmsClient(endpoint string) *kms.Client {
	return kms.New(kms.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
	})
}

// encryptRing makes a KMS key in moto and encrypts the ring under the
// function's encryption context, as the provider does.
func encryptRing(t testing.TB, endpoint string, doc *keyring.Document, encCtx map[string]string) string {
	t.Helper()
	pt, err := doc.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return encryptWith(t, endpoint, pt, encCtx)
}

// encryptBytes encrypts a plaintext under the function's context.
// encryptBytes seals a secret as the original deployment did, under
// {LambdaFunctionName} alone (the benchmarks' baseline, the original
// issuer, decrypts with that context and no purpose).
func encryptBytes(t testing.TB, endpoint string, pt []byte) string {
	return encryptWith(t, endpoint, pt, keyring.LegacyContext(functionName))
}

func encryptWith(t testing.TB, endpoint string, pt []byte, encCtx map[string]string) string {
	ct, _ := encryptUnderNewKey(t, endpoint, pt, encCtx)
	return ct
}

// encryptUnderNewKey makes a KMS key and encrypts pt under it; it returns
// the ciphertext and the key's ARN.
func encryptUnderNewKey(t testing.TB, endpoint string, pt []byte, encCtx map[string]string) (ciphertext, keyARN string) {
	t.Helper()
	ctx := context.Background()
	c := kmsClient(endpoint)
	key, err := c.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("securestream test")})
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: key.KeyMetadata.KeyId, Plaintext: pt, EncryptionContext: encCtx})
	if err != nil {
		t.Fatal(err)
	}
	return keyring.EncodeCiphertext(out.CiphertextBlob), aws.ToString(key.KeyMetadata.Arn)
}

func buildBootstrap(t testing.TB) string {
	t.Helper()
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	bin, err := issuerpkg.BuildBinary(context.Background(), root, runtime.GOARCH)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "bootstrap")
	if err := os.WriteFile(path, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

var created = time.Now().Add(-time.Hour).UTC().Truncate(time.Second)

func testRing() *keyring.Document {
	return &keyring.Document{Version: 1, Keys: []keyring.Key{
		{ID: "k1", Secret: []byte("a-key-for-the-rie-test-of-32-bytes!"), Created: created},
		{ID: "legacy", Secret: []byte(streamkeytest.SeedSecret), Created: created.Add(-time.Hour), Seed: true},
	}}
}

func env(moto, ciphertext string) []string {
	return []string{
		"AWS_LAMBDA_FUNCTION_NAME=" + functionName,
		"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing",
		"AWS_ENDPOINT_URL_KMS=" + moto,
		"SECURESTREAM_KEYRING=" + ciphertext,
		"SECURESTREAM_AUTH=none",
		"SECURESTREAM_ALLOWED_HOSTS=media.example.com",
		"SECURESTREAM_ALLOWED_PATH_PREFIXES=/vod/",
		"SECURESTREAM_SEED_COMPAT=true",
		"SECURESTREAM_ACTIVATION_DELAY=1m",
	}
}

// The real bootstrap, under AWS's runtime interface emulator, decrypts its
// key ring from moto's KMS and answers REST and HTTP API events with keys
// that the Go verifier and the rendered edge function both accept.
// SECURESTREAM_KMS_KEY_ID names the ring's key, which moto checks as KMS does.
func TestBootstrapUnderRIE(t *testing.T) {
	testenv.Cross(t)
	moto := localtest.StartMoto(t)
	pt, _ := testRing().Marshal()
	ct, keyARN := encryptUnderNewKey(t, moto.Endpoint, pt, keyring.EncryptionContext(functionName))
	rie := localtest.StartRIE(t, append(env(moto.Endpoint, ct), "SECURESTREAM_KMS_KEY_ID="+keyARN), buildBootstrap(t))

	code, err := edgefunc.Render(edgefunc.Config{Keys: []edgefunc.Key{{ID: "k1", Secret: testRing().Keys[0].Secret},
		{ID: "legacy", Secret: testRing().Keys[1].Secret}}, SeedKeyID: "legacy", Channels: issuance.DefaultChannels()})
	if err != nil {
		t.Fatal(err)
	}
	edge, err := cfruntime.Compile("securestream", code, cfruntime.JS20)
	if err != nil {
		t.Fatal(err)
	}
	ring, _ := testRing().Ring()
	ver := &streamkey.Verifier{Ring: ring}

	for _, tc := range []struct{ name, event, ip, ua string }{
		{"REST v1", "rest_v1_post.json", "198.51.100.23", "ExoPlayerLib/2.19.1"},
		{"HTTP API v2", "http_v2_post.json", "2001:db8:1:2::7", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"},
		{"function URL", "function_url_get.json", "203.0.113.9", "AppleCoreMedia/1.0.0.21A5326a (iPhone; U; CPU OS 17_0 like Mac OS X; en_us)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := issuer.ReadEvent(t, tc.event)
			if tc.event == "function_url_get.json" { // the function URL test asks for /live/, which this issuer does not sign
				ev = []byte(strings.ReplaceAll(string(ev), "live%2Fch1%2Findex.mpd", "vod%2Fch1%2Findex.mpd"))
				ev = []byte(strings.ReplaceAll(string(ev), "/live/ch1/index.mpd", "/vod/ch1/index.mpd"))
			}
			res := invokeProxy(t, rie, ev)
			if res.StatusCode != 200 {
				t.Fatalf("answer %d %s\n%s", res.StatusCode, res.Body, rie.Output())
			}
			var body struct {
				Token        string `json:"token"`
				StreamKey    string `json:"stream_key"`
				StreamPolicy string `json:"stream_policy"`
				KeyID        string `json:"key_id"`
			}
			if err := json.Unmarshal([]byte(res.Body), &body); err != nil {
				t.Fatal(err)
			}
			seg := "/vod/movie-42/720p/seg_1.ts"
			if strings.Contains(tc.event, "function_url") {
				seg = "/vod/ch1/chunk-1.m4s"
			}
			now := time.Now()
			if r := ver.Verify(body.Token, streamkey.Request{Now: now, Path: seg, Host: "media.example.com", ClientIP: tc.ip, UserAgent: tc.ua}); !r.OK() {
				t.Fatalf("the Go verifier refuses the key: %s", r.Reason)
			}
			for _, headers := range [][2]string{{"x-stream-token", body.Token}} {
				evt := &cfruntime.Event{Version: "1.0", Context: cfruntime.EventContext{EventType: "viewer-request"}, Viewer: cfruntime.Viewer{IP: tc.ip},
					Request: cfruntime.Request{Method: "GET", URI: seg, Querystring: cfruntime.Fields{}, Cookies: cfruntime.Fields{},
						Headers: cfruntime.Fields{"host": {Value: "media.example.com"}, "user-agent": {Value: tc.ua}, headers[0]: {Value: headers[1]}}}}
				if r := edge.Run(evt, cfruntime.Options{Now: now}); r.Outcome != cfruntime.Continue {
					t.Fatalf("the edge function refuses the key: %d %s %v", r.Status, r.Error, r.Logs)
				}
				evt.Request.Headers = cfruntime.Fields{"host": {Value: "media.example.com"}, "user-agent": {Value: tc.ua},
					"stream_key": {Value: body.StreamKey}, "stream_policy": {Value: body.StreamPolicy}}
				if tc.ip == "198.51.100.23" { // the seed format binds the exact address string
					if r := edge.Run(evt, cfruntime.Options{Now: now}); r.Outcome != cfruntime.Continue {
						t.Fatalf("the edge function refuses the seed key: %d %v", r.Status, r.Logs)
					}
				}
			}
		})
	}
	if out := rie.Output(); strings.Contains(out, "ss1.") || strings.Contains(out, "a-key-for-the-rie-test") {
		t.Errorf("the function's log holds a token or a secret:\n%s", out)
	}
}

// A cold start with a key ring encrypted for another function, or under
// another key than SECURESTREAM_KMS_KEY_ID names, fails, and says which
// variable and which call.
func TestBootstrapColdStartFailure(t *testing.T) {
	testenv.Cross(t)
	moto := localtest.StartMoto(t)
	bootstrap := buildBootstrap(t)
	pt, _ := testRing().Marshal()
	forOther := encryptRing(t, moto.Endpoint, testRing(), keyring.EncryptionContext("another-function"))
	ct, _ := encryptUnderNewKey(t, moto.Endpoint, pt, keyring.EncryptionContext(functionName))
	_, otherKey := encryptUnderNewKey(t, moto.Endpoint, []byte("x"), nil)
	for _, tc := range []struct {
		name string
		env  []string
		want string
	}{
		{"another function", env(moto.Endpoint, forOther), "SECURESTREAM_KEYRING: kms:Decrypt"},
		{"another key", append(env(moto.Endpoint, ct), "SECURESTREAM_KMS_KEY_ID="+otherKey), "SECURESTREAM_KEYRING: kms:Decrypt with encryption context LambdaFunctionName=" + functionName + ", Purpose=key-ring and KeyId " + otherKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rie := localtest.StartRIE(t, tc.env, bootstrap)
			defer rie.Stop()
			ev := issuer.ReadEvent(t, "rest_v1_post.json")
			out := string(localtest.Invoke(t, rie, ev))
			deadline := time.Now().Add(5 * time.Second)
			for !strings.Contains(rie.Output(), "SECURESTREAM_KEYRING") && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			if !strings.Contains(rie.Output(), tc.want) || strings.Contains(out, `"statusCode":200`) {
				t.Fatalf("answer %s\noutput:\n%s", out, rie.Output())
			}
		})
	}
}
