// Package jsonld owns JSON-LD processing for Credentialflow: an offline
// document loader that serves only contexts embedded in the binary (plus
// contexts an operator adds with a pinned SHA-256 digest), "safe mode"
// checks that reject documents JSON-LD expansion would silently change, and
// RDF Dataset Canonicalization (RDFC-1.0, also known as URDNA2015) to N-Quads,
// with limits (MaxEquivalentBlankNodes, MaxBlankNodes, MaxQuads,
// MaxHashNDegreeWork) that refuse "poison graphs" up front with
// jsonld_too_complex, since json-gold's canonicalization cannot be stopped.
//
// It never fetches anything from the network: every context URL that is not
// embedded or added is rejected with ErrContextNotAllowed.
//
// It does not own proofs or signatures (see internal/vc/dataintegrity) nor
// JSON Canonicalization Scheme output (see internal/jsonld/jcs).
package jsonld
