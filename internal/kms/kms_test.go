package kms

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/credentialflow/cflow/internal/store"
)

func newManager(t *testing.T, dir string, master []byte) (*Manager, *store.DB) {
	t.Helper()
	db, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(db.Bucket("kms"), master)
	if err != nil {
		t.Fatal(err)
	}
	return m, db
}

func master(t *testing.T) []byte {
	k := make([]byte, MasterKeySize)
	rand.Read(k)
	return k
}

func TestCreateSignReopen(t *testing.T) {
	for _, kt := range []KeyType{Ed25519, P256, Secp256k1} {
		t.Run("ok/"+string(kt), func(t *testing.T) {
			dir, mk := t.TempDir(), master(t)
			m, db := newManager(t, dir, mk)
			id, pub, err := m.Create(kt)
			if err != nil {
				t.Fatal(err)
			}
			db.Close()
			// A fresh manager (no in-memory cache) opens the sealed key.
			m, db = newManager(t, dir, mk)
			defer db.Close()
			s, err := m.Signer(id)
			if err != nil {
				t.Fatal(err)
			}
			if !publicEqual(s.Public(), pub) {
				t.Fatal("reopened key differs")
			}
			digest := sha256.Sum256([]byte("hello"))
			switch p := pub.(type) {
			case ed25519.PublicKey:
				sig, _ := s.Sign(rand.Reader, []byte("hello"), crypto.Hash(0))
				if !ed25519.Verify(p, []byte("hello"), sig) {
					t.Fatal("Ed25519 signature does not verify")
				}
			case *ecdsa.PublicKey:
				sig, err := s.Sign(rand.Reader, digest[:], crypto.SHA256)
				if err != nil || !ecdsa.VerifyASN1(p, digest[:], sig) {
					t.Fatalf("ECDSA signature does not verify: %v", err)
				}
			}
		})
	}
}

func publicEqual(a, b crypto.PublicKey) bool {
	type eq interface{ Equal(crypto.PublicKey) bool }
	e, ok := a.(eq)
	return ok && e.Equal(b)
}

func TestRefusals(t *testing.T) {
	dir, mk := t.TempDir(), master(t)
	m, db := newManager(t, dir, mk)
	id1, _, _ := m.Create(Ed25519)
	id2, _, _ := m.Create(Ed25519)
	raw1, _ := db.Bucket("kms").Get(id1)
	db.Close()

	t.Run("fail/wrong master key", func(t *testing.T) {
		m, db := newManager(t, dir, master(t))
		defer db.Close()
		if _, err := m.Signer(id1); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("fail/record moved to another id", func(t *testing.T) {
		m, db := newManager(t, dir, mk)
		defer db.Close()
		// Associated data binds the id: key 1's record under id 2 must not open.
		db.Bucket("kms").Put(id2, raw1)
		if _, err := m.Signer(id2); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("fail/unknown id", func(t *testing.T) {
		m, db := newManager(t, dir, mk)
		defer db.Close()
		if _, err := m.Signer("nope"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("fail/short master key", func(t *testing.T) {
		if _, err := New(store.Bucket{}, make([]byte, 16)); err == nil {
			t.Fatal("accepted a 16-byte master key")
		}
	})
	t.Run("fail/unsupported type", func(t *testing.T) {
		m, db := newManager(t, t.TempDir(), mk)
		defer db.Close()
		if _, _, err := m.Create("RSA"); !errors.Is(err, ErrUnsupported) {
			t.Fatalf("got %v", err)
		}
	})
}

// The private key never reaches the disk in clear.
func TestNotInClearOnDisk(t *testing.T) {
	dir := t.TempDir()
	m, db := newManager(t, dir, master(t))
	id, _, _ := m.Create(Ed25519)
	s, _ := m.Signer(id)
	seed := s.(ed25519.PrivateKey).Seed()
	db.Close()
	filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, _ := os.ReadFile(path)
		if bytes.Contains(b, seed) {
			t.Fatalf("seed in clear in %s", path)
		}
		return nil
	})
}

func TestSealOpen(t *testing.T) {
	m, db := newManager(t, t.TempDir(), master(t))
	defer db.Close()
	sealed, err := m.Seal("label", []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := m.Open("label", sealed); err != nil || string(got) != "secret" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := m.Open("other", sealed); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("another label opened it: %v", err)
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := m.Open("label", sealed); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("altered box opened: %v", err)
	}
}

func TestMasterKey(t *testing.T) {
	dir := t.TempDir()
	k1, err := LoadMasterKey(dir, "")
	if err != nil || len(k1) != MasterKeySize {
		t.Fatalf("generate: %v", err)
	}
	fi, _ := os.Stat(filepath.Join(dir, MasterKeyFile))
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("master key mode %o, want 600", fi.Mode().Perm())
	}
	k2, _ := LoadMasterKey(dir, "")
	if !bytes.Equal(k1, k2) {
		t.Fatal("second load generated a new key")
	}
	os.Chmod(filepath.Join(dir, MasterKeyFile), 0o644)
	if _, err := LoadMasterKey(dir, ""); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable key file accepted: %v", err)
	}
	for _, tc := range []struct {
		name, env string
		ok        bool
	}{
		{"ok/hex", strings.Repeat("ab", 32), true},
		{"ok/base64", "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=", true},
		{"fail/short hex", strings.Repeat("ab", 16), false},
		{"fail/garbage", "not a key", false},
	} {
		_, err := LoadMasterKey(t.TempDir(), tc.env)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err = %v", tc.name, err)
		}
	}
}
