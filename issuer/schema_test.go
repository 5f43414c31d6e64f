package issuer_test

import (
	"context"
	"testing"

	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/issuer"
)

func TestIssueCredentialSchema(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	p, err := s.CreateProfile(ctx, issuer.CreateProfileRequest{Name: "hr"})
	if err != nil {
		t.Fatal(err)
	}
	const id = "https://schemas.example/employee.json"
	schemas := vc.NewSchemas()
	if err := schemas.Add(id, []byte(`{"$schema":"https://json-schema.org/draft/2020-12/schema",
	  "properties":{"credentialSubject":{"required":["department"],"properties":{"department":{"enum":["Finance","HR"]}}}}}`)); err != nil {
		t.Fatal(err)
	}
	s.UseSchemas(schemas)
	req := func(schemaID, department string) issuer.Request {
		return issuer.Request{
			Credential: map[string]any{
				"@context":          []any{vc.ContextV2},
				"type":              []any{"VerifiableCredential"},
				"credentialSchema":  map[string]any{"id": schemaID, "type": vc.TypeJSONSchema},
				"credentialSubject": map[string]any{"id": "did:example:holder", "department": department},
			},
			Options: issuer.Options{Issuer: p.ID, Format: "vc+jwt"},
		}
	}
	for name, tc := range map[string]struct {
		req     issuer.Request
		code    string
		warning string
	}{
		"ok/registered":          {req(id, "HR"), "", ""},
		"ok/not-registered-warn": {req("https://schemas.example/other.json", "Sales"), "", vc.CodeSchemaNotChecked},
		"fail/schema-invalid":    {req(id, "Sales"), vc.CodeSchemaInvalid, ""},
	} {
		t.Run(name, func(t *testing.T) {
			out, err := s.Issue(ctx, tc.req)
			if got := vc.CodeOf(err); got != tc.code {
				t.Fatalf("code = %q, want %q (%v)", got, tc.code, err)
			}
			if err != nil {
				return
			}
			switch {
			case tc.warning == "" && len(out.Warnings) != 0,
				tc.warning != "" && (len(out.Warnings) != 1 || out.Warnings[0].Code != tc.warning):
				t.Fatalf("warnings = %+v, want %q", out.Warnings, tc.warning)
			}
		})
	}
}
