package adversarial

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPolicyTypeConfusion: an issuer trusted only for LibraryCard issues a
// credential that also claims the type AdminCredential. The policy trusts
// AdminCredential only from another issuer, so the admin scope must not be
// granted.
func TestPolicyTypeConfusion(t *testing.T) {
	data := t.TempDir()
	s := start(t, data)
	mk := func(name string) (string, string) {
		m := postJSON(t, s.URL+"/v1/issuers", map[string]any{"name": name}).obj(t)
		return m["id"].(string), m["did"].(string)
	}
	libID, libDID := mk("Library")
	_, hrDID := mk("HR")
	s.stop()
	pol := filepath.Join(t.TempDir(), "policy.yaml")
	p := []byte("trustLists:\n  lib: [" + libDID + "]\n  hr: [" + hrDID + "]\n" +
		"policies:\n  - name: p\n    credentials:\n" +
		"      - name: library\n        types: [LibraryCard]\n        issuers: [lib]\n" +
		"      - name: admin\n        types: [AdminCredential]\n        issuers: [hr]\n" +
		"    scopes:\n" +
		"      - scope: library\n        when: credentials.exists(c, \"LibraryCard\" in c.types)\n" +
		"      - scope: admin\n        when: credentials.exists(c, \"AdminCredential\" in c.types)\n")
	_ = json.Marshal
	if err := os.WriteFile(pol, p, 0o600); err != nil {
		t.Fatal(err)
	}
	s = start(t, data, "--policy", pol)
	h := newHolder(t)
	r := postJSON(t, s.URL+"/v1/credentials/issue", map[string]any{
		"credential": map[string]any{"type": []any{"VerifiableCredential", "LibraryCard", "AdminCredential"}, "credentialSubject": map[string]any{"id": h.DID}},
		"options":    map[string]any{"issuer": libID},
	})
	if r.status != 201 {
		t.Fatalf("issue: %s", r)
	}
	cred := r.obj(t)["verifiableCredential"].(string)
	nonce, aud := challenge(t, s)
	er := exchange(t, s, h.sign(t, map[string]any{"alg": "EdDSA", "kid": h.Kid}, h.vpClaims(nonce, aud, cred)))
	if er.status == 200 && strings.Contains(er.obj(t)["scope"].(string), "admin") {
		t.Errorf("the Library issuer granted the admin scope: %s", er)
	}
}
