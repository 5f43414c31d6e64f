package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/credentialflow/cflow/internal/jsonld"
	"github.com/credentialflow/cflow/internal/kms"
	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/internal/vc/dataintegrity"
	"github.com/credentialflow/cflow/internal/vc/vcjose"
	"github.com/credentialflow/cflow/verifier"
)

// testEngine is shared: contexts are parsed once for the whole package.
var testEngine = dataintegrity.New(jsonld.New(), nil)

// issueLDP signs an ldp_vc about subject with eddsa-rdfc-2022. version 1
// uses the VCDM 1.1 context plus data-integrity v2.
func (is *issuer) issueLDP(t testing.TB, version int, subject string, mod func(map[string]any)) map[string]any {
	t.Helper()
	doc := map[string]any{
		"@context":          []any{vc.ContextV2},
		"id":                "urn:uuid:" + uuid.NewString(),
		"type":              []any{vc.TypeCredential},
		"issuer":            is.did,
		"validFrom":         vc.FormatDateTime(time.Now().Add(-time.Hour)),
		"credentialSubject": map[string]any{"id": subject},
	}
	if version == 1 {
		doc["@context"] = []any{vc.ContextV1, contextDataIntegrity}
		doc["issuanceDate"] = doc["validFrom"]
		delete(doc, "validFrom")
	}
	if mod != nil {
		mod(doc)
	}
	s, err := is.km.Signer(is.keyID)
	if err != nil {
		t.Fatal(err)
	}
	out, err := testEngine.Sign(context.Background(), doc, s, dataintegrity.Options{
		Cryptosuite: dataintegrity.EddsaRdfc2022, VerificationMethod: is.kid,
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReceiveLDP(t *testing.T) {
	ctx := context.Background()
	is := newIssuer(t)
	for name, c := range map[string]struct {
		input    func(holder string) []byte
		wantErr  error
		wantCode string
		version  int
	}{
		"ok/bare": {input: func(h string) []byte { return mustJSON(t, is.issueLDP(t, 2, h, nil)) }},
		"ok/issue-answer": {input: func(h string) []byte {
			return mustJSON(t, map[string]any{"verifiableCredential": is.issueLDP(t, 2, h, nil)})
		}},
		"ok/vcdm-1.1": {input: func(h string) []byte { return mustJSON(t, is.issueLDP(t, 1, h, nil)) }, version: 1},
		"fail/tampered": {input: func(h string) []byte {
			d := is.issueLDP(t, 2, h, nil)
			d["validFrom"] = vc.FormatDateTime(time.Now().Add(-48 * time.Hour))
			return mustJSON(t, d)
		}, wantErr: ErrRejected, wantCode: vc.CodeSignatureInvalid},
		"fail/undefined-term": {input: func(h string) []byte {
			d := is.issueLDP(t, 2, h, nil)
			d["credentialSubject"].(map[string]any)["role"] = "admin"
			return mustJSON(t, d)
		}, wantErr: ErrRejected, wantCode: jsonld.CodeUndefinedTerm},
		"fail/expired": {input: func(h string) []byte {
			return mustJSON(t, is.issueLDP(t, 2, h, func(d map[string]any) {
				d["validFrom"] = vc.FormatDateTime(time.Now().Add(-48 * time.Hour))
				d["validUntil"] = vc.FormatDateTime(time.Now().Add(-24 * time.Hour))
			}))
		}, wantErr: ErrRejected, wantCode: vc.CodeExpired},
		"fail/no-proof": {input: func(h string) []byte {
			d := is.issueLDP(t, 2, h, nil)
			delete(d, "proof")
			return mustJSON(t, map[string]any{"verifiableCredential": d})
		}, wantErr: ErrInput},
		"fail/proof-only-shell": {input: func(string) []byte { return []byte(`{"verifiableCredential":{"proof":{}}}`) }, wantErr: ErrRejected, wantCode: vc.CodeCredentialInvalid},
		"fail/duplicate-key": {input: func(h string) []byte {
			return []byte(`{"proof":{},"proof":{}}`)
		}, wantErr: ErrInput},
	} {
		t.Run(name, func(t *testing.T) {
			w, _ := newWallet(t)
			holder, err := w.CreateDID(kms.Ed25519, "key")
			if err != nil {
				t.Fatal(err)
			}
			in := c.input(holder)
			e, err := w.Receive(ctx, in, nil, false)
			if c.wantErr != nil {
				if !errors.Is(err, c.wantErr) {
					t.Fatalf("err = %v, want %v", err, c.wantErr)
				}
				if c.wantCode != "" && vc.CodeOf(err) != c.wantCode {
					t.Fatalf("code = %q, want %q (%v)", vc.CodeOf(err), c.wantCode, err)
				}
				if l, _ := w.List(); len(l) != 0 {
					t.Fatalf("stored %d after a refusal", len(l))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if e.Format != FormatLDPVC || e.Issuer != is.did || e.Subject != holder || !strings.HasPrefix(e.CredentialID, "urn:uuid:") {
				t.Fatalf("entry %+v", e)
			}
			got, err := w.Get(e.ID)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := got.Credential()
			if err != nil {
				t.Fatal(err)
			}
			if first, _ := firstContext(doc.(map[string]any)); (c.version == 1) != (first == vc.ContextV1) {
				t.Fatalf("stored @context %v", doc.(map[string]any)["@context"])
			}
			if strings.ContainsAny(got.Raw, "\n\t") || !json.Valid([]byte(got.Raw)) {
				t.Fatalf("stored raw is not compact JSON: %q", got.Raw)
			}
			// The stored form verifies on its own, and a second receive is a duplicate.
			if r := testLDPVerifier(w).VerifyCredential(ctx, doc); !r.Verified {
				t.Fatalf("stored credential does not verify: %+v", r.Errors)
			}
			if _, err := w.Receive(ctx, in, nil, false); !errors.Is(err, ErrDuplicate) {
				t.Fatalf("second receive: %v, want ErrDuplicate", err)
			}
		})
	}
}

func testLDPVerifier(w *Wallet) *verifier.Verifier {
	return verifier.New(verifier.Config{Resolver: w.resolver, Proofs: verifier.NewDataIntegrityProofs(testEngine, w.resolver)})
}

func TestPresentLDP(t *testing.T) {
	ctx := context.Background()
	w, _ := newWallet(t)
	is := newIssuer(t)
	edHolder, _ := w.CreateDID(kms.Ed25519, "key")
	p256Holder, _ := w.CreateDID(kms.P256, "jwk")
	v1Holder, _ := w.CreateDID(kms.Ed25519, "key")
	receive := func(raw []byte) Entry {
		t.Helper()
		e, err := w.Receive(ctx, raw, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	ldp1 := receive(mustJSON(t, is.issueLDP(t, 2, edHolder, nil)))
	ldp2 := receive(mustJSON(t, is.issueLDP(t, 2, edHolder, nil)))
	_ = receive(mustJSON(t, is.issueLDP(t, 2, p256Holder, nil)))
	ldpV1 := receive(mustJSON(t, is.issueLDP(t, 1, v1Holder, nil)))
	jwt11 := receive([]byte(is.issue(t, v1Holder, nil, nil)))
	vcJWT := receive([]byte(is.issueVCJWT(t, edHolder)))
	const challenge, domain = "ldp-nonce-1", "https://gateway.example"

	for name, tc := range map[string]struct {
		ids       []string
		holder    string
		suite     string
		wantTypes []string // of the embedded credentials
	}{
		"ok/eddsa-two-ldp":       {[]string{ldp1.ID, ldp2.ID}, "", dataintegrity.EddsaRdfc2022, []string{"ldp_vc", "ldp_vc"}},
		"ok/ecdsa-p256-did-jwk":  {nil, p256Holder, dataintegrity.EcdsaRdfc2019, []string{"ldp_vc"}},
		"ok/vcdm-1.1":            {[]string{ldpV1.ID}, "", dataintegrity.EddsaRdfc2022, []string{"ldp_vc"}},
		"ok/enveloped-vc+jwt":    {[]string{ldp1.ID, vcJWT.ID}, "", dataintegrity.EddsaRdfc2022, []string{"ldp_vc", "vc+jwt"}},
		"ok/all-of-holder-mixed": {nil, edHolder, dataintegrity.EddsaRdfc2022, []string{"ldp_vc", "ldp_vc", "vc+jwt"}},
	} {
		t.Run(name, func(t *testing.T) {
			vp, err := w.PresentLDP(ctx, nil, challenge, domain, tc.ids, tc.holder)
			if err != nil {
				t.Fatal(err)
			}
			proof, _ := vp["proof"].(map[string]any)
			if proof["cryptosuite"] != tc.suite || proof["proofPurpose"] != "authentication" ||
				proof["challenge"] != challenge || proof["domain"] != domain || proof["expires"] == nil {
				t.Fatalf("proof %v", proof)
			}
			// Round trip through JSON, as a gateway receives it.
			var doc map[string]any
			if err := json.Unmarshal(mustJSON(t, vp), &doc); err != nil {
				t.Fatal(err)
			}
			res := testLDPVerifier(w).VerifyPresentation(ctx, doc, verifier.Options{Challenge: challenge, Domain: domain})
			if !res.Verified {
				t.Fatalf("ldp_vp did not verify: %+v", res.Errors)
			}
			var formats []string
			for _, c := range res.Credentials {
				formats = append(formats, c.Format)
			}
			if !slices.Equal(formats, tc.wantTypes) {
				t.Fatalf("credential formats %v, want %v", formats, tc.wantTypes)
			}
			for _, c := range []string{verifier.CheckHolder, verifier.CheckChallenge, verifier.CheckDomain} {
				if !slices.Contains(res.Checks, c) {
					t.Errorf("check %s did not run: %v", c, res.Checks)
				}
			}
			for name, o := range map[string]struct {
				opts verifier.Options
				code string
			}{
				"challenge": {verifier.Options{Challenge: "other", Domain: domain}, vc.CodeChallengeMismatch},
				"domain":    {verifier.Options{Challenge: challenge, Domain: "https://evil.example"}, vc.CodeDomainMismatch},
			} {
				if r := testLDPVerifier(w).VerifyPresentation(ctx, doc, o.opts); r.Verified || r.Errors[0].Code != o.code {
					t.Errorf("other %s: %+v, want %s", name, r.Errors, o.code)
				}
			}
			// Swapping the holder is caught by the signature.
			doc["holder"] = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
			if r := testLDPVerifier(w).VerifyPresentation(ctx, doc, verifier.Options{Challenge: challenge, Domain: domain}); r.Verified {
				t.Errorf("tampered holder verified")
			}
		})
	}

	t.Run("ok/expires-after-ttl", func(t *testing.T) {
		vp, err := w.PresentLDP(ctx, nil, challenge, domain, []string{ldp1.ID}, "")
		if err != nil {
			t.Fatal(err)
		}
		p := vp["proof"].(map[string]any)
		c, _ := time.Parse(time.RFC3339, p["created"].(string))
		x, _ := time.Parse(time.RFC3339, p["expires"].(string))
		if x.Sub(c) != PresentationTTL {
			t.Fatalf("expires - created = %v, want %v", x.Sub(c), PresentationTTL)
		}
		later := verifier.New(verifier.Config{Resolver: w.resolver, Proofs: verifier.NewDataIntegrityProofs(
			dataintegrity.New(jsonld.New(), func() time.Time { return x.Add(time.Second) }), w.resolver)})
		if r := later.VerifyPresentation(ctx, vp, verifier.Options{Challenge: challenge, Domain: domain}); r.Verified || r.Errors[0].Code != dataintegrity.CodeProofExpired {
			t.Fatalf("after expiry: %+v", r.Errors)
		}
	})

	for name, tc := range map[string]struct {
		ids               []string
		challenge, domain string
		want              error
	}{
		"fail/jwt_vc_json":    {[]string{jwt11.ID}, challenge, domain, ErrUnsupported},
		"fail/mixed-versions": {[]string{ldpV1.ID, ldp1.ID}, challenge, domain, ErrNoHolder},
		"fail/no-challenge":   {[]string{ldp1.ID}, "", domain, nil},
		"fail/no-domain":      {[]string{ldp1.ID}, challenge, "", nil},
		"fail/unknown":        {[]string{"0123456789abcdef"}, challenge, domain, ErrNotFound},
	} {
		t.Run(name, func(t *testing.T) {
			vp, err := w.PresentLDP(ctx, nil, tc.challenge, tc.domain, tc.ids, "")
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("PresentLDP = %v, %v; want %v", vp != nil, err, tc.want)
			}
		})
	}
	t.Run("fail/mixed-versions-one-holder", func(t *testing.T) {
		other := receive(mustJSON(t, is.issueLDP(t, 2, v1Holder, nil)))
		if _, err := w.PresentLDP(ctx, nil, challenge, domain, []string{ldpV1.ID, other.ID}, ""); !errors.Is(err, ErrUnsupported) {
			t.Fatalf("err = %v, want ErrUnsupported", err)
		}
	})
}

// TestPresentJWTWithLDP: a jwt_vp_json carries an ldp_vc as its object.
func TestPresentJWTWithLDP(t *testing.T) {
	ctx := context.Background()
	w, _ := newWallet(t)
	is := newIssuer(t)
	holder, _ := w.CreateDID(kms.Ed25519, "key")
	ldp, err := w.Receive(ctx, mustJSON(t, is.issueLDP(t, 2, holder, nil)), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	jwtCred, err := w.Receive(ctx, []byte(is.issue(t, holder, nil, nil)), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := w.Present(ctx, "n", "https://rp.example", []string{ldp.ID, jwtCred.ID}, "")
	if err != nil {
		t.Fatal(err)
	}
	pt, err := vcjose.Parse(tok)
	if err != nil {
		t.Fatal(err)
	}
	creds := pt.Claims["vp"].(map[string]any)["verifiableCredential"].([]any)
	if _, ok := creds[0].(map[string]any); !ok {
		t.Fatalf("ldp_vc embedded as %T, want an object", creds[0])
	}
	if creds[1] != jwtCred.Raw {
		t.Fatalf("JWT credential embedded as %v", creds[1])
	}
	res := testLDPVerifier(w).VerifyPresentation(ctx, tok, verifier.Options{Challenge: "n", Domain: "https://rp.example"})
	if !res.Verified || len(res.Credentials) != 2 || res.Credentials[0].Format != FormatLDPVC {
		t.Fatalf("verified %v, %d credentials, errors %+v", res.Verified, len(res.Credentials), res.Errors)
	}
	// A JWT-only verifier refuses the embedded proof rather than skip it.
	if r := testVerifier(w).VerifyPresentation(ctx, tok, verifier.Options{}); r.Verified || r.Errors[0].Code != vc.CodeProofUnsupported {
		t.Fatalf("verifier without proofs: %+v", r.Errors)
	}
}

// issueVCJWT signs a VCDM 2.0 vc+jwt credential.
func (is *issuer) issueVCJWT(t testing.TB, subject string) string {
	t.Helper()
	c, err := vc.ParseCredential(map[string]any{
		"@context":          []any{vc.ContextV2},
		"type":              []any{vc.TypeCredential},
		"issuer":            is.did,
		"validFrom":         vc.FormatDateTime(time.Now().Add(-time.Hour)),
		"credentialSubject": map[string]any{"id": subject},
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err := is.km.Signer(is.keyID)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := vcjose.SignCredential(c, vcjose.VCJWT, s, is.kid)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestTokenLDP: the subject_token is the ldp_vp's JSON, bound to the
// gateway's nonce and audience.
func TestTokenLDP(t *testing.T) {
	ctx := context.Background()
	w, _ := newWallet(t)
	is := newIssuer(t)
	holder, _ := w.CreateDID(kms.Ed25519, "key")
	if _, err := w.Receive(ctx, mustJSON(t, is.issueLDP(t, 2, holder, nil)), nil, false); err != nil {
		t.Fatal(err)
	}
	const nonce = "bGRwLW5vbmNl"
	var aud string // the gateway's own URL: the wallet presents to no other
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "application/json")
		if r.URL.Path == ChallengePath {
			json.NewEncoder(rw).Encode(Challenge{Nonce: nonce, Audience: aud, ExpiresIn: 300})
			return
		}
		var doc map[string]any
		if err := json.Unmarshal([]byte(r.PostFormValue("subject_token")), &doc); err != nil {
			t.Errorf("subject_token is not JSON: %v", err)
		}
		res := testLDPVerifier(w).VerifyPresentation(r.Context(), doc, verifier.Options{Challenge: nonce, Domain: aud})
		if !res.Verified || r.PostFormValue("subject_token_type") != TokenTypeJWT {
			rw.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(rw).Encode(map[string]string{"error": "invalid_grant"})
			return
		}
		json.NewEncoder(rw).Encode(TokenResponse{AccessToken: "at." + res.Holder, TokenType: "Bearer"})
	}))
	defer srv.Close()
	aud = srv.URL
	tr, err := w.TokenLDP(ctx, nil, srv.URL, nil, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	if tr.AccessToken != "at."+holder {
		t.Fatalf("access token %q", tr.AccessToken)
	}
}
