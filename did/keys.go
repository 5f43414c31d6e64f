package did

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/x25519"
	"github.com/multiformats/go-multibase"
	"github.com/multiformats/go-multicodec"

	"github.com/credentialflow/cflow/did/multikey"
)

// ErrKeyFormat is returned when a verification method's key cannot be read.
var ErrKeyFormat = errors.New("unreadable verification method key")

// PublicKey decodes the method's key: ed25519.PublicKey, *ecdsa.PublicKey
// (P-256, P-384, secp256k1) or *ecdh.PublicKey (X25519). A method with no key
// material (an EcdsaSecp256k1RecoveryMethod2020 with only a
// blockchainAccountId) yields ErrKeyFormat; callers that recover keys from
// signatures handle that type themselves.
func (vm *VerificationMethod) PublicKey() (crypto.PublicKey, error) {
	switch {
	case len(vm.PublicKeyJwk) > 0:
		k, err := PublicKeyFromJWK(vm.PublicKeyJwk)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrKeyFormat, vm.ID, err)
		}
		return k, nil
	case vm.PublicKeyMultibase != "":
		if vm.Type == TypeEd25519VerificationKey2020 || vm.Type == TypeX25519KeyAgreementKey2020 || vm.Type == TypeMultikey {
			k, err := multikey.Decode(vm.PublicKeyMultibase)
			if vm.Type == TypeMultikey {
				if err != nil {
					return nil, fmt.Errorf("%w: %s: %v", ErrKeyFormat, vm.ID, err)
				}
				return k, nil
			}
			if err == nil {
				// A typed method must carry a key of its type: an
				// Ed25519VerificationKey2020 holding a P-256 multikey is
				// refused, not silently used as P-256.
				return typedKey(vm, k)
			}
		}
		// Ed25519VerificationKey2020 §2.1 carries the multicodec prefix; some
		// older documents carry the raw key under multibase: accept both.
		_, raw, err := multibase.Decode(vm.PublicKeyMultibase)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrKeyFormat, vm.ID, err)
		}
		return rawKey(vm, raw)
	case vm.PublicKeyBase58 != "":
		_, raw, err := multibase.Decode("z" + vm.PublicKeyBase58)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: base58: %v", ErrKeyFormat, vm.ID, err)
		}
		return rawKey(vm, raw)
	case vm.PublicKeyHex != "":
		raw, err := hex.DecodeString(vm.PublicKeyHex)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: hex: %v", ErrKeyFormat, vm.ID, err)
		}
		return rawKey(vm, raw)
	}
	return nil, fmt.Errorf("%w: %s carries no public key", ErrKeyFormat, vm.ID)
}

// rawKeyCodec says how to read bare key bytes for the legacy method types.
var rawKeyCodec = map[string]multicodec.Code{
	TypeEd25519VerificationKey2018: multikey.CodeEd25519,
	TypeEd25519VerificationKey2020: multikey.CodeEd25519,
	TypeX25519KeyAgreementKey2019:  multikey.CodeX25519,
	TypeX25519KeyAgreementKey2020:  multikey.CodeX25519,
	TypeEcdsaSecp256k1Verification: multikey.CodeSecp256k1,
	TypeEcdsaSecp256k1Recovery2020: multikey.CodeSecp256k1,
}

// typedKey checks that a decoded multikey matches the legacy method type.
func typedKey(vm *VerificationMethod, k crypto.PublicKey) (crypto.PublicKey, error) {
	want := rawKeyCodec[vm.Type]
	code, _, err := multikey.ToCodec(k)
	if err != nil || code != want {
		return nil, fmt.Errorf("%w: %s: %s carries a %T", ErrKeyFormat, vm.ID, vm.Type, k)
	}
	return k, nil
}

// rawKey interprets raw key bytes by the method type.
func rawKey(vm *VerificationMethod, raw []byte) (crypto.PublicKey, error) {
	code, ok := rawKeyCodec[vm.Type]
	if !ok {
		return nil, fmt.Errorf("%w: %s: raw key bytes with type %q", ErrKeyFormat, vm.ID, vm.Type)
	}
	k, err := multikey.FromCodec(code, raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrKeyFormat, vm.ID, err)
	}
	return k, nil
}

// PublicKeyFromJWK parses a public JWK (RFC 7517) into a crypto public key.
// Private members are refused: a DID document must never carry them.
func PublicKeyFromJWK(raw json.RawMessage) (crypto.PublicKey, error) {
	// JWK member names are case-sensitive (RFC 7517 §4); encoding/json's
	// struct matching is not, so read the members through a map.
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return nil, fmt.Errorf("jwk: %w", err)
	}
	if _, ok := members["d"]; ok {
		return nil, errors.New("jwk: private key material in a public key")
	}
	str := func(name string) string {
		var v string
		_ = json.Unmarshal(members[name], &v)
		return v
	}
	if str("kty") == "EC" && str("crv") == "secp256k1" {
		// jwx registers secp256k1 only under a build tag; the point format is
		// the same as for the NIST curves (RFC 8812 §3.1).
		x, errX := base64.RawURLEncoding.Strict().DecodeString(str("x"))
		y, errY := base64.RawURLEncoding.Strict().DecodeString(str("y"))
		if errX != nil || errY != nil || len(x) != 32 || len(y) != 32 {
			return nil, errors.New("jwk: secp256k1 coordinates must be 32-byte base64url")
		}
		k, err := multikey.Secp256k1FromBytes(append(append([]byte{4}, x...), y...))
		if err != nil { // not returned directly: a nil *ecdsa.PublicKey is a non-nil interface
			return nil, fmt.Errorf("jwk: %w", err)
		}
		return k, nil
	}
	k, err := jwk.ParseKey(raw)
	if err != nil {
		return nil, fmt.Errorf("jwk: %w", err)
	}
	var pub any
	if err := k.Raw(&pub); err != nil {
		return nil, fmt.Errorf("jwk: %w", err)
	}
	// jwx builds keys without checking them: an Ed25519 key of the wrong
	// length makes ed25519.Verify panic, and an EC point off the curve must
	// never reach a verifier (RFC 8037 §2, RFC 7518 §6.2.1).
	switch p := pub.(type) {
	case ed25519.PublicKey:
		if len(p) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("jwk: Ed25519 key is %d bytes, want %d", len(p), ed25519.PublicKeySize)
		}
		return p, nil
	case *ecdsa.PublicKey:
		if _, err := p.ECDH(); err != nil {
			return nil, fmt.Errorf("jwk: EC key: %w", err)
		}
		return p, nil
	case x25519.PublicKey:
		k, err := ecdh.X25519().NewPublicKey(p)
		if err != nil { // not returned directly: a nil *ecdh.PublicKey is a non-nil interface
			return nil, fmt.Errorf("jwk: X25519: %w", err)
		}
		return k, nil
	}
	return nil, fmt.Errorf("jwk: unsupported key type %T", pub)
}
