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
// Changes reach the edge as at CloudFront, where edge locations learn them
// over seconds to minutes: with Config.PropagationDelay the edge keeps
// serving, for that long after a change, what was there before it: the
// previous LIVE code after a publish, the previous configuration (function
// associations among it) after UpdateDistribution; with
// Config.PropagationSpread each request stands for an edge location that
// learns the change at a random moment of the window. A distribution is
// InProgress for the longer of DeployDelay and PropagationDelay after each
// change (an update, or a publish of a function it runs), so that Deployed
// means every request sees the change; a function stays in use
// (FunctionInUse) while the edge may still run it. Both delays default to
// zero: every change is served, and deployed, at once.
//
// Both answer only a loopback Host (127.0.0.1, localhost, ::1), and the
// edge also <distribution id>.cloudfront.local, with 403 otherwise: a web
// page that rebinds its own name to loopback cannot read the functions'
// code (ring keys in it) or the origin's answers.
//
// Tests start one with localtest.StartCloudFront and inject faults with
// Fail, Lose (the call takes effect, its answer is lost), Delay or
// Inject; internal/local/cmd/local runs one on its own (make local).
//
// What it does not do: caching, invalidations, TLS at the edge (viewer
// protocol policies are not enforced), viewer-response functions,
// origin failover, Lambda@Edge, and the other CloudFront resources
// (cache policies, key groups, OACs...), whose ids are accepted unchecked.
package cloudfront
