package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// A securestream_issuer state of version 0 (the ring as secret_ciphertext
// and kms_key_arn; timeouts written as a block) upgrades to version 1
// through the provider server: the ring moves into key_ring, for the
// issuer's function_name, and the rest stays (kms_key_arn too, now
// computed, and the timeouts object as it was).
func TestUpgradeIssuerStateV0(t *testing.T) {
	const arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	const v0 = `{
  "id": "video-issuer", "function_name": "video-issuer",
  "secret_ciphertext": "AQIDAHh0ZXN0", "kms_key_arn": "` + arn + `",
  "architecture": "arm64", "package_path": null, "memory_size": 256, "timeout": 10, "reserved_concurrency": null,
  "log_retention_days": 30, "api_type": "http", "function_url_auth_type": null, "throttle_rate_limit": 50, "throttle_burst_limit": 100,
  "jwt_authorizer": {"issuer": "https://idp.example.com/", "audiences": ["video"]},
  "rest_authorization": null, "rest_cognito_user_pool_arns": null, "rest_api_key_required": null, "rest_api_key_id": null, "rest_api_key_value": null,
  "jwt_hs256_key_wo": null, "jwt_hs256_key_wo_version": 2, "jwt_hs256_key_ciphertext": "AQIDAHNlYWxlZA==",
  "invoke_url": "https://abc.execute-api.us-east-1.amazonaws.com/", "function_arn": "arn:aws:lambda:us-east-1:123456789012:function:video-issuer",
  "role_arn": "arn:aws:iam::123456789012:role/securestream/video-issuer", "api_id": "abc", "stage_name": "$default",
  "source_code_hash": "aGFzaA==", "grant_id": "g1,g2,g3", "log_group_name": "/aws/lambda/video-issuer", "permission_id": "securestream-invoke",
  "drift": [], "tags": {"team": "video"}, "tags_all": {"team": "video"},
  "timeouts": {"create": "20m", "read": null, "update": null, "delete": null}
}`
	attrs := upgradeState(t, NewIssuerResource(), "securestream_issuer", 0, v0)
	for name, want := range map[string]string{"ciphertext": "AQIDAHh0ZXN0", "kms_key_id": arn, "function_name": "video-issuer"} {
		if got := stringAt(t, attrs["key_ring"], name); got != want {
			t.Errorf("key_ring.%s = %q; want %q", name, got, want)
		}
	}
	if _, ok := attrs["secret_ciphertext"]; ok {
		t.Error("secret_ciphertext is still an attribute")
	}
	for name, want := range map[string]string{"function_name": "video-issuer", "kms_key_arn": arn, "grant_id": "g1,g2,g3",
		"jwt_hs256_key_ciphertext": "AQIDAHNlYWxlZA=="} {
		if got := stringAt(t, attrs[name]); got != want {
			t.Errorf("%s = %q; want %q", name, got, want)
		}
	}
	if got := stringAt(t, attrs["timeouts"], "create"); got != "20m" {
		t.Errorf("timeouts.create = %q; want 20m", got)
	}
	if got := stringAt(t, attrs["jwt_authorizer"], "issuer"); got != "https://idp.example.com/" {
		t.Errorf("jwt_authorizer.issuer = %q", got)
	}
	var tags map[string]tftypes.Value
	if err := attrs["tags"].As(&tags); err != nil || len(tags) != 1 {
		t.Errorf("tags: %v %v", tags, err)
	}
}

// A version 0 state whose ring was never read (an import of a function
// without SECURESTREAM_KEYRING and SECURESTREAM_KMS_KEY_ID) upgrades to a
// null key_ring, for the next plan to set it, and null timeouts stay null.
func TestUpgradeIssuerStateV0NoRing(t *testing.T) {
	attrs := upgradeState(t, NewIssuerResource(), "securestream_issuer", 0,
		`{"id":"f","function_name":"f","secret_ciphertext":null,"kms_key_arn":null,"timeouts":null}`)
	if !attrs["key_ring"].IsNull() || !attrs["timeouts"].IsNull() || !attrs["kms_key_arn"].IsNull() {
		t.Errorf("key_ring %v, timeouts %v, kms_key_arn %v; want null", attrs["key_ring"], attrs["timeouts"], attrs["kms_key_arn"])
	}
	if got := stringAt(t, attrs["function_name"]); got != "f" {
		t.Errorf("function_name = %q", got)
	}
}
