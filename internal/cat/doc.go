// Package cat mints and verifies Common Access Tokens (CTA-5007), the
// second token format beside ss1 (package streamkey): CBOR Web Tokens
// (RFC 8392) in an HS256 COSE_Mac0 (RFC 9052), which players and CDNs
// that speak CAT accept and CloudFront Functions' cf.cwt module can check.
//
// # The token
//
// Mint writes, in core deterministic CBOR, as unpadded base64url:
//
//	[61(] 17([ h'A10105', {4: kid}, claims, tag ]) [)]
//
//	h'A10105' = the protected header {1: 5}: alg HS256 (HMAC 256/256)
//	{4: kid}  = the unprotected header: the key id as a byte string
//	claims    = the claims map, a byte string (see Claims)
//	tag       = HMAC-SHA256(key, ["MAC0", h'A10105', h'', claims]), 32 bytes
//
// The CWT tag 61 is optional on both sides; tag 17 is required. A token
// is at most MaxTokenLen (1024) characters.
//
// # Verification
//
// [Verifier.Verify] never panics. It decodes the envelope strictly
// (duplicate map keys, indefinite lengths and trailing bytes are
// malformed), looks the kid up in the [Ring], refuses any algorithm but
// the one the key is pinned to (HS256; RFC 8392's HMAC 256/64 example is
// refused as alg), checks the MAC with hmac.Equal, and only then decodes
// the claims. Claims use the CTA-5007 / IANA numbering, kept in one table
// in claims.go; a claim, value, catu component or match type it does not
// implement, or a critical claim it does not understand, fails closed
// (unsupported), so that no restriction an issuer wrote is silently
// ignored. The [Reason] codes are those of ss1 where a check has an ss1
// counterpart.
//
// [OpenMac0] and [SealMac0] are the MAC-only halves, for the local
// CloudFront Functions runtime's cf.cwt (package cfruntime): any HS256
// COSE_Mac0 of at most [MaxTokenBytes], headers and claims returned as
// generic CBOR values, nothing checked but the structure, alg and MAC.
//
// The time policy (maximum lifetime, leeway) is streamkey's, and a catu
// path condition needs a path streamkey.SafePath accepts, as an ss1 path
// pattern does.
package cat
