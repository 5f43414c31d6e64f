package dataintegrity

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"

	"github.com/credentialflow/cflow/internal/jsonx"
)

// Legacy Linked Data proof types whose signature is a detached JWS with an
// unencoded payload (RFC 7797): verification only.
const (
	TypeEd25519Signature2018 = "Ed25519Signature2018" // w3c-ccg/lds-ed25519-2018
	TypeJsonWebSignature2020 = "JsonWebSignature2020" // w3c-ccg/lds-jws2020
)

// jwsAlg is one row of the allow-list: the JWS alg, and the key it needs.
type jwsAlg struct {
	alg   jwa.SignatureAlgorithm
	fits  func(crypto.PublicKey) bool
	suite string
}

func isEd25519(pub crypto.PublicKey) bool {
	k, ok := pub.(ed25519.PublicKey)
	return ok && len(k) == ed25519.PublicKeySize
}

func isCurve(c elliptic.Curve) func(crypto.PublicKey) bool {
	return func(pub crypto.PublicKey) bool {
		k, ok := pub.(*ecdsa.PublicKey)
		return ok && k.Curve == c
	}
}

// jwsSuites is the allow-list per proof type, alg → key type → curve.
// Ed25519Signature2018 is EdDSA only (lds-ed25519-2018 §3); of the
// JsonWebSignature2020 table (lds-jws2020 §2.1) we take EdDSA, ES256 and
// ES384 — the keys our resolvers yield; ES256K, ES512 and PS256 are refused.
var jwsSuites = map[string][]jwsAlg{
	TypeEd25519Signature2018: {{jwa.EdDSA, isEd25519, TypeEd25519Signature2018}},
	TypeJsonWebSignature2020: {
		{jwa.EdDSA, isEd25519, TypeJsonWebSignature2020},
		{jwa.ES256, isCurve(elliptic.P256()), TypeJsonWebSignature2020},
		{jwa.ES384, isCurve(elliptic.P384()), TypeJsonWebSignature2020},
	},
}

// maxJWSHeader bounds the protected header we decode.
const maxJWSHeader = 1 << 10

// parseDetachedJWS checks the shape of a proof's jws before any key is
// resolved: "<header>..<signature>" (RFC 7515 Appendix F, detached
// content), a protected header of exactly alg, b64 false and crit ["b64"]
// (RFC 7797 §3 and §6; kid tolerated), and an alg on the suite's list.
func parseDetachedJWS(typ, s string) (jwsAlg, error) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] != "" || parts[2] == "" {
		return jwsAlg{}, newError(CodeProofMalformed, nil, "jws must be a detached compact JWS (header..signature)")
	}
	if len(parts[0]) > maxJWSHeader {
		return jwsAlg{}, newError(CodeProofMalformed, nil, "jws header over %d bytes", maxJWSHeader)
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(parts[0])
	if err != nil {
		return jwsAlg{}, newError(CodeProofMalformed, err, "jws header is not unpadded base64url")
	}
	if _, err := base64.RawURLEncoding.Strict().DecodeString(parts[2]); err != nil {
		return jwsAlg{}, newError(CodeProofMalformed, err, "jws signature is not unpadded base64url")
	}
	// RFC 7515 §5.2: duplicate member names are refused.
	if err := jsonx.CheckStrict(raw); err != nil {
		return jwsAlg{}, newError(CodeProofMalformed, err, "jws header is not strict JSON")
	}
	var hdr map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&hdr); err != nil || dec.More() {
		return jwsAlg{}, newError(CodeProofMalformed, err, "jws header is not a JSON object")
	}
	for k := range hdr {
		if k != "alg" && k != "b64" && k != "crit" && k != "kid" {
			return jwsAlg{}, newError(CodeProofMalformed, nil, "jws header member %q is not allowed", k)
		}
	}
	var alg string
	var b64 *bool
	var crit []string
	if json.Unmarshal(hdr["alg"], &alg) != nil || json.Unmarshal(hdr["b64"], &b64) != nil || json.Unmarshal(hdr["crit"], &crit) != nil {
		return jwsAlg{}, newError(CodeProofMalformed, nil, "jws header members have the wrong types")
	}
	// RFC 7797 §3: the payload these suites sign is raw bytes, so b64 must
	// be present and false; §6: b64 must then be listed in crit.
	if b64 == nil || *b64 || !slices.Equal(crit, []string{"b64"}) {
		return jwsAlg{}, newError(CodeProofMalformed, nil, `jws header must carry "b64": false and "crit": ["b64"] (RFC 7797)`)
	}
	for _, a := range jwsSuites[typ] {
		if a.alg.String() == alg {
			return a, nil
		}
	}
	return jwsAlg{}, newError(CodeProofTypeUnsupported, nil, "jws alg %q is not allowed for %s", alg, typ)
}

// verifyDetachedJWS checks the signature over payload (the two SHA-256
// digests, proof options then document) with jwx: RFC 7797 §3 makes the
// signing input BASE64URL(header) || "." || payload.
func verifyDetachedJWS(s string, a jwsAlg, pub crypto.PublicKey, payload []byte) error {
	if !a.fits(pub) {
		return newError(CodeKeyTypeMismatch, nil, "a %T key cannot verify jws alg %s", pub, a.alg)
	}
	if _, err := jws.Verify([]byte(s), jws.WithKey(a.alg, pub), jws.WithDetachedPayload(payload)); err != nil {
		return newError(CodeSignatureInvalid, err, "jws does not verify")
	}
	return nil
}
