package jwks

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"testing"

	"github.com/securestream/terraform-provider-securestream/internal/jwttest"
)

func TestParse(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	doc := jwttest.JWKS(
		jwttest.JWK(rsaKey, map[string]string{"kid": "r1", "use": "sig"}),
		jwttest.JWK(ecKey, map[string]string{"kid": "e1", "alg": "ES256"}),
		jwttest.JWK(rsaKey, map[string]string{"kid": "enc", "use": "enc"}),
		map[string]any{"kty": "oct", "kid": "ignored", "k": "AAAA"})
	keys, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 {
		t.Errorf("keys %v, want r1 and e1 (not the encryption key, not the oct key)", keys)
	}
	if pub, ok := keys["r1"].Public.(*rsa.PublicKey); !ok || !pub.Equal(&rsaKey.PublicKey) || keys["r1"].Alg != "" {
		t.Errorf("r1 = %+v, want the RSA key without alg", keys["r1"])
	}
	if pub, ok := keys["e1"].Public.(*ecdsa.PublicKey); !ok || !pub.Equal(&ecKey.PublicKey) || keys["e1"].Alg != "ES256" {
		t.Errorf("e1 = %+v, want the EC key for ES256", keys["e1"])
	}
}

func TestParseRefuses(t *testing.T) {
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	for name, doc := range map[string]string{
		"not json":      "{",
		"no keys":       `{"keys":[]}`,
		"only oct":      `{"keys":[{"kty":"oct","k":"AAAA"}]}`,
		"small RSA":     jwttest.JWKS(jwttest.JWK(small, map[string]string{"kid": "a"})),
		"P-384":         `{"keys":[{"kty":"EC","kid":"a","crv":"P-384","x":"AAAA","y":"AAAA"}]}`,
		"off the curve": `{"keys":[{"kty":"EC","kid":"a","crv":"P-256","x":"AQ","y":"AQ"}]}`,
		"bad base64":    `{"keys":[{"kty":"EC","kid":"a","crv":"P-256","x":"!!","y":"AQ"}]}`,
	} {
		if _, err := Parse([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestUsable(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	for _, tc := range []struct {
		alg  string
		want bool
	}{{"", true}, {"RS256", true}, {"RS384", false}, {"ES256", false}} {
		if got := (Key{Public: &rsaKey.PublicKey, Alg: tc.alg}).Usable(); got != tc.want {
			t.Errorf("an RSA key with alg %q: usable %v, want %v", tc.alg, got, tc.want)
		}
	}
}
