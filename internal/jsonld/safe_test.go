package jsonld_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/credentialflow/cflow/internal/jsonld"
)

func TestCheckSafe(t *testing.T) {
	const v2 = `"@context": ["https://www.w3.org/ns/credentials/v2"]`
	tests := []struct {
		name     string
		examples bool
		doc      string
		code     string // "" means accepted
	}{
		{"ok/minimal-v2", false, `{` + v2 + `, "id": "urn:uuid:1", "type": ["VerifiableCredential"], "issuer": "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2", "validFrom": "2024-01-01T00:00:00Z", "name": "n", "credentialSubject": {"id": "did:example:1"}}`, ""},
		{"ok/examples-vocab", true, `{"@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"], "type": ["VerifiableCredential", "AnyCredential"], "issuer": "https://a.example", "credentialSubject": {"anything": "x"}}`, ""},
		{"ok/blank-node-subject", false, `{` + v2 + `, "type": "VerifiableCredential", "issuer": "https://a.example", "credentialSubject": {"name": "x"}}`, ""},
		{"ok/language-value", false, `{` + v2 + `, "type": "VerifiableCredential", "issuer": "https://a.example", "name": {"@value": "x", "@language": "en"}, "credentialSubject": {"id": "did:example:1"}}`, ""},
		{"fail/undefined-term", false, `{` + v2 + `, "type": "VerifiableCredential", "issuer": "https://a.example", "credentialSubject": {"id": "did:example:1", "alumniOf": "x"}}`, jsonld.CodeUndefinedTerm},
		{"fail/undefined-term-empty-value", false, `{` + v2 + `, "type": "VerifiableCredential", "issuer": "https://a.example", "extra": {}}`, jsonld.CodeUndefinedTerm},
		{"fail/undefined-type", false, `{` + v2 + `, "type": ["VerifiableCredential", "AlumniCredential"], "issuer": "https://a.example", "credentialSubject": {"id": "did:example:1"}}`, jsonld.CodeUndefinedType},
		{"fail/undefined-nested-type", false, `{` + v2 + `, "type": "VerifiableCredential", "issuer": "https://a.example", "credentialSubject": {"id": "did:example:1", "type": "Person"}}`, jsonld.CodeUndefinedType},
		{"fail/relative-id", false, `{` + v2 + `, "id": "cred-1", "type": "VerifiableCredential", "issuer": "https://a.example"}`, jsonld.CodeRelativeIRI},
		{"fail/relative-subject-id", false, `{` + v2 + `, "type": "VerifiableCredential", "issuer": "https://a.example", "credentialSubject": {"id": "subject"}}`, jsonld.CodeRelativeIRI},
		{"fail/relative-issuer", false, `{` + v2 + `, "type": "VerifiableCredential", "issuer": "issuer-1"}`, jsonld.CodeRelativeIRI},
		{"fail/invalid-http-iri", false, `{` + v2 + `, "type": "VerifiableCredential", "issuer": "https://a example/issuer"}`, jsonld.CodeInvalidIRI},
		{"fail/invalid-vocab-term-iri", true, `{"@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"], "type": "VerifiableCredential", "issuer": "https://a.example", "credentialSubject": {"my term": "x"}}`, jsonld.CodeInvalidIRI},
		{"fail/null-value", false, `{` + v2 + `, "type": "VerifiableCredential", "issuer": "https://a.example", "name": null}`, jsonld.CodeDroppedValue},
		{"fail/id-only-top-node", false, `{` + v2 + `, "id": "urn:uuid:1"}`, jsonld.CodeDroppedValue},
		{"fail/remote-context", false, `{"@context": ["https://www.w3.org/ns/credentials/v2", "https://evil.example/ctx"], "type": "VerifiableCredential"}`, jsonld.CodeContextNotAllowed},
		{"fail/examples-off-by-default", false, `{"@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"], "type": "VerifiableCredential"}`, jsonld.CodeContextNotAllowed},
		{"fail/protected-redefinition", false, `{"@context": ["https://www.w3.org/ns/credentials/v2", {"name": "https://evil.example/name"}], "type": "VerifiableCredential", "issuer": "https://a.example", "name": "x"}`, jsonld.CodeInvalid},
		{"fail/inline-context-remote-import", false, `{"@context": [{"@import": "https://evil.example/ctx", "@version": 1.1}], "x": 1}`, jsonld.CodeContextNotAllowed},
	}
	std, ex := jsonld.New(), jsonld.New(jsonld.WithExampleContexts())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc map[string]any
			if err := json.Unmarshal([]byte(tt.doc), &doc); err != nil {
				t.Fatal(err)
			}
			p := std
			if tt.examples {
				p = ex
			}
			err := p.CheckSafe(doc)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var je *jsonld.Error
			if !errors.As(err, &je) {
				t.Fatalf("want code %s, got %v", tt.code, err)
			}
			if je.Code != tt.code {
				t.Fatalf("want code %s, got %s (%v)", tt.code, je.Code, err)
			}
		})
	}
}

// FuzzCheckSafe: any JSON object either passes CheckSafe and then
// canonicalizes without error, or is rejected with a typed *Error.
func FuzzCheckSafe(f *testing.F) {
	f.Add([]byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"VerifiableCredential","issuer":"https://a.example"}`))
	f.Add([]byte(`{"@context":"https://www.w3.org/ns/credentials/v2","id":"x","name":null}`))
	f.Add([]byte(`{"@context":[{"@vocab":"https://v.example/"}],"a":{"@id":"b"},"@type":"T"}`))
	p := jsonld.New()
	f.Fuzz(func(t *testing.T, data []byte) {
		var doc map[string]any
		if json.Unmarshal(data, &doc) != nil {
			return
		}
		exp, err := p.Expand(doc)
		if err != nil {
			var je *jsonld.Error
			if !errors.As(err, &je) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		if _, err := p.CanonicalizeExpanded(exp); err != nil {
			t.Fatalf("checked document failed to canonicalize: %v", err)
		}
	})
}
