package issuer_test

import (
	"context"
	"testing"

	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/did/didjwk"
	"github.com/credentialflow/cflow/did/didkey"
	"github.com/credentialflow/cflow/internal/jsonld"
	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/internal/vc/dataintegrity"
	"github.com/credentialflow/cflow/issuer"
	"github.com/credentialflow/cflow/issuer/issuertest"
	"github.com/credentialflow/cflow/verifier"
)

func newLDPService(t *testing.T) (*issuer.Service, *verifier.Verifier) {
	t.Helper()
	engine := dataintegrity.New(jsonld.New(jsonld.WithExampleContexts()), nil)
	s, _, _ := issuertest.New(t)
	s.UseProofEngine(engine)
	r := did.NewRegistry(map[string]did.Resolver{didkey.Method: didkey.Resolver{}, didjwk.Method: didjwk.Resolver{}})
	return s, verifier.New(verifier.Config{Resolver: r, Proofs: verifier.NewDataIntegrityProofs(engine, r)})
}

func TestIssueLDP(t *testing.T) {
	s, v := newLDPService(t)
	ctx := context.Background()
	ed, err := s.CreateProfile(ctx, issuer.CreateProfileRequest{Name: "ed"})
	if err != nil {
		t.Fatal(err)
	}
	p256, err := s.CreateProfile(ctx, issuer.CreateProfileRequest{Name: "p256", Method: "jwk", KeyType: "P-256"})
	if err != nil {
		t.Fatal(err)
	}
	subject := map[string]any{"id": "did:example:holder", "name": "Alex"}
	v2 := func() map[string]any {
		return map[string]any{"@context": []any{vc.ContextV2, "https://www.w3.org/ns/credentials/examples/v2"},
			"type": []any{"VerifiableCredential", "ExampleCredential"}, "credentialSubject": subject}
	}
	tests := []struct {
		name       string
		profile    *issuer.Profile
		credential map[string]any
		suite      string
		wantSuite  string
		code       string
	}{
		{"ok/default-ed25519", ed, v2(), "", dataintegrity.EddsaRdfc2022, ""},
		{"ok/default-p256", p256, v2(), "", dataintegrity.EcdsaRdfc2019, ""},
		{"ok/eddsa-jcs-2022", ed, v2(), dataintegrity.EddsaJcs2022, dataintegrity.EddsaJcs2022, ""},
		{"ok/vcdm-1.1-gets-data-integrity-context", ed, map[string]any{
			"@context": []any{vc.ContextV1},
			"type":     []any{"VerifiableCredential"}, "credentialSubject": map[string]any{"id": "did:example:holder"}}, "", dataintegrity.EddsaRdfc2022, ""},
		{"fail/ecdsa-suite-on-ed25519", ed, v2(), dataintegrity.EcdsaRdfc2019, "", vc.CodeProofUnsupported},
		{"fail/eddsa-suite-on-p256", p256, v2(), dataintegrity.EddsaRdfc2022, "", vc.CodeProofUnsupported},
		{"fail/unknown-suite", ed, v2(), "bbs-2023", "", vc.CodeProofUnsupported},
		{"fail/undefined-term", ed, map[string]any{"@context": []any{vc.ContextV2},
			"type": []any{"VerifiableCredential"}, "credentialSubject": map[string]any{"id": "did:example:holder", "employee": "Alex"}}, "", "", jsonld.CodeUndefinedTerm},
		{"fail/undefined-type", ed, map[string]any{"@context": []any{vc.ContextV2},
			"type": []any{"VerifiableCredential", "NoSuchCredential"}, "credentialSubject": map[string]any{"id": "did:example:holder"}}, "", "", jsonld.CodeUndefinedType},
		{"fail/relative-id", ed, func() map[string]any {
			m := v2()
			m["credentialSubject"] = map[string]any{"id": "holder", "name": "Alex"}
			return m
		}(), "", "", vc.CodeCredentialInvalid},
		{"fail/remote-context", ed, map[string]any{"@context": []any{vc.ContextV2, "https://example.org/ctx"},
			"type": []any{"VerifiableCredential"}, "credentialSubject": subject}, "", "", jsonld.CodeContextNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := s.Issue(ctx, issuer.Request{Credential: tt.credential,
				Options: issuer.Options{Issuer: tt.profile.ID, Format: "ldp_vc", Cryptosuite: tt.suite}})
			if tt.code != "" {
				if got := vc.CodeOf(err); got != tt.code {
					t.Fatalf("code = %q, want %q (%v)", got, tt.code, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			doc, ok := out.Credential.(map[string]any)
			if !ok {
				t.Fatalf("credential is %T, want an object", out.Credential)
			}
			proof, _ := doc["proof"].(map[string]any)
			if proof["cryptosuite"] != tt.wantSuite || proof["verificationMethod"] != tt.profile.VerificationMethod {
				t.Fatalf("proof = %v", proof)
			}
			if out.Record.Format != "ldp_vc" {
				t.Fatalf("record format %q", out.Record.Format)
			}
			if r := v.VerifyCredential(ctx, doc); !r.Verified {
				t.Fatalf("issued credential does not verify: %+v", r.Errors)
			}
		})
	}
	t.Run("fail/cryptosuite-with-jwt", func(t *testing.T) {
		_, err := s.Issue(ctx, issuer.Request{Credential: v2(), Options: issuer.Options{Issuer: ed.ID, Format: "vc+jwt", Cryptosuite: dataintegrity.EddsaRdfc2022}})
		if got := vc.CodeOf(err); got != vc.CodeUnsupportedFormat {
			t.Fatalf("code = %q (%v)", got, err)
		}
	})
}
