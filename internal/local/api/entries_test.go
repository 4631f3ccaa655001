package api_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/securestream/terraform-provider-securestream/internal/local/api"
	"github.com/securestream/terraform-provider-securestream/internal/local/emulators"
	"github.com/securestream/terraform-provider-securestream/internal/local/localtest"
	"github.com/securestream/terraform-provider-securestream/internal/testenv"
)

// Entries lists what the local API serves at the URL it serves it: an
// HTTP API's $default stage, a REST API's stage and a function URL; a
// function tagged as securestream_issuer tags it is an issuer, by its
// function's name.
func TestEntries(t *testing.T) {
	testenv.Cross(t)
	moto := localtest.StartMoto(t)
	s := localtest.StartAPI(t, api.Options{Endpoint: moto.Endpoint})
	ctx := context.Background()
	if got, err := s.Entries(ctx); err != nil || len(got) != 0 {
		t.Fatalf("Entries of an empty moto: %v, %v; want none", got, err)
	}
	pkg, _ := issuerPackage(t)
	d := deploy(t, moto.Endpoint, pkg)
	lc := lambda.NewFromConfig(emulators.SDKConfig(moto.Endpoint))
	if _, err := lc.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(d.functionA), Tags: map[string]string{api.IssuerTag: functionName}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Entries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []api.Entry{
		{Name: "securestream", Kind: "http_api", ID: d.httpAPI, URL: s.URL + "/" + d.httpAPI + "/"},
		{Name: "securestream", Kind: "rest_api", ID: d.restAPI, URL: s.URL + "/" + d.restAPI + "/prod/"},
		{Name: functionName, Issuer: true, Kind: "function_url", ID: functionName, URL: s.URL + "/fn/" + functionName + "/"},
	}
	byURL := func(es []api.Entry) map[string]api.Entry {
		m := map[string]api.Entry{}
		for _, e := range es {
			m[e.URL] = e
		}
		return m
	}
	if !reflect.DeepEqual(byURL(got), byURL(want)) || len(got) != len(want) {
		t.Errorf("Entries:\n%+v\nwant\n%+v", got, want)
	}
}
