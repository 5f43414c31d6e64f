// Package didjwk implements the did:jwk method (did:jwk spec §2): a DID whose
// method-specific-id is the base64url of a public JWK. It resolves and creates;
// nothing is fetched or stored.
package didjwk

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/x25519"

	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/internal/jsonx"
)

// Method is the DID method name.
const Method = "jwk"

// MaxJWKBytes bounds the decoded JWK; an EC P-521 key is under 300 bytes.
const MaxJWKBytes = 2048

// Resolver resolves did:jwk DIDs. The zero value is ready to use.
type Resolver struct{}

var _ did.Resolver = Resolver{}

// New returns the did:jwk DID for a public key (did:jwk §2.1 Create):
// ed25519.PublicKey, *ecdsa.PublicKey (P-256, P-384, P-521, secp256k1) or an
// X25519 *ecdh.PublicKey. Private keys are refused: their JWK would carry "d".
func New(pub crypto.PublicKey) (string, error) {
	var b []byte
	var err error
	switch k := pub.(type) {
	case ed25519.PublicKey:
		b, err = marshalJWK(k)
	case *ecdh.PublicKey:
		if k.Curve() != ecdh.X25519() {
			return "", fmt.Errorf("didjwk: unsupported ECDH curve %v", k.Curve())
		}
		b, err = marshalJWK(x25519.PublicKey(k.Bytes()))
	case *ecdsa.PublicKey:
		if k.Curve == secp256k1.S256() {
			b, err = marshalSecp256k1(k)
		} else {
			b, err = marshalJWK(k)
		}
	default:
		return "", fmt.Errorf("didjwk: unsupported public key type %T", pub)
	}
	if err != nil {
		return "", fmt.Errorf("didjwk: %w", err)
	}
	// Never hand out a DID this package would not resolve.
	if _, err := did.PublicKeyFromJWK(b); err != nil {
		return "", fmt.Errorf("didjwk: %w", err)
	}
	return "did:jwk:" + base64.RawURLEncoding.EncodeToString(b), nil
}

// marshalJWK serializes with jwx, which writes only the key members in
// lexical order, so the same key always gives the same DID.
func marshalJWK(pub any) ([]byte, error) {
	k, err := jwk.FromRaw(pub)
	if err != nil {
		return nil, err
	}
	return json.Marshal(k)
}

// marshalSecp256k1 writes the RFC 8812 §3.1 JWK that jwx only knows under a
// build tag, with members in the same lexical order as jwx.
func marshalSecp256k1(k *ecdsa.PublicKey) ([]byte, error) {
	if k.X == nil || k.Y == nil || !k.Curve.IsOnCurve(k.X, k.Y) { //nolint:staticcheck // big.Int coordinates are what ecdsa.PublicKey has
		return nil, errors.New("secp256k1 point not on the curve")
	}
	var x, y [32]byte
	k.X.FillBytes(x[:])
	k.Y.FillBytes(y[:])
	return json.Marshal(struct {
		Crv string `json:"crv"`
		Kty string `json:"kty"`
		X   string `json:"x"`
		Y   string `json:"y"`
	}{"secp256k1", "EC", base64.RawURLEncoding.EncodeToString(x[:]), base64.RawURLEncoding.EncodeToString(y[:])})
}

// Resolve builds the document of did:jwk §2.2: one JsonWebKey2020 method "#0",
// whose relationships depend on the JWK's "use".
func (Resolver) Resolve(_ context.Context, s string) (*did.Resolution, error) {
	u, err := did.ParseURL(s)
	if err != nil {
		return nil, fmt.Errorf("didjwk: %w", err)
	}
	if u.Method != Method {
		return nil, fmt.Errorf("didjwk: %w: %s is not did:jwk", did.ErrMethodNotSupported, u.DID)
	}
	if u.Path != "" || len(u.Query) > 0 || u.Fragment != "" {
		return nil, fmt.Errorf("didjwk: %w: did:jwk takes no path, query or fragment", did.ErrInvalidDID)
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(u.ID)
	if err != nil || len(raw) > MaxJWKBytes {
		return nil, fmt.Errorf("didjwk: %w: method-specific-id is not base64url of a JWK", did.ErrInvalidDID)
	}
	// JWK member names are case-sensitive (RFC 7517 §4): read them through a
	// map, not encoding/json's case-folding struct match.
	// Two JSON parsers may keep different copies of a repeated member, and
	// so different keys: a DID must name one key (RFC 7517 §4, RFC 8259 §4).
	if err := jsonx.CheckStrict(raw); err != nil {
		return nil, fmt.Errorf("didjwk: %w: %v", did.ErrInvalidDID, err)
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return nil, fmt.Errorf("didjwk: %w: %v", did.ErrInvalidDID, err)
	}
	if _, ok := members["d"]; ok {
		return nil, fmt.Errorf("didjwk: %w: JWK holds private key material", did.ErrInvalidDID)
	}
	var use string
	if rawUse, ok := members["use"]; ok {
		if err := json.Unmarshal(rawUse, &use); err != nil {
			return nil, fmt.Errorf("didjwk: %w: JWK use is not a string", did.ErrInvalidDID)
		}
	}
	pub, err := did.PublicKeyFromJWK(raw)
	if err != nil {
		return nil, fmt.Errorf("didjwk: %w: %v", did.ErrInvalidDID, err)
	}
	// §2.2: "use":"sig" → no keyAgreement; "use":"enc" → keyAgreement only.
	// The spec also says use should match the curve; we go further and never
	// list a key under a relationship it cannot serve: X25519 cannot sign,
	// Ed25519 cannot agree keys. A JWK left with no relationship is refused.
	_, isX25519 := pub.(*ecdh.PublicKey)
	_, isEd25519 := pub.(ed25519.PublicKey)
	agree := use != "sig" && !isEd25519
	sign := use != "enc" && !isX25519
	if !agree && !sign {
		return nil, fmt.Errorf("didjwk: %w: JWK use %q does not fit its key type", did.ErrInvalidDID, use)
	}
	id := u.DID.String()
	vmID := id + "#0"
	doc := &did.Document{
		Context:            []string{did.ContextDIDv1, did.ContextJWS2020},
		ID:                 id,
		VerificationMethod: []did.VerificationMethod{{ID: vmID, Type: did.TypeJsonWebKey2020, Controller: id, PublicKeyJwk: compact(raw)}},
	}
	ref := []did.Reference{{ID: vmID}}
	if agree {
		doc.KeyAgreement = ref
	}
	if sign {
		doc.AssertionMethod, doc.Authentication = ref, ref
		doc.CapabilityInvocation, doc.CapabilityDelegation = ref, ref
	}
	return &did.Resolution{
		Context:            did.ContextResolution,
		Document:           doc,
		ResolutionMetadata: did.ResolutionMetadata{ContentType: "application/did+ld+json"},
	}, nil
}

func compact(raw []byte) json.RawMessage {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return raw
	}
	return b.Bytes()
}
