// Package hostcheck decides which Host headers the local services (the
// local CloudFront's control plane and edge, the local API) answer.
//
// They listen on loopback, which a web page the developer opens can
// still reach under a name of its own: the page's server answers its name
// with 127.0.0.1 once the page is loaded (DNS rebinding), and the browser
// then sends the page's requests, and hands it the answers, as same-origin.
// Such a request carries the page's name in Host. Names that only this
// machine gives out cannot be a page's: loopback addresses and localhost
// (which browsers resolve to loopback themselves) and, for the edge's
// shared listener, <distribution id>.cloudfront.local.
package hostcheck

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// name is host without its port, lower case, without a final dot.
func name(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	} else {
		host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	}
	return strings.TrimSuffix(strings.ToLower(host), ".")
}

// Loopback reports whether host (a Host header, with or without a port)
// is localhost or a loopback address: 127.0.0.0/8 or ::1.
func Loopback(host string) bool {
	h := name(host)
	if h == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(h)
	return err == nil && ip.Unmap().IsLoopback()
}

// CloudFrontLocal reports whether host is a name under .cloudfront.local,
// as the edge's shared listener is asked for a distribution.
func CloudFrontLocal(host string) bool {
	h := name(host)
	return strings.HasSuffix(h, ".cloudfront.local") && len(h) > len(".cloudfront.local")
}

// Refused is the answer to a Host that is not allowed: what was refused,
// why, and what to use instead; allowed says what is.
func Refused(host, allowed string) string {
	return fmt.Sprintf("Host %q refused: this local service answers only %s, so that no web page can reach it under a name of its own (DNS rebinding); "+
		"use http://127.0.0.1:<port>", host, allowed)
}
