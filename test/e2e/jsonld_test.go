package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
)

// hrContext defines the demo's employee claims; it is no published context,
// so the server serves it only when the operator pins it.
const (
	hrContextURL = "https://hr.example/credentials/v1"
	hrContext    = `{"@context":{"@version":1.1,"@protected":true,
  "EmployeeCredential":"https://hr.example/vocab#EmployeeCredential",
  "employee":"https://hr.example/vocab#employee",
  "department":"https://hr.example/vocab#department",
  "role":"https://hr.example/vocab#role"}}`
)

func employeeLDP(issuerID, holder string, contexts ...any) map[string]any {
	return map[string]any{
		"credential": map[string]any{
			"@context": append([]any{"https://www.w3.org/ns/credentials/v2"}, contexts...),
			"type":     []any{"VerifiableCredential", "EmployeeCredential"},
			"credentialSubject": map[string]any{"id": holder,
				"employee": map[string]any{"name": "Alex Example", "department": "Finance", "role": "Analyst"}},
		},
		"options": map[string]any{"issuer": issuerID, "format": "ldp_vc"},
	}
}

// TestJSONLDContexts: --jsonld-context URL=FILE#sha256 (flag and config
// file) lets the server issue and verify ldp_vc with custom claims; without
// it those claims are refused, and a wrong digest stops start-up.
func TestJSONLDContexts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctxFile := writeFile(t, dir, "hr.jsonld", hrContext)
	sum := sha256.Sum256([]byte(hrContext))
	digest := hex.EncodeToString(sum[:])
	const holder = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"

	for _, how := range []string{"flag", "config-file"} {
		t.Run("ok/"+how, func(t *testing.T) {
			addr := freeAddr(t)
			base := "http://" + addr
			args := []string{"--addr", addr, "--data", t.TempDir()}
			if how == "flag" {
				args = append(args, "--jsonld-context", hrContextURL+"="+ctxFile+"#"+digest)
			} else {
				cfg := writeFile(t, t.TempDir(), "cflow.yaml", "jsonld-context:\n  - "+hrContextURL+"="+ctxFile+"#"+strings.ToUpper(digest)+"\n")
				args = append(args, "--config", cfg)
			}
			startServer(t, base, nil, args...)
			issuerID, _ := createIssuer(t, base, "Example Corp HR")

			r := postJSON(t, base+"/v1/credentials/issue", employeeLDP(issuerID, holder, hrContextURL))
			if r.status != http.StatusCreated {
				t.Fatalf("issue with the pinned context: %s", r)
			}
			cred := r.json(t)["verifiableCredential"]
			if v := postJSON(t, base+"/v1/credentials/verify", map[string]any{"verifiableCredential": cred}); v.status != http.StatusOK || v.json(t)["verified"] != true {
				t.Fatalf("verify: %s", v)
			}

			for name, tc := range map[string]struct {
				body map[string]any
				code string
			}{
				"fail/no-context":      {employeeLDP(issuerID, holder), "jsonld_undefined_term"},
				"fail/unknown-context": {employeeLDP(issuerID, holder, "https://hr.example/credentials/v2"), "context_not_allowed"},
			} {
				r := postJSON(t, base+"/v1/credentials/issue", tc.body)
				if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), tc.code) {
					t.Errorf("%s: %s, want 400 %s", name, r, tc.code)
				}
			}
		})
	}

	// A server without the context refuses a credential that needs it.
	t.Run("fail/not-configured", func(t *testing.T) {
		addr := freeAddr(t)
		base := "http://" + addr
		startServer(t, base, nil, "--addr", addr, "--data", t.TempDir())
		issuerID, _ := createIssuer(t, base, "Example Corp HR")
		if r := postJSON(t, base+"/v1/credentials/issue", employeeLDP(issuerID, holder, hrContextURL)); r.status != http.StatusBadRequest ||
			!strings.Contains(string(r.body), "context_not_allowed") {
			t.Errorf("issue: %s, want 400 context_not_allowed", r)
		}
	})

	wrong := strings.Repeat("0", 64)
	for name, tc := range map[string]struct {
		spec string
		want string
	}{
		"fail/wrong-digest":  {hrContextURL + "=" + ctxFile + "#" + wrong, "sha256 is " + digest},
		"fail/missing-file":  {hrContextURL + "=" + dir + "/nope.jsonld#" + digest, "no such file"},
		"fail/no-digest":     {hrContextURL + "=" + ctxFile, "URL=FILE#sha256hex"},
		"fail/short-digest":  {hrContextURL + "=" + ctxFile + "#abc", "64 hex characters"},
		"fail/not-http":      {"urn:example:ctx=" + ctxFile + "#" + digest, "must be http(s)"},
		"fail/replace-w3c":   {"https://www.w3.org/ns/credentials/v2=" + ctxFile + "#" + digest, "already served"},
		"fail/not-a-context": {hrContextURL + "=" + writeFile(t, dir, "x.json", "{}") + "#" + hex.EncodeToString(sha256Of("{}")), "no top-level @context"},
	} {
		t.Run(name, func(t *testing.T) {
			r := cflow(t, nil, nil, "serve", "--addr", freeAddr(t), "--data", t.TempDir(), "--jsonld-context", tc.spec)
			if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("serve with %s:\n%s\nwant exit 2 and %q", tc.spec, r, tc.want)
			}
		})
	}
}

func sha256Of(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

// TestCredentialSchemaFlag: --credential-schema ID=FILE validates at
// issuance (400 schema_invalid) and verification; a schema that is not
// registered is never fetched and only warns (schema_not_checked).
func TestCredentialSchemaFlag(t *testing.T) {
	t.Parallel()
	const id = "https://schemas.example/employee.json"
	dir := t.TempDir()
	schemaFile := writeFile(t, dir, "employee.json", `{"$schema":"https://json-schema.org/draft/2020-12/schema",
  "properties":{"credentialSubject":{"required":["department"],"properties":{"department":{"enum":["Finance","HR"]}}}}}`)
	addr := freeAddr(t)
	base := "http://" + addr
	startServer(t, base, nil, "--addr", addr, "--data", t.TempDir(), "--credential-schema", id+"="+schemaFile)
	issuerID, _ := createIssuer(t, base, "Example Corp HR")
	issue := func(schemaID, department string) response {
		return postJSON(t, base+"/v1/credentials/issue", map[string]any{
			"credential": map[string]any{
				"@context":          []any{"https://www.w3.org/ns/credentials/v2"},
				"type":              []any{"VerifiableCredential"},
				"credentialSchema":  map[string]any{"id": schemaID, "type": "JsonSchema"},
				"credentialSubject": map[string]any{"id": "did:example:holder", "department": department},
			},
			"options": map[string]any{"issuer": issuerID, "format": "vc+jwt"},
		})
	}
	if r := issue(id, "HR"); r.status != http.StatusCreated || r.json(t)["warnings"] != nil {
		t.Errorf("registered, valid: %s", r)
	}
	if r := issue(id, "Sales"); r.status != http.StatusBadRequest || r.json(t)["code"] != "schema_invalid" {
		t.Errorf("registered, invalid: %s, want 400 schema_invalid", r)
	}
	r := issue("https://schemas.example/other.json", "Sales")
	if r.status != http.StatusCreated || !strings.Contains(string(r.body), `"schema_not_checked"`) {
		t.Fatalf("not registered: %s, want 201 with a schema_not_checked warning", r)
	}
	v := postJSON(t, base+"/v1/credentials/verify", map[string]any{"verifiableCredential": r.json(t)["verifiableCredential"]})
	if v.status != http.StatusOK || v.json(t)["verified"] != true || !strings.Contains(string(v.body), `"schema_not_checked"`) {
		t.Errorf("verify not registered: %s, want verified with a schema_not_checked warning", v)
	}

	for name, spec := range map[string]string{
		"fail/not-a-schema": id + "=" + writeFile(t, dir, "bad.json", `{"type":12}`),
		"fail/missing-file": id + "=" + dir + "/nope.json",
		"fail/no-file":      id,
		"fail/remote-ref":   id + "=" + writeFile(t, dir, "remote.json", `{"$ref":"https://elsewhere.example/s.json"}`),
	} {
		t.Run(name, func(t *testing.T) {
			if r := cflow(t, nil, nil, "serve", "--addr", freeAddr(t), "--data", t.TempDir(), "--credential-schema", spec); r.code != 2 {
				t.Fatalf("serve --credential-schema %s:\n%s\nwant exit 2", spec, r)
			}
		})
	}
}
