package kms

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// MasterKeyFile is the file name of the generated master key in the data dir.
const MasterKeyFile = "master.key"

// LoadMasterKey returns the master key: from env (CFLOW_MASTER_KEY: 32 bytes
// as hex or base64) when set, else from dataDir/master.key, which is created
// with mode 0600 on first use. A key file readable by others is refused.
func LoadMasterKey(dataDir, env string) ([]byte, error) {
	if env != "" {
		return parseMasterKey(env)
	}
	path := filepath.Join(dataDir, MasterKeyFile)
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return createMasterKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("kms: read master key: %w", err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("kms: master key %s has mode %o; it must be readable by its owner only (chmod 600)", path, fi.Mode().Perm())
	}
	return parseMasterKey(strings.TrimSpace(string(raw)))
}

func createMasterKey(path string) ([]byte, error) {
	key := make([]byte, MasterKeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("kms: generate master key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("kms: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("kms: create master key: %w", err)
	}
	if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("kms: write master key: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("kms: sync master key: %w", err)
	}
	return key, f.Close()
}

func parseMasterKey(s string) ([]byte, error) {
	if b, err := hex.DecodeString(s); err == nil && len(b) == MasterKeySize {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == MasterKeySize {
			return b, nil
		}
	}
	return nil, errors.New("kms: master key must be 32 bytes as hex (64 characters) or base64")
}
