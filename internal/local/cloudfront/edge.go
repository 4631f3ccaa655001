package cloudfront

import (
	"context"
	"encoding/base64"
	"fmt"
	"html"
	"maps"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"

	"github.com/securestream/terraform-provider-securestream/internal/cfruntime"
	"github.com/securestream/terraform-provider-securestream/internal/local/hostcheck"
)

// maxURL is CloudFront's bound on a request's URL.
const maxURL = 8192

// edge serves distributions as CloudFront's edge does: the distribution
// by Host or by its own listener, the cache behavior by path pattern, the
// LIVE viewer-request function, then the origin. It caches nothing.
type edge struct {
	s     *Server
	proxy *httputil.ReverseProxy
}

// forward is what the proxy sends to the origin, carried in the request's
// context.
type forward struct {
	target   *url.URL
	viewerIP string
	event    *cfruntime.Event   // nil when no function ran
	request  *cfruntime.Request // the request the function returned
	// sign, when set, signs the request to an S3 origin as the origin's
	// access control does (SigV4, region).
	sign   bool
	region string
	// viewer is the viewer's request, for the response headers policy.
	viewer *http.Request
	// headers is the behavior's response headers policy (nil: none).
	headers *types.ResponseHeadersPolicyConfig
}

type forwardKey struct{}

func newEdge(s *Server) *edge {
	e := &edge{s: s}
	// http.DefaultTransport's settings, without its environment proxy (the
	// origin is on this machine) and with more idle connections for load.
	transport := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        512,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
	}
	transport.MaxIdleConnsPerHost = 256
	transport.ResponseHeaderTimeout = 30 * time.Second // CloudFront's default origin read timeout
	e.proxy = &httputil.ReverseProxy{
		Transport: transport,
		Rewrite: func(pr *httputil.ProxyRequest) {
			if f, ok := pr.In.Context().Value(forwardKey{}).(*forward); ok { // set by the handler for every request
				f.rewrite(pr.Out)
			}
		},
		ModifyResponse: func(resp *http.Response) error {
			resp.Header.Set("X-Cache", "Miss from cloudfront")
			if f, ok := resp.Request.Context().Value(forwardKey{}).(*forward); ok {
				applyResponseHeaders(f.headers, f.viewer, resp.Header)
			}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			errorPage(w, http.StatusBadGateway, "CloudFront wasn't able to connect to the origin.", err.Error())
		},
	}
	return e
}

// handler serves distribution id, or, when id is "", the distribution
// the Host header names.
func (e *edge) handler(id string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { e.serve(w, r, id) })
}

// edgeRoute is what the edge needs of a distribution for one request, read
// under the lock.
type edgeRoute struct {
	distID, domain string
	enabled        bool
	behavior       types.CacheBehavior
	origin         *types.Origin
	fnName         string
	live           *stage
	// kvs is what the function's cf.kvs() reads: its associated store's
	// contents as this request's edge location has learned them (nil:
	// none associated).
	kvs *cfruntime.KVS
	// oac is the origin's access control, headers the behavior's
	// response headers policy (nil: none).
	oac     *types.OriginAccessControlConfig
	headers *types.ResponseHeadersPolicyConfig
}

func (e *edge) route(r *http.Request, id string) (*edgeRoute, bool) {
	s := e.s
	s.mu.RLock()
	defer s.mu.RUnlock()
	d := s.dists[id]
	if id == "" {
		d = s.distByHost(r.Host)
	}
	if d == nil {
		return nil, false
	}
	// The edge location serving this request may not have learned the
	// latest changes yet (Config.PropagationDelay).
	cutoff := s.cutoff()
	served := &distribution{cfg: d.configAt(cutoff)}
	rt := &edgeRoute{distID: d.ID, domain: d.Domain, enabled: deref(served.cfg.Enabled)}
	for _, b := range served.behaviors() {
		if matchPattern(deref(b.PathPattern), r.URL.Path) {
			rt.behavior = b
			break
		}
	}
	rt.origin = served.origin(deref(rt.behavior.TargetOriginId))
	if rt.origin != nil {
		if o := s.oacs[deref(rt.origin.OriginAccessControlId)]; o != nil {
			rt.oac = o.cfg
		}
	}
	if p := s.rhps[deref(rt.behavior.ResponseHeadersPolicyId)]; p != nil {
		rt.headers = p.cfg
	}
	if fa := rt.behavior.FunctionAssociations; fa != nil {
		for _, a := range fa.Items {
			if a.EventType != types.EventTypeViewerRequest {
				continue // viewer-response functions are not run locally
			}
			for _, f := range s.functions {
				if live := f.liveAt(cutoff); f.ARN == deref(a.FunctionARN) && live != nil {
					rt.fnName, rt.live = f.Name, live
					// Writes to the store reach edge locations on their
					// own time (Config.KVSPropagationDelay).
					rt.kvs = s.kvsFor(live.KVS, s.kvsCutoff())
				}
			}
		}
	}
	return rt, true
}

// distByHost finds the distribution host names: <id>.cloudfront.local,
// or its own DomainName (d<random>.cloudfront.net, made here: a name only
// AWS's DNS answers, so no web page can rebind it to loopback, and the
// Host a CloudFront function sees, which stream keys bind). Its Aliases
// are names a web page could rebind to loopback, and are refused before
// this. s.mu must be held.
func (s *Server) distByHost(host string) *distribution {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	for _, d := range s.dists {
		if host == strings.ToLower(d.ID)+".cloudfront.local" || (d.Domain != "" && host == strings.ToLower(d.Domain)) {
			return d
		}
	}
	return nil
}

// ownDomain says whether host (a Host header) is one of the distributions'
// own DomainName.
func (s *Server) ownDomain(host string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.distByHost(host) != nil
}

// origin returns the origin with id, or the first member of the origin
// group with id (failover is not emulated).
func (d *distribution) origin(id string) *types.Origin {
	if d.cfg.OriginGroups != nil {
		for _, g := range d.cfg.OriginGroups.Items {
			if deref(g.Id) == id && g.Members != nil && len(g.Members.Items) > 0 {
				id = deref(g.Members.Items[0].OriginId)
			}
		}
	}
	for i, o := range d.cfg.Origins.Items {
		if deref(o.Id) == id {
			return &d.cfg.Origins.Items[i]
		}
	}
	return nil
}

func (e *edge) serve(w http.ResponseWriter, r *http.Request, id string) {
	w.Header().Set("Via", "1.1 local.cloudfront.net (CloudFront)")
	w.Header().Set("X-Amz-Cf-Pop", "LOCAL1")
	w.Header().Set("X-Amz-Cf-Id", newRequestID())
	if len(r.RequestURI) > maxURL {
		errorPage(w, http.StatusRequestURITooLong, "Bad request.", "the URL is over 8,192 bytes")
		return
	}
	// A web page that rebinds its name to loopback would read the origin's
	// answers as its own: only names this machine gives out are served.
	if !hostcheck.Loopback(r.Host) && !hostcheck.CloudFrontLocal(r.Host) && !e.s.ownDomain(r.Host) {
		why := hostcheck.Refused(r.Host, "loopback names (127.0.0.1, localhost, ::1), <distribution id>.cloudfront.local and a distribution's own domain name")
		errorPage(w, http.StatusForbidden, "Bad request. "+html.EscapeString(why), why)
		return
	}
	rt, ok := e.route(r, id)
	if !ok {
		errorPage(w, http.StatusForbidden, "Bad request.", fmt.Sprintf("no distribution serves the host %q", r.Host))
		return
	}
	if !rt.enabled {
		errorPage(w, http.StatusForbidden, "Bad request.", "distribution "+rt.distID+" is disabled")
		return
	}
	if !methodAllowed(rt.behavior.AllowedMethods, r.Method) {
		errorPage(w, http.StatusForbidden, "This distribution is not configured to allow the HTTP request method that was used for this request.", "")
		return
	}
	if rt.origin == nil {
		errorPage(w, http.StatusBadGateway, "CloudFront wasn't able to connect to the origin.", "the behavior's origin does not exist")
		return
	}
	fwd := &forward{target: originURL(rt.origin), viewerIP: e.viewerIP(r), viewer: r, headers: rt.headers}
	if bucket, region, ok := s3Bucket(deref(rt.origin.DomainName)); ok && e.s.cfg.S3Endpoint != "" {
		u, err := url.Parse(e.s.cfg.S3Endpoint)
		if err != nil {
			errorPage(w, http.StatusBadGateway, "CloudFront wasn't able to connect to the origin.", "S3Endpoint: "+err.Error())
			return
		}
		fwd.target = &url.URL{Scheme: u.Scheme, Host: u.Host, Path: strings.TrimSuffix(u.Path, "/") + "/" + bucket + deref(rt.origin.OriginPath)}
		fwd.region = region
		if o := rt.oac; o != nil && o.OriginAccessControlOriginType == types.OriginAccessControlOriginTypesS3 {
			fwd.sign = o.SigningBehavior == types.OriginAccessControlSigningBehaviorsAlways ||
				(o.SigningBehavior == types.OriginAccessControlSigningBehaviorsNoOverride && r.Header.Get("Authorization") == "")
		}
	}
	if rt.live != nil {
		fn, err := rt.live.compile(rt.fnName)
		if err != nil {
			functionFailed(w, http.StatusServiceUnavailable, err.Error())
			return
		}
		fwd.event = cfruntime.NewEvent(r, fwd.viewerIP, cfruntime.EventOptions{DistributionDomainName: rt.domain, DistributionID: rt.distID})
		opts := e.s.runOptions()
		opts.KVS = rt.kvs
		res := fn.Run(fwd.event, opts)
		switch res.Outcome {
		case cfruntime.Respond:
			writeGenerated(w, res.Response)
			return
		case cfruntime.ValidationError, cfruntime.ExecutionError:
			functionFailed(w, res.Status, res.Error)
			return
		}
		fwd.request = res.Request
	}
	e.proxy.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), forwardKey{}, fwd)))
}

func (e *edge) viewerIP(r *http.Request) string {
	if h := e.s.cfg.ViewerIPHeader; h != "" {
		if v := r.Header.Get(h); v != "" {
			first, _, _ := strings.Cut(v, ",")
			return strings.TrimSpace(first)
		}
	}
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	return ip
}

func methodAllowed(am *types.AllowedMethods, method string) bool {
	if am == nil {
		return method == http.MethodGet || method == http.MethodHead
	}
	return slices.ContainsFunc(am.Items, func(m types.Method) bool { return string(m) == method })
}

// originURL is where an origin is reached: a custom origin by its
// protocol policy and ports (match-viewer is HTTP: the local edge serves
// HTTP), anything else by HTTP on port 80.
func originURL(o *types.Origin) *url.URL {
	u := &url.URL{Scheme: "http", Host: deref(o.DomainName), Path: deref(o.OriginPath)}
	if c := o.CustomOriginConfig; c != nil {
		port := deref(c.HTTPPort)
		if c.OriginProtocolPolicy == types.OriginProtocolPolicyHttpsOnly {
			u.Scheme, port = "https", deref(c.HTTPSPort)
		}
		if port != 0 {
			u.Host = net.JoinHostPort(u.Host, fmt.Sprint(port))
		}
	}
	return u
}

// rewrite makes out the request CloudFront sends the origin: the
// function's changes applied, Host the origin's, the viewer in
// X-Forwarded-For.
func (f *forward) rewrite(out *http.Request) {
	uri, query := out.URL.EscapedPath(), out.URL.RawQuery
	if req := f.request; req != nil {
		uri = req.URI
		if !maps.EqualFunc(req.Querystring, f.event.Request.Querystring, sameField) {
			query = encodeFields(req.Querystring, "&")
		}
		h := http.Header{}
		for name, v := range req.Headers {
			for _, val := range values(v) {
				h.Add(name, val)
			}
		}
		if len(req.Cookies) > 0 {
			h.Set("Cookie", encodeFields(req.Cookies, "; "))
		}
		out.Header = h
	}
	target := *f.target
	if u, err := url.ParseRequestURI(f.target.Path + uri); err == nil {
		target.Path, target.RawPath = u.Path, u.RawPath
	}
	target.RawQuery = query
	out.URL, out.Host = &target, target.Host
	out.Header.Del("Host")
	out.Header.Set("X-Forwarded-For", f.viewerIP)
	out.Header.Set("Via", "1.1 local.cloudfront.net (CloudFront)")
	if f.sign {
		signS3(out, f.region)
	}
}

func values(f cfruntime.Field) []string {
	if len(f.MultiValue) == 0 {
		return []string{f.Value}
	}
	vs := make([]string, len(f.MultiValue))
	for i, m := range f.MultiValue {
		vs[i] = m.Value
	}
	return vs
}

func sameField(a, b cfruntime.Field) bool { return slices.Equal(values(a), values(b)) }

// encodeFields writes a query string or Cookie header, names sorted: the
// event does not keep the viewer's order.
func encodeFields(fs cfruntime.Fields, sep string) string {
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(fs)) {
		for _, v := range values(fs[name]) {
			parts = append(parts, name+"="+v)
		}
	}
	return strings.Join(parts, sep)
}

// writeGenerated answers with a response the function generated.
func writeGenerated(w http.ResponseWriter, resp *cfruntime.Response) {
	h := w.Header()
	for name, v := range resp.Headers {
		for _, val := range values(v) {
			h.Add(name, val)
		}
	}
	for name, c := range resp.Cookies {
		sc := name + "=" + c.Value
		if c.Attributes != "" {
			sc += "; " + c.Attributes
		}
		h.Add("Set-Cookie", sc)
	}
	h.Set("X-Cache", "FunctionGeneratedResponse from cloudfront")
	var body []byte
	if resp.Body != nil {
		body = []byte(resp.Body.Data)
		if resp.Body.Encoding == "base64" {
			body, _ = base64.StdEncoding.DecodeString(resp.Body.Data) // checked by the runtime
		}
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(body)
}

// functionFailed answers a function that could not run (503) or returned
// something invalid (502), as CloudFront does. X-Local-Error,
// which CloudFront does not send, says why, to help debugging.
func functionFailed(w http.ResponseWriter, status int, why string) {
	errorPage(w, status, "The CloudFront function associated with the CloudFront distribution is invalid or could not run.", why)
}

// errorPage writes CloudFront's error page.
func errorPage(w http.ResponseWriter, status int, message, why string) {
	h := w.Header()
	h.Set("Content-Type", "text/html")
	h.Set("X-Cache", "Error from cloudfront")
	if why != "" {
		h.Set("X-Local-Error", strings.Map(func(r rune) rune {
			if r < ' ' || r == 0x7f {
				return ' '
			}
			return r
		}, why))
	}
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\" \"http://www.w3.org/TR/html4/loose.dtd\">\n"+
		"<HTML><HEAD><META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=iso-8859-1\">\n<TITLE>ERROR: The request could not be satisfied</TITLE>\n"+
		"</HEAD><BODY>\n<H1>%d ERROR</H1>\n<H2>The request could not be satisfied.</H2>\n<HR noshade size=\"1px\">\n%s\n<BR clear=\"all\">\n</BODY></HTML>\n",
		status, message)
}

// matchPattern reports whether path matches a cache behavior's path
// pattern: case-sensitive, * for any run of characters (slashes too), ?
// for one character, the leading / optional.
func matchPattern(pattern, path string) bool {
	if pattern != "*" && !strings.HasPrefix(pattern, "/") {
		pattern = "/" + pattern
	}
	// Greedy matching with backtracking to the last *: linear for the
	// patterns CloudFront allows.
	p, s, star, mark := 0, 0, -1, 0
	for s < len(path) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == path[s]):
			p++
			s++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, s
			p++
		case star >= 0:
			p = star + 1
			mark++
			s = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
