package keyring

import (
	"bytes"
	"context"
	"errors"
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

// fakeKMS "encrypts" by prefixing the key id and the context, and refuses
// a Decrypt whose key id or context differs, as KMS does.
type fakeKMS struct{}

func (fakeKMS) Encrypt(_ context.Context, keyID string, pt []byte, encCtx map[string]string) ([]byte, error) {
	return append([]byte(keyID+"|"+encCtx["LambdaFunctionName"]+"|"), pt...), nil
}

func (fakeKMS) Decrypt(_ context.Context, ct []byte, encCtx map[string]string, keyID string) ([]byte, error) {
	parts := bytes.SplitN(ct, []byte("|"), 3)
	if len(parts) != 3 || string(parts[1]) != encCtx["LambdaFunctionName"] || (keyID != "" && string(parts[0]) != keyID) {
		return nil, errors.New("AccessDeniedException")
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
