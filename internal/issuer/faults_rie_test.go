package issuer_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/issuer"
	"github.com/securestream/terraform-provider-securestream/internal/keyring"
	"github.com/securestream/terraform-provider-securestream/internal/local/emulators"
	"github.com/securestream/terraform-provider-securestream/internal/local/faultproxy"
	"github.com/securestream/terraform-provider-securestream/internal/local/localtest"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

// The real bootstrap under the runtime interface emulator, its KMS calls
// going through a fault proxy to moto: KMS throttled, then failing, at the
// cold start. The function answers 500 with a Retry-After and a log line
// naming the variable, the call and KMS's answer (no secret), mints
// nothing, and serves once KMS answers: in the same container after the
// backoff, and in a new container at once.
func TestBootstrapKMSFaultsUnderRIE(t *testing.T) {
	testenv.Cross(t)
	moto := localtest.StartMoto(t)
	bootstrap := buildBootstrap(t)
	pt, _ := testRing().Marshal()
	ct, keyARN := encryptUnderNewKey(t, moto.Endpoint, pt, keyring.EncryptionContext(functionName))
	p := localtest.StartFaultProxy(t, moto.Endpoint)
	fnEnv := append(env(p.URL, ct), "SECURESTREAM_KMS_KEY_ID="+keyARN,
		"AWS_MAX_ATTEMPTS=1") // the SDK's own retries off: each cold start attempt is one call
	ev := issuer.ReadEvent(t, "rest_v1_post.json")
	invoke := func(rie *emulators.RIE) proxyAnswer {
		t.Helper()
		return invokeProxy(t, rie, ev)
	}
	decrypts := func() int { return p.Counts()["kms:Decrypt"] }
	// The function's log reaches RIE's output after its answer, so a line
	// is waited for (a few seconds at most) rather than looked for at once.
	logged := func(rie *emulators.RIE, want string) bool {
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if strings.Contains(rie.Output(), want) {
				return true
			}
			if time.Now().After(deadline) {
				return false
			}
		}
	}

	p.Inject(faultproxy.Fault{Op: "kms:Decrypt", Nth: 1, Times: 2, Code: "ThrottlingException", Message: "Rate exceeded"})
	rie := localtest.StartRIE(t, fnEnv, bootstrap)
	a := invoke(rie)
	if a.StatusCode != 500 || !strings.Contains(a.Body, `"error":"unavailable"`) || strings.Contains(a.Body, "token") || a.Headers["retry-after"] != "1" {
		t.Fatalf("throttled at the cold start: %+v\n%s", a, rie.Output())
	}
	for _, want := range []string{`"startup":"cold_start_failed"`, "SECURESTREAM_KEYRING: kms:Decrypt", "ThrottlingException", "Rate exceeded", `"reason":"unavailable"`} {
		if !logged(rie, want) {
			t.Errorf("the function's log lacks %s:\n%s", want, rie.Output())
		}
	}
	out := rie.Output()
	if strings.Contains(out, `"level":"fatal"`) {
		t.Errorf("the function exited instead of answering:\n%s", out)
	}
	if n := decrypts(); n != 1 {
		t.Errorf("%d kms:Decrypt calls at the cold start; want 1", n)
	}
	// Within the backoff: 500 again, and KMS is not called.
	if a := invoke(rie); a.StatusCode != 500 || decrypts() != 1 {
		t.Fatalf("within the backoff: %d after %d kms:Decrypt calls", a.StatusCode, decrypts())
	}
	// After it: one retry, throttled too, and the backoff doubles.
	time.Sleep(1100 * time.Millisecond)
	if a := invoke(rie); a.StatusCode != 500 || decrypts() != 2 || a.Headers["retry-after"] != "2" {
		t.Fatalf("a throttled retry: %d, %d calls, retry-after %q", a.StatusCode, decrypts(), a.Headers["retry-after"])
	}
	// A new container while KMS fails with an internal error: the same
	// 500; then KMS answers and the new container serves after its backoff.
	rie.Stop()
	p.Inject(faultproxy.Fault{Op: "kms:Decrypt", Nth: 1, Code: "KMSInternalException"})
	rie = localtest.StartRIE(t, fnEnv, bootstrap)
	if a := invoke(rie); a.StatusCode != 500 || !logged(rie, "KMSInternalException") {
		t.Fatalf("KMS failing at a new container's cold start: %+v\n%s", a, rie.Output())
	}
	time.Sleep(1100 * time.Millisecond)
	a = invoke(rie)
	if a.StatusCode != 200 || !logged(rie, `"startup":"recovered"`) {
		t.Fatalf("after KMS recovered: %+v\n%s", a, rie.Output())
	}
	var body struct {
		Token string `json:"token"`
		KeyID string `json:"key_id"`
	}
	if err := json.Unmarshal([]byte(a.Body), &body); err != nil {
		t.Fatal(err)
	}
	ring, _ := testRing().Ring()
	if r := (&streamkey.Verifier{Ring: ring}).Verify(body.Token, streamkey.Request{Now: time.Now(), Path: "/vod/movie-42/720p/seg_1.ts",
		Host: "media.example.com", ClientIP: "198.51.100.23", UserAgent: "ExoPlayerLib/2.19.1"}); !r.OK() || body.KeyID != "k1" {
		t.Fatalf("the key minted after recovery: %s (key %s)", r.Reason, body.KeyID)
	}
	// And the next container serves from its first request.
	rie.Stop()
	rie = localtest.StartRIE(t, fnEnv, bootstrap)
	if a := invoke(rie); a.StatusCode != 200 {
		t.Fatalf("a new container with KMS answering: %+v\n%s", a, rie.Output())
	}
	for _, secret := range [][]byte{testRing().Keys[0].Secret, testRing().Keys[1].Secret} {
		if strings.Contains(out+rie.Output(), string(secret)) {
			t.Fatal("the function's log holds a key of the ring")
		}
	}
}
