package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// minimalEnv sets the required variables and nothing else.
func minimalEnv() map[string]string {
	return map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME":   "securestream-issuer",
		"SECURESTREAM_KEYRING":       "a-ciphertext",
		"SECURESTREAM_AUTH":          "none",
		"SECURESTREAM_ALLOWED_HOSTS": "media.example.com",
	}
}

func load(env map[string]string) (*Config, error) {
	return Load(func(k string) string { return env[k] })
}

// The table is the variables Load reads, and Load reads each as the kind
// the table gives it (spec panics otherwise).
func TestVariablesAreWhatLoadReads(t *testing.T) {
	listed := map[string]bool{}
	for _, v := range Variables {
		if listed[v.Name] {
			t.Errorf("%s is listed twice", v.Name)
		}
		listed[v.Name] = true
		if v.Kind < KindString || v.Kind > KindList {
			t.Errorf("%s has no kind", v.Name)
		}
	}
	read := map[string]bool{}
	if _, err := Load(func(k string) string { read[k] = true; return minimalEnv()[k] }); err != nil {
		t.Fatal(err)
	}
	for k := range read {
		if k != "AWS_LAMBDA_FUNCTION_NAME" && !listed[k] {
			t.Errorf("%s is read but not in Variables", k)
		}
	}
	for k := range listed {
		if !read[k] {
			t.Errorf("%s is in Variables but not read", k)
		}
	}
}

// Required says what Load needs: without a required variable it fails
// naming it, and the required ones alone are enough.
func TestRequired(t *testing.T) {
	if _, err := load(minimalEnv()); err != nil {
		t.Fatalf("the required variables alone: %v", err)
	}
	n := 0
	for _, v := range Variables {
		if !v.Required {
			continue
		}
		n++
		env := minimalEnv()
		if _, ok := env[v.Name]; !ok {
			t.Errorf("%s is required but minimalEnv does not set it", v.Name)
		}
		delete(env, v.Name)
		if _, err := load(env); err == nil || !strings.Contains(err.Error(), v.Name) {
			t.Errorf("without %s: %v, want an error naming it", v.Name, err)
		}
		if v.Default != "" || v.RequiredWith != "" {
			t.Errorf("%s is required and has a default (%q) or a condition (%q)", v.Name, v.Default, v.RequiredWith)
		}
	}
	if n != len(minimalEnv())-1 {
		t.Errorf("%d required variables, minimalEnv sets %d", n, len(minimalEnv())-1)
	}
}

// A default is a value Load accepts, of the variable's kind.
func TestDefaultsLoad(t *testing.T) {
	for _, v := range Variables {
		if v.Default == "" {
			continue
		}
		env := minimalEnv()
		env[v.Name] = v.Default
		if _, err := load(env); err != nil {
			t.Errorf("%s=%s (its default): %v", v.Name, v.Default, err)
		}
		if len(v.OneOf) > 0 && v.OneOf[0] != v.Default && !strings.Contains(strings.Join(v.OneOf, ","), v.Default) {
			t.Errorf("%s: default %q is not one of %v", v.Name, v.Default, v.OneOf)
		}
		if (v.Min != 0 || v.Max != 0) != (v.Kind == KindDuration) {
			t.Errorf("%s: a range on a %s", v.Name, v.Kind)
		}
	}
}

// RequiredWith is checked: SECURESTREAM_AUTH=jwt without the audience fails.
func TestRequiredWith(t *testing.T) {
	env := minimalEnv()
	env["SECURESTREAM_AUTH"] = "jwt"
	env["SECURESTREAM_JWT_HS256_KEY"] = "a-ciphertext"
	if _, err := load(env); err == nil || !strings.Contains(err.Error(), "SECURESTREAM_JWT_AUDIENCE") {
		t.Errorf("jwt without an audience: %v", err)
	}
}

// A JWKS the issuer could not use fails here, so at plan in the provider.
func TestBadJWKS(t *testing.T) {
	env := minimalEnv()
	env["SECURESTREAM_AUTH"] = "jwt"
	env["SECURESTREAM_JWT_AUDIENCE"] = "securestream"
	env["SECURESTREAM_JWT_ISSUER"] = "https://idp.example"
	env["SECURESTREAM_JWT_JWKS"] = `{"keys":[{"kty":"oct","k":"AAAA"}]}`
	if _, err := load(env); err == nil || !strings.HasPrefix(err.Error(), "SECURESTREAM_JWT_JWKS: ") {
		t.Errorf("a JWKS without a signing key: %v", err)
	}
}

// The guide's configuration table lists every variable with its default.
func TestGuideListsVariables(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "templates", "guides", "issuer.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range Variables {
		row := "| `" + v.Name + "` |"
		i := strings.Index(string(b), row)
		if i < 0 {
			t.Errorf("the guide does not list %s", v.Name)
			continue
		}
		line := string(b[i:])
		line = line[:strings.IndexByte(line, '\n')]
		want := "`" + v.Default + "`"
		switch {
		case v.DefaultText() != v.Default:
			want = v.DefaultText()
		case v.Default == "":
			want = "—"
		}
		if !strings.HasPrefix(line, row+" "+want+" |") {
			t.Errorf("the guide gives %s another default than %q: %s", v.Name, want, line)
		}
	}
}
