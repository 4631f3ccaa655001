package stack

import (
	"testing"

	"github.com/securestream/terraform-provider-securestream/internal/local/api"
)

// The local API runs functions with moto as their AWS and the local
// CloudFront as their cloudfront-keyvaluestore endpoint (an issuer's
// revocation store is there, not in moto), unless the options name
// another store endpoint.
func TestAPIOptionsKVSEndpoint(t *testing.T) {
	got := apiOptions(api.Options{Region: "eu-west-1"}, "http://127.0.0.1:4566", "http://127.0.0.1:4580")
	if got.Endpoint != "http://127.0.0.1:4566" || got.KVSEndpoint != "http://127.0.0.1:4580" || got.Region != "eu-west-1" {
		t.Errorf("%+v; want moto's endpoint, the local CloudFront's as KVSEndpoint, the region kept", got)
	}
	if got := apiOptions(api.Options{KVSEndpoint: "http://127.0.0.1:9999"}, "http://m", "http://c"); got.KVSEndpoint != "http://127.0.0.1:9999" {
		t.Errorf("KVSEndpoint %q; want the one the options name", got.KVSEndpoint)
	}
}

// AWS_IAM routes of the local stack accept test/test (what its clients
// sign with) and the process's AWS_ACCESS_KEY_ID with its secret, when
// both are set; credentials the options name replace them.
func TestAPIOptionsCredentials(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDLOCALDEV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "local-dev-secret")
	got := apiOptions(api.Options{}, "http://m", "http://c").Credentials
	if len(got) != 2 || got["test"] != "test" || got["AKIDLOCALDEV"] != "local-dev-secret" {
		t.Errorf("credentials %v; want test/test and the environment's key", keys(got))
	}
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	if got := apiOptions(api.Options{}, "http://m", "http://c").Credentials; len(got) != 1 || got["test"] != "test" {
		t.Errorf("credentials %v without a secret in the environment; want test/test only", keys(got))
	}
	own := map[string]string{"AKIDOWN": "own"}
	if got := apiOptions(api.Options{Credentials: own}, "http://m", "http://c").Credentials; len(got) != 1 || got["AKIDOWN"] != "own" {
		t.Errorf("credentials %v; want the options' own", keys(got))
	}
}

// keys are the access key ids of creds, not their secrets, for messages.
func keys(creds map[string]string) []string {
	var ids []string
	for id := range creds {
		ids = append(ids, id)
	}
	return ids
}
