package interop_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	jsonldld "github.com/piprate/json-gold/ld"

	ariesjsonld "github.com/hyperledger/aries-framework-go/pkg/doc/signature/jsonld"
	"github.com/hyperledger/aries-framework-go/pkg/doc/signature/signer"
	"github.com/hyperledger/aries-framework-go/pkg/doc/signature/suite"
	"github.com/hyperledger/aries-framework-go/pkg/doc/signature/suite/ed25519signature2018"
	"github.com/hyperledger/aries-framework-go/pkg/doc/signature/suite/jsonwebsignature2020"
	ariesverifiable "github.com/hyperledger/aries-framework-go/pkg/doc/verifiable"

	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/did/didkey"
	"github.com/credentialflow/cflow/internal/jsonld"
	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/internal/vc/dataintegrity"
	"github.com/credentialflow/cflow/verifier"
)

// p256Signer is an aries signer that makes JWS ES256 signatures (r||s).
type p256Signer struct{ k *ecdsa.PrivateKey }

func (s p256Signer) Sign(data []byte) ([]byte, error) {
	h := sha256.Sum256(data)
	r, ss, err := ecdsa.Sign(rand.Reader, s.k, h[:])
	if err != nil {
		return nil, err
	}
	out := make([]byte, 64)
	r.FillBytes(out[:32])
	ss.FillBytes(out[32:])
	return out, nil
}
func (s p256Signer) Alg() string { return "ES256" }

// ariesLoader serves our embedded contexts to aries, plus the older URL
// aries hard-codes into JWS proof options (https://w3id.org/security/jws/v1,
// the same document as suites/jws-2020/v1).
type ariesLoader struct{ p *jsonld.Processor }

func (l ariesLoader) LoadDocument(u string) (*jsonldld.RemoteDocument, error) {
	if u == "https://w3id.org/security/jws/v1" {
		u = "https://w3id.org/security/suites/jws-2020/v1"
	}
	return l.p.LoadDocument(u)
}

// ariesSignLegacy has aries-framework-go v0.3.2 sign a VCDM 1.1 credential
// with a JWS-based linked data suite and returns it as JSON.
func ariesSignLegacy(t *testing.T, proofType string, s signer.SignatureSuite, contexts []any, ld ariesLoader, issuer, vm string) map[string]any {
	t.Helper()
	unsigned, _ := json.Marshal(map[string]any{
		"@context":          contexts,
		"id":                "urn:uuid:7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
		"type":              []any{"VerifiableCredential"},
		"issuer":            issuer,
		"issuanceDate":      "2024-05-01T12:00:00Z",
		"credentialSubject": map[string]any{"id": "did:example:holder-1"},
	})
	cred, err := ariesverifiable.ParseCredential(unsigned, ariesverifiable.WithDisabledProofCheck(),
		ariesverifiable.WithJSONLDDocumentLoader(ld))
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	err = cred.AddLinkedDataProof(&ariesverifiable.LinkedDataProofContext{
		SignatureType: proofType, Suite: s,
		SignatureRepresentation: ariesverifiable.SignatureJWS, Created: &created,
		VerificationMethod: vm, Purpose: "assertionMethod",
	}, ariesjsonld.WithDocumentLoader(ld))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := cred.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestAriesLegacySuites: Ed25519Signature2018 and JsonWebSignature2020
// proofs aries-framework-go makes (detached JWS, b64 false) verify with
// ours; a changed claim, a changed proof option and a re-encoded JWS header
// do not.
func TestAriesLegacySuites(t *testing.T) {
	ld := ariesLoader{jsonld.New()}
	engine := dataintegrity.New(ld.p, nil)
	edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)

	for name, tc := range map[string]struct {
		proofType string
		suite     signer.SignatureSuite
		contexts  []any
		pub       crypto.PublicKey
		alg       string
	}{
		"ok/Ed25519Signature2018": {dataintegrity.TypeEd25519Signature2018,
			ed25519signature2018.New(suite.WithSigner(ed25519Signer{edPriv})),
			[]any{vc.ContextV1}, edPub, "EdDSA"},
		"ok/JsonWebSignature2020-Ed25519": {dataintegrity.TypeJsonWebSignature2020,
			jsonwebsignature2020.New(suite.WithSigner(ed25519Signer{edPriv})),
			[]any{vc.ContextV1, "https://w3id.org/security/suites/jws-2020/v1"}, edPub, "EdDSA"},
		"ok/JsonWebSignature2020-P256": {dataintegrity.TypeJsonWebSignature2020,
			jsonwebsignature2020.New(suite.WithSigner(p256Signer{p256})),
			[]any{vc.ContextV1, "https://w3id.org/security/suites/jws-2020/v1"}, &p256.PublicKey, "ES256"},
	} {
		t.Run(name, func(t *testing.T) {
			issuer, err := didkey.New(tc.pub)
			if err != nil {
				t.Fatal(err)
			}
			doc := ariesSignLegacy(t, tc.proofType, tc.suite, tc.contexts, ld, issuer, holderVM(issuer))
			proof := doc["proof"].(map[string]any)
			jwsValue, _ := proof["jws"].(string)
			if proof["type"] != tc.proofType || !strings.Contains(jwsValue, "..") {
				t.Fatalf("aries proof = %v", proof)
			}
			verify := func(d map[string]any, pub crypto.PublicKey) error {
				_, err := engine.Verify(context.Background(), d, oneKey{pub}, dataintegrity.Expect{})
				return err
			}
			if err := verify(doc, tc.pub); err != nil {
				t.Fatalf("ours: %v", err)
			}
			// The whole verifier pipeline, resolving the did:key issuer.
			resolver := did.NewRegistry(map[string]did.Resolver{didkey.Method: didkey.Resolver{}})
			v := verifier.New(verifier.Config{Resolver: resolver, Proofs: verifier.NewDataIntegrityProofs(engine, resolver)})
			if r := v.VerifyCredential(context.Background(), doc); !r.Verified || r.Credential.Format != "ldp_vc" {
				t.Fatalf("verifier: %+v", r.Errors)
			}
			if tc.proofType == dataintegrity.TypeEd25519Signature2018 {
				raw, _ := json.Marshal(doc)
				if _, err := ariesverifiable.ParseCredential(raw,
					ariesverifiable.WithEmbeddedSignatureSuites(ed25519signature2018.New(suite.WithVerifier(ed25519signature2018.NewPublicKeyVerifier()))),
					ariesverifiable.WithPublicKeyFetcher(ariesverifiable.SingleKey(edPub, "Ed25519VerificationKey2018")),
					ariesverifiable.WithJSONLDDocumentLoader(ld), ariesverifiable.WithStrictValidation()); err != nil {
					t.Fatalf("aries does not verify its own proof: %v", err)
				}
			}

			for what, mutate := range map[string]func(m map[string]any){
				"claim":   func(m map[string]any) { m["credentialSubject"].(map[string]any)["id"] = "did:example:holder-2" },
				"created": func(m map[string]any) { m["proof"].(map[string]any)["created"] = "2024-05-01T12:00:01Z" },
				"header": func(m map[string]any) {
					p := m["proof"].(map[string]any)
					parts := strings.Split(p["jws"].(string), ".")
					hdr := `{"alg":"` + tc.alg + `","b64":false,"crit":["b64"],"kid":"x"}`
					p["jws"] = base64.RawURLEncoding.EncodeToString([]byte(hdr)) + ".." + parts[2]
				},
			} {
				tampered, _ := vc.Clone(doc)
				mutate(tampered)
				if err := verify(tampered, tc.pub); dataintegrity.Code(err) != dataintegrity.CodeSignatureInvalid {
					t.Errorf("tampered %s: %v, want %s", what, err, dataintegrity.CodeSignatureInvalid)
				}
			}
			// Another key of the right type fails the signature; a key of
			// the wrong type is refused before any canonicalization.
			otherEd, _, _ := ed25519.GenerateKey(rand.Reader)
			otherP256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			other, wrongType := crypto.PublicKey(otherEd), crypto.PublicKey(&otherP256.PublicKey)
			if tc.alg == "ES256" {
				other, wrongType = &otherP256.PublicKey, otherEd
			}
			if err := verify(doc, other); dataintegrity.Code(err) != dataintegrity.CodeSignatureInvalid {
				t.Errorf("other key: %v", err)
			}
			if err := verify(doc, wrongType); dataintegrity.Code(err) != dataintegrity.CodeKeyTypeMismatch {
				t.Errorf("wrong key type: %v", err)
			}
		})
	}
}
