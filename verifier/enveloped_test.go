package verifier_test

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/internal/vc/vcjose"
	"github.com/credentialflow/cflow/verifier"
)

func TestEnveloped(t *testing.T) {
	const jws = "eyJhbGciOiJFUzI1NiJ9.eyJ2YyI6e319.c2ln"
	for name, tc := range map[string]struct {
		id, kind, want string
	}{
		"ok/vc+jwt":                {"data:application/vc+jwt," + jws, "vc", jws},
		"ok/vc-ld+jwt":             {"data:application/vc-ld+jwt," + jws, "vc", jws},
		"ok/vc-ld+jwt;base64url":   {"data:application/vc-ld+jwt;base64url," + jws, "vc", jws},
		"ok/vc+jwt;base64url":      {"data:application/vc+jwt;base64url," + jws, "vc", jws},
		"ok/vc+jwt;base64":         {"data:application/vc+jwt;base64," + base64.StdEncoding.EncodeToString([]byte(jws)), "vc", jws},
		"ok/vp+jwt":                {"data:application/vp+jwt," + jws, "vp", jws},
		"ok/vp-ld+jwt;base64url":   {"data:application/vp-ld+jwt;base64url," + jws, "vp", jws},
		"ok/media-type-case":       {"data:Application/VC+JWT;BASE64URL," + jws, "vc", jws},
		"fail/vp-as-vc":            {"data:application/vp+jwt," + jws, "vc", ""},
		"fail/other-type":          {"data:application/jwt," + jws, "vc", ""},
		"fail/sd-jwt":              {"data:application/vc+sd-jwt," + jws + "~", "vc", ""},
		"fail/empty":               {"data:application/vc+jwt,", "vc", ""},
		"fail/no-comma":            {"data:application/vc+jwt", "vc", ""},
		"fail/other-param":         {"data:application/vc+jwt;charset=utf-8," + jws, "vc", ""},
		"fail/two-params":          {"data:application/vc+jwt;base64url;base64," + jws, "vc", ""},
		"fail/base64-not-base64":   {"data:application/vc+jwt;base64," + jws, "vc", ""},
		"fail/not-a-jws":           {"data:application/vc+jwt,hello", "vc", ""},
		"fail/not-data-url":        {"https://example.com/vc.jwt", "vc", ""},
		"fail/json-not-jws-base64": {"data:application/vc+jwt;base64," + base64.StdEncoding.EncodeToString([]byte(`{"a":1}`)), "vc", ""},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := verifier.Enveloped(map[string]any{"id": tc.id}, tc.kind)
			if got != tc.want || (tc.want == "") != (err != nil) {
				t.Fatalf("Enveloped = %q, %v; want %q", got, err, tc.want)
			}
			if err != nil && vc.CodeOf(err) != vc.CodeCredentialInvalid {
				t.Fatalf("code %q", vc.CodeOf(err))
			}
		})
	}
}

// TestVerifyEnveloped: enveloped credentials (each data URL form) inside an
// ldp_vp, and an enveloped presentation, verify end to end.
func TestVerifyEnveloped(t *testing.T) {
	ctx := context.Background()
	f := newLDPFixture(t)
	doc := f.credential(f.issuerDID)
	c, err := vc.ParseCredential(doc)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := vcjose.SignCredential(c, vcjose.VCJWT, f.issuer, vmID(f.issuerDID))
	if err != nil {
		t.Fatal(err)
	}
	for _, prefix := range []string{"data:application/vc+jwt,", "data:application/vc-ld+jwt;base64url,", "data:application/vc+jwt;base64url,"} {
		env := map[string]any{"@context": vc.ContextV2, "type": "EnvelopedVerifiableCredential", "id": prefix + jws}
		if r := f.v.VerifyCredential(ctx, env); !r.Verified {
			t.Errorf("%s credential: %+v", prefix, r.Errors)
		}
		vp := f.presentation(t, "c", "d", env)
		if r := f.v.VerifyPresentation(ctx, vp, verifier.Options{Challenge: "c", Domain: "d"}); !r.Verified || len(r.Credentials) != 1 {
			t.Errorf("%s in ldp_vp: %+v", prefix, r.Errors)
		}
		tampered := map[string]any{"@context": vc.ContextV2, "type": "EnvelopedVerifiableCredential", "id": prefix + tamper(jws)}
		if r := f.v.VerifyCredential(ctx, tampered); r.Verified || firstCode(r) != vc.CodeSignatureInvalid {
			t.Errorf("%s tampered: %+v", prefix, r.Errors)
		}
	}

	// An enveloped presentation (vp+jwt) with an enveloped credential.
	vpDoc := map[string]any{"@context": []any{vc.ContextV2}, "type": []any{"VerifiablePresentation"},
		"verifiableCredential": []any{map[string]any{"@context": vc.ContextV2, "type": "EnvelopedVerifiableCredential", "id": "data:application/vc+jwt," + jws}}}
	vpJWS, err := vcjose.SignPresentation(vpDoc, vcjose.VPJWT, f.holder, vmID(f.holderDID), f.holderDID, "n-1", "https://rp.example", "", time.Now(), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for _, prefix := range []string{"data:application/vp+jwt,", "data:application/vp-ld+jwt;base64url,"} {
		env := map[string]any{"@context": vc.ContextV2, "type": "EnvelopedVerifiablePresentation", "id": prefix + vpJWS}
		r := f.v.VerifyPresentation(ctx, env, verifier.Options{Challenge: "n-1", Domain: "https://rp.example"})
		if !r.Verified || r.Holder != f.holderDID || len(r.Credentials) != 1 {
			t.Errorf("%s presentation: verified %v holder %s errors %+v", prefix, r.Verified, r.Holder, r.Errors)
		}
	}
	if r := f.v.VerifyPresentation(ctx, map[string]any{"type": "EnvelopedVerifiablePresentation", "id": "data:application/vc+jwt," + vpJWS}, verifier.Options{}); r.Verified {
		t.Error("a vp+jwt under a vc media type verified")
	}
}

func FuzzEnveloped(f *testing.F) {
	for _, s := range []string{"data:application/vc+jwt,a.b.c", "data:application/vc-ld+jwt;base64url,a.b.c", "data:application/vc+jwt;base64,YS5iLmM=", "data:,", "data:application/vp+jwt;x,a.b.c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		jws, err := verifier.Enveloped(map[string]any{"id": id}, "vc")
		if err == nil && (strings.Count(jws, ".") != 2 || !strings.HasPrefix(id, "data:")) {
			t.Fatalf("accepted %q → %q", id, jws)
		}
	})
}
