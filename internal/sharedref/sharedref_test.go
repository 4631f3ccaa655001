package sharedref_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/securestream/terraform-provider-securestream/internal/sharedref"
	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

func TestSeedCloudFrontFunction(t *testing.T) {
	testenv.Shared(t)
	code, err := sharedref.SeedCloudFrontFunction(`it's a "secret" \ of 32+ characters`)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"function handler(event) {", `var secret = 'it\'s a "secret" \\ of 32+ characters';`, "var hostname = headers.host.value;",
		"Math.round(Date.now() / 1000)", "return event.request;",
	} {
		if !strings.Contains(code, want) {
			t.Errorf("the extracted function lacks %q", want)
		}
	}
	if strings.Contains(code, "=;") || strings.Contains(code, "( /") {
		t.Error("a lost piece of the listing was not restored")
	}
}

func TestPathReportsWhereItLooked(t *testing.T) {
	t.Setenv("SECURESTREAM_SHARED", t.TempDir())
	if _, err := sharedref.Path("vectors/seed-compat.json"); err == nil || !strings.Contains(err.Error(), "SECURESTREAM_SHARED") {
		t.Fatalf("err = %v", err)
	}
}

func TestSeedIssuerLambda(t *testing.T) {
	testenv.Shared(t)
	code, err := sharedref.SeedIssuerLambda()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"const AWS = require('aws-sdk');", "EncryptionContext: {LambdaFunctionName: functionName}", "exports.handler = async (event) => {"} {
		if !strings.Contains(code, want) {
			t.Errorf("the extracted issuer lacks %q", want)
		}
	}
}

// The committed copy of the seed-format vectors is the shared original.
func TestSeedVectorsCopy(t *testing.T) {
	if vs, err := sharedref.SeedVectors(); err != nil || len(vs) == 0 {
		t.Fatalf("the committed vectors: %d, %v", len(vs), err)
	}
	testenv.Shared(t)
	orig, err := sharedref.SharedSeedVectors()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(orig, sharedref.SeedVectorsCopy()) {
		t.Fatal("internal/sharedref/seed-compat.json differs from shared/vectors/seed-compat.json: copy the shared file over it")
	}
}
