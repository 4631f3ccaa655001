package issuer

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/issuer/config"
	"github.com/securestream/terraform-provider-securestream/internal/keyring"
	"github.com/securestream/terraform-provider-securestream/internal/streamkeytest"
)

var t0 = time.Unix(1_767_225_600, 0).UTC()

// fakeKMS "encrypts" by wrapping the plaintext with its key and
// encryption context, and, as KMS does, refuses to decrypt under any other
// context, or under another key than the KeyId asked for. It records the
// KeyId of every call in calls, when set.
type fakeKMS struct {
	err   error
	calls *[]string
}

// fakeKeyARN is the key fakeEncrypt encrypts under.
const fakeKeyARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"

func fakeEncrypt(pt []byte, encCtx map[string]string) string {
	return fakeEncryptUnder(fakeKeyARN, pt, encCtx)
}

func fakeEncryptUnder(keyARN string, pt []byte, encCtx map[string]string) string {
	c, _ := json.Marshal(encCtx)
	return base64.StdEncoding.EncodeToString(append([]byte("FAKEKMS|"+keyARN+"|"+string(c)+"|"), pt...))
}

func (f fakeKMS) Decrypt(_ context.Context, ct []byte, encCtx map[string]string, keyID string) ([]byte, error) {
	if f.calls != nil {
		*f.calls = append(*f.calls, keyID)
	}
	if f.err != nil {
		return nil, f.err
	}
	parts := bytes.SplitN(ct, []byte("|"), 4)
	if len(parts) != 4 || string(parts[0]) != "FAKEKMS" {
		return nil, errors.New("InvalidCiphertextException: not a ciphertext")
	}
	if keyID != "" && keyID != string(parts[1]) {
		return nil, errors.New("IncorrectKeyException: the ciphertext was encrypted under another key")
	}
	if c, _ := json.Marshal(encCtx); string(parts[2]) != string(c) {
		return nil, errors.New("InvalidCiphertextException: wrong ciphertext or encryption context")
	}
	return parts[3], nil
}

func testDoc() *keyring.Document {
	return &keyring.Document{Version: 1, Keys: []keyring.Key{
		{ID: "k2025", Secret: []byte("an-old-key-of-at-least-32-bytes!!!!"), Created: t0.Add(-30 * 24 * time.Hour)},
		{ID: "k2026", Secret: []byte("the-newest-key-of-at-least-32-bytes!"), Created: t0.Add(-5 * time.Minute)},
		{ID: "legacy", Secret: []byte(streamkeytest.SeedSecret), Created: t0.Add(-365 * 24 * time.Hour), Seed: true},
	}}
}

// testOriginSecret is the origin header's secret the tests configure, and
// originSecretEnv its SECURESTREAM_ORIGIN_SECRET.
const testOriginSecret = "an-origin-secret-of-32-bytes!!!!"

var originSecretEnv = fakeEncrypt([]byte(testOriginSecret), keyring.Context("securestream-issuer", keyring.PurposeOriginSecret))

func baseEnv(t testing.TB) map[string]string {
	pt, err := testDoc().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME":           "securestream-issuer",
		"SECURESTREAM_KEYRING":               fakeEncrypt(pt, keyring.EncryptionContext("securestream-issuer")),
		"SECURESTREAM_AUTH":                  "none",
		"SECURESTREAM_ALLOWED_HOSTS":         "media.example.com",
		"SECURESTREAM_ALLOWED_PATH_PREFIXES": "/vod/,/live/",
		"SECURESTREAM_CORS_ORIGINS":          "https://player.example.com",
	}
}

// newIssuer builds an issuer from env with a fixed clock; logs go to the
// returned buffer.
func newIssuer(t testing.TB, env map[string]string) (*Issuer, *bytes.Buffer) {
	t.Helper()
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	is, err := New(context.Background(), cfg, fakeKMS{})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	is.Now = func() time.Time { return t0 }
	is.Log = &logs
	return is, &logs
}

func readEvent(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// withBody returns a REST v1 event like the recorded one, with another
// method, body and headers.
func restEvent(t testing.TB, method, body string, headers map[string]string) []byte {
	var ev map[string]any
	if err := json.Unmarshal(readEvent(t, "rest_v1_post.json"), &ev); err != nil {
		t.Fatal(err)
	}
	ev["httpMethod"] = method
	ev["body"] = body
	ev["multiValueHeaders"] = nil
	h := ev["headers"].(map[string]any)
	for k, v := range headers {
		if v == "" {
			delete(h, k)
		} else {
			h[k] = v
		}
	}
	b, _ := json.Marshal(ev)
	return b
}

// handler answers an event: an Issuer, or a Container that starts one.
type handler interface {
	Handle(context.Context, json.RawMessage) (*response, error)
}

// call sends ev to h and returns the answer's status, headers and JSON
// body.
func call(t testing.TB, h handler, ev []byte) (int, map[string]string, map[string]any) {
	t.Helper()
	res, err := h.Handle(context.Background(), ev)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	var body map[string]any
	if res.Body != "" {
		if err := json.Unmarshal([]byte(res.Body), &body); err != nil {
			t.Fatalf("the body is not JSON: %q", res.Body)
		}
	}
	return res.StatusCode, res.Headers, body
}

func str(v any) string { s, _ := v.(string); return s }

var _ = strings.TrimSpace
