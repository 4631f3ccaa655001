package keyring

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	d := &Document{Keys: []Key{
		{ID: "k1", Secret: bytes.Repeat([]byte{1}, 32), Created: time.Unix(1_767_225_600, 0).UTC()},
		{ID: "legacy", Secret: []byte("k3y-for-tests-0123456789abcdef0123456789"), Created: time.Unix(1_700_000_000, 0).UTC(), Seed: true},
	}}
	b, err := d.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Keys) != 2 || !bytes.Equal(back.Keys[0].Secret, d.Keys[0].Secret) || !back.Keys[1].Seed || !back.Keys[0].Created.Equal(d.Keys[0].Created) {
		t.Fatalf("%+v", back)
	}
	r, _ := back.Ring()
	if r.SigningKey(time.Unix(1_767_225_600, 0).Add(time.Hour), 10*time.Minute) != "k1" {
		t.Error("signing key")
	}
}

func TestParseRefuses(t *testing.T) {
	for name, doc := range map[string]string{
		"not json":       "{",
		"no version":     `{"keys":[{"kid":"a","secret":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}]}`,
		"version 2":      `{"version":2,"keys":[]}`,
		"no keys":        `{"version":1,"keys":[]}`,
		"short secret":   `{"version":1,"keys":[{"kid":"a","secret":"AAAA"}]}`,
		"bad kid":        `{"version":1,"keys":[{"kid":"a b","secret":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}]}`,
		"secret not b64": `{"version":1,"keys":[{"kid":"a","secret":"%%%"}]}`,
	} {
		if _, err := Parse([]byte(doc)); err == nil || !strings.HasPrefix(err.Error(), "keyring:") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// fakeKMS "encrypts" by prefixing the key id and the whole context, and
// refuses a Decrypt whose key id or context differs, as KMS does (the
// context must be the same map, not a subset).
type fakeKMS struct{}

func (fakeKMS) Encrypt(_ context.Context, keyID string, pt []byte, encCtx map[string]string) ([]byte, error) {
	c, _ := json.Marshal(encCtx)
	return append([]byte(keyID+"|"+string(c)+"|"), pt...), nil
}

func (fakeKMS) Decrypt(_ context.Context, ct []byte, encCtx map[string]string, keyID string) ([]byte, error) {
	c, _ := json.Marshal(encCtx)
	parts := bytes.SplitN(ct, []byte("|"), 3)
	if len(parts) != 3 || string(parts[1]) != string(c) || (keyID != "" && string(parts[0]) != keyID) {
		return nil, errors.New("InvalidCiphertextException")
	}
	return parts[2], nil
}

func TestSealOpen(t *testing.T) {
	ctx := context.Background()
	d := &Document{Keys: []Key{{ID: "k1", Secret: bytes.Repeat([]byte{1}, 32), Created: time.Unix(1_767_225_600, 0).UTC()}}}
	d.SetSeed([]byte("an-original-deployment-secret-of-32+"))
	ct, err := Seal(ctx, fakeKMS{}, "key-1", "fn", d)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Open(ctx, fakeKMS{}, "key-1", "fn", ct)
	if err != nil {
		t.Fatal(err)
	}
	if seed, ok := back.Seed(); !ok || string(seed.Secret) != "an-original-deployment-secret-of-32+" || len(back.Keys) != 2 {
		t.Fatalf("opened %+v", back)
	}
	if _, err := Open(ctx, fakeKMS{}, "", "fn", ct); err != nil {
		t.Errorf("without a key id: %v", err)
	}
	var call *CallError
	for name, open := range map[string]func() error{
		"another function": func() error { _, err := Open(ctx, fakeKMS{}, "key-1", "other", ct); return err },
		"another key":      func() error { _, err := Open(ctx, fakeKMS{}, "key-2", "fn", ct); return err },
	} {
		if err := open(); !errors.As(err, &call) || call.Call != "kms:Decrypt" || !strings.Contains(err.Error(), "LambdaFunctionName=") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := Open(ctx, fakeKMS{}, "key-1", "fn", "%%%"); !errors.Is(err, ErrCiphertext) {
		t.Errorf("bad base64: %v", err)
	}
	back.SetSeed(nil)
	if _, ok := back.Seed(); ok || len(back.Keys) != 1 {
		t.Errorf("SetSeed(nil) left %+v", back.Keys)
	}
}

// H1 (issue 18): a secret sealed for one purpose never opens as another.
// The review's case: an HS256 key the user chose, sealed for the issuer,
// is a valid key ring document, so it must be refused as a ring.
func TestPurposeBindsTheCiphertext(t *testing.T) {
	ctx := context.Background()
	chosen := []byte(`{"version":1,"keys":[{"kid":"evil","secret":"QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=","created":"2026-01-01T00:00:00Z"}]}`)
	if _, err := Parse(chosen); err != nil {
		t.Fatalf("the chosen key must be a valid ring for the test to mean anything: %v", err)
	}
	for _, purpose := range []string{PurposeJWTHS256Key, PurposeOriginSecret} {
		ct, err := SealSecret(ctx, fakeKMS{}, "key-1", "fn", purpose, chosen)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Open(ctx, fakeKMS{}, "key-1", "fn", ct); err == nil {
			t.Errorf("a secret sealed for %s opened as a key ring", purpose)
		} else if !strings.Contains(err.Error(), "Purpose="+PurposeKeyRing) {
			t.Errorf("the error does not name the purpose: %v", err)
		}
		if pt, err := OpenSecret(ctx, fakeKMS{}, "key-1", "fn", purpose, ct); err != nil || !bytes.Equal(pt, chosen) {
			t.Errorf("%s: %q %v", purpose, pt, err)
		}
	}
	ring, err := Seal(ctx, fakeKMS{}, "key-1", "fn", &Document{Keys: []Key{{ID: "k1", Secret: bytes.Repeat([]byte{1}, 32), Created: time.Unix(1_767_225_600, 0).UTC()}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenSecret(ctx, fakeKMS{}, "key-1", "fn", PurposeJWTHS256Key, ring); err == nil {
		t.Error("the key ring opened as the HS256 key")
	}
	// What an earlier version sealed (no purpose) opens nowhere a secret is used.
	legacy, _ := fakeKMS{}.Encrypt(ctx, "key-1", chosen, LegacyContext("fn"))
	if _, err := Open(ctx, fakeKMS{}, "key-1", "fn", EncodeCiphertext(legacy)); err == nil {
		t.Error("a ciphertext without a purpose opened as a key ring")
	}
	if got := EncryptionContext("fn"); !maps.Equal(got, map[string]string{"LambdaFunctionName": "fn", "Purpose": "key-ring"}) {
		t.Errorf("ring context %v", got)
	}
}

// The upgrade: Reseal turns a legacy ciphertext into the purpose-bound
// form and leaves a purpose-bound one as it is.
func TestReseal(t *testing.T) {
	ctx := context.Background()
	secret := []byte("an-hs256-key-of-at-least-32-bytes!!")
	raw, _ := fakeKMS{}.Encrypt(ctx, "key-1", secret, LegacyContext("fn"))
	legacy := EncodeCiphertext(raw)
	if !SealedWithoutPurpose(ctx, fakeKMS{}, "key-1", "fn", legacy) {
		t.Error("the legacy ciphertext is not recognised")
	}
	sealed, resealed, err := Reseal(ctx, fakeKMS{}, "key-1", "fn", PurposeJWTHS256Key, legacy)
	if err != nil || !resealed || sealed == legacy {
		t.Fatalf("Reseal: %v %v", resealed, err)
	}
	if pt, err := OpenSecret(ctx, fakeKMS{}, "key-1", "fn", PurposeJWTHS256Key, sealed); err != nil || !bytes.Equal(pt, secret) {
		t.Errorf("the re-sealed secret: %q %v", pt, err)
	}
	if SealedWithoutPurpose(ctx, fakeKMS{}, "key-1", "fn", sealed) {
		t.Error("a purpose-bound ciphertext is taken for a legacy one")
	}
	again, resealed, err := Reseal(ctx, fakeKMS{}, "key-1", "fn", PurposeJWTHS256Key, sealed)
	if err != nil || resealed || again != sealed {
		t.Errorf("re-sealing a purpose-bound ciphertext: %v %v", resealed, err)
	}
	// Sealed for another purpose: refused, not converted.
	if _, _, err := Reseal(ctx, fakeKMS{}, "key-1", "fn", PurposeKeyRing, sealed); err == nil {
		t.Error("Reseal turned the HS256 key into a key ring")
	}
	var call *CallError
	if _, _, err := Reseal(ctx, fakeKMS{}, "key-1", "other", PurposeJWTHS256Key, legacy); !errors.As(err, &call) || call.Purpose != PurposeJWTHS256Key {
		t.Errorf("another function: %v", err)
	}
}
