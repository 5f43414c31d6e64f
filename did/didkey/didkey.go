// Package didkey implements the did:key method (W3C CCG did:key v0.7): a DID
// that is its own public key. It resolves Ed25519, X25519, P-256, P-384 and
// secp256k1 keys and creates DIDs for the same key types. Nothing is
// fetched and nothing is stored.
package didkey

import (
	"context"
	"crypto"
	"crypto/ecdh"
	"fmt"
	"strings"

	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/did/multikey"
)

// Method is the DID method name.
const Method = "key"

// Resolver resolves did:key DIDs. The zero value is ready to use.
type Resolver struct{}

var _ did.Resolver = Resolver{}

// New returns the did:key DID for a public key.
func New(pub crypto.PublicKey) (string, error) {
	mk, err := multikey.Encode(pub)
	if err != nil {
		return "", fmt.Errorf("didkey: %w", err)
	}
	return "did:key:" + mk, nil
}

// Resolve builds the DID document of a did:key (did:key §3.1.1 "Document
// Creation Algorithm"): one Multikey verification method whose fragment is the
// multibase value, authorized for authentication, assertion and capabilities;
// X25519 keys are only for key agreement.
func (Resolver) Resolve(_ context.Context, s string) (*did.Resolution, error) {
	u, err := did.ParseURL(s)
	if err != nil {
		return nil, fmt.Errorf("didkey: %w", err)
	}
	if u.Method != Method {
		return nil, fmt.Errorf("didkey: %w: %s is not did:key", did.ErrMethodNotSupported, u.DID)
	}
	if u.Path != "" || len(u.Query) > 0 || u.Fragment != "" {
		return nil, fmt.Errorf("didkey: %w: did:key takes no path, query or fragment", did.ErrInvalidDID)
	}
	// §3.1.1 step 2: the method-specific-id is "z" + base58btc; no colons.
	if strings.Contains(u.ID, ":") || !strings.HasPrefix(u.ID, "z") {
		return nil, fmt.Errorf("didkey: %w: %s is not a base58btc multikey", did.ErrInvalidDID, u.DID)
	}
	pub, err := multikey.Decode(u.ID)
	if err != nil {
		// Both sentinels stay visible: callers may tell an unsupported key
		// type (multikey.ErrUnsupported) from a malformed one.
		return nil, fmt.Errorf("didkey: %w: %w", did.ErrInvalidDID, err)
	}
	return &did.Resolution{
		Context:            did.ContextResolution,
		Document:           document(u.DID.String(), u.ID, pub),
		ResolutionMetadata: did.ResolutionMetadata{ContentType: "application/did+ld+json"},
	}, nil
}

func document(id, mk string, pub crypto.PublicKey) *did.Document {
	vmID := id + "#" + mk
	doc := &did.Document{
		Context: []string{did.ContextDIDv1, did.ContextMultikeyV1},
		ID:      id,
		VerificationMethod: []did.VerificationMethod{{
			ID: vmID, Type: did.TypeMultikey, Controller: id, PublicKeyMultibase: mk,
		}},
	}
	ref := []did.Reference{{ID: vmID}}
	if _, isX := pub.(*ecdh.PublicKey); isX {
		doc.KeyAgreement = ref
		return doc
	}
	doc.Authentication, doc.AssertionMethod = ref, ref
	// §3.1.1 step 4 (X25519 key agreement derived from an Ed25519 key) is
	// optional; it stays off: we never encrypt to a signing key.
	doc.CapabilityInvocation, doc.CapabilityDelegation = ref, ref
	return doc
}
