// Package didkeytest makes throwaway Ed25519 did:key identities for tests:
// a fresh key, its DID and the key id that signs for it. It is for tests
// only.
package didkeytest

import (
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/credentialflow/cflow/did/didkey"
)

// Party is an Ed25519 did:key identity.
type Party struct {
	DID  string
	KID  string // the DID URL of its one verification method (did:key §3.1.2)
	Priv ed25519.PrivateKey
}

// New returns a Party with a fresh key.
func New(t testing.TB) Party {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatalf("didkeytest: generate key: %v", err)
	}
	d, err := didkey.New(pub)
	if err != nil {
		t.Fatalf("didkeytest: did:key: %v", err)
	}
	return Party{DID: d, KID: d + "#" + strings.TrimPrefix(d, "did:key:"), Priv: priv}
}
