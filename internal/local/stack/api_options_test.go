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
