package verifier_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/credentialflow/cflow/did"
	"github.com/credentialflow/cflow/did/didjwk"
	"github.com/credentialflow/cflow/did/didkey"
	"github.com/credentialflow/cflow/internal/vc"
	"github.com/credentialflow/cflow/verifier"
)

type vectorCase struct {
	JWT    string `json:"jwt"`
	Expect string `json:"expect"`
}

func loadDidJwtVc(t testing.TB) map[string]vectorCase {
	t.Helper()
	raw, err := os.ReadFile("../test/vectors/did-jwt-vc/cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases map[string]vectorCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	return f.Cases
}

// newVerifier is configured as cflow runs it: the method registry behind
// the resolution cache.
func newVerifier() *verifier.Verifier {
	return verifier.New(verifier.Config{Resolver: did.NewCache(did.NewRegistry(map[string]did.Resolver{
		didkey.Method: didkey.Resolver{}, didjwk.Method: didjwk.Resolver{},
	}), did.CacheOptions{})})
}

// The did-jwt-vc vectors were made by another implementation: each gets the
// verdict it records, with the code that names the reason.
func TestDidJwtVcVectors(t *testing.T) {
	want := map[string]string{
		"ed25519-valid":            "",
		"p256-valid":               "",
		"secp256k1-valid":          "",
		"ed25519-expired":          vc.CodeExpired,
		"ed25519-notyet":           vc.CodeNotYetValid,
		"ed25519-tampered-payload": vc.CodeSignatureInvalid,
		"alg-none":                 vc.CodeAlgNotAllowed,
		"issuer-key-mismatch":      vc.CodeAlgKeyMismatch, // EdDSA-signed, iss is a P-256 DID
		"vp-valid":                 "",
		"vp-holder-not-subject":    vc.CodeHolderMismatch,
	}
	v := newVerifier()
	cases := loadDidJwtVc(t)
	if len(cases) != len(want) {
		t.Fatalf("vector file has %d cases, test knows %d", len(cases), len(want))
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var r *verifier.Result
			if strings.HasPrefix(name, "vp-") {
				r = v.VerifyPresentation(context.Background(), tc.JWT, verifier.Options{Challenge: "nonce-123", Domain: "https://gateway.example"})
			} else {
				r = v.VerifyCredential(context.Background(), tc.JWT)
			}
			code := want[name]
			if code == "" {
				if !r.Verified {
					t.Fatalf("expected verified, got %+v", r.Errors)
				}
				return
			}
			if r.Verified || len(r.Errors) == 0 || r.Errors[0].Code != code {
				t.Fatalf("want %s, got verified=%v errors=%+v", code, r.Verified, r.Errors)
			}
		})
	}
}
