package e2e

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestConfigPrecedence: flag > CFLOW_* environment > config file > default.
func TestConfigPrecedence(t *testing.T) {
	t.Parallel()
	t.Run("ok/env-when-no-flag", func(t *testing.T) {
		t.Parallel()
		addr := freeAddr(t)
		startServer(t, "http://"+addr, []string{"CFLOW_ADDR=" + addr}, "--data", t.TempDir())
	})
	t.Run("ok/config-file", func(t *testing.T) {
		t.Parallel()
		addr := freeAddr(t)
		dir := t.TempDir()
		cfg := writeFile(t, dir, "cflow.yaml", fmt.Sprintf("addr: %q\ndata: %q\nroles: [resolver]\n", addr, dir+"/data"))
		startServer(t, "http://"+addr, nil, "--config", cfg)
		// roles from the file: the issuer role is off.
		if r := get(t, "http://"+addr+"/v1/issuers"); r.status != http.StatusNotFound {
			t.Errorf("GET /v1/issuers with roles [resolver] = %s, want 404", r)
		}
	})
	t.Run("ok/env-beats-file", func(t *testing.T) {
		t.Parallel()
		fileAddr, envAddr := freeAddr(t), freeAddr(t)
		dir := t.TempDir()
		cfg := writeFile(t, dir, "cflow.yaml", fmt.Sprintf("addr: %q\n", fileAddr))
		startServer(t, "http://"+envAddr, []string{"CFLOW_ADDR=" + envAddr, "CFLOW_CONFIG=" + cfg}, "--data", dir+"/data")
		notListening(t, fileAddr)
	})
	t.Run("ok/flag-beats-env-and-file", func(t *testing.T) {
		t.Parallel()
		fileAddr, envAddr, flagAddr := freeAddr(t), freeAddr(t), freeAddr(t)
		dir := t.TempDir()
		cfg := writeFile(t, dir, "cflow.json", fmt.Sprintf(`{"addr": %q}`, fileAddr))
		startServer(t, "http://"+flagAddr, []string{"CFLOW_ADDR=" + envAddr}, "--config", cfg, "--addr", flagAddr, "--data", dir+"/data")
		notListening(t, envAddr)
		notListening(t, fileAddr)
	})
	for _, tt := range []struct{ name, file, stderr string }{
		{"fail/unknown-key", "addr: 127.0.0.1:1\nlisten: 127.0.0.1:2\n", `unknown key "listen"`},
		{"fail/bad-value", "max-body: lots\n", "max-body"},
		{"fail/not-yaml", "addr: [\n", "cflow.yaml"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			cfg := writeFile(t, dir, "cflow.yaml", tt.file)
			s := launch(t, nil, "serve", "--config", cfg, "--data", dir+"/data")
			if code := s.wait(t, 10*time.Second); code != 2 || !strings.Contains(s.stderr.String(), tt.stderr) {
				t.Errorf("exit %d, want 2 with %q in stderr:\n%s", code, tt.stderr, s.stderr)
			}
		})
	}
	t.Run("fail/bad-env", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		s := launch(t, []string{"CFLOW_MAX_BODY=lots"}, "serve", "--data", dir)
		if code := s.wait(t, 10*time.Second); code != 2 || !strings.Contains(s.stderr.String(), "CFLOW_MAX_BODY") {
			t.Errorf("exit %d, want 2 naming CFLOW_MAX_BODY:\n%s", code, s.stderr)
		}
	})
}

func notListening(t *testing.T, addr string) {
	t.Helper()
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Errorf("something listens on %s; the setting that lost was used", addr)
	}
}

// TestRestart: SIGTERM stops the server cleanly, and what it keeps in the
// data dir (issuer profiles, the gateway's signing key) survives a restart.
func TestRestart(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	addr := freeAddr(t)
	base := "http://" + addr
	args := []string{"--addr", addr, "--data", data}

	s := startServer(t, base, nil, args...)
	id, did := createIssuer(t, base, "Kept Corp")
	kid := jwksKid(t, base)

	start := time.Now()
	code, err := s.stop(10 * time.Second)
	if err != nil || code != 0 {
		t.Fatalf("SIGTERM: exit %d, %v\n%s", code, err, s.stderr)
	}
	t.Logf("stopped in %s", time.Since(start).Round(time.Millisecond))
	if !strings.Contains(s.stderr.String(), "shutting down") {
		t.Errorf("no shutdown log line:\n%s", s.stderr)
	}

	startServer(t, base, nil, args...)
	r := get(t, base+"/v1/issuers")
	if r.status != http.StatusOK || !bytes.Contains(r.body, []byte(`"`+id+`"`)) || !bytes.Contains(r.body, []byte(`"`+did+`"`)) {
		t.Errorf("GET /v1/issuers after restart = %s, want profile %s (%s)", r, id, did)
	}
	if r := get(t, base+"/v1/issuers/"+id); r.status != http.StatusOK || r.json(t)["did"] != did {
		t.Errorf("GET /v1/issuers/%s after restart = %s", id, r)
	}
	if got := jwksKid(t, base); got != kid {
		t.Errorf("gateway key id %s after restart, want %s (the key must be kept)", got, kid)
	}
}

func jwksKid(t *testing.T, base string) string {
	t.Helper()
	r := get(t, base+"/.well-known/jwks.json")
	keys, _ := r.json(t)["keys"].([]any)
	if r.status != http.StatusOK || len(keys) != 1 {
		t.Fatalf("GET /.well-known/jwks.json = %s, want one key", r)
	}
	k, _ := keys[0].(map[string]any)
	kid, _ := k["kid"].(string)
	if kid == "" || k["d"] != nil {
		t.Fatalf("JWKS key %v: want a kid and no private part", k)
	}
	return kid
}

// TestBodyLimit: --max-body 1024 refuses a 2 KiB body with 413 problem+json.
func TestBodyLimit(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	base := "http://" + addr
	startServer(t, base, nil, "--addr", addr, "--data", t.TempDir(), "--max-body", "1024")
	pad := func(n int) []byte {
		b := bytes.Repeat([]byte(" "), n)
		copy(b, `{"name":"Padded"}`)
		return b
	}
	for _, path := range []string{"/v1/issuers", "/v1/credentials/verify", "/v1/gateway/challenge"} {
		t.Run("fail/2KiB"+path, func(t *testing.T) {
			r := do(t, http.MethodPost, base+path, "application/json", pad(2048))
			if r.status != http.StatusRequestEntityTooLarge || r.header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("got %s %s, want 413 problem+json", r, r.header.Get("Content-Type"))
			}
			p := r.json(t)
			if p["type"] != "https://credentialflow.dev/problems/body-too-large" || p["status"] != float64(413) || p["code"] != "too_large" {
				t.Errorf("problem = %s", r.body)
			}
		})
	}
	t.Run("ok/1KiB", func(t *testing.T) {
		if r := do(t, http.MethodPost, base+"/v1/issuers", "application/json", pad(1024)); r.status != http.StatusCreated {
			t.Errorf("a body at the limit: %s, want 201", r)
		}
	})
}
