// Package cfruntime runs CloudFront Functions locally, the way CloudFront
// runs them at the edge, on the goja JavaScript engine.
//
// It is for tests, for the provider's local CloudFront and for users who
// want to try a function without AWS. It emulates:
//
//   - the cloudfront-js-1.0 and cloudfront-js-2.0 runtimes: their modules
//     (crypto, querystring, Buffer, cloudfront with its key value store
//     and its CWT module cf.cwt, whose undocumented points cwt.go lists),
//     globals (atob, btoa, TextEncoder, TextDecoder, String.bytesFrom and
//     friends in 1.0) and syntax (no const, let or async in 1.0);
//   - what CloudFront lacks, which fails as it does there: eval, the
//     Function constructor, timers, Map, Set, WeakMap, Proxy, Reflect,
//     process, the network, and the built-ins measured absent at the edge;
//     Date frozen at the start of the invocation;
//   - the event as CloudFront builds it (lower-case header names,
//     multiValue only for repeated names, cookies split out of Cookie, a
//     querystring object) and the result as CloudFront checks it: an invalid
//     result is a 502, a thrown error or runaway code a 503, code over
//     10 KB is refused;
//   - output in the shape of the TestFunction API (FunctionOutput,
//     FunctionExecutionLogs, FunctionErrorMessage, ComputeUtilization), so
//     that fixtures can also be run against real AWS.
//
// A compiled Function is reused across invocations; every invocation gets a
// fresh global state, as at the edge.
//
// What it cannot reproduce: the edge's memory limit (2 MB) is not enforced,
// and ComputeUtilization is an estimate from wall-clock time, since AWS
// publishes neither its engine nor its compute budget.
package cfruntime
