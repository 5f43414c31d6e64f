package gateway

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/credentialflow/cflow/internal/store"
)

// Nonce errors.
var (
	ErrNonceUnknown = errors.New("nonce was not issued here or has expired")
	ErrNonceReused  = errors.New("nonce was already used")
)

// NonceStore issues one-time challenges. It is the seam for a store shared by
// several gateway replicas; the badger store is the single-node default.
type NonceStore interface {
	Issue(ctx context.Context, ttl time.Duration) (string, error)
	// Consume marks the nonce used; of concurrent callers exactly one succeeds.
	Consume(ctx context.Context, nonce string) error
}

// BadgerNonces keeps nonces in the embedded store.
type BadgerNonces struct {
	db     *store.DB
	issued store.Bucket
	used   store.Bucket
}

var _ NonceStore = (*BadgerNonces)(nil)

// NewBadgerNonces returns a nonce store in db.
func NewBadgerNonces(db *store.DB) *BadgerNonces {
	return &BadgerNonces{db: db, issued: db.Bucket("gw-nonce"), used: db.Bucket("gw-nonce-used")}
}

// Issue creates a random 128-bit nonce valid for ttl.
func (n *BadgerNonces) Issue(_ context.Context, ttl time.Duration) (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("gateway: nonce: %w", err)
	}
	nonce := base64.RawURLEncoding.EncodeToString(b)
	// The expiry travels with the entry so a used marker outlives it.
	exp := time.Now().Add(ttl).UTC().Format(time.RFC3339Nano)
	if err := n.issued.Create(nonce, []byte(exp), ttl); err != nil {
		return "", fmt.Errorf("gateway: store nonce: %w", err)
	}
	return nonce, nil
}

// Consume moves the nonce from issued to used in one transaction.
func (n *BadgerNonces) Consume(_ context.Context, nonce string) error {
	if len(nonce) == 0 || len(nonce) > 128 {
		return ErrNonceUnknown
	}
	return n.db.Update(func(tx store.Tx) error {
		exp, err := tx.Get(n.issued, nonce)
		if errors.Is(err, store.ErrNotFound) {
			if _, uerr := tx.Get(n.used, nonce); uerr == nil {
				return ErrNonceReused
			}
			return ErrNonceUnknown
		}
		if err != nil {
			return err
		}
		if err := tx.Delete(n.issued, nonce); err != nil {
			return err
		}
		// Remember the use until well after the nonce would have expired.
		keep := time.Hour
		if t, perr := time.Parse(time.RFC3339Nano, string(exp)); perr == nil && time.Until(t) > 0 {
			keep += time.Until(t)
		}
		return tx.Put(n.used, nonce, []byte{1}, keep)
	})
}
