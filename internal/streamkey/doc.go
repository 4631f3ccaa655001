// Package streamkey is the reference implementation of securestream's
// stream keys: short-lived, signed tokens that grant a video player the
// manifests and segments of one stream on CloudFront. The issuer Lambda
// mints them, the CloudFront Function checks them, and the provider mints
// test keys; the edge function and the shared test vectors
// (testdata/vectors.json) follow this package.
//
// # Tokens
//
// A token grants access to one or more path patterns until an expiry
// time, optionally from a not-before time, and may be bound to a host, to
// the client address (exact, or its IPv4 /24 or IPv6 /64) and to the
// User-Agent. [Ring.Mint] signs a token for a [Grant]; [Inspect] decodes a
// token's claims without checking it, for debugging.
//
// # The ss1 layout
//
// A token is five parts joined by '.', all but the first two base64url
// without padding:
//
//	ss1.<kid>.<payload>.<check>.<mac>
//
//	payload = the claims text: "name=value" lines e, n, p..., h, i, u, s, d
//	check   = T1[:9]                                   (12 characters)
//	mac     = T3                                       (43 characters)
//	T1      = HMAC-SHA256(key, "ss1.<kid>.<payload>")
//	T3      = HMAC-SHA256(key, "ss1.<kid>.<payload>.<check>" ‖ "\n" ‖ ip ‖ "\n" ‖ ua)
//
// ip is the bound form of the client address and ua the User-Agent, each
// "" when unbound; the claims say which are bound, but never carry the
// bound values, so a token leaks neither. T3 grants access and covers
// every transmitted byte, so each token has exactly one valid spelling.
// T1 only serves diagnosis once T3 has failed.
//
// # The key ring
//
// A [Ring] holds the live keys, each an id (the kid a token names) and a
// secret of at least [MinSecretBytes]. [Ring.SigningKey] picks the key new
// tokens are signed with during a rotation: the newest key old enough for
// every edge location to have it. One key may be marked Seed: it is the
// original deployment's secret, which verifies and mints seed-format keys
// (package seed) only and is no key at all for ss1 tokens.
//
// # Verification
//
// [Verifier.Verify] checks a token against a [Request] (path, Host, client
// address, User-Agent, time) and a time policy (maximum lifetime and
// clock-skew leeway, see [TimeLimits]). It never panics and returns a
// [Result] whose [Reason] is [OK] or the first failed check; a Reason's String
// is the stable code (malformed, unknown_kid, bad_mac, ip, ua, expired,
// not_yet_valid, lifetime, path, host) shared with the issuer, the edge
// function and the vectors. Request paths must be in the canonical form
// [SafePath] accepts, and [MatchPath] matches them against the token's
// patterns without decoding anything.
//
// # The seed format
//
// The stream_key and stream_policy of the original blog post's issuer,
// which keep working while its users' deployments move to ss1, are
// implemented by the subpackage seed. It signs and checks them with the
// ring's seed key through [Ring.SeedMAC], which never hands out the
// secret.
//
// The format is specified, with its rationale, limits and test vectors,
// in the guide docs/guides/token-format.md.
package streamkey
