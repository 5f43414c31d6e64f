package dataintegrity

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/credentialflow/cflow/internal/jsonld"
)

// A typical small VCDM 2.0 credential with a did:key issuer, standard
// contexts only.
const typicalCredential = `{
  "@context": ["https://www.w3.org/ns/credentials/v2"],
  "id": "urn:uuid:0b1f8d6e-7f3a-4c2e-9d55-2d1f6c0e9a11",
  "type": ["VerifiableCredential"],
  "issuer": "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
  "validFrom": "2024-05-01T12:00:00Z",
  "validUntil": "2034-05-01T12:00:00Z",
  "name": "Membership",
  "description": "Member in good standing.",
  "credentialSubject": {"id": "did:example:holder-1"},
  "credentialStatus": {
    "id": "https://issuer.example/status/1#42",
    "type": "BitstringStatusListEntry",
    "statusPurpose": "revocation",
    "statusListIndex": "42",
    "statusListCredential": "https://issuer.example/status/1"
  }
}`

func parse(t testing.TB, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func genKeys(t testing.TB) (ed, p256, p384 keyPair) {
	_, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	p2, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p3, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	return keyPair{edPriv.Public(), edPriv, "did:example:issuer#ed"},
		keyPair{p2.Public(), p2, "did:example:issuer#p256"},
		keyPair{p3.Public(), p3, "did:example:issuer#p384"}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	ed, p256, p384 := genKeys(t)
	keys := newLocalKeys(ed, p256, p384)
	e := New(jsonld.New(), nil)
	tests := []struct {
		name  string
		suite string
		kp    keyPair
		code  string
	}{
		{"ok/eddsa-rdfc-2022", EddsaRdfc2022, ed, ""},
		{"ok/eddsa-jcs-2022", EddsaJcs2022, ed, ""},
		{"ok/ecdsa-rdfc-2019-p256", EcdsaRdfc2019, p256, ""},
		{"ok/ecdsa-jcs-2019-p256", EcdsaJcs2019, p256, ""},
		{"ok/ecdsa-jcs-2019-p384", EcdsaJcs2019, p384, ""},
		{"fail/ecdsa-rdfc-2019-p384", EcdsaRdfc2019, p384, CodeProofTypeUnsupported},
		{"fail/eddsa-with-ecdsa-key", EddsaRdfc2022, p256, CodeKeyTypeMismatch},
		{"fail/ecdsa-with-ed25519-key", EcdsaRdfc2019, ed, CodeKeyTypeMismatch},
		{"fail/unknown-suite", "bbs-2023", ed, CodeProofTypeUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := Options{Cryptosuite: tt.suite, VerificationMethod: tt.kp.vm, Purpose: "authentication",
				Created: "2024-05-01T12:00:00.123+00:00", Challenge: "c-1", Domain: "https://rp.example"}
			signed, err := e.Sign(context.Background(), parse(t, typicalCredential), tt.kp.priv, opts)
			if tt.code != "" {
				if Code(err) != tt.code {
					t.Fatalf("want %s, got %v", tt.code, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// created is kept exactly as given, not re-serialized.
			if got := signed["proof"].(map[string]any)["created"]; got != "2024-05-01T12:00:00.123+00:00" {
				t.Fatalf("created rewritten to %v", got)
			}
			// Round trip through JSON as a verifier receives it.
			raw, _ := json.Marshal(signed)
			res, err := e.Verify(context.Background(), parse(t, string(raw)), keys,
				Expect{Purpose: "authentication", Challenge: "c-1", Domain: "https://rp.example"})
			if err != nil || !res.Verified() {
				t.Fatalf("verify: %v", err)
			}
			if res.Proofs[0].Cryptosuite != tt.suite || res.Proofs[0].VerificationMethod != tt.kp.vm {
				t.Fatalf("result %+v", res.Proofs[0])
			}
		})
	}
}

func TestVerifyRejections(t *testing.T) {
	ed, p256, _ := genKeys(t)
	keys := newLocalKeys(ed, p256)
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	e := New(jsonld.New(), func() time.Time { return now })
	sign := func(t *testing.T, opts Options) map[string]any {
		t.Helper()
		if opts.Cryptosuite == "" {
			opts.Cryptosuite = EddsaRdfc2022
		}
		opts.VerificationMethod = ed.vm
		signed, err := e.Sign(context.Background(), parse(t, typicalCredential), ed.priv, opts)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(signed)
		return parse(t, string(raw))
	}
	proofOf := func(d map[string]any) map[string]any { return d["proof"].(map[string]any) }
	tests := []struct {
		name   string
		doc    func(t *testing.T) map[string]any
		expect Expect
		code   string
	}{
		{"ok/plain", func(t *testing.T) map[string]any { return sign(t, Options{}) }, Expect{}, ""},
		{"fail/no-proof", func(t *testing.T) map[string]any { return parse(t, typicalCredential) }, Expect{}, CodeProofMissing},
		{"fail/empty-proof-list", func(t *testing.T) map[string]any {
			d := parse(t, typicalCredential)
			d["proof"] = []any{}
			return d
		}, Expect{}, CodeProofMissing},
		{"fail/proof-not-object", func(t *testing.T) map[string]any {
			d := parse(t, typicalCredential)
			d["proof"] = "x"
			return d
		}, Expect{}, CodeProofMalformed},
		{"fail/tampered-claim", func(t *testing.T) map[string]any {
			d := sign(t, Options{})
			d["name"] = "Membership (gold)"
			return d
		}, Expect{}, CodeSignatureInvalid},
		{"fail/tampered-created", func(t *testing.T) map[string]any {
			d := sign(t, Options{Created: "2024-01-01T00:00:00Z"})
			proofOf(d)["created"] = "2024-01-01T00:00:00+00:00" // same instant, other bytes
			return d
		}, Expect{}, CodeSignatureInvalid},
		{"fail/tampered-jcs", func(t *testing.T) map[string]any {
			d := sign(t, Options{Cryptosuite: EddsaJcs2022})
			d["validUntil"] = "2044-05-01T12:00:00Z"
			return d
		}, Expect{}, CodeSignatureInvalid},
		{"fail/unknown-cryptosuite", func(t *testing.T) map[string]any {
			d := sign(t, Options{})
			proofOf(d)["cryptosuite"] = "eddsa-2022"
			return d
		}, Expect{}, CodeProofTypeUnsupported},
		{"fail/unknown-proof-type", func(t *testing.T) map[string]any {
			d := sign(t, Options{})
			proofOf(d)["type"] = "RsaSignature2018" // JsonWebSignature2020 is supported now (jws.go)
			return d
		}, Expect{}, CodeProofTypeUnsupported},
		{"fail/purpose-mismatch", func(t *testing.T) map[string]any { return sign(t, Options{}) }, Expect{Purpose: "authentication"}, CodePurposeMismatch},
		{"fail/purpose-not-authorized", func(t *testing.T) map[string]any { return sign(t, Options{Purpose: "capabilityInvocation"}) }, Expect{Purpose: "capabilityInvocation"}, CodePurposeMismatch},
		{"fail/challenge-missing", func(t *testing.T) map[string]any { return sign(t, Options{Purpose: "authentication"}) }, Expect{Purpose: "authentication", Challenge: "n-1"}, CodeChallengeMismatch},
		{"fail/challenge-mismatch", func(t *testing.T) map[string]any {
			return sign(t, Options{Purpose: "authentication", Challenge: "n-0"})
		}, Expect{Purpose: "authentication", Challenge: "n-1"}, CodeChallengeMismatch},
		{"fail/domain-mismatch", func(t *testing.T) map[string]any {
			return sign(t, Options{Purpose: "authentication", Challenge: "n-1", Domain: "https://other.example"})
		}, Expect{Purpose: "authentication", Challenge: "n-1", Domain: "https://rp.example"}, CodeDomainMismatch},
		{"fail/expired", func(t *testing.T) map[string]any { return sign(t, Options{Expires: "2024-12-31T23:59:59Z"}) }, Expect{}, CodeProofExpired},
		{"fail/bad-created", func(t *testing.T) map[string]any {
			d := sign(t, Options{})
			proofOf(d)["created"] = "yesterday"
			return d
		}, Expect{}, CodeProofMalformed},
		{"fail/proof-value-not-base58btc", func(t *testing.T) map[string]any {
			d := sign(t, Options{})
			proofOf(d)["proofValue"] = "uAAAA"
			return d
		}, Expect{}, CodeProofMalformed},
		{"fail/proof-value-short", func(t *testing.T) map[string]any {
			d := sign(t, Options{})
			proofOf(d)["proofValue"] = "z3yQ"
			return d
		}, Expect{}, CodeSignatureInvalid},
		{"fail/unknown-verification-method", func(t *testing.T) map[string]any {
			d := sign(t, Options{})
			proofOf(d)["verificationMethod"] = "did:example:nobody#k"
			return d
		}, Expect{}, CodeKeyUnresolved},
		{"fail/wrong-key-type", func(t *testing.T) map[string]any {
			d := sign(t, Options{})
			proofOf(d)["verificationMethod"] = p256.vm
			return d
		}, Expect{}, CodeKeyTypeMismatch},
		{"fail/remote-context-added", func(t *testing.T) map[string]any {
			d := sign(t, Options{})
			d["@context"] = []any{"https://www.w3.org/ns/credentials/v2", "https://evil.example/ctx"}
			return d
		}, Expect{}, jsonld.CodeContextNotAllowed},
		{"fail/undefined-term-added", func(t *testing.T) map[string]any {
			d := sign(t, Options{})
			d["credentialSubject"].(map[string]any)["level"] = "gold"
			return d
		}, Expect{}, jsonld.CodeUndefinedTerm},
		{"fail/relative-id", func(t *testing.T) map[string]any {
			d := sign(t, Options{})
			d["id"] = "cred-1"
			return d
		}, Expect{}, jsonld.CodeRelativeIRI},
		{"fail/undefined-proof-term", func(t *testing.T) map[string]any {
			d := sign(t, Options{})
			proofOf(d)["note"] = "x"
			return d
		}, Expect{}, jsonld.CodeUndefinedTerm},
		{"fail/previous-proof-missing", func(t *testing.T) map[string]any {
			d := sign(t, Options{})
			proofOf(d)["previousProof"] = "urn:uuid:none"
			return d
		}, Expect{}, CodeProofChainInvalid},
		{"fail/one-bad-proof-in-set", func(t *testing.T) map[string]any {
			d := sign(t, Options{})
			bad := map[string]any{}
			for k, v := range proofOf(d) {
				bad[k] = v
			}
			bad["verificationMethod"] = "did:example:nobody#k"
			d["proof"] = []any{d["proof"], bad}
			return d
		}, Expect{}, CodeKeyUnresolved},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := e.Verify(context.Background(), tt.doc(t), keys, tt.expect)
			if tt.code == "" {
				if err != nil || !res.Verified() {
					t.Fatalf("verify: %v", err)
				}
				return
			}
			if got := Code(err); got != tt.code {
				t.Fatalf("want %s, got %s (%v)", tt.code, got, err)
			}
			if res.Verified() {
				t.Fatal("Result says verified")
			}
		})
	}
}

func TestErrorsIs(t *testing.T) {
	e := New(jsonld.New(), nil)
	_, err := e.Verify(context.Background(), map[string]any{}, newLocalKeys(), Expect{})
	if !errors.Is(err, ErrProofMissing) {
		t.Fatalf("got %v", err)
	}
	d := parse(t, typicalCredential)
	d["@context"] = "https://evil.example/ctx"
	d["proof"] = map[string]any{"type": "DataIntegrityProof", "cryptosuite": EddsaRdfc2022, "verificationMethod": "x", "proofPurpose": "assertionMethod", "proofValue": "z" + "1111111111111111111111111111111111111111111111111111111111111111"}
	_, edk, _ := ed25519.GenerateKey(rand.Reader)
	keys := &localKeys{keys: map[string]crypto.PublicKey{"x": edk.Public()}, purposes: []string{"assertionMethod"}}
	_, err = e.Verify(context.Background(), d, keys, Expect{})
	if !errors.Is(err, jsonld.ErrContextNotAllowed) {
		t.Fatalf("got %v", err)
	}
}

func BenchmarkVerifyEddsaRdfc2022(b *testing.B) {
	kp := loadKeyPair(b, "vc-di-eddsa/TestVectors/keyPair.json", "")
	e := New(jsonld.New(), nil)
	signed, err := e.Sign(context.Background(), parse(b, typicalCredential), kp.priv,
		Options{Cryptosuite: EddsaRdfc2022, VerificationMethod: kp.vm, Created: "2024-05-01T12:00:00Z"})
	if err != nil {
		b.Fatal(err)
	}
	raw, _ := json.Marshal(signed)
	doc := parse(b, string(raw))
	keys := newLocalKeys(kp)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Verify(ctx, doc, keys, Expect{}); err != nil {
			b.Fatal(err)
		}
	}
}
