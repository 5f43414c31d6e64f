package verifier_test

import (
	"context"
	"slices"
	"testing"

	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/did/didkey"
	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/internal/vc/dataintegrity"
	"github.com/credentialflow/cflow/internal/vc/vcjose"
	"github.com/credentialflow/cflow/verifier"
)

const employeeSchemaID = "https://schemas.example/employee.json"

// employeeSchema requires a department; it leaves out proof on purpose
// (the schema judges the credential without its proof).
const employeeSchema = `{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object",
  "required":["credentialSubject"],"not":{"required":["proof"]},
  "properties":{"credentialSubject":{"type":"object","required":["employee"],
    "properties":{"employee":{"type":"object","required":["department"],"properties":{"department":{"enum":["Finance","HR"]}}}}}}}`

func TestCredentialSchema(t *testing.T) {
	ctx := context.Background()
	f := newLDPFixture(t)
	schemas := vc.NewSchemas()
	if err := schemas.Add(employeeSchemaID, []byte(employeeSchema)); err != nil {
		t.Fatal(err)
	}
	resolver := did.NewRegistry(map[string]did.Resolver{didkey.Method: didkey.Resolver{}})
	v := verifier.New(verifier.Config{Resolver: resolver, Proofs: verifier.NewDataIntegrityProofs(f.engine, resolver), Schemas: schemas})

	withSchema := func(id, department string) map[string]any {
		doc := f.credential(f.issuerDID)
		doc["credentialSchema"] = map[string]any{"id": id, "type": "JsonSchema"}
		doc["credentialSubject"].(map[string]any)["employee"].(map[string]any)["department"] = department
		return doc
	}
	ldp := func(doc map[string]any) any {
		return f.sign(t, doc, f.issuer, dataintegrity.Options{Cryptosuite: dataintegrity.EddsaRdfc2022, VerificationMethod: vmID(f.issuerDID)})
	}
	jwt := func(doc map[string]any) any {
		c, err := vc.ParseCredential(doc)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := vcjose.SignCredential(c, vcjose.VCJWT, f.issuer, vmID(f.issuerDID))
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	for name, tc := range map[string]struct {
		in      any
		code    string
		warning string
		check   bool
	}{
		"ok/ldp-registered":       {ldp(withSchema(employeeSchemaID, "Finance")), "", "", true},
		"ok/jwt-registered":       {jwt(withSchema(employeeSchemaID, "HR")), "", "", true},
		"ok/ldp-not-registered":   {ldp(withSchema("https://schemas.example/other.json", "Sales")), "", vc.CodeSchemaNotChecked, false},
		"ok/jwt-not-registered":   {jwt(withSchema("https://schemas.example/other.json", "Sales")), "", vc.CodeSchemaNotChecked, false},
		"fail/ldp-schema-invalid": {ldp(withSchema(employeeSchemaID, "Sales")), vc.CodeSchemaInvalid, "", false},
		"fail/jwt-schema-invalid": {jwt(withSchema(employeeSchemaID, "Sales")), vc.CodeSchemaInvalid, "", false},
		"ok/no-credential-schema": {f.credentials[dataintegrity.EddsaRdfc2022], "", "", false},
	} {
		t.Run(name, func(t *testing.T) {
			r := v.VerifyCredential(ctx, tc.in)
			if got := firstCode(r); got != tc.code {
				t.Fatalf("code = %q, want %q (%+v)", got, tc.code, r.Errors)
			}
			var warnings []string
			for _, w := range r.Warnings {
				warnings = append(warnings, w.Code)
			}
			if (tc.warning == "") != (len(warnings) == 0) || (tc.warning != "" && !slices.Equal(warnings, []string{tc.warning})) {
				t.Fatalf("warnings = %v, want %q", warnings, tc.warning)
			}
			if slices.Contains(r.Checks, verifier.CheckSchema) != tc.check {
				t.Fatalf("checks = %v, want %s: %v", r.Checks, verifier.CheckSchema, tc.check)
			}
		})
	}

	// In a presentation, the credential's warning reaches the result.
	vp := f.presentation(t, "c", "d", ldp(withSchema("https://schemas.example/other.json", "Sales")))
	r := v.VerifyPresentation(ctx, vp, verifier.Options{Challenge: "c", Domain: "d"})
	if !r.Verified || len(r.Warnings) != 1 || r.Warnings[0].Code != vc.CodeSchemaNotChecked {
		t.Fatalf("presentation: verified %v, warnings %+v, errors %+v", r.Verified, r.Warnings, r.Errors)
	}
}
