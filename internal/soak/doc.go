// Package soak holds the product's tests under load, on the local stack
// that internal/demo starts (moto_server, the local CloudFront with a
// propagation delay, the local API running the issuer, examples/local
// applied with Terraform):
//
//   - the soak (TestSoak): simulated players stream through the edge with
//     keys from the issuer, renewing them, while the key ring rotates
//     through terraform apply; no honest request may be refused when the
//     activation delay covers the propagation, and a control run whose
//     activation delay does not must see refusals. Each rotation is
//     checked against the retention rules, and keys minted just before a
//     rotation must work until they expire. Meanwhile sessions of their
//     own are revoked one by one through the issuer's admin route (100
//     in both forms): each must be refused at the edge once the revocation
//     list's propagation delay has passed, and by the issuer, and no
//     player (whose renewals continue their sessions) refused.
//   - the hostile corpus (TestHostile): requests no client should send,
//     to the issuer's API and to the edge, each of which must get a 4xx
//     while honest players go on being served.
//
// make test runs the short form; make soak the long one
// (SECURESTREAM_SOAK=long), whose figures BENCHMARKS.md records.
package soak
