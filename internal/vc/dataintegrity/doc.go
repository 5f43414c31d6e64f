// Package dataintegrity creates and verifies W3C Data Integrity proofs
// (VC Data Integrity 1.0) on JSON-LD credentials and presentations:
// eddsa-rdfc-2022 and eddsa-jcs-2022 (vc-di-eddsa), ecdsa-rdfc-2019 and
// ecdsa-jcs-2019 on P-256 and P-384 (vc-di-ecdsa), and verification of the
// legacy suites Ed25519Signature2020 (proofValue), Ed25519Signature2018 and
// JsonWebSignature2020 (detached JWS with an unencoded payload, RFC 7797,
// checked with jwx; jws.go). Proof sets and proof chains (previousProof)
// are supported.
//
// It owns proof construction and checking only. JSON-LD processing and the
// context allow-list live in internal/jsonld; resolving a verification
// method to a key is the caller's KeyResolver (did/ resolvers); keys to sign
// with come from internal/kms as a crypto.Signer.
package dataintegrity
