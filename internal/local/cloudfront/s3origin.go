package cloudfront

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
)

// S3 origins and response headers policies at the edge.
//
// An origin whose DomainName is a bucket's domain name is fetched from
// Config.S3Endpoint (moto_server), path-style: <endpoint>/<bucket>/<key>.
// With an origin access control of type s3 that signs (always, or
// no-override when the viewer sent no Authorization), the request is
// signed with SigV4 for the bucket's region as CloudFront signs it, with
// moto's test credentials; the viewer's Authorization is not forwarded.

// s3DomainRE matches a bucket's domain name, global
// (<bucket>.s3.amazonaws.com) or regional
// (<bucket>.s3.<region>.amazonaws.com, <bucket>.s3-<region>.amazonaws.com).
var s3DomainRE = regexp.MustCompile(`^([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\.s3(?:[.-]([a-z0-9-]+))?\.amazonaws\.com$`)

// s3Bucket returns the bucket and region (us-east-1 for the global name)
// a domain name is of.
func s3Bucket(domain string) (bucket, region string, ok bool) {
	m := s3DomainRE.FindStringSubmatch(strings.ToLower(strings.TrimSuffix(domain, ".")))
	if m == nil || strings.HasPrefix(m[2], "website") { // a website endpoint is a custom origin
		return "", "", false
	}
	region = m[2]
	if region == "" || region == "external-1" {
		region = "us-east-1"
	}
	return m[1], region, true
}

// originCredentials are moto's test credentials, which CloudFront's own
// signing stands in for.
var originCredentials = aws.Credentials{AccessKeyID: "testing", SecretAccessKey: "testing"}

// signS3 signs out as CloudFront signs a request to an S3 origin with an
// origin access control.
func signS3(out *http.Request, region string) {
	out.Header.Del("Authorization")
	out.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	// The signature covers Host, which the transport sets from URL.Host.
	out.Host = out.URL.Host
	_ = v4.NewSigner().SignHTTP(context.Background(), originCredentials, out, "UNSIGNED-PAYLOAD", "s3", region, time.Now())
}

// applyResponseHeaders applies a response headers policy to the headers
// of a response to viewer, as CloudFront does (Developer Guide,
// "Understand response headers policies"): CORS headers when the viewer
// sent an Origin the policy allows (the preflight ones for an OPTIONS
// with Access-Control-Request-Method), replacing the origin's when
// OriginOverride is set and otherwise only where the origin sent none;
// custom headers (replacing the origin's with Override); removed headers.
// Security headers and Server-Timing are not added.
func applyResponseHeaders(p *types.ResponseHeadersPolicyConfig, viewer *http.Request, h http.Header) {
	if p == nil || viewer == nil {
		return
	}
	if cors := p.CorsConfig; cors != nil {
		applyCORS(cors, viewer, h)
	}
	if ch := p.CustomHeadersConfig; ch != nil {
		for _, c := range ch.Items {
			name := deref(c.Header)
			if deref(c.Override) || h.Get(name) == "" {
				h.Set(name, deref(c.Value))
			}
		}
	}
	if rh := p.RemoveHeadersConfig; rh != nil {
		for _, r := range rh.Items {
			h.Del(deref(r.Header))
		}
	}
}

func applyCORS(cors *types.ResponseHeadersPolicyCorsConfig, viewer *http.Request, h http.Header) {
	origin := viewer.Header.Get("Origin")
	if origin == "" {
		return
	}
	var allowed []string
	if cors.AccessControlAllowOrigins != nil {
		allowed = cors.AccessControlAllowOrigins.Items
	}
	allowOrigin := ""
	switch {
	case slices.Contains(allowed, "*"):
		allowOrigin = "*"
	case slices.ContainsFunc(allowed, func(a string) bool { return strings.EqualFold(a, origin) }):
		allowOrigin = origin
	default:
		return
	}
	override := deref(cors.OriginOverride)
	set := func(name, value string) {
		if value != "" && (override || h.Get(name) == "") {
			h.Set(name, value)
		}
	}
	if !override && h.Get("Access-Control-Allow-Origin") != "" {
		return // the origin answered CORS itself
	}
	set("Access-Control-Allow-Origin", allowOrigin)
	if deref(cors.AccessControlAllowCredentials) {
		set("Access-Control-Allow-Credentials", "true")
	}
	if e := cors.AccessControlExposeHeaders; e != nil && len(e.Items) > 0 {
		set("Access-Control-Expose-Headers", strings.Join(e.Items, ", "))
	}
	if viewer.Method != http.MethodOptions || viewer.Header.Get("Access-Control-Request-Method") == "" {
		return
	}
	if m := cors.AccessControlAllowMethods; m != nil {
		methods := make([]string, len(m.Items))
		for i, v := range m.Items {
			methods[i] = string(v)
		}
		if slices.Contains(methods, "ALL") {
			methods = []string{"GET", "DELETE", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"}
		}
		set("Access-Control-Allow-Methods", strings.Join(methods, ", "))
	}
	if a := cors.AccessControlAllowHeaders; a != nil && len(a.Items) > 0 {
		set("Access-Control-Allow-Headers", strings.Join(a.Items, ", "))
	}
	if cors.AccessControlMaxAgeSec != nil {
		set("Access-Control-Max-Age", strconv.Itoa(int(*cors.AccessControlMaxAgeSec)))
	}
}
