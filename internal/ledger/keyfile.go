package ledger

import (
	"crypto/ecdsa"
	"fmt"
	"os"
	"strings"

	"github.com/ethereum/go-ethereum/crypto"
)

// LoadKey reads a secp256k1 private key written as hex (optionally 0x-prefixed)
// in a file readable by its owner only.
func LoadKey(path string) (*ecdsa.PrivateKey, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKeyFile, err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s is readable by others (mode %o), chmod 600 it", ErrKeyFile, path, st.Mode().Perm())
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKeyFile, err)
	}
	k, err := crypto.HexToECDSA(strings.TrimPrefix(strings.TrimSpace(string(raw)), "0x"))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: not a hex secp256k1 key", ErrKeyFile, path)
	}
	return k, nil
}

// WriteKey stores k as hex in path with mode 0600, durably.
func WriteKey(path string, k *ecdsa.PrivateKey) error {
	return writeFileSync(path, []byte(fmt.Sprintf("%x\n", crypto.FromECDSA(k))), 0o600)
}

// loadOrCreateKey returns the key in path, creating a fresh one first if the
// file does not exist.
func loadOrCreateKey(path string) (*ecdsa.PrivateKey, error) {
	if _, err := os.Stat(path); os.IsNotExist(err) {
		k, err := crypto.GenerateKey()
		if err != nil {
			return nil, fmt.Errorf("ledger: generate key: %w", err)
		}
		if err := WriteKey(path, k); err != nil {
			return nil, err
		}
	}
	return LoadKey(path)
}
