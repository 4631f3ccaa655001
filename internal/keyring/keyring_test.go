package keyring

import (
	"bytes"
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
