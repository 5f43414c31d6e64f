// Package interop_test checks Credentialflow against other implementations:
// @digitalbazaar/vc (Data Integrity, eddsa-rdfc-2022) and did-jwt-vc (JWT)
// through a Node script in this folder, the W3C VCDM 2.0/1.1 test-suite
// inputs, and aries-framework-go's Ed25519Signature2020 suite.
package interop_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/credentialflow/cflow/internal/vc"
)

// needNode skips when the pinned npm packages are not installed, unless CI
// is set: CI runs .ci/install-interop.sh first, so there it is a failure.
func needNode(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(filepath.Join("node_modules", "@digitalbazaar", "vc")); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("test/interop/node_modules is missing under CI; .ci/install-interop.sh must run first: %v", err)
		}
		t.Skip("interop: test/interop/node_modules is absent; run .ci/install-interop.sh (npm ci) to enable the Node interop tests")
	}
	if _, err := exec.LookPath("node"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("interop: node is not on PATH under CI")
		}
		t.Skip("interop: node is not on PATH")
	}
}

// node runs interop.mjs with input written to a temp file and decodes its
// one-line JSON answer.
func node(t testing.TB, cmd string, input []byte, args ...string) map[string]any {
	t.Helper()
	f := filepath.Join(t.TempDir(), "input")
	if err := os.WriteFile(f, input, 0o600); err != nil {
		t.Fatal(err)
	}
	c := exec.Command("node", append([]string{"interop.mjs", cmd, f}, args...)...)
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	done := make(chan error, 1)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- c.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("node %s: %v\n%s", cmd, err, stderr.String())
		}
	case <-time.After(2 * time.Minute):
		c.Process.Kill()
		t.Fatalf("node %s: timed out", cmd)
	}
	var out map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("node %s answered %q: %v", cmd, stdout.String(), err)
	}
	return out
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// exampleCredential uses the W3C examples context for its claims, which
// both sides serve from the same bundled bytes.
func exampleCredential(subject string) map[string]any {
	return map[string]any{
		"@context":  []any{vc.ContextV2, "https://www.w3.org/ns/credentials/examples/v2"},
		"type":      []any{"VerifiableCredential", "ExampleDegreeCredential"},
		"validFrom": "2024-05-01T12:00:00Z",
		"credentialSubject": map[string]any{
			"id":     subject,
			"degree": map[string]any{"type": "ExampleBachelorDegree", "name": "Bachelor of Science and Arts"},
		},
	}
}

// tamperLDP changes a signed claim and keeps the proof.
func tamperLDP(t testing.TB, doc map[string]any) map[string]any {
	t.Helper()
	c, err := vc.Clone(doc)
	if err != nil {
		t.Fatal(err)
	}
	c["credentialSubject"].(map[string]any)["degree"].(map[string]any)["name"] = "Doctor of Philosophy"
	return c
}

// TestCflowToDigitalBazaar: a credential issued over the API as ldp_vc
// (eddsa-rdfc-2022, did:key) verifies with @digitalbazaar/vc; tampered, it
// does not.
func TestCflowToDigitalBazaar(t *testing.T) {
	needNode(t)
	s := newServer(t)
	status, body := s.post("/v1/credentials/issue", map[string]any{"credential": exampleCredential(s.holderID),
		"options": map[string]any{"issuer": s.profile.ID, "format": "ldp_vc"}})
	if status != 201 {
		t.Fatalf("issue: %d %v", status, body)
	}
	cred := body["verifiableCredential"].(map[string]any)
	if p := cred["proof"].(map[string]any); p["cryptosuite"] != "eddsa-rdfc-2022" {
		t.Fatalf("proof = %v", p)
	}
	tests := []struct {
		name string
		cred map[string]any
		want bool
	}{
		{"ok/as-issued", cred, true},
		{"fail/tampered", tamperLDP(t, cred), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := node(t, "verify-ldp", mustJSON(t, tt.cred))
			if out["verified"] != tt.want {
				t.Fatalf("@digitalbazaar/vc verified = %v, want %v (%v)", out["verified"], tt.want, out["error"])
			}
		})
	}
}

// TestDigitalBazaarToCflow: a credential issued by @digitalbazaar/vc
// verifies through POST /v1/credentials/verify; tampered, it is refused
// with signature_invalid.
func TestDigitalBazaarToCflow(t *testing.T) {
	needNode(t)
	s := newServer(t)
	signed := node(t, "issue-ldp", mustJSON(t, exampleCredential(s.holderID)))
	tests := []struct {
		name string
		cred map[string]any
		code string
	}{
		{"ok/as-issued", signed, ""},
		{"fail/tampered", tamperLDP(t, signed), vc.CodeSignatureInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := s.post("/v1/credentials/verify", map[string]any{"verifiableCredential": tt.cred})
			if tt.code == "" && status != 200 {
				t.Fatalf("verify: %d %v: %v", status, body["code"], body["detail"])
			}
			if tt.code != "" && (status != 422 || body["code"] != tt.code) {
				t.Fatalf("verify: %d %v, want 422 %s", status, body["code"], tt.code)
			}
		})
	}
}

// TestCflowJWTToDidJwtVc: a jwt_vc_json credential from cflow verifies with
// did-jwt-vc; one with a changed payload does not.
func TestCflowJWTToDidJwtVc(t *testing.T) {
	needNode(t)
	s := newServer(t)
	status, body := s.post("/v1/credentials/issue", map[string]any{"credential": map[string]any{
		"type":              []any{"VerifiableCredential", "EmployeeCredential"},
		"credentialSubject": map[string]any{"id": s.holderID, "employee": map[string]any{"department": "Finance"}},
	}, "options": map[string]any{"issuer": s.profile.ID, "format": "jwt_vc_json"}})
	if status != 201 {
		t.Fatalf("issue: %d %v", status, body)
	}
	jwt := body["verifiableCredential"].(string)
	tests := []struct {
		name string
		jwt  string
		want bool
	}{
		{"ok/as-issued", jwt, true},
		{"fail/tampered", tamperJWT(t, jwt), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := node(t, "verify-jwt", []byte(tt.jwt))
			if out["verified"] != tt.want {
				t.Fatalf("did-jwt-vc verified = %v, want %v (%v)", out["verified"], tt.want, out["error"])
			}
			if tt.want && out["issuer"] != s.profile.DID {
				t.Fatalf("did-jwt-vc issuer = %v", out["issuer"])
			}
		})
	}
}

var b64 = base64.RawURLEncoding

func tamperJWT(t testing.TB, jwt string) string {
	t.Helper()
	parts := strings.Split(jwt, ".")
	payload, err := b64.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(payload), "Finance", "Treasury", 1)
	if changed == string(payload) {
		t.Fatal("nothing to tamper")
	}
	parts[1] = b64.EncodeToString([]byte(changed))
	return strings.Join(parts, ".")
}
