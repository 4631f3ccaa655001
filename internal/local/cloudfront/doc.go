// Package cloudfront is a local CloudFront for tests and for trying a
// player without AWS: the control plane of API version 2020-05-31 (the
// eight CloudFront Functions operations, the distribution operations, and
// what hashicorp/aws 5.x calls for examples/complete: see below) that the
// unmodified aws-sdk-go-v2 CloudFront client talks to, and an edge that
// serves the distributions, running their LIVE viewer-request functions
// in the project's runtime (internal/cfruntime) before the origin.
//
// It follows the project's CloudFront reference (cloudfront-control-plane.md
// in ../shared/reference, beside the checkout on developer machines):
// the DEVELOPMENT/LIVE stages and their ETags, If-Match, the ETtag header
// of UpdateFunction, CloudFront's error documents and codes, function
// association rules, publishing that redeploys the distributions using a
// function, and deletion only of disabled distributions. Configurations
// are kept as sent and answered back as sent, with CloudFront's defaults
// filled in for the members the request left out (defaults.go).
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
// (FunctionInUse) while the edge may still run it. DeployDelay defaults
// to DefaultDeployDelay (seconds, where CloudFront takes minutes), so
// that a client that does not wait for Deployed meets InProgress as it
// would at AWS; Config.InstantDeploy deploys at once. PropagationDelay
// defaults to zero: every change is served at once.
//
// Publishing a function whose DEVELOPMENT stage has not changed since its
// last publish is refused with 412 PreconditionFailed, as AWS does;
// Config.LenientPublish accepts it.
//
// CloudFront KeyValueStore is served on both planes, on the control
// plane's listener: the CloudFront API's five KeyValueStore operations
// (by name, XML; a store is READY at once, ImportSource is refused,
// deletion is refused with CannotDeleteEntityWhileInUse while a function
// associates the store) and the cloudfront-keyvaluestore data API (by ARN,
// JSON, paths /key-value-stores/...: kvs_data.go), with its If-Match ETag
// rules and quotas, SigV4A accepted by the Authorization header's shape.
// The SDK client reaches it through KVSEndpointResolver, not BaseEndpoint.
// The edge gives a function its associated store as of now minus
// Config.KVSPropagationDelay.
//
// Both answer only a loopback Host (127.0.0.1, localhost, ::1), and the
// edge also <distribution id>.cloudfront.local and a distribution's own
// DomainName (d<random>.cloudfront.net, made here: only AWS's DNS answers
// it; the Host the function then sees, which keys bound to the
// distribution's domain need), with 403 otherwise: a web page that rebinds
// its own name to loopback cannot read the functions' code (ring keys in
// it) or the origin's answers.
//
// Tests start one with localtest.StartCloudFront and inject faults with
// Fail, Lose (the call takes effect, its answer is lost), Delay or
// Inject; internal/local/cmd/local runs one on its own (make local).
//
// # What hashicorp/aws needs, and where each shape was read from
//
// hashicorp/aws 5.x (5.100.0 was driven against it: see
// internal/local/awsprovidertest) makes these calls for examples/complete:
//
//   - CreateDistributionWithTags (POST distribution?WithTags, root
//     DistributionConfigWithTags): the project's reference notes
//     (cloudfront-control-plane.md, last section) and botocore 1.43.11
//     service-2.json (DistributionConfigWithTags, both members required).
//   - ListTagsForResource, TagResource, UntagResource (GET tagging,
//     POST tagging?Operation=Tag|Untag, Resource=<arn>), for distributions
//     and functions: botocore (Tags, Tag, TagKeys, NoSuchResource 404,
//     InvalidTagging 400); the tag bounds from the API reference (Tag).
//   - Defaults filled in (defaults.go): the members and their order from
//     botocore (DistributionConfig, Origin, DefaultCacheBehavior,
//     CacheBehavior), the values from the aws-cli example output of
//     create-distribution and the reference notes' list.
//   - Origin access controls (origin-access-control, ...{Id},
//     ...{Id}/config) and response headers policies
//     (response-headers-policy, ...{Id}, ...{Id}/config): botocore's
//     operations, shapes and errors (…AlreadyExists and …InUse 409,
//     NoSuch… 404); a distribution naming one that does not exist is
//     refused (InvalidOriginAccessControl, NoSuchResponseHeadersPolicy).
//   - The managed cache policies (cache-policy) and origin request
//     policies (origin-request-policy), read-only, found by id or listed
//     (the data sources search the list by name): the ids and settings of
//     the Developer Guide pages "Use managed cache policies" and "Use
//     managed origin request policies" (policies.go lists which).
//
// An operation of the API that is not served answers UnsupportedOperation,
// whatever its path (never MalformedXML).
//
// At the edge, an S3 origin (DomainName <bucket>.s3[.<region>].amazonaws.com)
// is fetched from Config.S3Endpoint (moto_server) path-style, signed with
// SigV4 with moto's test credentials when its origin access control signs;
// a behavior's response headers policy adds its CORS headers (preflight
// ones to an OPTIONS preflight), custom headers, and removes headers
// (s3origin.go; the rules of the Developer Guide page "Understand response
// headers policies").
//
// What it does not do: caching, invalidations, TLS at the edge (viewer
// protocol policies are not enforced), viewer-response functions,
// origin failover, Lambda@Edge, security and Server-Timing headers of
// response headers policies, managed response headers policies, custom
// cache and origin request policies, and the other CloudFront resources
// (key groups, origin access identities...); cache and origin request
// policy ids in a distribution are accepted unchecked.
package cloudfront
