// Package issuertest builds an issuer.Service for tests: a fresh store in a
// temp dir (no fsync), a KMS under a random master key, and the service on
// top, all closed when the test ends. It is for tests only; production
// wiring lives in cmd/cflow.
package issuertest

import (
	"crypto/rand"
	"testing"
	"time"

	"github.com/credentialflow/cflow/internal/kms"
	"github.com/credentialflow/cflow/internal/store"
	"github.com/credentialflow/cflow/issuer"
)

// Option changes how New builds the service.
type Option func(*config)

type config struct {
	now func() time.Time
}

// WithNow gives the service a clock (issuer.New's now; nil means time.Now).
func WithNow(now func() time.Time) Option {
	return func(c *config) { c.now = now }
}

// New returns a Service over a new store and KMS, and the store and KMS so
// the caller can enable status lists, did:ethr or anything else on them.
// The store is closed by t.Cleanup.
func New(t testing.TB, opts ...Option) (*issuer.Service, *store.DB, *kms.Manager) {
	t.Helper()
	var c config
	for _, o := range opts {
		o(&c)
	}
	db, err := store.Open(t.TempDir(), store.Options{NoSync: true})
	if err != nil {
		t.Fatalf("issuertest: open store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	master := make([]byte, kms.MasterKeySize)
	if _, err := rand.Read(master); err != nil {
		t.Fatalf("issuertest: master key: %v", err)
	}
	keys, err := kms.New(db.Bucket("kms"), master)
	if err != nil {
		t.Fatalf("issuertest: open kms: %v", err)
	}
	return issuer.New(db, keys, c.now), db, keys
}
