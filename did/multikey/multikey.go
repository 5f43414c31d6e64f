// Package multikey encodes and decodes public keys as Multikey values:
// multibase base58btc ('z') of a multicodec-prefixed key (Controlled
// Identifiers §2.2.2, did:key §3.1.1). It owns the table of key types we
// accept; anything else is refused.
package multikey

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"errors"
	"fmt"
	"math/big"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/multiformats/go-multibase"
	"github.com/multiformats/go-multicodec"
	"github.com/multiformats/go-varint"
)

// ErrUnsupported is returned for a multicodec we do not accept.
var ErrUnsupported = errors.New("multikey: unsupported key type")

// ErrMalformed is returned for bytes that do not decode to a key.
var ErrMalformed = errors.New("multikey: malformed key")

// Codes we accept (multicodec table, "key" tag).
const (
	CodeEd25519   = multicodec.Ed25519Pub   // 0xed
	CodeX25519    = multicodec.X25519Pub    // 0xec
	CodeP256      = multicodec.P256Pub      // 0x1200, compressed point
	CodeP384      = multicodec.P384Pub      // 0x1201, compressed point
	CodeSecp256k1 = multicodec.Secp256k1Pub // 0xe7, compressed point
)

// Decode parses a Multikey string into a crypto public key:
// ed25519.PublicKey, *ecdsa.PublicKey (P-256, P-384, secp256k1) or *ecdh.PublicKey (X25519).
func Decode(s string) (crypto.PublicKey, error) {
	if len(s) == 0 || s[0] != 'z' {
		return nil, fmt.Errorf("%w: want base58btc multibase ('z' prefix)", ErrMalformed)
	}
	enc, raw, err := multibase.Decode(s)
	if err != nil || enc != multibase.Base58BTC {
		return nil, fmt.Errorf("%w: base58btc: %v", ErrMalformed, err)
	}
	code, n, err := varint.FromUvarint(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: multicodec varint: %v", ErrMalformed, err)
	}
	return FromCodec(multicodec.Code(code), raw[n:])
}

// FromCodec builds a public key from raw key bytes of the given multicodec.
func FromCodec(code multicodec.Code, key []byte) (crypto.PublicKey, error) {
	switch code {
	case CodeEd25519:
		if len(key) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("%w: Ed25519 key is %d bytes, want 32", ErrMalformed, len(key))
		}
		return ed25519.PublicKey(append([]byte(nil), key...)), nil
	case CodeX25519:
		k, err := ecdh.X25519().NewPublicKey(key)
		if err != nil {
			return nil, fmt.Errorf("%w: X25519: %v", ErrMalformed, err)
		}
		return k, nil
	case CodeP256:
		return nistPoint(elliptic.P256(), key)
	case CodeP384:
		return nistPoint(elliptic.P384(), key)
	case CodeSecp256k1:
		// Not "return Secp256k1FromBytes(key)": on error that would hand back
		// a non-nil interface holding a nil *ecdsa.PublicKey.
		k, err := Secp256k1FromBytes(key)
		if err != nil {
			return nil, err
		}
		return k, nil
	}
	return nil, fmt.Errorf("%w: multicodec 0x%x", ErrUnsupported, uint64(code))
}

func nistPoint(c elliptic.Curve, key []byte) (crypto.PublicKey, error) {
	x, y := elliptic.UnmarshalCompressed(c, key)
	if x == nil {
		// did:key also sees uncompressed points in the wild; accept them if valid.
		x, y = elliptic.Unmarshal(c, key) //nolint:staticcheck // no replacement that returns big.Int coordinates
	}
	if x == nil {
		return nil, fmt.Errorf("%w: not a point on %s", ErrMalformed, c.Params().Name)
	}
	return &ecdsa.PublicKey{Curve: c, X: x, Y: y}, nil
}

// Secp256k1FromBytes parses a compressed (33-byte) or uncompressed (65-byte)
// secp256k1 point into an *ecdsa.PublicKey on secp256k1.S256().
func Secp256k1FromBytes(key []byte) (*ecdsa.PublicKey, error) {
	pk, err := secp256k1.ParsePubKey(key)
	if err != nil {
		return nil, fmt.Errorf("%w: secp256k1: %v", ErrMalformed, err)
	}
	return pk.ToECDSA(), nil
}

// Encode renders a public key as a Multikey string.
func Encode(pub crypto.PublicKey) (string, error) {
	code, raw, err := ToCodec(pub)
	if err != nil {
		return "", err
	}
	buf := append(varint.ToUvarint(uint64(code)), raw...)
	return multibase.Encode(multibase.Base58BTC, buf)
}

// ToCodec returns the multicodec and raw (compressed) bytes of a public key.
func ToCodec(pub crypto.PublicKey) (multicodec.Code, []byte, error) {
	switch k := pub.(type) {
	case ed25519.PublicKey:
		// A short or long slice would encode to a key no one can decode.
		if len(k) != ed25519.PublicKeySize {
			return 0, nil, fmt.Errorf("%w: Ed25519 key is %d bytes, want 32", ErrMalformed, len(k))
		}
		return CodeEd25519, []byte(k), nil
	case *ecdh.PublicKey:
		if k.Curve() == ecdh.X25519() {
			return CodeX25519, k.Bytes(), nil
		}
	case *ecdsa.PublicKey:
		if k.Curve == nil || k.X == nil || k.Y == nil || !k.Curve.IsOnCurve(k.X, k.Y) { //nolint:staticcheck // big.Int coordinates are what ecdsa.PublicKey has
			return 0, nil, fmt.Errorf("%w: EC point not on its curve", ErrMalformed)
		}
		switch {
		case k.Curve == elliptic.P256():
			return CodeP256, elliptic.MarshalCompressed(k.Curve, k.X, k.Y), nil
		case k.Curve == elliptic.P384():
			return CodeP384, elliptic.MarshalCompressed(k.Curve, k.X, k.Y), nil
		case k.Curve == secp256k1.S256():
			return CodeSecp256k1, compressSecp256k1(k.X, k.Y), nil
		}
	}
	return 0, nil, fmt.Errorf("%w: %T", ErrUnsupported, pub)
}

func compressSecp256k1(x, y *big.Int) []byte {
	var fx, fy secp256k1.FieldVal
	fx.SetByteSlice(x.Bytes())
	fy.SetByteSlice(y.Bytes())
	return secp256k1.NewPublicKey(&fx, &fy).SerializeCompressed()
}
