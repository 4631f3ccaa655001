// Package issuance is the policy of issuing stream keys, apart from any
// transport: which playback URLs may be signed (URLRules,
// CheckPlaybackURL), what a key for one covers (Coverage), how it is
// minted (Policy, Subject, MintKey) and handed out (Channels, Forms), and
// why a request is refused (Refusal, Reason).
//
// The issuer Lambda (internal/issuer) and the provider's test keys
// (internal/provider) both mint through MintKey, so a test key is exactly
// what the issuer would hand out; the edge function's renderer
// (internal/edgefunc) reads tokens from the same Channels. The package
// depends on the token formats (internal/streamkey, and internal/cat for
// Common Access Tokens) only, so that the provider does not carry the
// Lambda's handler and JWT code.
package issuance
