// Package vcjose secures credentials and presentations as compact JWS:
// VCDM 1.1 JWTs (jwt_vc_json / jwt_vp_json, VCDM 1.1 §6.3) and VC-JOSE-COSE
// (vc+jwt / vp+jwt, VC-JOSE-COSE §3.1). Every JWS operation goes through
// lestrrat-go/jwx; this package adds the strict envelope rules, the
// algorithm allow-list and the claim mappings.
package vcjose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/lestrrat-go/jwx/v2/jwa"

	"github.com/credentialflow/cflow/internal/vc"
)

// The allow-list: alg → the only key that may verify it (RFC 8037 §3.1 for
// EdDSA, RFC 7518 §3.4 for ES256, RFC 8812 §3.2 for ES256K). Anything not
// listed — none, HS*, RS*, PS*, ES384 — is refused before a key is looked up.
var allowed = map[jwa.SignatureAlgorithm]func(crypto.PublicKey) bool{
	jwa.EdDSA: func(k crypto.PublicKey) bool { _, ok := k.(ed25519.PublicKey); return ok },
	jwa.ES256: func(k crypto.PublicKey) bool {
		e, ok := k.(*ecdsa.PublicKey)
		return ok && e.Curve == elliptic.P256()
	},
	jwa.ES256K: func(k crypto.PublicKey) bool {
		e, ok := k.(*ecdsa.PublicKey)
		return ok && e.Curve == secp256k1.S256()
	},
}

// Allowed reports whether alg is on the allow-list.
func Allowed(alg string) bool {
	_, ok := allowed[jwa.SignatureAlgorithm(alg)]
	return ok
}

// CheckAlgKey fails unless alg is allowed and fits pub's type and curve.
func CheckAlgKey(alg string, pub crypto.PublicKey) error {
	fits, ok := allowed[jwa.SignatureAlgorithm(alg)]
	if !ok {
		return vc.Errorf(vc.CodeAlgNotAllowed, "alg %q is not allowed (EdDSA, ES256, ES256K only)", alg)
	}
	if !fits(pub) {
		return vc.Errorf(vc.CodeAlgKeyMismatch, "alg %s does not fit a %s key", alg, keyName(pub))
	}
	return nil
}

// AlgFor returns the JOSE alg for a public key.
func AlgFor(pub crypto.PublicKey) (jwa.SignatureAlgorithm, error) {
	for _, alg := range []jwa.SignatureAlgorithm{jwa.EdDSA, jwa.ES256, jwa.ES256K} {
		if allowed[alg](pub) {
			return alg, nil
		}
	}
	return "", vc.Errorf(vc.CodeAlgNotAllowed, "no allowed alg for a %s key", keyName(pub))
}

func keyName(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case ed25519.PublicKey:
		return "Ed25519"
	case *ecdsa.PublicKey:
		if k.Curve == secp256k1.S256() {
			return "secp256k1"
		}
		return k.Curve.Params().Name
	}
	return "unsupported"
}
