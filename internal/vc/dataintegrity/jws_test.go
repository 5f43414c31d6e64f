package dataintegrity

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"

	"github.com/credentialflow/cflow/internal/jsonld"
)

const legacyCredential = `{
  "@context": ["https://www.w3.org/2018/credentials/v1", "https://w3id.org/security/suites/jws-2020/v1"],
  "id": "urn:uuid:7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
  "type": ["VerifiableCredential"],
  "issuer": "did:example:issuer",
  "issuanceDate": "2024-05-01T12:00:00Z",
  "credentialSubject": {"id": "did:example:holder-1"}
}`

// signLegacy adds a detached-JWS proof the way jsonld-signatures does (the
// proof options take the document's @context), with header hdr.
func signLegacy(t testing.TB, e *Engine, doc map[string]any, typ string, kp keyPair, alg jwa.SignatureAlgorithm, hdr map[string]any) map[string]any {
	t.Helper()
	proof := map[string]any{"type": typ, "created": "2024-05-01T12:00:00Z", "verificationMethod": kp.vm, "proofPurpose": "assertionMethod"}
	cfg := without(proof)
	cfg["@context"] = doc["@context"]
	var payload []byte
	for _, d := range []map[string]any{cfg, doc} {
		nq, err := e.ld.CanonicalizeRDFC(d)
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256([]byte(nq))
		payload = append(payload, h[:]...)
	}
	h := jws.NewHeaders()
	for k, v := range hdr {
		if err := h.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	out, err := jws.Sign(nil, jws.WithKey(alg, kp.priv, jws.WithProtectedHeaders(h)), jws.WithDetachedPayload(payload))
	if err != nil {
		t.Fatal(err)
	}
	proof["jws"] = string(out)
	signed := without(doc)
	signed["proof"] = proof
	return signed
}

func TestLegacyJWSSuites(t *testing.T) {
	e := New(jsonld.New(), nil)
	ed, p256, p384 := genKeys(t)
	keys := newLocalKeys(ed, p256, p384)
	std := map[string]any{"b64": false, "crit": []string{"b64"}}
	v1Only := parse(t, legacyCredential)
	v1Only["@context"] = []any{"https://www.w3.org/2018/credentials/v1"}
	rawHeader := func(h string) func(m map[string]any) {
		return func(m map[string]any) {
			p := m["proof"].(map[string]any)
			parts := strings.Split(p["jws"].(string), ".")
			p["jws"] = base64.RawURLEncoding.EncodeToString([]byte(h)) + ".." + parts[2]
		}
	}
	for name, tc := range map[string]struct {
		doc    map[string]any
		typ    string
		kp     keyPair
		alg    jwa.SignatureAlgorithm
		hdr    map[string]any
		mutate func(map[string]any)
		code   string
	}{
		"ok/Ed25519Signature2018":          {v1Only, TypeEd25519Signature2018, ed, jwa.EdDSA, std, nil, ""},
		"ok/JsonWebSignature2020-EdDSA":    {parse(t, legacyCredential), TypeJsonWebSignature2020, ed, jwa.EdDSA, std, nil, ""},
		"ok/JsonWebSignature2020-ES256":    {parse(t, legacyCredential), TypeJsonWebSignature2020, p256, jwa.ES256, std, nil, ""},
		"ok/JsonWebSignature2020-ES384":    {parse(t, legacyCredential), TypeJsonWebSignature2020, p384, jwa.ES384, std, nil, ""},
		"ok/kid-in-header":                 {v1Only, TypeEd25519Signature2018, ed, jwa.EdDSA, map[string]any{"b64": false, "crit": []string{"b64"}, "kid": ed.vm}, nil, ""},
		"fail/b64-true":                    {v1Only, TypeEd25519Signature2018, ed, jwa.EdDSA, map[string]any{"b64": true, "crit": []string{"b64"}}, nil, CodeProofMalformed},
		"fail/no-b64":                      {v1Only, TypeEd25519Signature2018, ed, jwa.EdDSA, map[string]any{}, nil, CodeProofMalformed},
		"fail/no-crit":                     {v1Only, TypeEd25519Signature2018, ed, jwa.EdDSA, map[string]any{"b64": false}, nil, CodeProofMalformed},
		"fail/extra-header-member":         {v1Only, TypeEd25519Signature2018, ed, jwa.EdDSA, map[string]any{"b64": false, "crit": []string{"b64"}, "jku": "https://evil.example/k"}, nil, CodeProofMalformed},
		"fail/2018-with-ES256":             {v1Only, TypeEd25519Signature2018, p256, jwa.ES256, std, nil, CodeProofTypeUnsupported},
		"fail/alg-none":                    {v1Only, TypeEd25519Signature2018, ed, jwa.EdDSA, std, rawHeader(`{"alg":"none","b64":false,"crit":["b64"]}`), CodeProofTypeUnsupported},
		"fail/alg-HS256":                   {v1Only, TypeEd25519Signature2018, ed, jwa.EdDSA, std, rawHeader(`{"alg":"HS256","b64":false,"crit":["b64"]}`), CodeProofTypeUnsupported},
		"fail/duplicate-alg":               {v1Only, TypeEd25519Signature2018, ed, jwa.EdDSA, std, rawHeader(`{"alg":"EdDSA","alg":"ES256","b64":false,"crit":["b64"]}`), CodeProofMalformed},
		"fail/ES256-header-on-Ed25519-key": {parse(t, legacyCredential), TypeJsonWebSignature2020, ed, jwa.EdDSA, std, rawHeader(`{"alg":"ES256","b64":false,"crit":["b64"]}`), CodeKeyTypeMismatch},
		"fail/attached-payload": {v1Only, TypeEd25519Signature2018, ed, jwa.EdDSA, std, func(m map[string]any) {
			p := m["proof"].(map[string]any)
			p["jws"] = strings.Replace(p["jws"].(string), "..", ".cGF5bG9hZA.", 1)
		}, CodeProofMalformed},
		"fail/proofValue-instead": {v1Only, TypeEd25519Signature2018, ed, jwa.EdDSA, std, func(m map[string]any) {
			p := m["proof"].(map[string]any)
			p["proofValue"] = p["jws"]
			delete(p, "jws")
		}, CodeProofMalformed},
		"fail/tampered-claim": {v1Only, TypeEd25519Signature2018, ed, jwa.EdDSA, std, func(m map[string]any) {
			m["credentialSubject"] = map[string]any{"id": "did:example:holder-2"}
		}, CodeSignatureInvalid},
		"fail/tampered-purpose": {v1Only, TypeEd25519Signature2018, ed, jwa.EdDSA, std, func(m map[string]any) {
			m["proof"].(map[string]any)["created"] = "2025-05-01T12:00:00Z"
		}, CodeSignatureInvalid},
	} {
		t.Run(name, func(t *testing.T) {
			doc := signLegacy(t, e, tc.doc, tc.typ, tc.kp, tc.alg, tc.hdr)
			if tc.mutate != nil {
				tc.mutate(doc)
			}
			_, err := e.Verify(context.Background(), doc, keys, Expect{})
			if got := Code(err); got != tc.code {
				t.Fatalf("code = %q, want %q (%v)", got, tc.code, err)
			}
		})
	}
}

func FuzzParseDetachedJWS(f *testing.F) {
	for _, s := range []string{
		"eyJhbGciOiJFZERTQSIsImI2NCI6ZmFsc2UsImNyaXQiOlsiYjY0Il19..c2ln",
		"eyJhbGciOiJub25lIn0..",
		"a.b.c", "..", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, typ := range []string{TypeEd25519Signature2018, TypeJsonWebSignature2020} {
			a, err := parseDetachedJWS(typ, s)
			if err != nil {
				continue
			}
			if a.fits == nil || !strings.Contains(s, "..") {
				t.Fatalf("accepted %q as %v", s, a.alg)
			}
		}
	})
}

// BenchmarkVerifyEd25519Signature2018 is beside BenchmarkVerify's
// eddsa-rdfc-2022: the same canonicalization, plus a jwx JWS check.
func BenchmarkVerifyEd25519Signature2018(b *testing.B) {
	e := New(jsonld.New(), nil)
	ed, _, _ := genKeys(b)
	doc := parse(b, legacyCredential)
	doc["@context"] = []any{"https://www.w3.org/2018/credentials/v1"}
	signed := signLegacy(b, e, doc, TypeEd25519Signature2018, ed, jwa.EdDSA, map[string]any{"b64": false, "crit": []string{"b64"}})
	keys := newLocalKeys(ed)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.Verify(context.Background(), signed, keys, Expect{}); err != nil {
			b.Fatal(err)
		}
	}
}
