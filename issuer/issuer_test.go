package issuer_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/did/didjwk"
	"github.com/credentialflow/cflow/did/didkey"
	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/internal/vc/vcjose"
	"github.com/credentialflow/cflow/issuer"
	"github.com/credentialflow/cflow/issuer/issuertest"
	"github.com/credentialflow/cflow/verifier"
)

var fixed = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

func newService(t *testing.T) *issuer.Service {
	t.Helper()
	s, _, _ := issuertest.New(t, issuertest.WithNow(func() time.Time { return fixed }))
	return s
}

func TestCreateProfile(t *testing.T) {
	s := newService(t)
	for _, tc := range []struct {
		name   string
		req    issuer.CreateProfileRequest
		prefix string
		kt     string
		err    error
	}{
		{"ok/defaults are did:key Ed25519", issuer.CreateProfileRequest{Name: "HR"}, "did:key:z6Mk", "Ed25519", nil},
		{"ok/did:key P-256", issuer.CreateProfileRequest{Name: "HR", KeyType: "P-256"}, "did:key:zDn", "P-256", nil},
		{"ok/did:jwk P-256", issuer.CreateProfileRequest{Name: "HR", Method: "jwk", KeyType: "P-256"}, "did:jwk:ey", "P-256", nil},
		{"fail/empty name", issuer.CreateProfileRequest{Name: "  "}, "", "", issuer.ErrInvalidRequest},
		{"fail/unknown method", issuer.CreateProfileRequest{Name: "x", Method: "web"}, "", "", issuer.ErrInvalidRequest},
		{"fail/secp256k1 not offered", issuer.CreateProfileRequest{Name: "x", KeyType: "secp256k1"}, "", "", issuer.ErrInvalidRequest},
		{"fail/unknown key type", issuer.CreateProfileRequest{Name: "x", KeyType: "RSA"}, "", "", issuer.ErrInvalidRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := s.CreateProfile(context.Background(), tc.req)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if err != nil {
				return
			}
			if !strings.HasPrefix(p.DID, tc.prefix) || p.KeyType != tc.kt || !strings.HasPrefix(p.VerificationMethod, p.DID+"#") {
				t.Fatalf("profile %+v", p)
			}
			// The verification method the issuer signs with must be an
			// assertionMethod of its own DID.
			reg := did.NewRegistry(map[string]did.Resolver{didkey.Method: didkey.Resolver{}, didjwk.Method: didjwk.Resolver{}})
			if _, _, err := did.ResolveMethod(context.Background(), reg, p.VerificationMethod, did.AssertionMethod); err != nil {
				t.Fatal(err)
			}
			got, err := s.Profile(p.DID)
			if err != nil || got.ID != p.ID {
				t.Fatalf("lookup by DID: %v", err)
			}
		})
	}
}

func TestIssue(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	p, err := s.CreateProfile(ctx, issuer.CreateProfileRequest{Name: "HR"})
	if err != nil {
		t.Fatal(err)
	}
	subject := "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
	cred := func() map[string]any {
		return map[string]any{
			"type":              []any{"VerifiableCredential", "EmployeeCredential"},
			"credentialSubject": map[string]any{"id": subject, "role": "Analyst"},
		}
	}
	v := verifier.New(verifier.Config{Resolver: did.NewRegistry(map[string]did.Resolver{didkey.Method: didkey.Resolver{}}),
		Now: func() time.Time { return fixed }})

	t.Run("ok/jwt_vc_json maps the registered claims (VCDM 1.1 §6.3.1)", func(t *testing.T) {
		out, err := s.Issue(ctx, issuer.Request{Credential: cred(), Options: issuer.Options{Issuer: p.ID}})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := vcjose.Parse(out.Credential.(string))
		if err != nil {
			t.Fatal(err)
		}
		vcClaim := tok.Claims["vc"].(map[string]any)
		for k, want := range map[string]any{"iss": p.DID, "sub": subject, "jti": vcClaim["id"]} {
			if tok.Claims[k] != want {
				t.Errorf("%s = %v, want %v", k, tok.Claims[k], want)
			}
		}
		if tok.Claims["nbf"] != float64(fixed.Unix()) {
			t.Errorf("nbf = %v, want %d", tok.Claims["nbf"], fixed.Unix())
		}
		if tok.Header.Kid != p.VerificationMethod || tok.Header.Alg != "EdDSA" || tok.Header.Typ != "JWT" {
			t.Errorf("header %+v", tok.Header)
		}
		if !strings.HasPrefix(out.Record.ID, "urn:uuid:") || out.Record.Subject != subject || out.Record.Issuer != p.DID {
			t.Errorf("record %+v", out.Record)
		}
		if r := v.VerifyCredential(ctx, out.Credential); !r.Verified {
			t.Fatalf("own credential does not verify: %+v", r.Errors)
		}
		rec, err := s.Record(out.Record.ID)
		if err != nil || rec.Format != "jwt_vc_json" {
			t.Fatalf("record: %+v, %v", rec, err)
		}
	})
	t.Run("ok/vc+jwt", func(t *testing.T) {
		out, err := s.Issue(ctx, issuer.Request{Credential: cred(), Options: issuer.Options{Issuer: p.DID, Format: "vc+jwt"}})
		if err != nil {
			t.Fatal(err)
		}
		tok, _ := vcjose.Parse(out.Credential.(string))
		if tok.Header.Typ != "vc+jwt" || tok.Header.Cty != "vc" || tok.Claims["validFrom"] != "2026-12-03T10:00:00Z" {
			t.Fatalf("header %+v claims %v", tok.Header, tok.Claims)
		}
		if r := v.VerifyCredential(ctx, out.Credential); !r.Verified {
			t.Fatalf("does not verify: %+v", r.Errors)
		}
	})
	for _, tc := range []struct {
		name string
		edit func(map[string]any) issuer.Options
		code string
		err  error
	}{
		{"fail/unknown format", func(map[string]any) issuer.Options { return issuer.Options{Issuer: p.ID, Format: "mso_mdoc"} }, vc.CodeUnsupportedFormat, nil},
		{"fail/unknown issuer", func(map[string]any) issuer.Options { return issuer.Options{Issuer: "nope"} }, "", issuer.ErrProfileNotFound},
		{"fail/no issuer", func(map[string]any) issuer.Options { return issuer.Options{} }, "", issuer.ErrInvalidRequest},
		{"fail/credential names another issuer", func(c map[string]any) issuer.Options {
			c["issuer"] = "did:example:other"
			return issuer.Options{Issuer: p.ID}
		}, vc.CodeIssuerMismatch, nil},
		{"fail/vc+jwt of a 1.1 credential", func(c map[string]any) issuer.Options {
			c["@context"] = []any{vc.ContextV1}
			return issuer.Options{Issuer: p.ID, Format: "vc+jwt"}
		}, vc.CodeUnsupportedFormat, nil},
		{"fail/no credentialSubject", func(c map[string]any) issuer.Options {
			delete(c, "credentialSubject")
			return issuer.Options{Issuer: p.ID}
		}, vc.CodeCredentialInvalid, nil},
		{"fail/type without VerifiableCredential", func(c map[string]any) issuer.Options {
			c["type"] = []any{"EmployeeCredential"}
			return issuer.Options{Issuer: p.ID}
		}, vc.CodeCredentialInvalid, nil},
		{"fail/validUntil before validFrom", func(c map[string]any) issuer.Options {
			c["@context"] = []any{vc.ContextV2}
			c["validFrom"], c["validUntil"] = "2026-01-02T00:00:00Z", "2026-01-01T00:00:00Z"
			return issuer.Options{Issuer: p.ID}
		}, vc.CodeCredentialInvalid, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := cred()
			_, err := s.Issue(ctx, issuer.Request{Credential: c, Options: tc.edit(c)})
			if err == nil {
				t.Fatal("issued")
			}
			if tc.err != nil && !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if tc.code != "" && vc.CodeOf(err) != tc.code {
				t.Fatalf("code = %q (%v), want %q", vc.CodeOf(err), err, tc.code)
			}
		})
	}
}
