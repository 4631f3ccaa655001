// Package cloudfront is a local CloudFront for tests and for trying a
// player without AWS: the control plane of API version 2020-05-31 (the
// eight CloudFront Functions operations and the distribution operations)
// that the unmodified aws-sdk-go-v2 CloudFront client talks to, and an
// edge that serves the distributions, running their LIVE viewer-request
// functions in the project's runtime (internal/cfruntime) before the
// origin.
//
// It follows the project's CloudFront reference (cloudfront-control-plane.md
// in ../shared/reference, beside the checkout on developer machines):
// the DEVELOPMENT/LIVE stages and their ETags, If-Match, the ETtag header
// of UpdateFunction, CloudFront's error documents and codes, function
// association rules, publishing that redeploys the distributions using a
// function, and deletion only of disabled distributions. Configurations
// are kept as sent and answered back as sent.
//
// Tests start one with Start and inject faults with Fail, Delay or
// Inject; internal/local/cmd/local runs one on its own (make local).
//
// What it does not do: caching, invalidations, TLS at the edge (viewer
// protocol policies are not enforced), viewer-response functions,
// origin failover, Lambda@Edge, and the other CloudFront resources
// (cache policies, key groups, OACs...), whose ids are accepted unchecked.
package cloudfront
