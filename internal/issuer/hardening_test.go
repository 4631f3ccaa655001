package issuer

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/issuer/config"
	"github.com/securestream/terraform-provider-securestream/internal/keyring"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

func loadErr(env map[string]string) error {
	_, err := config.Load(func(k string) string { return env[k] })
	return err
}

// M3: CloudFront-Viewer-Address is believed only from a request that
// proves it came through CloudFront; any other request is bound to its own
// source address.
func TestViewerAddressNeedsProof(t *testing.T) {
	const forged = "203.0.113.77:443" // the recorded REST event comes from 198.51.100.23
	secret := "an-origin-secret-of-32-bytes!!!!"
	base := func() map[string]string {
		env := baseEnv(t)
		env["SECURESTREAM_IP_BINDING"] = "exact"
		env["SECURESTREAM_CLIENT_IP_SOURCE"] = "cloudfront-viewer-address"
		return env
	}
	if err := loadErr(base()); err == nil || !strings.Contains(err.Error(), "SECURESTREAM_ORIGIN_SECRET_HEADER") ||
		!strings.Contains(err.Error(), "SECURESTREAM_CLOUDFRONT_SOURCE_CIDRS") {
		t.Errorf("cloudfront-viewer-address without a proof: %v", err)
	}
	env := base()
	env["SECURESTREAM_ORIGIN_SECRET_HEADER"] = "X-Origin-Verify"
	if err := loadErr(env); err == nil || !strings.Contains(err.Error(), "SECURESTREAM_ORIGIN_SECRET") {
		t.Errorf("a header without its secret: %v", err)
	}

	withSecret := func(env map[string]string) map[string]string {
		env["SECURESTREAM_ORIGIN_SECRET_HEADER"] = "X-Origin-Verify"
		env["SECURESTREAM_ORIGIN_SECRET"] = fakeEncrypt([]byte(secret), keyring.Context("securestream-issuer", keyring.PurposeOriginSecret))
		return env
	}
	withCIDRs := func(env map[string]string, cidrs string) map[string]string {
		env["SECURESTREAM_CLOUDFRONT_SOURCE_CIDRS"] = cidrs
		return env
	}
	for _, tc := range []struct {
		name    string
		env     map[string]string
		headers map[string]string
		want    string
	}{
		{"the review's case: a forged header, no secret", withSecret(base()), map[string]string{"CloudFront-Viewer-Address": forged}, "198.51.100.23"},
		{"a wrong secret", withSecret(base()), map[string]string{"CloudFront-Viewer-Address": forged, "x-origin-verify": "guess"}, "198.51.100.23"},
		{"the secret's prefix", withSecret(base()), map[string]string{"CloudFront-Viewer-Address": forged, "x-origin-verify": secret[:16]}, "198.51.100.23"},
		{"the secret", withSecret(base()), map[string]string{"CloudFront-Viewer-Address": forged, "X-Origin-Verify": secret}, "203.0.113.77"},
		// L3: the CIDRs are shared by every CloudFront customer; without
		// the secret, a source inside them proves nothing.
		{"a source inside the CIDRs, no secret", withCIDRs(withSecret(base()), "130.176.0.0/16, 198.51.100.0/24"), map[string]string{"CloudFront-Viewer-Address": forged}, "198.51.100.23"},
		{"both proofs: the secret alone", withCIDRs(withSecret(base()), "130.176.0.0/16"), map[string]string{"CloudFront-Viewer-Address": forged, "x-origin-verify": secret}, "198.51.100.23"},
		{"both proofs: both", withCIDRs(withSecret(base()), "198.51.100.0/24"), map[string]string{"CloudFront-Viewer-Address": forged, "x-origin-verify": secret}, "203.0.113.77"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is, logs := newIssuer(t, tc.env)
			status, _, body := call(t, is, restEvent(t, "POST", playbackBody("/vod/a/index.m3u8"), tc.headers))
			if status != 200 {
				t.Fatalf("status %d %v", status, body)
			}
			req := streamkey.Request{Now: t0, Path: "/vod/a/seg1.ts", Host: "media.example.com", ClientIP: tc.want, UserAgent: "ExoPlayerLib/2.19.1"}
			if r := verifier(t).Verify(str(body["token"]), req); !r.OK() {
				t.Errorf("not bound to %s: %s", tc.want, r.Reason)
			}
			if unproven := strings.Contains(logs.String(), "viewer_address_unproven"); unproven != (tc.want == "198.51.100.23") {
				t.Errorf("the log's note: %s", logs.String())
			}
			if strings.Contains(logs.String(), secret) {
				t.Error("the origin secret reached the log")
			}
		})
	}

	env = withSecret(base())
	env["SECURESTREAM_ORIGIN_SECRET"] = fakeEncrypt([]byte("short"), keyring.Context("securestream-issuer", keyring.PurposeOriginSecret))
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(context.Background(), cfg, fakeKMS{}); err == nil || !strings.Contains(err.Error(), "SECURESTREAM_ORIGIN_SECRET") {
		t.Errorf("a short origin secret: %v", err)
	}
}

// L3: CloudFront's origin-facing ranges are shared by every CloudFront
// customer: anyone can make a distribution of their own forward a forged
// CloudFront-Viewer-Address from them. The source CIDRs are no proof
// alone; cloudfront-viewer-address needs the secret origin header.
func TestViewerAddressCIDRsAloneRefused(t *testing.T) {
	env := baseEnv(t)
	env["SECURESTREAM_CLIENT_IP_SOURCE"] = "cloudfront-viewer-address"
	env["SECURESTREAM_CLOUDFRONT_SOURCE_CIDRS"] = "130.176.0.0/16"
	err := loadErr(env)
	if err == nil {
		t.Fatal("cloudfront-viewer-address with source CIDRs alone accepted")
	}
	for _, want := range []string{"SECURESTREAM_CLIENT_IP_SOURCE=cloudfront-viewer-address", "SECURESTREAM_ORIGIN_SECRET_HEADER", "SECURESTREAM_ORIGIN_SECRET", "every CloudFront customer"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}
}

// L3, at request time: an issuer built from a Config that has the source
// CIDRs but no origin secret (made in code, not by config.Load) still
// believes no CloudFront-Viewer-Address: the secret is the proof, the
// CIDRs only narrow it.
func TestViewerAddressNeedsSecretAtRequest(t *testing.T) {
	env := baseEnv(t)
	env["SECURESTREAM_IP_BINDING"] = "exact"
	env["SECURESTREAM_CLIENT_IP_SOURCE"] = "cloudfront-viewer-address"
	env["SECURESTREAM_ORIGIN_SECRET_HEADER"] = "x-origin-verify"
	env["SECURESTREAM_ORIGIN_SECRET"] = originSecretEnv
	env["SECURESTREAM_CLOUDFRONT_SOURCE_CIDRS"] = "198.51.100.0/24" // the recorded event's sourceIp
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	cfg.OriginSecretHeader, cfg.OriginSecretCiphertext = "", ""
	is, err := New(context.Background(), cfg, fakeKMS{})
	if err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	is.Now, is.Log = func() time.Time { return t0 }, &logs
	status, _, body := call(t, is, restEvent(t, "POST", playbackBody("/vod/a/index.m3u8"), map[string]string{"CloudFront-Viewer-Address": "203.0.113.77:443"}))
	if status != 200 {
		t.Fatalf("status %d %v", status, body)
	}
	req := streamkey.Request{Now: t0, Path: "/vod/a/seg1.ts", Host: "media.example.com", ClientIP: "198.51.100.23", UserAgent: "ExoPlayerLib/2.19.1"}
	if r := verifier(t).Verify(str(body["token"]), req); !r.OK() {
		t.Errorf("a source in the CIDRs without the secret: the key is not bound to the source address: %s", r.Reason)
	}
	if !strings.Contains(logs.String(), "viewer_address_unproven") {
		t.Errorf("the log does not note viewer_address_unproven: %s", logs.String())
	}
}

// L6: durations out of range, bare seconds that overflow time.Duration
// included, are refused with the variable's name and range.
func TestDurationRanges(t *testing.T) {
	for _, tc := range []struct{ name, value string }{
		{"SECURESTREAM_ACTIVATION_DELAY", "18446744075"}, // wrapped to 1.29 s
		{"SECURESTREAM_ACTIVATION_DELAY", "9223372037"},  // just over the largest Duration in seconds
		{"SECURESTREAM_ACTIVATION_DELAY", "99999999999999999999"},
		{"SECURESTREAM_ACTIVATION_DELAY", "-1"},
		{"SECURESTREAM_ACTIVATION_DELAY", "169h"},
		{"SECURESTREAM_ACTIVATION_DELAY", "9999999999h"},
		{"SECURESTREAM_JWT_LEEWAY", "1h"},
		{"SECURESTREAM_DEFAULT_TTL", "0"},
		{"SECURESTREAM_DEFAULT_TTL", "18446744075"},
		{"SECURESTREAM_MAX_TTL", "48h"},
		{"SECURESTREAM_MAX_TTL", "86401"},
		{"SECURESTREAM_MAX_TTL", "-5m"},
	} {
		env := jwtEnv(t)
		env[tc.name] = tc.value
		err := loadErr(env)
		if err == nil || !strings.Contains(err.Error(), tc.name) || !strings.Contains(err.Error(), "range") {
			t.Errorf("%s=%s: %v, want an out-of-range error naming it", tc.name, tc.value, err)
		}
	}
	env := baseEnv(t)
	env["SECURESTREAM_ACTIVATION_DELAY"] = "600"
	env["SECURESTREAM_MAX_TTL"] = "86400"
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil || cfg.ActivationDelay != 10*time.Minute || cfg.MaxTTL != 24*time.Hour {
		t.Errorf("bare seconds in range: %v %+v", err, cfg)
	}
}

// SECURESTREAM_KMS_KEY_ID is passed as KeyId on every kms:Decrypt, so that
// a ciphertext under any other key is refused.
func TestKMSKeyID(t *testing.T) {
	encCtx := map[string]map[string]string{"SECURESTREAM_KEYRING": keyring.EncryptionContext("securestream-issuer"),
		"SECURESTREAM_JWT_HS256_KEY": keyring.Context("securestream-issuer", keyring.PurposeJWTHS256Key), "SECURESTREAM_ORIGIN_SECRET": keyring.Context("securestream-issuer", keyring.PurposeOriginSecret)}
	env := jwtEnv(t)
	env["SECURESTREAM_CLIENT_IP_SOURCE"] = "cloudfront-viewer-address"
	env["SECURESTREAM_ORIGIN_SECRET_HEADER"] = "x-origin-verify"
	env["SECURESTREAM_ORIGIN_SECRET"] = fakeEncrypt([]byte("an-origin-secret-of-32-bytes!!!!"), encCtx["SECURESTREAM_ORIGIN_SECRET"])
	env["SECURESTREAM_KMS_KEY_ID"] = fakeKeyARN

	var calls []string
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(context.Background(), cfg, fakeKMS{calls: &calls}); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 3 || calls[0] != fakeKeyARN || calls[1] != fakeKeyARN || calls[2] != fakeKeyARN {
		t.Errorf("kms:Decrypt KeyIds %q, want the key ring's, the HS256 key's and the origin secret's with %s", calls, fakeKeyARN)
	}

	const other = "arn:aws:kms:us-east-1:111122223333:key/ffffffff-0000-0000-0000-000000000000"
	for _, name := range []string{"SECURESTREAM_KEYRING", "SECURESTREAM_JWT_HS256_KEY", "SECURESTREAM_ORIGIN_SECRET"} {
		bad := map[string]string{}
		for k, v := range env {
			bad[k] = v
		}
		ct, _ := decodeFake(env[name])
		bad[name] = fakeEncryptUnder(other, ct, encCtx[name])
		cfg, err := config.Load(func(k string) string { return bad[k] })
		if err != nil {
			t.Fatal(err)
		}
		_, err = New(context.Background(), cfg, fakeKMS{})
		if err == nil || !strings.Contains(err.Error(), name+": kms:Decrypt") || !strings.Contains(err.Error(), "SECURESTREAM_KMS_KEY_ID") {
			t.Errorf("%s under another key: %v", name, err)
		}
	}

	// Without the variable no KeyId is sent (KMS finds the key in the
	// ciphertext), as before.
	delete(env, "SECURESTREAM_KMS_KEY_ID")
	calls = nil
	cfg, _ = config.Load(func(k string) string { return env[k] })
	if _, err := New(context.Background(), cfg, fakeKMS{calls: &calls}); err != nil || len(calls) != 3 || calls[0] != "" {
		t.Errorf("without SECURESTREAM_KMS_KEY_ID: %v %q", err, calls)
	}

	env["SECURESTREAM_KMS_KEY_ID"] = "arn:aws:kms:us-east-1:111122223333:key/x y"
	if err := loadErr(env); err == nil || !strings.Contains(err.Error(), "SECURESTREAM_KMS_KEY_ID") {
		t.Errorf("a malformed key id: %v", err)
	}
}

// decodeFake returns the plaintext of a fakeEncrypt ciphertext.
func decodeFake(b64 string) ([]byte, error) {
	ct, err := keyring.DecodeCiphertext(b64)
	if err != nil {
		return nil, err
	}
	return []byte(strings.SplitN(string(ct), "|", 4)[3]), nil
}
