package cloudfront

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cf "github.com/aws/aws-sdk-go-v2/service/cloudfront"
)

// A web page can reach a loopback port under a name of its own (DNS
// rebinding: evil.example resolves to 127.0.0.1 once the page is loaded),
// and then read the answers as its own. The control plane (which answers
// functions' code, ring keys in it) and the edge answer only names that
// cannot be a page's: loopback addresses and localhost, and, at the edge,
// <id>.cloudfront.local.
func TestForeignHostRefused(t *testing.T) {
	st := startStack(t, Config{})
	for name, target := range map[string]struct {
		url  string
		host string
	}{
		"control plane":          {st.s.Endpoint + "/2020-05-31/function/securestream", "evil.example"},
		"control plane, port":    {st.s.Endpoint + "/2020-05-31/function", "evil.example:4580"},
		"control plane, admin":   {st.s.Endpoint + "/_local/faults", "evil.example"},
		"control plane, .local":  {st.s.Endpoint + "/2020-05-31/function", st.id + ".cloudfront.local"},
		"distribution's port":    {st.edge + "/poster.jpg", "evil.example"},
		"shared edge":            {st.s.EdgeEndpoint + "/poster.jpg", "evil.example"},
		"shared edge, alias":     {st.s.EdgeEndpoint + "/poster.jpg", "video.example.test"},
		"shared edge, domain":    {st.s.EdgeEndpoint + "/poster.jpg", "d111111abcdef8.cloudfront.net"},
		"lookalike of loopback":  {st.edge + "/poster.jpg", "127.0.0.1.evil.example"},
		"lookalike of .local":    {st.edge + "/poster.jpg", "x.cloudfront.local.evil.example"},
		"localhost as subdomain": {st.edge + "/poster.jpg", "localhost.evil.example"},
	} {
		t.Run(name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, target.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Host = target.host
			resp, body := do(t, req)
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Host") {
				t.Fatalf("Host %q: %d %s; want 403 saying the Host is refused", target.host, resp.StatusCode, body)
			}
		})
	}
	// Loopback names, and <id>.cloudfront.local at the edge, are served.
	for host, url := range map[string]string{
		"127.0.0.1":                   st.edge + "/poster.jpg",
		"localhost:1234":              st.edge + "/poster.jpg",
		"127.9.8.7":                   st.edge + "/poster.jpg",
		"[::1]:80":                    st.edge + "/poster.jpg",
		"LOCALHOST.":                  st.edge + "/poster.jpg",
		st.id + ".cloudfront.local":   st.s.EdgeEndpoint + "/poster.jpg",
		st.id + ".CloudFront.Local:9": st.s.EdgeEndpoint + "/poster.jpg",
	} {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Host = host
		if resp, body := do(t, req); resp.StatusCode != http.StatusOK {
			t.Errorf("Host %q: %d %s; want 200", host, resp.StatusCode, body)
		}
	}
	// The unmodified SDK, pointed at localhost rather than 127.0.0.1.
	c := cf.New(cf.Options{BaseEndpoint: aws.String(strings.Replace(st.s.Endpoint, "127.0.0.1", "localhost", 1)), Region: "us-east-1",
		Credentials: testCredentials})
	if _, err := c.ListFunctions(ctx, &cf.ListFunctionsInput{}); err != nil {
		t.Fatalf("the SDK at localhost: %v", err)
	}
}

// do sends req as it is (its Host too) and returns the answer, its body
// (short) and X-Local-Error, where the edge says why.
func do(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
	return resp, resp.Header.Get("X-Local-Error") + " " + string(b[:min(len(b), 400)])
}
