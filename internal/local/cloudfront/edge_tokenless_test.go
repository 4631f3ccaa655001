package cloudfront

import (
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"

	"github.com/securestream/terraform-provider-securestream/internal/edgefunc"
	"github.com/securestream/terraform-provider-securestream/internal/issuance"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

// M1: no request without a key reaches the origin, whatever its method,
// except on exempt paths. The origin here answers every method like GET
// (http.ServeContent), as many do: a CORS preflight the function let
// through got the whole segment. The function answers preflights itself;
// methods the cache behavior does not allow are refused by CloudFront
// before the function runs.
func TestEdgeTokenlessNeverReachesOrigin(t *testing.T) {
	code, err := edgefunc.Render(edgefunc.Config{Keys: []edgefunc.Key{testKey}, Channels: issuance.DefaultChannels(),
		Exempt: []string{"/media/posters/*"}, CORSOrigins: []string{"https://player.example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	const seg, poster = "/media/720p/seg.ts", "/media/posters/p.jpg"
	preflight := map[string]string{"Origin": "https://player.example.com", "Access-Control-Request-Method": "GET",
		"Access-Control-Request-Headers": "x-stream-token"}
	for _, allowed := range [][]types.Method{
		{"GET", "HEAD"},
		{"GET", "HEAD", "OPTIONS"},
		{"GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"},
	} {
		st := startTokenlessStack(t, string(code), allowed)
		tok := st.token(t)
		for _, c := range []struct {
			name, method string
			header       map[string]string
		}{
			{"GET", "GET", nil},
			{"HEAD", "HEAD", nil},
			{"OPTIONS preflight", "OPTIONS", preflight},
			{"OPTIONS preflight, other origin", "OPTIONS", map[string]string{"Origin": "https://evil.example.net", "Access-Control-Request-Method": "GET"}},
			{"OPTIONS bare", "OPTIONS", nil},
			{"OPTIONS with Origin only", "OPTIONS", map[string]string{"Origin": "https://player.example.com"}},
			{"POST", "POST", nil},
			{"PUT", "PUT", nil},
			{"DELETE", "DELETE", nil},
			{"PATCH", "PATCH", nil},
			{"GET, escaped twice under an exempt prefix", "GET", nil},
		} {
			path := seg
			if strings.HasPrefix(c.name, "GET, escaped") {
				path = "/media/posters/%252e%252e/720p/seg.ts"
			}
			before := st.origin.count()
			resp := send(t, c.method, st.edge+path, c.header)
			want := http.StatusForbidden
			if c.name == "OPTIONS preflight" && slices.Contains(allowed, "OPTIONS") {
				want = http.StatusNoContent
			}
			if resp.StatusCode != want || st.origin.count() != before {
				t.Errorf("methods %v: %s %s without a key: %d, %d request(s) reached the origin; want %d and none",
					allowed, c.method, path, resp.StatusCode, st.origin.count()-before, want)
			}
			if want == http.StatusNoContent && (resp.Header.Get("Access-Control-Allow-Origin") != "https://player.example.com" ||
				resp.Header.Get("X-Cache") != "FunctionGeneratedResponse from cloudfront") {
				t.Errorf("methods %v: preflight: %v; want the function's 204 for the player's origin", allowed, resp.Header)
			}
		}
		// Exempt paths and keyed requests do reach the origin, with every
		// method the behavior allows.
		for _, m := range allowed {
			for _, c := range []struct {
				path   string
				header map[string]string
			}{{poster, nil}, {seg, map[string]string{"X-Stream-Token": tok}}} {
				before := st.origin.count()
				if resp := send(t, string(m), st.edge+c.path, c.header); resp.StatusCode >= 400 || st.origin.count() != before+1 {
					t.Errorf("methods %v: %s %s (key %v): %d, %d request(s) reached the origin; want the origin's answer",
						allowed, m, c.path, c.header != nil, resp.StatusCode, st.origin.count()-before)
				}
			}
		}
	}
}

// startTokenlessStack is startStackWith with the behaviors' allowed
// methods given.
func startTokenlessStack(t *testing.T, code string, methods []types.Method) *stack {
	t.Helper()
	s := start(t, Config{})
	c := sdk(s)
	fnARN := createLive(t, c, "securestream", code)
	o := startOrigin(t)
	host, port, _ := net.SplitHostPort(strings.TrimPrefix(o.URL, "http://"))
	p, _ := strconv.Atoi(port)
	dc := distConfig("ref", host, int32(p), fnARN)
	am := &types.AllowedMethods{Quantity: aws.Int32(int32(len(methods))), Items: methods,
		CachedMethods: &types.CachedMethods{Quantity: aws.Int32(2), Items: []types.Method{"GET", "HEAD"}}}
	dc.DefaultCacheBehavior.AllowedMethods = am
	dc.CacheBehaviors.Items[0].AllowedMethods = am
	d := createDist(t, c, dc)
	st := &stack{s: s, origin: o, id: *d.Distribution.Id, edge: s.EdgeURL(*d.Distribution.Id)}
	st.ring, _ = streamkey.NewRing(testKey)
	return st
}

// send sends one request and drains the answer.
func send(t *testing.T, method, url string, header map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	resp.Body.Close()
	return resp
}
