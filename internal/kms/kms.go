// Package kms generates signing keys and keeps them encrypted at rest with
// AES-256-GCM under a master key; it hands out crypto.Signer values and public
// keys, never private key bytes. It owns the master-key file and the key
// types we sign with; storage is a store.Bucket.
package kms

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/google/uuid"

	"github.com/credentialflow/cflow/internal/store"
)

// KeyType names a key algorithm we generate.
type KeyType string

// Key types. JOSE algorithms: EdDSA, ES256, ES256K.
const (
	Ed25519   KeyType = "Ed25519"
	P256      KeyType = "P-256"
	Secp256k1 KeyType = "secp256k1"
)

// ParseKeyType accepts the names users type ("ed25519", "p256", "P-256", …).
func ParseKeyType(s string) (KeyType, error) {
	switch s {
	case "Ed25519", "ed25519", "":
		return Ed25519, nil
	case "P-256", "p256", "P256", "p-256":
		return P256, nil
	case "secp256k1", "Secp256k1":
		return Secp256k1, nil
	}
	return "", fmt.Errorf("kms: %w: key type %q (want Ed25519, P-256 or secp256k1)", ErrUnsupported, s)
}

// Errors.
var (
	ErrNotFound    = errors.New("kms: key not found")
	ErrUnsupported = errors.New("kms: unsupported")
	// ErrDecrypt means the master key is wrong or a record was altered.
	ErrDecrypt = errors.New("kms: cannot decrypt key (wrong master key or passphrase, or altered record)")
)

// MasterKeySize is the AES-256 key size.
const MasterKeySize = 32

// Manager creates and opens keys.
type Manager struct {
	keys    store.Bucket
	aead    cipher.AEAD
	signers sync.Map // id → crypto.Signer, decrypted once per process
}

// record is what is stored: the private scalar/seed sealed, the rest clear.
type record struct {
	Type   KeyType `json:"type"`
	Nonce  []byte  `json:"nonce"`
	Sealed []byte  `json:"sealed"`
}

// New returns a Manager storing keys in bucket under master.
func New(keys store.Bucket, master []byte) (*Manager, error) {
	if len(master) != MasterKeySize {
		return nil, fmt.Errorf("kms: master key is %d bytes, want %d", len(master), MasterKeySize)
	}
	block, err := aes.NewCipher(master)
	if err != nil {
		return nil, fmt.Errorf("kms: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("kms: %w", err)
	}
	return &Manager{keys: keys, aead: aead}, nil
}

// Create generates a key of type t and stores it; it returns the key id and
// the public key.
func (m *Manager) Create(t KeyType) (string, crypto.PublicKey, error) {
	signer, secret, err := generate(t)
	if err != nil {
		return "", nil, err
	}
	id := uuid.NewString()
	if err := m.put(id, t, secret); err != nil {
		return "", nil, err
	}
	m.signers.Store(id, signer)
	return id, signer.Public(), nil
}

func (m *Manager) put(id string, t KeyType, secret []byte) error {
	nonce := make([]byte, m.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return fmt.Errorf("kms: nonce: %w", err)
	}
	// The id and type are bound as associated data: a record copied under
	// another id, or relabelled, no longer opens.
	rec := record{Type: t, Nonce: nonce, Sealed: m.aead.Seal(nil, nonce, secret, aad(id, t))}
	raw, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("kms: %w", err)
	}
	if err := m.keys.Create(id, raw, 0); err != nil {
		return fmt.Errorf("kms: store key %s: %w", id, err)
	}
	return nil
}

func aad(id string, t KeyType) []byte { return []byte("cflow-kms-v1|" + string(t) + "|" + id) }

// Signer returns a crypto.Signer for key id.
func (m *Manager) Signer(id string) (crypto.Signer, error) {
	if s, ok := m.signers.Load(id); ok {
		return s.(crypto.Signer), nil
	}
	var rec record
	if err := m.keys.GetJSON(id, &rec); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
		}
		return nil, fmt.Errorf("kms: load %s: %w", id, err)
	}
	secret, err := m.aead.Open(nil, rec.Nonce, rec.Sealed, aad(id, rec.Type))
	if err != nil {
		return nil, fmt.Errorf("%w: key %s", ErrDecrypt, id)
	}
	s, err := fromSecret(rec.Type, secret)
	clear(secret)
	if err != nil {
		return nil, fmt.Errorf("kms: key %s: %w", id, err)
	}
	m.signers.Store(id, s)
	return s, nil
}

// Public returns the public key of key id.
func (m *Manager) Public(id string) (crypto.PublicKey, error) {
	s, err := m.Signer(id)
	if err != nil {
		return nil, err
	}
	return s.Public(), nil
}

// Seal encrypts small secrets other than signing keys (the wallet's check
// value) under the master key, bound to label.
func (m *Manager) Seal(label string, plain []byte) ([]byte, error) {
	nonce := make([]byte, m.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("kms: nonce: %w", err)
	}
	return m.aead.Seal(nonce, nonce, plain, []byte("cflow-seal-v1|"+label)), nil
}

// Open decrypts what Seal produced for the same label.
func (m *Manager) Open(label string, sealed []byte) ([]byte, error) {
	n := m.aead.NonceSize()
	if len(sealed) < n {
		return nil, ErrDecrypt
	}
	out, err := m.aead.Open(nil, sealed[:n], sealed[n:], []byte("cflow-seal-v1|"+label))
	if err != nil {
		return nil, ErrDecrypt
	}
	return out, nil
}

func generate(t KeyType) (crypto.Signer, []byte, error) {
	switch t {
	case Ed25519:
		seed := make([]byte, ed25519.SeedSize)
		if _, err := rand.Read(seed); err != nil {
			return nil, nil, fmt.Errorf("kms: %w", err)
		}
		return ed25519.NewKeyFromSeed(seed), seed, nil
	case P256:
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, nil, fmt.Errorf("kms: %w", err)
		}
		secret, err := k.Bytes()
		if err != nil {
			return nil, nil, fmt.Errorf("kms: %w", err)
		}
		return k, secret, nil
	case Secp256k1:
		k, err := secp256k1.GeneratePrivateKey()
		if err != nil {
			return nil, nil, fmt.Errorf("kms: %w", err)
		}
		return k.ToECDSA(), k.Serialize(), nil
	}
	return nil, nil, fmt.Errorf("%w: key type %q", ErrUnsupported, t)
}

func fromSecret(t KeyType, secret []byte) (crypto.Signer, error) {
	switch t {
	case Ed25519:
		if len(secret) != ed25519.SeedSize {
			return nil, errors.New("bad Ed25519 seed length")
		}
		return ed25519.NewKeyFromSeed(secret), nil
	case P256:
		return ecdsa.ParseRawPrivateKey(elliptic.P256(), secret)
	case Secp256k1:
		if len(secret) != 32 {
			return nil, errors.New("bad secp256k1 scalar length")
		}
		return secp256k1.PrivKeyFromBytes(secret).ToECDSA(), nil
	}
	return nil, fmt.Errorf("%w: key type %q", ErrUnsupported, t)
}
