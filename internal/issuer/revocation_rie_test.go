package issuer_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/securestream/terraform-provider-securestream/internal/issuer"
	"github.com/securestream/terraform-provider-securestream/internal/keyring"
	"github.com/securestream/terraform-provider-securestream/internal/local/localtest"
	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

// The real bootstrap, under AWS's runtime interface emulator, reaches the
// store at AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE as it is (not with the
// account id in front of its host), signs with SigV4A, revokes a session
// for an IAM-authorised request, then refuses to continue that session,
// and continues it again once the revocation is lifted.
func TestBootstrapRevocationUnderRIE(t *testing.T) {
	testenv.Cross(t)
	moto := localtest.StartMoto(t)
	store := issuer.StartFakeKVS(t)
	pt, _ := testRing().Marshal()
	ct := encryptWith(t, moto.Endpoint, pt, keyring.EncryptionContext(functionName))
	rie := localtest.StartRIE(t, append(env(moto.Endpoint, ct),
		"SECURESTREAM_REVOCATION_KVS_ARN="+store.ARN, "SECURESTREAM_ADMIN_IAM=true",
		"AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE="+store.URL), buildBootstrap(t))

	base := issuer.ReadEvent(t, "rest_v1_post.json")
	event := func(method, path, body string, iam bool) []byte {
		var ev map[string]any
		if err := json.Unmarshal(base, &ev); err != nil {
			t.Fatal(err)
		}
		ev["httpMethod"], ev["path"], ev["body"], ev["multiValueHeaders"] = method, path, body, nil
		if iam {
			id := ev["requestContext"].(map[string]any)["identity"].(map[string]any)
			id["accessKey"], id["userArn"] = "ASIAEXAMPLE", "arn:aws:iam::123456789012:role/ops"
		}
		b, _ := json.Marshal(ev)
		return b
	}
	invoke := func(ev []byte) (int, map[string]any) {
		t.Helper()
		a := invokeProxy(t, rie, ev)
		var body map[string]any
		if err := json.Unmarshal([]byte(a.Body), &body); err != nil || a.Headers["cache-control"] != "no-store" {
			t.Fatalf("answer %+v (%v)\n%s", a, err, rie.Output())
		}
		return a.StatusCode, body
	}
	mint := func(sid string) []byte {
		return event("POST", "/streamkey", `{"playback_url":"https://media.example.com/vod/a/index.m3u8","session_id":"`+sid+`"}`, false)
	}

	if status, body := invoke(event("POST", "/revocations/sess-rie", "", false)); status != 403 {
		t.Fatalf("without an IAM identity: %d %v", status, body)
	}
	if status, body := invoke(event("POST", "/revocations/sess-rie", "", true)); status != 200 || body["revoked"] != true {
		t.Fatalf("revoke: %d %v\n%s", status, body, rie.Output())
	}
	if _, ok := store.Get("r:sess-rie"); !ok {
		t.Fatal("the store has no entry")
	}
	if status, body := invoke(mint("sess-rie")); status != 403 || body["error"] != "revoked" {
		t.Errorf("continuing the revoked session: %d %v", status, body)
	}
	if status, body := invoke(mint("sess-other")); status != 200 || body["session_id"] != "sess-other" {
		t.Errorf("another session: %d %v", status, body)
	}
	if status, body := invoke(event("DELETE", "/revocations/sess-rie", "", true)); status != 200 || body["removed"] != true {
		t.Fatalf("un-revoke: %d %v", status, body)
	}
	if status, body := invoke(mint("sess-rie")); status != 200 {
		t.Errorf("after the revocation is lifted: %d %v", status, body)
	}
	calls, sigs, hosts := store.Seen()
	if len(calls) < 8 {
		t.Errorf("%d calls reached the store: %v", len(calls), calls)
	}
	for i, sig := range sigs {
		if sig != "AWS4-ECDSA-P256-SHA256 *" || strings.HasPrefix(hosts[i], "123456789012.") {
			t.Errorf("call %d (%s) signed %q to host %q", i, calls[i], sig, hosts[i])
		}
	}
	if out := rie.Output(); strings.Contains(out, "ss1.") || !strings.Contains(out, `"admin":"iam:arn:aws:iam::123456789012:role/ops"`) {
		t.Errorf("the function's log holds a token, or not who revoked:\n%s", out)
	}
}
