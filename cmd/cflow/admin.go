package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// adminTokenFile is where `cflow serve` keeps the admin token in its data dir.
const adminTokenFile = "admin.token"

// serverAdminToken returns the token the issuer's write endpoints require:
// CFLOW_ADMIN_TOKEN when set, else <data>/admin.token, created (0600) on
// first start with 256 random bits.
func serverAdminToken(dataDir string) (string, error) {
	if t := strings.TrimSpace(os.Getenv("CFLOW_ADMIN_TOKEN")); t != "" {
		return t, nil
	}
	path := filepath.Join(dataDir, adminTokenFile)
	if t, err := readAdminToken(path); err == nil {
		return t, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("admin token: %w", err)
	}
	t := base64.RawURLEncoding.EncodeToString(b)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("admin token: %w", err)
	}
	if _, err := f.WriteString(t + "\n"); err != nil {
		f.Close()
		return "", fmt.Errorf("admin token: %w", err)
	}
	return t, f.Close()
}

func readAdminToken(path string) (string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	t := strings.TrimSpace(string(raw))
	if t == "" {
		return "", fmt.Errorf("admin token file %s is empty", path)
	}
	return t, nil
}

// clientAdminToken is the token the issuer-side commands send:
// CFLOW_ADMIN_TOKEN, else the file (default cflow-data/admin.token, the
// server's default data dir on this machine).
func clientAdminToken(file string) (string, error) {
	if t := strings.TrimSpace(os.Getenv("CFLOW_ADMIN_TOKEN")); t != "" {
		return t, nil
	}
	t, err := readAdminToken(file)
	if err != nil {
		return "", usageErr("no admin token: set CFLOW_ADMIN_TOKEN or --admin-token-file (%v)", err)
	}
	return t, nil
}

// adminClient is an HTTP client that presents the admin token on every
// request that carries no Authorization header of its own.
func adminClient(token string) *http.Client {
	return &http.Client{Transport: adminTransport{token: token, next: http.DefaultTransport}}
}

type adminTransport struct {
	token string
	next  http.RoundTripper
}

func (t adminTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Header.Get("Authorization") == "" {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+t.token)
	}
	return t.next.RoundTrip(r)
}
