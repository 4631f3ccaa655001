package issuer

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/issuer/config"
	"github.com/securestream/terraform-provider-securestream/internal/keyring"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
	"github.com/securestream/terraform-provider-securestream/internal/streamkeytest"
)

// flakyKMS fails its first fail calls with err, then decrypts as fakeKMS.
type flakyKMS struct {
	fail  int
	err   error
	calls int
}

func (f *flakyKMS) Decrypt(ctx context.Context, ct []byte, encCtx map[string]string, keyID string) ([]byte, error) {
	f.calls++
	if f.calls <= f.fail {
		return nil, f.err
	}
	return fakeKMS{}.Decrypt(ctx, ct, encCtx, keyID)
}

// errThrottled is KMS's answer to too many calls, as the SDK reports it.
var errThrottled = errors.New("operation error KMS: Decrypt, https response error StatusCode: 400, ThrottlingException: Rate exceeded")

// coldStart starts a container for env on a clock the test moves.
func coldStart(t *testing.T, env map[string]string, kms keyring.Decrypter, now *time.Time) (*Container, *bytes.Buffer) {
	t.Helper()
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	c := NewContainer(cfg, kms)
	c.Now, c.Log = func() time.Time { return *now }, &logs
	return c.Start(context.Background()), &logs
}

// noSecretIn fails the test if the log holds a key of the test ring, in
// any spelling, or a token.
func noSecretIn(t *testing.T, log string) {
	t.Helper()
	for _, k := range testDoc().Keys {
		for _, form := range []string{string(k.Secret), base64.StdEncoding.EncodeToString(k.Secret), base64.RawURLEncoding.EncodeToString(k.Secret)} {
			if strings.Contains(log, form) {
				t.Fatalf("the log holds the secret of %s:\n%s", k.ID, log)
			}
		}
	}
	if strings.Contains(log, "ss1.") {
		t.Fatalf("the log holds a token:\n%s", log)
	}
}

// KMS throttled at the cold start: the container answers 500 with a
// Retry-After (and CORS headers, so that a browser player sees the 500),
// logs a line that names the variable, the call and KMS's answer, mints
// nothing, keeps KMS's load to one call per backoff, and serves once KMS
// answers; a new container serves at once.
func TestColdStartKMSThrottled(t *testing.T) {
	now := t0
	kms := &flakyKMS{fail: 2, err: errThrottled}
	c, logs := coldStart(t, baseEnv(t), kms, &now)
	ev := restEvent(t, "POST", `{"playback_url":"https://media.example.com/vod/movie-42/index.m3u8"}`,
		map[string]string{"origin": "https://player.example.com"})

	status, headers, body := call(t, c, ev)
	if status != 500 || body["error"] != "unavailable" || body["token"] != nil {
		t.Fatalf("a request while KMS is errThrottled: %d %v", status, body)
	}
	if headers["retry-after"] != "1" || headers["access-control-allow-origin"] != "https://player.example.com" {
		t.Errorf("headers %v: want retry-after 1 and the CORS origin", headers)
	}
	first := strings.SplitN(logs.String(), "\n", 2)[0]
	for _, want := range []string{`"level":"error"`, `"startup":"cold_start_failed"`, "SECURESTREAM_KEYRING: kms:Decrypt", "ThrottlingException", `"retry_in":"1s"`} {
		if !strings.Contains(first, want) {
			t.Errorf("the cold start's log line lacks %s:\n%s", want, first)
		}
	}
	if !strings.Contains(logs.String(), `"reason":"unavailable"`) || !strings.Contains(logs.String(), `"status":500`) {
		t.Errorf("the request's log line does not say 500 unavailable:\n%s", logs.String())
	}

	// Within the backoff: no KMS call.
	now = now.Add(500 * time.Millisecond)
	if status, _, _ := call(t, c, ev); status != 500 || kms.calls != 1 {
		t.Fatalf("within the backoff: %d after %d kms:Decrypt calls; want 500 after 1", status, kms.calls)
	}
	// The retry fails too: the backoff doubles.
	now = now.Add(600 * time.Millisecond)
	if status, headers, _ := call(t, c, ev); status != 500 || kms.calls != 2 || headers["retry-after"] != "2" {
		t.Fatalf("a failed retry: %d, %d calls, retry-after %q; want 500, 2, 2", status, kms.calls, headers["retry-after"])
	}
	// A preflight needs no ring.
	if status, h, _ := call(t, c, restEvent(t, "OPTIONS", "", map[string]string{"origin": "https://player.example.com"})); status != 204 ||
		h["access-control-allow-methods"] == "" {
		t.Errorf("a preflight while the issuer is down: %d %v", status, h)
	}
	// KMS answers: the container serves, with the ring KMS opened.
	now = now.Add(2 * time.Second)
	status, _, body = call(t, c, ev)
	if status != 200 || kms.calls != 3 || c.Err() != nil {
		t.Fatalf("after KMS recovered: %d %v (%d calls, %v)", status, body, kms.calls, c.Err())
	}
	ring, _ := testDoc().Ring()
	r := (&streamkey.Verifier{Ring: ring}).Verify(str(body["token"]), streamkey.Request{Now: now.Add(time.Second),
		Path: "/vod/movie-42/720p/seg_1.ts", Host: "media.example.com", ClientIP: "198.51.100.23", UserAgent: "ExoPlayerLib/2.19.1"})
	if !r.OK() || body["key_id"] != "k2025" {
		t.Fatalf("the key minted after recovery: %s, key %v", r.Reason, body["key_id"])
	}
	if !strings.Contains(logs.String(), `"startup":"recovered"`) {
		t.Errorf("no recovery line:\n%s", logs.String())
	}
	noSecretIn(t, logs.String())

	// A new container (KMS answering) serves from its first request.
	fresh, _ := coldStart(t, baseEnv(t), &flakyKMS{}, &now)
	if status, _, _ := call(t, fresh, ev); status != 200 {
		t.Fatalf("a new container: %d", status)
	}
}

// The backoff doubles up to a minute, and every attempt is one call.
func TestColdStartBackoffBounded(t *testing.T) {
	now := t0
	kms := &flakyKMS{fail: 100, err: errors.New("KMSInternalException: internal error")}
	c, _ := coldStart(t, baseEnv(t), kms, &now)
	ev := restEvent(t, "POST", `{"playback_url":"https://media.example.com/vod/a/index.m3u8"}`, nil)
	var waits []string
	for range 9 {
		_, h, _ := call(t, c, ev)
		waits = append(waits, h["retry-after"])
		now = c.retryAt
	}
	if got := strings.Join(waits, " "); got != "1 2 4 8 16 32 60 60 60" {
		t.Errorf("retry-after over failed retries: %s", got)
	}
	if kms.calls != 9 {
		t.Errorf("%d kms:Decrypt calls for 9 attempts", kms.calls)
	}
}

// A partial cold start never serves: the ring opened but the HS256 key's
// decryption errThrottled leaves no issuer (which would otherwise check JWTs
// with no key), and nothing is minted until both are open.
func TestColdStartPartialNeverMints(t *testing.T) {
	env := baseEnv(t)
	env["SECURESTREAM_AUTH"] = "jwt"
	env["SECURESTREAM_JWT_AUDIENCE"] = "players"
	hsKey := []byte("a-shared-hs256-key-of-the-players-idp-0123")
	env["SECURESTREAM_JWT_HS256_KEY"] = fakeEncrypt(hsKey, keyring.Context("securestream-issuer", keyring.PurposeJWTHS256Key))
	now := t0
	kms := &secondFails{err: errThrottled}
	c, logs := coldStart(t, env, kms, &now)
	if c.Err() == nil || !strings.Contains(c.Err().Error(), "SECURESTREAM_JWT_HS256_KEY") {
		t.Fatalf("a errThrottled HS256 key: %v", c.Err())
	}
	ev := restEvent(t, "POST", `{"playback_url":"https://media.example.com/vod/a/index.m3u8"}`, nil)
	if status, _, body := call(t, c, ev); status != 500 || body["token"] != nil {
		t.Fatalf("a request: %d %v", status, body)
	}
	if strings.Contains(logs.String(), `"outcome":"issued"`) {
		t.Fatalf("the container issued a key:\n%s", logs.String())
	}
	noSecretIn(t, logs.String())
	if strings.Contains(logs.String(), string(hsKey)) {
		t.Fatalf("the log holds the HS256 key")
	}
}

// secondFails fails only the second call (the HS256 key after the ring).
type secondFails struct {
	err   error
	calls int
}

func (f *secondFails) Decrypt(ctx context.Context, ct []byte, encCtx map[string]string, keyID string) ([]byte, error) {
	if f.calls++; f.calls == 2 {
		return nil, f.err
	}
	return fakeKMS{}.Decrypt(ctx, ct, encCtx, keyID)
}

// A ring that opens but cannot sign is not a KMS failure: it is not
// retried (no KMS call per request), and the log says how to fix it.
func TestColdStartPermanentFailure(t *testing.T) {
	doc := &keyring.Document{Version: 1, Keys: []keyring.Key{{ID: "legacy", Secret: []byte(streamkeytest.SeedSecret), Seed: true}}}
	pt, err := doc.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	env := baseEnv(t)
	env["SECURESTREAM_KEYRING"] = fakeEncrypt(pt, keyring.EncryptionContext("securestream-issuer"))
	now := t0
	kms := &flakyKMS{}
	c, logs := coldStart(t, env, kms, &now)
	ev := restEvent(t, "POST", `{"playback_url":"https://media.example.com/vod/a/index.m3u8"}`, nil)
	for range 3 {
		now = now.Add(time.Hour)
		status, h, _ := call(t, c, ev)
		if status != 500 || h["retry-after"] != "" {
			t.Fatalf("a ring with the seed key only: %d %v", status, h)
		}
	}
	if kms.calls != 1 {
		t.Errorf("%d kms:Decrypt calls; a failure that is not KMS's is not retried", kms.calls)
	}
	if !strings.Contains(logs.String(), "only the seed key") || !strings.Contains(logs.String(), `"fix"`) {
		t.Errorf("the log does not say why and what to do:\n%s", logs.String())
	}
}

// H1 (issue 18): the Lambda opens each secret only as what it was sealed
// for. A secret sealed without a purpose (as every secret was before), or
// for another purpose, is refused, so that an HS256 key the user chose
// (here a valid ring document) never opens as the key ring; the container
// then mints nothing. The contexts are spelt out, as KMS sees them.
func TestColdStartOpensOnlyPurposeBoundSecrets(t *testing.T) {
	const fn = "securestream-issuer"
	sealedFor := func(purpose string) map[string]string {
		if purpose == "" {
			return map[string]string{"LambdaFunctionName": fn}
		}
		return map[string]string{"LambdaFunctionName": fn, "Purpose": purpose}
	}
	ring, err := testDoc().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	hsKey := []byte("a-shared-hs256-key-of-the-players-idp-0123")
	originSecret := []byte("an-origin-secret-of-32-bytes!!!!")
	env := func(ringPurpose, hsPurpose, originPurpose string) map[string]string {
		e := baseEnv(t)
		e["SECURESTREAM_KEYRING"] = fakeEncrypt(ring, sealedFor(ringPurpose))
		e["SECURESTREAM_AUTH"] = "jwt"
		e["SECURESTREAM_JWT_ISSUER"] = "https://idp.example"
		e["SECURESTREAM_JWT_AUDIENCE"] = "players"
		e["SECURESTREAM_JWT_HS256_KEY"] = fakeEncrypt(hsKey, sealedFor(hsPurpose))
		e["SECURESTREAM_CLIENT_IP_SOURCE"] = "cloudfront-viewer-address"
		e["SECURESTREAM_ORIGIN_SECRET_HEADER"] = "x-origin-verify"
		e["SECURESTREAM_ORIGIN_SECRET"] = fakeEncrypt(originSecret, sealedFor(originPurpose))
		return e
	}
	now := t0
	if c, logs := coldStart(t, env("key-ring", "jwt-hs256-key", "origin-secret"), fakeKMS{}, &now); c.Err() != nil {
		t.Errorf("purpose-bound secrets: %v\n%s", c.Err(), logs)
	}
	chosenAsRing := env("key-ring", "jwt-hs256-key", "origin-secret")
	chosenAsRing["SECURESTREAM_KEYRING"] = fakeEncrypt(ring, sealedFor("jwt-hs256-key")) // the review's case
	originAsRing := env("key-ring", "jwt-hs256-key", "origin-secret")
	originAsRing["SECURESTREAM_KEYRING"] = fakeEncrypt(ring, sealedFor("origin-secret"))
	ringAsHS256 := env("key-ring", "jwt-hs256-key", "origin-secret")
	ringAsHS256["SECURESTREAM_JWT_HS256_KEY"] = fakeEncrypt(ring, sealedFor("key-ring"))
	for name, tc := range map[string]struct {
		env      map[string]string
		variable string
	}{
		"a ring sealed without a purpose":           {env("", "jwt-hs256-key", "origin-secret"), "SECURESTREAM_KEYRING"},
		"an HS256 key sealed without a purpose":     {env("key-ring", "", "origin-secret"), "SECURESTREAM_JWT_HS256_KEY"},
		"an origin secret sealed without a purpose": {env("key-ring", "jwt-hs256-key", ""), "SECURESTREAM_ORIGIN_SECRET"},
		"the HS256 key given as the ring":           {chosenAsRing, "SECURESTREAM_KEYRING"},
		"the origin secret given as the ring":       {originAsRing, "SECURESTREAM_KEYRING"},
		"the ring given as the HS256 key":           {ringAsHS256, "SECURESTREAM_JWT_HS256_KEY"},
	} {
		t.Run(name, func(t *testing.T) {
			now := t0
			c, logs := coldStart(t, tc.env, fakeKMS{}, &now)
			if c.Err() == nil || !strings.Contains(c.Err().Error(), tc.variable+": kms:Decrypt") {
				t.Fatalf("the container started, or not for %s: %v", tc.variable, c.Err())
			}
			ev := restEvent(t, "POST", `{"playback_url":"https://media.example.com/vod/a/index.m3u8"}`, nil)
			if status, _, body := call(t, c, ev); status != 500 || body["stream_key"] != nil {
				t.Errorf("a request: %d %v", status, body)
			}
			noSecretIn(t, logs.String())
		})
	}
}
