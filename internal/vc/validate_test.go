package vc

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"slices"
	"testing"

	"github.com/multiformats/go-multibase"
)

func credWith(extra map[string]any) map[string]any {
	doc := map[string]any{
		"@context":          []any{ContextV2},
		"type":              []any{TypeCredential},
		"issuer":            "did:example:issuer",
		"credentialSubject": map[string]any{"id": "did:example:subject"},
	}
	for k, v := range extra {
		doc[k] = v
	}
	return doc
}

func TestParseCredentialShapes(t *testing.T) {
	content := []byte("hello")
	sum := sha256.Sum256(content)
	sri := "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
	mh := append([]byte{0x12, 0x20}, sum[:]...)
	mb, _ := multibase.Encode(multibase.Base58BTC, mh)
	tests := []struct {
		name  string
		extra map[string]any
		ok    bool
	}{
		{"ok/name-string", map[string]any{"name": "Badge"}, true},
		{"ok/name-language-list", map[string]any{"name": []any{map[string]any{"@value": "Chien", "@language": "fr", "@direction": "ltr"}}}, true},
		{"fail/name-extra-member", map[string]any{"name": map[string]any{"@value": "x", "url": "y"}}, false},
		{"fail/name-bad-direction", map[string]any{"name": map[string]any{"@value": "x", "@direction": "up"}}, false},
		{"fail/description-number", map[string]any{"description": 3.0}, false},
		{"ok/schema", map[string]any{"credentialSchema": map[string]any{"id": "https://s.example/1", "type": "JsonSchema"}}, true},
		{"fail/schema-no-type", map[string]any{"credentialSchema": map[string]any{"id": "https://s.example/1"}}, false},
		{"fail/schema-no-id", map[string]any{"credentialSchema": map[string]any{"type": "JsonSchema"}}, false},
		{"fail/terms-empty", map[string]any{"termsOfUse": map[string]any{}}, false},
		{"fail/evidence-no-type", map[string]any{"evidence": []any{map[string]any{"id": "https://e.example"}}}, false},
		{"ok/related-sri", map[string]any{"relatedResource": []any{map[string]any{"id": "https://r.example/a", "digestSRI": sri}}}, true},
		{"ok/related-multibase", map[string]any{"relatedResource": []any{map[string]any{"id": "https://r.example/a", "digestMultibase": mb}}}, true},
		{"fail/related-no-digest", map[string]any{"relatedResource": []any{map[string]any{"id": "https://r.example/a"}}}, false},
		{"fail/related-duplicate", map[string]any{"relatedResource": []any{
			map[string]any{"id": "https://r.example/a", "digestSRI": sri}, map[string]any{"id": "https://r.example/a", "digestSRI": sri}}}, false},
		{"fail/related-bad-sri", map[string]any{"relatedResource": []any{map[string]any{"id": "https://r.example/a", "digestSRI": "md5-AAAA"}}}, false},
		{"fail/proof-no-type", map[string]any{"proof": map[string]any{"proofValue": "z1"}}, false},
		{"fail/context-number", map[string]any{"@context": []any{ContextV2, 3.0}}, false},
		{"fail/status-id-list", map[string]any{"credentialStatus": map[string]any{"type": "X", "id": []any{"https://a", "https://b"}}}, false},
		{"fail/subject-empty", map[string]any{"credentialSubject": map[string]any{}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCredential(credWith(tt.extra))
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && CodeOf(err) != CodeCredentialInvalid {
				t.Fatalf("code = %q", CodeOf(err))
			}
		})
	}
	t.Run("ok/verify-related-resource", func(t *testing.T) {
		doc := credWith(map[string]any{"relatedResource": []any{map[string]any{"id": "https://r.example/a", "digestSRI": sri, "digestMultibase": mb}}})
		if err := VerifyRelatedResource(doc, "https://r.example/a", content); err != nil {
			t.Fatal(err)
		}
		if err := VerifyRelatedResource(doc, "https://r.example/a", []byte("other")); CodeOf(err) != CodeRelatedResource {
			t.Fatalf("tampered content: %v", err)
		}
	})
}

func TestSchemas(t *testing.T) {
	s := NewSchemas()
	const id = "https://schemas.example/employee.json"
	schema := `{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object",
	  "properties":{"credentialSubject":{"type":"object","required":["employee"]}},"required":["credentialSubject"]}`
	if err := s.Add(id, []byte(schema)); err != nil {
		t.Fatal(err)
	}
	// closed allows only what a credential has before it is secured.
	const closed = "https://schemas.example/closed.json"
	if err := s.Add(closed, []byte(`{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object",
	  "properties":{"@context":{},"type":{},"id":{},"issuer":{},"validFrom":{},"credentialSubject":{"required":["employee"],"properties":{"id":{},"employee":{}},"additionalProperties":false},"credentialSchema":{}},
	  "additionalProperties":false}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.Add("https://schemas.example/remote.json", []byte(`{"$ref":"https://elsewhere.example/s.json"}`)); err == nil {
		t.Fatal("a schema with a remote $ref compiled (it must never be fetched)")
	}
	tests := []struct {
		name      string
		subject   map[string]any
		schema    any // credentialSchema
		proof     bool
		code      string
		unchecked []string
	}{
		{"ok/valid", map[string]any{"id": "did:example:s", "employee": "Alex"}, map[string]any{"id": id, "type": TypeJSONSchema}, false, "", nil},
		{"ok/proof-not-validated", map[string]any{"id": "did:example:s", "employee": "Alex"}, map[string]any{"id": closed, "type": TypeJSONSchema}, true, "", nil},
		{"ok/unknown-schema-unchecked", map[string]any{"id": "did:example:s"}, map[string]any{"id": "https://schemas.example/other.json", "type": TypeJSONSchema}, false, "", []string{"https://schemas.example/other.json"}},
		{"ok/other-type-unchecked", map[string]any{"id": "did:example:s"}, map[string]any{"id": id, "type": "JsonSchemaCredential"}, false, "", []string{id}},
		{"fail/missing-claim", map[string]any{"id": "did:example:s"}, map[string]any{"id": id, "type": TypeJSONSchema}, false, CodeSchemaInvalid, nil},
		{"fail/second-of-two", map[string]any{"id": "did:example:s", "employee": "Alex", "extra": 1}, []any{
			map[string]any{"id": "https://schemas.example/other.json", "type": TypeJSONSchema},
			map[string]any{"id": closed, "type": TypeJSONSchema}}, false, CodeSchemaInvalid, []string{"https://schemas.example/other.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fields := map[string]any{"credentialSubject": tt.subject, "credentialSchema": tt.schema}
			if tt.proof {
				fields["proof"] = map[string]any{"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
					"verificationMethod": "did:example:i#k", "proofPurpose": "assertionMethod", "proofValue": "z1"}
			}
			raw, _ := json.Marshal(credWith(fields))
			var doc map[string]any
			json.Unmarshal(raw, &doc)
			c, err := ParseCredential(doc)
			if err != nil {
				t.Fatal(err)
			}
			unchecked, err := s.Validate(c)
			if got := CodeOf(err); got != tt.code {
				t.Fatalf("code = %q, want %q (%v)", got, tt.code, err)
			}
			if !slices.Equal(unchecked, tt.unchecked) {
				t.Fatalf("unchecked = %v, want %v", unchecked, tt.unchecked)
			}
			// Without schemas, nothing fails and every entry is unchecked.
			if un, err := (*Schemas)(nil).Validate(c); err != nil || len(un) != len(schemaList(tt.schema)) {
				t.Fatalf("nil Schemas: %v, %v", un, err)
			}
		})
	}
	if !s.Has(id) || s.Has("https://schemas.example/other.json") || (*Schemas)(nil).Has(id) {
		t.Fatal("Has")
	}
}

func schemaList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

func FuzzParseCredential(f *testing.F) {
	seed, _ := json.Marshal(credWith(map[string]any{"name": []any{map[string]any{"@value": "x", "@language": "en"}},
		"relatedResource": []any{map[string]any{"id": "https://r.example", "digestSRI": "sha256-AAAA"}}}))
	f.Add(seed)
	f.Add([]byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"VerifiablePresentation","verifiableCredential":[{"type":"EnvelopedVerifiableCredential","id":"data:application/vc+jwt,e"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var doc map[string]any
		if json.Unmarshal(data, &doc) != nil {
			return
		}
		if c, err := ParseCredential(doc); err == nil && c.Issuer == "" {
			t.Fatal("accepted a credential without an issuer")
		}
		ParsePresentation(doc)
	})
}
