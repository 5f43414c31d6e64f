package verifier_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"testing"
	"time"

	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/did/didkey"
	"github.com/credentialflow/cflow/internal/jsonld"
	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/internal/vc/dataintegrity"
	"github.com/credentialflow/cflow/internal/vc/vcjose"
	"github.com/credentialflow/cflow/verifier"
)

const exampleContext = "https://www.w3.org/ns/credentials/examples/v2"

type ldpFixture struct {
	engine      *dataintegrity.Engine
	v           *verifier.Verifier
	issuer      crypto.Signer
	issuerDID   string
	holder      ed25519.PrivateKey
	holderDID   string
	p256        *ecdsa.PrivateKey
	p256DID     string
	credentials map[string]map[string]any
}

func didKeyVM(tb testing.TB, pub crypto.PublicKey) (string, string) {
	tb.Helper()
	d, err := didkey.New(pub)
	if err != nil {
		tb.Fatal(err)
	}
	return d, vmID(d)
}

func newLDPFixture(tb testing.TB) *ldpFixture {
	tb.Helper()
	// The base contexts define no "employee"; the W3C examples context
	// stands in for an operator-added one.
	f := &ldpFixture{engine: dataintegrity.New(jsonld.New(jsonld.WithExampleContexts()), nil), credentials: map[string]map[string]any{}}
	_, issuer, _ := ed25519.GenerateKey(rand.Reader)
	_, f.holder, _ = ed25519.GenerateKey(rand.Reader)
	f.p256, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	f.issuer = issuer
	f.issuerDID, _ = didKeyVM(tb, issuer.Public())
	f.holderDID, _ = didKeyVM(tb, f.holder.Public())
	f.p256DID, _ = didKeyVM(tb, f.p256.Public())
	resolver := did.NewRegistry(map[string]did.Resolver{didkey.Method: didkey.Resolver{}})
	f.v = verifier.New(verifier.Config{Resolver: resolver, Proofs: verifier.NewDataIntegrityProofs(f.engine, resolver)})
	for _, s := range []struct {
		suite  string
		signer crypto.Signer
		issuer string
	}{
		{dataintegrity.EddsaRdfc2022, issuer, f.issuerDID},
		{dataintegrity.EddsaJcs2022, issuer, f.issuerDID},
		{dataintegrity.EcdsaRdfc2019, f.p256, f.p256DID},
	} {
		f.credentials[s.suite] = f.sign(tb, f.credential(s.issuer), s.signer, dataintegrity.Options{Cryptosuite: s.suite, VerificationMethod: vmID(s.issuer)})
	}
	return f
}

func (f *ldpFixture) credential(issuer string) map[string]any {
	return map[string]any{
		"@context":  []any{vc.ContextV2, exampleContext},
		"id":        "urn:uuid:6a9c92a9-2530-4e2b-9776-530467e9bbe0",
		"type":      []any{"VerifiableCredential", "EmployeeCredential"},
		"issuer":    issuer,
		"validFrom": "2026-01-01T00:00:00Z",
		"credentialSubject": map[string]any{
			"id":       f.holderDID,
			"employee": map[string]any{"name": "Alex Example", "department": "Finance"},
		},
	}
}

func (f *ldpFixture) sign(tb testing.TB, doc map[string]any, signer crypto.Signer, o dataintegrity.Options) map[string]any {
	tb.Helper()
	out, err := f.engine.Sign(context.Background(), doc, signer, o)
	if err != nil {
		tb.Fatal(err)
	}
	// Round trip through JSON, as a verifier receives it.
	raw, _ := json.Marshal(out)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		tb.Fatal(err)
	}
	return m
}

func (f *ldpFixture) presentation(tb testing.TB, challenge, domain string, creds ...any) map[string]any {
	vp := map[string]any{
		"@context":             []any{vc.ContextV2},
		"type":                 []any{"VerifiablePresentation"},
		"holder":               f.holderDID,
		"verifiableCredential": creds,
	}
	return f.sign(tb, vp, f.holder, dataintegrity.Options{Cryptosuite: dataintegrity.EddsaRdfc2022,
		VerificationMethod: vmID(f.holderDID), Purpose: "authentication", Challenge: challenge, Domain: domain})
}

func firstCode(r *verifier.Result) string {
	if len(r.Errors) == 0 {
		return ""
	}
	return r.Errors[0].Code
}

func TestVerifyLDPCredential(t *testing.T) {
	f := newLDPFixture(t)
	edCred := f.credentials[dataintegrity.EddsaRdfc2022]
	mutate := func(fn func(m map[string]any)) map[string]any {
		m, _ := vc.Clone(edCred)
		fn(m)
		return m
	}
	tests := []struct {
		name string
		in   map[string]any
		code string
	}{
		{"ok/eddsa-rdfc-2022", edCred, ""},
		{"ok/eddsa-jcs-2022", f.credentials[dataintegrity.EddsaJcs2022], ""},
		{"ok/ecdsa-rdfc-2019", f.credentials[dataintegrity.EcdsaRdfc2019], ""},
		{"fail/tampered-claim", mutate(func(m map[string]any) {
			m["credentialSubject"].(map[string]any)["employee"].(map[string]any)["department"] = "Treasury"
		}), vc.CodeSignatureInvalid},
		{"fail/no-proof", mutate(func(m map[string]any) { delete(m, "proof") }), vc.CodeProofMissing},
		{"fail/issuer-not-signer", mutate(func(m map[string]any) { m["issuer"] = f.holderDID }), vc.CodeSignatureInvalid},
		{"fail/unknown-context", mutate(func(m map[string]any) {
			m["@context"] = []any{vc.ContextV2, "https://example.com/ctx/v1"}
		}), jsonld.CodeContextNotAllowed},
		{"fail/purpose-authentication", f.sign(t, f.credential(f.issuerDID), f.issuer, dataintegrity.Options{
			Cryptosuite: dataintegrity.EddsaRdfc2022, VerificationMethod: vmID(f.issuerDID), Purpose: "authentication"}), dataintegrity.CodePurposeMismatch},
		{"fail/signer-is-not-issuer", f.sign(t, f.credential(f.issuerDID), f.holder, dataintegrity.Options{
			Cryptosuite: dataintegrity.EddsaRdfc2022, VerificationMethod: vmID(f.holderDID)}), vc.CodeIssuerMismatch},
		{"fail/vm-of-another-did", f.sign(t, f.credential(f.issuerDID), f.issuer, dataintegrity.Options{
			Cryptosuite: dataintegrity.EddsaRdfc2022, VerificationMethod: f.issuerDID + "#nope"}), vc.CodeKeyNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.v.VerifyCredential(context.Background(), tt.in)
			if got := firstCode(r); got != tt.code {
				t.Fatalf("code = %q, want %q (%+v)", got, tt.code, r.Errors)
			}
			if tt.code == "" && (r.Credential == nil || r.Credential.Format != "ldp_vc" || r.Credential.Issuer != tt.in["issuer"]) {
				t.Fatalf("verified credential = %+v", r.Credential)
			}
		})
	}
}

func TestVerifyLDPPresentation(t *testing.T) {
	f := newLDPFixture(t)
	cred := f.credentials[dataintegrity.EddsaRdfc2022]
	const nonce, aud = "n-0S6_WzA2Mj", "https://gateway.example"
	ok := f.presentation(t, nonce, aud, cred)
	tampered, _ := vc.Clone(ok)
	tampered["verifiableCredential"].([]any)[0].(map[string]any)["credentialSubject"].(map[string]any)["employee"].(map[string]any)["department"] = "Treasury"

	// A JWT presentation carrying the ldp credential (issue 5 §1).
	jwtVP, err := vcjose.SignPresentation(map[string]any{
		"@context": []any{vc.ContextV1}, "type": []any{"VerifiablePresentation"}, "verifiableCredential": []any{cred},
	}, vcjose.JWTVPJSON, f.holder, vmID(f.holderDID), f.holderDID, nonce, aud, "", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		in        any
		o         verifier.Options
		code      string
		wantNonce string
	}{
		{"ok/ldp-vp", ok, verifier.Options{Challenge: nonce, Domain: aud}, "", nonce},
		{"ok/ldp-vp-nonce-read-from-proof", ok, verifier.Options{Domain: aud}, "", nonce},
		{"ok/jwt-vp-with-ldp-credential", jwtVP, verifier.Options{Challenge: nonce, Domain: aud}, "", nonce},
		{"fail/wrong-challenge", ok, verifier.Options{Challenge: "other", Domain: aud}, vc.CodeChallengeMismatch, ""},
		{"fail/wrong-domain", ok, verifier.Options{Challenge: nonce, Domain: "https://evil.example"}, vc.CodeDomainMismatch, ""},
		{"fail/tampered-credential", tampered, verifier.Options{Challenge: nonce, Domain: aud}, vc.CodeSignatureInvalid, ""},
		{"fail/holder-not-subject", f.presentation(t, nonce, aud, f.credentials[dataintegrity.EcdsaRdfc2019]), verifier.Options{}, "", nonce},
	}
	// The ecdsa credential's subject is the holder too; make one that is not.
	other := f.credential(f.issuerDID)
	other["credentialSubject"] = map[string]any{"id": f.p256DID}
	otherCred := f.sign(t, other, f.issuer, dataintegrity.Options{Cryptosuite: dataintegrity.EddsaRdfc2022, VerificationMethod: vmID(f.issuerDID)})
	tests[len(tests)-1].in = f.presentation(t, nonce, aud, otherCred)
	tests[len(tests)-1].code, tests[len(tests)-1].wantNonce = vc.CodeHolderMismatch, ""
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.v.VerifyPresentation(context.Background(), tt.in, tt.o)
			if got := firstCode(r); got != tt.code {
				t.Fatalf("code = %q, want %q (%+v)", got, tt.code, r.Errors)
			}
			if tt.code == "" {
				if r.Holder != f.holderDID || r.Nonce != tt.wantNonce || len(r.Credentials) != 1 {
					t.Fatalf("holder %q nonce %q credentials %d", r.Holder, r.Nonce, len(r.Credentials))
				}
			}
		})
	}
}
