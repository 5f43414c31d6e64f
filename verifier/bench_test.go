package verifier_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	ariesverifiable "github.com/hyperledger/aries-framework-go/pkg/doc/verifiable"

	"github.com/credentialflow/cflow/did/didkey"
	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/internal/vc/vcjose"
	"github.com/credentialflow/cflow/verifier"
)

type fixture struct {
	issuerKey, holderKey ed25519.PrivateKey
	issuerDID, holderDID string
	credJWT, vpJWT       string
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	f := &fixture{}
	_, f.issuerKey, _ = ed25519.GenerateKey(rand.Reader)
	_, f.holderKey, _ = ed25519.GenerateKey(rand.Reader)
	f.issuerDID, _ = didkey.New(f.issuerKey.Public())
	f.holderDID, _ = didkey.New(f.holderKey.Public())
	c, err := vc.ParseCredential(map[string]any{
		"@context":     []any{vc.ContextV1},
		"id":           "urn:uuid:6a9c92a9-2530-4e2b-9776-530467e9bbe0",
		"type":         []any{"VerifiableCredential", "EmployeeCredential"},
		"issuer":       f.issuerDID,
		"issuanceDate": "2026-01-01T00:00:00Z",
		"credentialSubject": map[string]any{
			"id":       f.holderDID,
			"employee": map[string]any{"name": "Alex Example", "department": "Finance", "role": "Analyst"},
		},
	})
	if err != nil {
		tb.Fatal(err)
	}
	f.credJWT, err = vcjose.SignCredential(c, vcjose.JWTVCJSON, f.issuerKey, vmID(f.issuerDID))
	if err != nil {
		tb.Fatal(err)
	}
	vp := map[string]any{
		"@context":             []any{vc.ContextV1},
		"type":                 []any{"VerifiablePresentation"},
		"verifiableCredential": []any{f.credJWT},
	}
	f.vpJWT, err = vcjose.SignPresentation(vp, vcjose.JWTVPJSON, f.holderKey, vmID(f.holderDID), f.holderDID,
		"nonce-1", "https://gateway.example", "", time.Now(), time.Hour)
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

func vmID(d string) string { return d + "#" + strings.TrimPrefix(d, "did:key:") }

func signingInput(jwt string) (msg, sig []byte) {
	i := strings.LastIndexByte(jwt, '.')
	return []byte(jwt[:i]), decodeSig(jwt[i+1:])
}

// BenchmarkEd25519Verify is the floor: crypto/ed25519 on the same signing input.
func BenchmarkEd25519Verify(b *testing.B) {
	f := newFixture(b)
	msg, sig := signingInput(f.credJWT)
	pub := f.issuerKey.Public().(ed25519.PublicKey)
	if !ed25519.Verify(pub, msg, sig) {
		b.Fatal("floor does not verify")
	}
	b.ReportAllocs()
	for b.Loop() {
		ed25519.Verify(pub, msg, sig)
	}
}

// BenchmarkVerifyJWTCredential: the whole pipeline, resolver warm.
func BenchmarkVerifyJWTCredential(b *testing.B) {
	f := newFixture(b)
	v := newVerifier()
	ctx := context.Background()
	if r := v.VerifyCredential(ctx, f.credJWT); !r.Verified {
		b.Fatal(r.Errors)
	}
	b.ReportAllocs()
	for b.Loop() {
		if r := v.VerifyCredential(ctx, f.credJWT); !r.Verified {
			b.Fatal(r.Errors)
		}
	}
}

// BenchmarkVerifyJWTPresentation: presentation with one credential inside.
func BenchmarkVerifyJWTPresentation(b *testing.B) {
	f := newFixture(b)
	v := newVerifier()
	ctx := context.Background()
	o := verifier.Options{Challenge: "nonce-1", Domain: "https://gateway.example"}
	if r := v.VerifyPresentation(ctx, f.vpJWT, o); !r.Verified {
		b.Fatal(r.Errors)
	}
	b.ReportAllocs()
	for b.Loop() {
		if r := v.VerifyPresentation(ctx, f.vpJWT, o); !r.Verified {
			b.Fatal(r.Errors)
		}
	}
}

// BenchmarkAriesParseCredential: aries-framework-go v0.3.2 on the same JWT,
// with the key handed over directly (no DID resolution at all) and JSON-LD
// processing limited to base-context validation, so it is timed at its
// cheapest.
func BenchmarkAriesParseCredential(b *testing.B) {
	f := newFixture(b)
	pub := []byte(f.issuerKey.Public().(ed25519.PublicKey))
	opts := []ariesverifiable.CredentialOpt{
		ariesverifiable.WithPublicKeyFetcher(ariesverifiable.SingleKey(pub, "Ed25519VerificationKey2018")),
		ariesverifiable.WithBaseContextValidation(),
	}
	if _, err := ariesverifiable.ParseCredential([]byte(f.credJWT), opts...); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ariesverifiable.ParseCredential([]byte(f.credJWT), opts...); err != nil {
			b.Fatal(err)
		}
	}
}

// Aries must reject what we reject, or the comparison is unfair.
func TestAriesRejectsTampered(t *testing.T) {
	f := newFixture(t)
	pub := []byte(f.issuerKey.Public().(ed25519.PublicKey))
	bad := tamper(f.credJWT)
	_, err := ariesverifiable.ParseCredential([]byte(bad),
		ariesverifiable.WithPublicKeyFetcher(ariesverifiable.SingleKey(pub, "Ed25519VerificationKey2018")),
		ariesverifiable.WithBaseContextValidation())
	if err == nil {
		t.Fatal("aries accepted a tampered credential")
	}
	if r := newVerifier().VerifyCredential(context.Background(), bad); r.Verified || r.Errors[0].Code != vc.CodeSignatureInvalid {
		t.Fatalf("ours: %+v", r.Errors)
	}
}

// BenchmarkRatios interleaves the floor, our verification and aries on the
// same credential in one loop and reports the ratios, so a noisy shared
// machine slows all three alike: x_floor = ours ÷ crypto/ed25519,
// aries_x = aries ÷ ours.
func BenchmarkRatios(b *testing.B) {
	f := newFixture(b)
	v := newVerifier()
	ctx := context.Background()
	msg, sig := signingInput(f.credJWT)
	pub := f.issuerKey.Public().(ed25519.PublicKey)
	opts := []ariesverifiable.CredentialOpt{
		ariesverifiable.WithPublicKeyFetcher(ariesverifiable.SingleKey([]byte(pub), "Ed25519VerificationKey2018")),
		ariesverifiable.WithBaseContextValidation(),
	}
	v.VerifyCredential(ctx, f.credJWT) // warm the resolver cache
	var floor, ours, aries time.Duration
	for b.Loop() {
		t0 := time.Now()
		ed25519.Verify(pub, msg, sig)
		t1 := time.Now()
		if r := v.VerifyCredential(ctx, f.credJWT); !r.Verified {
			b.Fatal(r.Errors)
		}
		t2 := time.Now()
		if _, err := ariesverifiable.ParseCredential([]byte(f.credJWT), opts...); err != nil {
			b.Fatal(err)
		}
		t3 := time.Now()
		floor, ours, aries = floor+t1.Sub(t0), ours+t2.Sub(t1), aries+t3.Sub(t2)
	}
	b.ReportMetric(float64(ours)/float64(floor), "x_floor")
	b.ReportMetric(float64(aries)/float64(ours), "aries_x")
}
