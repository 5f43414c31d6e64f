package interop_test

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	ariesjsonld "github.com/hyperledger/aries-framework-go/pkg/doc/signature/jsonld"
	"github.com/hyperledger/aries-framework-go/pkg/doc/signature/suite"
	"github.com/hyperledger/aries-framework-go/pkg/doc/signature/suite/ed25519signature2020"
	ariesverifiable "github.com/hyperledger/aries-framework-go/pkg/doc/verifiable"

	"github.com/credentialflow/cflow/did/didkey"
	"github.com/credentialflow/cflow/internal/jsonld"
	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/internal/vc/dataintegrity"
)

// ed25519Signer is the aries signer interface over a crypto/ed25519 key.
type ed25519Signer struct{ k ed25519.PrivateKey }

func (s ed25519Signer) Sign(data []byte) ([]byte, error) { return ed25519.Sign(s.k, data), nil }
func (s ed25519Signer) Alg() string                      { return "EdDSA" }

type oneKey struct{ pub crypto.PublicKey }

func (k oneKey) PublicKey(context.Context, string, string) (crypto.PublicKey, error) {
	return k.pub, nil
}

type ariesFixture struct {
	raw    []byte // the credential with its Ed25519Signature2020 proof, as JSON
	doc    map[string]any
	pub    ed25519.PublicKey
	ld     *jsonld.Processor
	engine *dataintegrity.Engine
}

// newAriesFixture has aries-framework-go v0.3.2 sign a VCDM 1.1 credential
// with Ed25519Signature2020, loading contexts from our offline processor.
func newAriesFixture(tb testing.TB) *ariesFixture {
	tb.Helper()
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	issuer, err := didkey.New(pub)
	if err != nil {
		tb.Fatal(err)
	}
	f := &ariesFixture{pub: pub, ld: jsonld.New()}
	f.engine = dataintegrity.New(f.ld, nil)
	unsigned, _ := json.Marshal(map[string]any{
		"@context":          []any{vc.ContextV1, "https://w3id.org/security/suites/ed25519-2020/v1"},
		"id":                "urn:uuid:5a0c7b8e-3d1f-4f5e-9a47-0c1f1d2e3b4a",
		"type":              []any{"VerifiableCredential"},
		"issuer":            issuer,
		"issuanceDate":      "2024-05-01T12:00:00Z",
		"credentialSubject": map[string]any{"id": "did:example:holder-1"},
	})
	cred, err := ariesverifiable.ParseCredential(unsigned, ariesverifiable.WithDisabledProofCheck(),
		ariesverifiable.WithJSONLDDocumentLoader(f.ld))
	if err != nil {
		tb.Fatal(err)
	}
	created := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	err = cred.AddLinkedDataProof(&ariesverifiable.LinkedDataProofContext{
		SignatureType: "Ed25519Signature2020", Suite: ed25519signature2020.New(suite.WithSigner(ed25519Signer{priv})),
		SignatureRepresentation: ariesverifiable.SignatureProofValue, Created: &created,
		VerificationMethod: holderVM(issuer), Purpose: "assertionMethod",
	}, ariesjsonld.WithDocumentLoader(f.ld))
	if err != nil {
		tb.Fatal(err)
	}
	if f.raw, err = cred.MarshalJSON(); err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal(f.raw, &f.doc); err != nil {
		tb.Fatal(err)
	}
	return f
}

func (f *ariesFixture) ariesVerify() error {
	_, err := ariesverifiable.ParseCredential(f.raw,
		ariesverifiable.WithEmbeddedSignatureSuites(ed25519signature2020.New(suite.WithVerifier(ed25519signature2020.NewPublicKeyVerifier()))),
		ariesverifiable.WithPublicKeyFetcher(ariesverifiable.SingleKey(f.pub, "Ed25519VerificationKey2020")),
		ariesverifiable.WithJSONLDDocumentLoader(f.ld), ariesverifiable.WithStrictValidation())
	return err
}

func (f *ariesFixture) ourVerify(doc map[string]any) error {
	_, err := f.engine.Verify(context.Background(), doc, oneKey{f.pub}, dataintegrity.Expect{})
	return err
}

// TestAriesEd25519Signature2020: a proof aries-framework-go makes verifies
// with ours, and both sides refuse it once a claim changes.
func TestAriesEd25519Signature2020(t *testing.T) {
	f := newAriesFixture(t)
	if p := f.doc["proof"].(map[string]any); p["type"] != "Ed25519Signature2020" {
		t.Fatalf("aries proof = %v", p)
	}
	if err := f.ariesVerify(); err != nil {
		t.Fatalf("aries does not verify its own proof: %v", err)
	}
	if err := f.ourVerify(f.doc); err != nil {
		t.Fatalf("ours: %v", err)
	}
	tampered, _ := vc.Clone(f.doc)
	tampered["credentialSubject"].(map[string]any)["id"] = "did:example:holder-2"
	if err := f.ourVerify(tampered); dataintegrity.Code(err) != dataintegrity.CodeSignatureInvalid {
		t.Fatalf("ours on tampered: %v", err)
	}
	f.raw, _ = json.Marshal(tampered)
	if err := f.ariesVerify(); err == nil {
		t.Fatal("aries accepted the tampered credential")
	}
}

// BenchmarkEd25519Signature2020 times aries-framework-go v0.3.2 and ours
// verifying the same Ed25519Signature2020 credential with the same offline
// contexts and the key handed over directly (no DID resolution on either
// side).
func BenchmarkEd25519Signature2020(b *testing.B) {
	f := newAriesFixture(b)
	b.Run("aries", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := f.ariesVerify(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cflow", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := f.ourVerify(f.doc); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestSpeedEddsaRdfc2022 is the speed script's measurement (speed.sh): the
// same eddsa-rdfc-2022 credential verified N times by @digitalbazaar/vc (in
// one node process, after warm-up) and by cflow's verifier (whole pipeline,
// resolver warm). Off unless CFLOW_SPEED=1: it is a measurement, not a test.
func TestSpeedEddsaRdfc2022(t *testing.T) {
	if os.Getenv("CFLOW_SPEED") == "" {
		t.Skip("set CFLOW_SPEED=1 (test/interop/speed.sh) to measure")
	}
	needNode(t)
	n := 500
	if s := os.Getenv("CFLOW_SPEED_N"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	s := newServer(t)
	status, body := s.post("/v1/credentials/issue", map[string]any{"credential": exampleCredential(s.holderID),
		"options": map[string]any{"issuer": s.profile.ID, "format": "ldp_vc"}})
	if status != 201 {
		t.Fatalf("issue: %d %v", status, body)
	}
	cred := body["verifiableCredential"].(map[string]any)
	ctx := context.Background()
	for range 20 {
		if r := s.verifier.VerifyCredential(ctx, cred); !r.Verified {
			t.Fatal(r.Errors)
		}
	}
	start := time.Now()
	for range n {
		s.verifier.VerifyCredential(ctx, cred)
	}
	ours := float64(time.Since(start).Nanoseconds()) / float64(n)
	out := node(t, "bench-ldp", mustJSON(t, cred), strconv.Itoa(n))
	theirs, _ := out["ns_per_op"].(float64)
	fmt.Printf("eddsa-rdfc-2022 verify, %d runs: @digitalbazaar/vc %.0f µs/op, cflow %.0f µs/op, ratio digitalbazaar/cflow = %.2f\n",
		n, theirs/1e3, ours/1e3, theirs/ours)
}
