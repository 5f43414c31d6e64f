package dataintegrity

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
)

// Proof types (VC Data Integrity §2.1; vc-di-eddsa Appendix for the legacy one).
const (
	TypeDataIntegrityProof   = "DataIntegrityProof"
	TypeEd25519Signature2020 = "Ed25519Signature2020"
)

// Cryptosuite names.
const (
	EddsaRdfc2022 = "eddsa-rdfc-2022" // vc-di-eddsa §3.3
	EddsaJcs2022  = "eddsa-jcs-2022"  // vc-di-eddsa §3.4
	EcdsaRdfc2019 = "ecdsa-rdfc-2019" // vc-di-ecdsa §3.3
	EcdsaJcs2019  = "ecdsa-jcs-2019"  // vc-di-ecdsa §3.4
)

type canonKind int

const (
	canonRDFC canonKind = iota // RDF Dataset Canonicalization 1.0
	canonJCS                   // RFC 8785
)

type keyKind int

const (
	keyEd25519 keyKind = iota
	keyECDSA           // P-256 or P-384
)

type suite struct {
	name  string // cryptosuite, or the legacy proof type
	canon canonKind
	key   keyKind
	sign  bool // we create proofs of this suite, not only verify them
}

// The allow-list: everything else is proof_type_unsupported.
var dataIntegritySuites = map[string]suite{
	EddsaRdfc2022: {EddsaRdfc2022, canonRDFC, keyEd25519, true},
	EddsaJcs2022:  {EddsaJcs2022, canonJCS, keyEd25519, true},
	EcdsaRdfc2019: {EcdsaRdfc2019, canonRDFC, keyECDSA, true},
	EcdsaJcs2019:  {EcdsaJcs2019, canonJCS, keyECDSA, true},
}

var legacySuites = map[string]suite{
	// vc-di-eddsa Appendix "Ed25519Signature2020": the same transformation,
	// hashing and signature as eddsa-rdfc-2022 under another proof type.
	TypeEd25519Signature2020: {TypeEd25519Signature2020, canonRDFC, keyEd25519, false},
}

// hashFor returns the hash a suite uses with key pub, or false when the key
// does not fit the suite: Ed25519 → SHA-256 (vc-di-eddsa §3.3.4),
// P-256 → SHA-256 and P-384 → SHA-384 (vc-di-ecdsa §3.3.4). Other curves
// are refused.
func hashFor(s suite, pub crypto.PublicKey) (crypto.Hash, bool) {
	switch k := pub.(type) {
	case ed25519.PublicKey:
		return crypto.SHA256, s.key == keyEd25519 && len(k) == ed25519.PublicKeySize
	case *ecdsa.PublicKey:
		if s.key != keyECDSA {
			return 0, false
		}
		switch k.Curve {
		case elliptic.P256():
			return crypto.SHA256, true
		case elliptic.P384():
			// ecdsa-rdfc-2019 on P-384 runs RDFC-1.0 with SHA-384 as its
			// internal hash (vc-di-ecdsa §3.3.3); json-gold only has
			// SHA-256, whose blank node labels differ, so refuse it.
			return crypto.SHA384, s.canon == canonJCS
		}
	}
	return 0, false
}

// sigSize is the length of a raw signature: Ed25519, or r||s (IEEE P1363).
func sigSize(pub crypto.PublicKey) int {
	switch k := pub.(type) {
	case ed25519.PublicKey:
		return ed25519.SignatureSize
	case *ecdsa.PublicKey:
		return 2 * ((k.Curve.Params().BitSize + 7) / 8)
	}
	return 0
}
