package config

import (
	"errors"
	"strings"
	"testing"
)

// Issue 20, item 2: Load reports every problem at once, each an *Error
// naming its variable, in one line (a cold start logs it).
func TestLoadReportsEveryProblem(t *testing.T) {
	env := minimalEnv()
	env["SECURESTREAM_JWT_LEEWAY"] = "-1s"
	env["SECURESTREAM_MAX_TTL"] = "25h"
	env["SECURESTREAM_TOKEN_HEADER"] = "x_stream"
	env["SECURESTREAM_ALLOWED_SCHEMES"] = "ftp"
	_, err := load(env)
	if err == nil {
		t.Fatal("accepted")
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("more than one line: %q", err)
	}
	var names []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ce *Error
		if !errors.As(e, &ce) {
			t.Fatalf("%T is not an *Error", e)
		}
		if !strings.HasPrefix(ce.Msg, ce.Name+": ") {
			t.Errorf("%q does not start with its variable %s", ce.Msg, ce.Name)
		}
		names = append(names, ce.Name)
	}
	want := []string{"SECURESTREAM_JWT_LEEWAY", "SECURESTREAM_MAX_TTL", "SECURESTREAM_TOKEN_HEADER", "SECURESTREAM_ALLOWED_SCHEMES"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("errors on %v, want %v: %v", names, want, err)
	}
	// A reported variable is not reported again by the checks across
	// variables: max_ttl refused says nothing of default_ttl.
	if strings.Contains(err.Error(), "longer than") {
		t.Errorf("a check on a refused value: %v", err)
	}
}

// Issue 20, item 2: one duration grammar. Validate (the provider's check
// at plan) refuses a bare number; Load, at a cold start, still reads it as
// seconds, as earlier provider versions wrote it into the environment.
func TestBareSecondsValidateAndLoad(t *testing.T) {
	env := minimalEnv()
	env["SECURESTREAM_ACTIVATION_DELAY"] = "600"
	err := Validate(func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), `SECURESTREAM_ACTIVATION_DELAY: "600" has no unit: write 600s`) {
		t.Errorf("Validate: %v", err)
	}
	cfg, err := load(env)
	if err != nil || cfg.ActivationDelay.Seconds() != 600 {
		t.Errorf("Load: %v %+v", err, cfg)
	}
	env["SECURESTREAM_ACTIVATION_DELAY"] = "10m"
	if err := Validate(func(k string) string { return env[k] }); err != nil {
		t.Errorf("Validate 10m: %v", err)
	}
}
