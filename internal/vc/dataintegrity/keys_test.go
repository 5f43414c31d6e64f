package dataintegrity

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/multiformats/go-multibase"
)

const vectors = "../../../test/vectors"

// Multicodec prefixes (varint-encoded) of the vector key pairs.
var (
	mcEd25519Pub  = []byte{0xed, 0x01}
	mcEd25519Priv = []byte{0x80, 0x26}
	mcP256Pub     = []byte{0x80, 0x24}
	mcP384Pub     = []byte{0x81, 0x24}
	mcP256Priv    = []byte{0x86, 0x26}
	mcP384Priv    = []byte{0x87, 0x26}
)

func mbDecode(t testing.TB, s string, prefix []byte) []byte {
	t.Helper()
	_, b, err := multibase.Decode(s)
	if err != nil || !bytes.HasPrefix(b, prefix) {
		t.Fatalf("decode %s: %v (prefix % x)", s, err, b[:2])
	}
	return b[len(prefix):]
}

// keyPair reads a vector key pair file (optionally one member of it).
type keyPair struct {
	pub  crypto.PublicKey
	priv crypto.Signer
	vm   string // did:key verification method
}

func loadKeyPair(t testing.TB, path, member string) keyPair {
	t.Helper()
	raw := readFile(t, path)
	var all map[string]json.RawMessage
	if err := json.Unmarshal(raw, &all); err != nil {
		t.Fatal(err)
	}
	if member != "" {
		raw = all[member]
	}
	var kp struct{ PublicKeyMultibase, PrivateKeyMultibase, SecretKeyMultibase string }
	if err := json.Unmarshal(raw, &kp); err != nil {
		t.Fatal(err)
	}
	vm := "did:key:" + kp.PublicKeyMultibase + "#" + kp.PublicKeyMultibase
	switch {
	case strings.HasPrefix(kp.PublicKeyMultibase, "z6Mk"):
		seed := mbDecode(t, kp.PrivateKeyMultibase, mcEd25519Priv)
		priv := ed25519.NewKeyFromSeed(seed)
		pub := ed25519.PublicKey(mbDecode(t, kp.PublicKeyMultibase, mcEd25519Pub))
		if !pub.Equal(priv.Public()) {
			t.Fatal("key pair mismatch")
		}
		return keyPair{pub, priv, vm}
	case strings.HasPrefix(kp.PublicKeyMultibase, "zDna"):
		return ecKeyPair(t, elliptic.P256(), mbDecode(t, kp.PublicKeyMultibase, mcP256Pub), mbDecode(t, kp.SecretKeyMultibase, mcP256Priv), vm)
	default:
		return ecKeyPair(t, elliptic.P384(), mbDecode(t, kp.PublicKeyMultibase, mcP384Pub), mbDecode(t, kp.SecretKeyMultibase, mcP384Priv), vm)
	}
}

func ecKeyPair(t testing.TB, c elliptic.Curve, pubc, secret []byte, vm string) keyPair {
	t.Helper()
	x, y := elliptic.UnmarshalCompressed(c, pubc)
	if x == nil {
		t.Fatal("bad compressed point")
	}
	priv, err := ecdsa.ParseRawPrivateKey(c, secret)
	if err != nil {
		t.Fatal(err)
	}
	pub := &ecdsa.PublicKey{Curve: c, X: x, Y: y}
	if !pub.Equal(priv.Public()) {
		t.Fatal("key pair mismatch")
	}
	return keyPair{pub, priv, vm}
}

// localKeys is a KeyResolver over a fixed table, as a did:key resolver
// would answer: every key is authorized for the listed purposes.
type localKeys struct {
	keys     map[string]crypto.PublicKey
	purposes []string
}

func newLocalKeys(kps ...keyPair) *localKeys {
	r := &localKeys{keys: map[string]crypto.PublicKey{}, purposes: []string{"assertionMethod", "authentication"}}
	for _, kp := range kps {
		r.keys[kp.vm] = kp.pub
	}
	return r
}

func (r *localKeys) PublicKey(_ context.Context, vm, purpose string) (crypto.PublicKey, error) {
	k, ok := r.keys[vm]
	if !ok {
		return nil, fmt.Errorf("unknown verification method %s", vm)
	}
	if !slices.Contains(r.purposes, purpose) {
		return nil, fmt.Errorf("%s for %s: %w", vm, purpose, ErrPurposeMismatch)
	}
	return k, nil
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(vectors, path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readJSON(t testing.TB, path string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(readFile(t, path), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func readText(t testing.TB, path string) string {
	t.Helper()
	return strings.TrimSpace(string(readFile(t, path)))
}
