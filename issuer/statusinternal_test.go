package issuer

import (
	"crypto/rand"
	"testing"

	"github.com/credentialflow/cflow/internal/kms"
	"github.com/credentialflow/cflow/internal/store"
)

// newInternalEnv is a Service with status lists for white-box tests.
func newInternalEnv(t testing.TB) *Service {
	t.Helper()
	db, err := store.Open(t.TempDir(), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	mk := make([]byte, kms.MasterKeySize)
	rand.Read(mk)
	keys, err := kms.New(db.Bucket("kms"), mk)
	if err != nil {
		t.Fatal(err)
	}
	s := New(db, keys, nil)
	if err := s.EnableStatus(db, StatusConfig{BaseURL: "https://issuer.example"}); err != nil {
		t.Fatal(err)
	}
	return s
}
