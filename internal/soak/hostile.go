package soak

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/securestream/terraform-provider-securestream/internal/demo"
)

// raw is a request written byte for byte as given, so that it can be
// what no HTTP client would send: a request-target with raw dot segments
// or invalid UTF-8, repeated headers in a chosen order, conflicting
// lengths.
type raw struct {
	Method string
	// Target is the request-target as sent (path and query, or an
	// absolute URL).
	Target string
	// Proto defaults to HTTP/1.1.
	Proto string
	// Headers are sent in order. Host (the server's address) and
	// Content-Length (the body's) are added unless NoHost or given here.
	Headers [][2]string
	NoHost  bool
	Body    []byte
	// Wire, when set, is sent instead of everything above.
	Wire []byte
}

func (r *raw) bytes(host string) []byte {
	if r.Wire != nil {
		return r.Wire
	}
	var b strings.Builder
	proto := r.Proto
	if proto == "" {
		proto = "HTTP/1.1"
	}
	fmt.Fprintf(&b, "%s %s %s\r\n", r.Method, r.Target, proto)
	has := func(name string) bool {
		for _, h := range r.Headers {
			if strings.EqualFold(h[0], name) {
				return true
			}
		}
		return false
	}
	if !r.NoHost && !has("Host") {
		fmt.Fprintf(&b, "Host: %s\r\n", host)
	}
	for _, h := range r.Headers {
		fmt.Fprintf(&b, "%s: %s\r\n", h[0], h[1])
	}
	if len(r.Body) > 0 && !has("Content-Length") && !has("Transfer-Encoding") {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(r.Body))
	}
	b.WriteString("Connection: close\r\n\r\n")
	return append([]byte(b.String()), r.Body...)
}

// answer is what came back.
type answer struct {
	Status int
	// Why is the edge function's x-stream-key-error, the local
	// services' X-Local-Error, or the start of the body.
	Why string
	Err error
}

func (a answer) String() string {
	if a.Err != nil {
		return "no answer: " + a.Err.Error()
	}
	return fmt.Sprintf("%d %s", a.Status, a.Why)
}

// send writes r to the server at addr (host:port) on a connection of its
// own and reads the answer. The request is written while the answer is
// read: a server may answer (413) before it has read a large body, and
// close.
func send(ctx context.Context, addr string, r *raw) answer {
	d := net.Dialer{Timeout: 10 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return answer{Err: err}
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(60 * time.Second))
	go func() { _, _ = conn.Write(r.bytes(addr)) }()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return answer{Err: fmt.Errorf("reading the answer: %w", err)}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	why := resp.Header.Get("X-Stream-Key-Error")
	if why == "" {
		why = resp.Header.Get("X-Local-Error")
	}
	if why == "" {
		why = strings.Join(strings.Fields(string(body)), " ")
		if len(why) > 160 {
			why = why[:160] + "..."
		}
	}
	return answer{Status: resp.StatusCode, Why: why}
}

// hostileCase is one request of the corpus.
type hostileCase struct {
	Name string
	// Issuer: sent to the issuer's API (the local API); otherwise to the
	// edge.
	Issuer bool
	Req    func(c *corpus) *raw
	// Want, when set, is the start the answer must have ("403 path": the
	// edge function refused it, for that reason); otherwise any 4xx.
	Want string
}

// corpus holds what the cases are made from: the endpoints and genuine
// keys and credentials, to be misused.
type corpus struct {
	IssuerAddr, IssuerPath string // host:port; the API's path (/<api id>/)
	EdgeAddr               string
	JWT                    string
	Key                    *demo.Key // for the demo title, as UA
	Expired                *demo.Key // expired by the time it is used
	UA                     string
	Master, Other          string // the titles' master playlist paths
}

func newCorpus(ctx context.Context, env *demo.Env) (*corpus, error) {
	iu, err := url.Parse(env.IssuerURL)
	if err != nil {
		return nil, err
	}
	eu, err := url.Parse(env.EdgeURL)
	if err != nil {
		return nil, err
	}
	c := &corpus{IssuerAddr: iu.Host, IssuerPath: iu.EscapedPath(), EdgeAddr: eu.Host, JWT: env.JWT,
		UA: "securestream-soak-hostile/1.0", Master: env.MasterPath, Other: env.OtherMasterPath}
	if c.Key, err = env.RequestKey(ctx, demo.KeyRequest{UserAgent: c.UA}); err != nil {
		return nil, err
	}
	if c.Expired, err = env.RequestKey(ctx, demo.KeyRequest{UserAgent: c.UA, TTL: time.Second}); err != nil {
		return nil, err
	}
	return c, nil
}

// Helpers of the cases.

func (c *corpus) post(body string, headers ...[2]string) *raw {
	h := append([][2]string{{"Authorization", "Bearer " + c.JWT}, {"Content-Type", "application/json"}, {"User-Agent", c.UA}}, headers...)
	return &raw{Method: "POST", Target: c.IssuerPath, Headers: h, Body: []byte(body)}
}

// ask is a POST for playbackURL with the player's credentials.
func (c *corpus) ask(playbackURL string) *raw {
	return c.post(fmt.Sprintf(`{"playback_url":%q}`, playbackURL))
}

// askRaw is ask with the URL written into the JSON as is (no escaping).
func (c *corpus) askRaw(playbackURL string) *raw {
	return c.post(`{"playback_url":"` + playbackURL + `"}`)
}

// get is a GET of target on the edge with the valid key in the header.
func (c *corpus) get(target string, headers ...[2]string) *raw {
	h := append([][2]string{{"User-Agent", c.UA}, {c.Key.Header.Name, c.Key.Token}}, headers...)
	return &raw{Method: "GET", Target: target, Headers: h}
}

// bare is a GET of target on the edge as the key's player, with no key.
func (c *corpus) bare(target string, headers ...[2]string) *raw {
	return &raw{Method: "GET", Target: target, Headers: append([][2]string{{"User-Agent", c.UA}}, headers...)}
}

// withToken is a GET of the demo master with token in the header.
func (c *corpus) withToken(token string) *raw {
	return c.bare(c.Master, [2]string{c.Key.Header.Name, token})
}

// dir is the demo title's directory (/videos/demo/), which the key opens.
func (c *corpus) dir() string { return c.Master[:strings.LastIndex(c.Master, "/")+1] }

// otherRel is the other title's master relative to the videos directory
// (other/master.m3u8).
func (c *corpus) otherRel() string {
	return strings.TrimPrefix(c.Other, c.dir()[:strings.LastIndex(strings.TrimSuffix(c.dir(), "/"), "/")+1])
}

// escape is a way out of the key's directory (dir) spelt way, towards
// the other title.
func (c *corpus) escape(way string) string { return c.dir() + way + c.otherRel() }

// traversal is a GET, with the genuine key, of escape(way).
func traversal(way string) func(*corpus) *raw {
	return func(c *corpus) *raw { return c.get(c.escape(way)) }
}

// prefixed is target behind the key's path prefix (/t/<key>).
func (c *corpus) prefixed(target string) string { return "/t/" + c.Key.Token + target }

// forged is a token of the genuine shape and key id with another MAC.
func (c *corpus) forged() string {
	i := strings.LastIndexByte(c.Key.Token, '.')
	mac := make([]byte, 32)
	_, _ = rand.Read(mac)
	return c.Key.Token[:i+1] + base64.RawURLEncoding.EncodeToString(mac)
}

// jwtParts are the JWT's three parts.
func (c *corpus) jwtParts() []string { return strings.SplitN(c.JWT, ".", 3) }

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// hostileCases is the corpus: every request must be answered with a 4xx.
// Each names what it tries.
var hostileCases = []hostileCase{
	// The issuer: credentials.
	{"issuer/no-authorization", true, func(c *corpus) *raw {
		r := c.ask(demo.PlaybackURL(c.Master))
		r.Headers = r.Headers[1:]
		return r
	}, ""},
	{"issuer/bearer-garbage", true, func(c *corpus) *raw {
		r := c.ask(demo.PlaybackURL(c.Master))
		r.Headers[0][1] = "Bearer not-a-jwt"
		return r
	}, ""},
	{"issuer/jwt-forged-signature", true, func(c *corpus) *raw {
		p := c.jwtParts()
		r := c.ask(demo.PlaybackURL(c.Master))
		r.Headers[0][1] = "Bearer " + p[0] + "." + p[1] + "." + b64(strings.Repeat("x", 32))
		return r
	}, ""},
	{"issuer/jwt-alg-none", true, func(c *corpus) *raw {
		p := c.jwtParts()
		r := c.ask(demo.PlaybackURL(c.Master))
		r.Headers[0][1] = "Bearer " + b64(`{"alg":"none","typ":"JWT"}`) + "." + p[1] + "."
		return r
	}, ""},
	{"issuer/jwt-claims-edited", true, func(c *corpus) *raw {
		p := c.jwtParts()
		claims, _ := base64.RawURLEncoding.DecodeString(p[1])
		edited := strings.Replace(string(claims), `"sub":"demo-viewer"`, `"sub":"admin"`, 1)
		r := c.ask(demo.PlaybackURL(c.Master))
		r.Headers[0][1] = "Bearer " + p[0] + "." + b64(edited) + "." + p[2]
		return r
	}, ""},
	{"issuer/authorization-twice", true, func(c *corpus) *raw {
		return c.ask(demo.PlaybackURL(c.Master)).with([2]string{"Authorization", "Bearer not-a-jwt"})
	}, ""},
	// The issuer: sizes.
	{"issuer/body-over-issuer-limit", true, func(c *corpus) *raw {
		return c.post(fmt.Sprintf(`{"playback_url":%q,"pad":"%s"}`, demo.PlaybackURL(c.Master), strings.Repeat("a", 20<<10)))
	}, ""},
	{"issuer/body-over-api-limit", true, func(c *corpus) *raw {
		return c.post(`{"pad":"` + strings.Repeat("a", 10<<20) + `"}`)
	}, ""},
	{"issuer/header-over-limit", true, func(c *corpus) *raw {
		return c.ask(demo.PlaybackURL(c.Master)).with([2]string{"X-Pad", strings.Repeat("a", 1<<20+8192)})
	}, ""},
	{"issuer/url-over-limit", true, func(c *corpus) *raw {
		r := c.ask(demo.PlaybackURL(c.Master))
		r.Target += "?pad=" + strings.Repeat("a", 1<<20+8192)
		return r
	}, ""},
	{"issuer/json-nesting", true, func(c *corpus) *raw { return c.post(strings.Repeat("[", 8000) + strings.Repeat("]", 8000)) }, ""},
	// The issuer: malformed bodies.
	{"issuer/empty-body", true, func(c *corpus) *raw { return c.post("") }, ""},
	{"issuer/json-truncated", true, func(c *corpus) *raw { return c.post(`{"playback_url":"http://127.0.0.1/vid`) }, ""},
	{"issuer/json-array", true, func(c *corpus) *raw { return c.post(`["http://127.0.0.1/videos/demo/master.m3u8"]`) }, ""},
	{"issuer/json-null", true, func(c *corpus) *raw { return c.post(`null`) }, ""},
	{"issuer/playback-url-number", true, func(c *corpus) *raw { return c.post(`{"playback_url":12345}`) }, ""},
	{"issuer/playback-url-missing", true, func(c *corpus) *raw { return c.post(`{"url":"http://127.0.0.1/videos/demo/master.m3u8"}`) }, ""},
	{"issuer/invalid-utf8-body", true, func(c *corpus) *raw {
		return c.post("{\"playback_url\":\"http://127.0.0.1/videos/demo/\xff\xfe\xc0\xae.m3u8\"}")
	}, ""},
	{"issuer/nul-in-body", true, func(c *corpus) *raw { return c.post("{\"playback_url\":\"http://127.0.0.1/videos/demo/\x00.m3u8\"}") }, ""},
	{"issuer/form-body", true, func(c *corpus) *raw {
		r := c.post("playback_url=http%3A%2F%2F127.0.0.1%2Fvideos%2Fdemo%2Fmaster.m3u8")
		r.Headers[1][1] = "application/x-www-form-urlencoded"
		return r
	}, ""},
	{"issuer/ttl-negative", true, func(c *corpus) *raw {
		return c.post(fmt.Sprintf(`{"playback_url":%q,"ttl_seconds":-60}`, demo.PlaybackURL(c.Master)))
	}, ""},
	{"issuer/ttl-fraction", true, func(c *corpus) *raw {
		return c.post(fmt.Sprintf(`{"playback_url":%q,"ttl_seconds":1.5}`, demo.PlaybackURL(c.Master)))
	}, ""},
	{"issuer/ttl-string", true, func(c *corpus) *raw {
		return c.post(fmt.Sprintf(`{"playback_url":%q,"ttl_seconds":"60"}`, demo.PlaybackURL(c.Master)))
	}, ""},
	// The issuer: URLs it must not sign for.
	{"issuer/other-host", true, func(c *corpus) *raw { return c.ask("http://evil.example" + c.Master) }, ""},
	{"issuer/host-with-port", true, func(c *corpus) *raw { return c.ask("http://127.0.0.1:8080" + c.Master) }, ""},
	{"issuer/userinfo", true, func(c *corpus) *raw { return c.ask("http://evil.example@127.0.0.1" + c.Master) }, ""},
	{"issuer/scheme-https", true, func(c *corpus) *raw { return c.ask("https://127.0.0.1" + c.Master) }, ""},
	{"issuer/scheme-javascript", true, func(c *corpus) *raw { return c.ask("javascript:alert(1)//127.0.0.1" + c.Master) }, ""},
	{"issuer/outside-prefix", true, func(c *corpus) *raw { return c.ask("http://127.0.0.1/admin/master.m3u8") }, ""},
	{"issuer/traversal-dotdot", true, func(c *corpus) *raw { return c.ask("http://127.0.0.1/videos/../admin/master.m3u8") }, ""},
	{"issuer/traversal-encoded-dots", true, func(c *corpus) *raw { return c.ask("http://127.0.0.1/videos/%2e%2e/admin/master.m3u8") }, ""},
	{"issuer/traversal-encoded-slash", true, func(c *corpus) *raw { return c.ask("http://127.0.0.1/videos/..%2fadmin/master.m3u8") }, ""},
	{"issuer/traversal-backslash", true, func(c *corpus) *raw { return c.askRaw(`http://127.0.0.1/videos/..\\admin/master.m3u8`) }, ""},
	{"issuer/traversal-overlong-utf8", true, func(c *corpus) *raw { return c.ask("http://127.0.0.1/videos/%c0%ae%c0%ae/admin/master.m3u8") }, ""},
	{"issuer/traversal-double-slash", true, func(c *corpus) *raw { return c.ask("http://127.0.0.1//videos/demo/master.m3u8") }, ""},
	{"issuer/control-character", true, func(c *corpus) *raw { return c.ask("http://127.0.0.1/videos/demo/\r\nmaster.m3u8") }, ""},
	{"issuer/wildcard", true, func(c *corpus) *raw { return c.ask("http://127.0.0.1/videos/*") }, ""},
	{"issuer/query-params-twice", true, func(c *corpus) *raw {
		return &raw{Method: "GET", Target: c.IssuerPath + "?playback_url=" + url.QueryEscape(demo.PlaybackURL(c.Master)) +
			"&playback_url=" + url.QueryEscape("http://evil.example"+c.Master),
			Headers: [][2]string{{"Authorization", "Bearer " + c.JWT}, {"User-Agent", c.UA}}}
	}, ""},
	// The issuer: methods and routes.
	{"issuer/method-put", true, func(c *corpus) *raw { r := c.ask(demo.PlaybackURL(c.Master)); r.Method = "PUT"; return r }, ""},
	{"issuer/method-delete", true, func(c *corpus) *raw { r := c.ask(demo.PlaybackURL(c.Master)); r.Method = "DELETE"; return r }, ""},
	{"issuer/method-trace", true, func(c *corpus) *raw { r := c.ask(demo.PlaybackURL(c.Master)); r.Method = "TRACE"; return r }, ""},
	{"issuer/unknown-api", true, func(c *corpus) *raw { r := c.ask(demo.PlaybackURL(c.Master)); r.Target = "/nosuchapi/"; return r }, ""},
	{"issuer/api-id-traversal", true, func(c *corpus) *raw {
		r := c.ask(demo.PlaybackURL(c.Master))
		r.Target = "/..%2f..%2fetc/"
		return r
	}, ""},
	{"issuer/api-id-invalid-utf8", true, func(c *corpus) *raw {
		r := c.ask(demo.PlaybackURL(c.Master))
		r.Target = "/%ff%fe/"
		return r
	}, ""},
	// The issuer: HTTP framing.
	{"issuer/content-length-twice", true, func(c *corpus) *raw {
		return c.post(`{"playback_url":"x"}`, [2]string{"Content-Length", "20"}, [2]string{"Content-Length", "5"})
	}, ""},
	{"issuer/obs-fold-authorization", true, func(c *corpus) *raw {
		// A folded line is joined with a space: the JWT cut in two is no JWT.
		r := c.ask(demo.PlaybackURL(c.Master))
		half := len(c.JWT) / 2
		r.Headers[0][1] = "Bearer " + c.JWT[:half] + "\r\n " + c.JWT[half:]
		return r
	}, ""},
	{"issuer/nul-in-header", true, func(c *corpus) *raw { return c.ask(demo.PlaybackURL(c.Master)).with([2]string{"X-A", "a\x00b"}) }, ""},
	{"issuer/space-in-header-name", true, func(c *corpus) *raw { return c.ask(demo.PlaybackURL(c.Master)).with([2]string{"X A", "b"}) }, ""},

	// The edge: keys that are not genuine.
	{"edge/no-key", false, func(c *corpus) *raw { return c.bare(c.Master) }, "403 missing"},
	{"edge/garbage-key", false, func(c *corpus) *raw { return c.withToken("x") }, ""},
	{"edge/forged-mac", false, func(c *corpus) *raw { return c.withToken(c.forged()) }, ""},
	{"edge/unknown-key-id", false, func(c *corpus) *raw {
		return c.withToken(strings.Replace(c.Key.Token, "."+kidOf(c.Key.Token)+".", ".nosuchkey.", 1))
	}, "403 unknown_kid"},
	{"edge/expiry-edited", false, func(c *corpus) *raw {
		t, err := demo.Tamper(c.Key.Token)
		if err != nil {
			t = "tamper-failed"
		}
		return c.withToken(t)
	}, "403 bad_mac"},
	{"edge/expired-key", false, func(c *corpus) *raw {
		return c.bare(c.Master, [2]string{c.Expired.Header.Name, c.Expired.Token})
	}, "403 expired"},
	{"edge/oversized-token", false, func(c *corpus) *raw { return c.withToken(c.Key.Token + strings.Repeat("A", 9000)) }, ""},
	{"edge/invalid-utf8-token", false, func(c *corpus) *raw { return c.withToken(c.Key.Token[:20] + "\xff\xfe" + c.Key.Token[22:]) }, ""},
	{"edge/invalid-utf8-query-token", false, func(c *corpus) *raw { return c.bare(c.Master + "?stream_token=%ff%fe%c0%ae") }, ""},
	{"edge/empty-path-prefix", false, func(c *corpus) *raw { return c.bare("/t/" + c.Master) }, ""},
	// The edge: genuine keys, misused.
	{"edge/replay-other-title-header", false, func(c *corpus) *raw { return c.get(c.Other) }, "403 path"},
	{"edge/replay-other-title-query", false, func(c *corpus) *raw { return c.bare(c.Other + "?" + c.Key.Query) }, "403 path"},
	{"edge/replay-other-title-cookie", false, func(c *corpus) *raw { return c.bare(c.Other, [2]string{"Cookie", c.Key.CookiePair()}) }, "403 path"},
	{"edge/replay-other-title-prefix", false, func(c *corpus) *raw { return c.bare(c.prefixed(c.Other)) }, "403 path"},
	// localhost: a name the local edge serves, and not the key's host.
	{"edge/key-for-other-host", false, func(c *corpus) *raw { return c.get(c.Master, [2]string{"Host", "localhost"}) }, "403 host"},
	{"edge/absolute-form-other-host", false, func(c *corpus) *raw { return c.get("http://localhost" + c.Master) }, "403 host"},
	// A web page's own name rebound to loopback (DNS rebinding): the local services refuse it.
	{"edge/rebound-host", false, func(c *corpus) *raw { return c.get(c.Master, [2]string{"Host", "evil.example"}) }, `403 Host "evil.example" refused`},
	{"edge/absolute-form-rebound-host", false, func(c *corpus) *raw { return c.get("http://evil.example" + c.Master) }, `403 Host "evil.example" refused`},
	{"issuer/rebound-host", true, func(c *corpus) *raw { return c.ask(demo.PlaybackURL(c.Master)).with([2]string{"Host", "evil.example"}) }, "403"},
	{"edge/other-client-address", false, func(c *corpus) *raw { return c.get(c.Master, [2]string{"X-Forwarded-For", "198.51.100.23"}) }, "403 ip"},
	{"edge/other-user-agent", false, func(c *corpus) *raw {
		return &raw{Method: "GET", Target: c.Master, Headers: [][2]string{{"User-Agent", "curl/8"}, {c.Key.Header.Name, c.Key.Token}}}
	}, "403 ua"},
	{"edge/token-header-twice", false, func(c *corpus) *raw { return c.get(c.Master, [2]string{c.Key.Header.Name, c.forged()}) }, ""},
	{"edge/token-query-twice", false, func(c *corpus) *raw { return c.bare(c.Master + "?" + c.Key.Query + "&stream_token=" + c.forged()) }, ""},
	{"edge/token-cookie-twice", false, func(c *corpus) *raw {
		return c.bare(c.Master, [2]string{"Cookie", c.Key.CookiePair() + "; stream_token=" + c.forged()})
	}, ""},
	{"edge/forged-prefix-over-genuine-header", false, func(c *corpus) *raw { return c.get("/t/" + c.forged() + c.Master) }, ""},
	// The edge: every spelling of a way out of the key's directory, with
	// the genuine key (header), towards the other title.
	{"edge/traversal-dotdot", false, traversal("../"), "403 path"},
	{"edge/traversal-encoded-dots", false, traversal("%2e%2e/"), "403 path"},
	{"edge/traversal-encoded-upper", false, traversal("%2E%2E%2F"), "403 path"},
	{"edge/traversal-encoded-slash", false, traversal("..%2f"), "403 path"},
	{"edge/traversal-half-encoded", false, traversal(".%2e/"), "403 path"},
	{"edge/traversal-double-encoded", false, traversal("%252e%252e/"), ""},
	{"edge/traversal-backslash", false, traversal(`..\`), "403 path"},
	{"edge/traversal-encoded-backslash", false, traversal("..%5c"), "403 path"},
	{"edge/traversal-double-slash", false, traversal("/../"), "403 path"},
	{"edge/traversal-dot-segment", false, traversal("./../"), "403 path"},
	{"edge/traversal-overlong-utf8", false, traversal("%c0%ae%c0%ae/"), "403 path"},
	{"edge/traversal-semicolon", false, traversal("..;/"), "403 path"},
	{"edge/traversal-nul", false, traversal("%00/../"), "403 path"},
	{"edge/traversal-path-prefix", false, func(c *corpus) *raw { return c.bare(c.prefixed(c.escape("../"))) }, "403 path"},
	{"edge/traversal-query-channel", false, func(c *corpus) *raw {
		return c.bare(c.escape("%2e%2e/") + "?" + c.Key.Query)
	}, "403 path"},
	{"edge/leading-double-slash", false, func(c *corpus) *raw { return c.get("/" + c.Other) }, ""},
	{"edge/upper-case-path", false, func(c *corpus) *raw { return c.get(strings.ToUpper(c.Master)) }, ""},
	{"edge/invalid-utf8-path", false, func(c *corpus) *raw { return c.get(c.dir() + "\xff\xfe.m3u8") }, ""},
	// The edge: sizes.
	{"edge/url-over-limit", false, func(c *corpus) *raw { return c.get(c.Master + "?pad=" + strings.Repeat("a", 8300)) }, ""},
	{"edge/header-over-limit", false, func(c *corpus) *raw { return c.get(c.Master, [2]string{"X-Pad", strings.Repeat("a", 1<<20+8192)}) }, ""},
	{"edge/many-headers", false, func(c *corpus) *raw {
		r := c.bare(c.Master)
		for i := range 1000 {
			r.Headers = append(r.Headers, [2]string{fmt.Sprintf("X-H%d", i), "v"})
		}
		return r
	}, ""},
	{"edge/many-query-params", false, func(c *corpus) *raw { return c.bare(c.Master + "?" + strings.Repeat("a=1&", 1500)) }, ""},
	{"edge/many-cookies", false, func(c *corpus) *raw { return c.bare(c.Master, [2]string{"Cookie", strings.Repeat("c=1; ", 1500)}) }, ""},
	{"edge/range-unsatisfiable", false, func(c *corpus) *raw { return c.get(c.Master, [2]string{"Range", "bytes=99999999-"}) }, ""},
	// The edge: methods and framing.
	{"edge/method-post", false, func(c *corpus) *raw { r := c.get(c.Master); r.Method, r.Body = "POST", []byte("x=1"); return r }, ""},
	{"edge/method-put", false, func(c *corpus) *raw { r := c.get(c.Master); r.Method, r.Body = "PUT", []byte("x=1"); return r }, ""},
	{"edge/method-delete", false, func(c *corpus) *raw { r := c.get(c.Master); r.Method = "DELETE"; return r }, ""},
	{"edge/method-trace", false, func(c *corpus) *raw { r := c.get(c.Master); r.Method = "TRACE"; return r }, ""},
	{"edge/options-not-preflight", false, func(c *corpus) *raw { r := c.bare(c.Master); r.Method = "OPTIONS"; return r }, ""},
	{"edge/content-length-and-chunked", false, func(c *corpus) *raw {
		r := c.get(c.Master, [2]string{"Content-Length", "4"}, [2]string{"Transfer-Encoding", "chunked"})
		r.Method, r.Body = "POST", []byte("0\r\n\r\nGET /videos/other/master.m3u8 HTTP/1.1\r\nHost: x\r\n\r\n")
		return r
	}, ""},
	{"edge/obs-fold-token", false, func(c *corpus) *raw {
		half := len(c.Key.Token) / 2
		return c.withToken(c.Key.Token[:half] + "\r\n " + c.Key.Token[half:])
	}, ""},
	{"edge/nul-in-header", false, func(c *corpus) *raw { return c.get(c.Master, [2]string{"X-A", "a\x00b"}) }, ""},
	{"edge/no-host-http11", false, func(c *corpus) *raw { r := c.get(c.Master); r.NoHost = true; return r }, ""},
	{"edge/garbage-request-line", false, func(*corpus) *raw { return &raw{Wire: []byte("GET\r\n\r\n")} }, ""},
}

// with adds headers to r.
func (r *raw) with(headers ...[2]string) *raw {
	r.Headers = append(r.Headers, headers...)
	return r
}
