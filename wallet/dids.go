package wallet

import (
	"context"
	"crypto"
	"fmt"
	"sort"
	"time"

	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/did/didjwk"
	"github.com/credentialflow/cflow/did/didkey"
	"github.com/credentialflow/cflow/internal/kms"
)

// DIDEntry is one of the holder's DIDs.
type DIDEntry struct {
	DID     string      `json:"did"`
	Method  string      `json:"method"` // "key", "jwk" or "ethr"
	KeyType kms.KeyType `json:"keyType"`
	// VerificationMethod is the id of the DID's authentication method; it is
	// the kid of every presentation this DID signs.
	VerificationMethod string    `json:"verificationMethod"`
	KeyID              string    `json:"keyId"` // kms key id
	CreatedAt          time.Time `json:"createdAt"`
}

// CreateDID generates a key of keyType (Ed25519 or P-256) in the wallet and
// returns its DID under method "key" (the default when empty) or "jwk".
func (w *Wallet) CreateDID(keyType kms.KeyType, method string) (string, error) {
	if keyType != kms.Ed25519 && keyType != kms.P256 {
		return "", fmt.Errorf("%w: key type %q (Ed25519 or P-256)", ErrUnsupported, keyType)
	}
	var newDID func(crypto.PublicKey) (string, error)
	switch method {
	case didkey.Method, "":
		method, newDID = didkey.Method, didkey.New
	case didjwk.Method:
		newDID = didjwk.New
	default:
		return "", fmt.Errorf("%w: DID method %q (key or jwk)", ErrUnsupported, method)
	}
	keyID, pub, err := w.kms.Create(keyType)
	if err != nil {
		return "", fmt.Errorf("wallet: create DID: %w", err)
	}
	d, err := newDID(pub)
	if err != nil {
		return "", fmt.Errorf("wallet: create DID: %w", err)
	}
	// Ask the resolver rather than rebuilding the fragment rule of each
	// method: the kid must be exactly what verifiers will resolve.
	vm, _, err := did.ResolveMethod(context.Background(), w.resolver, d, did.Authentication)
	if err != nil {
		return "", fmt.Errorf("wallet: create DID: resolve %s: %w", d, err)
	}
	e := DIDEntry{DID: d, Method: method, KeyType: keyType, VerificationMethod: vm.ID, KeyID: keyID, CreatedAt: w.now().UTC()}
	return d, w.storeDID(e)
}

// storeDID seals and stores a new DID entry.
func (w *Wallet) storeDID(e DIDEntry) error {
	id, err := newID()
	if err != nil {
		return err
	}
	sealed, err := w.seal("did", id, e)
	if err != nil {
		return err
	}
	if err := w.dids.Create(id, sealed, 0); err != nil {
		return fmt.Errorf("wallet: store DID: %w", err)
	}
	return nil
}

// DIDs lists the holder's DIDs, oldest first.
func (w *Wallet) DIDs() ([]DIDEntry, error) {
	var out []DIDEntry
	err := w.dids.Each(0, func(id string, sealed []byte) error {
		var e DIDEntry
		if err := w.unseal("did", id, sealed, &e); err != nil {
			return err
		}
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("wallet: list DIDs: %w", err)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, nil
}

// lookupDID returns the entry of d or ErrNotFound.
func (w *Wallet) lookupDID(d string) (DIDEntry, error) {
	all, err := w.DIDs()
	if err != nil {
		return DIDEntry{}, err
	}
	for _, e := range all {
		if e.DID == d {
			return e, nil
		}
	}
	return DIDEntry{}, fmt.Errorf("%w: DID %s is not in this wallet", ErrNotFound, d)
}
