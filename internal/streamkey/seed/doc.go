// Package seed implements the seed format: the stream keys of the original
// blog post that securestream grew from, kept so that the keys its users'
// running deployments hand out keep working while they move to the ss1
// format of package streamkey.
//
// The original issuer, a Lambda function, answers a player with two values,
// which the player sends back as the stream_key and stream_policy headers
// of every manifest and segment request:
//
//	stream_key    = base64(HMAC-SHA256(secret, JSON.stringify({client_ip, path, hostname, expires, user_agent})))
//	stream_policy = base64(JSON.stringify({url: path, expires}))
//
// The MAC covers a JSON text that the original's CloudFront Function
// re-serialises from the request before checking it, so the same bytes are
// signed on two runtimes, and Go has to produce exactly what JavaScript
// produced: the WHATWG URL parsing of new URL() for hostname and path
// ([URLHostPath]), JSON.stringify's member order and escaping, and the
// original's path rule (the URL's last segment replaced by '*').
//
// [Mint] signs a [Grant] with the seed key of a [streamkey.Ring] (the key
// marked [streamkey.Key].Seed, the original deployment's secret, which
// signs nothing else), and [MintWithSecret] with a bare secret, as the
// original issuer did; both reproduce the original's keys byte for byte.
// [Verify] checks a key and policy against a [streamkey.Request] with a
// [streamkey.Verifier]'s ring and time policy, fixing the original's flaws
// (it matches the request path against the signed pattern, refuses what it
// cannot parse, compares in constant time and bounds the lifetime), and
// returns a [streamkey.Result] whose reasons are those of ss1.
//
// New deployments use ss1: the seed format has no key id, no not-before,
// one path pattern, and binds the client address, user agent and host only
// through its MAC. The format, its rationale and its limits are specified
// in the guide docs/guides/token-format.md ("The seed format").
package seed
