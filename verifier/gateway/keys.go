package gateway

import (
	"crypto"
	"errors"
	"fmt"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"

	"github.com/credentialflow/cflow/internal/kms"
	"github.com/credentialflow/cflow/internal/store"
)

// KeySource hands out the gateway's token-signing key and the set of public
// keys that verify its tokens. It is the seam for key material shared by
// replicas; KMSKeys is the single-node default.
type KeySource interface {
	SigningKey() (crypto.Signer, jwk.Key, error)
	PublicKeys() (jwk.Set, error)
}

// KMSKeys keeps one Ed25519 signing key in kms, created on first use and
// kept across restarts.
type KMSKeys struct {
	signer crypto.Signer
	pub    jwk.Key
}

var _ KeySource = (*KMSKeys)(nil)

const signingKeyName = "signing-key"

// NewKMSKeys loads or creates the gateway key.
func NewKMSKeys(db *store.DB, keys *kms.Manager) (*KMSKeys, error) {
	meta := db.Bucket("gateway")
	id, err := meta.Get(signingKeyName)
	if errors.Is(err, store.ErrNotFound) {
		newID, _, cerr := keys.Create(kms.Ed25519)
		if cerr != nil {
			return nil, fmt.Errorf("gateway: create key: %w", cerr)
		}
		if cerr := meta.Create(signingKeyName, []byte(newID), 0); cerr != nil {
			return nil, fmt.Errorf("gateway: save key id: %w", cerr)
		}
		id = []byte(newID)
	} else if err != nil {
		return nil, fmt.Errorf("gateway: load key id: %w", err)
	}
	signer, err := keys.Signer(string(id))
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	pub, err := jwk.FromRaw(signer.Public())
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	// kid = RFC 7638 thumbprint, so it changes exactly when the key does.
	if err := jwk.AssignKeyID(pub); err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	for k, v := range map[string]any{jwk.AlgorithmKey: jwa.EdDSA, jwk.KeyUsageKey: "sig"} {
		if err := pub.Set(k, v); err != nil {
			return nil, fmt.Errorf("gateway: %w", err)
		}
	}
	return &KMSKeys{signer: signer, pub: pub}, nil
}

// SigningKey returns the current key.
func (k *KMSKeys) SigningKey() (crypto.Signer, jwk.Key, error) { return k.signer, k.pub, nil }

// PublicKeys returns the JWKS.
func (k *KMSKeys) PublicKeys() (jwk.Set, error) {
	set := jwk.NewSet()
	if err := set.AddKey(k.pub); err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	return set, nil
}
