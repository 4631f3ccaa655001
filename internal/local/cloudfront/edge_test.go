package cloudfront

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cf "github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"

	"github.com/securestream/terraform-provider-securestream/internal/edgefunc"
	"github.com/securestream/terraform-provider-securestream/internal/issuance"
	"github.com/securestream/terraform-provider-securestream/internal/streamkey"
)

// origin is an httptest origin that records what reaches it and serves a
// 1 MiB segment (with ranges) under any path.
type origin struct {
	*httptest.Server
	mu   sync.Mutex
	seen []*http.Request
	// light makes the origin record nothing and serve 4 KiB, for load.
	light atomic.Bool
}

var segment = bytes.Repeat([]byte("0123456789abcdef"), 1<<16)

func startOrigin(t testing.TB) *origin {
	o := &origin{}
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o.light.Load() {
			_, _ = w.Write(segment[:4096])
			return
		}
		o.mu.Lock()
		o.seen = append(o.seen, r)
		o.mu.Unlock()
		w.Header().Set("X-Origin-Path", r.URL.Path)
		http.ServeContent(w, r, "seg.ts", time.Time{}, bytes.NewReader(segment))
	}))
	t.Cleanup(o.Close)
	return o
}

func (o *origin) last() *http.Request {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.seen) == 0 {
		return nil
	}
	return o.seen[len(o.seen)-1]
}

func (o *origin) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.seen)
}

// stack is a local CloudFront with one distribution whose /media/*
// behavior runs the rendered securestream function, before an origin.
type stack struct {
	s      *Server
	origin *origin
	id     string
	edge   string
	ring   *streamkey.Ring
}

var testKey = streamkey.Key{ID: "k20261101T000000-a1b2", Secret: []byte("Tq0Xc3n9V2mQ7sK1pL5wR8yB4hD6fJ0gZ2aE9uC7iN3")}

func startStack(t testing.TB, cfg Config) *stack {
	code, err := edgefunc.Render(edgefunc.Config{Keys: []edgefunc.Key{testKey}, Channels: issuance.DefaultChannels()})
	if err != nil {
		t.Fatal(err)
	}
	return startStackWith(t, cfg, string(code))
}

func startStackWith(t testing.TB, cfg Config, code string) *stack {
	s := start(t, cfg)
	c := sdk(s)
	o, dc := publishBehindOrigin(t, c, "securestream", code,
		&types.FunctionConfig{Comment: aws.String(""), Runtime: types.FunctionRuntimeCloudfrontJs20}, "ref")
	dc.DefaultCacheBehavior.FunctionAssociations = &types.FunctionAssociations{Quantity: aws.Int32(0)} // the default is open
	prefixed := dc.CacheBehaviors.Items[0]
	prefixed.PathPattern = aws.String("/t/*") // the path-prefix channel
	dc.CacheBehaviors = &types.CacheBehaviors{Quantity: aws.Int32(2), Items: append(dc.CacheBehaviors.Items, prefixed)}
	d := createDist(t, c, dc)
	ring, _ := streamkey.NewRing(testKey)
	return &stack{s: s, origin: o, id: *d.Distribution.Id, edge: s.EdgeURL(*d.Distribution.Id), ring: ring}
}

// publishBehindOrigin creates the function name of code with the
// configuration fc and publishes it, starts an origin, and returns the
// origin and the configuration of a distribution ref in front of it that
// runs the function.
func publishBehindOrigin(t testing.TB, c *cf.Client, name, code string, fc *types.FunctionConfig, ref string) (*origin, *types.DistributionConfig) {
	t.Helper()
	out, err := c.CreateFunction(ctx, &cf.CreateFunctionInput{Name: aws.String(name), FunctionCode: []byte(code), FunctionConfig: fc})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := c.PublishFunction(ctx, &cf.PublishFunctionInput{Name: aws.String(name), IfMatch: out.ETag})
	if err != nil {
		t.Fatal(err)
	}
	o := startOrigin(t)
	host, port, _ := net.SplitHostPort(strings.TrimPrefix(o.URL, "http://"))
	p, _ := strconv.Atoi(port)
	return o, distConfig(ref, host, int32(p), *pub.FunctionSummary.FunctionMetadata.FunctionARN)
}

func (st *stack) token(t testing.TB) string {
	tok, err := st.ring.Mint(testKey.ID, streamkey.Grant{Expires: time.Now().Add(time.Hour), Paths: []string{"/media/*"}})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func get(t testing.TB, url string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for k, v := range header {
		if k == "Host" {
			req.Host = v
		}
		req.Header.Set(k, v)
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// The rendered securestream function at the edge: an honest request in
// any channel reaches the origin without its token; no token is a 403
// that never reaches the origin.
func TestEdgeSecurestream(t *testing.T) {
	st := startStack(t, Config{})
	tok := st.token(t)
	for name, tc := range map[string]struct {
		path   string
		header map[string]string
	}{
		"header": {"/media/720p/seg.ts?x=1", map[string]string{"X-Stream-Token": tok}},
		"query":  {"/media/720p/seg.ts?x=1&stream_token=" + tok, nil},
		"cookie": {"/media/720p/seg.ts?x=1", map[string]string{"Cookie": "stream_token=" + tok + "; other=v"}},
		"prefix": {"/t/" + tok + "/media/720p/seg.ts?x=1", nil},
	} {
		resp, body := get(t, st.edge+tc.path, tc.header)
		seen := st.origin.last()
		if resp.StatusCode != 200 || !bytes.Equal(body, segment) || seen == nil {
			t.Fatalf("%s: %d; want 200 and the segment", name, resp.StatusCode)
		}
		if seen.URL.Path != "/media/720p/seg.ts" || seen.URL.Query().Get("x") != "1" || strings.Contains(seen.URL.RawQuery+seen.URL.Path, tok) ||
			seen.Header.Get("X-Stream-Token") != "" || strings.Contains(seen.Header.Get("Cookie"), tok) {
			t.Fatalf("%s: the origin saw %s %v", name, seen.URL, seen.Header)
		}
		if name == "cookie" && seen.Header.Get("Cookie") != "other=v" {
			t.Fatalf("cookie: the origin saw Cookie %q; want the other cookie kept", seen.Header.Get("Cookie"))
		}
		if resp.Header.Get("X-Cache") != "Miss from cloudfront" || seen.Header.Get("X-Forwarded-For") != "127.0.0.1" {
			t.Fatalf("%s: X-Cache %q, X-Forwarded-For %q", name, resp.Header.Get("X-Cache"), seen.Header.Get("X-Forwarded-For"))
		}
	}

	before := st.origin.count()
	for _, h := range []map[string]string{nil, {"X-Stream-Token": tok[:len(tok)-2] + "xx"}} {
		resp, _ := get(t, st.edge+"/media/720p/seg.ts", h)
		if resp.StatusCode != 403 || resp.Header.Get("X-Cache") != "FunctionGeneratedResponse from cloudfront" {
			t.Fatalf("bad token: %d %v; want the function's 403", resp.StatusCode, resp.Header)
		}
	}
	if st.origin.count() != before {
		t.Fatal("a refused request reached the origin")
	}
	// The default behavior has no function.
	if resp, _ := get(t, st.edge+"/poster.jpg", nil); resp.StatusCode != 200 {
		t.Fatalf("default behavior: %d", resp.StatusCode)
	}
	// Ranges stream through.
	resp, body := get(t, st.edge+"/media/seg.ts", map[string]string{"X-Stream-Token": tok, "Range": "bytes=16-31"})
	if resp.StatusCode != 206 || string(body) != "0123456789abcdef" {
		t.Fatalf("range: %d %q", resp.StatusCode, body)
	}
	// The shared listener picks the distribution by Host: <id>.cloudfront.local
	// only (an alias is a name a web page could rebind to loopback).
	for host, want := range map[string]int{st.id + ".cloudfront.local": 200, "video.example.test": 403, "unknown.example": 403, "x.cloudfront.local": 403} {
		if resp, _ := get(t, st.s.EdgeEndpoint+"/poster.jpg", map[string]string{"Host": host}); resp.StatusCode != want {
			t.Fatalf("Host %s: %d; want %d", host, resp.StatusCode, want)
		}
	}
}

// viewer.ip comes from the peer, or from a header when configured: an
// IP-bound token is checked against it.
func TestEdgeViewerIPHeader(t *testing.T) {
	st := startStack(t, Config{ViewerIPHeader: "X-Test-Viewer"})
	tok, err := st.ring.Mint(testKey.ID, streamkey.Grant{Expires: time.Now().Add(time.Hour), Paths: []string{"/media/*"},
		IPBinding: streamkey.IPSubnet, ClientIP: "203.0.113.9"})
	if err != nil {
		t.Fatal(err)
	}
	if resp, _ := get(t, st.edge+"/media/a.ts", map[string]string{"X-Stream-Token": tok, "X-Test-Viewer": "203.0.113.77, 10.0.0.1"}); resp.StatusCode != 200 {
		t.Fatalf("viewer in the token's /24: %d", resp.StatusCode)
	}
	if resp, _ := get(t, st.edge+"/media/a.ts", map[string]string{"X-Stream-Token": tok}); resp.StatusCode != 403 {
		t.Fatalf("viewer 127.0.0.1: %d; want 403", resp.StatusCode)
	}
}

// A throw or uncompilable code is a 503, an invalid result a 502, with
// CloudFront's error page.
func TestEdgeFunctionFailures(t *testing.T) {
	for code, want := range map[string]int{
		`function handler(e) { throw new Error("boom"); }`:                                                                     503,
		`function handler(e) { return e.request; } export { handler };`:                                                        503,
		`function handler(e) { for (;;) {} }`:                                                                                  503,
		`function handler(e) { return 42; }`:                                                                                   502,
		`function handler(e) { e.request.headers.host = {value: "x"}; return e.request; }`:                                     502,
		`function handler(e) { return {statusCode: 302, headers: {location: {value: "/elsewhere"}}}; }`:                        302,
		`function handler(e) { e.request.uri = "/rewritten"; e.request.headers["x-added"] = {value: "1"}; return e.request; }`: 200,
	} {
		// Only the endless loop needs a short budget, to end soon; the
		// others get a hang guard, so that a loaded machine cannot turn
		// their answer into a budget's 503.
		budget := 10 * time.Second
		if strings.Contains(code, "for (;;)") {
			budget = 100 * time.Millisecond
		}
		st := startStackWith(t, Config{Budget: budget}, code)
		resp, body := get(t, st.edge+"/media/a.ts", nil)
		if resp.StatusCode != want {
			t.Fatalf("%s: %d; want %d", code, resp.StatusCode, want)
		}
		if want >= 500 && (resp.Header.Get("X-Cache") != "Error from cloudfront" || !bytes.Contains(body, []byte("could not be satisfied"))) {
			t.Fatalf("%s: %v %s", code, resp.Header, body)
		}
		if want == 200 {
			if seen := st.origin.last(); seen.URL.Path != "/rewritten" || seen.Header.Get("X-Added") != "1" {
				t.Fatalf("the origin saw %s %v", seen.URL, seen.Header)
			}
		}
	}
}

func TestMatchPattern(t *testing.T) {
	for _, tc := range []struct {
		pattern, path string
		want          bool
	}{
		{"*", "/anything/at/all", true},
		{"/media/*", "/media/a/b.ts", true},
		{"media/*", "/media/a.ts", true},
		{"/media/*", "/Media/a.ts", false},
		{"*.ts", "/a/b.ts", true},
		{"/images/*.jpg", "/images/x/y.jpg", true},
		{"/images/*.jpg", "/images/x.png", false},
		{"/a?c", "/abc", true},
		{"/a?c", "/ac", false},
		{"/exact", "/exact", true},
		{"/exact", "/exactly", false},
	} {
		if got := matchPattern(tc.pattern, tc.path); got != tc.want {
			t.Errorf("matchPattern(%q, %q) = %v", tc.pattern, tc.path, got)
		}
	}
}

// Bad requests at the wire get an answer, never a crash or a hang.
func TestBadHTTP(t *testing.T) {
	st := startStack(t, Config{})
	for _, base := range []string{st.s.Endpoint, st.edge} {
		addr := strings.TrimPrefix(base, "http://")
		for name, req := range map[string]string{
			"garbage":      "\x00\x01 not http\r\n\r\n",
			"bad version":  "GET / HTTP/9.9\r\nHost: x\r\n\r\n",
			"huge headers": "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 64<<10) + "\r\n\r\n",
			"bad length":   "POST /2020-05-31/function HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
		} {
			conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
			_, _ = io.WriteString(conn, req)
			b, err := io.ReadAll(conn)
			conn.Close()
			if !bytes.HasPrefix(b, []byte("HTTP/1.1 4")) && !bytes.HasPrefix(b, []byte("HTTP/1.1 505")) {
				t.Errorf("%s %s: %v %q; want an error answer", base, name, err, b)
			}
		}
	}
	// A long URL at the edge: CloudFront's 414.
	if resp, _ := get(t, st.edge+"/media/"+strings.Repeat("a", maxURL), nil); resp.StatusCode != 414 && resp.StatusCode != 431 {
		t.Fatalf("long URL: %d", resp.StatusCode)
	}
	// The control plane still works.
	if _, err := sdk(st.s).ListFunctions(ctx, &cf.ListFunctionsInput{}); err != nil {
		t.Fatal(fmt.Errorf("after bad requests: %w", err))
	}
}
