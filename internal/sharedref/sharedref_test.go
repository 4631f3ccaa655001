package sharedref_test

import (
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
